// Writes dist/latent-digits.html: the page as one self-contained file that works opened from disk,
// with no server and no network request. www/index.html gets style.css, the page's modules and
// workers (the GIF's and the decoding pool's; each bundled by esbuild), pkg/'s WebAssembly
// module, encoder and clothes' model, and Draw's test images, inlined gzip-compressed as base64
// (inlined.js reads them back; the page reads each only when it needs it, as the served page
// fetches it). Run after pkg/ is built:
//   node tools/bundle.mjs
import { build } from "esbuild";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const WWW = new URL("../www/", import.meta.url);
const BUNDLE = fileURLToPath(new URL("../dist/latent-digits.html", import.meta.url));
// What the page loads besides its modules, carried inline (paths under www/).
const INLINED = ["pkg/latent_digits_bg.wasm", "pkg/encoder.packed", "pkg/flow.bin",
  "pkg/fashion/decoder.packed", "pkg/fashion/latent.bin", "pkg/fashion/encoder.packed", "pkg/fashion/flow.bin",
  "test-images/mnist.bin", "test-images/fashion.bin"];
const WORKERS = ["gif-worker.js", "pool-worker.js"];

const www = (path) => fileURLToPath(new URL(path, WWW));
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

/** `entry` (under www/) and every module it imports as one script's source: an ES module, or with
 *  `classic` a classic script (where import.meta.url is the script's location). A `</script` in
 *  it (only possible in a string, regular expression or comment) is escaped so that it can sit
 *  inside a <script> element. */
async function bundled(entry, { classic = false } = {}) {
  const { outputFiles: [file] } = await build({
    entryPoints: [www(entry)], bundle: true, minify: true, charset: "utf8", write: false, logLevel: "warning",
    ...(classic ? { format: "iife", define: { "import.meta.url": "self.location.href" } } : { format: "esm" }),
  });
  return file.text.replaceAll("</script", "<\\/script");
}

/** The element that carries `bytes` as inlined.js reads it: gzip-compressed as base64. */
const carrier = (file, bytes) => `<script type="application/gzip" data-file="${file}" data-size="${bytes.length}">` +
  `${gzipSync(bytes, { level: 9 }).toString("base64")}</script>`;

/** `html` with `pattern` (a string or a global regular expression) replaced by `text`; throws
 *  when it occurs other than `times` times, so that a change to index.html cannot slip past. */
function replace(html, pattern, text, times = 1) {
  const found = typeof pattern === "string" ? html.split(pattern).length - 1 : (html.match(pattern) ?? []).length;
  if (found !== times) throw new Error(`index.html: expected ${times} of ${pattern}, found ${found}`);
  return html.replaceAll(pattern, () => text);
}

let html = await readFile(www("index.html"), "utf8");
html = replace(html, /^ *<!--[^]*?-->\n/gm, "", 3); // comments, those about loading included
html = replace(html, /^ *<link rel="(module)?preload"[^>]*>\n/gm, "", 20);
html = replace(html, '<link rel="stylesheet" href="style.css">', `<style>\n${await readFile(www("style.css"), "utf8")}</style>`);
html = replace(html, '<script type="module" src="main.js"></script>', `<script type="module">${await bundled("main.js")}</script>`);
const carriers = [
  ...await Promise.all(INLINED.map(async (file) => carrier(file, await readFile(www(file))))),
  // Chromium starts no module worker from the blob: URL of a page opened from a file.
  ...await Promise.all(WORKERS.map(async (file) => carrier(file, Buffer.from(await bundled(file, { classic: true }))))),
];
html = replace(html, "</body>", `${carriers.join("\n")}\n</body>`);
const outside = html.match(/\s(?:src|href)="(?!data:)[^"]*"/g);
if (outside) throw new Error(`the bundle still refers to other files: ${outside.join(", ")}`);

await mkdir(dirname(BUNDLE), { recursive: true });
// Written beside it and renamed, so that a stopped run never leaves half a file.
await writeFile(`${BUNDLE}.tmp`, html);
await rename(`${BUNDLE}.tmp`, BUNDLE);
console.log(`${BUNDLE}: ${mib(Buffer.byteLength(html))}`);
