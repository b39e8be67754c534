// The Write section as a visitor uses it, in headless Chromium: node --test tests/browser/
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import {
  afterMeasure, assertDigitLike, canvasPixels, drawWithMouseOn, overflow, pageTests, pngSize, screenshot,
} from "./checks.mjs";

const { onPage, open, origin } = pageTests();

// Strokes as lists of [x, y] in shares of the pad's width and height: a 7 leaning right.
const SEVEN = [[[0.3, 0.2], [0.78, 0.2], [0.4, 0.85]]];
const SCALE = 4; // the downloads' pixels per image pixel (write.js)

/** The parameter `name` of the page's hash, read in the page (page.url() can lag behind replaceState). */
const linkParam = (page, name) => page.evaluate((n) => new URLSearchParams(location.hash.slice(1)).get(n), name);
const verdict = (page) => page.textContent("#write-verdict");
const written = async (page) => (await canvasPixels(page, "#written"))[0];
const writtenWidth = (page) => page.$eval("#written", (canvas) => canvas.width);

/** Draws `strokes` on Write's pad and waits until the encoder has read them. */
async function drawDigit(page, strokes) {
  await drawWithMouseOn(page, "#write-pad", "write-read", strokes);
  await page.waitForFunction(() => document.getElementById("write-verdict").textContent.startsWith("Read as"));
}

/** Where each character of `text` lies on the written line (write-line.js's layOut). */
const cellsOf = (page, text) => page.evaluate(async (t) => (await import("/write-line.js")).layOut(t).cells, text);

/** Reads each of `cells` of the written line back as the page reads a drawing: its pixels prepared
 *  as MNIST's digits were, encoded, and classified by the mixtures; the likeliest digit of each. */
const readBack = (page, cells) => page.evaluate(async (cells) => {
  const { Generator } = await import("./pkg/latent_digits.js");
  const gen = new Generator();
  gen.loadEncoder(new Uint8Array(await (await fetch("pkg/encoder.packed")).arrayBuffer()));
  const ctx = document.getElementById("written").getContext("2d");
  return cells.map(({ x, width }) => {
    const { data } = ctx.getImageData(x, 0, width, 28);
    const probabilities = gen.classify(gen.encode(gen.prepare(data, width, 28)));
    return probabilities.indexOf(Math.max(...probabilities));
  });
}, cells);

/** The grey levels of columns [x, x + width) of the written line, row by row. */
const crop = (pixels, lineWidth, { x, width }) => pixels.filter((_, i) => i % lineWidth >= x && i % lineWidth < x + width);

/** Asserts that the line shows `text`: as wide as its cells, each digit digit-like and read back as
 *  itself, each other character but a space holding ink. */
async function assertWritten(page, text) {
  const cells = await cellsOf(page, text);
  const width = cells.reduce((sum, cell) => sum + cell.width, 0);
  assert.equal(await writtenWidth(page), width);
  const pixels = await written(page);
  const digits = cells.filter(({ character }) => /\d/.test(character));
  for (const cell of cells) {
    const ink = crop(pixels, width, cell);
    if (/\d/.test(cell.character)) assertDigitLike(ink, `the ${cell.character} at x = ${cell.x}`);
    else assert.equal(Math.max(...ink) > 128, cell.character !== " ", `“${cell.character}” at x = ${cell.x}`);
  }
  assert.deepEqual(await readBack(page, digits), digits.map(({ character }) => Number(character)), `“${text}” read back`);
}

test("a drawn digit added to the style is measured and said; a number typed is written in it, each digit read back as typed", async () => {
  await onPage("section=write&write-seed=1", async (page) => {
    assert.equal(await verdict(page), "Draw a digit");
    assert.match(await page.textContent("#write-style"), /^No digits added yet/);
    assert.ok(await page.isDisabled("#write-add"));
    await drawDigit(page, SEVEN);
    assert.match(await verdict(page), /^Read as 7 \(\d+%\)$/);

    await afterMeasure(page, "write-read", () => page.click("#write-add"));
    assert.equal(await verdict(page), "Draw a digit", "the pad was not cleared");
    assert.ok(await page.isVisible("#write-kept"));
    const words = await page.textContent("#write-style");
    assert.match(words, /^Your style, measured from the 1 digit you added: (upright|leaning \d+(\.\d)?° (right|left)), strokes \d+(\.\d)? px thick, /);
    assert.match(words, /\d\.\d\d sd (wider|narrower) than average, \d\.\d\d sd (taller|shorter) than average\.$/);
    const style = await linkParam(page, "write-style");
    assert.match(style, /^slant:-?\d+(\.\d)?,thickness:\d+(\.\d)?,width:-?\d+(\.\d\d?)?,height:-?\d+(\.\d\d?)?$/);
    assert.ok(style.length < 60, `the style takes ${style.length} characters of the link`);

    await page.fill("#write-text", "2026");
    assert.equal(await linkParam(page, "write-text"), "2026");
    assert.equal(await page.textContent("#written-caption"), "“2026”: 4 characters, 4 digits sampled with seed 1.");
    await screenshot(page, "write");
    await assertWritten(page, "2026");

    await page.click("#write-forget");
    assert.match(await page.textContent("#write-style"), /^No digits added yet/);
    assert.equal(await linkParam(page, "write-style"), null);
    assert.ok(await page.isHidden("#write-kept"));
  });
});

test("a date is written with its dashes between the digits; the same seed writes the same pixels, New samples others", async () => {
  await onPage("section=write&write-seed=7&write-text=2026-12-02", async (page) => {
    assert.equal(await page.inputValue("#write-text"), "2026-12-02");
    await assertWritten(page, "2026-12-02");
    const date = await written(page);
    await page.fill("#write-text", "12/31 3.14");
    await assertWritten(page, "12/31 3.14");
    await page.fill("#write-text", "2026-12-02");
    assert.deepEqual(await written(page), date, "the same text, style and seed wrote other pixels");

    await page.click("#write-new-samples");
    assert.notEqual(await linkParam(page, "write-seed"), "7");
    assert.equal(await writtenWidth(page), date.length / 28);
    assert.notDeepEqual(await written(page), date, "New samples wrote the same pixels");
  });
});

test("the share link writes the same pixels in a fresh page, without the drawing", async () => {
  let link;
  let pixels;
  let words;
  await onPage("section=write", async (page) => {
    await drawDigit(page, SEVEN);
    await afterMeasure(page, "write-read", () => page.click("#write-add"));
    await page.fill("#write-text", "12:30");
    [link, pixels, words] = [await page.evaluate(() => location.href), await written(page), await page.textContent("#write-style")];
  });
  await onPage(new URL(link).hash.slice(1), async (page) => {
    assert.deepEqual(await written(page), pixels);
    assert.equal(await page.textContent("#write-style"), words.replace(/^Your style, measured from the 1 digit you added/, "The link's style"));
    assert.ok(await page.isHidden("#write-kept"));
  });
});

test("the line downloads as a PNG and as a GIF that writes it, character by character, and ends on the line shown", async () => {
  await onPage("section=write&write-seed=3&write-text=3.14", async (page) => {
    const width = await writtenWidth(page);
    const download = async (selector) => {
      const [file] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
      return { name: file.suggestedFilename(), file, bytes: await readFile(await file.path()) };
    };
    const png = await download("#write-download-png");
    assert.equal(png.name, "handwriting-3-14-seed-3.png");
    assert.deepEqual(await pngSize(png.file), [width * SCALE, 28 * SCALE]);

    const gif = await download("#write-download-gif");
    assert.equal(gif.name, "handwriting-3-14-seed-3.gif");
    assert.equal(gif.bytes.subarray(0, 6).toString(), "GIF89a");
    assert.deepEqual([gif.bytes.readUInt16LE(6), gif.bytes.readUInt16LE(8)], [width * SCALE, 28 * SCALE]);
    assert.equal(gif.bytes.at(-1), 0x3b, "no GIF trailer");
    // Chromium's own decoder: a blank frame, four per character, the last the whole line.
    const { frames, last } = await page.evaluate(async ([base64, scale]) => {
      const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const decoder = new ImageDecoder({ data, type: "image/gif" });
      await decoder.tracks.ready;
      const count = decoder.tracks.selectedTrack.frameCount;
      const { image } = await decoder.decode({ frameIndex: count - 1 });
      const canvas = new OffscreenCanvas(image.displayWidth, image.displayHeight);
      const ctx = canvas.getContext("2d");
      ctx.drawImage(image, 0, 0);
      const { data: rgba, width } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      // Every scale-th pixel of every scale-th row: the line at one pixel per image pixel.
      const grey = [];
      for (let i = 0; i < rgba.length / 4; i++) {
        if ((i % width) % scale === 0 && Math.floor(i / width) % scale === 0) grey.push(rgba[4 * i]);
      }
      return { frames: count, last: grey };
    }, [gif.bytes.toString("base64"), SCALE]);
    assert.equal(frames, 1 + 4 * "3.14".length);
    assert.deepEqual(last, await written(page), "the GIF's last frame is not the line shown");
  });
});

test("a link's unknown style, text or seed is dropped with a note; a character that cannot be written is refused", async () => {
  await onPage("section=write&write-style=slant:x,lean:3&write-text=2026a&write-seed=-1", async (page) => {
    const note = await page.textContent("#write-message");
    assert.match(note, /write-text “2026a” is not digits, spaces and - \/ \. : ,/);
    assert.match(note, /write-style “slant:x,lean:3” is not a style \(slant, thickness, width, height,/);
    assert.match(note, /write-seed “-1” is not a whole number/);
    assert.match(await page.textContent("#write-style"), /^No digits added yet/);
    assert.equal(await page.inputValue("#write-text"), "0123456789");
    const digits = await written(page);

    await page.fill("#write-text", "20a6");
    assert.match(await page.textContent("#write-message"), /^Only digits, spaces and - \/ \. : , can be written/);
    assert.deepEqual(await written(page), digits);
    assert.equal(await linkParam(page, "write-text"), null);
  });
});

test("with the clothes shown, Write says so and writes digits", async () => {
  await onPage("dataset=fashion&section=write&write-seed=7&write-text=1234", async (page) => {
    assert.ok(await page.isVisible("#write-clothes"));
    await assertWritten(page, "1234");
    await page.click("#dataset input[value='mnist']");
    assert.ok(await page.isHidden("#write-clothes"));
  });
});

test("while the encoder loads, the pad waits to read, and reads once it has loaded", async () => {
  const { context, page, problems } = await open();
  try {
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    await page.route("**/encoder.packed", async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${origin()}/#section=write`);
    await page.waitForSelector("#written", { state: "visible" });
    await drawWithMouseOn(page, "#write-pad", "write-read", SEVEN);
    assert.equal(await verdict(page), "Your digit will be read once the encoder has loaded…");
    assert.ok(await page.isVisible("#write-encoder-status progress"));
    assert.ok(await page.isDisabled("#write-add"));
    release();
    await page.waitForFunction(() => document.getElementById("write-verdict").textContent.startsWith("Read as"));
    assert.ok(await page.isHidden("#write-encoder-status"));
    assert.ok(await page.isEnabled("#write-add"));
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("on a touch phone the section fits the screen and its buttons are tap-sized", async () => {
  await onPage("section=write", async (page) => {
    const tooWide = await overflow(page);
    assert.ok(tooWide <= 0, `the Write section is ${tooWide} px too wide`);
    const small = await page.$$eval("#write button", (all) => all
      .filter((button) => button.checkVisibility())
      .filter((button) => Math.min(button.getBoundingClientRect().width, button.getBoundingClientRect().height) < 44)
      .map((button) => button.textContent));
    assert.deepEqual(small, [], "buttons under 44 px on a touch screen");
    await screenshot(page, "phone-write");
  }, { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
});
