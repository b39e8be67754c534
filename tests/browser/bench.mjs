// Page benchmark in headless Chromium on localhost: node tests/browser/bench.mjs
// Prints the cold load time to the first gallery, the morph animation's frame rate and the
// gzip size of everything the page loads.
import { readFile } from "node:fs/promises";
import { relative } from "node:path";
import { gzipSync } from "node:zlib";
import { WWW, launchBrowser, openPage, serveWww } from "./harness.mjs";

const LOADS = 5;
const MORPH_SECONDS = 3;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const server = await serveWww();
const browser = await launchBrowser();
try {
  // Cold load: every run in a fresh context, so nothing is cached.
  const loads = [];
  for (let i = 0; i < LOADS; i++) {
    const { context, page } = await openPage(browser, server.origin);
    await page.goto(`${server.origin}/#seed=${i}`);
    loads.push(await (await page.waitForFunction(() => window.__firstGalleryMs)).jsonValue());
    await context.close();
  }
  console.log(`cold load to first gallery drawn: ${median(loads).toFixed(0)} ms median of ${LOADS} ` +
    `(${loads.map((ms) => ms.toFixed(0)).join(", ")})`);

  const { context, page, problems } = await openPage(browser, server.origin);
  await page.goto(`${server.origin}/#section=morph&seed=1`);
  await page.waitForFunction(() => window.__firstGalleryMs);
  await page.click("#play");
  const framesDrawn = () => page.evaluate(() => [
    Number(document.getElementById("morph-canvas").dataset.framesDrawn), performance.now()]);
  const [frames0, t0] = await framesDrawn();
  await page.waitForTimeout(MORPH_SECONDS * 1000);
  const [frames1, t1] = await framesDrawn();
  console.log(`morph animation: ${(((frames1 - frames0) * 1000) / (t1 - t0)).toFixed(1)} frames/s ` +
    `(${frames1 - frames0} frames in ${((t1 - t0) / 1000).toFixed(2)} s)`);

  await page.click("nav button[data-section='about']");
  console.log(`decode timing shown on the page: ${await page.textContent("#timing")}`);
  await context.close();
  if (problems.length) console.log(`problems: ${problems.join("; ")}`);

  let total = 0;
  for (const file of new Set(server.served.values())) {
    const size = gzipSync(await readFile(file), { level: 9 }).length;
    total += size;
    console.log(`  ${(size / 1024).toFixed(1).padStart(7)} KiB  ${relative(WWW, file)}`);
  }
  console.log(`transfer size, gzip -9 of every file the page loads: ${(total / 1024).toFixed(1)} KiB`);
} finally {
  await browser.close();
  await server.close();
}
