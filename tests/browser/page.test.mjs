// The page as a visitor sees it, in headless Chromium: node --test tests/browser/
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertDigitLike, canvasPixels, focusedId, galleryDrawn, hashParam, maxDifference, overflow, pageTests, pngSize,
  screenshot, visibleSections,
} from "./checks.mjs";

const { onPage, open, origin } = pageTests();

test("the gallery shows a row of digit-like samples for each digit", async () => {
  await onPage("seed=1234", async (page) => {
    const labels = await page.locator(".row-label").allTextContents();
    assert.deepEqual(labels, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    assert.equal(hashParam(page, "spread"), "0.85");
    const images = await canvasPixels(page, "#gallery canvas");
    assert.equal(images.length, 100);
    images.forEach((pixels, i) => assertDigitLike(pixels, `sample ${i}`));
    assert.ok(new Set(images.map(String)).size > 95, "samples repeat");

    const sample = page.locator("#gallery button.sample").nth(37);
    await sample.hover();
    const tip = await sample.evaluate((el) => getComputedStyle(el, "::after").content);
    assert.match(tip, /digit 3 · (component \d+ of \d+|single Gaussian)/);
    await page.mouse.move(0, 0);
    await screenshot(page, "generate");

    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-gallery")]);
    assert.deepEqual(await pngSize(download), [10 * 116 - 4, 10 * 116 - 4]);
  });
});

test("one chosen digit with the single Gaussian fills the gallery with that digit", async () => {
  await onPage("seed=99", async (page) => {
    await page.selectOption("#digit", "4");
    await page.check("input[value='gaussian']");
    assert.equal(await page.textContent("output[for='spread']"), "0.20");
    assert.ok(page.url().includes("method=gaussian&spread=0.2&digit=4"));
    assert.deepEqual(new Set(await page.locator(".row-label").allTextContents()), new Set(["4"]));
    const images = await canvasPixels(page, "#gallery canvas");
    assert.equal(images.length, 60);
    images.forEach((pixels, i) => assertDigitLike(pixels, `sample ${i}`));
    assert.match(await page.getAttribute("#gallery button.sample >> nth=59", "aria-label"), /^digit 4 · single Gaussian: slant /);
  });
});

/** Resolves once the page has drawn more than `count` galleries. */
const galleriesDrawn = (page, count) => page.waitForFunction(
  (count) => performance.getEntriesByName("gallery-drawn").length > count, count);
const drawnSoFar = (page) => page.evaluate(() => performance.getEntriesByName("gallery-drawn").length);

test("the normalizing flow is fetched only when chosen; it draws digits, and its link draws them again", async () => {
  const { context, page, problems } = await open();
  try {
    const flowRequests = [];
    page.on("request", (request) => {
      if (new URL(request.url()).pathname.endsWith("/flow.bin")) flowRequests.push(request.url());
    });
    await page.goto(`${origin()}/#seed=77`);
    await galleryDrawn(page);
    await page.waitForLoadState("networkidle");
    assert.deepEqual(flowRequests, [], "the first gallery needs no flow");

    const before = await drawnSoFar(page);
    await page.check("input[value='flow']");
    await galleriesDrawn(page, before);
    assert.equal(flowRequests.length, 1);
    assert.equal(hashParam(page, "method"), "flow");
    assert.equal(await page.textContent("output[for='spread']"), "0.85");
    const images = await canvasPixels(page, "#gallery canvas");
    assert.equal(images.length, 100);
    images.forEach((pixels, i) => assertDigitLike(pixels, `flow sample ${i}`));
    assert.match(await page.getAttribute("#gallery button.sample >> nth=42", "aria-label"),
      /^digit 4 · component \d+ of \d+, through the flow: slant /);

    // Back to the mixture and to the flow again: no second fetch, the same flow samples.
    await page.check("input[value='gmm']");
    await page.check("input[value='flow']");
    await page.waitForFunction(() => location.hash.includes("method=flow"));
    assert.equal(flowRequests.length, 1);
    assert.deepEqual(await canvasPixels(page, "#gallery canvas"), images);

    // The link, opened afresh, loads the flow before its first gallery and draws the same digits.
    const link = page.url();
    const fresh = await context.newPage();
    await fresh.goto(link);
    await galleryDrawn(fresh);
    assert.equal(hashParam(fresh, "method"), "flow");
    assert.deepEqual(await canvasPixels(fresh, "#gallery canvas"), images);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("a flow that cannot be loaded says so; the gallery keeps its method, and a link's falls back to the default", async () => {
  const { context, page, problems } = await open();
  try {
    await context.route("**/flow.bin", (route) => route.fulfill({ status: 404, body: "" }));
    await page.goto(`${origin()}/#seed=5`);
    await galleryDrawn(page);
    const images = await canvasPixels(page, "#gallery canvas");
    await page.click("input[value='flow']"); // not check(): the page unchecks it again
    await page.waitForFunction(() => /could not be loaded/.test(document.querySelector("#generate-message").textContent));
    assert.match(await page.textContent("#generate-message"), /normalizing flow could not be loaded.*HTTP 404/);
    assert.ok(await page.isChecked("input[value='gmm']"), "the mixture is still the method");
    assert.ok(await page.isEnabled("input[value='flow']"), "the buttons work again");
    assert.notEqual(hashParam(page, "method"), "flow");
    assert.deepEqual(await canvasPixels(page, "#gallery canvas"), images);

    const fresh = await context.newPage();
    await fresh.goto(`${origin()}/#seed=5&method=flow&spread=0.5`);
    await galleryDrawn(fresh);
    assert.match(await fresh.textContent("#generate-message"), /samples by the default method/);
    assert.ok(await fresh.isChecked("input[value='gmm']"));
    assert.equal(await fresh.textContent("output[for='spread']"), "0.85");
    assert.deepEqual(await canvasPixels(fresh, "#gallery canvas"), images);
    assert.ok(problems.every((problem) => /flow\.bin|status of 404/.test(problem)), problems.join("\n"));
  } finally {
    await context.close();
  }
});

test("a new seed draws new digits, and reloading the URL draws the same ones", async () => {
  await onPage("seed=1234", async (page) => {
    const first = await canvasPixels(page, "#gallery canvas");
    await page.click("#new-samples");
    await page.waitForFunction(() => document.getElementById("seed").value !== "1234");
    const second = await canvasPixels(page, "#gallery canvas");
    assert.notDeepEqual(second, first);
    const seed = await page.inputValue("#seed");
    assert.ok(page.url().includes(`seed=${seed}`));

    await page.reload();
    await galleryDrawn(page);
    assert.equal(await page.inputValue("#seed"), seed);
    assert.deepEqual(await canvasPixels(page, "#gallery canvas"), second);

    await page.fill("#seed", "1234");
    await page.press("#seed", "Enter");
    assert.deepEqual(await canvasPixels(page, "#gallery canvas"), first);
  });
});

test("Play animates the morph and moves the scrubber", async () => {
  await onPage("section=morph&seed=1", async (page) => {
    const frame = async () => (await canvasPixels(page, "#morph-canvas"))[0];
    const position = async () => Number(await page.inputValue("#scrubber"));
    assert.equal(await page.textContent("#path-text"), "0 → 1 → 2 → 3 → 4 → 5 → 6 → 7 → 8 → 9 → 0");
    const start = [await frame(), await position()];
    assertDigitLike(start[0], "first frame");

    await page.click("#play");
    await page.waitForTimeout(400);
    const later = [await frame(), await position()];
    await page.waitForTimeout(400);
    const latest = [await frame(), await position()];
    assert.notDeepEqual(later[0], start[0]);
    assert.notDeepEqual(latest[0], later[0]);
    assert.ok(later[1] > start[1] && latest[1] > later[1], `scrubber at ${start[1]}, ${later[1]}, ${latest[1]}`);
    await screenshot(page, "morph");

    await page.click("#play");
    assert.equal(await page.textContent("#play"), "Play");
    const paused = await position();
    await page.waitForTimeout(200);
    assert.equal(await position(), paused);

    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-frame")]);
    assert.deepEqual(await pngSize(download), [280, 280]);
  });
});

test("clicking two samples morphs from the first to the second", async () => {
  await onPage("seed=7", async (page) => {
    const samples = await canvasPixels(page, "#gallery canvas");
    await page.locator("#gallery button.sample").nth(3).click();
    await page.locator("#gallery button.sample").nth(75).click();
    await page.waitForSelector("#morph-canvas", { state: "visible" });
    assert.match(await page.textContent("#path-text"), /^digit 0 .* → digit 7 /);
    assert.equal(await page.textContent("#play"), "Pause");
    assert.equal(await focusedId(page), "morph-title", "the focus stayed on the hidden sample");
    await page.click("#play");

    await page.focus("#scrubber");
    await page.keyboard.press("Home");
    const [first] = await canvasPixels(page, "#morph-canvas");
    await page.keyboard.press("End");
    const [last] = await canvasPixels(page, "#morph-canvas");
    assert.ok(maxDifference(first, samples[3]) <= 2, "the morph does not start at the first sample");
    assert.ok(maxDifference(last, samples[75]) <= 2, "the morph does not end at the second sample");

    await page.goBack();
    assert.deepEqual(await visibleSections(page), ["generate"]);
    assert.equal(hashParam(page, "pair"), null);
    assert.deepEqual(await canvasPixels(page, "#gallery canvas"), samples);
    assert.equal(await focusedId(page), "generate-title");
  });
});

test("a path built by clicking digits plays and survives a reload", async () => {
  await onPage("section=morph", async (page) => {
    await page.click("#path-clear");
    await page.click("#path-digits button:text-is('3')");
    await page.click("#path-digits button:text-is('8')");
    assert.equal(await page.textContent("#path-text"), "3 → 8");
    assert.ok(page.url().includes("path=3-8"));
    await page.reload();
    await galleryDrawn(page);
    assert.equal(await page.textContent("#path-text"), "3 → 8");
    assert.equal(await page.getAttribute("#scrubber", "max"), "60");

    // Undo until the path is empty: the focus moves from the disabled Undo to the digits.
    await page.focus("#path-undo");
    await page.keyboard.press("Enter");
    await page.keyboard.press("Enter");
    assert.equal(await page.textContent("#path-text"), "Empty: click or tap digits to build a path.");
    assert.ok(await page.isDisabled("#path-undo"));
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute("aria-label")), "Add 0 to the path");
  });
});

test("a link with 200 morph stops keeps the first 167 with a note; the section works and its new URL loads cleanly", async () => {
  const stops = Array.from({ length: 200 }, (_, i) => i % 10);
  await onPage(`section=morph&seed=1&path=${stops.join("-")}&pair=3-100`, async (page) => {
    assert.ok(await page.isVisible("#morph-message"));
    assert.match(await page.textContent("#morph-message"), /path has 200 stops, more than the 167 .* first 167 were kept/);
    assert.match(await page.textContent("#morph-message"), /pair “3-100” is not two sample numbers below 100/);
    const kept = stops.slice(0, 167);
    assert.equal(await page.textContent("#path-text"), `${kept.join(" → ")} (full: a path holds at most 167 stops)`);
    assert.equal(hashParam(page, "path"), kept.join("-"));
    assert.equal(hashParam(page, "pair"), null);
    assert.equal(await page.getAttribute("#scrubber", "max"), String(166 * 60));
    await page.focus("#scrubber");
    await page.keyboard.press("End");
    assert.equal(await page.textContent("#morph-caption"), "5 → 6: 100%");
    assertDigitLike((await canvasPixels(page, "#morph-canvas"))[0], "last frame");
    assert.ok(await page.isDisabled("#path-digits button >> nth=0"), "a full path takes more stops");

    await page.click("#path-undo");
    assert.ok(await page.isHidden("#morph-message"));
    await page.click("#path-digits button:text-is('9')");
    assert.match(await page.textContent("#path-text"), /4 → 5 → 9 \(full/);

    await page.reload();
    await galleryDrawn(page);
    assert.ok(await page.isHidden("#morph-message"));
    assert.match(await page.textContent("#path-text"), /4 → 5 → 9 \(full/);
    assert.equal(hashParam(page, "path").split("-").length, 167);
  });
});

test("the largest seed draws a gallery; a seed out of range or not a number is refused with a message", async () => {
  await onPage("seed=abc&spread=9", async (page) => {
    const message = page.locator("#generate-message");
    assert.match(await message.textContent(), /seed “abc” is not a whole number from 0 to 9007199254740991/);
    assert.match(await message.textContent(), /spread 9 is outside 0\.05–2, so it was clamped/);
    assert.equal(await page.textContent("output[for='spread']"), "2.00");
    const seed = await page.inputValue("#seed");
    assert.match(seed, /^\d+$/);
    assert.equal(hashParam(page, "seed"), seed);
    assert.equal((await canvasPixels(page, "#gallery canvas")).length, 100);

    await page.fill("#seed", "9007199254740991");
    await page.press("#seed", "Enter");
    assert.ok(await message.isHidden());
    assert.equal(hashParam(page, "seed"), "9007199254740991");
    const largest = await canvasPixels(page, "#gallery canvas");
    largest.forEach((pixels, i) => assertDigitLike(pixels, `sample ${i}`));

    await page.fill("#seed", "9007199254740992");
    await page.press("#seed", "Enter");
    assert.equal(await message.textContent(), "The seed must be a whole number from 0 to 9007199254740991.");
    assert.equal(hashParam(page, "seed"), "9007199254740991");
    assert.deepEqual(await canvasPixels(page, "#gallery canvas"), largest);

    await page.click("#new-samples");
    assert.ok(await message.isHidden());
    assert.notDeepEqual(await canvasPixels(page, "#gallery canvas"), largest);
  });
});

test("controls stay disabled under a progress bar until the module is ready", async () => {
  const { context, page, problems } = await open();
  try {
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    await page.route("**/*.wasm", async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${origin()}/#section=morph&seed=5`, { waitUntil: "domcontentloaded" });
    await page.waitForSelector("nav button[aria-current='page']", { state: "attached" }); // main.js runs
    const controls = "nav button, main button, main input, main select";
    const enabled = () => page.$$eval(controls, (all) => all.filter((c) => !c.disabled).map((c) => c.outerHTML));
    assert.deepEqual(await enabled(), []);
    assert.ok(await page.isVisible("#status progress"));
    assert.match(await page.textContent("#status"), /Loading the model/);

    release();
    await galleryDrawn(page);
    assert.ok(await page.isHidden("#status"));
    for (const control of ["nav button >> nth=0", "#play", "#path-loop", "#path-digits button >> nth=0", "#speed"]) {
      assert.ok(await page.isEnabled(control), `${control} is still disabled`);
    }
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("Back and Forward move between the sections visited", async () => {
  await onPage("seed=1", async (page) => {
    await page.click("nav button[data-section='morph']");
    await page.click("nav button[data-section='explore']");
    await page.goBack();
    assert.deepEqual(await visibleSections(page), ["morph"]);
    assert.equal(hashParam(page, "section"), "morph");
    await page.goBack();
    assert.deepEqual(await visibleSections(page), ["generate"]);
    assert.equal(await page.getAttribute("nav button[data-section='generate']", "aria-current"), "page");
    await page.goForward();
    assert.deepEqual(await visibleSections(page), ["morph"]);
  });
});

test("clicking the scatter decodes that point; the sliders redraw their images", async () => {
  await onPage("section=explore", async (page) => {
    const decoded = async () => (await canvasPixels(page, "#pca-decoded"))[0];
    const box = await page.locator("#scatter").boundingBox();
    const before = await decoded();
    await page.mouse.click(box.x + box.width * 0.2, box.y + box.height * 0.3);
    const one = await decoded();
    await page.mouse.click(box.x + box.width * 0.8, box.y + box.height * 0.7);
    const two = await decoded();
    assert.notDeepEqual(one, before);
    assert.notDeepEqual(two, one);

    const plane = await canvasPixels(page, "#scatter");
    await page.click("button[data-show='49']");
    const pressed = await page.$$eval("#legend button", (buttons) => buttons.map((b) => b.getAttribute("aria-pressed")));
    assert.deepEqual(pressed.map((p, d) => (p === "true" ? d : null)).filter((d) => d !== null), [4, 9]);
    assert.notDeepEqual(await canvasPixels(page, "#scatter"), plane);

    for (const [slider, canvas] of [["#basis-scale", "#basis"], ["#nonzeros", "#sparse"]]) {
      const shown = await canvasPixels(page, canvas);
      await page.fill(slider, "2");
      assert.notDeepEqual(await canvasPixels(page, canvas), shown, `${slider} did not redraw ${canvas}`);
    }
    await screenshot(page, "explore");
  });
});

test("About shows the model card, every training command to copy, and a decode timing", async () => {
  await onPage("section=about", async (page) => {
    const info = await page.evaluate(async () => new (await import("./pkg/latent_digits.js")).Generator().info());
    const card = await page.textContent("#model-card");
    assert.match(card, /mnist/);
    // The evaluator's scores of the default mixture samples (accuracy first).
    assert.match(card, /Mixture samples: class accuracy[^]*?0\.9\d+, \d+\.\d+, /);
    assert.ok((await page.textContent("#about")).includes(`layer widths ${info.architecture.replaceAll("-", " → ")};`));

    assert.ok(info.trainCommands.length > 0);
    assert.deepEqual(await page.locator("#train-commands code").allTextContents(), info.trainCommands);
    const copy = page.locator("#train-commands button").last();
    await copy.click();
    await page.waitForSelector("#train-commands button:text-is('Copied')");
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), info.trainCommands.at(-1));

    assert.match(await page.textContent("#timing"), /one digit takes \d+(\.\d+)? ms/);
    await screenshot(page, "about");
  }, { permissions: ["clipboard-read", "clipboard-write"] });
});

test("every section fits a phone screen without sideways scrolling", async () => {
  await onPage("seed=1", async (page) => {
    for (const section of ["generate", "morph", "explore", "draw", "about"]) {
      await page.click(`nav button[data-section='${section}']`);
      const tooWide = await overflow(page);
      assert.ok(tooWide <= 0, `${section} is ${tooWide} px too wide`);
      await screenshot(page, `phone-${section}`);
    }
  }, { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
});

test("on a touch phone, samples are tap-sized, a tip stays on screen, a tap on the plane shows its digit", async () => {
  await onPage("seed=1", async (page) => {
    const samples = page.locator("#gallery button.sample");
    const sizes = await samples.evaluateAll((all) => all.map((b) => b.getBoundingClientRect())
      .map(({ width, height }) => Math.min(width, height)));
    assert.ok(Math.min(...sizes) >= 44, `a sample is ${Math.min(...sizes)} px`);
    const small = await page.$$eval("button", (all) => all
      .filter((button) => button.checkVisibility())
      .map((button) => [button.textContent.trim() || button.getAttribute("aria-label"), button.getBoundingClientRect()])
      .filter(([, { width, height }]) => Math.min(width, height) < 44)
      .map(([name]) => name));
    assert.deepEqual(small, [], "buttons under 44 px on a touch screen");

    for (const index of [4, 9]) { // the last column of each line of the first row
      const sample = samples.nth(index);
      await sample.tap();
      const [tip, left, right] = await sample.evaluate((button) => {
        const style = getComputedStyle(button, "::after");
        const x = button.getBoundingClientRect().left + button.clientLeft + parseFloat(style.left) +
          new DOMMatrix(style.transform).e;
        return [style.content, x, x + parseFloat(style.width)];
      });
      assert.match(tip, /digit 0 · component \d+ of \d+/);
      const width = await page.evaluate(() => window.innerWidth);
      assert.ok(left >= 0 && right <= width, `sample ${index}'s tip spans ${left}–${right} px of ${width}`);
      const tooWide = await overflow(page);
      assert.ok(tooWide <= 0, `with sample ${index}'s tip open the page is ${tooWide} px too wide`);
      await sample.tap(); // unselect
    }
    await screenshot(page, "phone-tip");

    await page.tap("nav button[data-section='explore']");
    const scatter = page.locator("#scatter");
    await scatter.evaluate((plane) => plane.scrollIntoView({ block: "end" }));
    const inView = () => page.$eval("#pca-figure", (figure) => {
      const { top, bottom } = figure.getBoundingClientRect();
      return top >= 0 && bottom <= window.innerHeight;
    });
    assert.equal(await inView(), false);
    const box = await scatter.boundingBox();
    await page.touchscreen.tap(box.x + box.width * 0.3, box.y + box.height * 0.4);
    assert.ok(await inView(), "the decoded digit is out of sight after a tap on the plane");
  }, { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
});

test("every control has a name a screen reader can announce", async () => {
  await onPage("seed=1", async (page) => {
    const unnamed = await page.$$eval("button, input, select, [tabindex]", (controls) => controls
      .filter((c) => !(c.getAttribute("aria-label") || c.labels?.length || c.textContent.trim()))
      .map((c) => c.outerHTML));
    assert.deepEqual(unnamed, []);
  });
});

test("a WebAssembly module that fails to load shows a clear message", async () => {
  const { context, page } = await open();
  try {
    await page.route("**/*.wasm", (route) => route.fulfill({ status: 404, body: "" }));
    await page.goto(`${origin()}/`);
    const alert = page.locator("#load-error");
    await alert.waitFor({ state: "visible" });
    assert.match(await alert.textContent(), /WebAssembly module could not be loaded/);
    assert.equal(await page.isVisible("#status"), false);
  } finally {
    await context.close();
  }
});
