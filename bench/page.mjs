// How fast the demo page shows its first digits (issue 20): navigation → the first gallery drawn
// (www/generate.js sets `performance.mark("gallery-drawn")`), the decode time the page prints in
// #gallery-timing, and the bytes that crossed the network before that mark, in headless Chromium.
//
//   ./build.sh build && node bench/page.mjs [--runs 5] [--profile localhost|phone] [--raw]
//
// A small static server on 127.0.0.1 serves www/ (pkg/ through the www/pkg symlink), read once at
// the start and gzip-compressed (level 9, once per file, kept in memory) where it is html, js, css,
// json, wasm or a model file (.packed, .bin), as static hosts such as GitHub Pages do; `--raw` serves
// everything uncompressed. No cross-origin isolation headers: the page must work without them.
// Uses the project's playwright-core (root node_modules) and Debian's /usr/bin/chromium; it never
// downloads a browser.
//
// Profiles: `localhost` (no throttling) and `phone`: the CPU slowed 4× (CDP
// Emulation.setCPUThrottlingRate) and Fast 3G (CDP Network.emulateNetworkConditions: 150 ms latency,
// 200,000 B/s down, 93,750 B/s up). `--profile` runs one of them (default: both, interleaved). Each
// run opens the page in a fresh browser context (empty cache) with a 390 × 844 viewport. Exits
// non-zero if the page reports an error (a page error, an HTTP error, a visible alert) or the mark
// is not set within a minute. Progress goes to stderr; a Markdown table for BENCHMARKS.md (median
// and range per profile, each run, the files with their sizes and request times) to stdout.
import { createServer } from "node:http";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

/** A throttling profile: the CPU slowdown and the network conditions (null: none).
 *  @typedef {{ cpu: number, network: object | null, description: string }} Profile */
/** One request of a run: its path, when it was sent and finished (ms after navigation start; null
 *  while unfinished) and its bytes on the wire (CDP encodedDataLength, headers included).
 *  @typedef {{ path: string, sent: number, finished: number | null, bytes: number }} Request */
/** One run: navigation → mark, the page's decode time, bytes and requests finished before the
 *  mark, DOMContentLoaded and the wasm's response finished (ms after navigation), every request.
 *  @typedef {{ drawn: number, decode: number, bytes: number, count: number, domContentLoaded: number,
 *    wasm: number | null, requests: Request[] }} Run */

/** @type {Record<string, Profile>} */
const PROFILES = {
  localhost: { cpu: 1, network: null, description: "no throttling" },
  phone: {
    cpu: 4,
    network: { offline: false, latency: 150, downloadThroughput: 200_000, uploadThroughput: 93_750 },
    description: "CPU slowed 4× (CDP Emulation.setCPUThrottlingRate), Fast 3G (CDP " +
      "Network.emulateNetworkConditions: 150 ms latency, 200,000 B/s down, 93,750 B/s up)",
  },
};
/** Served types; every one of them is gzip-compressed unless --raw. */
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".packed": "application/octet-stream",
  ".bin": "application/octet-stream",
};
const MARK = "gallery-drawn";
const WASM = "/pkg/latent_digits_bg.wasm";
const TIMEOUT_MS = 60_000;
const VIEWPORT = { width: 390, height: 844 };
const WWW = fileURLToPath(new URL("../www", import.meta.url));

const { values: options } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    profile: { type: "string" },
    raw: { type: "boolean", default: false },
  },
});
const RUNS = Number(options.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs wants a whole number ≥ 1, not ${options.runs}`);
if (options.profile && !PROFILES[options.profile]) {
  throw new Error(`--profile wants one of ${Object.keys(PROFILES).join(", ")}, not ${options.profile}`);
}
const profiles = options.profile ? [options.profile] : Object.keys(PROFILES);
const log = (/** @type {string} */ line) => process.stderr.write(`${line}\n`);

/** The files under `dir` (symlinks followed) by URL path below `prefix`, each read once.
 *  @param {string} dir
 *  @param {string} prefix
 *  @returns {[string, Buffer][]} */
function readTree(dir, prefix = "/") {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? readTree(path, `${prefix}${name}/`) : [[`${prefix}${name}`, readFileSync(path)]];
  });
}

/** Every file under www/ as served, read and (the TYPES, unless --raw) gzip-compressed once at the
 *  start, so that no run pays for compression: by URL path, its bytes and their gzip (null: sent
 *  as they are). */
const FILES = new Map(readTree(WWW).map(([path, raw]) => {
  const compress = !options.raw && extname(path) in TYPES;
  return [path, { raw, gzip: compress ? gzipSync(raw, { level: 9 }) : null }];
}));

/** Serves FILES on 127.0.0.1 (`/` is `/index.html`), gzip-compressed where FILES holds a gzip and
 *  the browser accepts it; resolves to the server and its origin. */
async function serve() {
  const server = createServer((request, response) => {
    const asked = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname);
    const path = asked.endsWith("/") ? `${asked}index.html` : asked;
    const file = FILES.get(path);
    if (!file) {
      response.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
      return;
    }
    const gzip = file.gzip && /\bgzip\b/.test(request.headers["accept-encoding"] ?? "") ? file.gzip : null;
    response.writeHead(200, {
      "Content-Type": TYPES[/** @type {keyof TYPES} */ (extname(path))] ?? "application/octet-stream",
      "Content-Length": (gzip ?? file.raw).length,
      "Cache-Control": "no-cache",
      Vary: "Accept-Encoding",
      ...(gzip ? { "Content-Encoding": "gzip" } : {}),
    });
    response.end(gzip ?? file.raw);
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", () => done(undefined)));
  const address = /** @type {import("node:net").AddressInfo} */ (server.address());
  return { server, origin: `http://127.0.0.1:${address.port}` };
}

/** Rejects on the first sign of trouble in `page`: a page error or an HTTP error. Never resolves.
 *  @param {import("playwright-core").Page} page
 *  @param {string} name */
function trouble(page, name) {
  const failed = new Promise((_, reject) => {
    page.on("pageerror", (error) => reject(new Error(`${name}: page error: ${error.message}`)));
    page.on("response", (response) => {
      if (response.status() >= 400) reject(new Error(`${name}: HTTP ${response.status()} for ${response.url()}`));
    });
  });
  failed.catch(() => {}); // raced below; a rejection after the race settled is of no interest
  page.on("console", (message) => {
    if (message.type() === "error") log(`${name}: console error: ${message.text()}`);
  });
  return failed;
}

/** Waits until `page` sets the mark or shows an alert; throws with the alert's text, or after
 *  TIMEOUT_MS.
 *  @param {import("playwright-core").Page} page
 *  @param {string} name */
async function waitForMark(page, name) {
  const handle = await page.waitForFunction((mark) => {
    const alert = [...document.querySelectorAll('[role="alert"]:not([hidden])')]
      .map((element) => element.textContent?.trim()).find(Boolean);
    if (alert) return { alert };
    return performance.getEntriesByName(mark).length > 0 && { alert: null };
  }, MARK, { timeout: TIMEOUT_MS, polling: 50 }).catch((error) => {
    throw new Error(`${name}: no "${MARK}" mark within ${TIMEOUT_MS / 1000} s (${error.message.split("\n")[0]})`);
  });
  const { alert } = await handle.jsonValue();
  if (alert) throw new Error(`${name}: the page shows an error: ${alert}`);
}

/** Records the page's requests from CDP Network events: returns them by request id, and the
 *  document's CDP timing (ResourceTiming: `requestTime` in seconds, `sendStart` in ms after it),
 *  which maps CDP's clock to the page's.
 *  @param {import("playwright-core").CDPSession} cdp
 *  @param {string} origin */
function recordRequests(cdp, origin) {
  /** @type {Map<string, Request>} */
  const requests = new Map(); // times in CDP seconds until run() converts them
  const documentTiming = { timing: /** @type {{ requestTime: number, sendStart: number } | null} */ (null) };
  cdp.on("Network.requestWillBeSent", (event) => {
    if (!event.request.url.startsWith(origin)) return;
    const path = new URL(event.request.url).pathname;
    requests.set(event.requestId, { path, sent: event.timestamp, finished: null, bytes: 0 });
  });
  cdp.on("Network.responseReceived", (event) => {
    if (event.type === "Document" && event.response.timing) documentTiming.timing = event.response.timing;
  });
  cdp.on("Network.loadingFinished", (event) => {
    const request = requests.get(event.requestId);
    if (request) Object.assign(request, { finished: event.timestamp, bytes: event.encodedDataLength });
  });
  return { requests, documentTiming };
}

/** Opens the page once in a fresh context under the profile called `name` and measures it.
 *  @param {import("playwright-core").Browser} browser
 *  @param {string} origin
 *  @param {string} name
 *  @returns {Promise<Run>} */
async function run(browser, origin, name) {
  const profile = PROFILES[name];
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const { requests, documentTiming } = recordRequests(cdp, origin);
    await cdp.send("Network.enable");
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: profile.cpu });
    if (profile.network) await cdp.send("Network.emulateNetworkConditions", profile.network);
    const failed = trouble(page, name);
    await Promise.race([page.goto(`${origin}/`, { waitUntil: "commit" }).then(() => waitForMark(page, name)), failed]);
    const seen = await page.evaluate((mark) => {
      const navigation = /** @type {PerformanceNavigationTiming} */ (performance.getEntriesByType("navigation")[0]);
      return {
        drawn: performance.getEntriesByName(mark)[0].startTime,
        timing: document.getElementById("gallery-timing")?.textContent ?? "",
        domContentLoaded: navigation.domContentLoadedEventStart,
        requestStart: navigation.requestStart,
      };
    }, MARK);
    const decode = Number(/decoded in ([\d.]+) ms/.exec(seen.timing)?.[1]);
    if (!Number.isFinite(decode)) throw new Error(`${name}: #gallery-timing reads "${seen.timing}", not "… decoded in X ms"`);
    if (!documentTiming.timing) throw new Error(`${name}: CDP reported no timing for the document`);
    // CDP's monotonic seconds → ms after navigation start: the document's request was sent at
    // requestTime + sendStart (CDP) = navigation.requestStart (page).
    const { requestTime, sendStart } = documentTiming.timing;
    const navigationStart = requestTime * 1000 + sendStart - seen.requestStart;
    const after = (/** @type {number} */ seconds) => seconds * 1000 - navigationStart;
    /** @type {Request[]} */
    const all = [...requests.values()].map((r) => ({
      ...r, sent: after(r.sent), finished: r.finished === null ? null : after(r.finished),
    }));
    const before = all.filter((r) => r.finished !== null && r.finished <= seen.drawn);
    return {
      drawn: seen.drawn,
      decode,
      bytes: before.reduce((sum, r) => sum + r.bytes, 0),
      count: before.length,
      domContentLoaded: seen.domContentLoaded,
      wasm: all.find((r) => r.path === WASM)?.finished ?? null,
      requests: all,
    };
  } finally {
    await context.close();
  }
}

/** The median of `values` (the mean of the middle two for an even count).
 *  @param {number[]} values */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Milliseconds as the page prints them: two decimals below 10.
 *  @param {number} value */
const ms = (value) => (value < 10 ? value.toFixed(2) : value.toFixed(0));
/** Bytes in MB (10^6 bytes).
 *  @param {number} bytes */
const megabytes = (bytes) => (bytes / 1e6).toFixed(3);

/** "median (min–max)" of `values` formatted by `format`; "—" when a run lacks a value.
 *  @param {(number | null)[]} values
 *  @param {(value: number) => string} format */
function summary(values, format) {
  if (values.some((v) => v === null)) return "—";
  const numbers = /** @type {number[]} */ (values);
  return `${format(median(numbers))} (${format(Math.min(...numbers))}–${format(Math.max(...numbers))})`;
}

/** The run whose navigation → mark is the median (the lower middle one for an even count).
 *  @param {Run[]} runs */
const medianRun = (runs) => [...runs].sort((a, b) => a.drawn - b.drawn)[(runs.length - 1) >> 1];

/** The Markdown table of the measures, one column per profile.
 *  @param {Record<string, Run[]>} results */
function measuresTable(results) {
  /** @type {[string, (run: Run) => number | null, (value: number) => string][]} */
  const rows = [
    [`navigation → first gallery drawn (\`${MARK}\` mark, ms)`, (r) => r.drawn, ms],
    ["its decode, as #gallery-timing prints it (ms)", (r) => r.decode, ms],
    ["bytes on the wire before the gallery (MB, CDP encodedDataLength, headers included)", (r) => r.bytes, megabytes],
    ["requests finished before the gallery", (r) => r.count, String],
    ["navigation → DOMContentLoaded (ms)", (r) => r.domContentLoaded, ms],
    [`navigation → wasm response finished (ms)`, (r) => r.wasm, ms],
  ];
  const names = Object.keys(results);
  return [
    `| measure | ${names.join(" | ")} |`,
    `|---|${names.map(() => "---|").join("")}`,
    ...rows.map(([label, pick, format]) =>
      `| ${label} | ${names.map((n) => summary(results[n].map(pick), format)).join(" | ")} |`),
  ].join("\n");
}

/** The Markdown table of the files each profile's median run requested: size on disk, bytes on
 *  the wire, and when each was sent and finished (ms after navigation; * after the gallery).
 *  @param {Record<string, Run[]>} results */
function filesTable(results) {
  const names = Object.keys(results);
  const chosen = names.map((n) => medianRun(results[n]));
  const paths = [...new Set(chosen.flatMap((run) => [...run.requests].sort((a, b) => a.sent - b.sent).map((r) => r.path)))];
  const time = (/** @type {Run} */ run, /** @type {string} */ path) => {
    const request = run.requests.find((r) => r.path === path);
    if (!request) return "";
    const late = request.finished === null || request.finished > run.drawn ? " *" : "";
    return `${ms(request.sent)} → ${request.finished === null ? "unfinished" : ms(request.finished)}${late}`;
  };
  const wire = (/** @type {string} */ path) => {
    const finished = chosen.flatMap((run) => run.requests).find((r) => r.path === path && r.finished !== null);
    return finished ? finished.bytes.toLocaleString("en-US") : "—";
  };
  const disk = (/** @type {string} */ path) =>
    FILES.get(path === "/" ? "/index.html" : path)?.raw.length.toLocaleString("en-US") ?? "—";
  return [
    `| file | on disk (bytes) | on the wire (bytes) | ${names.map((n) => `${n}: sent → finished (ms)`).join(" | ")} |`,
    `|---|---:|---:|${names.map(() => "---|").join("")}`,
    ...paths.map((path) => `| \`${path}\` | ${disk(path)} | ${wire(path)} | ${chosen.map((run) => time(run, path)).join(" | ")} |`),
  ].join("\n");
}

/** The report for BENCHMARKS.md.
 *  @param {Record<string, Run[]>} results
 *  @param {string} version Chromium's */
function report(results, version) {
  const cpu = cpus();
  const command = ["node bench/page.mjs", ...process.argv.slice(2)].join(" ");
  const serving = options.raw
    ? "uncompressed (`--raw`)"
    : "gzip level 9 (html, js, css, json, wasm, .packed, .bin), as static hosts such as GitHub Pages compress";
  return `## First gallery (\`${command}\`)

${new Date().toISOString().replace(/\.\d+Z$/, "Z")}; Chromium ${version} headless (/usr/bin/chromium, playwright-core), Node ${process.versions.node} for the driver and the server; ${cpu[0]?.model ?? "?"}, ${cpu.length} logical cores.
\`www/\` served from 127.0.0.1 over HTTP/1.1 by the script's own server, ${serving}, without cross-origin isolation. Each run opens the page in a fresh browser context (empty cache), viewport ${VIEWPORT.width} × ${VIEWPORT.height}; median of ${RUNS} runs per profile, interleaved (range in brackets). Times are from navigation start (the page's \`performance\` clock); bytes count the requests that finished before the \`${MARK}\` mark.
${profiles.map((n) => `- ${n}: ${PROFILES[n].description}.`).join("\n")}

${measuresTable(results)}

Navigation → first gallery, each run (ms):
${profiles.map((n) => `- ${n}: ${results[n].map((r) => ms(r.drawn)).join(", ")}`).join("\n")}

Files, in the order requested, in each profile's median run (times in ms after navigation; * finished after the gallery or not at all):

${filesTable(results)}`;
}

const { server, origin } = await serve();
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});
try {
  /** @type {Record<string, Run[]>} */
  const results = Object.fromEntries(profiles.map((n) => [n, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const name of profiles) {
      const result = await run(browser, origin, name);
      results[name].push(result);
      log(`run ${i + 1}/${RUNS} ${name}: gallery at ${ms(result.drawn)} ms (decode ${ms(result.decode)} ms), ` +
        `${megabytes(result.bytes)} MB in ${result.count} requests before it, wasm finished at ` +
        `${result.wasm === null ? "—" : ms(result.wasm)} ms`);
    }
  }
  console.log(report(results, browser.version()));
} catch (error) {
  log(`bench/page.mjs failed: ${/** @type {Error} */ (error).message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
  server.close();
}
