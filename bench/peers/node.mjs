// The peers benchmark in Node: this project's decoder beside TensorFlow.js (wasm backend) and
// ONNX Runtime Web (wasm, 1 and 2 threads), the same 32-64-128-256-512-784 network with the
// weights of model/decoder.packed, the same codes for everyone.
//
//   npm ci --prefix bench/peers && node bench/peers/node.mjs [--rounds 7] [--fresh 7]
//
// 1. Each runtime in a long-lived child process (node-worker.mjs); their outputs on three codes
//    are checked against ours and a float64 forward pass of the same weights.
// 2. Interleaved rounds: in each, every runtime in turn (the order rotates) times decode of 1
//    code and of 100 codes (median of many calls after a warm-up, the pixels read back into
//    JavaScript every call); reported: the median of the rounds' medians and their range.
// 3. Init → first output: a fresh `node` per runtime (first.mjs), several times, interleaved.
// Prints a Markdown table for BENCHMARKS.md.
import { fork, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { initSync, Generator } from "../../pkg/latent_digits.js";
import { readDecoder, forwardReference, checkOutputs } from "./decoder.mjs";
import { RUNTIMES, ROUND, markdownTable, fmt, summarize, peerVersions, countOptions } from "./runtimes.mjs";

const { rounds: ROUNDS, fresh: FRESH } = countOptions(process.argv.slice(2));
const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const names = Object.keys(RUNTIMES);
const peersPackage = JSON.parse(readFileSync(here("package.json"), "utf8"));

// The codes: 100 samples of digit 3 from the project's own sampler; one code = the first 32.
initSync({ module: readFileSync(new URL("../../pkg/latent_digits_bg.wasm", import.meta.url)) });
const generator = new Generator();
const codes = generator.sampleLatents(3, 100, { seed: 1 }).latents;
const layers = readDecoder(readFileSync(new URL("../../model/decoder.packed", import.meta.url)));
const checkCount = 3;
const checkCodes = codes.slice(0, checkCount * 32);
const oursPixels = generator.decode(checkCodes);
const referencePixels = forwardReference(layers, checkCodes, checkCount);
generator.free();

/** A long-lived child running one runtime; `ask` sends a message and awaits its answer. */
function startWorker(name) {
  const child = fork(here("node-worker.mjs"), [name], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let pending = null;
  const ready = new Promise((resolve, reject) => {
    pending = { resolve, reject };
    child.once("exit", (code) => pending?.reject(new Error(`${name} exited with ${code}`)));
  });
  child.on("message", (message) => {
    const p = pending;
    pending = null;
    if (message.error) p?.reject(new Error(`${name}: ${message.error}`));
    else p?.resolve(message);
  });
  return {
    name,
    child,
    ready,
    ask(message) {
      return new Promise((resolve, reject) => {
        pending = { resolve, reject };
        child.send(message);
      });
    },
  };
}

const log = (line) => process.stderr.write(`${line}\n`);

// 1. Start the runtimes one after the other and check their outputs.
const workers = {};
const infos = {};
const accuracy = {};
for (const name of names) {
  const worker = startWorker(name);
  infos[name] = (await worker.ready).info;
  const { pixels } = await worker.ask({ type: "check", codes: Array.from(checkCodes), n: checkCount });
  const out = Float32Array.from(pixels);
  accuracy[name] = checkOutputs(name, out, oursPixels, referencePixels);
  log(`${name}: started ${JSON.stringify(infos[name])}, max |Δ| vs ours ${accuracy[name].vsOurs.toExponential(2)} (mean ${accuracy[name].meanVsOurs.toExponential(2)}), vs float64 ${accuracy[name].vsReference.toExponential(2)}`);
  workers[name] = worker;
}
const failed = names.map((n) => accuracy[n].problem).filter(Boolean);
if (failed.length) {
  for (const w of Object.values(workers)) w.child.kill();
  throw new Error(`outputs differ: ${failed.join("; ")}`);
}

// 2. Interleaved rounds.
const perRound = Object.fromEntries(names.map((n) => [n, { one: [], hundred: [] }]));
for (let r = 0; r < ROUNDS; r++) {
  const order = names.map((_, i) => names[(i + r) % names.length]);
  for (const name of order) {
    const { result } = await workers[name].ask({ type: "round", codes: Array.from(codes), settings: ROUND });
    perRound[name].one.push(result.one);
    perRound[name].hundred.push(result.hundred);
  }
  log(`round ${r + 1}/${ROUNDS}: ${order.map((n) => `${n} ${fmt(perRound[n].one.at(-1))}/${fmt(perRound[n].hundred.at(-1))} ms`).join(", ")}`);
}
for (const w of Object.values(workers)) {
  w.child.send({ type: "exit" });
  await new Promise((resolve) => (w.child.exitCode !== null ? resolve() : w.child.once("exit", resolve)));
}

// 3. Init → first output, each runtime in a fresh process, interleaved.
const code = JSON.stringify(Array.from(codes.slice(0, 32)));
const fresh = Object.fromEntries(names.map((n) => [n, { script: [], process: [], spawn: [] }]));
function firstOutput(name) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [here("first.mjs"), name, code], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("exit", (status) => {
      if (status !== 0) return reject(new Error(`first.mjs ${name} exited with ${status}`));
      resolve({ ...JSON.parse(out), spawnMs: performance.now() - started });
    });
  });
}
for (let r = 0; r < FRESH; r++) {
  const order = names.map((_, i) => names[(i + r) % names.length]);
  for (const name of order) {
    const result = await firstOutput(name);
    fresh[name].script.push(result.scriptMs);
    fresh[name].process.push(result.processMs);
    fresh[name].spawn.push(result.spawnMs);
  }
  log(`fresh ${r + 1}/${FRESH}: ${order.map((n) => `${n} ${fmt(fresh[n].script.at(-1))} ms`).join(", ")}`);
}

// The report.
const summary = (pick) => summarize(names, pick);
const rows = [
  { label: "decode 1 code (ms)", ...summary((n) => perRound[n].one) },
  { label: "decode 100 codes (ms)", ...summary((n) => perRound[n].hundred) },
  { label: "fresh process: script start → first output (ms)", ...summary((n) => fresh[n].script) },
  { label: "fresh process: process start → first output (ms)", ...summary((n) => fresh[n].process) },
];
const versions = peerVersions(peersPackage);
const cpu = cpus();
console.log(`## Peers in Node (\`node bench/peers/node.mjs\`)

${new Date().toISOString().replace(/\.\d+Z$/, "Z")}; Node ${process.versions.node} (V8 ${process.versions.v8}); ${cpu[0]?.model ?? "?"}, ${cpu.length} logical cores; ${versions}.
The same network (32-64-128-256-512-784, weights of \`model/decoder.packed\`, whole weights × multiplier × scale as f32 for the peers) and the same codes (\`sampleLatents(3, 100, { seed: 1 })\`) for everyone.
Decode rows: median of ${ROUNDS} interleaved rounds' medians (range of the round medians in brackets); each round median of ${ROUND.one.samples}×${ROUND.one.inner} calls of 1 code and ${ROUND.hundred.samples} calls of 100 codes after a warm-up, pixels read back into JavaScript in every call. Fresh-process rows: median of ${FRESH} runs per runtime, interleaved; "script start" is before the first import (imports, wasm compile, weights/model load, first decode), "process start" adds Node's own start-up. Ratios: ours' time / theirs (below 1: ours is faster).

${markdownTable(rows)}

Outputs on ${checkCount} codes, largest |Δ| per pixel against a float64 forward pass of the same dequantized weights / against ours (mean |Δ| against ours): ${names.map((n) => `${RUNTIMES[n]} ${accuracy[n].vsReference.toExponential(1)} / ${accuracy[n].vsOurs.toExponential(1)} (${accuracy[n].meanVsOurs.toExponential(1)})`).join("; ")}. Ours runs the same 8-bit weights with 16-bit activations in integer dot products (src/integer_net/), so it differs from the peers only by rounding its activations; the check bounds that at 5/255 per pixel and 5e-4 on average.
Runtimes as started: ${names.map((n) => `${n} ${JSON.stringify(infos[n])}`).join("; ")}.

Round medians (ms), decode 1 code / 100 codes:
${names.map((n) => `- ${RUNTIMES[n]}: ${perRound[n].one.map(fmt).join(", ")} / ${perRound[n].hundred.map(fmt).join(", ")}`).join("\n")}`);
