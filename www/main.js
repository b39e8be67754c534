// Wiring: loads the WebAssembly module, keeps the page state in the URL hash, renders the sections.
import { createAbout } from "./about.js";
import { createExplore } from "./explore.js";
import { createGenerate } from "./generate.js";
import { createMorph } from "./morph.js";
import { SECTIONS, randomSeed, readHash, writeHash } from "./state.js";
import { $ } from "./ui.js";

const withSeed = (state) => (state.seed === null ? { ...state, seed: randomSeed() } : state);
let state = withSeed(readHash(location.hash));
let sections = [];
const navButtons = document.querySelectorAll("nav button");

function render() {
  history.replaceState(null, "", writeHash(state));
  for (const name of SECTIONS) $(name).hidden = name !== state.section;
  for (const button of navButtons) {
    button.setAttribute("aria-current", button.dataset.section === state.section ? "page" : "false");
  }
  for (const section of sections) section.render(state);
}

function update(patch) {
  state = { ...state, ...patch };
  render();
}

for (const button of navButtons) {
  button.addEventListener("click", () => update({ section: button.dataset.section }));
}
window.addEventListener("hashchange", () => {
  state = withSeed(readHash(location.hash));
  render();
});
render();

let gen = null;
try {
  const wasm = await import("./pkg/latent_digits.js");
  await wasm.default();
  gen = new wasm.Generator();
} catch (error) {
  const box = $("load-error");
  box.hidden = false;
  box.textContent = `The WebAssembly module could not be loaded, so no digits can be drawn (${error.message}). ` +
    "This page needs a browser with WebAssembly; if you serve it yourself, build pkg/ first (see the README).";
}
$("status").hidden = true;

if (gen) {
  const gallery = createGenerate(gen, update);
  sections = [gallery, createMorph(gen, gallery, update), createExplore(gen), createAbout(gen)];
  render();
  window.__firstGalleryMs = performance.now(); // read by tests/browser/bench.mjs
}
