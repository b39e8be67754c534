// Page benchmark in headless Chromium on localhost: node tests/browser/bench.mjs
// Prints the cold load time to the first gallery, the morph animation's frame rate and the
// gzip size of everything the page loads, before its first gallery and after (on demand).
import { readFile } from "node:fs/promises";
import { relative } from "node:path";
import { gzipSync } from "node:zlib";
import { WWW, launchBrowser, openPage, serveWww } from "./harness.mjs";

const LOADS = 5;
const MORPH_SECONDS = 3;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
/** The time of the page's first "gallery-drawn" mark, in ms since navigation, once there is one. */
const galleryDrawn = (page) => page.waitForFunction(() => performance.getEntriesByName("gallery-drawn")[0]?.startTime);

const server = await serveWww();
const browser = await launchBrowser();
try {
  // Cold load: every run in a fresh context, so nothing is cached.
  const loads = [];
  let later = []; // URL paths the page fetches only once its first gallery is drawn
  for (let i = 0; i < LOADS; i++) {
    const { context, page } = await openPage(browser, server.origin);
    await page.goto(`${server.origin}/#seed=${i}`);
    const drawn = await (await galleryDrawn(page)).jsonValue();
    loads.push(drawn);
    await page.waitForLoadState("networkidle");
    later = await page.evaluate((t) => performance.getEntriesByType("resource")
      .filter((entry) => entry.startTime > t).map((entry) => new URL(entry.name).pathname), drawn);
    await context.close();
  }
  console.log(`cold load to first gallery drawn: ${median(loads).toFixed(0)} ms median of ${LOADS} ` +
    `(${loads.map((ms) => ms.toFixed(0)).join(", ")})`);

  const { context, page, problems } = await openPage(browser, server.origin);
  await page.goto(`${server.origin}/#section=morph&seed=1`);
  await galleryDrawn(page);
  await page.click("#play");
  await page.waitForTimeout(MORPH_SECONDS * 1000);
  // morph.js measures each second of playing, with the frames drawn in it as its detail.
  const [frames, ms] = await page.evaluate(() => performance.getEntriesByName("morph-frames")
    .reduce(([f, t], entry) => [f + entry.detail.frames, t + entry.duration], [0, 0]));
  console.log(`morph animation: ${((frames * 1000) / ms).toFixed(1)} frames/s ` +
    `(${frames} frames in ${(ms / 1000).toFixed(2)} s)`);

  await page.click("nav button[data-section='about']");
  console.log(`decode timing shown on the page: ${await page.textContent("#timing")}`);
  await context.close();
  if (problems.length) console.log(`problems: ${problems.join("; ")}`);

  const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
  const onDemand = new Map([...server.served].map(([path, file]) => [file, later.includes(path)]));
  const totals = [0, 0]; // before the first gallery, on demand
  for (const [file, demanded] of onDemand) {
    const size = gzipSync(await readFile(file), { level: 9 }).length;
    totals[Number(demanded)] += size;
    console.log(`  ${kib(size).padStart(11)}  ${relative(WWW, file)}${demanded ? " (on demand)" : ""}`);
  }
  console.log(`transfer size, gzip -9 of every file the page loads: ${kib(totals[0])} before the first ` +
    `gallery, ${kib(totals[1])} more on demand`);
} finally {
  await browser.close();
  await server.close();
}
