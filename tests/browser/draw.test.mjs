// The Draw section as a visitor uses it, in headless Chromium: node --test tests/browser/
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  afterRead, assertDigitLike, canvasPixels, dense, drawWithMouse, focusedId, galleryDrawn, hashParam, overflow, padPosition,
  pageTests, screenshot, visibleSections,
} from "./checks.mjs";

const { onPage, open, origin } = pageTests();

// Strokes as lists of [x, y] in shares of the pad's width and height.
const ONE = [[[0.52, 0.15], [0.48, 0.85]]];
const ZERO = [Array.from({ length: 41 }, (_, i) => {
  const angle = (2 * Math.PI * i) / 40;
  return [0.5 + 0.2 * Math.sin(angle), 0.5 - 0.3 * Math.cos(angle)];
})];
const SEVEN = [[[0.25, 0.2], [0.75, 0.2], [0.42, 0.85]]];
const BAR = [[[0.2, 0.5], [0.8, 0.5]]];

/** Draws `strokes` on the pad with a finger (touch events through the DevTools protocol). */
async function drawWithFinger(page, strokes) {
  const at = await padPosition(page);
  const cdp = await page.context().newCDPSession(page);
  const touch = (type, point) => cdp.send("Input.dispatchTouchEvent", {
    type,
    touchPoints: point ? [{ x: at(point)[0], y: at(point)[1] }] : [],
  });
  await afterRead(page, async () => {
    for (const stroke of strokes) {
      const [first, ...rest] = dense(stroke);
      await touch("touchStart", first);
      for (const point of rest) {
        await page.waitForTimeout(16); // a finger's pace
        await touch("touchMove", point);
      }
      await touch("touchEnd");
    }
  });
  await cdp.detach();
  // A finger takes a moment to reach the next button: Chromium drops a tap that comes within
  // a few milliseconds of a stroke's end (the gesture of the stroke is still being recognised).
  await page.waitForTimeout(200);
}

/** Waits until the encoder has loaded (its progress line is gone). */
const encoderLoaded = (page) => page.waitForSelector("#encoder-status", { state: "hidden" });
const verdict = (page) => page.textContent("#verdict");
/** The digit whose bar is highlighted, or null. */
const winner = (page) => page.$$eval("#probabilities .probability", (bars) => {
  const index = bars.findIndex((bar) => bar.classList.contains("winner"));
  return index < 0 ? null : index;
});
const barShares = (page) => page.$$eval("#probabilities .probability",
  (bars) => bars.map((bar) => Number(getComputedStyle(bar).getPropertyValue("--share"))));

/** Asserts that the section reads the drawing as `digit`: the verdict, the bars and their text. */
async function assertReadAs(page, digit, what) {
  const [, percent] = (await verdict(page)).match(/^Most likely \d \((\d+%)\)$/) ?? [];
  assert.equal(await verdict(page), `Most likely ${digit} (${percent})`, what);
  assert.equal(await winner(page), digit, what);
  const shares = await barShares(page);
  assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 1) < 1e-3, `${what}: the bars add up to ${shares}`);
  assert.equal(Math.max(...shares), shares[digit], what);
  assert.ok((await page.getAttribute("#probabilities", "aria-label")).includes(`${digit}: ${percent}`), what);
}

/** A PNG of `strokes` drawn in `ink` on `paper`, as base64, made by the page's own canvas. */
const digitPng = (page, strokes, { ink, paper, width, height, lineWidth }) => page.evaluate(
  ({ strokes, ink, paper, width, height, lineWidth }) => {
    const canvas = document.createElement("canvas");
    Object.assign(canvas, { width, height });
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = paper;
    ctx.fillRect(0, 0, width, height);
    Object.assign(ctx, { strokeStyle: ink, lineWidth, lineCap: "round", lineJoin: "round" });
    for (const stroke of strokes) {
      ctx.beginPath();
      for (const [x, y] of stroke) ctx.lineTo(x * width, y * height);
      ctx.stroke();
    }
    return canvas.toDataURL("image/png").split(",")[1];
  },
  { strokes, ink, paper, width, height, lineWidth },
);

/** Drops a file named `name` holding `base64` on the pad, as a drag from the desktop does. */
const dropFile = (page, base64, name, type) => page.evaluate(({ base64, name, type }) => {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, { type }));
  const pad = document.getElementById("pad");
  for (const kind of ["dragenter", "dragover", "drop"]) {
    pad.dispatchEvent(new DragEvent(kind, { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }
}, { base64, name, type });

test("a vertical stroke reads as 1, a loop as 0, a 7 as 7; what the model sees and its reconstruction are digits", async () => {
  await onPage("section=draw&seed=1", async (page) => {
    await encoderLoaded(page);
    assert.equal(await verdict(page), "Draw a digit");
    for (const [strokes, digit] of [[ONE, 1], [ZERO, 0], [SEVEN, 7]]) {
      if (await page.isEnabled("#pad-clear")) await afterRead(page, () => page.click("#pad-clear"));
      await drawWithMouse(page, strokes);
      await assertReadAs(page, digit, `the ${digit} drawn`);
      const [prepared, reconstruction] = await canvasPixels(page, "#prepared, #reconstruction");
      assertDigitLike(prepared, `prepared ${digit}`);
      assertDigitLike(reconstruction, `reconstructed ${digit}`);
      assert.match(await page.textContent("#drawing-where"), /^At PC1 -?\d+\.\d\d, PC2 -?\d+\.\d\d of the Explore plane\.$/);
    }
    await screenshot(page, "draw", { fullPage: false });
  });
});

test("the encoder is fetched only after the first gallery is drawn", async () => {
  await onPage("seed=1", async (page) => {
    await page.click("nav button[data-section='draw']");
    await encoderLoaded(page);
    const [encoderStart, galleryDone] = await page.evaluate(() => [
      performance.getEntriesByType("resource").find((entry) => entry.name.endsWith("/pkg/encoder.packed")).startTime,
      performance.getEntriesByName("gallery-drawn")[0].startTime,
    ]);
    assert.ok(encoderStart >= galleryDone, `encoder fetched at ${encoderStart} ms, gallery drawn at ${galleryDone} ms`);
    assert.equal(hashParam(page, "section"), "draw");
  });
});

test("while the encoder loads the pad still prepares the digit; an encoder that fails to load says so", async () => {
  const { context, page, problems } = await open();
  try {
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    await page.route("**/encoder.packed", async (route) => {
      await held;
      await route.fulfill({ status: 404, body: "" });
    });
    await page.goto(`${origin()}/#section=draw`);
    await galleryDrawn(page);
    assert.ok(await page.isVisible("#encoder-status progress"));
    assert.match(await page.textContent("#encoder-status"), /Loading the encoder/);
    await drawWithMouse(page, ONE);
    assert.equal(await verdict(page), "Your digit will be read once the encoder has loaded…");
    assertDigitLike((await canvasPixels(page, "#prepared"))[0], "prepared 1");
    assert.ok(await page.isDisabled("#morph-from"));

    release();
    await page.waitForSelector("#encoder-error", { state: "visible" });
    assert.match(await page.textContent("#encoder-error"), /encoder could not be loaded.*HTTP 404/);
    assert.ok(await page.isHidden("#encoder-status"));
    assert.equal(await verdict(page), "Your digit cannot be read: the encoder did not load.");
    assert.ok(problems.every((problem) => /encoder\.packed|status of 404/.test(problem)), problems.join("\n"));
  } finally {
    await context.close();
  }
});

test("Undo removes the last stroke, Clear empties the pad; both by keyboard", async () => {
  await onPage("section=draw", async (page) => {
    await encoderLoaded(page);
    assert.ok(await page.isDisabled("#pad-undo"));
    assert.ok(await page.isDisabled("#pad-clear"));
    await drawWithMouse(page, ONE);
    const one = await canvasPixels(page, "#prepared");
    await drawWithMouse(page, BAR);
    assert.notDeepEqual(await canvasPixels(page, "#prepared"), one);

    await page.waitForSelector("#test-images button");
    await page.focus("#draw-title");
    const order = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press("Tab");
      order.push(await page.evaluate(() => document.activeElement.id || document.activeElement.getAttribute("aria-label")));
    }
    // The test images take one Tab (arrow keys move among them).
    assert.deepEqual(order, ["pad-undo", "pad-clear", "choose-image", "test image: 0 (1 of 3)", "show-on-map", "morph-from"]);

    await page.focus("#pad-undo");
    await afterRead(page, () => page.keyboard.press("Enter"));
    assert.deepEqual(await canvasPixels(page, "#prepared"), one, "Undo did not bring back the single stroke");
    await assertReadAs(page, 1, "after Undo");

    await page.focus("#pad-clear");
    await afterRead(page, () => page.keyboard.press("Space"));
    assert.equal(await verdict(page), "Draw a digit");
    assert.equal(await winner(page), null);
    assert.deepEqual(await barShares(page), Array(10).fill(0));
    const [prepared, reconstruction] = await canvasPixels(page, "#prepared, #reconstruction");
    assert.ok(Math.max(...prepared, ...reconstruction) === 0, "a blank pad still shows ink");
    for (const button of ["#pad-undo", "#pad-clear", "#morph-from", "#show-on-map"]) {
      assert.ok(await page.isDisabled(button), `${button} is enabled on a blank pad`);
    }
    assert.equal(await focusedId(page), "choose-image", "the focus stayed on the disabled Clear");
    assert.equal(await page.textContent("#drawing-where"), "");
    assert.ok(await page.isHidden("#restyled"));
  });
});

/** How many pixels of two canvases' red channels (canvasPixels) differ by more than the grey level
 *  or two that text drawn again may move by: a marker's pixels differ by far more. */
const changedPixels = ([a], [b]) => a.filter((value, i) => Math.abs(value - b[i]) > 16).length;

test("Show on the map marks the drawn digit on the Explore plane, until the pad is cleared", async () => {
  await onPage("section=explore", async (page) => {
    const plane = await canvasPixels(page, "#scatter");
    assert.ok(await page.isHidden("#drawing-point"));
    await page.click("nav button[data-section='draw']");
    await encoderLoaded(page);
    await drawWithMouse(page, ONE);
    const where = (await page.textContent("#drawing-where")).match(/PC1 (\S+), PC2 (\S+) /).slice(1);

    await page.click("#show-on-map");
    assert.deepEqual(await visibleSections(page), ["explore"]);
    assert.equal(await page.textContent("#drawing-point"), `◆ Your digit, read as 1: PC1 ${where[0]}, PC2 ${where[1]}`);
    assert.ok(changedPixels(await canvasPixels(page, "#scatter"), plane) > 20, "no marker on the plane");

    await page.click("nav button[data-section='draw']");
    await afterRead(page, () => page.click("#pad-clear"));
    await page.click("nav button[data-section='explore']");
    assert.ok(await page.isHidden("#drawing-point"));
    assert.equal(changedPixels(await canvasPixels(page, "#scatter"), plane), 0, "the marker stayed after Clear");
  });
});

test("Morph from it plays from your digit to its digit's mean, and digits added in Morph go on from there", async () => {
  await onPage("section=draw", async (page) => {
    await encoderLoaded(page);
    await drawWithMouse(page, ONE);
    const [reconstruction] = await canvasPixels(page, "#reconstruction");
    await page.focus("#morph-from");
    await page.keyboard.press("Enter");
    assert.deepEqual(await visibleSections(page), ["morph"]);
    assert.equal(await focusedId(page), "morph-title");
    assert.equal(hashParam(page, "from"), "drawing");
    assert.equal(hashParam(page, "path"), "1");
    assert.equal(await page.textContent("#path-text"), "your digit → 1");
    assert.equal(await page.textContent("#play"), "Pause");

    const frame = async () => (await canvasPixels(page, "#morph-canvas"))[0];
    const first = await frame();
    await page.waitForTimeout(300);
    const later = await frame();
    assert.notDeepEqual(later, first, "the morph does not play");
    assert.match(await page.textContent("#morph-caption"), /^your digit → 1: \d+%$/);
    await page.click("#play");
    await page.focus("#scrubber");
    await page.keyboard.press("Home");
    assert.deepEqual(await frame(), reconstruction, "the morph does not start at your digit");

    await page.click("#path-digits button:text-is('5')");
    assert.equal(await page.textContent("#path-text"), "your digit → 1 → 5");
    assert.equal(await page.getAttribute("#scrubber", "max"), "120");
    await page.click("#path-undo");
    assert.equal(await page.textContent("#path-text"), "your digit → 1");
    await page.click("#path-undo");
    assert.equal(await page.textContent("#path-text"), "Empty: click or tap digits to build a path.");
    assert.equal(hashParam(page, "from"), null);
  });
});

test("a link that morphs from a drawing, opened without one, morphs through its digits", async () => {
  await onPage("section=morph&path=3-8&from=drawing", async (page) => {
    assert.equal(await page.textContent("#path-text"), "3 → 8");
    assert.equal(hashParam(page, "from"), null);
  });
});

test("an image chosen with the file picker or dropped on the pad is read; a file that is no image is refused", async () => {
  await onPage("section=draw", async (page) => {
    await encoderLoaded(page);
    const darkOneOnWhite = await digitPng(page, ONE, { ink: "#222", paper: "#fff", width: 120, height: 160, lineWidth: 14 });
    const oneFile = { name: "one.png", mimeType: "image/png", buffer: Buffer.from(darkOneOnWhite, "base64") };
    const chooserOpened = page.waitForEvent("filechooser");
    await page.focus("#choose-image");
    await page.keyboard.press("Enter");
    const chooser = await chooserOpened;
    await afterRead(page, () => chooser.setFiles(oneFile));
    await assertReadAs(page, 1, "a dark 1 on white, chosen");
    assertDigitLike((await canvasPixels(page, "#prepared"))[0], "the chosen 1, prepared");
    assert.ok(await page.isEnabled("#pad-undo"));

    const blueZeroOnYellow = await digitPng(page, ZERO, { ink: "#1b2a80", paper: "#f3e27a", width: 400, height: 300, lineWidth: 22 });
    await afterRead(page, () => dropFile(page, blueZeroOnYellow, "zero.png", "image/png"));
    await assertReadAs(page, 0, "a blue 0 on yellow, dropped");

    await afterRead(page, () => page.setInputFiles("#image-file", oneFile));
    await assertReadAs(page, 1, "a dark 1 on white, set on the file input");
    await drawWithMouse(page, BAR);
    assert.notEqual(await winner(page), null);
    await afterRead(page, () => page.click("#pad-undo"));
    assert.equal(await verdict(page), "Draw a digit", "a stroke did not replace the image");

    await dropFile(page, Buffer.from("not an image").toString("base64"), "notes.txt", "text/plain");
    await page.waitForSelector("#draw-message", { state: "visible" });
    assert.match(await page.textContent("#draw-message"), /^“notes\.txt” could not be opened as an image/);
  });
});

test("“Your style, every digit” is shown only when the model card says restyling works", async () => {
  await onPage("section=draw", async (page) => {
    const info = await page.evaluate(async () => new (await import("./pkg/latent_digits.js")).Generator().info());
    const restyle = info.metrics.reading?.restyle;
    await encoderLoaded(page);
    await drawWithMouse(page, SEVEN);
    const caption = await page.textContent("#restyle-caption");
    const works = restyle && restyle.filter((share) => share >= 0.5).length >= 6;
    if (works) {
      const mean = restyle.reduce((a, b) => a + b, 0) / 10;
      assert.ok(caption.includes(`${(100 * mean).toFixed(0)}% of the time on average`), caption);
      assert.ok(await page.isVisible("#restyled"));
      const [row] = await canvasPixels(page, "#restyled");
      assert.ok(Math.max(...row) > 200, "the restyled digits hold no ink");
    } else {
      assert.match(caption, /not (well enough|measured)/);
      assert.ok(await page.isHidden("#restyled"));
    }
  });
});

test("About gives the reading accuracy and says that you can draw", async () => {
  await onPage("section=about", async (page) => {
    const info = await page.evaluate(async () => new (await import("./pkg/latent_digits.js")).Generator().info());
    const about = await page.textContent("#about");
    assert.match(about, /you can draw a digit, or bring an image of one, in Draw/);
    const { accuracy } = info.metrics.reading;
    assert.ok(about.includes(`Read this way, ${(100 * accuracy).toFixed(1)}% of the 10,000 MNIST test digits are read right.`));
    assert.ok(!(await page.textContent("#model-card")).includes("[object Object]"));
  });
});

test("on a touch phone the pad draws with a finger, does not scroll, and the section fits the screen", async () => {
  await onPage("section=draw", async (page) => {
    await encoderLoaded(page);
    assert.equal(await page.$eval("#pad", (pad) => getComputedStyle(pad).touchAction), "none");
    await page.locator("#pad").scrollIntoViewIfNeeded();
    const scrolled = await page.evaluate(() => window.scrollY);
    await drawWithFinger(page, ONE);
    await assertReadAs(page, 1, "a 1 drawn with a finger");
    assert.equal(await page.evaluate(() => window.scrollY), scrolled, "the stroke scrolled the page");

    const tooWide = await overflow(page);
    assert.ok(tooWide <= 0, `the Draw section is ${tooWide} px too wide`);
    const small = await page.$$eval("#draw button", (all) => all
      .filter((button) => button.checkVisibility())
      .filter((button) => Math.min(button.getBoundingClientRect().width, button.getBoundingClientRect().height) < 44)
      .map((button) => button.textContent));
    assert.deepEqual(small, [], "buttons under 44 px on a touch screen");
    await afterRead(page, () => page.tap("#pad-clear"));
    assert.equal(await verdict(page), "Draw a digit");
    await screenshot(page, "phone-draw-touch");
  }, { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
});
