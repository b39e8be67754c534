// Measured style: the model's style measures (Generator.styleAxes) in words and units, and sliders
// that move the steerable ones, each by up to about two standard deviations in the measure's own
// units, with a Reset. Generate and Draw each have a set.
import { setDisabled } from "./ui.js";
/** @import { Generator, MeasureValues, StyleAxis } from "./pkg/latent_digits.js" */

const SD_RANGE = 2; // a slider reaches this many standard deviations either way
const STEPS_PER_SD = 10; // about this many slider steps per standard deviation
/** @type {Record<string, string>} */
const UNIT_SYMBOLS = { degrees: "°", px: " px", "px²": " px²" };

/** The style measures of `gen`'s model, in the order of measure's columns.
 *  @param {Generator} gen */
export const styleAxes = (gen) => /** @type {StyleAxis[]} */ (gen.styleAxes());

/** The decimals that show a value of `axis` to about a fifth of its spread: degrees whole,
 *  thickness to a tenth of a pixel.
 *  @param {StyleAxis} axis */
const measureDecimals = ({ sd }) => Math.min(3, Math.max(0, Math.ceil(-Math.log10(sd / 5))));

/** `value` of `axis` with its unit, to `decimals` decimals (zero as "0"); `signed` writes + before a
 *  positive value.
 *  @param {StyleAxis} axis
 *  @param {number} value */
export function formatMeasure(axis, value, { signed = false, decimals = measureDecimals(axis) } = {}) {
  const unit = UNIT_SYMBOLS[axis.unit] ?? ` ${axis.unit}`;
  const text = Math.abs(value).toFixed(decimals);
  if (Number(text) === 0) return `0${unit}`;
  return `${value < 0 ? "−" : signed ? "+" : ""}${text}${unit}`;
}

/** An axis's name with its unit's symbol, for a plot's axis: "slant (°)", "ink (px²)".
 *  @param {StyleAxis} axis */
export const axisTitle = (axis) => `${axis.name} (${(UNIT_SYMBOLS[axis.unit] ?? axis.unit).trim()})`;

/** A row of measures (one value per axis) in words: "slant 12° · thickness 2.3 px · …", the
 *  measures `between` another separator if given.
 *  @param {StyleAxis[]} axes
 *  @param {ArrayLike<number>} values */
export const describeStyle = (axes, values, between = " · ") =>
  axes.map((axis, i) => `${axis.name} ${formatMeasure(axis, values[i])}`).join(between);

/** A text alternative of each of `images` (stacked 28 × 28 images, one per name), measured by
 *  `gen`: its name, then its measured style, "7: slant 12°, thickness 2.1 px, width 14 px, …".
 *  @param {Generator} gen
 *  @param {Float32Array} images
 *  @param {string[]} names */
export function imageTexts(gen, images, names) {
  const axes = styleAxes(gen);
  const measures = gen.measure(images);
  return names.map((name, i) => `${name}: ${describeStyle(axes, measures.subarray(i * axes.length, (i + 1) * axes.length), ", ")}`);
}

/** A text alternative of a sheet of `images` (one per name): `title`, then each image's (imageTexts).
 *  @param {Generator} gen
 *  @param {string} title
 *  @param {Float32Array} images
 *  @param {string[]} names */
export const sheetText = (gen, title, images, names) => `${title}. ${imageTexts(gen, images, names).join("; ")}.`;

/** Each axis's mean over `count` rows of measures.
 *  @param {Float32Array} measures count × axes values
 *  @param {number} axes */
export function meanMeasures(measures, axes) {
  const count = measures.length / axes;
  return Array.from({ length: axes }, (_, a) => {
    let sum = 0;
    for (let i = a; i < measures.length; i += axes) sum += measures[i];
    return sum / count;
  });
}

/** The round slider step nearest `sd / STEPS_PER_SD`: 1, 2 or 5 times a power of ten.
 *  @param {number} sd */
function roundStep(sd) {
  const wanted = sd / STEPS_PER_SD;
  const power = 10 ** Math.floor(Math.log10(wanted));
  /** @param {number} step */
  const off = (step) => Math.abs(Math.log(step / wanted));
  return [1, 2, 5, 10].map((m) => m * power).reduce((best, step) => (off(step) < off(best) ? step : best));
}

/** The moves that are not zero.
 *  @param {MeasureValues} moves */
const activeMoves = (moves) => Object.fromEntries(Object.entries(moves).filter(([, value]) => value !== 0));

/** Sliders for the steerable axes of a model, built in `container` by setAxes, and a Reset button;
 *  `onChange(moves)` hears each move of a slider and the Reset (moves then empty).
 *  @param {HTMLElement} container
 *  @param {(moves: MeasureValues) => void} onChange */
export function createStyleSliders(container, onChange) {
  /** One slider per steerable axis, with its range and how its <output> shows a value.
   *  @type {{ axis: StyleAxis, input: HTMLInputElement, output: HTMLOutputElement, limit: number, decimals: number }[]} */
  let sliders = [];
  const reset = document.createElement("button");
  reset.type = "button";
  reset.textContent = "Reset";
  reset.addEventListener("click", () => onChange({}));

  /** The slider's value shown beside it and told to assistive technology.
   *  @param {(typeof sliders)[number]} slider
   *  @param {number} value */
  function showValue({ axis, input, output, decimals }, value) {
    output.textContent = formatMeasure(axis, value, { signed: true, decimals });
    input.setAttribute("aria-valuetext", `${axis.name} ${output.textContent}`);
  }

  /** The moves the sliders show now, those at zero left out. */
  const moves = () => activeMoves(Object.fromEntries(sliders.map(({ axis, input }) => [axis.name, Number(input.value)])));

  return {
    /** Builds a slider for each steerable axis of `axes`, every one at zero.
     *  @param {StyleAxis[]} axes */
    setAxes(axes) {
      sliders = axes.filter((axis) => axis.steerable).map((axis) => {
        const step = roundStep(axis.sd);
        const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
        const limit = Number((Math.round((SD_RANGE * axis.sd) / step) * step).toFixed(decimals));
        const input = Object.assign(document.createElement("input"), {
          type: "range", name: axis.name, min: String(-limit), max: String(limit), step: String(step), value: "0",
        });
        const output = document.createElement("output");
        const label = document.createElement("label");
        label.className = "style-slider";
        label.append(Object.assign(document.createElement("span"), { textContent: axis.name }), input, output);
        const slider = { axis, input, output, limit, decimals };
        input.addEventListener("input", () => {
          showValue(slider, Number(input.value));
          onChange(moves());
        });
        showValue(slider, 0);
        return slider;
      });
      container.replaceChildren(...sliders.map(({ input }) => /** @type {HTMLElement} */ (input.parentElement)), reset);
      reset.disabled = true;
    },
    /** Moves the sliders to `shown` (missing axes at zero) without calling onChange.
     *  @param {MeasureValues} shown */
    show(shown) {
      for (const slider of sliders) {
        const value = shown[slider.axis.name] ?? 0;
        slider.input.value = String(value);
        showValue(slider, value);
      }
      // After a Reset by keyboard the focus goes back to the first slider.
      setDisabled(reset, Object.keys(activeMoves(shown)).length === 0, sliders[0]?.input ?? container);
    },
    /** `asked` kept to the axes that have a slider, each within its slider's range, with the
     *  names of the moves left out (`dropped`) and of those brought within range (`clamped`).
     *  @param {MeasureValues} asked */
    within(asked) {
      /** @type {MeasureValues} */
      const moves = {};
      /** @type {string[]} */
      const clamped = [];
      for (const { axis, limit } of sliders) {
        const value = asked[axis.name];
        if (value === undefined || value === 0) continue;
        moves[axis.name] = Math.min(limit, Math.max(-limit, value));
        if (moves[axis.name] !== value) clamped.push(axis.name);
      }
      const dropped = Object.keys(asked).filter((name) => !sliders.some(({ axis }) => axis.name === name));
      return { moves, dropped, clamped };
    },
    /** Disables every slider and the Reset (a blank pad), or enables them.
     *  @param {boolean} disabled */
    setDisabled(disabled) {
      for (const { input } of sliders) input.disabled = disabled;
      reset.disabled = disabled || Object.keys(moves()).length === 0;
    },
    moves,
  };
}
