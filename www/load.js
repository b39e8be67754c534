// Loads the WebAssembly module, most of what the page downloads, and later the encoder, which
// only reading a visitor's digit needs; both report their progress. The single-file page carries
// both inside itself (inlined.js), and they are read from there instead of fetched.
import { inlined } from "./inlined.js";

const WASM = "pkg/latent_digits_bg.wasm";
const ENCODER = "pkg/encoder.q8.bpk";

/** The bytes of `file` (its path under www/) as a stream and their size (0: unknown), inlined or
 *  else fetched. Throws on an HTTP error. */
async function open(file) {
  const carried = inlined(file);
  if (carried) return carried;
  const url = new URL(file, import.meta.url);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url.pathname}`);
  // A compressed response's Content-Length is not the size of the body as read.
  const size = response.headers.has("Content-Encoding") ? 0 : Number(response.headers.get("Content-Length"));
  return { body: response.body, size };
}

/** The bytes of `file`, counted as they arrive: `progress(received, total)` is called with the bytes
 *  received so far; `total` is 0 when the size is unknown. Throws on an HTTP error. */
async function openCounted(file, progress) {
  const { body, size } = await open(file);
  let received = 0;
  return body.pipeThrough(new TransformStream({
    transform(chunk, controller) {
      received += chunk.byteLength;
      progress(received, size);
      controller.enqueue(chunk);
    },
  }));
}

/** A Generator once the module is compiled, and the compiled module (`WebAssembly.Module`, for the
 *  GIF worker's own instance); `progress` as for openCounted. Throws if loading fails. */
export async function loadGenerator(progress) {
  const [wasm, body] = await Promise.all([import("./pkg/latent_digits.js"), openCounted(WASM, progress)]);
  const module = await WebAssembly.compileStreaming(new Response(body, { headers: { "Content-Type": "application/wasm" } }));
  await wasm.default({ module_or_path: module });
  return { gen: new wasm.Generator(), module };
}

/** Reads the encoder's record into `gen`; `progress` as for openCounted. Throws if it fails. */
export async function loadEncoder(gen, progress) {
  const bytes = await new Response(await openCounted(ENCODER, progress)).arrayBuffer();
  gen.loadEncoder(new Uint8Array(bytes));
}
