// Loads the WebAssembly module, most of what the page downloads, and reports its progress.

const WASM = new URL("pkg/latent_digits_bg.wasm", import.meta.url);

/** A Generator once the module is compiled. `progress(received, total)` is called with the bytes
 *  received so far; `total` is 0 when the server does not say the size. Throws if loading fails. */
export async function loadGenerator(progress) {
  const [wasm, response] = await Promise.all([import("./pkg/latent_digits.js"), fetch(WASM)]);
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${WASM.pathname}`);
  // A compressed response's Content-Length is not the size of the body as read.
  const total = response.headers.has("Content-Encoding") ? 0 : Number(response.headers.get("Content-Length"));
  let received = 0;
  const counted = response.body.pipeThrough(new TransformStream({
    transform(chunk, controller) {
      received += chunk.byteLength;
      progress(received, total);
      controller.enqueue(chunk);
    },
  }));
  const module = new Response(counted, { headers: { "Content-Type": "application/wasm" } });
  await wasm.default({ module_or_path: module });
  return new wasm.Generator();
}
