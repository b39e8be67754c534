// Page benchmark in headless Chromium on localhost: node tests/browser/bench.mjs
// Prints the cold load time to the first gallery, how long switching to the clothes takes (their
// model fetched and checked, their gallery drawn) and switching back and forth afterwards, the
// morph animation's frame rate, how long encoding the morph loop as a GIF takes, how long reading
// a drawing takes, and the gzip size of everything the page loads, before its first gallery and
// after (on demand).
import { readFile, stat } from "node:fs/promises";
import { relative } from "node:path";
import { gzipSync } from "node:zlib";
import { WWW, launchBrowser, openPage, serveFolder } from "./harness.mjs";

const LOADS = 5;
const SWITCHES = 5;
const MORPH_SECONDS = 3;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
/** The time of the page's first "gallery-drawn" mark, in ms since navigation, once there is one. */
const galleryDrawn = (page) => page.waitForFunction(() => performance.getEntriesByName("gallery-drawn")[0]?.startTime);

const server = await serveFolder();
const browser = await launchBrowser();
try {
  // Cold load: every run in a fresh context, so nothing is cached.
  const loads = [];
  let early = []; // URL paths the page fetches before its first gallery is drawn, the document's included
  for (let i = 0; i < LOADS; i++) {
    const { context, page } = await openPage(browser, server.origin);
    await page.goto(`${server.origin}/#seed=${i}`);
    const drawn = await (await galleryDrawn(page)).jsonValue();
    loads.push(drawn);
    await page.waitForLoadState("networkidle");
    early = await page.evaluate((t) => [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")]
      .filter((entry) => entry.startTime <= t).map((entry) => new URL(entry.name).pathname), drawn);
    await context.close();
  }
  console.log(`cold load to first gallery drawn: ${median(loads).toFixed(0)} ms median of ${LOADS} ` +
    `(${loads.map((ms) => ms.toFixed(0)).join(", ")})`);

  // Switching to the clothes, from the click to their gallery drawn (main.js measures it): the
  // first time in a fresh page, their files fetched and checked; then back to the digits and to
  // the clothes again, both loaded.
  const switches = { first: [], back: [], again: [] };
  for (let i = 0; i < SWITCHES; i++) {
    const { context, page } = await openPage(browser, server.origin);
    await page.goto(`${server.origin}/#seed=${i}`);
    await galleryDrawn(page);
    let count = 0; // switches so far
    for (const [run, dataset] of [["first", "fashion"], ["back", "mnist"], ["again", "fashion"]]) {
      await page.click(`#dataset input[value='${dataset}']`);
      count++;
      // [duration] once the switch is measured (an array: a duration of 0 is a result too)
      const measured = await page.waitForFunction((n) => {
        const entry = performance.getEntriesByName("dataset-shown")[n - 1];
        return entry && [entry.duration];
      }, count);
      switches[run].push((await measured.jsonValue())[0]);
    }
    await context.close();
  }
  const rounded = (t) => t.toFixed(t < 10 ? 1 : 0);
  const times = (list) => `${rounded(median(list))} ms median of ${list.length} (${list.map(rounded).join(", ")})`;
  console.log(`switch to the clothes, first time (fetch, check, gallery): ${times(switches.first)}; ` +
    `back to the digits: ${times(switches.back)}; to the clothes again: ${times(switches.again)}`);

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

  // The loop 0 → … → 9 → 0 as a GIF at 4×, from the click to the download (morph.js measures it):
  // first with the worker's start, then again.
  await page.click("#play");
  for (const run of ["first, with the worker's start", "again"]) {
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-gif")]);
    const { size } = await stat(await download.path());
    const ms = await page.evaluate(() => performance.getEntriesByName("gif-encoded").at(-1).duration);
    console.log(`GIF of the loop (${run}): ${ms.toFixed(0)} ms, ${(size / 1024).toFixed(1)} KiB`);
  }

  // Reading a drawing: the module's calls alone (on a 280×280 pad with a stroke),
  // then the Draw section's whole reading, drawing included, after each move of a real stroke.
  await page.click("nav button[data-section='draw']");
  await page.waitForFunction(() => !document.querySelector("#verdict").textContent.includes("once the encoder"));
  const calls = await page.evaluate(async () => {
    const { Generator } = await import("./pkg/latent_digits.js");
    const gen = new Generator();
    gen.loadEncoder(new Uint8Array(await (await fetch("pkg/encoder.packed")).arrayBuffer()));
    const side = 280;
    const pad = new Uint8ClampedArray(side * side * 4);
    for (let i = 3; i < pad.length; i += 4) pad[i] = 255;
    for (let y = 50; y < 230; y++) pad.fill(255, (y * side + 130) * 4, (y * side + 150) * 4);
    const image = gen.prepare(pad, side, side);
    // performance.now() is coarsened to 0.1 ms here: each of 21 rounds times 50 calls together.
    const time = (work) => {
      for (let i = 0; i < 20; i++) work();
      const rounds = [];
      for (let round = 0; round < 21; round++) {
        const t0 = performance.now();
        for (let i = 0; i < 50; i++) work();
        rounds.push((performance.now() - t0) / 50);
      }
      return rounds.sort((a, b) => a - b)[10];
    };
    return {
      prepare: time(() => gen.prepare(pad, side, side)),
      read: time(() => {
        const latent = gen.encode(image);
        gen.classify(latent);
        gen.decode(latent);
      }),
    };
  });
  console.log(`reading a drawing (median of 21 rounds of 50 calls): prepare (280×280) ${calls.prepare.toFixed(3)} ms, ` +
    `encode + classify + reconstruct ${calls.read.toFixed(3)} ms`);
  const box = await (await page.$("#pad")).boundingBox();
  const readings = [];
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.15);
  await page.mouse.down();
  for (let step = 1; step <= 30; step++) {
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * (0.15 + step * 0.024));
    readings.push(await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() =>
      resolve(performance.getEntriesByName("drawing-read")[0]?.duration)))));
  }
  await page.mouse.up();
  console.log(`the Draw section's reading per pointer move, drawing included: ${median(readings).toFixed(2)} ms ` +
    `median of ${readings.length}`);

  await page.click("nav button[data-section='about']");
  console.log(`decode timing shown on the page: ${await page.textContent("#timing")}`);
  await context.close();
  if (problems.length) console.log(`problems: ${problems.join("; ")}`);

  const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
  const onDemand = new Map([...server.served].map(([path, file]) => [file, !early.includes(path)]));
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
