// The page state kept in the URL hash, so that a reload or a shared link shows the same digits.
// Example: #section=morph&seed=42&method=gaussian&spread=0.2&digit=all&path=0-1-2-3-4-5-6-7-8-9-0
// `moves=slant:8,thickness:0.5` moves the gallery's style (none: as sampled).
// `dataset=fashion` shows the clothes (no dataset: the digits); `digit` and `path` then name
// classes by their number. A drawn digit is not kept in the URL: `from=drawing` only says that
// the morph starts at it. Write's text, style and seed: `write-text=2026-12-02`,
// `write-style=slant:12.5,thickness:2.1,width:0.4,height:-0.3` (write-style.js), `write-seed=7`.

import { DATASETS as MODELS } from "./models.js";
import { MAX_CHARACTERS, writable } from "./write-line.js";
import { parseStyle, styleText } from "./write-style.js";
/** @import { Style } from "./write-style.js" */
/** @import { SampleMethod } from "./pkg/latent_digits.js" */

/** The page state.
 *  @typedef {object} State
 *  @property {string} dataset the data set's name (models.js)
 *  @property {string} section one of SECTIONS
 *  @property {number} seed
 *  @property {SampleMethod} method
 *  @property {number} spread
 *  @property {number | null} digit the class of the gallery, or null: a row of each class
 *  @property {Record<string, number>} moves the gallery's style moves (Generate's sliders), each in
 *    its measure's unit, by measure: { slant: 8, thickness: 0.5 }; {}: none
 *  @property {number[]} path the morph's stops, classes
 *  @property {number[] | null} pair the two gallery samples morphed between, or null
 *  @property {boolean} fromDrawing whether the morph starts at the drawn image
 *  @property {string} writeText what Write writes
 *  @property {Style} writeStyle the style it writes in
 *  @property {number} writeSeed the seed of its samples */
/** How a section changes the state: `patch` holds what changes.
 *  @typedef {(patch: Partial<State>) => void} Update */
/** What reading a hash needs to know of the module (readHash).
 *  @typedef {object} Limits
 *  @property {Record<SampleMethod, number>} defaultSpread per method
 *  @property {SampleMethod} defaultMethod the method a link without one samples with
 *  @property {number} maxStops
 *  @property {(digit: number | null) => number} gallerySize
 *  @property {string[]} writeAxes the names of the axes a Write style may hold */

export const SECTIONS = ["generate", "morph", "explore", "draw", "write", "about"];
const DATASETS = Object.keys(MODELS); // the data sets' names in the URL; the first is the default
export const LOOP = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0];
export const MAX_SEED = Number.MAX_SAFE_INTEGER; // 2^53 − 1, the largest seed a JS number holds exactly
const SPREAD_RANGE = [0.05, 2]; // the spread slider's range
const WRITE_TEXT = "0123456789"; // what Write writes until the visitor types

/** A whole-number seed from 0 to MAX_SEED from text, or null.
 *  @param {string} text */
export function parseSeed(text) {
  const seed = Number(text);
  return /^\d+$/.test(text) && seed <= MAX_SEED ? seed : null;
}

/** Style moves from text such as "slant:8,thickness:-0.5" (measures' names and numbers), or null.
 *  @param {string} text */
function parseMoves(text) {
  if (!/^[a-z]+:-?\d+(\.\d+)?(,[a-z]+:-?\d+(\.\d+)?)*$/.test(text)) return null;
  return Object.fromEntries(text.split(",").map((move) => {
    const [name, value] = move.split(":");
    return [name, Number(value)];
  }));
}

export function randomSeed() {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/** @param {string} hash */
const params = (hash) => new URLSearchParams(hash.replace(/^#/, ""));

/** The section a hash names, or the first one.
 *  @param {string} hash */
export function readSection(hash) {
  const section = params(hash).get("section");
  return section !== null && SECTIONS.includes(section) ? section : SECTIONS[0];
}

/** Reads the state from a hash. Anything missing takes its default (the seed a random one);
 *  anything invalid is dropped or clamped, and `notes[section]` says so for the section it belongs to
 *  (`notes.dataset` for the data set).
 *  `limits`: `defaultSpread` per method, `defaultMethod`, `maxStops`, the longest path the module can draw, and
 *  `gallerySize(digit)`, how many samples a pair can choose from, and `writeAxes`, the names of
 *  the axes a Write style may hold.
 *  @param {string} hash
 *  @param {Limits} limits
 *  @returns {{ state: State, notes: Record<string, string[]> }} */
export function readHash(hash, { defaultSpread, defaultMethod, maxStops, gallerySize, writeAxes }) {
  const read = params(hash);
  /** @type {Record<string, string[]>} */
  const notes = { dataset: [], generate: [], morph: [], write: [] };
  /** The parameter `name` through `parse` (null: invalid), or `fallback` when missing or invalid.
   *  @template T, F
   *  @param {string} name
   *  @param {string} section
   *  @param {(text: string) => T | null} parse
   *  @param {F} fallback
   *  @param {string} expected
   *  @returns {T | F} */
  const get = (name, section, parse, fallback, expected) => {
    const text = read.get(name);
    if (text === null) return fallback;
    const value = parse(text);
    if (value !== null) return value;
    notes[section].push(`The link's ${name} “${text}” is not ${expected}, so it was dropped.`);
    return fallback;
  };

  const dataset = get("dataset", "dataset", (d) => (DATASETS.includes(d) ? d : null), DATASETS[0],
    `one of ${DATASETS.join(", ")}`);
  const section = get("section", "generate", (s) => (SECTIONS.includes(s) ? s : null), SECTIONS[0],
    `one of ${SECTIONS.join(", ")}`);
  const seed = get("seed", "generate", parseSeed, null, `a whole number from 0 to ${MAX_SEED}`) ?? randomSeed();
  const method = get("method", "generate", (m) => (Object.hasOwn(defaultSpread, m) ? /** @type {SampleMethod} */ (m) : null), defaultMethod,
    Object.keys(defaultSpread).join(" or "));
  let spread = get("spread", "generate", (s) => (s && Number.isFinite(Number(s)) ? Number(s) : null),
    defaultSpread[method], "a number");
  const [low, high] = SPREAD_RANGE;
  if (spread < low || spread > high) {
    notes.generate.push(`The link's spread ${spread} is outside ${low}–${high}, so it was clamped.`);
    spread = Math.min(Math.max(spread, low), high);
  }
  const digitText = get("digit", "generate", (d) => (d === "all" || /^\d$/.test(d) ? d : null),
    "all", "a digit 0–9 or “all”");
  const digit = digitText === "all" ? null : Number(digitText); // null: a row of each digit
  const moves = get("moves", "generate", parseMoves, {}, "style moves such as “slant:8,thickness:0.5”");
  let path = get("path", "morph", (p) => (/^(\d(-\d)*)?$/.test(p) ? p.split("-").filter(Boolean).map(Number) : null),
    LOOP, "digits 0–9 joined by “-”");
  if (path.length > maxStops) {
    notes.morph.push(`The link's path has ${path.length} stops, more than the ${maxStops} a path can hold, ` +
      `so only the first ${maxStops} were kept.`);
    path = path.slice(0, maxStops);
  }
  const fromDrawing = get("from", "morph", (f) => (f === "drawing" ? true : null), false, "“drawing”");
  const size = gallerySize(digit);
  const pair = get("pair", "morph", (p) => {
    const indices = p.split("-").map(Number);
    return /^\d+-\d+$/.test(p) && indices.every((i) => i < size) ? indices : null;
  }, null, `two sample numbers below ${size} joined by “-”`);
  const writeText = get("write-text", "write", (t) => (writable(t) ? t : null), WRITE_TEXT,
    `digits, spaces and - / . : , (at most ${MAX_CHARACTERS})`);
  const writeStyle = get("write-style", "write", (s) => parseStyle(s, writeAxes), {},
    `a style (${writeAxes.join(", ")}, each with “:” and a number, joined by “,”)`);
  const writeSeed = get("write-seed", "write", parseSeed, null, `a whole number from 0 to ${MAX_SEED}`) ?? randomSeed();
  return {
    state: { dataset, section, seed, method, spread, digit, moves, path, pair, fromDrawing, writeText, writeStyle, writeSeed },
    notes,
  };
}

/** The hash that holds `state`.
 *  @param {State} state */
export function writeHash(state) {
  const params = new URLSearchParams({
    section: state.section,
    seed: String(state.seed),
    method: state.method,
    spread: String(state.spread),
    digit: String(state.digit ?? "all"),
    path: state.path.join("-"),
  });
  const moves = Object.entries(state.moves);
  if (moves.length) params.set("moves", moves.map(([name, value]) => `${name}:${value}`).join(","));
  if (state.pair) params.set("pair", state.pair.join("-"));
  if (state.fromDrawing) params.set("from", "drawing");
  if (state.dataset !== DATASETS[0]) params.set("dataset", state.dataset);
  params.set("write-seed", String(state.writeSeed));
  if (state.writeText !== WRITE_TEXT) params.set("write-text", state.writeText);
  if (styleText(state.writeStyle)) params.set("write-style", styleText(state.writeStyle));
  return `#${params}`;
}
