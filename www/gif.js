// The morph as a looping GIF, encoded off the page's thread by gif-worker.js.
import { inlined } from "./inlined.js";

const WORKER = "gif-worker.js";

/** The worker's script and its type: the single-file page's inlined copy as a blob: URL, bundled
 *  as a classic script (Chromium starts no module worker from a blob: URL of a page opened from a
 *  file), or else the module. */
async function workerScript() {
  const carried = inlined(WORKER);
  if (!carried) return { url: new URL(WORKER, import.meta.url), type: "module" };
  const script = await new Response(carried.body, { headers: { "Content-Type": "text/javascript" } }).blob();
  return { url: URL.createObjectURL(script), type: "classic" };
}

/** An encoder of GIFs for `module`, the compiled WebAssembly module the page runs:
 *  `encode(model, stops, stepsPerLeg, options)` resolves to the bytes of `model.gen.pathGif(stops,
 *  stepsPerLeg, options)` (`model` as models.js gives it) or rejects with its Error. The worker
 *  starts with the first GIF and is kept. */
export function gifEncoder(module) {
  let worker = null;
  return async ({ dataset, bytes }, stops, stepsPerLeg, options) => {
    if (!worker) {
      const { url, type } = await workerScript();
      worker = new Worker(url, { type });
    }
    return new Promise((resolve, reject) => {
      worker.onmessage = ({ data }) => (data.error === undefined ? resolve(data.gif) : reject(new Error(data.error)));
      worker.onerror = (event) => {
        event.preventDefault();
        worker = null; // the next GIF tries a new one
        reject(new Error(event.message || "the worker that encodes it did not start"));
      };
      // The model's bytes go along each time (a copy, under a millisecond): a worker started
      // again after an error has none.
      worker.postMessage({ module, dataset, bytes, stops, stepsPerLeg, options });
    });
  };
}
