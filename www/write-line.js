// A line of handwriting as Write draws it: each digit a decoded 28 × 28 image, the other
// characters (- / . : , and spaces) strokes the page draws itself, as thick as the digits'; the
// line on a canvas, and as a GIF that writes it character by character.
import { PIXELS, SIDE } from "./canvas.js";
import { greyGif } from "./write-gif.js";
/** @import { GifFrame } from "./write-gif.js" */

/** A character's place on a line: its left edge and width, in image pixels.
 *  @typedef {{ character: string, x: number, width: number }} Cell */
/** A written line: `width` × 28 grey values in [0, 1], row by row, and each character's cell.
 *  @typedef {{ width: number, pixels: Float32Array, cells: Cell[] }} Line */

export const MAX_CHARACTERS = 32;
/** The characters drawn by the page: each a cell `width` pixels wide, and its strokes, segments
 *  [x0, y0, x1, y1] in the cell's pixels (a dot: a segment of no length). The digits' boxes span
 *  rows 4–24, as MNIST's do.
 *  @type {Record<string, { width: number, strokes: number[][] }>} */
const MARKS = {
  "-": { width: 14, strokes: [[3.5, 14.5, 10.5, 14.5]] },
  "/": { width: 16, strokes: [[12.5, 5, 3.5, 23.5]] },
  ".": { width: 8, strokes: [[4, 22.5, 4, 22.5]] },
  ",": { width: 8, strokes: [[4.5, 22, 3, 25.5]] },
  ":": { width: 8, strokes: [[4, 12.5, 4, 12.5], [4, 22.5, 4, 22.5]] },
  " ": { width: 12, strokes: [] },
};
// The GIF: each character appears in REVEAL_STEPS slices of its columns, left to right.
const REVEAL_STEPS = 4;
const TIMES_MS = { blank: 400, step: 60, written: 2000 };

/** @param {string} character */
const isDigit = (character) => character >= "0" && character <= "9";

/** Whether `text` can be written: digits, spaces and - / . : , only, at most MAX_CHARACTERS.
 *  @param {string} text */
export const writable = (text) => text.length <= MAX_CHARACTERS
  && [...text].every((character) => isDigit(character) || Object.hasOwn(MARKS, character));

/** The digits of `text`, in order: the classes a line of it writes.
 *  @param {string} text */
export const digitsOf = (text) => [...text].filter(isDigit).map(Number);

/** Where each character of `text` (writable) goes on a line, and the line's width.
 *  @param {string} text */
export function layOut(text) {
  let width = 0;
  const cells = [...text].map((character) => {
    const cell = { character, x: width, width: isDigit(character) ? SIDE : MARKS[character].width };
    width += cell.width;
    return cell;
  });
  return { width, cells };
}

/** Draws the segment [x0, y0, x1, y1] (in `cell`'s pixels) in `cell` of `pixels`, a line `width`
 *  wide: a stroke `radius` from the segment, with a one-pixel soft edge; where strokes cross, the
 *  brighter wins.
 *  @param {Float32Array} pixels
 *  @param {number} width
 *  @param {Cell} cell
 *  @param {number[]} segment
 *  @param {number} radius */
function drawStroke(pixels, width, cell, [x0, y0, x1, y1], radius) {
  const [dx, dy] = [x1 - x0, y1 - y0];
  const length2 = dx * dx + dy * dy;
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < cell.width; x++) {
      const [px, py] = [x + 0.5, y + 0.5]; // the pixel's centre
      const t = length2 ? Math.min(1, Math.max(0, ((px - x0) * dx + (py - y0) * dy) / length2)) : 0;
      const distance = Math.hypot(px - (x0 + t * dx), py - (y0 + t * dy));
      const value = Math.min(1, Math.max(0, radius + 0.5 - distance));
      const at = y * width + cell.x + x;
      pixels[at] = Math.max(pixels[at], value);
    }
  }
}

/** The line that writes `text` (writable): its digits are `images` (28 × 28 each, in order), its
 *  other characters strokes `strokeWidth` pixels wide.
 *  @param {string} text
 *  @param {Float32Array} images
 *  @param {number} strokeWidth
 *  @returns {Line} */
export function writeLine(text, images, strokeWidth) {
  const { width, cells } = layOut(text);
  const pixels = new Float32Array(width * SIDE);
  let digit = 0;
  for (const cell of cells) {
    const { character, x } = cell;
    if (isDigit(character)) {
      const image = images.subarray(digit * PIXELS, (digit + 1) * PIXELS);
      for (let y = 0; y < SIDE; y++) pixels.set(image.subarray(y * SIDE, (y + 1) * SIDE), y * width + x);
      digit++;
    } else {
      for (const segment of MARKS[character].strokes) drawStroke(pixels, width, cell, segment, strokeWidth / 2);
    }
  }
  return { width, pixels, cells };
}

/** The grey levels (0–255) of columns [from, to) of `line`, each pixel `scale` × `scale`.
 *  @param {Line} line
 *  @param {number} from
 *  @param {number} to
 *  @param {number} scale */
function levels({ width, pixels }, from, to, scale) {
  const out = new Uint8Array((to - from) * scale * SIDE * scale);
  let at = 0;
  for (let y = 0; y < SIDE * scale; y++) {
    const row = Math.floor(y / scale) * width;
    for (let x = from * scale; x < to * scale; x++) {
      out[at++] = Math.round(255 * Math.min(1, Math.max(0, pixels[row + Math.floor(x / scale)])));
    }
  }
  return out;
}

/** Draws `line` on `canvas`, one canvas pixel per image pixel.
 *  @param {HTMLCanvasElement} canvas
 *  @param {Line} line */
export function drawLine(canvas, line) {
  canvas.width = line.width;
  canvas.height = SIDE;
  const image = new ImageData(line.width, SIDE);
  levels(line, 0, line.width, 1).forEach((level, i) => {
    image.data.set([level, level, level, 255], 4 * i);
  });
  /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d")).putImageData(image, 0, 0);
}

/** A looping GIF of `line` (at least one character) being written, each pixel `scale` × `scale`:
 *  a blank line, then each character's columns appearing left to right, then the whole line held.
 *  @param {Line} line
 *  @param {number} scale */
export function writingGif(line, scale) {
  /** @type {GifFrame[]} */
  const frames = [{
    left: 0, top: 0, width: line.width * scale, height: SIDE * scale,
    levels: new Uint8Array(line.width * scale * SIDE * scale), delayMs: TIMES_MS.blank,
  }];
  for (const { x, width } of line.cells) {
    for (let step = 0; step < REVEAL_STEPS; step++) {
      const from = x + Math.floor((width * step) / REVEAL_STEPS);
      const to = x + Math.floor((width * (step + 1)) / REVEAL_STEPS);
      frames.push({
        left: from * scale, top: 0, width: (to - from) * scale, height: SIDE * scale,
        levels: levels(line, from, to, scale), delayMs: TIMES_MS.step,
      });
    }
  }
  frames[frames.length - 1].delayMs = TIMES_MS.written;
  return greyGif(line.width * scale, SIDE * scale, frames);
}
