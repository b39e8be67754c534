// The decoding pool's split in Node: worker_threads, each with its own instance of the module the
// main thread compiled (posted to it, as the page posts it to its workers), decode chunks of a
// batch beside the main thread, shared out and joined by the page's own code (www/pool.js's
// decodeShared). How Node code would decode large batches on more than one core, and where it pays.
//
//   ./build.sh build && node bench/node-pool.mjs [--rounds 7]
//
// Times one gen.decode call against the split with 1, 2 and 3 workers, interleaved, median of the
// rounds after an untimed one, every split's pixels checked equal to gen.decode's. Prints a
// Markdown table. This file is also the workers' script.
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { Generator, initSync } from "../pkg/latent_digits.js";
import { decodeShared } from "../www/pool.js";

const SIZES = [10, 100, 200, 300, 601, 1000, 2000, 5000, 10000];
const WORKERS = [1, 2, 3];

if (!isMainThread) {
  // A worker: decodes each batch of codes it gets; answers { id, pixels } or { id, error }.
  initSync({ module: workerData.module });
  const gen = new Generator();
  parentPort.on("message", ({ id, codes }) => {
    try {
      const pixels = gen.decode(codes);
      parentPort.postMessage({ id, pixels }, [pixels.buffer]);
    } catch (error) {
      parentPort.postMessage({ id, error: error.message });
    }
  });
  parentPort.postMessage({ ready: true });
} else {
  const { values: { rounds } } = parseArgs({ options: { rounds: { type: "string", default: "7" } } });
  const ROUNDS = Number(rounds);
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const fmt = (ms) => ms.toFixed(ms < 10 ? 2 : 1);

  const module = new WebAssembly.Module(readFileSync(new URL("../pkg/latent_digits_bg.wasm", import.meta.url)));
  initSync({ module });
  const gen = new Generator();
  const codes = gen.sampleLatents(3, Math.max(...SIZES), { seed: 1 }).latents;

  const workers = []; // every worker started, to stop at the end

  /** A started worker as decodeShared takes it: (chunk) => a promise of its pixels. */
  async function startHelper() {
    const worker = new Worker(new URL(import.meta.url), { workerData: { module } });
    workers.push(worker);
    await new Promise((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    const waiting = new Map();
    let calls = 0;
    worker.on("message", ({ id, pixels, error }) => {
      waiting.get(id)(pixels, error);
      waiting.delete(id);
    });
    return (chunk) => new Promise((resolve, reject) => {
      const id = calls++;
      waiting.set(id, (pixels, error) => (error === undefined ? resolve(pixels) : reject(new Error(error))));
      worker.postMessage({ id, codes: chunk }, [chunk.buffer]);
    });
  }

  let started = performance.now();
  const helpers = await Promise.all(Array.from({ length: Math.max(...WORKERS) }, startHelper));
  const startMs = performance.now() - started;
  const contenders = [(batch) => gen.decode(batch),
    ...WORKERS.map((w) => (batch) => decodeShared(gen, batch, 32, helpers.slice(0, w)))];

  for (const n of SIZES) {
    const batch = codes.subarray(0, n * 32);
    const expected = gen.decode(batch);
    for (const decode of contenders.slice(1)) {
      const pixels = await decode(batch);
      if (!pixels.every((p, i) => Object.is(p, expected[i]))) throw new Error(`the split's pixels for ${n} codes differ`);
    }
  }
  const times = SIZES.map(() => contenders.map(() => []));
  for (let r = -1; r < ROUNDS; r++) { // round -1 is untimed
    for (const [s, n] of SIZES.entries()) {
      for (const [c, decode] of contenders.entries()) {
        started = performance.now();
        await decode(codes.subarray(0, n * 32));
        if (r >= 0) times[s][c].push(performance.now() - started);
      }
    }
  }

  await Promise.all(workers.map((worker) => worker.terminate()));

  const header = ["rows", "main thread alone", ...WORKERS.map((w) => `${w} worker${w > 1 ? "s" : ""} + the main thread`)];
  const cpu = cpus();
  console.log(`## Decoding on more than one core in Node (\`node bench/node-pool.mjs\`)

${new Date().toISOString().replace(/\.\d+Z$/, "Z")}; Node ${process.versions.node}, ${cpu[0]?.model ?? "?"}, ${cpu.length} logical cores.
Milliseconds to decode a batch: one gen.decode call, or the batch split by www/pool.js's decodeShared between the main thread and worker_threads (started, with their Generators, in ${fmt(startMs)} ms for 3), in brackets the speed-up. Median of ${ROUNDS} interleaved rounds; every split's pixels checked equal to gen.decode's.

| ${header.join(" | ")} |
|${header.map((_, i) => (i ? "---:" : "---")).join("|")}|
${SIZES.map((n, s) => {
  const [alone, ...split] = times[s].map(median);
  return `| ${[n.toLocaleString("en"), fmt(alone), ...split.map((ms) => `${fmt(ms)} (×${(alone / ms).toFixed(2)})`)].join(" | ")} |`;
}).join("\n")}`);
}
