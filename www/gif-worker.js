// The GIF worker: encodes the morph's GIFs with its own instance of the module, so that the page
// stays responsive meanwhile. Each request carries the module the page compiled, which the first
// one instantiates, and the model to draw with: its data set and, unless the module embeds it,
// its bytes (gif.js). It keeps a Generator per data set.
import init, { Generator } from "./pkg/latent_digits.js";
/** @import { InitOutput } from "./pkg/latent_digits.js" */
/** @import { GifRequest } from "./gif.js" */

/** @type {Promise<InitOutput> | null} */
let instance = null; // the promise of this worker's instance of the module
/** @type {Map<string, Generator>} */
const generators = new Map(); // data set → its Generator

/** @param {MessageEvent<GifRequest>} event */
onmessage = async ({ data: { module, dataset, bytes, stops, stepsPerLeg, options } }) => {
  try {
    await (instance ??= init({ module_or_path: module }));
    if (!generators.has(dataset)) {
      generators.set(dataset, bytes ? Generator.fromBytes(bytes.decoder, bytes.stats) : new Generator());
    }
    const gif = /** @type {Generator} */ (generators.get(dataset)).pathGif(stops, stepsPerLeg, options);
    postMessage({ gif }, [gif.buffer]);
  } catch (error) {
    postMessage({ error: /** @type {Error} */ (error).message });
  }
};
