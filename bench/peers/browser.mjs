// The peers benchmark in headless Chromium: the same contenders, network, weights and codes as
// node.mjs, one page per runtime (page.html), served from the repository root by a small static
// server on 127.0.0.1 (with the cross-origin isolation headers ORT's threads need).
//
//   npm ci --prefix bench/peers && node bench/peers/browser.mjs [--rounds 7] [--fresh 7]
//
// Uses the project's playwright-core (root node_modules) and Debian's /usr/bin/chromium; it never
// downloads a browser. 1. Each runtime's page in its own browser context; its outputs on three
// codes checked against ours. 2. Interleaved timing rounds, as in node.mjs. 3. Navigation → first
// decoded digit drawn: each runtime's page opened in a fresh context (empty cache) several times,
// interleaved. Prints a Markdown table for BENCHMARKS.md.
import { createServer } from "node:http";
import { readFileSync, createReadStream, statSync } from "node:fs";
import { extname, resolve, sep } from "node:path";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { initSync, Generator } from "../../pkg/latent_digits.js";
import { readDecoder, forwardReference, checkOutputs } from "./decoder.mjs";
import { RUNTIMES, ROUND, markdownTable, fmt, summarize, peerVersions, countOptions } from "./runtimes.mjs";

const { rounds: ROUNDS, fresh: FRESH } = countOptions(process.argv.slice(2));
const names = Object.keys(RUNTIMES);
const root = fileURLToPath(new URL("../../", import.meta.url));
const peersPackage = JSON.parse(readFileSync(new URL("package.json", import.meta.url), "utf8"));
const log = (line) => process.stderr.write(`${line}\n`);

// The codes and the expected pixels, as in node.mjs.
initSync({ module: readFileSync(new URL("../../pkg/latent_digits_bg.wasm", import.meta.url)) });
const generator = new Generator();
const codes = Array.from(generator.sampleLatents(3, 100, { seed: 1 }).latents);
const layers = readDecoder(readFileSync(new URL("../../model/decoder.packed", import.meta.url)));
const checkCount = 3;
const checkCodes = Float32Array.from(codes.slice(0, checkCount * 32));
const oursPixels = generator.decode(checkCodes);
const referencePixels = forwardReference(layers, checkCodes, checkCount);
generator.free();

// A static server for the repository root.
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".css": "text/css",
};
const server = createServer((request, response) => {
  const path = decodeURIComponent(new URL(request.url, "http://localhost").pathname);
  const file = resolve(root, `.${path}`);
  let size = -1;
  try {
    if (file.startsWith(root.endsWith(sep) ? root : root + sep)) {
      const stat = statSync(file);
      if (stat.isFile()) size = stat.size;
    }
  } catch {}
  const headers = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-cache",
  };
  if (size < 0) {
    response.writeHead(404, headers).end("not found");
    return;
  }
  response.writeHead(200, {
    ...headers,
    "Content-Type": types[extname(file)] ?? "application/octet-stream",
    "Content-Length": size,
  });
  createReadStream(file).pipe(response);
});
await new Promise((done) => server.listen(0, "127.0.0.1", done));
const origin = `http://127.0.0.1:${server.address().port}`;
const url = (name) =>
  `${origin}/bench/peers/page.html?runtime=${name}#${encodeURIComponent(JSON.stringify(codes.slice(0, 32)))}`;

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});

/** Opens a runtime's page in a fresh context; resolves once its first digit is drawn. */
async function open(name) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") log(`${name} console: ${m.text()}`);
  });
  page.on("pageerror", (e) => log(`${name} page error: ${e}`));
  page.on("response", (r) => {
    if (r.status() >= 400) log(`${name}: HTTP ${r.status()} for ${r.url()}`);
  });
  await page.goto(url(name));
  await page.waitForFunction(() => window.firstOutput || window.pageError, null, { timeout: 120_000 });
  const error = await page.evaluate(() => window.pageError);
  if (error) throw new Error(`${name}: ${error}`);
  const first = await page.evaluate(() => window.firstOutput);
  return { context, page, first };
}

try {
  // 1. One page per runtime, checked.
  const pages = {};
  const infos = {};
  const accuracy = {};
  for (const name of names) {
    pages[name] = await open(name);
    infos[name] = await pages[name].page.evaluate(() => window.peer.info);
    const out = Float32Array.from(
      await pages[name].page.evaluate(([c, n]) => window.peer.check(c, n), [Array.from(checkCodes), checkCount]),
    );
    accuracy[name] = checkOutputs(name, out, oursPixels, referencePixels);
    log(`${name}: started ${JSON.stringify(infos[name])}, max |Δ| vs ours ${accuracy[name].vsOurs.toExponential(2)} (mean ${accuracy[name].meanVsOurs.toExponential(2)}), vs float64 ${accuracy[name].vsReference.toExponential(2)}`);
  }
  const failed = names.map((n) => accuracy[n].problem).filter(Boolean);
  if (failed.length) throw new Error(`outputs differ: ${failed.join("; ")}`);

  // 2. Interleaved rounds.
  const perRound = Object.fromEntries(names.map((n) => [n, { one: [], hundred: [] }]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]);
    for (const name of order) {
      await pages[name].page.bringToFront();
      const result = await pages[name].page.evaluate(([c, s]) => window.peer.round(c, s), [codes, ROUND]);
      perRound[name].one.push(result.one);
      perRound[name].hundred.push(result.hundred);
    }
    log(`round ${r + 1}/${ROUNDS}: ${order.map((n) => `${n} ${fmt(perRound[n].one.at(-1))}/${fmt(perRound[n].hundred.at(-1))} ms`).join(", ")}`);
  }
  for (const { context } of Object.values(pages)) await context.close();

  // 3. Navigation → first decoded digit, fresh contexts, interleaved.
  const fresh = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < FRESH; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]);
    for (const name of order) {
      const { context, first } = await open(name);
      fresh[name].push(first.ms);
      await context.close();
    }
    log(`fresh ${r + 1}/${FRESH}: ${order.map((n) => `${n} ${fmt(fresh[n].at(-1))} ms`).join(", ")}`);
  }

  const summary = (pick) => summarize(names, pick);
  const rows = [
    { label: "decode 1 code (ms)", ...summary((n) => perRound[n].one) },
    { label: "decode 100 codes (ms)", ...summary((n) => perRound[n].hundred) },
    { label: "navigation → first decoded digit, fresh context (ms)", ...summary((n) => fresh[n]) },
  ];
  const versions = peerVersions(peersPackage);
  const cpu = cpus();
  console.log(`## Peers in Chromium (\`node bench/peers/browser.mjs\`)

${new Date().toISOString().replace(/\.\d+Z$/, "Z")}; Chromium ${browser.version()} headless (/usr/bin/chromium, playwright-core), Node ${process.versions.node} for the driver; ${cpu[0]?.model ?? "?"}, ${cpu.length} logical cores; ${versions}.
The same network (32-64-128-256-512-784, weights of \`model/decoder.packed\`, whole weights × multiplier × scale as f32 for the peers) and the same codes (\`sampleLatents(3, 100, { seed: 1 })\`) for everyone; one page per runtime, cross-origin isolated (COOP/COEP), served from 127.0.0.1.
Decode rows: median of ${ROUNDS} interleaved rounds' medians (range of the round medians in brackets); each round median of ${ROUND.one.samples}×${ROUND.one.inner} calls of 1 code and ${ROUND.hundred.samples} calls of 100 codes after a warm-up, pixels read back into JavaScript in every call. Navigation row: median of ${FRESH} page loads per runtime in a fresh browser context (empty cache), interleaved: \`performance.now()\` once the runtime and weights are loaded and the first code is decoded and drawn. Ratios: ours' time / theirs (below 1: ours is faster).

${markdownTable(rows)}

Outputs on ${checkCount} codes, largest |Δ| per pixel against a float64 forward pass of the same dequantized weights / against ours (mean |Δ| against ours): ${names.map((n) => `${RUNTIMES[n]} ${accuracy[n].vsReference.toExponential(1)} / ${accuracy[n].vsOurs.toExponential(1)} (${accuracy[n].meanVsOurs.toExponential(1)})`).join("; ")}. Ours runs the same 8-bit weights with 16-bit activations in integer dot products (src/integer_net/), so it differs from the peers only by rounding its activations; the check bounds that at 5/255 per pixel and 5e-4 on average.
Runtimes as started: ${names.map((n) => `${n} ${JSON.stringify(infos[n])}`).join("; ")}.

Round medians (ms), decode 1 code / 100 codes:
${names.map((n) => `- ${RUNTIMES[n]}: ${perRound[n].one.map(fmt).join(", ")} / ${perRound[n].hundred.map(fmt).join(", ")}`).join("\n")}
Navigation → first digit, each run (ms):
${names.map((n) => `- ${RUNTIMES[n]}: ${fresh[n].map(fmt).join(", ")}`).join("\n")}`);
} finally {
  await browser.close();
  server.close();
}
