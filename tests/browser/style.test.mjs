// Measured style as a visitor uses it, in headless Chromium: Generate's sliders move the whole
// gallery by the amounts they say, Draw prints the drawn digit's style and moves it, Explore plots
// any two measures. node --test tests/browser/style.test.mjs
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  afterRead, assertDigitLike, canvasPixels, drawWithMouse, galleryDrawn, hashParam, pageTests,
} from "./checks.mjs";

const { onPage } = pageTests();

const SEVEN = [[[0.25, 0.2], [0.75, 0.2], [0.42, 0.85]]];
const ONE = [[[0.52, 0.15], [0.48, 0.85]]];

/** The digits model's style axes (Generator.styleAxes), from the page's module. */
const styleAxes = (page) => page.evaluate(async () => new (await import("./pkg/latent_digits.js")).Generator().styleAxes());

/** Each style measure's mean over images given as grey levels 0–255 (canvasPixels), measured by
 *  the page's module (Generator.measure of the digits model), in styleAxes' order. */
const meanMeasures = (page, images) => page.evaluate(async (images) => {
  const gen = new (await import("./pkg/latent_digits.js")).Generator();
  const axes = gen.styleAxes().length;
  const measures = gen.measure(Float32Array.from(images.flat(), (v) => v / 255));
  return Array.from({ length: axes }, (_, a) => measures.filter((_, i) => i % axes === a)
    .reduce((sum, v) => sum + v, 0) / images.length);
}, images);

/** Moves the slider of `name` in `container` to the step nearest `value`; returns the value set. */
async function setSlider(page, container, name, value) {
  const slider = page.locator(`${container} input[name='${name}']`);
  const step = Number(await slider.getAttribute("step"));
  const set = Number((Math.round(value / step) * step).toFixed(6));
  await slider.fill(String(set));
  return set;
}

test("each Generate slider moves the whole gallery's measure by about what it says, and the link keeps it", async () => {
  await onPage("seed=21", async (page) => {
    const axes = await styleAxes(page);
    const steerable = axes.filter((axis) => axis.steerable);
    assert.deepEqual(steerable.map((axis) => axis.name), ["slant", "thickness", "width", "height"]);
    assert.deepEqual(await page.$$eval("#gallery-style input[type='range']", (all) => all.map((s) => s.name)),
      steerable.map((axis) => axis.name));
    const original = await canvasPixels(page, "#gallery canvas");
    const before = await meanMeasures(page, original);
    assert.ok(await page.isDisabled("#gallery-style button"), "Reset is enabled with every slider at zero");

    for (const axis of steerable) {
      const a = axes.indexOf(axis);
      const moved = await setSlider(page, "#gallery-style", axis.name, axis.sd);
      const output = await page.textContent(`#gallery-style label:has(input[name='${axis.name}']) output`);
      assert.match(output, /^\+\d+(\.\d+)?(°| px)$/, `${axis.name}'s slider says ${output}`);
      assert.equal(hashParam(page, "moves"), `${axis.name}:${moved}`);
      const images = await canvasPixels(page, "#gallery canvas");
      images.forEach((pixels, i) => assertDigitLike(pixels, `sample ${i} with ${axis.name} ${output}`));
      const change = (await meanMeasures(page, images))[a] - before[a];
      assert.ok(change > 0.5 * moved && change < 1.5 * moved,
        `${axis.name} moved by ${moved} ${axis.unit} changed the gallery's mean ${axis.name} by ${change.toFixed(2)}`);
      assert.match(await page.textContent("#gallery-measured"), new RegExp(`${axis.name} [^·]*\\(\\+`));
      await page.click("#gallery-style button:text-is('Reset')");
      assert.deepEqual(await canvasPixels(page, "#gallery canvas"), original, `Reset did not bring back the gallery after ${axis.name}`);
      assert.equal(hashParam(page, "moves"), null);
    }

    const thicker = await setSlider(page, "#gallery-style", "thickness", 2 * steerable[1].sd);
    const slanted = await setSlider(page, "#gallery-style", "slant", -steerable[0].sd);
    assert.equal(hashParam(page, "moves"), `slant:${slanted},thickness:${thicker}`);
    const both = await canvasPixels(page, "#gallery canvas");
    await page.reload();
    await galleryDrawn(page);
    assert.deepEqual(await canvasPixels(page, "#gallery canvas"), both, "the link does not show the moved gallery");
    assert.equal(await page.inputValue("#gallery-style input[name='thickness']"), String(thicker));
  });
});

test("a link's style move beyond its slider is clamped, one that is no move dropped, each with a note", async () => {
  await onPage("seed=3&moves=thickness:99", async (page) => {
    assert.match(await page.textContent("#generate-message"), /style moves of thickness are beyond their sliders' ends, so they were clamped/);
    const max = await page.getAttribute("#gallery-style input[name='thickness']", "max");
    assert.equal(hashParam(page, "moves"), `thickness:${max}`);
    assert.equal(await page.inputValue("#gallery-style input[name='thickness']"), max);
  });
  await onPage("seed=3&moves=thicker", async (page) => {
    assert.match(await page.textContent("#generate-message"), /moves “thicker” is not style moves such as “slant:8,thickness:0\.5”/);
    assert.equal(hashParam(page, "moves"), null);
  });
});

test("a sample pair clicked in a moved gallery morphs between the samples as shown", async () => {
  await onPage("seed=7&moves=thickness:1", async (page) => {
    const samples = await canvasPixels(page, "#gallery canvas");
    await page.locator("#gallery button.sample").nth(3).click();
    await page.locator("#gallery button.sample").nth(75).click();
    await page.click("#play");
    await page.focus("#scrubber");
    await page.keyboard.press("Home");
    const [first] = await canvasPixels(page, "#morph-canvas");
    assert.ok(first.every((p, i) => Math.abs(p - samples[3][i]) <= 2), "the morph does not start at the moved sample");
  });
});

test("the clothes have width, height and ink sliders; more ink asked inks the whole gallery more; a digit's move in their link is dropped", async () => {
  await onPage("dataset=fashion&seed=5&moves=slant:5", async (page) => {
    assert.match(await page.textContent("#generate-message"), /style moves of slant are not offered for the clothes/);
    assert.equal(hashParam(page, "moves"), null);
    assert.deepEqual(await page.$$eval("#gallery-style input[type='range']", (all) => all.map((s) => s.name)),
      ["width", "height", "ink"]);
    /** Mean ink (sum of pixel values) of the gallery's images. */
    const ink = async () => {
      const images = await canvasPixels(page, "#gallery canvas");
      return images.reduce((sum, pixels) => sum + pixels.reduce((a, p) => a + p / 255, 0), 0) / images.length;
    };
    // The clothes' directions reach about a third to a half of the move asked (the digits' about
    // all of it): here only that more ink asked gives more ink.
    const inks = [await ink()];
    const max = Number(await page.getAttribute("#gallery-style input[name='ink']", "max"));
    for (const share of [0.5, 1]) {
      await setSlider(page, "#gallery-style", "ink", share * max);
      inks.push(await ink());
    }
    assert.ok(inks[0] < inks[1] && inks[1] < inks[2], `the mean ink at ink +0, +1 and +2 sd: ${inks.map((v) => v.toFixed(1))}`);
    assert.match(await page.textContent("#gallery-measured"), /ink \d+ px² \(\+\d+ px²\)/);
  });
});

test("Draw prints the drawn digit's measured style, and its sliders move the digit shown beside them", async () => {
  await onPage("section=draw", async (page) => {
    await page.waitForSelector("#encoder-status", { state: "hidden" });
    assert.equal(await page.textContent("#drawn-style"), "");
    assert.ok(await page.isDisabled("#draw-style input[name='slant']"), "a slider is enabled on a blank pad");
    await drawWithMouse(page, SEVEN);
    const style = await page.textContent("#drawn-style");
    assert.match(style, /^Your digit measures slant −?\d+(\.\d+)?° · thickness \d+(\.\d+)? px · width \d+(\.\d+)? px · height \d+(\.\d+)? px/);
    const [reconstruction, unmoved] = await canvasPixels(page, "#reconstruction, #styled");
    assert.deepEqual(unmoved, reconstruction, "with every slider at zero the moved digit is not the reconstruction");

    /** The slant in a line of measures. */
    const slant = (text) => Number(text.match(/slant (−?[\d.]+)°/)[1].replace("−", "-"));
    const decoded = slant(await page.textContent("#styled-style"));
    const [axis] = await styleAxes(page);
    const moved = await setSlider(page, "#draw-style", "slant", 1.5 * axis.sd);
    const [styled] = await canvasPixels(page, "#styled");
    assert.notDeepEqual(styled, reconstruction, "the slant slider did not change the digit shown");
    assertDigitLike(styled, "the slanted 7");
    const after = slant(await page.textContent("#styled-style"));
    assert.ok(after - decoded > 0.5 * moved, `slant +${moved}° took the digit from ${decoded}° to ${after}°`);
    assert.equal(await page.textContent("#drawn-style"), style, "the drawing's own style changed");

    await page.click("#draw-style button:text-is('Reset')");
    assert.deepEqual((await canvasPixels(page, "#styled"))[0], reconstruction);
    assert.equal(await page.inputValue("#draw-style input[name='slant']"), "0");
    await afterRead(page, () => page.click("#pad-clear"));
    assert.equal(await page.textContent("#drawn-style"), "");
    assert.ok(await page.isDisabled("#draw-style input[name='slant']"));
  });
});

test("Explore plots two measures of generated digits with named axes, shows the one pointed at, and marks the drawing", async () => {
  await onPage("section=explore", async (page) => {
    const plane = await canvasPixels(page, "#scatter");
    /** The name in the middle of an axis's label, between its ends. */
    const axisName = async (id) => (await page.locator(`#${id} span`).allTextContents())[1];
    assert.equal(await axisName("axis-x"), "PC 1");
    assert.equal(await axisName("axis-y"), "PC 2");
    const options = await page.$$eval("#plot-x option", (all) => all.map((o) => o.textContent));
    assert.deepEqual(options, ["PC 1", "PC 2", "slant (°)", "thickness (px)", "width (px)", "height (px)", "ink (px²)"]);

    await page.selectOption("#plot-x", "slant");
    await page.selectOption("#plot-y", "thickness");
    assert.notDeepEqual(await canvasPixels(page, "#scatter"), plane, "the scatter was not redrawn");
    const [low, title, high] = await page.locator("#axis-x span").allTextContents();
    assert.equal(title, "slant (°)");
    assert.match(low, /^−?\d+(\.\d+)?°$/);
    assert.ok(Number(low.replace("°", "").replace("−", "-")) < Number(high.replace("°", "").replace("−", "-")));
    assert.equal(await axisName("axis-y"), "thickness (px)");
    assert.match(await page.getAttribute("#scatter", "aria-label"), /by slant \(°\) and thickness \(px\)/);

    const box = await page.locator("#scatter").boundingBox();
    await page.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.5);
    const caption = await page.textContent("#pca-point");
    assert.match(caption, /^Generated digit \d: slant −?[\d.]+°, thickness [\d.]+ px$/);
    const [sample] = await canvasPixels(page, "#pca-decoded");
    assertDigitLike(sample, caption);
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.8);
    assert.notEqual(await page.textContent("#pca-point"), caption, "hovering another point did not show its sample");

    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-scatter")]);
    assert.equal(download.suggestedFilename(), "scatter-slant-thickness.png");

    await page.click("nav button[data-section='draw']");
    await page.waitForSelector("#encoder-status", { state: "hidden" });
    await drawWithMouse(page, ONE);
    const drawnSlant = (await page.textContent("#drawn-style")).match(/slant (\S+°)/)[1];
    await page.click("nav button[data-section='explore']");
    assert.match(await page.textContent("#drawing-point"), new RegExp(`^◆ Your digit, read as 1: slant ${drawnSlant}, thickness `));

    await page.click("nav button[data-section='draw']");
    await afterRead(page, () => page.click("#pad-clear"));
    await page.click("nav button[data-section='explore']");
    await page.selectOption("#plot-x", "pc1");
    await page.selectOption("#plot-y", "pc2");
    assert.deepEqual(await canvasPixels(page, "#scatter"), plane, "the plane did not come back as it was");
    assert.match(await page.textContent("#pca-point"), /^Most likely code at PC1/);
  });
});
