// The morph as a looping GIF, encoded off the page's thread by gif-worker.js.
import { startWorker } from "./inlined.js";
/** @import { ModelBytes } from "./load.js" */
/** @import { Model } from "./models.js" */
/** @import { GifOptions } from "./pkg/latent_digits.js" */
/** What the page asks the worker for: the GIF of pathGif(stops, stepsPerLeg, options) with the model
 *  of `dataset`, whose `bytes` (null: the module's own) the worker builds its Generator from.
 *  @typedef {object} GifRequest
 *  @property {WebAssembly.Module} module
 *  @property {string} dataset
 *  @property {ModelBytes | null} bytes
 *  @property {Float32Array} stops
 *  @property {number} stepsPerLeg
 *  @property {GifOptions} options */
/** The worker's answer: the GIF's bytes, or the message of the Error that stopped it.
 *  @typedef {{ gif: Uint8Array<ArrayBuffer>, error?: undefined } | { error: string }} GifReply */
/** Resolves to the bytes of `model`'s GIF of pathGif(stops, stepsPerLeg, options) (gifEncoder).
 *  @typedef {(model: Model, stops: Float32Array, stepsPerLeg: number, options: GifOptions)
 *    => Promise<Uint8Array<ArrayBuffer>>} EncodeGif */

/** An encoder of GIFs for `module`, the compiled WebAssembly module the page runs:
 *  `encode(model, stops, stepsPerLeg, options)` resolves to the bytes of `model.gen.pathGif(stops,
 *  stepsPerLeg, options)` (`model` as models.js gives it) or rejects with its Error. The worker
 *  starts with the first GIF and is kept.
 *  @param {WebAssembly.Module} module
 *  @returns {EncodeGif} */
export function gifEncoder(module) {
  /** @type {Worker | null} */
  let worker = null;
  return async ({ dataset, bytes }, stops, stepsPerLeg, options) => {
    worker ??= await startWorker("gif-worker.js");
    const current = worker; // this GIF's (onerror clears `worker`)
    return new Promise((resolve, reject) => {
      current.onmessage = (/** @type {MessageEvent<GifReply>} */ { data }) =>
        (data.error === undefined ? resolve(data.gif) : reject(new Error(data.error)));
      current.onerror = (event) => {
        event.preventDefault();
        worker = null; // the next GIF tries a new one
        reject(new Error(event.message || "the worker that encodes it did not start"));
      };
      // The model's bytes go along each time (a copy, under a millisecond): a worker started
      // again after an error has none.
      current.postMessage(/** @satisfies {GifRequest} */ ({ module, dataset, bytes, stops, stepsPerLeg, options }));
    });
  };
}
