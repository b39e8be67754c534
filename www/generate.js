// Generate: a gallery of sampled images, one row per class or several rows of one class.
import { drawDigit, drawSheet } from "./canvas.js";
import { MAX_SEED, parseSeed, randomSeed } from "./state.js";
import { $, attempt, bindRange, downloadPng, formatMs, say } from "./ui.js";
/** @import { Model } from "./models.js" */
/** @import { Generator } from "./pkg/latent_digits.js" */
/** @import { State, Update } from "./state.js" */

/** What Generator.sampleLatents returns: `n × latentDim` codes and each one's mixture component.
 *  @typedef {{ latents: Float32Array, components: Uint32Array }} SampledLatents */
/** The section as the others see it (createGenerate).
 *  @typedef {ReturnType<typeof createGenerate>} Gallery */
/** A gallery (sampleGallery): its samples' classes, codes, mixture components and images, in row
 *  order, the method that drew them and how long decoding them took.
 *  @typedef {object} Samples
 *  @property {string} method
 *  @property {number[]} digits
 *  @property {Float32Array} latents
 *  @property {Uint32Array} components
 *  @property {Float32Array} images
 *  @property {number} decodeMs */

const PER_ROW = 10;
const ONE_DIGIT_ROWS = 6;

/** How many samples the gallery of `digit` holds (null: a row of each digit).
 *  @param {number | null} digit */
export const gallerySize = (digit) => PER_ROW * (digit === null ? 10 : ONE_DIGIT_ROWS);

/** Latents, mixture components and decoded images of the gallery, in row order.
 *  @param {Generator} gen
 *  @param {number} latentDim
 *  @param {State} state
 *  @returns {Samples} */
function sampleGallery(gen, latentDim, { seed, method, spread, digit }) {
  const groups = digit === null
    ? Array.from({ length: 10 }, (_, d) => [d, PER_ROW])
    : [[digit, PER_ROW * ONE_DIGIT_ROWS]];
  const options = { method, spread, seed };
  /** @type {number[]} */
  const digits = groups.flatMap(([d, n]) => Array(n).fill(d));
  const latents = new Float32Array(digits.length * latentDim);
  const components = new Uint32Array(digits.length);
  let at = 0;
  for (const [d, n] of groups) {
    const sample = /** @type {SampledLatents} */ (gen.sampleLatents(d, n, options));
    latents.set(sample.latents, at * latentDim);
    components.set(sample.components, at);
    at += n;
  }
  const start = performance.now();
  const images = gen.decode(latents);
  return { method, digits, latents, components, images, decodeMs: performance.now() - start };
}

/** The section, showing `model` (models.js) until setModel(model) gives it another.
 *  @param {Model} model
 *  @param {Update} update */
export function createGenerate(model, update) {
  const { defaultSpread } = model.info; // the module's, the same for every model
  const message = $("generate-message");
  const gallery = $("gallery");
  /** @type {HTMLSelectElement} */
  const digitSelect = $("digit");
  /** @type {HTMLInputElement} */
  const seedInput = $("seed");
  const methodInputs = [
    .../** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('input[name="method"]'))];
  /** @type {State | null} */
  let state = null;
  let key = "";
  /** @type {Samples | null} */
  let samples = null;
  /** @type {number | null} */
  let selected = null; // index of the first sample clicked for a morph

  digitSelect.addEventListener("change", () => {
    update({ digit: digitSelect.value === "all" ? null : Number(digitSelect.value), pair: null });
  });
  for (const input of methodInputs) {
    input.addEventListener("change", () => {
      update({ method: input.value, spread: defaultSpread[input.value], pair: null });
    });
  }
  $("spread-marks").replaceChildren(...Object.values(defaultSpread).map((spread) => new Option("", String(spread))));
  const setSpread = bindRange($("spread"), (v) => v.toFixed(2), (spread) => update({ spread, pair: null }));
  seedInput.addEventListener("change", () => {
    const seed = parseSeed(seedInput.value.trim());
    const refusal = seed === null ? `The seed must be a whole number from 0 to ${MAX_SEED}.` : "";
    seedInput.setCustomValidity(refusal);
    if (seed === null) say(message, refusal);
    else update({ seed, pair: null });
  });
  $("new-samples").addEventListener("click", () => update({ seed: randomSeed(), pair: null }));
  $("download-gallery").addEventListener("click", () => {
    const sheet = document.createElement("canvas");
    // The button is enabled once a gallery is shown.
    drawSheet(sheet, /** @type {Samples} */ (samples).images, PER_ROW, { scale: 4, gap: 4 });
    downloadPng(sheet, `${model.name}-seed-${/** @type {State} */ (state).seed}.png`);
  });
  gallery.addEventListener("click", (event) => {
    /** @type {HTMLButtonElement | null} */
    const button = /** @type {Element} */ (event.target).closest("button.sample");
    if (!button) return;
    const index = Number(button.dataset.index);
    if (selected === null || selected === index) {
      select(selected === index ? null : index);
    } else {
      const pair = [selected, index];
      select(null);
      update({ section: "morph", pair });
    }
  });

  /** @param {number | null} index */
  function select(index) {
    selected = index;
    for (const button of /** @type {NodeListOf<HTMLButtonElement>} */ (gallery.querySelectorAll("button.sample"))) {
      button.setAttribute("aria-pressed", String(Number(button.dataset.index) === index));
    }
  }

  /** Sample `index`'s class and mixture component, in words (there are samples).
   *  @param {number} index */
  function describe(index) {
    const shown = /** @type {Samples} */ (samples);
    const digit = shown.digits[index];
    const sample = model.sample(model.info.classNames[digit]);
    return shown.method === "gmm"
      ? `${sample} · component ${shown.components[index] + 1} of ${model.info.components[digit]}`
      : `${sample} · single Gaussian`;
  }

  /** @param {number} index */
  function sampleButton(index) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sample";
    button.dataset.index = String(index);
    button.dataset.tip = describe(index);
    button.setAttribute("aria-label", describe(index));
    button.setAttribute("aria-pressed", "false");
    const canvas = document.createElement("canvas");
    canvas.className = "digit";
    drawDigit(canvas, /** @type {Samples} */ (samples).images, index);
    button.append(canvas);
    return button;
  }

  /** Shows the samples render has just drawn. */
  function drawGallery() {
    const shown = /** @type {Samples} */ (samples);
    const count = shown.digits.length;
    const rows = [];
    for (let start = 0; start < count; start += PER_ROW) {
      const row = document.createElement("div");
      row.className = "gallery-row";
      const label = document.createElement("span");
      label.className = "row-label";
      label.setAttribute("aria-hidden", "true");
      label.textContent = model.info.classNames[shown.digits[start]];
      row.append(label);
      for (let i = start; i < start + PER_ROW; i++) row.append(sampleButton(i));
      rows.push(row);
    }
    gallery.replaceChildren(...rows);
    $("gallery-timing").textContent =
      `${count} ${model.words.items} decoded in ${formatMs(shown.decodeMs)} (${formatMs(shown.decodeMs / count)} each).`;
    performance.mark("gallery-drawn");
  }

  /** Draws the gallery of `next` and returns the state shown: if the module refuses `next`, the
   *  last gallery stays, with its settings.
   *  @param {State} next
   *  @returns {State} */
  function render(next) {
    const nextKey = [next.seed, next.method, next.spread, next.digit].join();
    if (nextKey !== key) {
      const drawn = attempt(message, "The gallery could not be drawn", () => sampleGallery(model.gen, model.info.latentDim, next));
      if (drawn) {
        key = nextKey;
        samples = drawn;
        selected = null;
        drawGallery();
      } else if (state) { // keep the last gallery and the settings that drew it
        next = { ...next, seed: state.seed, method: state.method, spread: state.spread, digit: state.digit };
      }
    }
    state = next;
    digitSelect.value = String(state.digit ?? "all");
    for (const input of methodInputs) input.checked = input.value === state.method;
    setSpread(state.spread);
    seedInput.value = String(state.seed);
    seedInput.setCustomValidity("");
    /** @type {HTMLButtonElement} */ ($("download-gallery")).disabled = !samples;
    return state;
  }

  /** Shows `next`'s classes from the next render on.
   *  @param {Model} next */
  function setModel(next) {
    model = next;
    key = ""; // the next render samples this model
    while (digitSelect.length > 1) digitSelect.remove(1); // all but "All, one row each"
    model.info.classNames.forEach((name, d) => digitSelect.add(new Option(`${name} only`, String(d))));
  }

  setModel(model);
  return {
    render,
    setModel,
    describe,
    /** The latent of gallery sample `index`, or undefined when there is no such sample.
     *  @param {number} index */
    latent: (index) => {
      const { latentDim } = model.info;
      return samples && index < samples.digits.length
        ? samples.latents.subarray(index * latentDim, (index + 1) * latentDim)
        : undefined;
    },
  };
}
