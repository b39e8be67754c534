// The package in a page bundled by esbuild: the WebAssembly and the data files are copied by
// esbuild's file loader, and their URLs handed over.
import init, { Generator } from "latent-digits";
import wasmUrl from "latent-digits/latent_digits_bg.wasm";
import encoderUrl from "latent-digits/encoder.packed";
import flowUrl from "latent-digits/flow.bin";
import clothesDecoderUrl from "latent-digits/fashion/decoder.packed";
import clothesStatsUrl from "latent-digits/fashion/latent.bin";
import clothesEncoderUrl from "latent-digits/fashion/encoder.packed";
import { type PackageFile, type Summary, useThePackage } from "./usage.ts";

const urls: Record<PackageFile, string> = {
  "encoder.packed": encoderUrl,
  "flow.bin": flowUrl,
  "fashion/decoder.packed": clothesDecoderUrl,
  "fashion/latent.bin": clothesStatsUrl,
  "fashion/encoder.packed": clothesEncoderUrl,
};

/** Draws `count` images of 28 × 28 grey values side by side on `canvas`. */
function draw(canvas: HTMLCanvasElement, pixels: Float32Array, count: number): void {
  canvas.width = 28 * count;
  canvas.height = 28;
  const image = new ImageData(canvas.width, 28);
  for (let i = 0; i < count; i++) {
    for (let p = 0; p < 784; p++) {
      const at = 4 * ((p / 28 | 0) * canvas.width + i * 28 + (p % 28));
      image.data.fill(Math.round(255 * pixels[i * 784 + p]!), at, at + 3);
      image.data[at + 3] = 255;
    }
  }
  canvas.getContext("2d")!.putImageData(image, 0, 0);
}

declare global {
  interface Window {
    summary?: Summary;
  }
}

await init({ module_or_path: wasmUrl });
window.summary = await useThePackage(
  async (file) => new Uint8Array(await (await fetch(urls[file])).arrayBuffer()),
);
draw(document.querySelector("canvas")!, new Generator().sample(7, 8, { seed: 1 }), 8);
