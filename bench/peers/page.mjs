// One contender in a page (see browser.mjs): loads its runtime and the weights, decodes the code
// in the URL's hash, draws it, and records the time since navigation in `window.firstOutput`;
// then `window.peer` runs checks and timing rounds for browser.mjs.
import { tfjsRuntime, ortRuntime, oursRuntime, round } from "./runtimes.mjs";

const modules = "/bench/peers/node_modules/";
const name = new URLSearchParams(location.search).get("runtime");
const code = Float32Array.from(JSON.parse(decodeURIComponent(location.hash.slice(1))));

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(script);
  });
}

async function layers() {
  const [{ readDecoder }, response] = await Promise.all([import("./decoder.mjs"), fetch("/model/decoder.packed")]);
  return { readDecoder, bytes: new Uint8Array(await response.arrayBuffer()) };
}

async function load() {
  if (name === "ours") {
    const ours = await import("/pkg/latent_digits.js");
    await ours.default();
    return oursRuntime(ours.Generator);
  }
  if (name === "tfjs") {
    const scripts = loadScript(`${modules}@tensorflow/tfjs-core/dist/tf-core.min.js`).then(() =>
      loadScript(`${modules}@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js`),
    );
    const [, { readDecoder, bytes }] = await Promise.all([scripts, layers()]);
    const tf = globalThis.tf;
    tf.wasm.setWasmPaths(`${modules}@tensorflow/tfjs-backend-wasm/dist/`);
    return tfjsRuntime(tf, readDecoder(bytes));
  }
  if (name === "ort1" || name === "ort2") {
    const [ort, { readDecoder, bytes }, { onnxModel }] = await Promise.all([
      import(`${modules}onnxruntime-web/dist/ort.wasm.min.mjs`),
      layers(),
      import("./decoder.mjs"),
    ]);
    ort.env.wasm.wasmPaths = `${modules}onnxruntime-web/dist/`;
    return ortRuntime(ort, onnxModel(readDecoder(bytes)), name === "ort1" ? 1 : 2);
  }
  throw new Error(`unknown runtime ${name}`);
}

function draw(pixels) {
  const canvas = /** @type {HTMLCanvasElement} */ (document.getElementById("digit"));
  const image = new ImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(255 * pixels[i]);
    image.data.set([v, v, v, 255], 4 * i);
  }
  canvas.getContext("2d").putImageData(image, 0, 0);
}

try {
  const runtime = await load();
  let pixels = runtime.decode(code, 1);
  if (runtime.async) pixels = await pixels;
  draw(pixels);
  window.firstOutput = { ms: performance.now(), pixel: pixels[400] };
  window.peer = {
    info: { ...runtime.info, crossOriginIsolated: globalThis.crossOriginIsolated },
    async check(codes, n) {
      const out = await runtime.decode(Float32Array.from(codes), n);
      return Array.from(out);
    },
    round(codes, settings) {
      return round(runtime, Float32Array.from(codes), settings);
    },
  };
} catch (error) {
  window.pageError = String(error?.stack ?? error);
}
