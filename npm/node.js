// The package's entry point in Node: the module of `latent_digits.js`, whose default export
// here reads the WebAssembly from the package's own file (Node's fetch cannot read files).
import initFromInput from "./latent_digits.js";
import { readFile } from "node:fs/promises";

export * from "./latent_digits.js";

/**
 * Loads the module: with no argument, from `latent_digits_bg.wasm` beside this file; otherwise
 * from what it is given, as in the browser. Call it once, before any other export.
 * @param {Parameters<typeof initFromInput>[0]} [moduleOrPath]
 */
export default async function init(moduleOrPath) {
  const input = moduleOrPath ?? {
    module_or_path: await readFile(new URL("./latent_digits_bg.wasm", import.meta.url)),
  };
  return initFromInput(input);
}
