// The package in Node: its `node` entry loads the WebAssembly from the package's file, and the
// data files are found by resolving their package paths.
import init from "latent-digits";
import { readFile } from "node:fs/promises";
import { useThePackage } from "./usage.ts";

await init();
const summary = await useThePackage(
  async (file) => new Uint8Array(await readFile(new URL(import.meta.resolve(`latent-digits/${file}`)))),
);
console.log(JSON.stringify(summary));
