// What a user of the npm package writes, typed against its declarations: run in Node and in a
// bundled page by package.test.mjs, and type-checked there with `tsc --strict`.
import {
  Generator,
  type MeasureValues,
  type ModelInfo,
  type SampleOptions,
  type StyleAxis,
} from "latent-digits";

/** The package's data files that `useThePackage` loads. */
export type PackageFile =
  | "encoder.packed"
  | "flow.bin"
  | "fashion/decoder.packed"
  | "fashion/latent.bin"
  | "fashion/encoder.packed";

/** What `useThePackage` saw, for the test to check. */
export interface Summary {
  dataset: ModelInfo["dataset"];
  latentDim: number;
  /** Pixels of the four sampled sevens. */
  sevens: number[];
  /** Whether the same seed gave the same sevens twice. */
  sameSeedSameDigits: boolean;
  /** Whether decoding `sampleLatents`' codes gave `sample`'s images. */
  latentsDecodeToSamples: boolean;
  /** How many of four sevens sampled through the flow the classifier reads as 7. */
  flowSevensReadAsSeven: number;
  /** How many of the sevens the encoder and classifier read as 7. */
  sevensReadAsSeven: number;
  axes: string[];
  slant: number | undefined;
  writtenImages: number;
  gifSignature: string;
  pcaPoints: number;
  clothesDataset: ModelInfo["dataset"];
  clothesClass1: string | undefined;
  trouserPixels: number;
  clothesEncoderLoaded: boolean;
  /** The message of the error that class 11 throws. */
  classElevenError: string;
  /** Whether the generator still samples after that error. */
  worksAfterError: boolean;
}

/** Uses every part of the package's API once, loading the package's files with `read`. */
export async function useThePackage(
  read: (file: PackageFile) => Promise<Uint8Array>,
): Promise<Summary> {
  const digits = new Generator();
  const info: ModelInfo = digits.info();

  const options: SampleOptions = { method: "gmm", seed: 7 };
  const sevens = digits.sample(7, 4, options);
  const again = digits.sample(7, 4, { seed: 7 });
  const { latents, components } = digits.sampleLatents(7, 4, options);
  const decoded = digits.decode(latents);

  digits.loadEncoder(await read("encoder.packed"));
  const probabilities = digits.classify(digits.encode(sevens));
  let sevensReadAsSeven = 0;
  for (let i = 0; i < components.length; i++) {
    const row = Array.from(probabilities.subarray(i * 10, i * 10 + 10));
    if (row.indexOf(Math.max(...row)) === 7) sevensReadAsSeven++;
  }

  digits.loadFlow(await read("flow.bin"));
  const flowSevens = digits.sample(7, 4, { method: "flow", seed: 7 });
  const flowProbabilities = digits.classify(digits.encode(flowSevens));
  let flowSevensReadAsSeven = 0;
  for (let i = 0; i < 4; i++) {
    const row = Array.from(flowProbabilities.subarray(i * 10, i * 10 + 10));
    if (row.indexOf(Math.max(...row)) === 7) flowSevensReadAsSeven++;
  }

  const axes: StyleAxis[] = digits.styleAxes();
  const style: MeasureValues = digits.styleOf(sevens, [7, 7, 7, 7]);
  const written = digits.decode(digits.writeInStyle(style, [1, 2, 3], { seed: 1 }));

  const stops = new Float32Array([...digits.classMean(0), ...digits.classMean(1)]);
  const gif = digits.pathGif(stops, 4, { scale: 2, frameMs: 50, labels: ["0", "1"] });

  const clothes = Generator.fromBytes(
    await read("fashion/decoder.packed"),
    await read("fashion/latent.bin"),
  );
  clothes.loadEncoder(await read("fashion/encoder.packed"));
  const trousers = clothes.sample(1, 2, { method: "gaussian", spread: 0.5, seed: 3 });

  let classElevenError = "";
  try {
    digits.sample(11, 1);
  } catch (error) {
    classElevenError = error instanceof Error ? error.message : String(error);
  }

  return {
    dataset: info.dataset,
    latentDim: info.latentDim,
    sevens: Array.from(sevens),
    sameSeedSameDigits: sevens.every((value, i) => value === again[i]),
    latentsDecodeToSamples: decoded.every((value, i) => value === sevens[i]),
    sevensReadAsSeven,
    flowSevensReadAsSeven,
    axes: axes.map((axis) => `${axis.name} (${axis.unit})`),
    slant: style.slant,
    writtenImages: written.length / 784,
    gifSignature: String.fromCharCode(...gif.subarray(0, 6)),
    pcaPoints: digits.pca().points.length / 2,
    clothesDataset: clothes.info().dataset,
    clothesClass1: clothes.info().classNames[1],
    trouserPixels: trousers.length,
    clothesEncoderLoaded: clothes.hasEncoder,
    classElevenError,
    worksAfterError: digits.sample(3, 1, { seed: 1 }).length === 784,
  };
}

/** Mistakes the declarations catch: `tsc --strict` must reject each line after a
 *  `@ts-expect-error` (package.test.mjs also checks that it does so without the comments).
 *  Never called. */
export function mistakes(generator: Generator): void {
  // @ts-expect-error a string where a class index goes
  generator.sample("7", 4);
  // @ts-expect-error a misspelt option
  generator.sample(7, 4, { sead: 1 });
  // @ts-expect-error a sampling method that does not exist
  generator.sample(7, 4, { method: "normal" });
  // @ts-expect-error the GIF's scale is a number
  generator.pathGif(new Float32Array(64), 4, { scale: "2" });
  // @ts-expect-error a misspelt measure
  generator.moveStyle(new Float32Array(32), 7, { slnt: 5 });
  // @ts-expect-error classes go in an array
  generator.path(7, 10);
  // @ts-expect-error the model card has no such field
  console.log(generator.info().datasetName);
  // @ts-expect-error a style axis's transfer is "absolute" or "relative"
  const transfer: "linear" = generator.styleAxes()[0]!.transfer;
  // @ts-expect-error the components are whole numbers in a Uint32Array
  const codes: Float32Array = generator.sampleLatents(7, 1).components;
  console.log(transfer, codes);
}
