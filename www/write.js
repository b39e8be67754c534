// Write: the visitor's handwriting, any number. They draw a digit or a few, which the encoder
// reads and the module measures (Generator.styleOf); whatever number or date they type is then
// written in that style, each digit a fresh sample moved to it (writeInStyle), the other
// characters strokes as thick as the digits'. The style, the text and the seed are in the URL, so
// a link writes the same pixels. Write writes digits: with the clothes shown, it keeps the
// digits' model.
import { PIXELS, drawSheet, enlarged } from "./canvas.js";
import { loadEncoder } from "./load.js";
import { createPad } from "./pad.js";
import { randomSeed } from "./state.js";
import { $, attempt, downloadBytes, downloadPng, say, setDisabled, showProgress } from "./ui.js";
import { MAX_CHARACTERS, digitsOf, drawLine, writable, writeLine, writingGif } from "./write-line.js";
import { imageTexts, styleAxes } from "./style-sliders.js";
import { rounded, steerableAxes, styleInWords, styleText } from "./write-style.js";
/** @import { Model } from "./models.js" */
/** @import { State, Update } from "./state.js" */
/** @import { Style } from "./write-style.js" */
/** @import { Line } from "./write-line.js" */

/** A digit drawn on the pad as read: its prepared image, its likeliest digit and that one's
 *  probability.
 *  @typedef {{ image: Float32Array, digit: number, probability: number }} Reading */
/** A written line and what each of its digits measures, in words (imageTexts).
 *  @typedef {Line & { digitTexts: string[] }} Written */

const KEPT = 10; // a style is measured from the last KEPT digits added
const SCALE = 4; // screen and download pixels per image pixel of the written line
const CLASSES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const BLANK = new Float32Array(PIXELS);

/** @param {number} share */
const percent = (share) => `${(100 * share).toFixed(0)}%`;
/** @param {number} n
 *  @param {string} one */
const count = (n, one) => `${n} ${one}${n === 1 ? "" : "s"}`;
/** What the line shown depends on: the text, the style and the seed.
 *  @param {State} state */
const lineKey = ({ writeText, writeStyle, writeSeed }) => [writeText, styleText(writeStyle), writeSeed].join(" ");

/** The section, writing with `digits`, the digits' model (models.js), whatever model the others
 *  show.
 *  @param {Model} digits
 *  @param {Update} update */
export function createWrite(digits, update) {
  const { gen } = digits;
  const message = $("write-message");
  /** @type {HTMLButtonElement} */
  const undo = $("write-undo");
  /** @type {HTMLButtonElement} */
  const clear = $("write-clear");
  /** @type {HTMLButtonElement} */
  const add = $("write-add");
  /** @type {HTMLButtonElement} */
  const forget = $("write-forget");
  /** @type {HTMLInputElement} */
  const textInput = $("write-text");
  /** @type {HTMLCanvasElement} */
  const written = $("written");
  const measures = styleAxes(gen); // the columns of gen.measure
  const axes = steerableAxes(gen);
  /** @type {Reading | null} */
  let reading = null; // the pad's digit, once read
  /** @type {Reading[]} */
  let kept = []; // the digits added, the style measured from them
  /** @type {Style} */
  let measured = {};
  /** @type {{ error: Error | null } | null} */
  let encoder = null; // the encoder's loading, once this section started it: the Error if it failed
  /** @type {State} */
  let state; // from the first render on
  let shownKey = ""; // lineKey of the line shown
  /** @type {Written | null} */
  let line = null;

  const pad = createPad($("write-pad"), readPad);
  // The digits' encoder, unless Draw has loaded it: only once the visitor starts drawing here.
  $("write-pad").addEventListener("pointerdown", startEncoder);
  undo.addEventListener("click", () => pad.undo());
  clear.addEventListener("click", () => pad.clear());
  add.addEventListener("click", () => {
    kept = [...kept, /** @type {Reading} */ (reading)].slice(-KEPT);
    pad.clear();
    measureStyle();
  });
  forget.addEventListener("click", () => {
    kept = [];
    measureStyle();
  });
  textInput.maxLength = MAX_CHARACTERS;
  textInput.addEventListener("input", () => {
    const text = textInput.value;
    const refusal = writable(text) ? "" : `Only digits, spaces and - / . : , can be written, at most ${MAX_CHARACTERS}.`;
    textInput.setCustomValidity(refusal);
    if (refusal) say(message, refusal);
    else update({ writeText: text });
  });
  $("write-new-samples").addEventListener("click", () => update({ writeSeed: randomSeed() }));
  $("write-download-png").addEventListener("click", () => downloadPng(enlarged(written, SCALE), `${fileName()}.png`));
  $("write-download-gif").addEventListener("click", () => {
    downloadBytes(writingGif(/** @type {Line} */ (line), SCALE), "image/gif", `${fileName()}.gif`);
  });

  // handwriting-2026-12-02-seed-7: the text's numbers and the seed.
  const fileName = () => ["handwriting", ...(state.writeText.match(/\d+/g) ?? []), "seed", state.writeSeed].join("-");

  function startEncoder() {
    if (gen.hasEncoder || encoder) return;
    /** @type {{ error: Error | null }} */
    const loading = { error: null };
    encoder = loading;
    $("write-encoder-status").hidden = false;
    loadEncoder(gen, digits.files.encoder, showProgress($("write-encoder-progress"), $("write-encoder-amount")))
      .catch((error) => { loading.error = error; })
      .finally(() => {
        $("write-encoder-status").hidden = true;
        say($("write-encoder-error"), loading.error
          ? `The encoder could not be loaded, so drawn digits cannot be read (${loading.error.message}). Reload the page to try again.`
          : "");
        readPad();
      });
  }

  /** What the verdict says when there is no reading.
   *  @param {boolean} ink */
  function noReading(ink) {
    if (!ink) return "Draw a digit";
    if (encoder?.error) return "Your digit cannot be read: the encoder did not load.";
    return "Your digit will be read once the encoder has loaded…";
  }

  /** Prepares the pad's pixels as MNIST's digits were and, once there is ink and the encoder,
   *  reads them. */
  function readPad() {
    const started = performance.now();
    const { data, width, height } = pad.pixels();
    const prepared = attempt(message, "Your digit could not be prepared", () => gen.prepare(data, width, height)) ?? BLANK;
    const ink = prepared.some((v) => v > 0); // prepare gives zeros for an image without ink
    reading = null;
    if (ink && gen.hasEncoder) {
      reading = attempt(message, "Your digit could not be read", () => {
        const probabilities = gen.classify(gen.encode(prepared));
        const digit = probabilities.indexOf(Math.max(...probabilities));
        return { image: prepared, digit, probability: probabilities[digit] };
      }) ?? null;
    }
    $("write-verdict").textContent = reading
      ? `Read as ${reading.digit} (${percent(reading.probability)})`
      : noReading(ink);
    for (const button of [undo, clear]) setDisabled(button, pad.empty, textInput);
    setDisabled(add, !reading, textInput);
    // One reading, drawing included: the tests wait for it.
    performance.clearMeasures("write-read");
    performance.measure("write-read", { start: started });
  }

  /** Measures the style of the digits kept (none, {}, when there are none), shows them
   *  and writes with it; if the module refuses, says so and keeps the style. */
  function measureStyle() {
    const images = new Float32Array(kept.length * PIXELS);
    kept.forEach(({ image }, i) => images.set(image, i * PIXELS));
    const style = kept.length
      ? attempt(message, "Your style could not be measured", () => rounded(/** @type {Style} */ (gen.styleOf(images, kept.map(({ digit }) => digit))), axes))
      : {};
    if (!style) return;
    measured = style;
    $("write-kept").hidden = !kept.length;
    if (kept.length) drawSheet($("write-kept"), images, KEPT, { gap: 1 });
    $("write-kept").setAttribute("aria-label", `The digits your style is measured from, read as ${kept.map(({ digit }) => digit).join(", ")}`);
    setDisabled(forget, !kept.length, textInput);
    update({ writeStyle: measured });
  }

  /** The mean stroke width, in image pixels, of the ten digits' means written in `style`: that of
   *  the characters the page draws itself.
   *  @param {Style} style */
  function strokeWidth(style) {
    const column = measures.findIndex(({ name }) => name === "thickness");
    const values = gen.measure(gen.decode(gen.writeInStyle(style, CLASSES, {})));
    return CLASSES.reduce((sum, c) => sum + values[c * measures.length + column], 0) / CLASSES.length;
  }

  /** The line that writes `state`'s text in its style, each digit a sample drawn with its seed,
   *  and its digits' measured style.
   *  @param {State} state
   *  @returns {Written} */
  function write({ writeText, writeStyle, writeSeed }) {
    const classes = digitsOf(writeText);
    const images = classes.length ? gen.decode(gen.writeInStyle(writeStyle, classes, { seed: writeSeed })) : new Float32Array(0);
    const digitTexts = classes.length ? imageTexts(gen, images, classes.map(String)) : [];
    return { ...writeLine(writeText, images, strokeWidth(writeStyle)), digitTexts };
  }

  /** `state`'s style in words, and where it comes from. */
  function styleWords() {
    const text = styleText(state.writeStyle);
    const words = styleInWords(state.writeStyle, axes);
    if (!text) return "No digits added yet: each digit keeps the style it was sampled with.";
    if (kept.length && text === styleText(measured)) {
      return `Your style, measured from the ${count(kept.length, "digit")} you added: ${words}.`;
    }
    return `The link's style: ${words}.`;
  }

  /** Shows the line written so far (`line`) and the controls of `state`. */
  function show() {
    const { writeText, writeSeed } = state;
    if (textInput.value !== writeText) {
      textInput.value = writeText;
      textInput.setCustomValidity("");
    }
    $("write-style").textContent = styleWords();
    const shown = Boolean(line?.width);
    written.hidden = !shown;
    if (line && shown) {
      drawLine(written, line);
      written.style.width = `${line.width * SCALE}px`;
      written.setAttribute("aria-label", `“${writeText}” handwritten${line.digitTexts.length ? `. ${line.digitTexts.join("; ")}.` : ""}`);
    }
    $("written-caption").textContent = shown
      ? `“${writeText}”: ${count(writeText.length, "character")}, ${count(digitsOf(writeText).length, "digit")} sampled with seed ${writeSeed}.`
      : "Type a number or a date to write it.";
    for (const id of ["write-download-png", "write-download-gif"]) {
      /** @type {HTMLButtonElement} */ ($(id)).disabled = !shown;
    }
  }

  /** Writes `next`'s text when the section is shown and returns the state shown: a style the
   *  module refuses (from a link) gives way to none.
   *  @param {State} next
   *  @returns {State} */
  function render(next) {
    if (next.section !== "write") return next;
    if (lineKey(next) !== shownKey) {
      const linked = styleText(next.writeStyle) !== "";
      line = attempt(message, linked ? "This style could not be used, so each digit keeps the style it was sampled with"
        : "The text could not be written", () => write(next)) ?? null;
      if (!line && linked) {
        next = { ...next, writeStyle: {} };
        line = attempt(message, "The text could not be written", () => write(next)) ?? null;
      }
      shownKey = lineKey(next);
    }
    state = next;
    show();
    return state;
  }

  readPad();
  setDisabled(forget, true, textInput);
  return {
    render,
    /** Says that Write keeps writing digits while `model` shows something else.
     *  @param {Model} model */
    setModel(model) {
      $("write-clothes").hidden = model.dataset === digits.dataset;
    },
  };
}
