// The files that the single-file page (dist/latent-digits.html, written by tools/bundle.mjs)
// carries inside itself, each gzip-compressed as base64 in a
// <script type="application/gzip" data-file="…" data-size="…"> element. The served page has none.

/** The bytes of `file` (its path under www/) as a stream, with their size, or null when the page
 *  does not carry it. */
export function inlined(file) {
  const element = document.querySelector(`script[type="application/gzip"][data-file="${file}"]`);
  if (!element) return null;
  const gzipped = Uint8Array.from(atob(element.textContent), (c) => c.charCodeAt(0));
  return {
    body: new Blob([gzipped]).stream().pipeThrough(new DecompressionStream("gzip")),
    size: Number(element.dataset.size),
  };
}
