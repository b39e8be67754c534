// The page for everyone, in headless Chromium: axe-core finds nothing serious in any section, with
// either data set, in forced colours or with less motion; classes differ by their marks, not only
// their colours; nothing moves by itself when the visitor asks for less motion; Draw reads a test
// image picked with the keyboard alone; every generated image says what it is and measures.
// node --test tests/browser/a11y.test.mjs
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import {
  afterRead, axeViolations, canvasPixels, canvasRgba, focusedId, galleryDrawn, pageTests, pngRgba, showSection,
} from "./checks.mjs";

const { onPage, open, origin } = pageTests();

const SECTIONS = ["generate", "morph", "explore", "draw", "write", "about"];
const DATASETS = { mnist: "digits", fashion: "clothes" };
// A style as the page says it, for a text alternative: every measure, in its unit.
const STYLE = /slant −?\d+°, thickness \d+(\.\d+)? px, width \d+(\.\d+)? px, height \d+(\.\d+)? px, ink \d+(\.\d+)? px²/;

/** Shows every section in turn (reading a test image in Draw, so that its outputs show) and
 *  returns what axe-core finds in each, prefixed by the section's name; `skip` as axeViolations'.
 *  @param {string[]} [skip] */
async function violationsInEverySection(page, skip) {
  const found = [];
  for (const section of SECTIONS) {
    await showSection(page, section);
    if (section === "draw") await afterRead(page, () => page.click("#test-images button >> nth=3"));
    found.push(...(await axeViolations(page, skip)).map((violation) => `${section}: ${violation}`));
  }
  return found;
}

for (const [dataset, name] of Object.entries(DATASETS)) {
  test(`axe-core finds no serious or critical violation in any section, with the ${name}`, async () => {
    await onPage(`dataset=${dataset}&seed=1`, async (page) => {
      assert.deepEqual(await violationsInEverySection(page), []);
    });
  });
}

test("in forced colours every section passes axe-core, and the section shown, pressed buttons, the focus and the canvases stay visible", async () => {
  await onPage("seed=1", async (page) => {
    assert.ok(await page.evaluate(() => matchMedia("(forced-colors: active)").matches));
    const text = () => page.$eval("h1", (h1) => [getComputedStyle(h1).color, getComputedStyle(h1).webkitTextFillColor]);
    const [painted, filled] = await text();
    assert.notEqual(painted, filled, "the text is not in the system's colours");
    // Not color-contrast: in forced colours the text is painted in the system's colours, but axe
    // reads -webkit-text-fill-color, which Chromium leaves at the page's own (light) colour, and
    // so finds every text too light on the system's background. The visible states are checked below.
    assert.deepEqual(await violationsInEverySection(page, ["color-contrast"]), []);

    await showSection(page, "generate");
    const style = (selector, properties) => page.$eval(selector, (element, names) => {
      const computed = getComputedStyle(element);
      return names.map((name) => computed.getPropertyValue(name));
    }, properties);
    const current = await style("nav button[aria-current='page']", ["border-bottom-color", "color"]);
    const other = await style("nav button[aria-current='false']", ["border-bottom-color", "color"]);
    assert.notDeepEqual(current, other, "the section shown looks like the others");

    await page.locator("#gallery button.sample").nth(3).click();
    const pressed = await style("#gallery button.sample[aria-pressed='true']", ["border-top-color", "outline-style"]);
    const unpressed = await style("#gallery button.sample[aria-pressed='false']", ["border-top-color", "outline-style"]);
    assert.notDeepEqual(pressed, unpressed, "a chosen sample looks like the others");

    await page.focus("#new-samples");
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Tab");
    const [outline, width] = await style("#new-samples", ["outline-style", "outline-width"]);
    assert.ok(outline !== "none" && parseFloat(width) >= 2, `the focus ring is ${outline} ${width}`);

    for (const canvas of ["#morph-canvas", "#scatter", "#pad", "#prepared"]) {
      const [border, adjust] = await style(canvas, ["border-top-style", "forced-color-adjust"]);
      assert.deepEqual([border, adjust], ["solid", "none"], `${canvas} has no frame or loses its pixels`);
    }
  }, { forcedColors: "active" });
});

test("with less motion asked for, a morph does not play by itself until Play is pressed; every section passes axe-core", async () => {
  await onPage("seed=7", async (page) => {
    const frame = async () => (await canvasPixels(page, "#morph-canvas"))[0];
    await page.locator("#gallery button.sample").nth(3).click();
    await page.locator("#gallery button.sample").nth(75).click();
    await page.waitForSelector("#morph-caption:not(:empty)");
    assert.equal(await page.textContent("#play"), "Play");
    const first = await frame();
    await page.waitForTimeout(400);
    assert.deepEqual(await frame(), first, "the morph played by itself");
    assert.equal(await page.inputValue("#scrubber"), "0");

    await page.click("#play");
    await page.waitForTimeout(300);
    assert.notDeepEqual(await frame(), first, "Play does not play");
    await page.click("#play");

    await showSection(page, "draw");
    await afterRead(page, () => page.click("#test-images button >> nth=1"));
    await page.click("#morph-from");
    await page.waitForSelector("#morph-caption:text-matches('^your digit')");
    assert.equal(await page.textContent("#play"), "Play", "Morph from it played by itself");

    assert.deepEqual(await violationsInEverySection(page), []);
  }, { reducedMotion: "reduce" });
});

/** Presses Tab until the focus is on an element matching `selector`; fails after `most` presses. */
async function tabTo(page, selector, most = 40) {
  for (let i = 0; i < most; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
  }
  assert.fail(`${most} presses of Tab never reached ${selector}`);
}
const focusedName = (page) => page.evaluate(() => document.activeElement.getAttribute("aria-label"));

for (const [dataset, pick, readAs] of [["mnist", 7, "7"], ["fashion", 1, "Trouser"]]) {
  test(`with the keyboard alone, Draw reads a test image picked from the ${DATASETS[dataset]}' test set, fetched only once Draw opens`, async () => {
    const { context, page, problems } = await open();
    try {
      const requests = [];
      page.on("request", (request) => requests.push(new URL(request.url()).pathname));
      await page.goto(`${origin()}/#dataset=${dataset}&seed=1`);
      await galleryDrawn(page);
      await page.waitForLoadState("networkidle");
      assert.deepEqual(requests.filter((path) => path.startsWith("/test-images/")), [], "test images fetched with the gallery");

      await tabTo(page, "nav button[data-section='draw']");
      await page.keyboard.press("Enter");
      await page.waitForSelector("#test-images button");
      await page.waitForSelector("#encoder-status", { state: "hidden" });
      await tabTo(page, "#test-images button");
      assert.equal(await focusedName(page), `test image: ${readAs === "7" ? 0 : "T-shirt"} (1 of 3)`);
      for (let i = 0; i < pick; i++) await page.keyboard.press("ArrowRight");
      assert.equal(await focusedName(page), `test image: ${readAs} (1 of 3)`);
      await afterRead(page, () => page.keyboard.press("Enter"));
      assert.match(await page.textContent("#verdict"), new RegExp(`^Most likely ${readAs} \\(\\d+%\\)$`));
      assert.match(await page.getAttribute("#prepared", "aria-label"), new RegExp(`read as ${readAs}: ${STYLE.source}$`));

      await page.keyboard.press("ArrowDown");
      assert.equal(await focusedName(page), `test image: ${readAs} (2 of 3)`);
      const before = await canvasPixels(page, "#prepared");
      await afterRead(page, () => page.keyboard.press("Space"));
      assert.notDeepEqual(await canvasPixels(page, "#prepared"), before, "the second image was not read");
      assert.match(await page.textContent("#verdict"), new RegExp(`^Most likely ${readAs} \\(\\d+%\\)$`));

      // One Tab leaves the group, and Shift+Tab comes back to the image last focused.
      await page.keyboard.press("Tab");
      assert.ok(await page.evaluate(() => !document.activeElement.closest("#test-images")), "Tab stayed in the test images");
      await page.keyboard.press("Shift+Tab");
      assert.equal(await focusedName(page), `test image: ${readAs} (2 of 3)`);
      assert.deepEqual(requests.filter((path) => path.startsWith("/test-images/")), [`/test-images/${dataset}.bin`]);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
}

test("switched to the other data set by keyboard, Draw offers that data set's test images", async () => {
  await onPage("section=draw&seed=1", async (page) => {
    await page.waitForSelector("#test-images button[aria-label='test image: 9 (3 of 3)']");
    await page.focus("#dataset input[value='mnist']");
    await page.keyboard.press("ArrowRight");
    await page.waitForSelector("#test-images button[aria-label='test image: Ankle boot (3 of 3)']");
    assert.equal(await page.locator("#test-images button").count(), 30);
    await page.focus("#test-images button >> nth=8");
    await afterRead(page, () => page.keyboard.press("Enter"));
    assert.match(await page.textContent("#verdict"), /^Most likely Bag \(\d+%\)$/);
  });
});

/** The mark most often seen alone in `pixels` (canvasRgba's or pngRgba's, only its first `rows`
 *  rows looked at), by each class its colour tells (`colours`: "#rrggbb" each), with how often, or
 *  null: [shape, count], the shape a string of its lit pixels ("#" lit, "." not, rows joined by
 *  "/"). A pixel is lit when it is brighter than about a sixth over black (transparent counts as
 *  black); a mark is alone when its lit pixels touch no others and fit in 14 × 14. */
function marksByClass({ data, width, height }, colours, rows = height) {
  const rgb = colours.map((hex) => [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16)));
  /** A colour scaled to a brightest channel of 255: a class's hue, however faint. */
  const hue = (colour) => colour.map((v) => (255 * v) / Math.max(...colour));
  const level = (i) => (Math.max(data[4 * i], data[4 * i + 1], data[4 * i + 2]) * data[4 * i + 3]) / 255;
  const lit = (i) => level(i) > 40;
  const seen = new Uint8Array(width * rows);
  const counts = colours.map(() => new Map());
  for (let start = 0; start < width * rows; start++) {
    if (seen[start] || !lit(start)) continue;
    const component = [start];
    seen[start] = 1;
    for (let k = 0; k < component.length; k++) {
      const [x, y] = [component[k] % width, Math.floor(component[k] / width)];
      for (const [nx, ny] of [[x - 1, y], [x + 1, y], [x, y - 1], [x, y + 1]]) {
        const n = ny * width + nx;
        if (nx >= 0 && nx < width && ny >= 0 && ny < rows && !seen[n] && lit(n)) {
          seen[n] = 1;
          component.push(n);
        }
      }
    }
    const xs = component.map((i) => i % width);
    const ys = component.map((i) => Math.floor(i / width));
    const [x0, y0] = [Math.min(...xs), Math.min(...ys)];
    const [w, h] = [Math.max(...xs) - x0 + 1, Math.max(...ys) - y0 + 1];
    if (w > 14 || h > 14) continue;
    const brightest = component.reduce((best, i) => (level(i) > level(best) ? i : best));
    const colour = hue([...data.subarray(4 * brightest, 4 * brightest + 3)]);
    const distance = (c) => hue(c).reduce((sum, v, channel) => sum + (v - colour[channel]) ** 2, 0);
    const c = rgb.reduce((best, candidate, k) => (distance(candidate) < distance(rgb[best]) ? k : best), 0);
    const set = new Set(component);
    const shape = Array.from({ length: h }, (_, y) => Array.from({ length: w },
      (_, x) => (set.has((y0 + y) * width + x0 + x) ? "#" : ".")).join("")).join("/");
    counts[c].set(shape, (counts[c].get(shape) ?? 0) + 1);
  }
  return counts.map((shapes) => [...shapes].sort((a, b) => b[1] - a[1])[0] ?? null);
}

/** An image's pixels (pngRgba's) in grey, each "#" when it differs from the top-left pixel's grey
 *  by more than a tenth, else ".". */
function silhouette({ data }) {
  const grey = (i) => 0.3 * data[4 * i] + 0.59 * data[4 * i + 1] + 0.11 * data[4 * i + 2];
  return Array.from({ length: data.length / 4 }, (_, i) => (Math.abs(grey(i) - grey(0)) > 24 ? "#" : ".")).join("");
}

test("classes differ by their marks, not only their colours: on the scatter, in its legend and in its PNG", async () => {
  await onPage("section=explore&seed=1", async (page) => {
    await showSection(page, "explore");
    const colours = await page.$$eval("#legend button", (buttons) => buttons.map((b) => b.style.getPropertyValue("--swatch")));
    const legend = page.locator("#legend button");

    // The legend's marks, in grey: ten different shapes.
    const icons = [];
    for (let c = 0; c < 10; c++) icons.push(silhouette(await pngRgba(page, await legend.nth(c).locator("svg.mark").screenshot())));
    assert.equal(new Set(icons).size, 10, "two classes' legend marks look alike in grey");

    // The scatter, one class at a time: each class's marks alone on the plane, ten different shapes.
    for (let c = 0; c < 10; c++) await legend.nth(c).click(); // every class hidden
    const shapes = [];
    for (let c = 0; c < 10; c++) {
      await legend.nth(c).click();
      const marks = marksByClass(await canvasRgba(page, "#scatter"), colours);
      assert.ok(marks[c]?.[1] >= 3, `no mark of class ${c} alone on the plane: ${JSON.stringify(marks)}`);
      assert.ok(marks.every((mark, k) => k === c || mark === null), `class ${c} alone shows others' marks`);
      shapes.push(marks[c][0]);
      await legend.nth(c).click();
    }
    assert.equal(new Set(shapes).size, 10, `two classes' marks look alike:\n${shapes.join("\n")}`);

    // The PNG of 4 and 9: the same marks as on the screen.
    await page.click("button[data-show='49']");
    const [file] = await Promise.all([page.waitForEvent("download"), page.click("#download-scatter")]);
    const png = await pngRgba(page, await readFile(await file.path()));
    const saved = marksByClass(png, colours, png.width).map((mark) => mark?.[0] ?? null);
    assert.deepEqual([saved[4], saved[9]], [shapes[4], shapes[9]], "the PNG's marks are not the screen's");
    assert.ok(saved.every((mark, k) => k === 4 || k === 9 || mark === null), "the PNG shows classes not chosen");
  });
});

/** The text alternatives of the canvases and sample buttons of the section shown, by selector. */
const altTexts = (page) => page.$$eval("main > section:not([hidden]) :is(canvas[role='img'], button.sample)",
  (elements) => Object.fromEntries(elements.filter((element) => element.checkVisibility())
    .map((element, i) => [element.id || `${element.className} ${i}`, element.getAttribute("aria-label")])));

test("every generated image says its class and measured style, and says it anew when it changes", async () => {
  await onPage("seed=1", async (page) => {
    const samples = await altTexts(page);
    assert.equal(Object.keys(samples).length, 100);
    Object.values(samples).forEach((text, i) => assert.match(text,
      new RegExp(`^digit ${Math.floor(i / 10)} · component \\d+ of \\d+: ${STYLE.source}$`)));
    await page.click("#new-samples");
    await page.waitForFunction(() => document.getElementById("seed").value !== "1");
    const resampled = await altTexts(page);
    assert.equal(Object.values(resampled).filter((text, i) => text === Object.values(samples)[i]).length, 0);

    await showSection(page, "morph");
    const morph = await altTexts(page);
    assert.match(morph["morph-canvas"], new RegExp(`^frame 1 of 601 \\(0 → 1: 0%\\): ${STYLE.source}$`));
    assert.match(morph.strip, new RegExp(`^11 frames along the path; click or tap one to jump there\\. frame 1 of 601 \\(0 → 1: 0%\\): ${STYLE.source}; frame 61 of 601 \\(1 → 2: 0%\\): `));
    await page.focus("#scrubber");
    await page.keyboard.press("End");
    assert.match(await page.getAttribute("#morph-canvas", "aria-label"), new RegExp(`^frame 601 of 601 \\(9 → 0: 100%\\): ${STYLE.source}$`));

    await showSection(page, "explore");
    const explore = await altTexts(page);
    assert.match(explore["pca-decoded"], new RegExp(`^The most likely code at PC1 0\\.00, PC2 0\\.00, decoded: ${STYLE.source}$`));
    assert.equal(explore.basis.split("; ").length, 32);
    assert.match(explore.basis, new RegExp(`^Decoded basis vectors, one per latent axis, at scale 10\\. axis 1: ${STYLE.source}; axis 2: `));
    assert.match(explore.sparse, new RegExp(`^Sparse class means, 8 non-zero entries each\\. 0: ${STYLE.source}; 1: `));
    await page.focus("#scatter");
    await page.keyboard.press("ArrowRight");
    assert.match(await page.getAttribute("#pca-decoded", "aria-label"), /^The most likely code at PC1 0\.\d\d, PC2 0\.00, decoded: /);
    await page.fill("#nonzeros", "2");
    assert.match(await page.getAttribute("#sparse", "aria-label"), /^Sparse class means, 2 non-zero entries each\. /);
    await page.selectOption("#plot-x", "slant");
    assert.match(await page.getAttribute("#pca-decoded", "aria-label"), new RegExp(`^Generated digit \\d: ${STYLE.source}$`));

    await showSection(page, "draw");
    assert.equal(await page.getAttribute("#prepared", "aria-label"), "Nothing drawn yet");
    await afterRead(page, () => page.click("#test-images button >> nth=3"));
    const draw = await altTexts(page);
    assert.match(draw.prepared, new RegExp(`^Your digit as the model sees it, 28 × 28 pixels, read as 3: ${STYLE.source}$`));
    assert.match(draw.reconstruction, new RegExp(`^Your digit's code, decoded, read as 3: ${STYLE.source}$`));
    assert.match(draw.styled, new RegExp(`^Your digit's code decoded: ${STYLE.source}$`));
    if (draw.restyled) assert.match(draw.restyled, new RegExp(`^Your digit's style carried to every digit\\. 0: ${STYLE.source}; 1: `));
    await page.fill("#draw-style input[name='slant']", "10");
    assert.match(await page.getAttribute("#styled", "aria-label"), new RegExp(`^Your digit's code moved by the style sliders: ${STYLE.source}$`));

    await showSection(page, "write");
    const written = await page.getAttribute("#written", "aria-label");
    assert.match(written, new RegExp(`^“0123456789” handwritten\\. 0: ${STYLE.source}; 1: `));
    await page.fill("#write-text", "42");
    assert.match(await page.getAttribute("#written", "aria-label"), new RegExp(`^“42” handwritten\\. 4: ${STYLE.source}; 2: ${STYLE.source}\\.$`));
    assert.equal(await focusedId(page), "write-text");
  });
});
