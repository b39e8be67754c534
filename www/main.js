// Wiring: loads the WebAssembly module, keeps the page state in the URL hash (a history entry per
// section, so Back returns to the previous one), renders the sections, copies the page's link.
import { createAbout } from "./about.js";
import { createDraw } from "./draw.js";
import { createExplore } from "./explore.js";
import { createGenerate, gallerySize } from "./generate.js";
import { gifEncoder } from "./gif.js";
import { loadGenerator } from "./load.js";
import { createMorph, maxStops } from "./morph.js";
import { SECTIONS, readHash, readSection, writeHash } from "./state.js";
import { $, copyText, say, showProgress } from "./ui.js";

const navButtons = document.querySelectorAll("nav button");
const shareStatus = $("share-status");
const messages = Object.fromEntries(SECTIONS.map((name) => [name, $(`${name}-message`)]));

function showSection(section) {
  const focused = document.activeElement?.closest("section");
  for (const name of SECTIONS) $(name).hidden = name !== section;
  for (const button of navButtons) {
    button.setAttribute("aria-current", button.dataset.section === section ? "page" : "false");
  }
  // The focused control went out of sight with its section: the new section's heading takes it.
  if (focused?.hidden) $(`${section}-title`).focus();
}

/** Runs the page once the module is ready: every state change is rendered by each section, which
 *  returns the state it could apply, and only that state is written to the URL. `module` is the
 *  compiled WebAssembly module, which the GIF worker instantiates too. */
function start(gen, info, module) {
  const sections = [];
  let state = null;

  function apply(next, historyEntry) {
    showSection(next.section);
    for (const section of sections) next = section.render(next);
    state = next;
    history[historyEntry](null, "", writeHash(state));
    say(shareStatus, ""); // a link copied before is not this one
  }

  function update(patch) {
    for (const box of Object.values(messages)) say(box, "");
    const newSection = patch.section !== undefined && patch.section !== state.section;
    apply({ ...state, ...patch }, newSection ? "pushState" : "replaceState");
  }

  const limits = { defaultSpread: info.defaultSpread, maxStops: maxStops(info.maxImages), gallerySize };
  function applyUrl() {
    const { state: read, notes } = readHash(location.hash, limits);
    for (const [name, box] of Object.entries(messages)) say(box, notes[name]?.join(" ") ?? "");
    apply(read, "replaceState");
  }

  for (const control of document.querySelectorAll("[disabled]")) control.disabled = false;
  const gallery = createGenerate(gen, info, update);
  const drawing = createDraw(gen, info, update);
  sections.push(gallery, createMorph(gen, info, gallery, drawing, gifEncoder(module), update),
    createExplore(gen, info, drawing), drawing, createAbout(gen, info));
  for (const button of navButtons) {
    button.addEventListener("click", () => update({ section: button.dataset.section }));
  }
  // The link holds the state (the seed too): opened elsewhere, it shows the same digits.
  $("share").addEventListener("click", async () => {
    const copied = await copyText(location.href);
    say(shareStatus, copied ? "Link copied" : "The browser did not allow copying: copy the link from the address bar.");
  });
  window.addEventListener("hashchange", applyUrl); // Back, Forward, or a hash typed into the address bar
  applyUrl();
  drawing.startEncoder(); // only now: the first gallery must not wait for it
}

showSection(readSection(location.hash));
let loaded = null;
try {
  const { gen, module } = await loadGenerator(showProgress($("load-progress"), $("load-amount")));
  loaded = [gen, gen.info(), module];
} catch (error) {
  say($("load-error"), `The WebAssembly module could not be loaded, so no digits can be drawn (${error.message}). ` +
    "This page needs a browser with WebAssembly; if you serve it yourself, build pkg/ first (see the README).");
}
$("status").hidden = true;
if (loaded) start(...loaded);
