// Loads the WebAssembly module, most of what the page downloads, and later the encoder, which
// only reading a visitor's digit needs; both report their progress.

const WASM = new URL("pkg/latent_digits_bg.wasm", import.meta.url);
const ENCODER = new URL("pkg/encoder.q8.bpk", import.meta.url);

/** The body of `url`, counted as it arrives: `progress(received, total)` is called with the bytes
 *  received so far; `total` is 0 when the server does not say the size. Throws on an HTTP error. */
async function fetchCounted(url, progress) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url.pathname}`);
  // A compressed response's Content-Length is not the size of the body as read.
  const total = response.headers.has("Content-Encoding") ? 0 : Number(response.headers.get("Content-Length"));
  let received = 0;
  return response.body.pipeThrough(new TransformStream({
    transform(chunk, controller) {
      received += chunk.byteLength;
      progress(received, total);
      controller.enqueue(chunk);
    },
  }));
}

/** A Generator once the module is compiled; `progress` as for fetchCounted. Throws if loading fails. */
export async function loadGenerator(progress) {
  const [wasm, body] = await Promise.all([import("./pkg/latent_digits.js"), fetchCounted(WASM, progress)]);
  const module = new Response(body, { headers: { "Content-Type": "application/wasm" } });
  await wasm.default({ module_or_path: module });
  return new wasm.Generator();
}

/** Fetches the encoder's record into `gen`; `progress` as for fetchCounted. Throws if it fails. */
export async function loadEncoder(gen, progress) {
  const bytes = await new Response(await fetchCounted(ENCODER, progress)).arrayBuffer();
  gen.loadEncoder(new Uint8Array(bytes));
}
