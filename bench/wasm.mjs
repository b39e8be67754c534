// Decode and read speed of the wasm module in Node, and the gzip transfer size of pkg/.
// Usage: ./build.sh build && node bench/wasm.mjs
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { performance } from "node:perf_hooks";
import { initSync, Generator } from "../pkg/latent_digits.js";

const wasmPath = new URL("../pkg/latent_digits_bg.wasm", import.meta.url);
const jsPath = new URL("../pkg/latent_digits.js", import.meta.url);
const encoderPath = new URL("../pkg/encoder.packed", import.meta.url);
const flowPath = new URL("../pkg/flow.bin", import.meta.url);

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

started = performance.now();
generator.loadFlow(readFileSync(flowPath));
const loadFlowMs = performance.now() - started;

const { latents } = generator.sampleLatents(3, 100, { seed: 1 });
const one = latents.slice(0, 32);
const loop = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0];
const stepsPerLeg = 24;
const frames = (loop.length - 1) * stepsPerLeg + 1;
const results = {
  "compile + instantiate (ms)": compileMs,
  "new Generator() (ms)": constructMs,
  "loadFlow (ms)": loadFlowMs,
  "decode 1 latent (ms)": median(400, 50, () => generator.decode(one)),
  "decode batch of 100 (ms)": median(60, 10, () => generator.decode(latents)),
  "sample 100 of one digit, mixture (ms)": median(60, 10, () => generator.sample(5, 100, { seed: 2, method: "gmm" })),
  "sample 100 codes, mixture (ms)": median(200, 20, () => generator.sampleLatents(5, 100, { seed: 2, method: "gmm" })),
  "sample 100 codes, flow (ms)": median(200, 20, () => generator.sampleLatents(5, 100, { seed: 2, method: "flow" })),
  "sample 100 of one digit, flow (ms)": median(60, 10, () => generator.sample(5, 100, { seed: 2, method: "flow" })),
  [`path 0→…→9→0, ${frames} frames (ms)`]: median(20, 3, () => generator.path(loop, stepsPerLeg)),
};
results["path, per animation frame (ms)"] = results[`path 0→…→9→0, ${frames} frames (ms)`] / frames;

// The morph as the page's "Download GIF" makes it at 4× and speed 1: 25 frames a leg.
const loopStops = new Float32Array(loop.flatMap((d) => [...generator.classMean(d)]));
let gif = null;
results["pathGif loop 0→…→9→0, 251 frames at 4× (ms)"] = median(9, 2, () => {
  gif = generator.pathGif(loopStops, 25, { scale: 4, frameMs: 40 });
});
results["pathGif loop, its size (bytes)"] = gif.length;
results["pathGif loop with the caption strip (ms)"] = median(9, 2, () => {
  gif = generator.pathGif(loopStops, 25, { scale: 4, frameMs: 40, labels: loop.map(String) });
});
results["pathGif loop with the caption strip, its size (bytes)"] = gif.length;

// Reading a drawing, as the page does on every pointer move: a 280×280 RGBA pad with a stroke.
started = performance.now();
generator.loadEncoder(readFileSync(encoderPath));
results["loadEncoder (ms)"] = performance.now() - started;
const side = 280;
const pad = new Uint8ClampedArray(side * side * 4);
for (let i = 3; i < pad.length; i += 4) pad[i] = 255;
for (let y = 50; y < 230; y++) {
  for (let x = 130; x < 150; x++) pad.fill(255, (y * side + x) * 4, (y * side + x) * 4 + 3);
}
let drawn = null;
results["prepare 280×280 (ms)"] = median(200, 20, () => { drawn = generator.prepare(pad, side, side); });
let code = null;
results["encode 1 (ms)"] = median(400, 50, () => { code = generator.encode(drawn); });
results["classify 1 (ms)"] = median(400, 50, () => generator.classify(code));
results["prepare + encode + classify + decode (ms)"] = median(200, 20, () => {
  const latent = generator.encode(generator.prepare(pad, side, side));
  generator.classify(latent);
  generator.decode(latent);
});

// Measured style: what the sliders, Explore's measure axes, Draw and Write call.
const images = generator.decode(latents);
results["measure 100 images (ms)"] = median(20, 3, () => generator.measure(images));
results["moveStyle 100 codes, two measures (ms)"] = median(60, 10, () =>
  generator.moveStyle(latents, 3, { slant: 10, thickness: 1 }));
const style = generator.styleOf(drawn, [1]);
results["writeInStyle 10 digits from the means (restyle row, ms)"] = median(20, 3, () =>
  generator.writeInStyle(style, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
results["writeInStyle 10 characters, fresh samples (ms)"] = median(20, 3, () =>
  generator.writeInStyle(style, [2, 0, 2, 6, 1, 2, 0, 2, 1, 9], { seed: 4 }));

const gzip = (url) => gzipSync(readFileSync(url), { level: 9 }).length;
results["transfer: wasm gzip (bytes)"] = gzip(wasmPath);
results["transfer: js gzip (bytes)"] = gzip(jsPath);
results["transfer: wasm + js gzip (bytes)"] = results["transfer: wasm gzip (bytes)"] + results["transfer: js gzip (bytes)"];
results["wasm raw (bytes)"] = readFileSync(wasmPath).length;
results["transfer: encoder gzip (bytes), fetched when a digit is read"] = gzip(encoderPath);
results["transfer: all three gzip (bytes)"] = results["transfer: wasm + js gzip (bytes)"] +
  results["transfer: encoder gzip (bytes), fetched when a digit is read"];
results["transfer: flow gzip (bytes), fetched when the flow is chosen"] = gzip(flowPath);

console.log(`Node ${process.version}, ${process.arch}`);
for (const [name, value] of Object.entries(results)) {
  console.log(`${name.padEnd(66)} ${Number.isInteger(value) ? value : value.toFixed(3)}`);
}
