// A writer's style as Write keeps it: measured by the module (Generator.styleOf), rounded so that
// it fits a link in a few dozen bytes and writes the same pixels once read back from it, as text
// ("slant:12.5,thickness:2.1,width:0.4,height:-0.3", as Generate's moves) and in words.
import { styleAxes } from "./style-sliders.js";
/** @import { Generator, StyleAxis } from "./pkg/latent_digits.js" */

/** A style: a value per steerable axis, in the axis's unit or in standard deviations of the class
 *  (StyleAxis.transfer); an axis left out is left as each sample has it.
 *  @typedef {Record<string, number>} Style */

// Decimals kept: a tenth of a degree or pixel, a hundredth of a standard deviation.
const DECIMALS = { absolute: 1, relative: 2 };
const ITEM = /^([a-z]+):(-?\d+(?:\.\d+)?)$/;

/** The axes writeInStyle can set, in the module's order.
 *  @param {Generator} gen */
export const steerableAxes = (gen) => styleAxes(gen).filter((axis) => axis.steerable);

/** `style` rounded as a link keeps it, its axes in `axes`' order.
 *  @param {Style} style
 *  @param {StyleAxis[]} axes
 *  @returns {Style} */
export function rounded(style, axes) {
  return Object.fromEntries(axes.filter(({ name }) => Object.hasOwn(style, name)).map(({ name, transfer }) => {
    const decimals = transfer === "absolute" ? DECIMALS.absolute : DECIMALS.relative;
    return [name, Number(style[name].toFixed(decimals)) || 0]; // no −0
  }));
}

/** `style` as a link holds it: each axis's name and value, joined by “,”; "" for none.
 *  @param {Style} style */
export const styleText = (style) => Object.entries(style).map(([name, value]) => `${name}:${value}`).join(",");

/** The style that `text` (styleText's) holds, or null when it is not one: each name one of
 *  `names`, at most once, each value a finite number.
 *  @param {string} text
 *  @param {string[]} names
 *  @returns {Style | null} */
export function parseStyle(text, names) {
  /** @type {Style} */
  const style = {};
  for (const item of text ? text.split(",") : []) {
    const [, name, value] = item.match(ITEM) ?? [];
    if (!names.includes(name) || Object.hasOwn(style, name) || !Number.isFinite(Number(value))) return null;
    style[name] = Number(value);
  }
  return style;
}

/** @param {number} value
 *  @param {string} more
 *  @param {string} less */
const relative = (value, more, less) => `${Math.abs(value).toFixed(2)} sd ${value < 0 ? less : more} than average`;

/** How each axis of the digits' styles is said (describeStyle).
 *  @type {Record<string, (value: number) => string>} */
const PHRASES = {
  slant: (value) => (value === 0 ? "upright" : `leaning ${Math.abs(value)}° ${value > 0 ? "right" : "left"}`),
  thickness: (value) => `strokes ${value} px thick`,
  width: (value) => relative(value, "wider", "narrower"),
  height: (value) => relative(value, "taller", "shorter"),
};

/** `style` in words: "leaning 12.5° right, strokes 2.1 px thick, 0.40 sd wider than average";
 *  an axis the page has no phrase for by its name, value and unit (`axes`': sd when relative).
 *  @param {Style} style
 *  @param {StyleAxis[]} axes */
export function styleInWords(style, axes) {
  return axes.filter(({ name }) => Object.hasOwn(style, name)).map(({ name, unit, transfer }) => PHRASES[name]?.(style[name])
    ?? `${name} ${style[name]} ${transfer === "absolute" ? unit : "sd"}`).join(", ");
}
