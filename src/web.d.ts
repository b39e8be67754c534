// The types of the options and results of `Generator`'s methods. The module checks every value
// at run time as well: these types let TypeScript catch the same mistakes before the code runs.

/** A class index from 0 to 9: the digit, or for clothes the class `info().classNames[i]`. */
export type ClassIndex = number;

/** Codes or images, row after row: a `Float32Array` or an array of numbers. */
export type Floats = Float32Array | readonly number[];

/** The pixels `prepare` takes: RGBA bytes (as canvas `ImageData` holds them) or one grey value
 *  in [0, 1] per pixel. */
export type AnyPixels = Uint8ClampedArray | Uint8Array | Float32Array;

/** How `sample` draws codes: from the class's Gaussian mixture, from its single Gaussian, or
 *  from its mixture's components refined by a normalizing flow (where `info().methods` lists
 *  it). */
export type SampleMethod = "gmm" | "gaussian" | "flow";

/** Options of `sample` and `sampleLatents`. */
export interface SampleOptions {
  /** The distribution the codes come from; default `info().defaultMethod`. */
  method?: SampleMethod;
  /** The covariance scale, from 0 (the means) to 10⁴; default `info().defaultSpread[method]`. */
  spread?: number;
  /** A whole number from 0 to 2^53 − 1: the same seed and options give the same images.
   *  Default: a random seed. */
  seed?: number;
}

/** What `sampleLatents` returns. */
export interface SampledLatents {
  /** The codes, `n × 32` values: `decode(latents)` gives the images `sample` returns. */
  latents: Float32Array;
  /** The mixture component each code was drawn from (0 for the single Gaussian). */
  components: Uint32Array;
}

/** `[accuracy, Fréchet distance, diversity, memorisation]` of a set of images, as
 *  `latent-digits evaluate` measured it. */
export type QualityScores = [accuracy: number, frechet: number, diversity: number, memorisation: number];

/** The model's measured quality (`info().metrics`). */
export interface ModelMetrics {
  /** Binary cross-entropy per pixel of the decoded test images. */
  testBce: number;
  /** Mean squared error per pixel of the decoded test images. */
  testMse: number;
  trainBce: number;
  trainMse: number;
  /** Epochs the autoencoder was trained for. */
  epochs: number;
  /** The training run's seed. */
  seed: number;
  /** Per class, the mean log-likelihood of its test codes under its mixture. */
  testLogLikelihoodMixture: number[];
  /** Per class, the mean log-likelihood of its test codes under its single Gaussian. */
  testLogLikelihoodGaussian: number[];
  /** Per class, the mean log-likelihood of its test codes under the flow (with the flow). */
  testLogLikelihoodFlow?: number[];
  mixtureSamples?: QualityScores;
  gaussianSamples?: QualityScores;
  flowSamples?: QualityScores;
  /** The test images decoded from their codes: the best samples could do. */
  reconstructions?: QualityScores;
  /** How well the model reads images (`classify`, `restyle`), measured on the test images. */
  reading?: ReadingScores;
}

/** How well the model reads images, measured on the test images. */
export interface ReadingScores {
  /** Share of the test images `classify` reads right. */
  accuracy: number;
  /** For each class d, the share of restyled test images read as d. */
  restyle: number[];
}

/** The model card `info()` returns. */
export interface ModelInfo {
  /** The data set the model was trained on. */
  dataset: "mnist" | "fashion";
  /** What each class is called: "0"–"9", or "T-shirt", "Trouser", … */
  classNames: string[];
  /** Values per code (32). */
  latentDim: number;
  /** Number of classes (10). */
  classes: number;
  /** Mixture components per class. */
  components: number[];
  /** The layer widths, encoder then decoder: "784-512-256-128-64-32-64-128-256-512-784". */
  architecture: string;
  /** The spread each method samples with unless told otherwise. */
  defaultSpread: Record<SampleMethod, number>;
  /** The methods this model can sample with ("flow" only where it has a flow). */
  methods: SampleMethod[];
  /** The method `sample` uses unless told otherwise: the best the evaluator measured. */
  defaultMethod: SampleMethod;
  /** The most images one call decodes. */
  maxImages: number;
  metrics: ModelMetrics;
  /** The command lines that reproduce the model, in order. */
  trainCommands: string[];
  /** The module's version. */
  version: string;
  /** The version of the statistics file format. */
  formatVersion: number;
}

/** What `pca()` returns. */
export interface Pca {
  /** The variance along each principal component, largest first (32 values). */
  eigenvalues: Float32Array;
  /** Test codes projected on the first two components: x, y for each. */
  points: Float32Array;
  /** The class of each point. */
  labels: Uint8Array;
}

/** A measure of an image's style, in the order `measure` returns them. */
export type MeasureName = "slant" | "thickness" | "width" | "height" | "ink";

/** One entry of `styleAxes()`. */
export interface StyleAxis {
  name: MeasureName;
  /** "degrees", "px", or "px²" (ink: pixels of full ink). */
  unit: string;
  /** The measure's spread between images of one class over the training set. */
  sd: number;
  /** Whether `moveStyle` and `writeInStyle` set it. */
  steerable: boolean;
  /** How a style carries it to other classes: in its unit, or in standard deviations of the
   *  class. */
  transfer: "absolute" | "relative";
}

/** Values by measure: a style (`styleOf`, `writeInStyle`) or the changes `moveStyle` makes. */
export type MeasureValues = { [name in MeasureName]?: number };

/** Options of `writeInStyle`. */
export interface WriteOptions {
  /** A fresh sample of each character from this seed (the same style, seed and digits give the
   *  same codes); without it, the class means. */
  seed?: number;
}

/** Options of `pathGif`. */
export interface GifOptions {
  /** Pixels per image pixel, 1–10; default 4. */
  scale?: number;
  /** Milliseconds per frame, 20–10000; default 40. */
  frameMs?: number;
  /** One label per stop, of digits, `*` and spaces (a digit, or `*` for a code of no class):
   *  draws a strip naming each leg. */
  labels?: readonly string[];
}
