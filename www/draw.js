// Draw: a digit (or piece of clothing) the visitor draws, brings as an image or picks from a few
// test images (with the keyboard too), read by the encoder: what the model sees, which class it is,
// where it lies on the Explore plane, its measured style, which sliders change, and its style on
// every class.
import { PIXELS, SIDE, drawDigit, drawSheet } from "./canvas.js";
import { loadEncoder, loadFile } from "./load.js";
import { createPad } from "./pad.js";
import { createStyleSliders, describeStyle, imageTexts, sheetText, styleAxes } from "./style-sliders.js";
import { $, arrowKeys, attempt, capitalised, say, setDisabled, showNames, showProgress } from "./ui.js";
/** @import { Model, Words } from "./models.js" */
/** @import { ReadingScores, StyleAxis } from "./pkg/latent_digits.js" */
/** @import { State, Update } from "./state.js" */

/** The drawn image as read: its code, the probability of each class, the likeliest class, its
 *  point on the Explore plane, its reconstruction, its style measures (one per style axis) and,
 *  when restyling works for the model, its style on every class.
 *  @typedef {object} Reading
 *  @property {Float32Array} latent
 *  @property {Float32Array} probabilities
 *  @property {number} digit
 *  @property {Float32Array} point
 *  @property {Float32Array} image
 *  @property {Float32Array} measured
 *  @property {Float32Array | null} restyled */
/** The section as the others see it (createDraw).
 *  @typedef {ReturnType<typeof createDraw>} Drawing */
/** A few images of a data set's test set (test-images/README.md): their classes, and their grey
 *  levels as bytes (0–255) and as images (0–1), 28 × 28 each, one after another.
 *  @typedef {{ labels: Uint8Array, levels: Uint8Array, images: Float32Array }} TestImages */

// The row of restyled images is shown when restyling works for most classes: at least
// RESTYLE_DIGITS classes whose restyled test images are read back as them RESTYLE_SHARE of the time.
const RESTYLE_SHARE = 0.5;
const RESTYLE_DIGITS = 6;
const BLANK = new Float32Array(PIXELS);

/** @param {number} share */
const percent = (share, decimals = 0) => `${(100 * share).toFixed(decimals)}%`;

/** The test images in a file laid out as tests/fixtures' (test-images/README.md): a byte per
 *  image, its class, then the images, a byte per pixel.
 *  @param {Uint8Array} bytes
 *  @returns {TestImages} */
function testImagesOf(bytes) {
  const count = bytes.length / (PIXELS + 1);
  const levels = bytes.subarray(count);
  return { labels: bytes.subarray(0, count), levels, images: Float32Array.from(levels, (v) => v / 255) };
}

/** Whether the row of restyled images is worth showing, and a caption that says how well it works;
 *  `reading` is info().metrics.reading, which older models lack; `words` the model's (models.js).
 *  @param {ReadingScores | undefined} reading
 *  @param {Words} words
 *  @returns {{ works: boolean, caption: string }} */
function restyleVerdict(reading, { items, class: one, classes }) {
  if (!reading) return { works: false, caption: "How well this works was not measured for this model, so it is not shown." };
  const { restyle } = reading;
  const working = restyle.filter((share) => share >= RESTYLE_SHARE).length;
  const mean = restyle.reduce((sum, share) => sum + share, 0) / restyle.length;
  const measured = `Restyled test ${items} are read back as the intended ${one} ${percent(mean)} of the time on ` +
    `average, and at least half the time for ${working} of the ${restyle.length} ${classes}`;
  return working >= RESTYLE_DIGITS
    ? { works: true, caption: `${measured}.` }
    : { works: false, caption: `${measured}: that does not work well enough for this model, so it is not shown.` };
}

/** The section, showing `model` (models.js) until setModel(model) gives it another, which then
 *  reads the pad, once its own encoder has loaded.
 *  @param {Model} model
 *  @param {Update} update */
export function createDraw(model, update) {
  const message = $("draw-message");
  /** @type {HTMLCanvasElement} */
  const padCanvas = $("pad");
  /** @type {HTMLButtonElement} */
  const undo = $("pad-undo");
  /** @type {HTMLButtonElement} */
  const clear = $("pad-clear");
  /** @type {HTMLButtonElement} */
  const choose = $("choose-image");
  /** @type {HTMLInputElement} */
  const fileInput = $("image-file");
  /** @type {HTMLButtonElement} */
  const morphFrom = $("morph-from");
  /** @type {HTMLButtonElement} */
  const showOnMap = $("show-on-map");
  const picker = $("test-images");
  /** @type {ReturnType<typeof restyleVerdict>} */
  let restyle; // restyleVerdict of the model, from setModel on
  /** @type {StyleAxis[]} */
  let axes = []; // the model's style measures, from setModel on
  /** @type {HTMLDivElement[]} */
  let bars = []; // a probability bar per class
  /** @type {Reading | null} */
  let reading = null; // the drawn digit as read: { latent, probabilities, digit, point, image, restyled }
  // Each model's encoder, once its loading started: { done, error }, error an Error if it failed.
  /** @type {Map<Model, { done: boolean, error: Error | null }>} */
  const encoders = new Map();
  // Each model's test images, once Draw first showed it.
  /** @type {Map<Model, Promise<TestImages>>} */
  const testImages = new Map();
  /** @type {Model | null} */
  let picking = null; // the model whose test images the picker shows

  const pad = createPad(padCanvas, read);
  const sliders = createStyleSliders($("draw-style"), (moves) => {
    sliders.show(moves);
    showStyled();
  });
  undo.addEventListener("click", () => pad.undo());
  clear.addEventListener("click", () => pad.clear());
  choose.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => {
    const [file] = /** @type {FileList} */ (fileInput.files);
    fileInput.value = ""; // choosing the same file again is a change too
    if (file) openImage(file);
  });
  padCanvas.addEventListener("dragover", (event) => {
    event.preventDefault(); // accept the drop
    padCanvas.classList.add("dropping");
  });
  padCanvas.addEventListener("dragleave", () => padCanvas.classList.remove("dropping"));
  padCanvas.addEventListener("drop", (event) => {
    event.preventDefault();
    padCanvas.classList.remove("dropping");
    const [file] = /** @type {DataTransfer} */ (event.dataTransfer).files;
    if (file) openImage(file);
  });
  showOnMap.addEventListener("click", () => update({ section: "explore" }));
  morphFrom.addEventListener("click", () => {
    update({ section: "morph", path: [/** @type {Reading} */ (reading).digit], pair: null, fromDrawing: true });
  });

  /** Offers the model's test images to read, fetching them the first time Draw shows the model. */
  async function showTestImages() {
    const shown = model;
    if (picking === shown) return;
    if (!testImages.has(shown)) testImages.set(shown, loadFile(shown.files.testImages).then(testImagesOf));
    /** @type {TestImages} */
    let set;
    try {
      set = await /** @type {Promise<TestImages>} */ (testImages.get(shown));
    } catch (error) {
      testImages.delete(shown); // tried again the next time Draw is shown
      say(message, `The test images could not be loaded (${/** @type {Error} */ (error).message}).`);
      return;
    }
    if (shown !== model || picking === shown) return; // another model meanwhile, or shown already
    picking = shown;
    const names = shown.info.classNames;
    const buttons = Array.from(set.labels, (label, i) => {
      const of = set.labels.filter((other) => other === label).length;
      const nth = set.labels.subarray(0, i + 1).filter((other) => other === label).length;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "test-image";
      button.setAttribute("aria-label", `test image: ${names[label]} (${nth} of ${of})`);
      const canvas = document.createElement("canvas");
      canvas.className = "digit";
      drawDigit(canvas, set.images, i);
      button.append(canvas);
      button.addEventListener("click", () => readTestImage(set.levels.subarray(i * PIXELS, (i + 1) * PIXELS)));
      return button;
    });
    picker.replaceChildren(...buttons);
    arrowKeys(buttons, () => getComputedStyle(picker).gridTemplateColumns.split(" ").length);
  }

  /** Puts a test image (its grey levels) on the pad, which reads it as it reads a drawing.
   *  @param {Uint8Array} levels */
  async function readTestImage(levels) {
    const pixels = new ImageData(SIDE, SIDE);
    levels.forEach((level, i) => pixels.data.set([level, level, level, 255], 4 * i));
    pad.showImage(await createImageBitmap(pixels));
  }

  /** @param {File} file */
  async function openImage(file) {
    try {
      pad.showImage(await createImageBitmap(file));
    } catch (error) {
      say(message, `“${file.name}” could not be opened as an image (${/** @type {Error} */ (error).message}).`);
    }
  }

  /** Everything the section shows of a prepared digit with ink.
   *  @param {Float32Array} prepared
   *  @returns {Reading} */
  function readDigit(prepared) {
    const { gen } = model;
    const latent = gen.encode(prepared);
    const probabilities = gen.classify(latent);
    const digit = probabilities.indexOf(Math.max(...probabilities));
    return {
      latent,
      probabilities,
      digit,
      point: gen.project(latent),
      image: gen.decode(latent),
      measured: gen.measure(prepared),
      restyled: restyle.works ? gen.restyle(prepared, digit) : null,
    };
  }

  /** What the verdict line says when there is no reading.
   *  @param {boolean} ink */
  function noReading(ink) {
    const drawn = capitalised(model.words.drawn);
    if (!ink) return model.words.prompt;
    if (encoders.get(model)?.error) return `${drawn} cannot be read: the encoder did not load.`;
    return model.gen.hasEncoder ? `${drawn} could not be read.` : `${drawn} will be read once the encoder has loaded…`;
  }

  /** Prepares the pad's pixels as the model's training images were and, once there is ink and the
   *  encoder, reads them. */
  function read() {
    const started = performance.now();
    const drawn = capitalised(model.words.drawn);
    say(message, "");
    const { data, width, height } = pad.pixels();
    const prepared = attempt(message, `${drawn} could not be prepared`, () => model.gen.prepare(data, width, height)) ?? BLANK;
    const ink = prepared.some((v) => v > 0); // prepare gives zeros for an image without ink
    reading = null;
    if (ink && model.gen.hasEncoder) reading = attempt(message, `${drawn} could not be read`, () => readDigit(prepared)) ?? null;
    show(prepared, ink);
    // One reading, drawing included: the tests wait for it, the benchmark times it.
    performance.clearMeasures("drawing-read");
    performance.measure("drawing-read", { start: started });
  }

  /** @param {Float32Array} prepared
   *  @param {boolean} ink */
  function show(prepared, ink) {
    drawDigit($("prepared"), prepared);
    drawDigit($("reconstruction"), reading?.image ?? BLANK);
    describeImages(prepared, ink);
    const names = model.info.classNames;
    const shares = bars.map((bar, digit) => {
      const share = reading?.probabilities[digit] ?? 0;
      bar.style.setProperty("--share", String(share));
      bar.classList.toggle("winner", digit === reading?.digit);
      return `${names[digit]}: ${percent(share)}`;
    });
    $("probabilities").setAttribute("aria-label", `Probability of each ${model.words.class}: ${shares.join(", ")}`);
    $("verdict").textContent = reading
      ? `Most likely ${names[reading.digit]} (${percent(reading.probabilities[reading.digit])})`
      : noReading(ink);
    const [x, y] = reading?.point ?? [];
    $("drawing-where").textContent = reading ? `At PC1 ${x.toFixed(2)}, PC2 ${y.toFixed(2)} of the Explore plane.` : "";
    $("restyled").hidden = $("restyle-names").hidden = !reading?.restyled;
    if (reading?.restyled) {
      drawSheet($("restyled"), reading.restyled, 10, { gap: 1 });
      $("restyled").setAttribute("aria-label", sheetText(model.gen, `${capitalised(model.words.drawn)}'s style carried to ` +
        `every ${model.words.class}`, reading.restyled, names));
    }
    for (const button of [undo, clear]) setDisabled(button, pad.empty, choose);
    for (const button of [morphFrom, showOnMap]) setDisabled(button, !reading, choose);
    $("drawn-style").textContent = reading ? `${capitalised(model.words.drawn)} measures ${describeStyle(axes, reading.measured)}.` : "";
    sliders.setDisabled(!reading);
    showStyled();
  }

  /** Says what the prepared image and the reconstruction show, and their measured style: their
   *  text alternatives.
   *  @param {Float32Array} prepared
   *  @param {boolean} ink */
  function describeImages(prepared, ink) {
    const drawn = capitalised(model.words.drawn);
    const readAs = reading ? `, read as ${model.info.classNames[reading.digit]}` : "";
    const seen = `${drawn} as the model sees it, 28 × 28 pixels${readAs}`;
    $("prepared").setAttribute("aria-label", ink
      ? (reading ? `${seen}: ${describeStyle(axes, reading.measured, ", ")}` : imageTexts(model.gen, prepared, [seen])[0])
      : "Nothing drawn yet");
    $("reconstruction").setAttribute("aria-label", reading
      ? imageTexts(model.gen, reading.image, [`${drawn}'s code, decoded${readAs}`])[0]
      : "No reconstruction: nothing read yet");
  }

  /** Shows the drawn image's code moved by the style sliders, decoded, and what it measures. */
  function showStyled() {
    const moves = sliders.moves();
    const moved = Object.keys(moves).length > 0;
    const styled = reading && attempt(message, `${capitalised(model.words.drawn)} could not be moved in style`, () => {
      const { gen } = model;
      const { latent, digit, image } = /** @type {Reading} */ (reading);
      const shown = moved ? gen.decode(gen.moveStyle(latent, digit, moves)) : image;
      return { image: shown, measured: gen.measure(shown) };
    });
    drawDigit($("styled"), styled?.image ?? BLANK);
    $("styled-style").textContent = styled
      ? `${moved ? "Moved, it" : "Decoded, it"} measures ${describeStyle(axes, styled.measured)}.`
      : "";
    $("styled").setAttribute("aria-label", styled
      ? `${capitalised(model.words.drawn)}'s code ${moved ? "moved by the style sliders" : "decoded"}: ${describeStyle(axes, styled.measured, ", ")}`
      : "Nothing moved: nothing read yet");
  }

  /** Shows whether the model's encoder is loading (its progress) or failed (why). */
  function showEncoder() {
    const encoder = encoders.get(model);
    $("encoder-status").hidden = Boolean(encoder?.done);
    say($("encoder-error"), encoder?.error
      ? `The encoder could not be loaded, so drawn ${model.words.items} cannot be read (${encoder.error.message}). ` +
        "Reload the page to try again."
      : "");
  }

  /** Starts loading the model's encoder, once per model; the pad is read again when it has loaded. */
  function startEncoder() {
    if (encoders.has(model)) return;
    const loading = model;
    const encoder = { done: false, error: null };
    encoders.set(loading, encoder);
    const progress = showProgress($("encoder-progress"), $("encoder-amount"));
    loadEncoder(loading.gen, loading.files.encoder, (...amounts) => loading === model && progress(...amounts))
      .catch((error) => { encoder.error = error; })
      .finally(() => {
        encoder.done = true;
        if (loading !== model) return; // setModel shows it when its model is back
        showEncoder();
        read();
      });
  }

  /** Shows `next`'s classes, and reads the pad with it.
   *  @param {Model} next */
  function setModel(next) {
    model = next;
    restyle = restyleVerdict(model.info.metrics.reading, model.words);
    axes = styleAxes(model.gen);
    sliders.setAxes(axes);
    $("restyle-caption").textContent = restyle.caption;
    showNames($("restyle-names"), model.info.classNames);
    bars = model.info.classNames.map((name) => {
      const bar = document.createElement("div");
      bar.className = "probability";
      bar.append(document.createElement("span"), name);
      return bar;
    });
    $("probabilities").replaceChildren(...bars);
    picker.replaceChildren(); // the model's own, when Draw shows it
    picking = null;
    showEncoder();
    read();
  }

  setModel(model);
  return {
    /** @param {State} state */
    render(state) {
      if (state.section === "draw") {
        startEncoder();
        showTestImages();
      }
      return state;
    },
    setModel,
    startEncoder,
    /** The drawn digit as read, or null while the pad is blank or the encoder missing. */
    reading: () => reading,
  };
}
