// What the page tests share: a server and a browser for each test file, the page opened at a hash
// and watched for problems, and readings of what it shows.
import assert from "node:assert/strict";
import { mkdir, readFile } from "node:fs/promises";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import { RESULTS, launchBrowser, openPage, serveFolder } from "./harness.mjs";

// The origin of a file: URL, and of the blob: and data: URLs that a page opened from one makes.
const FILE_ORIGIN = "null";
// axe-core, the accessibility checker (a pinned dev dependency), and the impacts a page must not have.
const AXE = fileURLToPath(new URL("../../node_modules/axe-core/axe.min.js", import.meta.url));
const BLOCKING = ["serious", "critical"];

/** Starts the server and the browser before the calling file's tests and stops them after.
 *  Returns `origin()`, the server's; `open(options)`, a fresh page as openPage gives it;
 *  `openFile(options)`, the same for a page opened from a file (any request to a server is a
 *  problem); and `onPage`. */
export function pageTests() {
  let server;
  let browser;
  before(async () => {
    await mkdir(RESULTS, { recursive: true });
    server = await serveFolder();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  const open = (options) => openPage(browser, server.origin, options);
  return {
    origin: () => server.origin,
    open,
    openFile: (options) => openPage(browser, FILE_ORIGIN, options),
    /** Opens the page at `hash`, waits for the first gallery, runs `check(page)`, then asserts that
     *  nothing went wrong on the way (console errors, failed or foreign requests). */
    async onPage(hash, check, options) {
      const { context, page, problems } = await open(options);
      try {
        await page.goto(`${server.origin}/#${hash}`);
        await galleryDrawn(page);
        await check(page);
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    },
  };
}

/** Resolves once the page has drawn a gallery (the mark generate.js sets). */
export const galleryDrawn = (page) => page.waitForFunction(() => performance.getEntriesByName("gallery-drawn").length > 0);

/** Grey levels (0–255) of every canvas matching `selector`, one array per canvas. */
export const canvasPixels = (page, selector) => page.$$eval(selector, (canvases) => canvases.map((canvas) => {
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  return Array.from(data.filter((_, i) => i % 4 === 0));
}));

/** The pixels of a PNG file's `bytes`, decoded by the page: { data, width, height }, `data` a
 *  Buffer of RGBA bytes, row by row. */
export async function pngRgba(page, bytes) {
  const { base64, width, height } = await page.evaluate(async (png) => {
    const bitmap = await createImageBitmap(new Blob([Uint8Array.from(atob(png), (c) => c.charCodeAt(0))]));
    const ctx = new OffscreenCanvas(bitmap.width, bitmap.height).getContext("2d");
    ctx.drawImage(bitmap, 0, 0);
    const { data } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    let text = "";
    for (let at = 0; at < data.length; at += 0x8000) text += String.fromCharCode(...data.subarray(at, at + 0x8000));
    return { base64: btoa(text), width: bitmap.width, height: bitmap.height };
  }, bytes.toString("base64"));
  return { data: Buffer.from(base64, "base64"), width, height };
}

/** The pixels of canvas `selector`, as pngRgba gives them. */
export async function canvasRgba(page, selector) {
  const url = await page.$eval(selector, (canvas) => canvas.toDataURL("image/png"));
  return pngRgba(page, Buffer.from(url.split(",")[1], "base64"));
}

/** Width and height from a downloaded PNG file's header, once its signature is checked. */
export async function pngSize(download) {
  const bytes = await readFile(await download.path());
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "no PNG signature");
  assert.equal(bytes.subarray(12, 16).toString(), "IHDR");
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

export const screenshot = (page, name, options = { fullPage: true }) =>
  page.screenshot({ path: `${RESULTS}${name}.png`, ...options });

/** What makes a 28×28 image look like a handwritten digit rather than a blank or noise. */
function digitLikeness(pixels) {
  const v = pixels.map((p) => p / 255);
  const at = (x, y) => (x >= 0 && x < 28 && y >= 0 && y < 28 ? v[y * 28 + x] : 0);
  const border = [];
  const bright = [];
  v.forEach((p, i) => {
    const x = i % 28;
    const y = Math.floor(i / 28);
    if (x < 2 || x > 25 || y < 2 || y > 25) border.push(p);
    if (p > 0.5) bright.push([x, y]);
  });
  const mean = (list) => list.reduce((a, b) => a + b, 0) / list.length;
  // Strokes are a few pixels wide: a bright pixel almost always has a bright neighbour.
  const joined = bright.filter(([x, y]) => [at(x - 1, y), at(x + 1, y), at(x, y - 1), at(x, y + 1)].some((p) => p > 0.5));
  return {
    mean: mean(v),
    border: mean(border),
    dark: v.filter((p) => p < 0.1).length / v.length,
    bright: bright.length / v.length,
    joined: bright.length ? joined.length / bright.length : 0,
  };
}

export function assertDigitLike(pixels, what) {
  const s = digitLikeness(pixels);
  const shown = `${what}: ${JSON.stringify(s, (_, x) => (typeof x === "number" ? +x.toFixed(3) : x))}`;
  assert.ok(s.mean > 0.03 && s.mean < 0.4, `mean brightness out of range, ${shown}`);
  assert.ok(s.border < 0.1, `border not dark, ${shown}`);
  assert.ok(s.dark > 0.45, `too few near-black pixels, ${shown}`);
  assert.ok(s.bright > 0.02, `no bright strokes, ${shown}`);
  assert.ok(s.joined > 0.8, `bright pixels are speckle, not strokes, ${shown}`);
}

// The drawing pad: strokes are lists of [x, y] in shares of the pad's width and height.

/** `stroke` with points added between its corners, one per 2% of the pad or less. */
export const dense = (stroke) => [stroke[0], ...stroke.slice(1).flatMap((to, i) => {
  const from = stroke[i];
  const steps = Math.ceil(Math.hypot(to[0] - from[0], to[1] - from[1]) / 0.02);
  return Array.from({ length: steps }, (_, s) => from.map((f, axis) => f + ((s + 1) / steps) * (to[axis] - f)));
})];

/** Runs `action`, then waits until the section has read the pad again (draw.js marks each reading). */
export const afterRead = (page, action) => afterMeasure(page, "drawing-read", action);

/** Screen position of a point of the pad given in shares of its size. */
export async function padPosition(page) {
  const box = await page.locator("#pad").boundingBox();
  return ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
}

/** Draws `strokes` on the pad with the mouse. */
export const drawWithMouse = (page, strokes) => drawWithMouseOn(page, "#pad", "drawing-read", strokes);

/** Runs `action`, then waits until the page has measured `name` again (a section marks each
 *  reading of its pad with performance.measure). */
export async function afterMeasure(page, name, action) {
  const since = await page.evaluate(() => performance.now());
  await action();
  await page.waitForFunction(([n, t]) => performance.getEntriesByName(n)[0]?.startTime > t, [name, since]);
}

/** Draws `strokes` with the mouse on the pad `selector`, scrolled into view, then waits until its
 *  section has read it again (its measure `name`). */
export async function drawWithMouseOn(page, selector, name, strokes) {
  await page.locator(selector).scrollIntoViewIfNeeded();
  const box = await page.locator(selector).boundingBox();
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  await afterMeasure(page, name, async () => {
    for (const stroke of strokes) {
      const [first, ...rest] = dense(stroke);
      await page.mouse.move(...at(first));
      await page.mouse.down();
      for (const point of rest) await page.mouse.move(...at(point));
      await page.mouse.up();
    }
  });
}

export const maxDifference = (a, b) => Math.max(...a.map((p, i) => Math.abs(p - b[i])));

export const focusedId = (page) => page.evaluate(() => document.activeElement.id);
export const visibleSections = (page) => page.$$eval("main > section", (all) => all.filter((s) => !s.hidden).map((s) => s.id));
export const hashParam = (page, name) => new URLSearchParams(new URL(page.url()).hash.slice(1)).get(name);
/** How far the page reaches past the right edge of the window, in CSS pixels (0 or less: not at all). */
export const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

/** Clicks the nav button of `section` and waits until it shows what it computes: the gallery, the
 *  morph's first frame, the decoded point, Draw's encoder and test images, the written line, the
 *  decoding speed. */
export async function showSection(page, section) {
  await page.click(`nav button[data-section='${section}']`);
  const ready = {
    generate: "#gallery button.sample",
    morph: "#morph-caption:not(:empty)",
    explore: "#pca-point:not(:empty)",
    draw: "#test-images button",
    write: "#written",
    about: "#timing:not(:empty)",
  }[section];
  await page.waitForSelector(ready, { state: "visible" });
  if (section === "draw") await page.waitForSelector("#encoder-status", { state: "hidden" });
}

/** What axe-core finds wrong with the page as shown, serious or critical: one line per rule, its id,
 *  impact and help, and every element it fails on; the rules in `skip` (ids) are not run. axe-core
 *  is injected on the first call.
 *  @param {string[]} [skip] */
export async function axeViolations(page, skip = []) {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async (rules) => (await window.axe.run(document, { resultTypes: ["violations"], rules })).violations,
    Object.fromEntries(skip.map((id) => [id, { enabled: false }])));
  return violations.filter(({ impact }) => BLOCKING.includes(impact))
    .map(({ id, impact, help, nodes }) => `${id} (${impact}): ${help}: ${nodes.map(({ target }) => target.join(" ")).join(", ")}`);
}
