// About: the model card from info(), the commands that trained the model and how fast this browser decodes.
import { $, attempt, copyText, formatMs } from "./ui.js";
/** @import { SampledLatents } from "./pkg/latent_digits.js" */
/** @import { Model } from "./models.js" */
/** @import { State } from "./state.js" */

/** @type {Record<string, string>} */
const METRIC_NAMES = {
  testBce: "Test binary cross-entropy",
  testMse: "Test mean squared error",
  trainBce: "Training binary cross-entropy",
  trainMse: "Training mean squared error",
  epochs: "Epochs",
  seed: "Training seed",
  testLogLikelihoodMixture: "Test log-likelihood per image, mixture",
  testLogLikelihoodGaussian: "Test log-likelihood per image, single Gaussian",
  testLogLikelihoodFlow: "Test log-likelihood per image, normalizing flow",
  mixtureSamples: "Mixture samples: class accuracy, Fréchet distance, diversity, memorisation",
  gaussianSamples: "Single-Gaussian samples: class accuracy, Fréchet distance, diversity, memorisation",
  flowSamples: "Flow samples: class accuracy, Fréchet distance, diversity, memorisation",
  reconstructions: "Reconstructed test images: class accuracy, Fréchet distance, diversity, memorisation",
  "reading.accuracy": "Test images read right from their codes (Draw)",
  "reading.restyle": "Restyled test images read as the intended class, class by class (Draw)",
};

/** [name, value] of every metric, those of nested groups named "group.metric".
 *  @param {object} metrics
 *  @returns {[string, unknown][]} */
const metricRows = (metrics, group = "") => Object.entries(metrics).flatMap(([name, v]) => (
  v !== null && typeof v === "object" && !Array.isArray(v)
    ? metricRows(v, `${group}${name}.`)
    : [[METRIC_NAMES[group + name] ?? group + name, v]]));

/** @param {number} v */
const formatNumber = (v) => (Number.isInteger(v) ? String(v) : v.toPrecision(4));
/** @param {unknown} v */
const formatValue = (v) => {
  if (Array.isArray(v)) return v.map(formatNumber).join(", ");
  return typeof v === "number" ? formatNumber(v) : String(v);
};

/** Median time in ms of `runs` calls of `f`.
 *  @param {number} runs
 *  @param {() => unknown} f */
function medianMs(runs, f) {
  const times = Array.from({ length: runs }, () => {
    const start = performance.now();
    f();
    return performance.now() - start;
  });
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

/** A list item with `command` as code and a button that copies it.
 *  @param {string} command */
function commandItem(command) {
  const code = document.createElement("code");
  code.textContent = command;
  const pre = document.createElement("pre");
  pre.append(code);
  const copy = document.createElement("button");
  copy.type = "button";
  copy.textContent = "Copy";
  copy.addEventListener("click", async () => {
    if (await copyText(command)) {
      copy.textContent = "Copied";
    } else { // select it for the visitor to copy
      /** @type {Selection} */ (getSelection()).selectAllChildren(code);
      copy.textContent = "Selected";
    }
  });
  const line = document.createElement("div");
  line.className = "command";
  line.append(pre, copy);
  const item = document.createElement("li");
  item.append(line);
  return item;
}

/** The section, showing `model` (models.js) until setModel(model) gives it another.
 *  @param {Model} model */
export function createAbout(model) {
  const message = $("about-message");
  let measured = false; // whether this model's speed was measured

  function measure() {
    measured = true;
    const { gen } = model;
    const timed = attempt(message, "The decoding speed could not be measured", () => {
      const one = gen.classMean(8);
      const hundred = /** @type {SampledLatents} */ (gen.sampleLatents(8, 100, { seed: 1 })).latents;
      return [medianMs(31, () => gen.decode(one)), medianMs(7, () => gen.decode(hundred))];
    });
    if (!timed) return;
    const [single, batch] = timed;
    const { item } = model.words;
    $("timing").textContent = `Decoding one ${item} takes ${formatMs(single)}; a batch of 100 takes ` +
      `${formatMs(batch)}, ${formatMs(batch / 100)} per ${item} (medians, timed with performance.now()).`;
  }
  $("measure").addEventListener("click", measure);

  /** Shows `next`'s model card and commands, and measures its speed when About is next shown.
   *  @param {Model} next */
  function setModel(next) {
    model = next;
    const { info, words } = model;
    const names = info.classNames;
    /** @type {[string, unknown][]} */
    const rows = [
      ["Dataset", info.dataset],
      ["Architecture", info.architecture],
      ["Latent dimensions", info.latentDim],
      ["Classes", names.join(", ")],
      [`Mixture components per ${words.class} (${names[0]}–${names.at(-1)})`, info.components.join(", ")],
      ...metricRows(info.metrics),
      ["Version", info.version],
    ];
    $("model-card").replaceChildren(...rows.flatMap(([term, value]) => {
      const dt = document.createElement("dt");
      const dd = document.createElement("dd");
      dt.textContent = term;
      dd.textContent = formatValue(value);
      return [dt, dd];
    }));
    $("architecture").textContent = info.architecture.replaceAll("-", " → ");
    const { reading } = info.metrics;
    $("reading-accuracy").textContent = reading
      ? `Read this way, ${(100 * reading.accuracy).toFixed(1)}% of the 10,000 ${words.source} test ${words.items} are read right.`
      : "How often it reads right was not measured for this model.";
    $("train-commands").replaceChildren(...info.trainCommands.map(commandItem));
    $("timing").textContent = "";
    measured = false;
  }

  setModel(model);
  return {
    /** @param {State} state */
    render(state) {
      if (state.section === "about" && !measured) measure();
      return state;
    },
    setModel,
  };
}
