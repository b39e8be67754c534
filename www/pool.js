// Large batches decoded on more than one core: a few workers (pool-worker.js), each with its own
// instance of the module the page compiled and its own Generators, decode contiguous chunks of a
// batch's rows while the page's thread decodes the first. No SharedArrayBuffer: each worker gets a
// copy of its codes and hands its pixels back as a transferred buffer, so static hosts and the
// single-file page need nothing special. The decoder is deterministic row by row, so the pixels are
// those of one gen.decode call.
import { startWorker } from "./inlined.js";
/** @import { ModelBytes } from "./load.js" */
/** @import { Model } from "./models.js" */
/** @import { Generator } from "./pkg/latent_digits.js" */

/** What the page asks a worker: to build the Generator of the model of `dataset` from its `bytes`
 *  (null: the module's own), instantiating `module` the first time, or to decode `codes` with it.
 *  @typedef {{ dataset: string, module: WebAssembly.Module, bytes: ModelBytes | null }
 *    | { dataset: string, codes: Float32Array }} PoolTask */
/** A task as sent, with the id its answer repeats.
 *  @typedef {PoolTask & { id: number }} PoolRequest */
/** A worker's answer to request `id`: the pixels decoded (none when it built a Generator), or the
 *  message of the Error that stopped it.
 *  @typedef {{ id: number, pixels?: Float32Array, error?: undefined } | { id: number, error: string }} PoolReply */
/** The pool as the page uses it (decoderPool).
 *  @typedef {ReturnType<typeof decoderPool>} Pool */
/** What the pool needs of a model: its data set, its Generator, the sizes its card gives and the
 *  bytes a worker builds the same Generator from (models.js).
 *  @typedef {Pick<Model, "dataset" | "gen" | "info" | "bytes">} PoolModel */

// The fewest rows the pool shares out (bench/pool.mjs, BENCHMARKS.md). On two idle cores it pays
// from about 200 rows, but below 1,000 it saves less than a frame at 60 Hz, and it loses up to a
// fifth when the other core is busy. So the gallery (at most 100), a morph between two samples or
// from a drawing (61 frames) and the loop (601) stay on the page's thread, and start no worker.
export const POOL_ROWS = 1000;
const WORKER = "pool-worker.js";

/** A worker per core besides the page's, 1 to 3.
 *  @returns {number} */
const defaultSize = () => Math.max(1, Math.min(navigator.hardwareConcurrency - 1, 3));

/** `rows` rows in `parts` contiguous chunks that differ by at most a row: where each starts, and
 *  `rows` at the end.
 *  @param {number} rows
 *  @param {number} parts */
const bounds = (rows, parts) => Array.from({ length: parts + 1 }, (_, i) => Math.round((i * rows) / parts));

/** `parts` one after another in one array.
 *  @param {Float32Array[]} parts */
function joined(parts) {
  const all = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

/** The pixels of `gen.decode(codes)` (`latentDim` values a code), the codes shared out in
 *  contiguous chunks: the first to this thread, which decodes it with `gen`, one to each of
 *  `helpers`, which resolves to its pixels (the chunk, a copy, is its to keep). Rejects as
 *  gen.decode(codes) would.
 *  @param {Generator} gen
 *  @param {Float32Array} codes
 *  @param {number} latentDim
 *  @param {((chunk: Float32Array) => Promise<Float32Array>)[]} helpers */
export async function decodeShared(gen, codes, latentDim, helpers) {
  if (!helpers.length) return gen.decode(codes);
  const at = bounds(codes.length / latentDim, helpers.length + 1).map((row) => row * latentDim);
  const chunk = (/** @type {number} */ i) => codes.subarray(at[i], at[i + 1]);
  try {
    const away = helpers.map((helper, i) => helper(chunk(i + 1).slice()));
    // This thread's chunk as a promise too, so that Promise.all sees every Error.
    return joined(await Promise.all([(async () => gen.decode(chunk(0)))(), ...away]));
  } catch {
    // The module names a bad value by its place in the codes it was given, and a helper may have
    // stopped: the whole batch again says what one call would (the checks come before any
    // decoding), or decodes it.
    return gen.decode(codes);
  }
}

/** A worker of the pool, started now for `module`: `build(model)` resolves to whether it has built
 *  its Generator of `model` (asking it the first time; false when it failed, the worker's start
 *  included), `built(model)` says so at once, and `decode(model, codes)`, once built, resolves to
 *  the pixels of `codes` (whose buffer it takes) or rejects with the worker's Error.
 *  @param {WebAssembly.Module} module */
function poolWorker(module) {
  /** @type {Worker | null} */
  let worker = null;
  let calls = 0;
  /** @type {Map<number, (reply: PoolReply) => void>} */
  const waiting = new Map(); // request id → what settles its promise
  /** @type {Map<string, Promise<boolean>>} */
  const builds = new Map(); // data set → whether its Generator was built
  /** @type {Set<string>} */
  const ready = new Set(); // the data sets whose Generators are built

  const started = startWorker(WORKER).then((created) => {
    created.onmessage = (/** @type {MessageEvent<PoolReply>} */ { data }) => {
      waiting.get(data.id)?.(data);
      waiting.delete(data.id);
    };
    // Only a worker that did not start reports an error: pool-worker.js answers every request.
    created.onerror = (event) => {
      event.preventDefault();
      for (const [id, settle] of waiting) settle({ id, error: event.message || "the decoding worker did not start" });
      waiting.clear();
    };
    return (worker = created);
  });

  /** Sends `task` to the started `to`; resolves to the answer's pixels.
   *  @param {Worker} to
   *  @param {PoolTask} task
   *  @param {Transferable[]} transfer
   *  @returns {Promise<Float32Array | undefined>} */
  function call(to, task, transfer = []) {
    const id = calls++;
    return new Promise((resolve, reject) => {
      waiting.set(id, (reply) => (reply.error === undefined ? resolve(reply.pixels) : reject(new Error(reply.error))));
      to.postMessage(/** @satisfies {PoolRequest} */ ({ id, ...task }), transfer);
    });
  }

  return {
    /** @param {PoolModel} model */
    build({ dataset, bytes }) {
      if (!builds.has(dataset)) {
        builds.set(dataset, started.then((to) => call(to, { dataset, module, bytes }))
          .then(() => {
            ready.add(dataset);
            return true;
          }, () => false));
      }
      return /** @type {Promise<boolean>} */ (builds.get(dataset));
    },
    /** @param {PoolModel} model */
    built: ({ dataset }) => ready.has(dataset),
    // Posted at once (the worker has started), before the page's thread starts on its own chunk.
    /** @param {PoolModel} model
     *  @param {Float32Array} codes */
    decode: async ({ dataset }, codes) =>
      /** @type {Float32Array} */ (await call(/** @type {Worker} */ (worker), { dataset, codes }, [codes.buffer])),
  };
}

/** A pool of `workers` workers (by default one per core besides the page's, 1 to 3) for `module`,
 *  the compiled WebAssembly module the page runs, started with the first batch of `minRows` rows
 *  or more (by default POOL_ROWS). `decodeRows(model, codes)` resolves to `model.gen.decode(codes)`
 *  (`model` as models.js gives it) or rejects with its Error: a batch of fewer than `minRows` rows
 *  the page's thread decodes alone, as it does while no worker has built its Generator of
 *  `model` yet (the first large batch asks them to); a larger one it shares with the workers that
 *  have. `ready(model)` starts the workers and resolves to how many can decode for `model`, once
 *  each has built its Generator or failed to.
 *  @param {WebAssembly.Module} module */
export function decoderPool(module, { workers = defaultSize(), minRows = POOL_ROWS } = {}) {
  /** @type {ReturnType<typeof poolWorker>[]} */
  let pool = [];

  /** The workers, started the first time, each asked to build its Generator of `model`.
   *  @param {PoolModel} model */
  function workersFor(model) {
    if (!pool.length) pool = Array.from({ length: workers }, () => poolWorker(module));
    for (const worker of pool) worker.build(model);
    return pool;
  }

  return {
    /** @param {PoolModel} model */
    ready: async (model) => (await Promise.all(workersFor(model).map((worker) => worker.build(model)))).filter(Boolean).length,

    /** @param {PoolModel} model
     *  @param {Float32Array} codes
     *  @returns {Promise<Float32Array>} */
    async decodeRows(model, codes) {
      const { gen, info: { latentDim, maxImages } } = model;
      const rows = codes.length / latentDim;
      // What is no whole number of rows, or more than one call decodes, the page's Generator refuses.
      if (!(Number.isInteger(rows) && rows >= minRows && rows <= maxImages)) return gen.decode(codes);
      const helpers = workersFor(model).filter((worker) => worker.built(model));
      return decodeShared(gen, codes, latentDim, helpers.map((worker) => (chunk) => worker.decode(model, chunk)));
    },
  };
}
