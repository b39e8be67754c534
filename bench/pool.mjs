// Where the page's decoding pool (www/pool.js) pays, in headless Chromium: decoding batches of
// codes on the page's thread alone (one gen.decode call) against the pool with 1, 2 and 3 workers,
// which share each batch with the page's thread. The page is served from www/ and driven as the
// browser tests drive it (tests/browser/harness.mjs: Debian's /usr/bin/chromium, playwright-core).
//
//   node bench/pool.mjs [--rounds 7]
//
// Each round times every size with every contender once, interleaved; a row is the median of the
// rounds. The pools are warm: every worker has built its Generator before the first round (how
// long that takes is printed too), and an untimed round goes first. Every pool's pixels are checked
// against gen.decode's first.
// Prints a Markdown table for BENCHMARKS.md.
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { launchBrowser, openPage, serveFolder } from "../tests/browser/harness.mjs";

const SIZES = [10, 100, 200, 300, 601, 1000, 2000, 5000, 10000]; // 601: the morph's loop 0 → … → 9 → 0
const WORKERS = [1, 2, 3];
const { values: { rounds } } = parseArgs({ options: { rounds: { type: "string", default: "7" } } });
const ROUNDS = Number(rounds);

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fmt = (ms) => ms.toFixed(ms < 10 ? 2 : 1);
const log = (line) => process.stderr.write(`${line}\n`);

/** In the page: the module and a Generator of the digits, and a pool of each size that splits any
 *  batch (minRows 1), warmed up. Returns how long each pool took to get ready, in ms. */
async function setUp([workerCounts, largest]) {
  const { loadGenerator } = await import("/load.js");
  const { decoderPool } = await import("/pool.js");
  const { gen, module } = await loadGenerator(() => {});
  const model = { dataset: "mnist", gen, info: gen.info(), bytes: null };
  const codes = gen.sampleLatents(3, largest, { seed: 1 }).latents;
  const pools = workerCounts.map((workers) => decoderPool(module, { workers, minRows: 1 }));
  const startMs = [];
  for (const [i, pool] of pools.entries()) {
    const started = performance.now();
    const ready = await pool.ready(model);
    startMs.push(performance.now() - started);
    if (ready !== workerCounts[i]) throw new Error(`${ready} of ${workerCounts[i]} workers started`);
  }
  window.bench = { gen, model, codes, pools };
  return startMs;
}

/** In the page: whether every pool's pixels for the first `n` codes equal gen.decode's. */
async function check(n) {
  const { gen, model, codes, pools } = window.bench;
  const batch = codes.subarray(0, n * 32);
  const expected = gen.decode(batch);
  const outputs = await Promise.all(pools.map((pool) => pool.decodeRows(model, batch)));
  return outputs.every((pixels) => pixels.length === expected.length && pixels.every((p, i) => Object.is(p, expected[i])));
}

/** In the page: one round's milliseconds for a batch of `n`: the page's thread alone, then each pool. */
async function round(n) {
  const { gen, model, codes, pools } = window.bench;
  const batch = codes.subarray(0, n * 32);
  let started = performance.now();
  gen.decode(batch);
  const times = [performance.now() - started];
  for (const pool of pools) {
    started = performance.now();
    await pool.decodeRows(model, batch);
    times.push(performance.now() - started);
  }
  return times;
}

const server = await serveFolder();
const browser = await launchBrowser();
try {
  const { page } = await openPage(browser, server.origin);
  await page.goto(`${server.origin}/#seed=1`);
  await page.waitForFunction(() => performance.getEntriesByName("gallery-drawn").length > 0);
  const startMs = await page.evaluate(setUp, [WORKERS, Math.max(...SIZES)]);
  log(`pools ready in ${startMs.map(fmt).join(", ")} ms (1, 2, 3 workers)`);
  for (const n of SIZES) {
    if (!(await page.evaluate(check, n))) throw new Error(`a pool's pixels for ${n} codes differ from gen.decode's`);
  }
  for (const n of SIZES) await page.evaluate(round, n); // a round untimed: the code optimised everywhere
  const times = SIZES.map(() => [[], ...WORKERS.map(() => [])]); // size → contender → ms per round
  for (let r = 0; r < ROUNDS; r++) {
    for (const [s, n] of SIZES.entries()) {
      (await page.evaluate(round, n)).forEach((ms, c) => times[s][c].push(ms));
    }
    log(`round ${r + 1}/${ROUNDS}: ${SIZES.map((n, s) => `${n}: ${times[s].map((t) => fmt(t.at(-1))).join("/")}`).join(", ")}`);
  }

  const hardware = await page.evaluate(() => navigator.hardwareConcurrency);
  const header = ["rows", "page's thread alone", ...WORKERS.map((w) => `pool, ${w} worker${w > 1 ? "s" : ""} + the page's thread`)];
  const rows = SIZES.map((n, s) => {
    const [alone, ...pooled] = times[s].map(median);
    return [n.toLocaleString("en"), `${fmt(alone)}`, ...pooled.map((ms) => `${fmt(ms)} (×${(alone / ms).toFixed(2)})`)];
  });
  const cpu = cpus();
  console.log(`## Decoding on more than one core (\`node bench/pool.mjs\`)

${new Date().toISOString().replace(/\.\d+Z$/, "Z")}; Chromium ${browser.version()} headless, ${cpu[0]?.model ?? "?"}, ${cpu.length} logical cores (navigator.hardwareConcurrency ${hardware}).
Milliseconds to decode a batch of codes into pixels, read back into JavaScript: one gen.decode call on the page's thread, or www/pool.js's decodeRows with its workers warm (each had built its Generator: ${startMs.map(fmt).join(", ")} ms from the first request for pools of 1, 2, 3); in brackets the speed-up over the page's thread alone. Median of ${ROUNDS} interleaved rounds; every pool's pixels checked equal to gen.decode's.

| ${header.join(" | ")} |
|${header.map((_, i) => (i ? "---:" : "---")).join("|")}|
${rows.map((row) => `| ${row.join(" | ")} |`).join("\n")}`);
} finally {
  await browser.close();
  await server.close();
}
