// The decoding pool (www/pool.js) in headless Chromium: a large batch shared with its workers gives
// the pixels of one gen.decode call, an invalid one is refused with the module's message, a worker
// that cannot start leaves the page's thread to decode alone, and the morph's frames come out the
// same through it. node --test tests/browser/
import assert from "node:assert/strict";
import { test } from "node:test";
import { canvasPixels, galleryDrawn, pageTests } from "./checks.mjs";

const { open, origin } = pageTests();

const ROWS = 3000; // above POOL_ROWS: shared with the workers once they are ready

/** Has the page count, in `window.answers`, its workers' answers: a Generator built (an answer
 *  with nothing), pixels decoded, an error. The GIF worker's GIFs are not counted. */
const countAnswers = (page) => page.addInitScript(() => {
  window.answers = { built: 0, decoded: 0, refused: 0 };
  window.Worker = class extends Worker {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", ({ data }) => {
        const kind = data.pixels ? "decoded" : data.error !== undefined ? "refused" : data.gif ? null : "built";
        if (kind) window.answers[kind]++;
      });
    }
  };
});
const answers = (page) => page.evaluate(() => window.answers);

/** Opens the page (its gallery drawn, its workers' answers counted), then sets up `window.pool` in
 *  it: a pool of two workers for its own compiled module and the digits' model, and
 *  `window.same(a, b)`, whether two arrays of pixels are equal bit for bit. `before(page)` runs
 *  before the page is opened. */
async function openPool(before = async () => {}) {
  const opened = await open();
  await countAnswers(opened.page);
  await before(opened.page);
  await opened.page.goto(`${origin()}/#seed=1`);
  await galleryDrawn(opened.page);
  await opened.page.evaluate(async () => {
    const { loadGenerator } = await import("/load.js");
    const { POOL_ROWS, decoderPool } = await import("/pool.js");
    const { gen, module } = await loadGenerator(() => {});
    window.pool = {
      POOL_ROWS,
      pool: decoderPool(module, { workers: 2 }),
      digits: { dataset: "mnist", gen, info: gen.info(), bytes: null },
    };
    window.same = (a, b) => a.length === b.length && a.every((value, i) => Object.is(value, b[i]));
  });
  return opened;
}

/** In the page: the pool's pixels for `rows` codes of `which` model equal gen.decode's. */
const decodesAlike = (page, which, rows) => page.evaluate(async ([name, n]) => {
  const { pool, [name]: model } = window.pool;
  const codes = model.gen.sampleLatents(7, n, { seed: 3 }).latents;
  return window.same(await pool.decodeRows(model, codes), model.gen.decode(codes));
}, [which, rows]);

test("a large batch shared with the workers decodes as one gen.decode call, for either model", async () => {
  const { context, page, problems } = await openPool();
  try {
    assert.ok(ROWS >= await page.evaluate(() => window.pool.POOL_ROWS));
    assert.ok(await decodesAlike(page, "digits", ROWS), "the first batch, on the page's thread");
    assert.equal(await page.evaluate(() => window.pool.pool.ready(window.pool.digits)), 2);
    for (const rows of [ROWS, ROWS + 1, ROWS + 2, 10_000]) {
      assert.ok(await decodesAlike(page, "digits", rows), `${rows} rows`);
    }
    assert.deepEqual(await answers(page), { built: 2, decoded: 8, refused: 0 });
    await page.evaluate(async () => {
      const { loadModel } = await import("/load.js");
      const { DATASETS } = await import("/models.js");
      const { gen, bytes } = await loadModel(DATASETS.fashion.files.model, () => {});
      window.pool.clothes = { dataset: "fashion", gen, info: gen.info(), bytes };
    });
    assert.equal(await page.evaluate(() => window.pool.pool.ready(window.pool.clothes)), 2);
    assert.ok(await decodesAlike(page, "clothes", ROWS), "the clothes, whose bytes the workers build theirs from");
    assert.deepEqual(await answers(page), { built: 4, decoded: 10, refused: 0 });
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("an invalid batch is refused with the module's message for the whole batch, and the pool works on", async () => {
  const { context, page, problems } = await openPool();
  try {
    await page.evaluate(() => window.pool.pool.ready(window.pool.digits));
    // A NaN in the page thread's chunk, in a worker's, and too many rows for one call.
    for (const [rows, at] of [[ROWS, 5], [ROWS, ROWS * 32 - 1], [10_001, 0]]) {
      const [refused, expected] = await page.evaluate(async ([n, i]) => {
        const { pool, digits } = window.pool;
        const codes = new Float32Array(n * 32);
        codes[i] = NaN;
        const message = (call) => {
          try {
            call();
            return null;
          } catch (error) {
            return error.message;
          }
        };
        return [await pool.decodeRows(digits, codes).then(() => null, (error) => error.message), message(() => digits.gen.decode(codes))];
      }, [rows, at]);
      assert.ok(expected, `gen.decode took ${rows} rows with a NaN at ${at}`);
      assert.equal(refused, expected);
    }
    assert.ok(await decodesAlike(page, "digits", ROWS), "after the errors");
    // Each worker decoded its chunk of the two batches split, but the second worker refused the NaN.
    assert.deepEqual(await answers(page), { built: 2, decoded: 5, refused: 1 });
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("when its workers cannot start, the page's thread decodes alone", async () => {
  const { context, page, problems } = await openPool((page) =>
    page.route("**/pool-worker.js", (route) => route.fulfill({ status: 404, body: "" })));
  try {
    assert.equal(await page.evaluate(() => window.pool.pool.ready(window.pool.digits)), 0);
    assert.ok(await decodesAlike(page, "digits", ROWS));
    assert.deepEqual(await answers(page), { built: 0, decoded: 0, refused: 0 });
    assert.ok(problems.length && problems.every((problem) => /pool-worker\.js|status of 404/.test(problem)), problems.join("\n"));
  } finally {
    await context.close();
  }
});

test("the morph's path codes decode, through the pool, to Generator.path's and pathFrom's frames", async () => {
  const { context, page, problems } = await openPool();
  try {
    const alike = await page.evaluate(async () => {
      const { pathCodes } = await import("/morph.js");
      const { pool, digits: { gen }, digits } = window.pool;
      await pool.ready(digits);
      const stops = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 5, 3, 8, 1, 7, 2, 9];
      const from = gen.sampleLatents(4, 1, { seed: 2 }).latents;
      return [
        window.same(await pool.decodeRows(digits, pathCodes(stops.map((d) => gen.classMean(d)), 60)), gen.path(stops, 60)),
        window.same(await pool.decodeRows(digits, pathCodes([from, ...stops.map((d) => gen.classMean(d))], 60)),
          gen.pathFrom(from, stops, 60)),
        window.same(pathCodes([from], 60), from),
      ];
    });
    assert.deepEqual(alike, [true, true, true]);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("a long morph decoded again once the pool's workers have built their Generators shows the same frames", async () => {
  const { context, page, problems } = await open();
  const long = Array.from({ length: 40 }, (_, i) => (i * 3) % 10).join("-"); // 2,341 frames
  /** The strip and the last frame, once the morph of `path` is shown. */
  const frames = async (path) => {
    await page.evaluate((hash) => { location.hash = hash; }, `section=morph&seed=1&path=${path}`);
    await page.waitForFunction((last) => document.getElementById("scrubber").max === String(last), (path.split("-").length - 1) * 60);
    await page.focus("#scrubber");
    await page.keyboard.press("End");
    return canvasPixels(page, "#strip, #morph-canvas");
  };
  try {
    await countAnswers(page);
    await page.goto(`${origin()}/#seed=1`);
    await galleryDrawn(page);
    const first = await frames(long); // on the page's thread, which starts the workers
    await page.waitForFunction(() => window.answers.built > 0);
    await frames("3-8");
    assert.deepEqual(await frames(long), first);
    assert.ok((await answers(page)).decoded > 0, "no worker decoded any of it");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
