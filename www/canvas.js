// Canvas drawing. Images are row-major 28×28 Float32Arrays in [0, 1], stacked one after another;
// they are drawn pixel for pixel and scaled up by CSS (image-rendering: pixelated) or by `scale`.

export const SIDE = 28;
export const PIXELS = SIDE * SIDE;
// Tableau 10: distinguishable on a dark background.
export const DIGIT_COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
  "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
const GAP_GREY = 64;
const DIAMOND = 9; // half the diagonal of the drawn digit's marker, CSS pixels
const MARK_RADIUS = 4; // a scatter point's mark, CSS pixels from its centre
// The legend under a downloaded scatter: each class's mark in its colour, named, in lines as wide
// as the plot.
const LEGEND = { height: 44, swatch: 16, font: "16px system-ui, sans-serif", text: "#e6e8eb", line: "#343a42" };

/** An SVG path of the polygon through `points` ([x, y] each), closed.
 *  @param {number[][]} points */
const polygon = (points) => `M${points.map(([x, y]) => `${+x.toFixed(3)} ${+y.toFixed(3)}`).join("L")}Z`;
/** `points` turned by `degrees` about the centre.
 *  @param {number[][]} points
 *  @param {number} degrees */
const turned = (points, degrees) => {
  const [cos, sin] = [Math.cos((degrees * Math.PI) / 180), Math.sin((degrees * Math.PI) / 180)];
  return points.map(([x, y]) => [x * cos - y * sin, x * sin + y * cos]);
};
/** A circle of radius `r`, clockwise, or anticlockwise (a hole in a shape drawn clockwise).
 *  @param {number} r */
const circle = (r, hole = false) => `M${r} 0A${r} ${r} 0 1 ${hole ? 0 : 1} ${-r} 0A${r} ${r} 0 1 ${hole ? 0 : 1} ${r} 0Z`;
/** A square of half-side `h`, clockwise or anticlockwise.
 *  @param {number} h */
const square = (h, hole = false) => polygon(hole ? [[-h, -h], [-h, h], [h, h], [h, -h]] : [[-h, -h], [h, -h], [h, h], [-h, h]]);
const PLUS = [[-0.35, -1.1], [0.35, -1.1], [0.35, -0.35], [1.1, -0.35], [1.1, 0.35], [0.35, 0.35], [0.35, 1.1],
  [-0.35, 1.1], [-0.35, 0.35], [-1.1, 0.35], [-1.1, -0.35], [-0.35, -0.35]];
const STAR = Array.from({ length: 10 }, (_, i) => turned([[0, i % 2 ? -0.5 : -1.2]], 36 * i)[0]);
/** Each class's mark, so that classes differ without their colours (in greyscale, or to a visitor
 *  who does not tell the colours apart): an SVG path in a box from −1.25 to 1.25 about the point,
 *  filled by the nonzero rule (holes wound the other way). drawScatter draws it at each point,
 *  scatterImage in its legend, explore.js in the legend's buttons. */
export const CLASS_MARKS = [
  circle(1),
  square(0.85),
  polygon([[0, -1.15], [1.1, 0.8], [-1.1, 0.8]]), // a triangle pointing up …
  polygon([[0, 1.15], [-1.1, -0.8], [1.1, -0.8]]), // … and one pointing down
  polygon([[0, -1.2], [1.2, 0], [0, 1.2], [-1.2, 0]]), // a diamond
  polygon(PLUS),
  polygon(turned(PLUS, 45)), // a cross
  polygon(STAR),
  circle(1.1) + circle(0.5, true), // a ring
  square(1) + square(0.45, true), // a hollow square
];

/** A point on the plot, data coordinates [x, y].
 *  @typedef {ArrayLike<number>} Point */
/** What a scatter shows (drawScatter): interleaved (x, y) `points` and their class `labels`, the
 *  class `names`, the classes `shown`, `bounds` ([xmin, xmax, ymin, ymax]), the `marker`, the
 *  drawn image's point, if any, and what the axes are, in words ("x: PC1, y: PC2": a downloaded
 *  scatter's legend ends with it).
 *  @typedef {object} Plot
 *  @property {Float32Array} points
 *  @property {Uint8Array} labels
 *  @property {string[]} names
 *  @property {Set<number>} shown
 *  @property {number[]} bounds
 *  @property {Point} marker
 *  @property {Point | undefined} [drawn]
 *  @property {string} axes */

/** Draws image `index` of a stack on a 28×28 canvas.
 *  @param {HTMLCanvasElement} canvas
 *  @param {Float32Array} images */
export function drawDigit(canvas, images, index = 0) {
  drawSheet(canvas, images.subarray(index * PIXELS, (index + 1) * PIXELS), 1);
}

/** Draws a stack of images in rows of `cols`, each pixel `scale`×`scale`, `gap` grey pixels apart.
 *  @param {HTMLCanvasElement} canvas
 *  @param {Float32Array} images
 *  @param {number} cols
 *  @param {{ scale?: number, gap?: number }} [options] */
export function drawSheet(canvas, images, cols, { scale = 1, gap = 0 } = {}) {
  const count = images.length / PIXELS;
  const cell = SIDE * scale + gap;
  const width = Math.min(count, cols) * cell - gap;
  const height = Math.ceil(count / cols) * cell - gap;
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const sheet = new ImageData(width, height);
  const data = sheet.data;
  for (let o = 0; o < data.length; o += 4) {
    data[o] = data[o + 1] = data[o + 2] = GAP_GREY;
    data[o + 3] = 255;
  }
  for (let i = 0; i < count; i++) {
    const x0 = (i % cols) * cell;
    const y0 = Math.floor(i / cols) * cell;
    for (let y = 0; y < SIDE * scale; y++) {
      const row = i * PIXELS + Math.floor(y / scale) * SIDE;
      for (let x = 0; x < SIDE * scale; x++) {
        const v = Math.round(255 * Math.min(1, Math.max(0, images[row + Math.floor(x / scale)])));
        const o = 4 * ((y0 + y) * width + x0 + x);
        data[o] = data[o + 1] = data[o + 2] = v;
      }
    }
  }
  /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d")).putImageData(sheet, 0, 0);
}

/** Sizes a canvas's backing store to its CSS box at the device's pixel ratio; returns its context.
 *  @param {HTMLCanvasElement} canvas */
function fitToBox(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.round(canvas.clientWidth * ratio);
  const height = Math.round(canvas.clientHeight * ratio);
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

/** A copy of `canvas` with each pixel `scale`×`scale`, hard-edged, for a download.
 *  @param {HTMLCanvasElement} canvas
 *  @param {number} scale */
export function enlarged(canvas, scale) {
  const big = document.createElement("canvas");
  big.width = canvas.width * scale;
  big.height = canvas.height * scale;
  const ctx = /** @type {CanvasRenderingContext2D} */ (big.getContext("2d"));
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(canvas, 0, 0, big.width, big.height);
  return big;
}

/** Maps data coordinates to pixels of a `w`×`h` plot and back, with `bounds` = [xmin, xmax, ymin, ymax].
 *  @param {number} w
 *  @param {number} h
 *  @param {number[]} bounds */
export function plotMapping(w, h, [xmin, xmax, ymin, ymax]) {
  /** @typedef {(x: number, y: number) => [number, number]} Mapping */
  return {
    /** @type {Mapping} */
    toPixel: (x, y) => [((x - xmin) / (xmax - xmin)) * w, ((ymax - y) / (ymax - ymin)) * h],
    /** @type {Mapping} */
    toData: (px, py) => [xmin + (px / w) * (xmax - xmin), ymax - (py / h) * (ymax - ymin)],
  };
}

/** [xmin, xmax, ymin, ymax] around interleaved (x, y) points: the 1st to 99th percentile of each
 *  axis, widened by `margin` on both sides, so that a few outliers do not squeeze the rest.
 *  @param {Float32Array} points
 *  @returns {number[]} */
export function pointBounds(points, margin = 0.15) {
  return [0, 1].flatMap((axis) => {
    const values = points.filter((_, i) => i % 2 === axis).sort();
    const low = values[Math.floor(values.length * 0.01)];
    const high = values[Math.ceil(values.length * 0.99) - 1];
    return [low - (high - low) * margin, high + (high - low) * margin];
  });
}

/** Scatter of points, each its class's mark in its class's colour (only classes in `shown`), with a
 *  ring at `marker` and, when `drawn` is given, a white diamond there (kept inside the plot),
 *  filling a canvas's CSS box.
 *  @param {HTMLCanvasElement} canvas
 *  @param {Plot} plot */
export function drawScatter(canvas, plot) {
  const ctx = fitToBox(canvas);
  ctx.clearRect(0, 0, canvas.clientWidth, canvas.clientHeight);
  paintScatter(ctx, canvas.clientWidth, canvas.clientHeight, plot);
}

/** The scatter of drawScatter as an image to download: `side`×`side` pixels on black, with a
 *  legend under it that names the mark and colour of each class shown (`plot.names`).
 *  @param {Plot} plot */
export function scatterImage(plot, side = 720) {
  const canvas = document.createElement("canvas");
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
  // Where each entry goes: [class, x, line], a new line when the next would not fit.
  ctx.font = LEGEND.font;
  /** @param {number} c */
  const entryWidth = (c) => 2.5 * LEGEND.swatch + ctx.measureText(plot.names[c]).width;
  /** @type {[number, number, number][]} */
  const entries = [];
  let [x, line] = [LEGEND.swatch, 0];
  for (const c of [...plot.shown].sort()) {
    if (x > LEGEND.swatch && x + entryWidth(c) > side) [x, line] = [LEGEND.swatch, line + 1];
    entries.push([c, x, line]);
    x += entryWidth(c);
  }
  const lines = line + (x + ctx.measureText(plot.axes).width + LEGEND.swatch > side ? 2 : 1);
  canvas.width = side;
  canvas.height = side + lines * LEGEND.height;
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  paintScatter(ctx, side, side, plot);
  ctx.fillStyle = LEGEND.line;
  ctx.fillRect(0, side, side, 1);
  /** @param {number} n */
  const middle = (n) => side + (n + 0.5) * LEGEND.height;
  Object.assign(ctx, { font: LEGEND.font, textBaseline: "middle" });
  for (const [c, at, n] of entries) {
    ctx.fillStyle = DIGIT_COLORS[c];
    ctx.fill(markAt(c, at + LEGEND.swatch / 2, middle(n), LEGEND.swatch / 2));
    ctx.fillStyle = LEGEND.text;
    ctx.fillText(plot.names[c], at + 1.5 * LEGEND.swatch, middle(n));
  }
  ctx.textAlign = "right";
  ctx.fillText(plot.axes, side - LEGEND.swatch, middle(lines - 1));
  return canvas;
}

/** @type {Path2D[] | undefined} */
let markPaths; // CLASS_MARKS parsed, once needed

/** Class `c`'s mark (CLASS_MARKS) centred at (x, y), `radius` pixels to its box's middle.
 *  @param {number} c
 *  @param {number} x
 *  @param {number} y
 *  @param {number} radius */
function markAt(c, x, y, radius) {
  markPaths ??= CLASS_MARKS.map((mark) => new Path2D(mark));
  const path = new Path2D();
  path.addPath(markPaths[c], new DOMMatrix([radius, 0, 0, radius, x, y]));
  return path;
}

/** Paints the scatter of drawScatter in a `width`×`height` plot of `ctx`.
 *  @param {CanvasRenderingContext2D} ctx
 *  @param {number} width
 *  @param {number} height
 *  @param {Plot} plot */
function paintScatter(ctx, width, height, { points, labels, shown, bounds, marker, drawn }) {
  const { toPixel } = plotMapping(width, height, bounds);
  ctx.strokeStyle = "#444";
  const [ox, oy] = toPixel(0, 0);
  ctx.beginPath();
  ctx.moveTo(ox, 0); ctx.lineTo(ox, height);
  ctx.moveTo(0, oy); ctx.lineTo(width, oy);
  ctx.stroke();
  // Each class's marks as one path, centred on whole pixels so that every mark of a class has the
  // same pixels.
  const marks = CLASS_MARKS.map(() => new Path2D());
  for (let i = 0; i < labels.length; i++) {
    if (!shown.has(labels[i])) continue;
    const [x, y] = toPixel(points[2 * i], points[2 * i + 1]);
    marks[labels[i]].addPath(markAt(labels[i], Math.round(x), Math.round(y), MARK_RADIUS));
  }
  ctx.globalAlpha = 0.75;
  marks.forEach((path, c) => {
    ctx.fillStyle = DIGIT_COLORS[c];
    ctx.fill(path);
  });
  ctx.globalAlpha = 1;
  const [mx, my] = toPixel(marker[0], marker[1]);
  ctx.lineWidth = 2;
  for (const [color, radius] of /** @type {[string, number][]} */ ([["#000", 8], ["#fff", 6]])) {
    ctx.strokeStyle = color;
    ctx.beginPath();
    ctx.arc(mx, my, radius, 0, 2 * Math.PI);
    ctx.stroke();
  }
  if (!drawn) return;
  const [dx, dy] = toPixel(drawn[0], drawn[1]);
  const x = Math.min(Math.max(dx, 0), width);
  const y = Math.min(Math.max(dy, 0), height);
  ctx.beginPath();
  ctx.moveTo(x, y - DIAMOND);
  ctx.lineTo(x + DIAMOND, y);
  ctx.lineTo(x, y + DIAMOND);
  ctx.lineTo(x - DIAMOND, y);
  ctx.closePath();
  ctx.fillStyle = "#fff";
  ctx.strokeStyle = "#000";
  ctx.fill();
  ctx.stroke();
}

/** Bar chart of non-negative values; the first `highlight` bars in the accent colour.
 *  @param {HTMLCanvasElement} canvas
 *  @param {Float32Array} values */
export function drawBars(canvas, values, highlight = 2) {
  const ctx = fitToBox(canvas);
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  const max = Math.max(...values);
  const step = w / values.length;
  ctx.clearRect(0, 0, w, h);
  values.forEach((v, i) => {
    const barHeight = (v / max) * (h - 2);
    ctx.fillStyle = i < highlight ? "#edc948" : "#4e79a7";
    ctx.fillRect(i * step + 1, h - barHeight, step - 2, barHeight);
  });
}
