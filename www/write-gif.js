// Animated GIFs of grey images, encoded in JavaScript on the page's thread: the module's GIF
// encoder (Generator.pathGif) draws 28 × 28 frames only, and a written line is wider. Frames are
// rectangles drawn over the ones before (a few characters' columns each), so a GIF that writes a
// line is small and quick to encode. The palette is 256 grey levels, a pixel's index its level.

const MAX_CODES = 4096; // the longest LZW code is 12 bits
const CLEAR = 256; // with 8-bit pixels, the LZW clear code …
const END = 257; // … and the end of a frame's data

/** A rectangle drawn over the frames before it, shown for `delayMs` (rounded to the GIF's 10 ms):
 *  `levels` holds its `width` × `height` grey levels, row by row.
 *  @typedef {object} GifFrame
 *  @property {number} left
 *  @property {number} top
 *  @property {number} width
 *  @property {number} height
 *  @property {Uint8Array} levels
 *  @property {number} delayMs */

/** Bytes, written little-endian as a GIF wants them. */
class Bytes {
  /** @type {number[]} */
  list = [];

  /** @param {ArrayLike<number>} bytes */
  push(bytes) {
    for (let i = 0; i < bytes.length; i++) this.list.push(bytes[i]);
  }

  /** @param {number} value */
  u16(value) {
    this.list.push(value & 0xff, value >> 8);
  }

  /** @param {string} text ASCII */
  ascii(text) {
    for (const c of text) this.list.push(c.charCodeAt(0));
  }
}

/** The LZW codes of `levels` (8-bit indices) packed into bytes, least significant bit first, as
 *  a GIF's image data holds them.
 *  @param {Uint8Array} levels */
function lzw(levels) {
  /** @type {number[]} */
  const out = [];
  let bits = 0; // the bits not yet written, lowest first
  let count = 0; // how many
  let width = 9; // the current code width
  /** @param {number} code */
  const emit = (code) => {
    bits |= code << count;
    count += width;
    while (count >= 8) {
      out.push(bits & 0xff);
      bits >>>= 8;
      count -= 8;
    }
  };
  /** @type {Map<number, number>} */
  const table = new Map(); // (prefix code << 8 | next level) → its code
  let next = END + 1;
  emit(CLEAR);
  let prefix = levels[0];
  for (let i = 1; i < levels.length; i++) {
    const key = (prefix << 8) | levels[i];
    const code = table.get(key);
    if (code !== undefined) {
      prefix = code;
      continue;
    }
    emit(prefix);
    if (next === MAX_CODES) { // the table is full: start over
      emit(CLEAR);
      table.clear();
      next = END + 1;
      width = 9;
    } else {
      if (next >= 1 << width) width++;
      table.set(key, next++);
    }
    prefix = levels[i];
  }
  emit(prefix);
  emit(END);
  if (count > 0) out.push(bits & 0xff);
  return out;
}

/** A GIF `width` × `height` pixels that loops forever through `frames`, each drawn over the
 *  ones before.
 *  @param {number} width
 *  @param {number} height
 *  @param {GifFrame[]} frames */
export function greyGif(width, height, frames) {
  const gif = new Bytes();
  gif.ascii("GIF89a");
  gif.u16(width);
  gif.u16(height);
  gif.push([0xf7, 0, 0]); // a global palette of 2^8 colours; background 0; square pixels
  for (let level = 0; level < 256; level++) gif.push([level, level, level]);
  gif.push([0x21, 0xff, 11]); // the application extension that makes it loop …
  gif.ascii("NETSCAPE2.0");
  gif.push([3, 1, 0, 0, 0]); // … forever
  for (const { left, top, width: w, height: h, levels, delayMs } of frames) {
    gif.push([0x21, 0xf9, 4, 1 << 2]); // graphic control: keep this frame under the next
    gif.u16(Math.round(delayMs / 10));
    gif.push([0, 0]);
    gif.push([0x2c]);
    gif.u16(left);
    gif.u16(top);
    gif.u16(w);
    gif.u16(h);
    gif.push([0, 8]); // no local palette; 8-bit LZW
    const data = lzw(levels);
    for (let at = 0; at < data.length; at += 255) {
      const block = data.slice(at, at + 255);
      gif.push([block.length, ...block]);
    }
    gif.push([0]);
  }
  gif.push([0x3b]);
  return new Uint8Array(gif.list);
}
