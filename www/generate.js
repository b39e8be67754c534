// Generate: a gallery of sampled images, one row per class or several rows of one class, which
// style sliders move together (thicker, more slanted: in the measures' units), measured as shown.
import { drawDigit, drawSheet } from "./canvas.js";
import { MAX_SEED, parseSeed, randomSeed } from "./state.js";
import { createStyleSliders, describeStyle, formatMeasure, meanMeasures, styleAxes } from "./style-sliders.js";
import { ensureFlow } from "./load.js";
import { $, attempt, bindRange, downloadPng, formatMs, say } from "./ui.js";
/** @import { Model } from "./models.js" */
/** @import { Generator, MeasureValues, SampleMethod, StyleAxis } from "./pkg/latent_digits.js" */
/** @import { State, Update } from "./state.js" */

/** The section as the others see it (createGenerate).
 *  @typedef {ReturnType<typeof createGenerate>} Gallery */
/** A gallery as sampled (sampleGallery): its samples' classes, codes, mixture components and
 *  images, in row order, its runs of one class ([class, count]), the method that drew them and how
 *  long decoding them took.
 *  @typedef {object} Samples
 *  @property {SampleMethod} method
 *  @property {number[]} digits
 *  @property {[number, number][]} groups
 *  @property {Float32Array} latents
 *  @property {Uint32Array} components
 *  @property {Float32Array} images
 *  @property {number} decodeMs */
/** A gallery as shown (styleGallery): its samples' codes moved by the style sliders, their
 *  images and how long decoding them took.
 *  @typedef {{ codes: Float32Array, images: Float32Array, decodeMs: number }} Styled */

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
  /** @type {[number, number][]} */
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
    const sample = gen.sampleLatents(d, n, options);
    latents.set(sample.latents, at * latentDim);
    components.set(sample.components, at);
    at += n;
  }
  const start = performance.now();
  const images = gen.decode(latents);
  return { method, digits, groups, latents, components, images, decodeMs: performance.now() - start };
}

/** The codes of `samples` moved in style by `moves`, class by class (moveStyle keeps each sample's
 *  class), and their images; the samples themselves when there are no moves.
 *  @param {Generator} gen
 *  @param {number} latentDim
 *  @param {Samples} samples
 *  @param {MeasureValues} moves
 *  @returns {Styled} */
function styleGallery(gen, latentDim, samples, moves) {
  const { latents, groups } = samples;
  if (Object.keys(moves).length === 0) return { codes: latents, images: samples.images, decodeMs: samples.decodeMs };
  const codes = new Float32Array(latents.length);
  let at = 0;
  for (const [d, n] of groups) {
    const rows = latents.subarray(at * latentDim, (at + n) * latentDim);
    codes.set(gen.moveStyle(rows, d, moves), at * latentDim);
    at += n;
  }
  const start = performance.now();
  const images = gen.decode(codes);
  return { codes, images, decodeMs: performance.now() - start };
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
  const sliders = createStyleSliders($("gallery-style"), (moves) => update({ moves, pair: null }));
  /** @type {StyleAxis[]} */
  let axes = []; // the model's style measures, from setModel on
  /** @type {State | null} */
  let state = null;
  let key = "";
  /** @type {Samples | null} */
  let samples = null;
  let samplesKey = ""; // what the samples depend on (sampledKey)
  /** @type {Styled | null} */
  let styled = null; // the samples as shown, moved by the sliders
  /** @type {Float32Array | null} */
  let unmoved = null; // the samples' measures before any move, a row per sample, once measured
  /** @type {number | null} */
  let selected = null; // index of the first sample clicked for a morph

  digitSelect.addEventListener("change", () => {
    update({ digit: digitSelect.value === "all" ? null : Number(digitSelect.value), pair: null });
  });
  for (const input of methodInputs) {
    input.addEventListener("change", async () => {
      const method = /** @type {SampleMethod} */ (input.value);
      if (method === "flow" && !(await flowLoaded())) return;
      update({ method, spread: defaultSpread[method], pair: null });
    });
  }

  /** Loads the model's normalizing flow the first time it is chosen (the method buttons disabled
   *  meanwhile); resolves to whether the gallery can sample with it. If it cannot be loaded, the
   *  buttons show the method in use again and the message says why. */
  async function flowLoaded() {
    const loading = model;
    if (loading.gen.hasFlow) return true;
    for (const input of methodInputs) input.disabled = true;
    say(message, "Loading the normalizing flow…");
    try {
      await ensureFlow(loading);
      say(message, "");
      return loading === model; // not if the visitor switched models meanwhile
    } catch (error) {
      say(message, `The normalizing flow could not be loaded, so the gallery keeps its method (${/** @type {Error} */ (error).message}).`);
      for (const input of methodInputs) input.checked = input.value === state?.method;
      return false;
    } finally {
      for (const input of methodInputs) input.disabled = false;
    }
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
    drawSheet(sheet, /** @type {Styled} */ (styled).images, PER_ROW, { scale: 4, gap: 4 });
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
    return {
      gmm: `${sample} · component ${shown.components[index] + 1} of ${model.info.components[digit]}`,
      gaussian: `${sample} · single Gaussian`,
      flow: `${sample} · component ${shown.components[index] + 1} of ${model.info.components[digit]}, through the flow`,
    }[shown.method];
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
    drawDigit(canvas, /** @type {Styled} */ (styled).images, index);
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
    const { decodeMs } = /** @type {Styled} */ (styled);
    $("gallery-timing").textContent =
      `${count} ${model.words.items} decoded in ${formatMs(decodeMs)} (${formatMs(decodeMs / count)} each).`;
    performance.mark("gallery-drawn");
  }

  /** Measures the samples shown: each one's style goes into its button's name (its text
   *  alternative), and the gallery's mean style into the line under it, with, when the sliders moved
   *  it, how far each measure moved from the samples as drawn. */
  function showMeasured() {
    const shown = /** @type {Styled} */ (styled);
    const moved = shown.images !== /** @type {Samples} */ (samples).images;
    const measures = attempt(message, "The gallery could not be measured", () => {
      unmoved ??= model.gen.measure(/** @type {Samples} */ (samples).images);
      return moved ? model.gen.measure(shown.images) : unmoved;
    });
    if (measures) {
      for (const button of /** @type {NodeListOf<HTMLButtonElement>} */ (gallery.querySelectorAll("button.sample"))) {
        const index = Number(button.dataset.index);
        const row = measures.subarray(index * axes.length, (index + 1) * axes.length);
        button.setAttribute("aria-label", `${describe(index)}: ${describeStyle(axes, row, ", ")}`);
      }
    }
    const means = measures && meanMeasures(measures, axes.length);
    const before = unmoved && meanMeasures(unmoved, axes.length);
    $("gallery-measured").textContent = means && before
      ? `Measured on these ${model.words.items}, on average: ${axes.map((axis, i) => {
        const change = moved ? ` (${formatMeasure(axis, means[i] - before[i], { signed: true })})` : "";
        return `${axis.name} ${formatMeasure(axis, means[i])}${change}`;
      }).join(" · ")}${moved ? ", in brackets the change the sliders made" : ""}.`
      : "";
  }

  /** What a gallery's samples depend on.
   *  @param {State} settings */
  const sampledKey = ({ seed, method, spread, digit }) => [seed, method, spread, digit].join();

  /** The gallery of `next`: its samples (those shown when `next` samples the same) moved by its
   *  style moves.
   *  @param {State} next */
  function galleryOf(next) {
    const { gen, info } = model;
    const sampled = samples && sampledKey(next) === samplesKey ? samples : sampleGallery(gen, info.latentDim, next);
    return { sampled, styled: styleGallery(gen, info.latentDim, sampled, next.moves) };
  }

  /** Draws the gallery of `next` and returns the state shown: if the module refuses `next`, the
   *  last gallery stays, with its settings. Style moves of axes the model cannot move are dropped,
   *  and moves beyond their slider's ends clamped, with a note.
   *  @param {State} next
   *  @returns {State} */
  function render(next) {
    const { moves, dropped, clamped } = sliders.within(next.moves);
    const notes = [message.textContent]; // the link's other notes, if any
    if (dropped.length) notes.push(`The link's style moves of ${dropped.join(", ")} are not offered for the ${model.name}, so they were dropped.`);
    if (clamped.length) notes.push(`The link's style moves of ${clamped.join(", ")} are beyond their sliders' ends, so they were clamped.`);
    if (notes.length > 1) say(message, notes.filter(Boolean).join(" "));
    next = { ...next, moves };
    const nextKey = JSON.stringify([sampledKey(next), next.moves]);
    if (nextKey !== key) {
      const drawn = attempt(message, "The gallery could not be drawn", () => galleryOf(next));
      if (drawn) {
        key = nextKey;
        if (drawn.sampled !== samples) {
          samples = drawn.sampled;
          samplesKey = sampledKey(next);
          unmoved = null;
          selected = null;
        }
        styled = drawn.styled;
        drawGallery();
        showMeasured();
        select(selected);
      } else if (state) { // keep the last gallery and the settings that drew it
        next = { ...next, seed: state.seed, method: state.method, spread: state.spread, digit: state.digit, moves: state.moves };
      }
    }
    state = next;
    digitSelect.value = String(state.digit ?? "all");
    for (const input of methodInputs) input.checked = input.value === state.method;
    setSpread(state.spread);
    seedInput.value = String(state.seed);
    seedInput.setCustomValidity("");
    sliders.show(state.moves);
    /** @type {HTMLButtonElement} */ ($("download-gallery")).disabled = !styled;
    return state;
  }

  /** Shows `next`'s classes and style sliders from the next render on.
   *  @param {Model} next */
  function setModel(next) {
    model = next;
    key = samplesKey = ""; // the next render samples this model
    while (digitSelect.length > 1) digitSelect.remove(1); // all but "All, one row each"
    model.info.classNames.forEach((name, d) => digitSelect.add(new Option(`${name} only`, String(d))));
    axes = styleAxes(model.gen);
    sliders.setAxes(axes);
  }

  setModel(model);
  return {
    render,
    setModel,
    describe,
    /** The code of gallery sample `index` as shown (moved by the style sliders), or undefined when
     *  there is no such sample.
     *  @param {number} index */
    latent: (index) => {
      const { latentDim } = model.info;
      return styled && samples && index < samples.digits.length
        ? styled.codes.subarray(index * latentDim, (index + 1) * latentDim)
        : undefined;
    },
  };
}
