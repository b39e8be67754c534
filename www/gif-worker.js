// The GIF worker: encodes the morph's GIFs with its own instance of the module, so that the page
// stays responsive meanwhile. Each request carries the module the page compiled; the first one
// instantiates it.
import init, { Generator } from "./pkg/latent_digits.js";

let generator = null; // the promise of this worker's Generator

onmessage = async ({ data: { module, stops, stepsPerLeg, options } }) => {
  try {
    generator ??= init({ module_or_path: module }).then(() => new Generator());
    const gif = (await generator).pathGif(stops, stepsPerLeg, options);
    postMessage({ gif }, [gif.buffer]);
  } catch (error) {
    postMessage({ error: error.message });
  }
};
