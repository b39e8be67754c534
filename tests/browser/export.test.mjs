// Taking the digits away, in headless Chromium: the morph as a GIF, the Explore views as PNGs, a
// link to share, and the page as one file that works offline. node --test tests/browser/
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import {
  afterRead, assertDigitLike, canvasPixels, drawWithMouse, galleryDrawn, pageTests, pngRgba, pngSize, screenshot,
} from "./checks.mjs";

const { onPage, open, openFile, origin } = pageTests();

const ROOT = new URL("../../", import.meta.url);
const BUNDLE = new URL("dist/latent-digits.html", ROOT);
const SIZE_GOAL = 1.6; // the single file's size, at most, over the gzip transfer of the served page
const LOOP_FRAMES = 10 * 25 + 1; // 0 → 1 → … → 9 → 0 at speed 1: ten legs of 25 frames, and the last
const STROKE = [[[0.5, 0.2], [0.47, 0.8]]];
const CLOTHES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

/** What a GIF file holds: its logical screen size, the names of its application extensions and
 *  each frame's delay (in 10 ms), read block by block; fails on a malformed file. */
function readGif(bytes) {
  assert.equal(bytes.subarray(0, 6).toString("latin1"), "GIF89a");
  let at = 6;
  const byte = () => {
    assert.ok(at < bytes.length, "the GIF ends before its trailer");
    return bytes[at++];
  };
  const word = () => byte() | (byte() << 8);
  const colorTable = (flags) => { at += flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0; };
  const subBlocks = () => {
    for (let size = byte(); size; size = byte()) at += size;
  };
  const width = word();
  const height = word();
  colorTable(byte());
  at += 2; // background colour, aspect ratio
  const applications = [];
  const delays = [];
  let delay = null;
  for (let introducer = byte(); introducer !== 0x3b; introducer = byte()) {
    if (introducer === 0x21) { // an extension
      const label = byte();
      if (label === 0xff) applications.push(bytes.subarray(at + 1, at + 12).toString("latin1"));
      if (label === 0xf9) delay = bytes.readUInt16LE(at + 2);
      subBlocks();
    } else {
      assert.equal(introducer, 0x2c, `unexpected block 0x${introducer.toString(16)} at byte ${at - 1}`);
      at += 8; // the image's position and size
      colorTable(byte());
      at += 1; // LZW minimum code size
      subBlocks();
      delays.push(delay);
    }
  }
  return { width, height, applications, delays };
}

/** Clicks `selector` and returns the file it downloads: its name and bytes. */
async function download(page, selector) {
  const [file] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
  return { name: file.suggestedFilename(), bytes: await readFile(await file.path()), file };
}

/** Watches the GIF button: `seen()` lists, at each change of the encoding status, whether it is
 *  shown, what it says, whether the button is disabled and where the player is. */
async function watchGifButton(page) {
  await page.evaluate(() => {
    window.gifStates = [];
    const status = document.getElementById("gif-status");
    new MutationObserver(() => window.gifStates.push({
      shown: !status.hidden,
      text: status.textContent.trim(),
      disabled: document.getElementById("download-gif").disabled,
      frame: Number(document.getElementById("scrubber").value),
    })).observe(status, { attributes: true });
  });
  return { seen: () => page.evaluate(() => window.gifStates) };
}

/** The colours ("#rrggbb") at `points` ([x, y] each) of PNG file `bytes`, decoded by the page. */
async function pngColours(page, bytes, points) {
  const { data, width } = await pngRgba(page, bytes);
  return points.map(([x, y]) => `#${data.subarray(4 * (y * width + x), 4 * (y * width + x) + 3).toString("hex")}`);
}

/** Every [x, y] of a `width`×`height` area from (x0, y0), `step` apart. */
const grid = (x0, y0, width, height, step = 1) => Array.from({ length: Math.ceil(height / step) }, (_, j) =>
  Array.from({ length: Math.ceil(width / step) }, (_, i) => [x0 + i * step, y0 + j * step])).flat();

test("the morph downloads as a looping GIF of every frame at the player's speed, encoded while the player plays on", async () => {
  await onPage("section=morph&seed=1", async (page) => {
    assert.equal(await page.inputValue("#gif-scale"), "4");
    await page.click("#play");
    const watch = await watchGifButton(page);
    const { name, bytes } = await download(page, "#download-gif");
    assert.equal(name, "morph-01234567890.gif");
    const gif = readGif(bytes);
    assert.deepEqual([gif.width, gif.height], [4 * 28, 4 * 28]);
    assert.ok(gif.applications.includes("NETSCAPE2.0"), "the GIF does not loop");
    assert.equal(gif.delays.length, LOOP_FRAMES);
    assert.ok(gif.delays.every((delay) => delay === 4), "frames do not last 40 ms");

    const [encoding, done] = await watch.seen();
    assert.deepEqual([encoding.shown, encoding.text, encoding.disabled], [true, "Encoding GIF…", true]);
    assert.deepEqual([done.shown, done.disabled], [false, false]);
    assert.ok(done.frame !== encoding.frame, "the player stood still while the GIF was encoded");
    assert.ok(await page.isHidden("#morph-message"));
  });
});

test("a GIF of two samples at 2× with labels: a caption strip, and the frames of a leg at speed 4", async () => {
  await onPage("seed=7", async (page) => {
    await page.locator("#gallery button.sample").nth(3).click();
    await page.locator("#gallery button.sample").nth(75).click();
    await page.click("#play");
    await page.fill("#speed", "4");
    await page.selectOption("#gif-scale", "2");
    await page.check("#gif-labels");
    const { name, bytes } = await download(page, "#download-gif");
    assert.equal(name, "morph-seed-7-samples-3-75.gif");
    const gif = readGif(bytes);
    assert.deepEqual([gif.width, gif.height], [2 * 28, 2 * (28 + 7)]);
    // A leg takes 1 / 4 s: 13 frames of 20 ms, the shortest frame a GIF keeps.
    assert.equal(gif.delays.length, 13 + 1);
    assert.ok(gif.delays.every((delay) => delay === 2), `frames last ${gif.delays} (10 ms)`);
    await page.click("#path-clear");
    assert.ok(await page.isDisabled("#download-gif"), "a GIF of an empty path is offered");
  });
});

test("a GIF the worker cannot make is reported and the button comes back", async () => {
  const { context, page, problems } = await open();
  try {
    await page.route("**/gif-worker.js", (route) => route.fulfill({ status: 404, body: "" }));
    await page.goto(`${origin()}/#section=morph&seed=1`);
    await galleryDrawn(page);
    await page.click("#download-gif");
    await page.waitForSelector("#morph-message", { state: "visible" });
    assert.match(await page.textContent("#morph-message"), /^The GIF could not be made: /);
    assert.ok(await page.isHidden("#gif-status"));
    assert.ok(await page.isEnabled("#download-gif"));
    assert.ok(problems.every((problem) => /gif-worker\.js|status of 404/.test(problem)), problems.join("\n"));
  } finally {
    await context.close();
  }
});

test("the scatter downloads with its legend, the basis vectors and sparse means as the sheets shown", async () => {
  await onPage("section=explore&seed=1", async (page) => {
    await page.click("button[data-show='49']");
    const scatter = await download(page, "#download-scatter");
    assert.equal(scatter.name, "pca-scatter.png");
    const [width, height] = await pngSize(scatter.file);
    assert.ok(height > width, `no legend under the ${width}×${height} plot`);
    const legend = new Set(await pngColours(page, scatter.bytes, grid(0, width + 1, width, height - width - 1)));
    const colours = await page.$$eval("#legend button", (buttons) => buttons.map((b) => b.style.getPropertyValue("--swatch")));
    assert.deepEqual(colours.map((colour) => legend.has(colour)), colours.map((_, d) => d === 4 || d === 9),
      "the legend does not show exactly the colours of 4 and 9");

    for (const [button, canvas, name] of [["#download-basis", "#basis", "basis-vectors-scale-10.png"],
      ["#download-sparse", "#sparse", "sparse-means-8-nonzero.png"]]) {
      const sheet = await download(page, button);
      assert.equal(sheet.name, name);
      const [shownWidth, shownHeight] = await page.$eval(canvas, (c) => [c.width, c.height]);
      assert.deepEqual(await pngSize(sheet.file), [4 * shownWidth, 4 * shownHeight]);
      const [shown] = await canvasPixels(page, canvas);
      const saved = await pngColours(page, sheet.bytes, grid(1, 1, 4 * shownWidth, 4 * shownHeight, 4));
      assert.deepEqual(saved.map((colour) => parseInt(colour.slice(1, 3), 16)), shown, `${name} is not the sheet shown`);
    }
  });
});

test("Share link copies the page's link, which opened afresh draws the same digits; a refused clipboard says what to do", async () => {
  let link;
  let gallery;
  await onPage("seed=4321&method=gaussian&spread=0.3", async (page) => {
    await page.click("#share");
    await page.waitForSelector("#share-status:text-is('Link copied')");
    link = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(link, page.url());
    gallery = await canvasPixels(page, "#gallery canvas");
    await screenshot(page, "share", { fullPage: false });
    await page.click("#new-samples");
    assert.ok(await page.isHidden("#share-status"), "“Link copied” stayed after the link changed");

    await page.evaluate(() => {
      navigator.clipboard.writeText = () => Promise.reject(new DOMException("Write permission denied.", "NotAllowedError"));
    });
    await page.click("#share");
    await page.waitForSelector("#share-status:text-matches('copy the link from the address bar')");
  }, { permissions: ["clipboard-read", "clipboard-write"] });

  const { context, page, problems } = await open();
  try {
    await page.goto(link);
    await galleryDrawn(page);
    assert.deepEqual(await canvasPixels(page, "#gallery canvas"), gallery);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

/** The gzip -9 size of every file the served page can load (the GIF worker, the encoders, the
 *  clothes and Draw's test images included). */
async function servedTransfer() {
  const www = new URL("www/", ROOT);
  const files = [...(await readdir(www)).filter((name) => /\.(html|css|js)$/.test(name)),
    "pkg/latent_digits.js", "pkg/latent_digits_bg.wasm", "pkg/encoder.packed",
    "pkg/fashion/decoder.packed", "pkg/fashion/latent.bin", "pkg/fashion/encoder.packed",
    "test-images/mnist.bin", "test-images/fashion.bin"];
  const sizes = await Promise.all(files.map(async (file) => gzipSync(await readFile(new URL(file, www)), { level: 9 }).length));
  return sizes.reduce((a, b) => a + b, 0);
}

test("dist/latent-digits.html, opened from disk, draws the gallery, plays the morph, reads a test image and a drawing and makes its GIF, the clothes too, with no request", async (t) => {
  if (!existsSync(new URL("pkg/latent_digits_bg.wasm", ROOT))) {
    t.skip("pkg/ is not built (./build.sh build), so there is nothing to bundle");
    return;
  }
  await promisify(execFile)(process.execPath, [fileURLToPath(new URL("tools/bundle.mjs", ROOT))]);
  const size = (await readFile(BUNDLE)).length;
  const transfer = await servedTransfer();
  assert.ok(size <= SIZE_GOAL * transfer, `the file is ${size} bytes, the served page ${transfer} gzip`);

  let served;
  let servedClothes;
  await onPage("seed=1", async (page) => {
    served = await canvasPixels(page, "#gallery canvas");
    await page.click("#dataset input[value='fashion']");
    await page.waitForFunction(() => document.querySelector(".row-label").textContent === "T-shirt");
    servedClothes = await canvasPixels(page, "#gallery canvas");
  });
  const { context, page, problems } = await openFile();
  const requests = [];
  context.on("request", (request) => requests.push(request.url()));
  try {
    const file = pathToFileURL(fileURLToPath(BUNDLE)).href;
    await page.goto(`${file}#seed=1`);
    await galleryDrawn(page);
    assert.deepEqual(await canvasPixels(page, "#gallery canvas"), served, "not the served page's gallery");

    await page.click("nav button[data-section='morph']");
    await page.click("#play");
    const [first] = await canvasPixels(page, "#morph-canvas");
    await page.waitForTimeout(300);
    const [later] = await canvasPixels(page, "#morph-canvas");
    assert.notDeepEqual(later, first, "the morph does not play");

    await page.click("nav button[data-section='draw']");
    await page.waitForSelector("#encoder-status", { state: "hidden" });
    await afterRead(page, () => page.click("#test-images button[aria-label='test image: 7 (1 of 3)']"));
    assert.match(await page.textContent("#verdict"), /^Most likely 7 \(\d+%\)$/);
    await drawWithMouse(page, STROKE);
    assert.match(await page.textContent("#verdict"), /^Most likely \d \(\d+%\)$/);
    assertDigitLike((await canvasPixels(page, "#reconstruction"))[0], "the reconstruction");
    await page.click("#morph-from");
    const { name, bytes } = await download(page, "#download-gif");
    assert.match(name, /^morph-drawing-\d\.gif$/);
    assert.equal(readGif(bytes).delays.length, 25 + 1);

    // The clothes, from the file's own copy of their model and encoder.
    await page.click("#dataset input[value='fashion']");
    await page.waitForFunction(() => document.querySelector(".row-label").textContent === "T-shirt");
    assert.deepEqual(await page.locator(".row-label").allTextContents(), CLOTHES);
    assert.deepEqual(await canvasPixels(page, "#gallery canvas"), servedClothes, "not the served page's clothes");
    await page.click("#path-loop");
    const clothesGif = await download(page, "#download-gif");
    assert.equal(clothesGif.name, "clothes-morph-01234567890.gif");
    assert.equal(readGif(clothesGif.bytes).delays.length, LOOP_FRAMES);
    await page.click("nav button[data-section='draw']");
    await page.waitForSelector("#encoder-status", { state: "hidden" });
    assert.match(await page.textContent("#verdict"), new RegExp(`^Most likely (${CLOTHES.join("|")}) \\(\\d+%\\)$`));

    const elsewhere = requests.filter((url) => url.split("#")[0] !== file && !/^(blob|data):/.test(url));
    assert.deepEqual(elsewhere, [], "the file made requests");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
