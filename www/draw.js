// Draw: a digit the visitor draws, or brings as an image, read by the encoder: what the model
// sees, which digit it is, where it lies on the Explore plane, and its style on every digit.
import { PIXELS, drawDigit, drawSheet } from "./canvas.js";
import { loadEncoder } from "./load.js";
import { createPad } from "./pad.js";
import { $, attempt, say, setDisabled, showProgress } from "./ui.js";

// The row of restyled digits is shown when restyling works for most digits: at least
// RESTYLE_DIGITS digits whose restyled test digits are read back as them RESTYLE_SHARE of the time.
const RESTYLE_SHARE = 0.5;
const RESTYLE_DIGITS = 6;
const BLANK = new Float32Array(PIXELS);

const percent = (share, decimals = 0) => `${(100 * share).toFixed(decimals)}%`;

/** Whether the row of restyled digits is worth showing, and a caption that says how well it works;
 *  `reading` is info().metrics.reading, which older models lack. */
function restyleVerdict(reading) {
  if (!reading) return { works: false, caption: "How well this works was not measured for this model, so it is not shown." };
  const { restyle } = reading;
  const working = restyle.filter((share) => share >= RESTYLE_SHARE).length;
  const mean = restyle.reduce((sum, share) => sum + share, 0) / restyle.length;
  const measured = `Restyled test digits are read back as the intended digit ${percent(mean)} of the time on ` +
    `average, and at least half the time for ${working} of the ${restyle.length} digits`;
  return working >= RESTYLE_DIGITS
    ? { works: true, caption: `${measured}.` }
    : { works: false, caption: `${measured}: that does not work well enough for this model, so it is not shown.` };
}

export function createDraw(gen, info, update) {
  const message = $("draw-message");
  const padCanvas = $("pad");
  const undo = $("pad-undo");
  const clear = $("pad-clear");
  const choose = $("choose-image");
  const fileInput = $("image-file");
  const morphFrom = $("morph-from");
  const showOnMap = $("show-on-map");
  const restyle = restyleVerdict(info.metrics.reading);
  let reading = null; // the drawn digit as read: { latent, probabilities, digit, point, image, restyled }
  let encoder = null; // the promise of the encoder, once its loading started
  let encoderFailed = false;

  const bars = Array.from({ length: 10 }, (_, digit) => {
    const bar = document.createElement("div");
    bar.className = "probability";
    bar.append(document.createElement("span"), String(digit));
    return bar;
  });
  $("probabilities").append(...bars);
  $("restyle-caption").textContent = restyle.caption;

  const pad = createPad(padCanvas, read);
  undo.addEventListener("click", () => pad.undo());
  clear.addEventListener("click", () => pad.clear());
  choose.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => {
    const [file] = fileInput.files;
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
    const [file] = event.dataTransfer.files;
    if (file) openImage(file);
  });
  showOnMap.addEventListener("click", () => update({ section: "explore" }));
  morphFrom.addEventListener("click", () => {
    update({ section: "morph", path: [reading.digit], pair: null, fromDrawing: true });
  });

  async function openImage(file) {
    try {
      pad.showImage(await createImageBitmap(file));
    } catch (error) {
      say(message, `“${file.name}” could not be opened as an image (${error.message}).`);
    }
  }

  /** Everything the section shows of a prepared digit with ink. */
  function readDigit(prepared) {
    const latent = gen.encode(prepared);
    const probabilities = gen.classify(latent);
    const digit = probabilities.indexOf(Math.max(...probabilities));
    return {
      latent,
      probabilities,
      digit,
      point: gen.project(latent),
      image: gen.decode(latent),
      restyled: restyle.works ? gen.restyle(latent, digit) : null,
    };
  }

  /** What the verdict line says when there is no reading. */
  function noReading(ink) {
    if (!ink) return "Draw a digit";
    if (encoderFailed) return "Your digit cannot be read: the encoder did not load.";
    return gen.hasEncoder ? "Your digit could not be read." : "Your digit will be read once the encoder has loaded…";
  }

  /** Prepares the pad's pixels as MNIST's digits were and, once there is ink and the encoder, reads them. */
  function read() {
    const started = performance.now();
    say(message, "");
    const { data, width, height } = pad.pixels();
    const prepared = attempt(message, "Your digit could not be prepared", () => gen.prepare(data, width, height)) ?? BLANK;
    const ink = prepared.some((v) => v > 0); // prepare gives zeros for an image without ink
    reading = null;
    if (ink && gen.hasEncoder) reading = attempt(message, "Your digit could not be read", () => readDigit(prepared)) ?? null;
    show(prepared, ink);
    // One reading, drawing included: the tests wait for it, the benchmark times it.
    performance.clearMeasures("drawing-read");
    performance.measure("drawing-read", { start: started });
  }

  function show(prepared, ink) {
    drawDigit($("prepared"), prepared);
    drawDigit($("reconstruction"), reading?.image ?? BLANK);
    const shares = bars.map((bar, digit) => {
      const share = reading?.probabilities[digit] ?? 0;
      bar.style.setProperty("--share", share);
      bar.classList.toggle("winner", digit === reading?.digit);
      return `${digit}: ${percent(share)}`;
    });
    $("probabilities").setAttribute("aria-label", `Probability of each digit: ${shares.join(", ")}`);
    $("verdict").textContent = reading
      ? `Most likely ${reading.digit} (${percent(reading.probabilities[reading.digit])})`
      : noReading(ink);
    const [x, y] = reading?.point ?? [];
    $("drawing-where").textContent = reading ? `At PC1 ${x.toFixed(2)}, PC2 ${y.toFixed(2)} of the Explore plane.` : "";
    $("restyled").hidden = !reading?.restyled;
    if (reading?.restyled) drawSheet($("restyled"), reading.restyled, 10, { gap: 1 });
    for (const button of [undo, clear]) setDisabled(button, pad.empty, choose);
    for (const button of [morphFrom, showOnMap]) setDisabled(button, !reading, choose);
  }

  /** Starts loading the encoder, once; the pad is read again when it has loaded. */
  function startEncoder() {
    encoder ??= loadEncoder(gen, showProgress($("encoder-progress"), $("encoder-amount")))
      .catch((error) => {
        encoderFailed = true;
        say($("encoder-error"), `The encoder could not be loaded, so drawn digits cannot be read (${error.message}). ` +
          "Reload the page to try again.");
      })
      .finally(() => {
        $("encoder-status").hidden = true;
        read();
      });
  }

  read();
  return {
    render(state) {
      if (state.section === "draw") startEncoder();
      return state;
    },
    startEncoder,
    /** The drawn digit as read, or null while the pad is blank or the encoder missing. */
    reading: () => reading,
  };
}
