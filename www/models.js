// The two models the page shows: the digits, whose decoder the WebAssembly module embeds, and the
// clothes, whose files are fetched the first time they are chosen. Both are kept once loaded, so
// that switching back and forth is instant. What else differs between them is in DATASETS.
import { loadModel } from "./load.js";
/** @import { ModelBytes, ModelFiles, Progress } from "./load.js" */
/** @import { Generator, ModelInfo } from "./pkg/latent_digits.js" */

/** What the page calls a data set's images and classes (DATASETS).
 *  @typedef {{ item: string, items: string, class: string, classes: string, thing: string,
 *    prompt: string, drawn: string, source: string, model: string, prepared: string,
 *    gifLabels: string, compared: string }} Words */
/** A data set as DATASETS describes it.
 *  @typedef {object} Dataset
 *  @property {string} name
 *  @property {string} filePrefix
 *  @property {Words} words
 *  @property {(name: string) => string} sample
 *  @property {number[][]} pairs
 *  @property {{ model: ModelFiles | null, encoder: string, flow: string, testImages: string }} files */
/** A model as the sections take it (createModels).
 *  @typedef {Dataset & { dataset: string, gen: Generator, info: ModelInfo, bytes: ModelBytes | null }} Model */

/** Per data set, by its name in the URL (state.js; the first is the default): its short name, for messages and files; `filePrefix`, that
 *  of the morph's and Explore's downloads; `words`, what the page calls its images and classes
 *  (ui.js's showWords writes them into the page); `sample(name)`, a sample of class `name` as a
 *  gallery tip says it; `pairs`, the pairs of classes Explore's presets show, one far apart and one
 *  overlapping; its files under www/ (`model`: null for the embedded digits; `flow`: the
 *  normalizing flow, fetched when a visitor samples with it; `testImages`: a few images of its
 *  test set, which Draw offers to read, test-images/README.md).
 *  @type {Record<string, Dataset>} */
export const DATASETS = {
  mnist: {
    name: "digits",
    filePrefix: "",
    words: {
      item: "digit",
      items: "digits",
      class: "digit",
      classes: "digits",
      thing: "a digit",
      prompt: "Draw a digit",
      drawn: "your digit",
      source: "MNIST",
      model: "the digits (MNIST)",
      prepared: "MNIST's digits were (its box scaled to 20 × 20 pixels, its centre of mass at the centre of 28 × 28)",
      gifLabels: "the labels name each leg's digits (* for a sample or your digit)",
      compared: "The original project compared",
    },
    sample: (name) => `digit ${name}`,
    pairs: [[0, 1], [4, 9]],
    files: { model: null, encoder: "pkg/encoder.packed", flow: "pkg/flow.bin", testImages: "test-images/mnist.bin" },
  },
  fashion: {
    name: "clothes",
    filePrefix: "clothes-",
    words: {
      item: "image",
      items: "images",
      class: "class",
      classes: "classes",
      thing: "a piece of clothing",
      prompt: "Draw a piece of clothing: a filled silhouette will do",
      drawn: "your drawing",
      source: "Fashion-MNIST",
      model: "the clothes (Fashion-MNIST)",
      prepared: "Fashion-MNIST's images were (its box scaled until its longer side spans 28 pixels, centred in 28 × 28)",
      gifLabels: "the labels number each leg's classes in the order of the buttons above, " +
        "0 for T-shirt to 9 for Ankle boot (* for a sample or your drawing)",
      compared: "Compare",
    },
    sample: (name) => name,
    // On the plane: Trouser and Ankle boot lie far apart (their centres 11.2 apart, as far as any two
    // classes but Trouser and the Pullover or Coat); Pullover and Coat overlap most (0.06).
    pairs: [[1, 9], [2, 4]],
    files: {
      model: { decoder: "pkg/fashion/decoder.packed", stats: "pkg/fashion/latent.bin" },
      encoder: "pkg/fashion/encoder.packed",
      flow: "pkg/fashion/flow.bin",
      testImages: "test-images/fashion.bin",
    },
  },
};

/** A model as the sections take it: its data set's DATASETS entry, the data set, its Generator,
 *  `info` (gen.info()) and `bytes`, from which the GIF worker builds the same Generator (null: the
 *  module's own).
 *  @param {string} dataset
 *  @param {Generator} gen
 *  @param {ModelBytes | null} bytes
 *  @returns {Model} */
const model = (dataset, gen, bytes) => ({ ...DATASETS[dataset], dataset, gen, info: gen.info(), bytes });

/** The page's models, starting with `digits`, the module's own Generator: `loaded(dataset)` is the
 *  model of `dataset` once loaded, else undefined; `load(dataset, progress)` loads it (progress as
 *  load.js reports it) and resolves to it, or rejects with an Error that says why.
 *  @param {Generator} digits */
export function createModels(digits) {
  const models = new Map([["mnist", model("mnist", digits, null)]]);
  return {
    /** @param {string} dataset */
    loaded: (dataset) => models.get(dataset),
    /** @param {string} dataset a data set whose model the module does not embed
     *  @param {Progress} progress */
    async load(dataset, progress) {
      const { gen, bytes } = await loadModel(/** @type {ModelFiles} */ (DATASETS[dataset].files.model), progress);
      models.set(dataset, model(dataset, gen, bytes));
      return models.get(dataset);
    },
  };
}
