// The clothes beside the digits, in headless Chromium: the switch, its link, the clothes in every
// section, and a clothes model that fails to load. node --test tests/browser/
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import {
  assertDigitLike, canvasPixels, drawWithMouse, galleryDrawn, hashParam, overflow, pageTests, screenshot,
} from "./checks.mjs";

const { onPage, open, origin } = pageTests();

const DIGITS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
const CLOTHES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
const LOOP = [...CLOTHES, CLOTHES[0]];
// A pair of trousers, as filled as a few strokes of the pad's pen make it.
const TROUSERS = [
  [[0.35, 0.15], [0.65, 0.15]], [[0.35, 0.2], [0.65, 0.2]],
  [[0.36, 0.15], [0.33, 0.85]], [[0.4, 0.15], [0.38, 0.85]], [[0.44, 0.2], [0.44, 0.85]],
  [[0.64, 0.15], [0.67, 0.85]], [[0.6, 0.15], [0.62, 0.85]], [[0.56, 0.2], [0.56, 0.85]],
];

const rowLabels = (page) => page.locator(".row-label").allTextContents();
const choose = (page, dataset) => page.click(`#dataset input[value='${dataset}']`);
const chosen = (page) => page.$eval("#dataset input:checked", (input) => input.value);
/** Waits until the gallery's first row is labelled `names[0]`, then checks every row's label. */
async function galleryOf(page, names) {
  await page.waitForFunction((first) => document.querySelector(".row-label")?.textContent === first, names[0]);
  assert.deepEqual(await rowLabels(page), names);
}
/** Waits until the encoder of the model shown has loaded (its progress line is gone). */
const encoderLoaded = (page) => page.waitForSelector("#encoder-status", { state: "hidden" });

/** Asserts that a 28×28 image has ink: some clearly lit pixels, not just a faint haze (clothes
 *  can be dark all over, as a black dress is in Fashion-MNIST). */
function assertInked(pixels, what) {
  const mean = pixels.reduce((a, b) => a + b, 0) / pixels.length / 255;
  const peak = Math.max(...pixels);
  assert.ok(peak > 100 && mean > 0.03, `${what} is blank (mean ${mean.toFixed(3)}, peak ${peak})`);
}

/** Clicks `selector` and returns the file it downloads: its name and bytes. */
async function download(page, selector) {
  const [file] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
  return { name: file.suggestedFilename(), bytes: await readFile(await file.path()) };
}

test("Clothes draws a gallery of each class by name, kept by the link and a reload; Digits, Back and Forward switch back", async () => {
  await onPage("seed=5", async (page) => {
    const digits = await canvasPixels(page, "#gallery canvas");
    assert.equal(await chosen(page), "mnist");
    await choose(page, "fashion");
    await galleryOf(page, CLOTHES);
    assert.equal(hashParam(page, "dataset"), "fashion");
    assert.equal(hashParam(page, "seed"), "5");
    const clothes = await canvasPixels(page, "#gallery canvas");
    assert.equal(clothes.length, 100);
    clothes.forEach((pixels, i) => assertInked(pixels, `sample ${i}`));
    assert.ok(new Set(clothes.map(String)).size > 95, "samples repeat");
    assert.notDeepEqual(clothes, digits);
    assert.match(await page.getAttribute("#gallery button.sample >> nth=37", "aria-label"), /^Dress · component \d+ of \d+: slant /);
    assert.deepEqual((await page.locator("#digit option").allTextContents()).slice(1), CLOTHES.map((name) => `${name} only`));
    assert.match(await page.textContent("label:has(#digit)"), /^\s*Classes/);
    assert.match(await page.textContent("#gallery-timing"), /^100 images decoded in /);
    await screenshot(page, "clothes-generate");

    await page.reload();
    await galleryDrawn(page);
    assert.deepEqual(await rowLabels(page), CLOTHES);
    assert.equal(await chosen(page), "fashion");
    assert.deepEqual(await canvasPixels(page, "#gallery canvas"), clothes, "the reload drew other clothes");

    await page.selectOption("#digit", "8");
    assert.deepEqual(new Set(await rowLabels(page)), new Set(["Bag"]));
    assert.equal(hashParam(page, "digit"), "8");
    await page.selectOption("#digit", "all");

    await choose(page, "mnist");
    await galleryOf(page, DIGITS);
    assert.equal(hashParam(page, "dataset"), null);
    assert.deepEqual(await canvasPixels(page, "#gallery canvas"), digits, "not the digits of before");
    assert.match(await page.textContent("label:has(#digit)"), /^\s*Digits/);

    await page.goBack();
    await galleryOf(page, CLOTHES);
    assert.equal(await chosen(page), "fashion");
    await page.goForward();
    await galleryOf(page, DIGITS);
    assert.equal(await chosen(page), "mnist");
  });
});

test("the first load fetches nothing of the clothes; choosing them shows their progress, then their encoder loads", async () => {
  const { context, page, problems } = await open();
  try {
    const requests = [];
    page.on("request", (request) => requests.push(new URL(request.url()).pathname));
    const clothesFiles = () => requests.filter((path) => path.startsWith("/pkg/fashion/")).sort();
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    await page.route("**/pkg/fashion/latent.bin", async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${origin()}/#section=draw&seed=3`);
    await galleryDrawn(page);
    await encoderLoaded(page);
    await page.waitForLoadState("networkidle");
    assert.deepEqual(clothesFiles(), []);

    await choose(page, "fashion");
    await page.waitForSelector("#dataset-status", { state: "visible" });
    assert.ok(await page.isVisible("#dataset-status progress"));
    assert.match(await page.textContent("#dataset-status"), /Loading the clothes/);
    assert.ok(await page.isDisabled("#dataset input[value='mnist']"), "the switch works while the clothes load");
    assert.deepEqual(await rowLabels(page), DIGITS);

    release();
    await galleryOf(page, CLOTHES);
    assert.ok(await page.isHidden("#dataset-status"));
    assert.ok(await page.isEnabled("#dataset input[value='mnist']"));
    await encoderLoaded(page);
    assert.deepEqual(clothesFiles(), ["/pkg/fashion/decoder.packed", "/pkg/fashion/encoder.packed", "/pkg/fashion/latent.bin"]);
    const [encoderStart, chosenAt, galleries] = await page.evaluate(() => [
      performance.getEntriesByType("resource").find((entry) => entry.name.endsWith("/pkg/fashion/encoder.packed")).startTime,
      performance.getEntriesByName("dataset-shown")[0].startTime,
      performance.getEntriesByName("gallery-drawn").map((entry) => entry.startTime),
    ]);
    assert.ok(galleries.some((drawn) => drawn >= chosenAt && drawn <= encoderStart),
      `the clothes' encoder was fetched at ${encoderStart} ms, before their gallery (${galleries} ms)`);

    // Loaded once: back and forth fetches nothing more.
    const count = requests.length;
    await choose(page, "mnist");
    await galleryOf(page, DIGITS);
    await choose(page, "fashion");
    await galleryOf(page, CLOTHES);
    assert.equal(requests.length, count);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

/** Serves `file` under pkg/fashion/ with a bit flipped in its middle. */
const flipped = (file) => [file, async (route) => {
  const response = await route.fetch();
  const body = await response.body();
  body[body.length >> 1] ^= 4;
  await route.fulfill({ response, body });
}];
const missing = (file) => [file, (route) => route.fulfill({ status: 404, body: "" })];

for (const [what, [file, serve], expected] of [
  ["a missing decoder", missing("decoder.packed"), /HTTP 404 for \/pkg\/fashion\/decoder\.packed/],
  ["a corrupt decoder", flipped("decoder.packed"), /decoder: packed network checksum mismatch \(file corrupt\)/],
  ["corrupt statistics", flipped("latent.bin"), /checksum mismatch \(file corrupt\)/],
]) {
  test(`${what}: a message beside the switch, which returns to the digits, and the digits keep working`, async () => {
    const { context, page, problems } = await open();
    try {
      await page.route(`**/pkg/fashion/${file}`, serve);
      await page.goto(`${origin()}/#seed=2`);
      await galleryDrawn(page);
      const digits = await canvasPixels(page, "#gallery canvas");
      await choose(page, "fashion");
      await page.waitForSelector("#dataset-message", { state: "visible" });
      const message = await page.textContent("#dataset-message");
      assert.match(message, /^The clothes model could not be loaded, so the page shows the digits \(/);
      assert.match(message, expected);
      assert.equal(await chosen(page), "mnist");
      assert.ok(await page.isEnabled("#dataset input[value='fashion']"));
      assert.deepEqual(await rowLabels(page), DIGITS);
      assert.deepEqual(await canvasPixels(page, "#gallery canvas"), digits);
      assert.equal(hashParam(page, "dataset"), null);

      // A fixed seed, not "New samples": a random one could draw a digit faint enough to fail the
      // likeness check below, and a test must not depend on chance.
      await page.fill("#seed", "3");
      await page.press("#seed", "Enter");
      assert.ok(await page.isHidden("#dataset-message"));
      const drawn = await canvasPixels(page, "#gallery canvas");
      assert.notDeepEqual(drawn, digits);
      drawn.forEach((pixels, i) => assertDigitLike(pixels, `sample ${i}`));

      // A link to the clothes says so too, and shows the digits.
      await page.goto("about:blank"); // then a new document, with nothing loaded
      await page.goto(`${origin()}/#dataset=fashion&section=morph&seed=2`);
      await galleryDrawn(page);
      assert.match(await page.textContent("#dataset-message"), expected);
      assert.equal(await chosen(page), "mnist");
      assert.equal(hashParam(page, "dataset"), null);
      assert.equal(hashParam(page, "section"), "morph");
      assert.equal(await page.textContent("#path-text"), "0 → 1 → 2 → 3 → 4 → 5 → 6 → 7 → 8 → 9 → 0");
      assert.ok(problems.every((problem) => /fashion\/decoder\.packed|status of 404/.test(problem)), problems.join("\n"));
    } finally {
      await context.close();
    }
  });
}

test("a link's data set that is neither mnist nor fashion is dropped with a note", async () => {
  await onPage("dataset=kmnist&seed=1", async (page) => {
    assert.match(await page.textContent("#dataset-message"),
      /^The link's dataset “kmnist” is not one of mnist, fashion, so it was dropped\.$/);
    assert.deepEqual(await rowLabels(page), DIGITS);
    assert.equal(await chosen(page), "mnist");
    assert.equal(hashParam(page, "dataset"), null);
  });
});

test("the clothes morph through the ten classes and download as a GIF of class numbers, encoded from the clothes' model", async () => {
  await onPage("dataset=fashion&section=morph&seed=1", async (page) => {
    assert.equal(await page.textContent("#path-text"), LOOP.join(" → "));
    assert.equal(await page.textContent("#path-loop"), "Loop T-shirt → Ankle boot → T-shirt");
    assert.deepEqual(await page.locator("#path-digits button").allTextContents(), CLOTHES);
    assert.equal(await page.getAttribute("#path-digits button >> nth=9", "aria-label"), "Add Ankle boot to the path");
    const frame = async () => (await canvasPixels(page, "#morph-canvas"))[0];
    const first = await frame();
    assertInked(first, "the first frame");
    await page.click("#play");
    await page.waitForTimeout(300);
    const later = await frame();
    assert.notDeepEqual(later, first, "the morph does not play");
    assert.match(await page.textContent("#morph-caption"), /^T-shirt → Trouser: \d+%$/);
    await page.click("#play");
    await screenshot(page, "clothes-morph");

    await page.check("#gif-labels");
    assert.match(await page.textContent("label:has(#gif-labels)"), /Class labels/);
    const clothes = await download(page, "#download-gif");
    assert.equal(clothes.name, "clothes-morph-01234567890.gif");
    assert.deepEqual([clothes.bytes.readUInt16LE(6), clothes.bytes.readUInt16LE(8)], [4 * 28, 4 * (28 + 7)]);

    // The worker keeps a model per data set: the digits' GIF is another, the clothes' the same again.
    await choose(page, "mnist");
    await page.waitForFunction(() => document.getElementById("path-text").textContent.startsWith("0 → 1"));
    const digits = await download(page, "#download-gif");
    assert.equal(digits.name, "morph-01234567890.gif");
    assert.notDeepEqual(digits.bytes, clothes.bytes);
    await choose(page, "fashion");
    await page.waitForFunction(() => document.getElementById("path-text").textContent.startsWith("T-shirt"));
    assert.deepEqual((await download(page, "#download-gif")).bytes, clothes.bytes);
    assert.ok(await page.isHidden("#morph-message"));
  });
});

test("Explore, Draw and About show the clothes' model: its plane and classes, a reading by name, its card", async () => {
  await onPage("dataset=fashion&section=explore&seed=1", async (page) => {
    assert.deepEqual(await page.locator("#legend button").allTextContents(), CLOTHES);
    assert.equal(await page.getAttribute("#legend button >> nth=1", "aria-label"), "Show Trouser");
    assert.deepEqual(await page.locator("[data-show]").allTextContents(), ["All", "Trouser and Ankle boot", "Pullover and Coat"]);
    assert.match(await page.textContent("#pairs-hint"), /^Compare an easy pair \(Trouser and Ankle boot, far apart\)/);
    assert.deepEqual(await page.locator("#sparse-names span").allTextContents(), CLOTHES);
    assertInked((await canvasPixels(page, "#pca-decoded"))[0], "the decoded point");
    const [plane] = await canvasPixels(page, "#scatter");
    assert.ok(plane.some((v) => v > 0), "the plane is empty");
    const scatter = await download(page, "#download-scatter");
    assert.equal(scatter.name, "clothes-pca-scatter.png");
    await screenshot(page, "clothes-explore");

    await page.click("nav button[data-section='draw']");
    await encoderLoaded(page);
    assert.equal(await page.textContent("#verdict"), "Draw a piece of clothing: a filled silhouette will do");
    assert.deepEqual(await page.locator("#probabilities .probability").allTextContents(), CLOTHES);
    await drawWithMouse(page, TROUSERS);
    assert.match(await page.textContent("#verdict"), /^Most likely Trouser \(\d+%\)$/);
    assert.ok((await page.getAttribute("#probabilities", "aria-label")).startsWith("Probability of each class: T-shirt: "));
    assertInked((await canvasPixels(page, "#reconstruction"))[0], "the reconstruction");
    assert.match(await page.textContent("#draw"), /Which class is it\?/);
    await screenshot(page, "clothes-draw", { fullPage: false });
    await page.click("#morph-from");
    assert.equal(await page.textContent("#path-text"), "your drawing → Trouser");

    await page.click("nav button[data-section='about']");
    const info = await page.evaluate(async () => {
      const { Generator } = await import("./pkg/latent_digits.js");
      const bytes = (file) => fetch(`pkg/fashion/${file}`).then((r) => r.arrayBuffer()).then((b) => new Uint8Array(b));
      return Generator.fromBytes(await bytes("decoder.packed"), await bytes("latent.bin")).info();
    });
    assert.equal(info.dataset, "fashion");
    assert.match(await page.textContent("#model-card"), /fashion/);
    assert.deepEqual(await page.locator("#train-commands code").allTextContents(), info.trainCommands);
    const about = await page.textContent("#about");
    assert.ok(about.includes(`layer widths ${info.architecture.replaceAll("-", " → ")};`));
    assert.ok(about.includes(`Read this way, ${(100 * info.metrics.reading.accuracy).toFixed(1)}% of the 10,000 ` +
      "Fashion-MNIST test images are read right."), about);
    assert.match(about, /are those of the clothes \(Fashion-MNIST\)\./);
    assert.match(await page.textContent("#timing"), /one image takes \d+(\.\d+)? ms/);
  });
});

test("with the clothes, every section fits a phone screen, the switch and samples are tap-sized, a morph's long names wrap", async () => {
  await onPage("dataset=fashion&seed=1", async (page) => {
    for (const section of ["generate", "morph", "explore", "draw", "about"]) {
      await page.click(`nav button[data-section='${section}']`);
      const tooWide = await overflow(page);
      assert.ok(tooWide <= 0, `${section} is ${tooWide} px too wide`);
      await screenshot(page, `phone-clothes-${section}`);
    }
    await page.click("nav button[data-section='generate']");
    const sizes = await page.locator("#gallery button.sample").evaluateAll((all) => all
      .map((b) => Math.min(b.getBoundingClientRect().width, b.getBoundingClientRect().height)));
    assert.ok(Math.min(...sizes) >= 44, `a sample is ${Math.min(...sizes)} px`);
    const switches = await page.locator("#dataset label").evaluateAll((all) => all
      .map((label) => label.getBoundingClientRect().height));
    assert.ok(Math.min(...switches) >= 44, `the switch is ${Math.min(...switches)} px high`);

    // The longest names of stops: two samples' descriptions.
    await page.locator("#gallery button.sample").nth(95).tap();
    await page.locator("#gallery button.sample").nth(5).tap();
    await page.waitForSelector("#morph-canvas", { state: "visible" });
    assert.match(await page.textContent("#path-text"), /^Ankle boot · .* → T-shirt · /);
    const tooWide = await overflow(page);
    assert.ok(tooWide <= 0, `a morph of two samples is ${tooWide} px too wide`);
  }, { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
});
