// Generate: a gallery of sampled images, one row per class or several rows of one class.
import { drawDigit, drawSheet } from "./canvas.js";
import { MAX_SEED, parseSeed, randomSeed } from "./state.js";
import { $, attempt, bindRange, downloadPng, formatMs, say } from "./ui.js";

const PER_ROW = 10;
const ONE_DIGIT_ROWS = 6;

/** How many samples the gallery of `digit` holds (null: a row of each digit). */
export const gallerySize = (digit) => PER_ROW * (digit === null ? 10 : ONE_DIGIT_ROWS);

/** Latents, mixture components and decoded images of the gallery, in row order. */
function sampleGallery(gen, latentDim, { seed, method, spread, digit }) {
  const groups = digit === null
    ? Array.from({ length: 10 }, (_, d) => [d, PER_ROW])
    : [[digit, PER_ROW * ONE_DIGIT_ROWS]];
  const options = { method, spread, seed };
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
  return { method, digits, latents, components, images, decodeMs: performance.now() - start };
}

/** The section, showing `model` (models.js) until setModel(model) gives it another. */
export function createGenerate(model, update) {
  const { defaultSpread } = model.info; // the module's, the same for every model
  const message = $("generate-message");
  const gallery = $("gallery");
  const digitSelect = $("digit");
  const seedInput = $("seed");
  const methodInputs = [...document.querySelectorAll('input[name="method"]')];
  let state = null;
  let key = "";
  let samples = null;
  let selected = null; // index of the first sample clicked for a morph

  digitSelect.addEventListener("change", () => {
    update({ digit: digitSelect.value === "all" ? null : Number(digitSelect.value), pair: null });
  });
  for (const input of methodInputs) {
    input.addEventListener("change", () => {
      update({ method: input.value, spread: defaultSpread[input.value], pair: null });
    });
  }
  $("spread-marks").replaceChildren(...Object.values(defaultSpread).map((spread) => new Option("", spread)));
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
    drawSheet(sheet, samples.images, PER_ROW, { scale: 4, gap: 4 });
    downloadPng(sheet, `${model.name}-seed-${state.seed}.png`);
  });
  gallery.addEventListener("click", (event) => {
    const button = event.target.closest("button.sample");
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

  function select(index) {
    selected = index;
    for (const button of gallery.querySelectorAll("button.sample")) {
      button.setAttribute("aria-pressed", Number(button.dataset.index) === index);
    }
  }

  function describe(index) {
    const digit = samples.digits[index];
    const sample = model.sample(model.info.classNames[digit]);
    return samples.method === "gmm"
      ? `${sample} · component ${samples.components[index] + 1} of ${model.info.components[digit]}`
      : `${sample} · single Gaussian`;
  }

  function sampleButton(index) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sample";
    button.dataset.index = index;
    button.dataset.tip = describe(index);
    button.setAttribute("aria-label", describe(index));
    button.setAttribute("aria-pressed", "false");
    const canvas = document.createElement("canvas");
    canvas.className = "digit";
    drawDigit(canvas, samples.images, index);
    button.append(canvas);
    return button;
  }

  function drawGallery() {
    const count = samples.digits.length;
    const rows = [];
    for (let start = 0; start < count; start += PER_ROW) {
      const row = document.createElement("div");
      row.className = "gallery-row";
      const label = document.createElement("span");
      label.className = "row-label";
      label.setAttribute("aria-hidden", "true");
      label.textContent = model.info.classNames[samples.digits[start]];
      row.append(label);
      for (let i = start; i < start + PER_ROW; i++) row.append(sampleButton(i));
      rows.push(row);
    }
    gallery.replaceChildren(...rows);
    $("gallery-timing").textContent =
      `${count} ${model.words.items} decoded in ${formatMs(samples.decodeMs)} (${formatMs(samples.decodeMs / count)} each).`;
    performance.mark("gallery-drawn");
  }

  /** Draws the gallery of `next` and returns the state shown: if the module refuses `next`, the
   *  last gallery stays, with its settings. */
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
    digitSelect.value = state.digit ?? "all";
    for (const input of methodInputs) input.checked = input.value === state.method;
    setSpread(state.spread);
    seedInput.value = state.seed;
    seedInput.setCustomValidity("");
    $("download-gallery").disabled = !samples;
    return state;
  }

  /** Shows `next`'s classes from the next render on. */
  function setModel(next) {
    model = next;
    key = ""; // the next render samples this model
    while (digitSelect.length > 1) digitSelect.remove(1); // all but "All, one row each"
    model.info.classNames.forEach((name, d) => digitSelect.add(new Option(`${name} only`, d)));
  }

  setModel(model);
  return {
    render,
    setModel,
    describe,
    /** The latent of gallery sample `index`, or undefined when there is no such sample. */
    latent: (index) => {
      const { latentDim } = model.info;
      return samples && index < samples.digits.length
        ? samples.latents.subarray(index * latentDim, (index + 1) * latentDim)
        : undefined;
    },
  };
}
