// Loads one contender in Node: imports its runtime, reads the weights (the peers from
// model/decoder.packed, ours has them built into its wasm) and returns runtimes.mjs's interface.
// Everything is imported here, dynamically, so that first.mjs can time the imports too.
import { readFileSync } from "node:fs";

const root = new URL("../../", import.meta.url);

/** @param {"tfjs" | "ort1" | "ort2" | "ours"} name */
export async function loadNode(name) {
  const runtimes = await import("./runtimes.mjs");
  if (name === "ours") {
    const { initSync, Generator } = await import("../../pkg/latent_digits.js");
    initSync({ module: readFileSync(new URL("pkg/latent_digits_bg.wasm", root)) });
    return runtimes.oursRuntime(Generator);
  }
  const { readDecoder, onnxModel } = await import("./decoder.mjs");
  if (name === "tfjs") {
    const tf = await import("@tensorflow/tfjs-core");
    await import("@tensorflow/tfjs-backend-wasm");
    const layers = readDecoder(readFileSync(new URL("model/decoder.packed", root)));
    return runtimes.tfjsRuntime(tf, layers);
  }
  if (name === "ort1" || name === "ort2") {
    const ort = await import("onnxruntime-web");
    const model = onnxModel(readDecoder(readFileSync(new URL("model/decoder.packed", root))));
    return runtimes.ortRuntime(ort, model, name === "ort1" ? 1 : 2);
  }
  throw new Error(`unknown runtime ${name}`);
}
