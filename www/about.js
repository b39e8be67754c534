// About: the model card from info() and how fast this browser decodes.
import { $, formatMs } from "./ui.js";

const METRIC_NAMES = {
  testBce: "Test binary cross-entropy",
  testMse: "Test mean squared error",
  trainBce: "Training binary cross-entropy",
  trainMse: "Training mean squared error",
  epochs: "Epochs",
  seed: "Training seed",
  testLogLikelihoodMixture: "Test log-likelihood per digit, mixture",
  testLogLikelihoodGaussian: "Test log-likelihood per digit, single Gaussian",
  mixtureSamples: "Mixture samples: class accuracy, Fréchet distance, diversity, memorisation",
  gaussianSamples: "Single-Gaussian samples: class accuracy, Fréchet distance, diversity, memorisation",
  reconstructions: "Reconstructed test digits: class accuracy, Fréchet distance, diversity, memorisation",
};

const formatNumber = (v) => (Number.isInteger(v) ? String(v) : v.toPrecision(4));
const formatValue = (v) => {
  if (Array.isArray(v)) return v.map(formatNumber).join(", ");
  return typeof v === "number" ? formatNumber(v) : String(v);
};

/** Median time in ms of `runs` calls of `f`. */
function medianMs(runs, f) {
  const times = Array.from({ length: runs }, () => {
    const start = performance.now();
    f();
    return performance.now() - start;
  });
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

export function createAbout(gen) {
  const info = gen.info();
  const rows = [
    ["Dataset", info.dataset],
    ["Architecture", info.architecture],
    ["Latent dimensions", info.latentDim],
    ["Classes", info.classes],
    ["Mixture components per digit (0–9)", info.components.join(", ")],
    ...Object.entries(info.metrics).map(([name, v]) => [METRIC_NAMES[name] ?? name, v]),
    ["Version", info.version],
  ];
  $("model-card").replaceChildren(...rows.flatMap(([term, value]) => {
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = term;
    dd.textContent = formatValue(value);
    return [dt, dd];
  }));
  $("train-command").textContent = info.trainCommand;

  let measured = false;
  function measure() {
    measured = true;
    const one = gen.classMean(8);
    const hundred = gen.sampleLatents(8, 100, { seed: 1 });
    const single = medianMs(31, () => gen.decode(one));
    const batch = medianMs(7, () => gen.decode(hundred));
    $("timing").textContent = `Decoding one digit takes ${formatMs(single)}; a batch of 100 takes ` +
      `${formatMs(batch)}, ${formatMs(batch / 100)} per digit (medians, timed with performance.now()).`;
  }
  $("measure").addEventListener("click", measure);

  return {
    render(state) {
      if (state.section === "about" && !measured) measure();
    },
  };
}
