// The files that the single-file page (dist/latent-digits.html, written by tools/bundle.mjs)
// carries inside itself, each gzip-compressed as base64 in a
// <script type="application/gzip" data-file="…" data-size="…"> element, and the workers it
// starts from them. The served page has none.

/** A file's bytes as a stream, and their size (0: unknown).
 *  @typedef {{ body: ReadableStream<Uint8Array>, size: number }} Opened */

/** The bytes of `file` (its path under www/) as a stream, with their size, or null when the page
 *  does not carry it.
 *  @param {string} file
 *  @returns {Opened | null} */
export function inlined(file) {
  /** @type {HTMLScriptElement | null} */
  const element = document.querySelector(`script[type="application/gzip"][data-file="${file}"]`);
  if (!element) return null;
  const gzipped = Uint8Array.from(atob(/** @type {string} */ (element.textContent)), (c) => c.charCodeAt(0));
  return {
    body: new Blob([gzipped]).stream().pipeThrough(new DecompressionStream("gzip")),
    size: Number(element.dataset.size),
  };
}

/** A worker running the script `file` (its path under www/): the single-file page's inlined copy
 *  from a blob: URL, bundled as a classic script (Chromium starts no module worker from a blob:
 *  URL of a page opened from a file), or else the module.
 *  @param {string} file
 *  @returns {Promise<Worker>} */
export async function startWorker(file) {
  const carried = inlined(file);
  if (!carried) return new Worker(new URL(file, import.meta.url), { type: "module" });
  const script = await new Response(carried.body, { headers: { "Content-Type": "text/javascript" } }).blob();
  return new Worker(URL.createObjectURL(script));
}
