// The page state kept in the URL hash, so that a reload or a shared link shows the same digits.
// Example: #section=morph&seed=42&method=gaussian&spread=0.2&digit=all&path=0-1-2-3-4-5-6-7-8-9-0

export const SECTIONS = ["generate", "morph", "explore", "about"];
export const LOOP = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0];
export const DEFAULT_SPREAD = { gmm: 0.85, gaussian: 0.2 }; // as Method::default_spread in Rust
const SPREAD_RANGE = [0.05, 2]; // the spread slider's range

/** A non-negative integer seed below 2^53 from text, or null. */
export function parseSeed(text) {
  const seed = Number(text);
  return /^\d+$/.test(text) && Number.isSafeInteger(seed) ? seed : null;
}

export function randomSeed() {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/** Reads the state from a hash; anything missing or invalid takes its default (seed: null). */
export function readHash(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const section = params.get("section");
  const method = params.get("method") === "gaussian" ? "gaussian" : "gmm";
  const spread = Number(params.get("spread") ?? NaN);
  const digit = params.get("digit") ?? "";
  const path = params.get("path") ?? "";
  const pair = params.get("pair") ?? "";
  return {
    section: SECTIONS.includes(section) ? section : "generate",
    seed: parseSeed(params.get("seed") ?? ""),
    method,
    spread: spread >= SPREAD_RANGE[0] && spread <= SPREAD_RANGE[1] ? spread : DEFAULT_SPREAD[method],
    digit: /^\d$/.test(digit) ? Number(digit) : null, // null: all ten digits
    path: /^\d(-\d)*$/.test(path) ? path.split("-").map(Number) : LOOP,
    pair: /^\d+-\d+$/.test(pair) ? pair.split("-").map(Number) : null, // two gallery indices
  };
}

export function writeHash(state) {
  const params = new URLSearchParams({
    section: state.section,
    seed: state.seed,
    method: state.method,
    spread: state.spread,
    digit: state.digit ?? "all",
    path: state.path.join("-"),
  });
  if (state.pair) params.set("pair", state.pair.join("-"));
  return `#${params}`;
}
