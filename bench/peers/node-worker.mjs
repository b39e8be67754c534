// One contender in a long-lived child process of node.mjs (ORT's thread count is fixed once per
// process, so every runtime gets its own). It answers node.mjs's messages over IPC:
// { type: "check", codes, n } → the pixels; { type: "round", codes } → one round's medians.
import { loadNode } from "./node-load.mjs";
import { round } from "./runtimes.mjs";

const name = process.argv[2];
const runtime = await loadNode(name);
process.on("message", async (message) => {
  if (message.type === "exit") process.exit(0);
  try {
    const codes = Float32Array.from(message.codes);
    if (message.type === "check") {
      const pixels = await runtime.decode(codes, message.n);
      process.send({ pixels: Array.from(pixels) });
    } else if (message.type === "round") {
      process.send({ result: await round(runtime, codes, message.settings) });
    }
  } catch (error) {
    process.send({ error: String(error?.stack ?? error) });
  }
});
process.send({ ready: true, info: runtime.info });
