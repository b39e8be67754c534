// Explore: the PCA plane with live decoding, eigenvalues, basis vectors and sparse class means,
// each view also as a PNG.
import {
  DIGIT_COLORS, drawBars, drawDigit, drawScatter, drawSheet, enlarged, plotMapping, pointBounds, scatterImage,
} from "./canvas.js";
import {
  $, attempt, bindRange, capitalised, classButtons, downloadPng, nameButtons, say, showNames,
} from "./ui.js";
/** @import { Plot } from "./canvas.js" */
/** @import { Drawing } from "./draw.js" */
/** @import { Model } from "./models.js" */
/** @import { State } from "./state.js" */

/** What Generator.pca returns: the PCA spectrum, and the test codes' points on the plane of the
 *  first two components, interleaved (x, y), with their classes.
 *  @typedef {{ eigenvalues: Float32Array, points: Float32Array, labels: Uint8Array }} Pca */

const KEY_STEP = 0.02; // an arrow key moves the point by this share of the plot
const DOWNLOAD_SCALE = 4; // a downloaded sheet's pixels per image pixel

/** The section, showing `model` (models.js) until setModel(model) gives it another.
 *  `drawing.reading()` is the visitor's digit from Draw, marked on the plane.
 *  @param {Model} model
 *  @param {Drawing} drawing */
export function createExplore(model, drawing) {
  const message = $("explore-message");
  /** @type {HTMLCanvasElement} */
  const scatter = $("scatter");
  /** @type {NodeListOf<HTMLButtonElement>} */
  const presets = document.querySelectorAll("[data-show]");
  const [, ...pairButtons] = presets; // after "All"
  /** @type {Pca | null | undefined} */
  let pca = null;
  /** @type {number[]} */
  let bounds; // the plane's [xmin, xmax, ymin, ymax], set with pca
  /** @type {[number, number]} */
  let marker = [0, 0];
  let shown = new Set(DIGIT_COLORS.keys());

  const legend = classButtons($("legend"), (d) => {
    if (!shown.delete(d)) shown.add(d);
    drawPlane();
  });
  legend.forEach((button, d) => button.style.setProperty("--swatch", DIGIT_COLORS[d]));
  for (const preset of presets) {
    preset.addEventListener("click", () => {
      shown = new Set([.../** @type {string} */ (preset.dataset.show)].map(Number));
      drawPlane();
    });
  }

  /** @param {PointerEvent} event */
  const pick = (event) => {
    if (!pca) return;
    const px = Math.min(Math.max(event.offsetX, 0), scatter.clientWidth);
    const py = Math.min(Math.max(event.offsetY, 0), scatter.clientHeight);
    decodeAt(...plotMapping(scatter.clientWidth, scatter.clientHeight, bounds).toData(px, py));
  };
  scatter.addEventListener("pointerdown", (event) => {
    scatter.setPointerCapture(event.pointerId);
    pick(event);
  });
  scatter.addEventListener("pointermove", (event) => {
    if (event.buttons) pick(event);
  });
  // On a phone the decoded digit is below the plane: bring it into view after a tap or a drag.
  scatter.addEventListener("pointerup", () => $("pca-figure").scrollIntoView({ block: "nearest" }));
  scatter.addEventListener("keydown", (event) => {
    if (!pca) return;
    const dx = (bounds[1] - bounds[0]) * KEY_STEP;
    const dy = (bounds[3] - bounds[2]) * KEY_STEP;
    /** @type {Record<string, [number, number]>} */
    const moves = { ArrowLeft: [-dx, 0], ArrowRight: [dx, 0], ArrowUp: [0, dy], ArrowDown: [0, -dy] };
    if (!(event.key in moves)) return;
    event.preventDefault();
    decodeAt(marker[0] + moves[event.key][0], marker[1] + moves[event.key][1]);
  });
  const resizes = new ResizeObserver(() => {
    if (!pca) return;
    drawPlane();
    drawBars($("eigen"), pca.eigenvalues);
  });
  resizes.observe(scatter);
  resizes.observe($("eigen"));

  /** Draws the images `call` decodes on `canvas`, `cols` a row, unless the module refuses.
   *  @param {HTMLCanvasElement} canvas
   *  @param {number} cols
   *  @param {string} what
   *  @param {() => Float32Array} call */
  const drawDecoded = (canvas, cols, what, call) => {
    const images = attempt(message, `The ${what} could not be drawn`, call);
    if (images) drawSheet(canvas, images, cols, { gap: 1 });
  };
  /** @param {number} scale */
  const drawBasis = (scale) => drawDecoded($("basis"), 8, "basis vectors", () => model.gen.basisVectors(scale));
  /** @param {number} n */
  const drawSparse = (n) => drawDecoded($("sparse"), 10, "sparse means", () => model.gen.sparseMeans(n));
  /** @type {HTMLInputElement} */
  const basisScale = $("basis-scale");
  /** @type {HTMLInputElement} */
  const nonzeros = $("nonzeros");
  bindRange(basisScale, String, drawBasis);
  bindRange(nonzeros, String, drawSparse);
  $("download-scatter").addEventListener("click", () => downloadPng(scatterImage(plot()), `${model.filePrefix}pca-scatter.png`));
  $("download-basis").addEventListener("click", () => {
    downloadPng(enlarged($("basis"), DOWNLOAD_SCALE), `${model.filePrefix}basis-vectors-scale-${basisScale.value}.png`);
  });
  $("download-sparse").addEventListener("click", () => {
    downloadPng(enlarged($("sparse"), DOWNLOAD_SCALE), `${model.filePrefix}sparse-means-${nonzeros.value}-nonzero.png`);
  });

  /** What the plane shows, as drawScatter takes it (once there is one).
   *  @returns {Plot} */
  const plot = () => ({
    points: /** @type {Pca} */ (pca).points, labels: /** @type {Pca} */ (pca).labels,
    names: model.info.classNames, shown, bounds, marker,
    drawn: drawing.reading()?.point,
  });

  function drawPlane() {
    legend.forEach((button, d) => button.setAttribute("aria-pressed", String(shown.has(d))));
    if (pca) drawScatter(scatter, plot()); // none when the module refused it (render says so)
    const drawn = drawing.reading();
    const [x, y] = drawn?.point ?? [];
    say($("drawing-point"), drawn
      ? `◆ ${capitalised(model.words.drawn)}, read as ${model.info.classNames[drawn.digit]}: PC1 ${x.toFixed(2)}, PC2 ${y.toFixed(2)}`
      : "");
  }

  /** @param {number} x
   *  @param {number} y */
  function decodeAt(x, y) {
    const image = attempt(message, "This point could not be decoded", () => model.gen.decodePcaPoint(x, y));
    if (!image) return;
    marker = [x, y];
    drawDigit($("pca-decoded"), image);
    $("pca-point").textContent = `Most likely code at PC1 ${x.toFixed(2)}, PC2 ${y.toFixed(2)}`;
    drawPlane();
  }

  /** @param {State} state */
  function render(state) {
    if (state.section !== "explore") return state;
    if (pca) {
      drawPlane(); // the drawn digit may have changed
      return state;
    }
    pca = attempt(message, "The principal components could not be read", () => /** @type {Pca} */ (model.gen.pca()));
    /** @type {HTMLButtonElement} */ ($("download-scatter")).disabled = !pca;
    if (!pca) return state;
    bounds = pointBounds(pca.points);
    const total = pca.eigenvalues.reduce((sum, v) => sum + v, 0);
    const share = (100 * (pca.eigenvalues[0] + pca.eigenvalues[1])) / total;
    $("eigen-text").textContent =
      `The first two of ${pca.eigenvalues.length} principal components (highlighted) hold ${share.toFixed(0)}% of the variance.`;
    drawBars($("eigen"), pca.eigenvalues);
    decodeAt(...marker);
    drawBasis(Number(basisScale.value));
    drawSparse(Number(nonzeros.value));
    return state;
  }

  /** Shows `next`'s classes, and its plane and images from the next render in Explore on.
   *  @param {Model} next */
  function setModel(next) {
    model = next;
    pca = null; // read again by the next render in Explore
    marker = [0, 0];
    nonzeros.max = String(model.info.latentDim);
    const names = model.info.classNames;
    nameButtons(legend, names, (name) => `Show ${model.sample(name)}`);
    pairButtons.forEach((button, i) => {
      button.dataset.show = model.pairs[i].join("");
      button.textContent = model.pairs[i].map((d) => names[d]).join(" and ");
    });
    const [easy, hard] = pairButtons.map((button) => button.textContent);
    $("pairs-hint").textContent =
      `${model.words.compared} an easy pair (${easy}, far apart) with a hard one (${hard}, overlapping).`;
    showNames($("sparse-names"), names);
  }

  setModel(model);
  return { render, setModel };
}
