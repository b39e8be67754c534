// Loads the WebAssembly module, most of what the page downloads, and later what only some visitors
// need: an encoder, which reading a visitor's drawing needs, and the clothes model; each reports
// its progress. The single-file page carries them all inside itself (inlined.js), and they are
// read from there instead of fetched.
import { inlined } from "./inlined.js";
/** @import { Generator } from "./pkg/latent_digits.js" */
/** @import { Opened } from "./inlined.js" */

/** How a loader reports its progress: the bytes received so far and the total (0: unknown).
 *  @typedef {(received: number, total: number) => void} Progress */
/** The files of a model the module does not embed (paths under www/).
 *  @typedef {{ decoder: string, stats: string }} ModelFiles */
/** Their bytes.
 *  @typedef {{ decoder: Uint8Array, stats: Uint8Array }} ModelBytes */

const WASM = "pkg/latent_digits_bg.wasm";

/** The bytes of `file` (its path under www/) as a stream and their size (0: unknown), inlined or
 *  else fetched. Throws on an HTTP error.
 *  @param {string} file
 *  @returns {Promise<Opened>} */
async function open(file) {
  const carried = inlined(file);
  if (carried) return carried;
  const url = new URL(file, import.meta.url);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url.pathname}`);
  // A compressed response's Content-Length is not the size of the body as read.
  const size = response.headers.has("Content-Encoding") ? 0 : Number(response.headers.get("Content-Length"));
  return { body: /** @type {ReadableStream<Uint8Array>} */ (response.body), size };
}

/** The bytes of `files`, opened together and counted as they arrive: `progress(received, total)` is
 *  called with the bytes received so far of them all; `total` is 0 when a size is unknown. One
 *  stream per file; throws on an HTTP error.
 *  @param {string[]} files
 *  @param {Progress} progress
 *  @returns {Promise<ReadableStream<Uint8Array>[]>} */
async function openCounted(files, progress) {
  const opened = await Promise.all(files.map(open));
  const total = opened.every(({ size }) => size) ? opened.reduce((sum, { size }) => sum + size, 0) : 0;
  let received = 0;
  return opened.map(({ body }) => body.pipeThrough(new TransformStream({
    transform(chunk, controller) {
      received += chunk.byteLength;
      progress(received, total);
      controller.enqueue(chunk);
    },
  })));
}

/** The whole of `files`, one Uint8Array each; `progress` as for openCounted.
 *  @param {string[]} files
 *  @param {Progress} progress */
async function readCounted(files, progress) {
  const bodies = await openCounted(files, progress);
  return Promise.all(bodies.map(async (body) => new Uint8Array(await new Response(body).arrayBuffer())));
}

/** A Generator once the module is compiled, and the compiled module (`WebAssembly.Module`, for the
 *  GIF worker's own instance); `progress` as for openCounted. Throws if loading fails.
 *  @param {Progress} progress
 *  @returns {Promise<{ gen: Generator, module: WebAssembly.Module }>} */
export async function loadGenerator(progress) {
  const [wasm, [body]] = await Promise.all([import("./pkg/latent_digits.js"), openCounted([WASM], progress)]);
  const module = await WebAssembly.compileStreaming(new Response(body, { headers: { "Content-Type": "application/wasm" } }));
  await wasm.default({ module_or_path: module });
  return { gen: new wasm.Generator(), module };
}

/** The Generator of a model the module does not embed, from its packed decoder and the statistics
 *  fitted to it (`files.decoder`, `files.stats`: paths under www/), and their bytes, from which the
 *  GIF worker builds its own; `progress` as for openCounted. Throws if a file cannot be fetched,
 *  is corrupt or belongs to another model (Generator.fromBytes checks). Call after loadGenerator.
 *  @param {ModelFiles} files
 *  @param {Progress} progress
 *  @returns {Promise<{ gen: Generator, bytes: ModelBytes }>} */
export async function loadModel(files, progress) {
  const [{ Generator }, [decoder, stats]] = await Promise.all([
    import("./pkg/latent_digits.js"), readCounted([files.decoder, files.stats], progress)]);
  return { gen: Generator.fromBytes(decoder, stats), bytes: { decoder, stats } };
}

/** The bytes of `file` (its path under www/), inlined or else fetched. Throws on an HTTP error.
 *  @param {string} file */
export async function loadFile(file) {
  const [bytes] = await readCounted([file], () => {});
  return bytes;
}

/** Reads the packed encoder (`file`, its path under www/) into `gen`; `progress` as for
 *  openCounted. Throws if it fails.
 *  @param {Generator} gen
 *  @param {string} file
 *  @param {Progress} progress */
export async function loadEncoder(gen, file, progress) {
  const [bytes] = await readCounted([file], progress);
  gen.loadEncoder(bytes);
}

/** Reads the normalizing flow (`files.flow`, its path under www/) into `gen` unless it has it:
 *  the first gallery needs none, so it is fetched only when a visitor samples with it. Throws if
 *  it fails.
 *  @param {{ gen: Generator, files: { flow: string } }} model */
export async function ensureFlow({ gen, files }) {
  if (!gen.hasFlow) gen.loadFlow(await loadFile(files.flow));
}
