// Explore: the PCA plane with live decoding, or any two measures of style (and principal
// components) of generated samples, each shown when pointed at; eigenvalues, basis vectors and
// sparse class means, each view also as a PNG.
import {
  CLASS_MARKS, DIGIT_COLORS, PIXELS, drawBars, drawDigit, drawScatter, drawSheet, enlarged, plotMapping, pointBounds,
  scatterImage,
} from "./canvas.js";
import { axisTitle, describeStyle, formatMeasure, imageTexts, sheetText, styleAxes } from "./style-sliders.js";
import {
  $, attempt, bindRange, capitalised, classButtons, downloadPng, nameButtons, say, showNames,
} from "./ui.js";
/** @import { Plot, Point } from "./canvas.js" */
/** @import { Drawing } from "./draw.js" */
/** @import { Model } from "./models.js" */
/** @import { Generator, Pca, StyleAxis } from "./pkg/latent_digits.js" */
/** @import { State } from "./state.js" */

/** Generated samples, measured (measureSamples): their classes, images, style measures (a row of
 *  one per style axis each) and points on the PCA plane (interleaved x, y).
 *  @typedef {{ labels: Uint8Array, images: Float32Array, measures: Float32Array, plane: Float32Array }} Measured */
/** What the scatter shows: interleaved (x, y) points, their classes, and the plot's
 *  [xmin, xmax, ymin, ymax].
 *  @typedef {{ points: Float32Array, labels: Uint8Array, bounds: number[] }} View */

const KEY_STEP = 0.02; // an arrow key moves the point by this share of the plot
const DOWNLOAD_SCALE = 4; // a downloaded sheet's pixels per image pixel
const MEASURED_PER_CLASS = 150; // generated samples per class on a scatter of measures
const MEASURED_SEED = 1;
/** The axis choices of the principal components, by their value in the axis selects. */
const PCS = { pc1: "PC 1", pc2: "PC 2" };
const SVG = "http://www.w3.org/2000/svg";

/** Class `c`'s mark on the scatter (canvas.js's CLASS_MARKS) as an icon for its legend button,
 *  filled with the button's --swatch colour (style.css).
 *  @param {number} c */
function markIcon(c) {
  const icon = document.createElementNS(SVG, "svg");
  icon.setAttribute("viewBox", "-1.25 -1.25 2.5 2.5");
  icon.setAttribute("aria-hidden", "true");
  icon.classList.add("mark");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", CLASS_MARKS[c]);
  icon.append(path);
  return icon;
}

/** `MEASURED_PER_CLASS` mixture samples of each class, decoded and measured.
 *  @param {Generator} gen
 *  @param {number} classes
 *  @param {number} latentDim
 *  @returns {Measured} */
function measureSamples(gen, classes, latentDim) {
  const latents = new Float32Array(classes * MEASURED_PER_CLASS * latentDim);
  const labels = new Uint8Array(classes * MEASURED_PER_CLASS);
  for (let c = 0; c < classes; c++) {
    const sample = /** @type {{ latents: Float32Array }} */ (gen.sampleLatents(c, MEASURED_PER_CLASS, { seed: MEASURED_SEED }));
    latents.set(sample.latents, c * MEASURED_PER_CLASS * latentDim);
    labels.fill(c, c * MEASURED_PER_CLASS, (c + 1) * MEASURED_PER_CLASS);
  }
  const images = gen.decode(latents);
  return { labels, images, measures: gen.measure(images), plane: gen.project(latents) };
}

/** The section, showing `model` (models.js) until setModel(model) gives it another.
 *  `drawing.reading()` is the visitor's digit from Draw, marked on the plot.
 *  @param {Model} model
 *  @param {Drawing} drawing */
export function createExplore(model, drawing) {
  const message = $("explore-message");
  /** @type {HTMLCanvasElement} */
  const scatter = $("scatter");
  /** @type {HTMLSelectElement} */
  const xSelect = $("plot-x");
  /** @type {HTMLSelectElement} */
  const ySelect = $("plot-y");
  /** @type {NodeListOf<HTMLButtonElement>} */
  const presets = document.querySelectorAll("[data-show]");
  const [, ...pairButtons] = presets; // after "All"
  /** @type {Pca | null | undefined} */
  let pca = null;
  /** @type {StyleAxis[]} */
  let axes = []; // the model's style measures, from setModel on
  /** @type {Measured | null | undefined} */
  let measured = null; // the generated samples, once a scatter of measures needs them
  /** @type {View | null} */
  let view = null; // set with pca, and again when the axes change
  /** @type {[number, number]} */
  let marker = [0, 0]; // on the PCA plane, the point decoded
  /** @type {[number, number] | null} */
  let cursor = null; // on a scatter of measures, the point asked for (null: the middle)
  /** @type {number | null} */
  let picked = null; // on a scatter of measures, the sample nearest the cursor
  let shown = new Set(DIGIT_COLORS.keys());

  const onPlane = () => xSelect.value === "pc1" && ySelect.value === "pc2";

  /** The value on axis `choice` (a select's value) of a sample or drawing whose point on the PCA
   *  plane is `plane` and whose measures are `measures`.
   *  @param {string} choice
   *  @param {ArrayLike<number>} plane
   *  @param {ArrayLike<number>} measures */
  const valueOn = (choice, plane, measures) => (choice in PCS
    ? plane[choice === "pc1" ? 0 : 1]
    : measures[axes.findIndex((axis) => axis.name === choice)]);
  /** @param {string} choice */
  const measureOf = (choice) => /** @type {StyleAxis} */ (axes.find((axis) => axis.name === choice));
  /** Axis `choice`'s name with its unit: "PC 1", "slant (°)".
   *  @param {string} choice */
  const titleOf = (choice) => (choice in PCS ? PCS[/** @type {keyof PCS} */ (choice)] : axisTitle(measureOf(choice)));
  /** `value` on axis `choice`, in words: "PC1 0.53", "slant 12°".
   *  @param {string} choice
   *  @param {number} value */
  const valueText = (choice, value) => (choice in PCS
    ? `${choice.toUpperCase()} ${value.toFixed(2)}`
    : `${choice} ${formatMeasure(measureOf(choice), value)}`);
  /** The value at the end of axis `choice`, with its unit.
   *  @param {string} choice
   *  @param {number} value */
  const boundText = (choice, value) => (choice in PCS ? value.toFixed(1) : formatMeasure(measureOf(choice), value));

  const legend = classButtons($("legend"), (d) => {
    if (!shown.delete(d)) shown.add(d);
    redraw();
  });
  legend.forEach((button, d) => button.style.setProperty("--swatch", DIGIT_COLORS[d]));
  for (const preset of presets) {
    preset.addEventListener("click", () => {
      shown = new Set([.../** @type {string} */ (preset.dataset.show)].map(Number));
      redraw();
    });
  }
  for (const select of [xSelect, ySelect]) select.addEventListener("change", showAxes);

  /** The plot's point (data coordinates) under a pointer event.
   *  @param {PointerEvent} event */
  const pointed = (event) => {
    const px = Math.min(Math.max(event.offsetX, 0), scatter.clientWidth);
    const py = Math.min(Math.max(event.offsetY, 0), scatter.clientHeight);
    return plotMapping(scatter.clientWidth, scatter.clientHeight, /** @type {View} */ (view).bounds).toData(px, py);
  };
  /** Shows what is at the plot's point (x, y): the most likely code there on the PCA plane, else
   *  the nearest sample shown.
   *  @param {number} x
   *  @param {number} y */
  const showAt = (x, y) => (onPlane() ? decodeAt(x, y) : pickNear(x, y));
  scatter.addEventListener("pointerdown", (event) => {
    if (!view) return;
    scatter.setPointerCapture(event.pointerId);
    showAt(...pointed(event));
  });
  scatter.addEventListener("pointermove", (event) => {
    // A drag moves the point; on a scatter of samples, so does a mouse passing over it.
    if (view && (event.buttons || (!onPlane() && event.pointerType === "mouse"))) showAt(...pointed(event));
  });
  // On a phone the decoded digit is below the plane: bring it into view after a tap or a drag.
  scatter.addEventListener("pointerup", () => $("pca-figure").scrollIntoView({ block: "nearest" }));
  scatter.addEventListener("keydown", (event) => {
    if (!view) return;
    const { bounds } = view;
    const dx = (bounds[1] - bounds[0]) * KEY_STEP;
    const dy = (bounds[3] - bounds[2]) * KEY_STEP;
    /** @type {Record<string, [number, number]>} */
    const moves = { ArrowLeft: [-dx, 0], ArrowRight: [dx, 0], ArrowUp: [0, dy], ArrowDown: [0, -dy] };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const [x, y] = onPlane() ? marker : cursor ?? middle(bounds);
    showAt(x + moves[event.key][0], y + moves[event.key][1]);
  });
  const resizes = new ResizeObserver(() => {
    if (!pca) return;
    redraw();
    drawBars($("eigen"), pca.eigenvalues);
  });
  resizes.observe(scatter);
  resizes.observe($("eigen"));

  /** Draws the images `call` decodes on `canvas`, `cols` a row, unless the module refuses; its text
   *  alternative is `title`, then each image's name (`name(i)`) and measured style.
   *  @param {HTMLCanvasElement} canvas
   *  @param {number} cols
   *  @param {string} what
   *  @param {() => Float32Array} call
   *  @param {string} title
   *  @param {(i: number) => string} name */
  const drawDecoded = (canvas, cols, what, call, title, name) => {
    const images = attempt(message, `The ${what} could not be drawn`, call);
    if (!images) return;
    drawSheet(canvas, images, cols, { gap: 1 });
    canvas.setAttribute("aria-label", sheetText(model.gen, title, images, Array.from({ length: images.length / PIXELS }, (_, i) => name(i))));
  };
  /** @param {number} scale */
  const drawBasis = (scale) => drawDecoded($("basis"), 8, "basis vectors", () => model.gen.basisVectors(scale),
    `Decoded basis vectors, one per latent axis, at scale ${scale}`, (i) => `axis ${i + 1}`);
  /** @param {number} n */
  const drawSparse = (n) => drawDecoded($("sparse"), 10, "sparse means", () => model.gen.sparseMeans(n),
    `Sparse class means, ${n} non-zero entries each`, (c) => model.info.classNames[c]);
  /** @type {HTMLInputElement} */
  const basisScale = $("basis-scale");
  /** @type {HTMLInputElement} */
  const nonzeros = $("nonzeros");
  bindRange(basisScale, String, drawBasis);
  bindRange(nonzeros, String, drawSparse);
  $("download-scatter").addEventListener("click", () => {
    const name = onPlane() ? "pca-scatter" : `scatter-${xSelect.value}-${ySelect.value}`;
    downloadPng(scatterImage(plot()), `${model.filePrefix}${name}.png`);
  });
  $("download-basis").addEventListener("click", () => {
    downloadPng(enlarged($("basis"), DOWNLOAD_SCALE), `${model.filePrefix}basis-vectors-scale-${basisScale.value}.png`);
  });
  $("download-sparse").addEventListener("click", () => {
    downloadPng(enlarged($("sparse"), DOWNLOAD_SCALE), `${model.filePrefix}sparse-means-${nonzeros.value}-nonzero.png`);
  });

  /** The middle of a plot's bounds.
   *  @param {number[]} bounds
   *  @returns {[number, number]} */
  const middle = ([xmin, xmax, ymin, ymax]) => [(xmin + xmax) / 2, (ymin + ymax) / 2];

  /** Sample `i`'s point on the scatter of measures (there is one).
   *  @param {number} i
   *  @returns {[number, number]} */
  const samplePoint = (i) => {
    const { points } = /** @type {View} */ (view);
    return [points[2 * i], points[2 * i + 1]];
  };

  /** The drawn digit's point on the plot, if there is a drawn digit. */
  function drawnPoint() {
    const reading = drawing.reading();
    if (!reading) return undefined;
    return onPlane() ? reading.point : [xSelect, ySelect].map(({ value }) => valueOn(value, reading.point, reading.measured));
  }

  /** What the plot shows, as drawScatter takes it (once there is a view).
   *  @returns {Plot} */
  function plot() {
    const { points, labels, bounds } = /** @type {View} */ (view);
    /** @type {Point} */
    const ring = onPlane() ? marker : picked !== null ? samplePoint(picked) : cursor ?? middle(bounds);
    return {
      points, labels, bounds, shown, marker: ring, drawn: drawnPoint(),
      names: model.info.classNames,
      axes: `x: ${titleOf(xSelect.value)}, y: ${titleOf(ySelect.value)}`,
    };
  }

  /** Draws the plot and says where the drawn digit is on it. */
  function redraw() {
    legend.forEach((button, d) => button.setAttribute("aria-pressed", String(shown.has(d))));
    if (view) drawScatter(scatter, plot()); // none when the module refused it (render says so)
    const reading = drawing.reading();
    const where = drawnPoint();
    say($("drawing-point"), reading && where
      ? `◆ ${capitalised(model.words.drawn)}, read as ${model.info.classNames[reading.digit]}: ` +
        `${valueText(xSelect.value, where[0])}, ${valueText(ySelect.value, where[1])}`
      : "");
  }

  /** @param {number} x
   *  @param {number} y */
  function decodeAt(x, y) {
    const image = attempt(message, "This point could not be decoded", () => model.gen.decodePcaPoint(x, y));
    if (!image) return;
    marker = [x, y];
    drawDigit($("pca-decoded"), image);
    const where = `PC1 ${x.toFixed(2)}, PC2 ${y.toFixed(2)}`;
    $("pca-point").textContent = `Most likely code at ${where}`;
    $("pca-decoded").setAttribute("aria-label", imageTexts(model.gen, image, [`The most likely code at ${where}, decoded`])[0]);
    redraw();
  }

  /** Shows the sample shown nearest the plot's point (x, y), as far as the plot goes across and up.
   *  @param {number} x
   *  @param {number} y */
  function pickNear(x, y) {
    const { points, labels, bounds } = /** @type {View} */ (view);
    const [width, height] = [bounds[1] - bounds[0], bounds[3] - bounds[2]];
    cursor = [x, y];
    let nearest = Infinity;
    picked = null;
    for (let i = 0; i < labels.length; i++) {
      if (!shown.has(labels[i])) continue;
      const distance = ((points[2 * i] - x) / width) ** 2 + ((points[2 * i + 1] - y) / height) ** 2;
      if (distance < nearest) [nearest, picked] = [distance, i];
    }
    if (picked !== null) {
      const samples = /** @type {Measured} */ (measured);
      drawDigit($("pca-decoded"), samples.images, picked);
      const [px, py] = samplePoint(picked);
      const name = `Generated ${model.sample(model.info.classNames[samples.labels[picked]])}`;
      $("pca-point").textContent = `${name}: ${valueText(xSelect.value, px)}, ${valueText(ySelect.value, py)}`;
      const row = samples.measures.subarray(picked * axes.length, (picked + 1) * axes.length);
      $("pca-decoded").setAttribute("aria-label", `${name}: ${describeStyle(axes, row, ", ")}`);
    }
    redraw();
  }

  /** The generated samples' points on the axes chosen, measuring them the first time; undefined
   *  if the module refuses (it says why). */
  function samplePoints() {
    const { gen, info } = model;
    measured ??= attempt(message, `The generated ${model.words.items} could not be measured`,
      () => measureSamples(gen, info.classNames.length, info.latentDim));
    if (!measured) return undefined;
    const { labels, plane, measures } = measured;
    const points = new Float32Array(2 * labels.length);
    for (let i = 0; i < labels.length; i++) {
      const point = plane.subarray(2 * i, 2 * i + 2);
      const row = measures.subarray(i * axes.length, (i + 1) * axes.length);
      points[2 * i] = valueOn(xSelect.value, point, row);
      points[2 * i + 1] = valueOn(ySelect.value, point, row);
    }
    return points;
  }

  /** Shows the two axes chosen: the test codes on the PCA plane, or the generated samples by any
   *  two measures or components, with each axis's name, unit and ends. If the module refuses to
   *  measure the samples, goes back to the plane. */
  function showAxes() {
    if (!pca) return; // render shows them once there is a plane
    const points = onPlane() ? pca.points : samplePoints();
    if (!points) {
      [xSelect.value, ySelect.value] = ["pc1", "pc2"];
      showAxes();
      return;
    }
    view = { points, labels: onPlane() ? pca.labels : /** @type {Measured} */ (measured).labels, bounds: pointBounds(points) };
    const { bounds } = view;
    // The labels first: they take room from the plot, which is then drawn at its size.
    for (const [label, choice, low, high] of /** @type {const} */ ([
      ["axis-x", xSelect.value, bounds[0], bounds[1]], ["axis-y", ySelect.value, bounds[2], bounds[3]]])) {
      $(label).replaceChildren(...[boundText(choice, low), titleOf(choice), boundText(choice, high)]
        .map((text) => Object.assign(document.createElement("span"), { textContent: text })));
    }
    const [x, y] = [titleOf(xSelect.value), titleOf(ySelect.value)];
    scatter.setAttribute("aria-label", onPlane()
      ? "PCA scatter of the test codes; click, tap, drag or use arrow keys to decode the most likely code at a point"
      : `Scatter of ${MEASURED_PER_CLASS} generated ${model.words.items} per ${model.words.class} by ${x} and ${y}; ` +
        "point at one, click, tap, drag or use arrow keys to show the nearest");
    if (onPlane()) decodeAt(...marker);
    else pickNear(...(picked !== null ? samplePoint(picked) : middle(bounds))); // the same sample, if one was shown
  }

  /** @param {State} state */
  function render(state) {
    if (state.section !== "explore") return state;
    if (pca) {
      redraw(); // the drawn digit may have changed
      return state;
    }
    pca = attempt(message, "The principal components could not be read", () => model.gen.pca());
    /** @type {HTMLButtonElement} */ ($("download-scatter")).disabled = !pca;
    if (!pca) return state;
    const total = pca.eigenvalues.reduce((sum, v) => sum + v, 0);
    const share = (100 * (pca.eigenvalues[0] + pca.eigenvalues[1])) / total;
    $("eigen-text").textContent =
      `The first two of ${pca.eigenvalues.length} principal components (highlighted) hold ${share.toFixed(0)}% of the variance.`;
    drawBars($("eigen"), pca.eigenvalues);
    showAxes();
    drawBasis(Number(basisScale.value));
    drawSparse(Number(nonzeros.value));
    return state;
  }

  /** Shows `next`'s classes and measures, and its plot and images from the next render in Explore
   *  on; the axes chosen stay where `next` measures them too.
   *  @param {Model} next */
  function setModel(next) {
    model = next;
    pca = measured = view = picked = cursor = null; // read again by the next render in Explore
    marker = [0, 0];
    nonzeros.max = String(model.info.latentDim);
    const names = model.info.classNames;
    nameButtons(legend, names, (name) => `Show ${model.sample(name)}`);
    legend.forEach((button, c) => button.prepend(markIcon(c)));
    pairButtons.forEach((button, i) => {
      button.dataset.show = model.pairs[i].join("");
      button.textContent = model.pairs[i].map((d) => names[d]).join(" and ");
    });
    const [easy, hard] = pairButtons.map((button) => button.textContent);
    $("pairs-hint").textContent =
      `${model.words.compared} an easy pair (${easy}, far apart) with a hard one (${hard}, overlapping).`;
    showNames($("sparse-names"), names);
    axes = styleAxes(model.gen);
    for (const [select, fallback] of /** @type {const} */ ([[xSelect, "pc1"], [ySelect, "pc2"]])) {
      const chosen = select.value;
      select.replaceChildren(...Object.entries(PCS).map(([value, title]) => new Option(title, value)),
        ...axes.map((axis) => new Option(axisTitle(axis), axis.name)));
      select.value = [...select.options].some((option) => option.value === chosen) ? chosen : fallback;
    }
  }

  setModel(model);
  return { render, setModel };
}
