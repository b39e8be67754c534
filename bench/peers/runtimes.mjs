// The four contenders behind one interface, for Node and the browser alike: each is given its
// runtime's module (imported by the caller, since Node and the browser load them differently)
// and returns { decode(codes, n) }, codes a Float32Array of n × 32, the result n × 784 pixels read
// back into JavaScript. decode returns the pixels, or a promise of them where `async` is true.

/** Display names, in table order. */
export const RUNTIMES = {
  tfjs: "TF.js 4.22 wasm (SIMD, 1 thread)",
  ort1: "ORT Web 1.30 wasm, 1 thread",
  ort2: "ORT Web 1.30 wasm, 2 threads",
  ours: "latent-digits",
};

/**
 * TensorFlow.js with the wasm backend: the backend must be registered (by importing
 * @tensorflow/tfjs-backend-wasm) before this is called. One thread, SIMD as detected.
 */
export async function tfjsRuntime(tf, layers) {
  // Threads off (Node never uses them; in a cross-origin-isolated page they would be on).
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  if (!(await tf.setBackend("wasm"))) throw new Error("tf.setBackend('wasm') failed");
  await tf.ready();
  const params = layers.map((l) => ({
    w: tf.tensor2d(l.weight, [l.inputs, l.outputs]),
    b: tf.tensor1d(l.bias),
  }));
  const last = params.length - 1;
  const inputs = layers[0].inputs;
  const forward = (codes, n) =>
    tf.tidy(() => {
      let x = tf.tensor2d(codes, [n, inputs]);
      params.forEach(({ w, b }, i) => {
        x = tf.add(tf.matMul(x, w), b);
        x = i < last ? tf.relu(x) : tf.sigmoid(x);
      });
      return x;
    });
  return {
    async: false,
    info: {
      backend: tf.getBackend(),
      simd: await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"),
      threads: await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT"),
    },
    decode(codes, n) {
      const y = forward(codes, n);
      const pixels = y.dataSync();
      y.dispose();
      return pixels;
    },
  };
}

/** ONNX Runtime Web, wasm execution provider, `threads` intra-op threads (set before its first session). */
export async function ortRuntime(ort, model, threads) {
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "all",
  });
  const inputs = 32;
  return {
    async: true,
    info: { numThreads: ort.env.wasm.numThreads },
    async decode(codes, n) {
      const result = await session.run({ codes: new ort.Tensor("float32", codes, [n, inputs]) });
      return result.pixels.data;
    },
  };
}

/** This project's decoder: `Generator` from pkg/latent_digits.js, already initialised. */
export function oursRuntime(Generator) {
  const generator = new Generator();
  return {
    async: false,
    info: {},
    generator,
    decode(codes) {
      return generator.decode(codes);
    },
  };
}

/**
 * Median milliseconds per decode call of `n` codes: `samples` timings of `inner` back-to-back
 * calls each (so that one-code calls are well above the timer's resolution in a browser), after
 * `warmup` untimed calls.
 */
export async function medianMs(runtime, codes, n, { samples, inner, warmup }) {
  const input = codes.subarray(0, n * 32);
  let sink = 0;
  for (let i = 0; i < warmup; i++) {
    const out = runtime.async ? await runtime.decode(input, n) : runtime.decode(input, n);
    sink += out[0];
  }
  const times = [];
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    if (runtime.async) {
      for (let i = 0; i < inner; i++) sink += (await runtime.decode(input, n))[0];
    } else {
      for (let i = 0; i < inner; i++) sink += runtime.decode(input, n)[0];
    }
    times.push((performance.now() - t0) / inner);
  }
  if (Number.isNaN(sink)) throw new Error("a decode gave NaN");
  return median(times);
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Settings of one round: per runtime, decode 1 code and decode 100 codes. */
export const ROUND = {
  one: { n: 1, samples: 100, inner: 10, warmup: 100 },
  hundred: { n: 100, samples: 80, inner: 1, warmup: 10 },
};

/** One round on a runtime: { one, hundred } in ms per call. */
export async function round(runtime, codes, settings = ROUND) {
  const result = {};
  for (const [key, s] of Object.entries(settings)) result[key] = await medianMs(runtime, codes, s.n, s);
  return result;
}

/**
 * One table row's numbers: per runtime, the median of `pick(name)` and its range.
 * @param {string[]} names
 * @param {(name: string) => number[]} pick
 */
export function summarize(names, pick) {
  const values = {};
  const ranges = {};
  for (const n of names) {
    const v = pick(n);
    values[n] = median(v);
    ranges[n] = [Math.min(...v), Math.max(...v)];
  }
  return { values, ranges };
}

/**
 * The scripts' `--rounds N` and `--fresh N` (default 7 each) from `args` (process.argv after
 * the script), so this module stays free of Node globals for the browser page.
 * @param {string[]} args
 */
export function countOptions(args) {
  const option = (name) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : 7;
  };
  return { rounds: option("rounds"), fresh: option("fresh") };
}

/** The peers' pinned versions, from this folder's package.json, for the tables' headers. */
export function peerVersions(peersPackage) {
  return ["@tensorflow/tfjs-core", "@tensorflow/tfjs-backend-wasm", "onnxruntime-web"]
    .map((p) => `${p} ${peersPackage.dependencies[p]}`)
    .join(", ");
}

/** Number formatting for the tables: 3 significant digits, at least 2 decimals below 100. */
export function fmt(ms) {
  if (!Number.isFinite(ms)) return "—";
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toPrecision(3);
}

/**
 * The Markdown table: one row per measure, columns the runtimes and then ours / each peer.
 * @param {{ label: string, values: Record<string, number>, ranges?: Record<string, [number, number]> }[]} rows
 */
export function markdownTable(rows) {
  const peers = ["tfjs", "ort1", "ort2"];
  const head = [
    "measure",
    ...Object.values(RUNTIMES),
    "ours / TF.js",
    "ours / ORT 1 thread",
    "ours / ORT 2 threads",
  ];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i ? "---:" : "---")).join("|")}|`];
  for (const row of rows) {
    const cells = Object.keys(RUNTIMES).map((k) => {
      const v = row.values[k];
      const r = row.ranges?.[k];
      return r ? `${fmt(v)} (${fmt(r[0])}–${fmt(r[1])})` : fmt(v);
    });
    const ratios = peers.map((p) => (row.values.ours / row.values[p]).toFixed(2));
    lines.push(`| ${[row.label, ...cells, ...ratios].join(" | ")} |`);
  }
  return lines.join("\n");
}
