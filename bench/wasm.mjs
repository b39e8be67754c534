// Decode speed of the wasm module in Node, and the gzip transfer size of pkg/.
// Usage: ./build.sh build && node bench/wasm.mjs
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { performance } from "node:perf_hooks";
import { initSync, Generator } from "../pkg/latent_digits.js";

const wasmPath = new URL("../pkg/latent_digits_bg.wasm", import.meta.url);
const jsPath = new URL("../pkg/latent_digits.js", import.meta.url);

let started = performance.now();
initSync({ module: readFileSync(wasmPath) });
const compileMs = performance.now() - started;
started = performance.now();
const generator = new Generator();
const constructMs = performance.now() - started;

/** Median milliseconds of `runs` calls after `warmup` untimed ones. */
function median(runs, warmup, work) {
  for (let i = 0; i < warmup; i++) work();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    work();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(runs / 2)];
}

const { latents } = generator.sampleLatents(3, 100, { seed: 1 });
const one = latents.slice(0, 32);
const loop = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0];
const stepsPerLeg = 24;
const frames = (loop.length - 1) * stepsPerLeg + 1;
const results = {
  "compile + instantiate (ms)": compileMs,
  "new Generator() (ms)": constructMs,
  "decode 1 latent (ms)": median(400, 50, () => generator.decode(one)),
  "decode batch of 100 (ms)": median(60, 10, () => generator.decode(latents)),
  "sample 100 of one digit, mixture (ms)": median(60, 10, () => generator.sample(5, 100, { seed: 2 })),
  [`path 0→…→9→0, ${frames} frames (ms)`]: median(20, 3, () => generator.path(loop, stepsPerLeg)),
};
results["path, per animation frame (ms)"] = results[`path 0→…→9→0, ${frames} frames (ms)`] / frames;

const gzip = (url) => gzipSync(readFileSync(url), { level: 9 }).length;
results["transfer: wasm gzip (bytes)"] = gzip(wasmPath);
results["transfer: js gzip (bytes)"] = gzip(jsPath);
results["transfer: wasm + js gzip (bytes)"] = results["transfer: wasm gzip (bytes)"] + results["transfer: js gzip (bytes)"];
results["wasm raw (bytes)"] = readFileSync(wasmPath).length;

console.log(`Node ${process.version}, ${process.arch}`);
for (const [name, value] of Object.entries(results)) {
  console.log(`${name.padEnd(44)} ${Number.isInteger(value) ? value : value.toFixed(3)}`);
}
