// Wiring: loads the WebAssembly module, keeps the page state in the URL hash (a history entry per
// section and per data set, so Back returns to the previous one), switches between the digits
// and the clothes, loading the clothes' model the first time, renders the sections, copies the
// page's link.
import { createAbout } from "./about.js";
import { createDraw } from "./draw.js";
import { createExplore } from "./explore.js";
import { createGenerate, gallerySize } from "./generate.js";
import { gifEncoder } from "./gif.js";
import { ensureFlow, loadGenerator } from "./load.js";
import { DATASETS, createModels } from "./models.js";
import { createMorph, maxStops } from "./morph.js";
import { decoderPool } from "./pool.js";
import { SECTIONS, readHash, readSection, writeHash } from "./state.js";
import { $, copyText, say, showProgress, showWords } from "./ui.js";
import { createWrite } from "./write.js";
import { steerableAxes } from "./write-style.js";
/** @import { Model } from "./models.js" */
/** @import { Generator } from "./pkg/latent_digits.js" */
/** @import { State, Update } from "./state.js" */

/** @type {NodeListOf<HTMLButtonElement>} */
const navButtons = document.querySelectorAll("nav button");
const shareStatus = $("share-status");
/** @type {HTMLFieldSetElement} */
const datasetSwitch = $("dataset");
const datasetInputs = datasetSwitch.querySelectorAll("input");
// Each section's message box, and the data set's beside its switch.
/** @type {Record<string, HTMLElement>} */
const messages = Object.fromEntries([...SECTIONS, "dataset"].map((name) => [name, $(`${name}-message`)]));

/** @param {string} section */
function showSection(section) {
  const focused = document.activeElement?.closest("section");
  for (const name of SECTIONS) $(name).hidden = name !== section;
  for (const button of navButtons) {
    button.setAttribute("aria-current", button.dataset.section === section ? "page" : "false");
  }
  // The focused control went out of sight with its section: the new section's heading takes it.
  if (focused?.hidden) $(`${section}-title`).focus();
}

/** Shows `model`'s words in the page and tells the style sheet which data set it is.
 *  @param {Model} model */
function showDataset(model) {
  showWords(model.words);
  document.body.dataset.model = model.dataset;
}

/** Runs the page once the module is ready: every state change is rendered by each section, which
 *  returns the state it could apply, and only that state is written to the URL. `digits` is the
 *  module's Generator; `module` the compiled WebAssembly module, which the GIF worker and the decoding
 *  pool's workers instantiate too.
 *  @param {Generator} digits
 *  @param {WebAssembly.Module} module */
async function start(digits, module) {
  const models = createModels(digits);
  let model = /** @type {Model} */ (models.loaded("mnist")); // the model the sections show
  /** @type {State} */
  let state; // from the first apply on, before any control is enabled

  /** Resolves once the model of `dataset` is loaded, with its progress beside the switch (which is
   *  disabled meanwhile) the first time. Rejects with an Error that says why it failed.
   *  @param {string} dataset */
  async function loadDataset(dataset) {
    if (models.loaded(dataset)) return;
    datasetSwitch.disabled = true;
    $("dataset-status").hidden = false;
    try {
      await models.load(dataset, showProgress($("dataset-progress"), $("dataset-amount")));
    } finally {
      datasetSwitch.disabled = false;
      $("dataset-status").hidden = true;
    }
  }

  /** @param {string} dataset
   *  @param {unknown} error the Error loading it threw */
  const failed = (dataset, error) => `The ${DATASETS[dataset].name} model could not be loaded, so the page ` +
    `shows the digits (${/** @type {Error} */ (error).message}).`;

  // The limits are the module's, the same for every model; Write's style axes are the digits'.
  const limits = { defaultSpread: model.info.defaultSpread, defaultMethod: model.info.defaultMethod, maxStops: maxStops(model.info.maxImages), gallerySize,
    writeAxes: steerableAxes(digits).map(({ name }) => name) };
  /** The state the URL holds and the notes on it (state.js's readHash), once the model of its data
   *  set is loaded; if it cannot be, the state of the digits, with a note that says why. */
  async function readUrl() {
    const { state: read, notes } = readHash(location.hash, limits);
    let next = read;
    try {
      await loadDataset(read.dataset);
    } catch (error) {
      notes.dataset.push(failed(read.dataset, error));
      next = { ...read, dataset: "mnist" };
    }
    return { read: await withFlow(next, (note) => notes.generate.push(note)), notes };
  }

  /** `next` (its model loaded) once its model's normalizing flow is loaded, if it samples with the
   *  flow: the first gallery needs none. If the flow cannot be loaded, `next` with the default
   *  method, and `note` is told why.
   *  @param {State} next
   *  @param {(note: string) => void} note
   *  @returns {Promise<State>} */
  async function withFlow(next, note) {
    if (next.method !== "flow") return next;
    try {
      await ensureFlow(/** @type {Model} */ (models.loaded(next.dataset)));
      return next;
    } catch (error) {
      const method = limits.defaultMethod;
      note(`The normalizing flow could not be loaded, so the gallery samples by the default method (${/** @type {Error} */ (error).message}).`);
      return { ...next, method, spread: limits.defaultSpread[method] };
    }
  }

  // A link to the clothes loads them before anything is shown or any control works.
  const first = await readUrl();
  /** @type {NodeListOf<HTMLButtonElement | HTMLInputElement | HTMLSelectElement>} */
  const disabled = document.querySelectorAll("[disabled]");
  for (const control of disabled) control.disabled = false;
  const gallery = createGenerate(model, update);
  const drawing = createDraw(model, update);
  const sections = [gallery, createMorph(model, gallery, drawing, gifEncoder(module), decoderPool(module), update),
    createExplore(model, drawing), drawing, createWrite(/** @type {Model} */ (models.loaded("mnist")), update), createAbout(model)];
  showDataset(model);

  /** Shows `next` and writes the state shown to the URL, in a new history entry or the current one.
   *  @param {State} next
   *  @param {"pushState" | "replaceState"} historyEntry */
  function apply(next, historyEntry) {
    const chosen = /** @type {Model} */ (models.loaded(next.dataset)); // loaded before it is applied
    if (chosen !== model) {
      model = chosen;
      for (const section of sections) section.setModel(model);
      showDataset(model);
    }
    for (const input of datasetInputs) input.checked = input.value === next.dataset;
    showSection(next.section);
    for (const section of sections) next = section.render(next);
    state = next;
    history[historyEntry](null, "", writeHash(state));
    say(shareStatus, ""); // a link copied before is not this one
    drawing.startEncoder(); // the model's, once: only now, as the first gallery must not wait for it
  }

  /** @type {Update} */
  function update(patch) {
    for (const box of Object.values(messages)) say(box, "");
    const newPlace = /** @type {const} */ (["section", "dataset"])
      .some((key) => patch[key] !== undefined && patch[key] !== state[key]);
    apply({ ...state, ...patch }, newPlace ? "pushState" : "replaceState");
  }

  /** Shows what readUrl read: its notes in the message boxes, its state in the sections.
   *  @param {Awaited<ReturnType<typeof readUrl>>} fromUrl */
  function show({ read, notes }) {
    for (const [name, box] of Object.entries(messages)) say(box, notes[name]?.join(" ") ?? "");
    apply(read, "replaceState");
  }

  for (const button of navButtons) {
    button.addEventListener("click", () => update({ section: /** @type {string} */ (button.dataset.section) }));
  }
  for (const input of datasetInputs) {
    input.addEventListener("change", async () => {
      const started = performance.now();
      try {
        await loadDataset(input.value);
      } catch (error) {
        for (const other of datasetInputs) other.checked = other.value === state.dataset;
        say(messages.dataset, failed(input.value, error));
        return;
      }
      let flowNote = "";
      const { method, spread } = await withFlow({ ...state, dataset: input.value }, (note) => { flowNote = note; });
      // The samples clicked, the drawing read and the style moves belong to the other model.
      update({ dataset: input.value, method, spread, pair: null, fromDrawing: false, moves: {} });
      if (flowNote) say(messages.generate, flowNote);
      performance.measure("dataset-shown", { start: started, detail: input.value }); // the benchmark times it
    });
  }
  // The link holds the state (the seed too): opened elsewhere, it shows the same digits.
  $("share").addEventListener("click", async () => {
    const copied = await copyText(location.href);
    say(shareStatus, copied ? "Link copied" : "The browser did not allow copying: copy the link from the address bar.");
  });
  // Back, Forward, or a hash typed into the address bar.
  window.addEventListener("hashchange", async () => show(await readUrl()));
  show(first);
}

showSection(readSection(location.hash));
/** @type {[Generator, WebAssembly.Module] | null} */
let loaded = null;
try {
  const { gen, module } = await loadGenerator(showProgress($("load-progress"), $("load-amount")));
  loaded = [gen, module];
} catch (error) {
  say($("load-error"), "The WebAssembly module could not be loaded, so no digits can be drawn " +
    `(${/** @type {Error} */ (error).message}). ` +
    "This page needs a browser with WebAssembly; if you serve it yourself, build pkg/ first (see the README).");
}
$("status").hidden = true;
if (loaded) await start(...loaded);
