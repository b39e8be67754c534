// Morph: plays a path through class means, from the visitor's drawn digit through class means, or
// between two gallery samples, frame by frame, and saves it as a looping GIF.
// All frames are decoded up front, a long path's on more than one core (pool.js); the animation
// only draws them.
import { PIXELS, SIDE, drawDigit, drawSheet } from "./canvas.js";
import { LOOP } from "./state.js";
import { imageTexts, sheetText } from "./style-sliders.js";
import {
  $, bindRange, classButtons, downloadBytes, downloadPng, nameButtons, reducedMotion, say, setDisabled,
} from "./ui.js";
/** @import { Drawing, Reading } from "./draw.js" */
/** @import { Gallery } from "./generate.js" */
/** @import { EncodeGif } from "./gif.js" */
/** @import { Model } from "./models.js" */
/** @import { Pool } from "./pool.js" */
/** @import { State, Update } from "./state.js" */

/** What a GIF of the morph is made of: the codes of its stops, their labels, its file's name.
 *  @typedef {{ codes: Float32Array, labels: string[], file: string }} GifSource */
/** A morph to decode: the names of its stops, their codes, and its GIF's source (null: under two stops).
 *  @typedef {{ names: string[], stops: Float32Array[], gif: GifSource | null }} Planned */

const STEPS_PER_LEG = 60; // at speed 1 a leg takes a second: a new frame at every 60 Hz refresh
const STRIP_FRAMES = 11;
const UNNAMED = "*"; // a GIF's label of a stop that is no class mean: a sample or the drawn digit
// A GIF's leg takes as long as the player's: at speed 1, 25 frames of 40 ms. Frames last whole
// 10 ms steps (GIF's unit), at least 20 ms (browsers show shorter frames slower).
const GIF_FRAME_MS = 40;
const GIF_MIN_FRAME_MS = 20;
const GIF_SCALES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const GIF_DEFAULT_SCALE = 4;

/** The frame time (ms) and frames per leg of a GIF that plays as the player does at `speed`.
 *  @param {number} speed */
function gifTiming(speed) {
  const frameMs = Math.max(GIF_MIN_FRAME_MS, 10 * Math.round(GIF_FRAME_MS / speed / 10));
  return { frameMs, stepsPerLeg: Math.max(1, Math.round(1000 / speed / frameMs)) };
}

/** Codes, one after another in one array.
 *  @param {Float32Array[]} codes */
const joined = (codes) => Float32Array.from(codes.flatMap((code) => Array.from(code)));

/** The most stops a path can have when the module decodes at most `maxImages` frames in a call.
 *  @param {number} maxImages */
export const maxStops = (maxImages) => Math.floor((maxImages - 1) / STEPS_PER_LEG) + 1;

/** The codes of the frames of a path through `stops` (codes), `stepsPerLeg` a leg, the last stop
 *  included: (1 − t)·a + t·b for t = step / stepsPerLeg, in 32-bit arithmetic as Generator.path
 *  computes them (src/generator.rs), so that decoding them gives its frames bit for bit.
 *  @param {Float32Array[]} stops
 *  @param {number} stepsPerLeg */
export function pathCodes(stops, stepsPerLeg) {
  const codes = new Float32Array(((stops.length - 1) * stepsPerLeg + 1) * stops[0].length);
  let at = 0;
  for (const [leg, a] of stops.slice(0, -1).entries()) {
    const b = stops[leg + 1];
    for (let step = 0; step < stepsPerLeg; step++) {
      const t = Math.fround(step / stepsPerLeg);
      const s = Math.fround(1 - t);
      // Float32Array rounds each sum, as the products are rounded here: one f32 operation each.
      for (let i = 0; i < a.length; i++) codes[at++] = Math.fround(s * a[i]) + Math.fround(t * b[i]);
    }
  }
  codes.set(/** @type {Float32Array} */ (stops.at(-1)), at);
  return codes;
}

/** The section, showing `model` (models.js) until setModel(model) gives it another.
 *  `gallery.latent(i)` is gallery sample i's code; `drawing.reading()` the drawn digit's, if any;
 *  `encodeGif(model, stops, stepsPerLeg, options)` resolves to the bytes of a GIF (gif.js);
 *  `pool` decodes the frames (pool.js).
 *  @param {Model} model
 *  @param {Gallery} gallery
 *  @param {Drawing} drawing
 *  @param {EncodeGif} encodeGif
 *  @param {Pool} pool
 *  @param {Update} update */
export function createMorph(model, gallery, drawing, encodeGif, pool, update) {
  const stopLimit = maxStops(model.info.maxImages); // the module's, the same for every model
  const message = $("morph-message");
  /** @type {HTMLCanvasElement} */
  const canvas = $("morph-canvas");
  /** @type {HTMLInputElement} */
  const scrubber = $("scrubber");
  /** @type {HTMLButtonElement} */
  const playButton = $("play");
  /** @type {HTMLCanvasElement} */
  const strip = $("strip");
  /** @type {HTMLButtonElement} */
  const gifButton = $("download-gif");
  /** @type {HTMLSelectElement} */
  const gifScale = $("gif-scale");
  /** @type {HTMLInputElement} */
  const gifLabels = $("gif-labels");
  /** @type {State} */
  let state; // from the first render on, before any control is enabled
  /** @type {string | null} */
  let key = null;
  /** @type {Pick<State, "path" | "pair" | "fromDrawing">} */
  let loaded = { path: [], pair: null, fromDrawing: false }; // the last morph asked for
  let decodes = 0; // how many morphs were asked for: only the last one's frames are shown
  let decoded = 0; // which of them `frames` holds
  /** @type {Float32Array} */
  let frames = new Float32Array(PIXELS);
  let count = 1;
  /** @type {string[]} */
  let stops = []; // names of the points the path passes through
  /** @type {GifSource | null} */
  let gif = null; // what a GIF of the morph is made of: { codes, labels, file }, or null under two stops
  let encoding = false;
  let position = 0; // in frames, fractional while playing
  let shown = -1;
  let speed = 1;
  let playing = false;
  let raf = 0;
  let last = 0;
  const fps = { start: 0, frames: 0 };

  /** @type {HTMLButtonElement} */
  const undo = $("path-undo");
  const addButtons = classButtons($("path-digits"), (d) => {
    const path = state.pair ? [] : state.path; // after a sample morph, digits start a new path
    if (path.at(-1) !== d) update({ path: [...path, d], pair: null });
  });
  $("path-loop").addEventListener("click", () => update({ path: LOOP, pair: null }));
  undo.addEventListener("click", () => update({ path: state.path.slice(0, -1), pair: null }));
  $("path-clear").addEventListener("click", () => update({ path: [], pair: null }));
  playButton.addEventListener("click", () => setPlaying(!playing));
  bindRange($("speed"), (v) => `${v}×`, (v) => { speed = v; });
  scrubber.addEventListener("input", () => seek(Number(scrubber.value)));
  strip.addEventListener("click", (event) => {
    const cells = Math.min(count, STRIP_FRAMES);
    const cell = Math.min(cells - 1, Math.floor((event.offsetX / strip.clientWidth) * cells));
    seek(stripFrame(cell, cells));
  });
  $("download-frame").addEventListener("click", () => {
    const big = document.createElement("canvas");
    const frame = Math.round(position);
    drawSheet(big, frames.subarray(frame * PIXELS, (frame + 1) * PIXELS), 1, { scale: 10 });
    downloadPng(big, `${model.filePrefix}morph-frame-${frame}.png`);
  });
  for (const scale of GIF_SCALES) {
    gifScale.add(new Option(`${SIDE * scale} px`, String(scale), false, scale === GIF_DEFAULT_SCALE));
  }
  gifButton.addEventListener("click", downloadGif);

  /** @param {number} cell
   *  @param {number} cells */
  const stripFrame = (cell, cells) => (cells > 1 ? Math.round((cell * (count - 1)) / (cells - 1)) : 0);

  /** The stops of `next`'s sample pair, or of its path (from the drawn digit) through class means,
   *  their names, and what a GIF of it is made of (its labels number the classes).
   *  @param {State} next
   *  @returns {Planned} */
  function plan({ pair, path, fromDrawing, seed }) {
    const { gen, info, filePrefix, words } = model;
    const file = `${filePrefix}morph`;
    /** @type {(stops: Float32Array[], labels: string[], name: string) => GifSource | null} */
    const gifOf = (stops, labels, name) => (stops.length >= 2 ? { codes: joined(stops), labels, file: `${file}${name}` } : null);
    if (pair) {
      const stops = /** @type {Float32Array[]} */ (pair.map((i) => gallery.latent(i))); // render checked both
      return { names: pair.map((i) => gallery.describe(i)), stops, gif: gifOf(stops, [UNNAMED, UNNAMED], `-seed-${seed}-samples-${pair.join("-")}`) };
    }
    const means = path.map((d) => gen.classMean(d));
    const names = path.map((d) => info.classNames[d]);
    const labels = path.map(String);
    if (fromDrawing) {
      const stops = [/** @type {Reading} */ (drawing.reading()).latent, ...means]; // render checked it
      return { names: [words.drawn, ...names], stops, gif: gifOf(stops, [UNNAMED, ...labels], `-drawing-${path.join("")}`) };
    }
    return { names, stops: means, gif: gifOf(means, labels, `-${path.join("")}`) };
  }

  /** Shows the stops of `planned` and offers its GIF; its frames follow (showFrames).
   *  @param {Planned} planned */
  function showStops(planned) {
    stops = planned.names;
    gif = planned.gif;
    setDisabled(gifButton, encoding || !gif, gifLabels);
    const full = stops.length >= stopLimit ? ` (full: a path holds at most ${stopLimit} stops)` : "";
    // Each stop's name in an element of its own, which style.css keeps whole on a line ("T-shirt").
    const names = stops.map((name) => Object.assign(document.createElement("span"), { textContent: name }));
    $("path-text").replaceChildren(...(stops.length
      ? [...names.flatMap((name, i) => (i ? [" → ", name] : [name])), full]
      : [`Empty: click or tap ${model.words.classes} to build a path.`]));
  }

  /** Decodes the frames of the path through `planned`'s stops and shows them, playing if `play`,
   *  unless another morph was asked for meanwhile. A short path's frames are decoded at once, a
   *  long one's also in the pool's workers. If the module refuses them, says so, and the morph
   *  `before` comes back.
   *  @param {Planned} planned
   *  @param {boolean} play
   *  @param {Pick<State, "path" | "pair" | "fromDrawing">} before */
  async function showFrames({ stops }, play, before) {
    const asked = ++decodes;
    setPlaying(false);
    /** @type {Float32Array} */
    let images;
    try {
      // Always awaited, so that render has returned and `state` is the state shown.
      images = await (stops.length ? pool.decodeRows(model, pathCodes(stops, STEPS_PER_LEG)) : new Float32Array(PIXELS));
    } catch (error) {
      if (asked !== decodes) return;
      key = null; // decode `before` again
      update(before);
      say(message, `The morph could not be drawn: ${/** @type {Error} */ (error).message}`);
      return;
    }
    if (asked !== decodes) return;
    frames = images;
    decoded = asked;
    count = frames.length / PIXELS;
    scrubber.max = String(count - 1);
    scrubber.disabled = playButton.disabled = count < 2;
    const cells = Math.min(count, STRIP_FRAMES);
    const stripImages = new Float32Array(cells * PIXELS);
    for (let c = 0; c < cells; c++) {
      const f = stripFrame(c, cells);
      stripImages.set(frames.subarray(f * PIXELS, (f + 1) * PIXELS), c * PIXELS);
    }
    drawSheet(strip, stripImages, cells, { gap: 1 });
    const stripNames = Array.from({ length: cells }, (_, c) => frameName(stripFrame(c, cells)));
    strip.setAttribute("aria-label", stops.length
      ? sheetText(model.gen, `${cells} frames along the path; click or tap one to jump there`, stripImages, stripNames)
      : "No frames: the path is empty");
    shown = -1;
    seek(0);
    setPlaying(play && state.section === "morph");
  }

  /** @param {number} frame */
  function caption(frame) {
    if (stops.length < 2) return stops.length ? `Class mean of ${stops[0]}` : "";
    const leg = Math.min(Math.floor(frame / STEPS_PER_LEG), stops.length - 2);
    const t = frame / STEPS_PER_LEG - leg;
    return `${stops[leg]} → ${stops[leg + 1]}: ${Math.round(t * 100)}%`;
  }

  /** Frame `frame` in words: its number and where it is on the path.
   *  @param {number} frame */
  const frameName = (frame) => `frame ${frame + 1} of ${count}${stops.length ? ` (${caption(frame)})` : ""}`;

  /** Says what the frame shown is (its text alternative): which frame, and its measured style.
   *  While the morph plays, only that it plays; while its frames are decoded, nothing new. */
  function describeFrame() {
    const frame = Math.round(position);
    if (decoded !== decodes) return;
    if (playing) canvas.setAttribute("aria-label", `The morph playing: ${stops.join(" → ")}`);
    else if (!stops.length) canvas.setAttribute("aria-label", "No morph: the path is empty");
    else canvas.setAttribute("aria-label", imageTexts(model.gen, frames.subarray(frame * PIXELS, (frame + 1) * PIXELS), [frameName(frame)])[0]);
  }

  function draw() {
    const frame = Math.round(position);
    drawDigit(canvas, frames, frame);
    if (frame === shown) return;
    shown = frame;
    scrubber.value = String(frame);
    scrubber.setAttribute("aria-valuetext", caption(frame));
    $("morph-caption").textContent = caption(frame);
    if (!playing) describeFrame();
  }

  /** @param {number} frame */
  function seek(frame) {
    position = frame;
    draw();
  }

  /** @param {DOMHighResTimeStamp} now */
  function tick(now) {
    position = (position + (Math.max(0, now - last) / 1000) * speed * STEPS_PER_LEG) % (count - 1);
    last = now;
    draw();
    fps.frames++;
    if (now - fps.start >= 1000) {
      $("fps").textContent = `${Math.round((fps.frames * 1000) / (now - fps.start))} fps`;
      performance.measure("morph-frames", { start: fps.start, end: now, detail: { frames: fps.frames } });
      fps.start = now;
      fps.frames = 0;
    }
    raf = requestAnimationFrame(tick);
  }

  /** @param {boolean} on */
  function setPlaying(on) {
    cancelAnimationFrame(raf);
    playing = on && count > 1;
    playButton.textContent = playing ? "Pause" : "Play";
    describeFrame();
    if (!playing) return;
    last = fps.start = performance.now();
    fps.frames = 0;
    raf = requestAnimationFrame(tick);
  }

  /** Encodes the morph shown as a GIF at the player's speed, in a worker, and saves it. */
  async function downloadGif() {
    const { codes, labels, file } = /** @type {GifSource} */ (gif); // the button is enabled with one
    const { frameMs, stepsPerLeg } = gifTiming(speed);
    const options = { scale: Number(gifScale.value), frameMs, ...(gifLabels.checked && { labels }) };
    const started = performance.now();
    encoding = true;
    setDisabled(gifButton, true, gifLabels);
    $("gif-status").hidden = false;
    try {
      downloadBytes(await encodeGif(model, codes, stepsPerLeg, options), "image/gif", `${file}.gif`);
      performance.measure("gif-encoded", { start: started }); // the benchmark times it
    } catch (error) {
      say(message, `The GIF could not be made: ${/** @type {Error} */ (error).message}`);
    } finally {
      encoding = false;
      $("gif-status").hidden = true;
      setDisabled(gifButton, !gif, gifLabels);
    }
  }

  /** What the frames of `next` depend on.
   *  @param {State} next */
  function framesKey(next) {
    if (next.pair) return JSON.stringify([next.pair, next.seed, next.method, next.spread, next.digit, next.moves]);
    return JSON.stringify([next.path, next.fromDrawing && Array.from(/** @type {Reading} */ (drawing.reading()).latent)]);
  }

  /** Shows `next`'s morph when Morph is the section, and returns the state shown. Its stops show
   *  at once, its frames once decoded (showFrames: if the module refuses them, the morph shown
   *  before comes back; at first, the empty path).
   *  @param {State} next
   *  @returns {State} */
  function render(next) {
    if (next.pair && !next.pair.every((i) => gallery.latent(i))) next = { ...next, pair: null }; // the gallery failed to draw
    // A morph from the drawn digit needs one (links do not keep drawings) and a digit to go to; a pair replaces it.
    if (next.fromDrawing && (next.pair || !next.path.length || !drawing.reading())) next = { ...next, fromDrawing: false };
    if (next.section === "morph") {
      const nextKey = framesKey(next);
      if (nextKey !== key) {
        const planned = plan(next);
        const before = loaded;
        key = nextKey;
        loaded = { path: next.path, pair: next.pair, fromDrawing: next.fromDrawing };
        showStops(planned);
        // A sample pair was just clicked, or Morph from it in Draw: play the morph, unless the
        // visitor asked for less motion (Play plays it).
        showFrames(planned, (next.pair !== null || next.fromDrawing) && !reducedMotion(), before);
      }
    } else {
      setPlaying(false);
    }
    state = next;
    setDisabled(undo, state.pair !== null || state.path.length === 0, addButtons[0]);
    const full = state.pair === null && state.path.length + (state.fromDrawing ? 1 : 0) >= stopLimit;
    for (const button of addButtons) setDisabled(button, full, undo);
    return state;
  }

  /** Shows `next`'s classes, and its morphs from the next render on.
   *  @param {Model} next */
  function setModel(next) {
    model = next;
    key = null; // the next render in Morph decodes with this model
    const names = model.info.classNames;
    nameButtons(addButtons, names, (name) => `Add ${name} to the path`);
    const [turn, end] = LOOP.slice(-2);
    $("path-loop").textContent = `Loop ${names[LOOP[0]]} → ${names[turn]} → ${names[end]}`;
  }

  setModel(model);
  return { render, setModel };
}
