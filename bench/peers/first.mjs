// "init → first output" in a fresh process: node bench/peers/first.mjs <runtime> '<code as JSON>'.
// Takes the time before any import, then imports the runtime, loads the weights or model and
// decodes the one code; prints JSON: script start → first output, and process start (Node's
// performance.timeOrigin) → first output.
const t0 = performance.now();
const { loadNode } = await import("./node-load.mjs");
const runtime = await loadNode(process.argv[2]);
const tLoaded = performance.now();
const code = Float32Array.from(JSON.parse(process.argv[3]));
let pixels = runtime.decode(code, 1);
if (runtime.async) pixels = await pixels;
const t1 = performance.now();
if (pixels.length !== 784) throw new Error(`${pixels.length} pixels`);
process.stdout.write(
  JSON.stringify({ scriptMs: t1 - t0, processMs: t1, loadMs: tLoaded - t0, firstDecodeMs: t1 - tLoaded, pixel: pixels[400] }),
);
process.exit(0);
