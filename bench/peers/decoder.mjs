// The decoder's weights read from the file the page embeds (model/decoder.packed), the same
// network written as an ONNX model, and a plain float64 forward pass to check both against.
// No dependencies and no Node APIs: node.mjs and the browser pages both import this file.
//
// The packed file (see src/integer_net/packed.rs), little-endian: the 8-byte magic "LDQ4NET\0",
// the version (u32, 1), two CRC-32s, the payload length (u32); then the layer count (u32) and per
// layer: inputs and outputs (u32 each), the activation (u8), the largest whole weight L and the
// largest product of one and its multiplier (u16 each), one f32 scale and one f32 bias per output,
// one u8 multiplier per four outputs × group of 32 inputs × output in the four
// (`[outputs / 4][groups][4]`), then the whole weights in the kernel's order (for each four
// outputs, each pair of inputs: the four outputs' two weights): two to a byte when L ≤ 7 (the
// first in the low half), one signed byte each when L ≤ 127, else signed 16-bit, every low byte
// and then every high byte. The outputs are padded to a multiple of 4 and the inputs to an even
// number. weight = scale · multiplier · q.

const MAGIC = "LDQ4NET\0";
const HEADER_BYTES = 24;
const GROUP = 32;
const QUAD = 4;
const NIBBLE_LEVELS = 7;
const BYTE_LEVELS = 127;

/** Widths from the 32-d code to the 784 pixels. */
export const WIDTHS = [32, 64, 128, 256, 512, 784];
export const LATENT_DIM = 32;
export const PIXELS = 784;

/**
 * The dense layers of the packed decoder, first to last, as floats.
 * @param {Uint8Array} file the bytes of model/decoder.packed
 * @returns {{ inputs: number, outputs: number, weight: Float32Array, bias: Float32Array }[]}
 *   weight row-major [inputs, outputs], bias [outputs]
 */
export function readDecoder(file, widths = WIDTHS) {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = String.fromCharCode(...file.subarray(0, 8));
  if (file.length < HEADER_BYTES || magic !== MAGIC) throw new Error("not a packed network");
  const version = view.getUint32(8, true);
  if (version !== 1) throw new Error(`packed network version ${version}, this reader knows 1`);
  if (view.getUint32(20, true) !== file.length - HEADER_BYTES) throw new Error("packed network truncated");
  let at = HEADER_BYTES;
  const u32 = () => ((at += 4), view.getUint32(at - 4, true));
  const u8 = () => file[at++];
  const u16 = () => ((at += 2), view.getUint16(at - 2, true));
  const floats = (n) => Float32Array.from({ length: n }, () => ((at += 4), view.getFloat32(at - 4, true)));
  const count = u32();
  if (count !== widths.length - 1) throw new Error(`${count} layers, expected ${widths.length - 1}`);
  const layers = [];
  for (let l = 0; l < count; l++) {
    const [inputs, outputs] = [u32(), u32()];
    if (inputs !== widths[l] || outputs !== widths[l + 1]) {
      throw new Error(`layer ${l} is ${inputs} × ${outputs}, expected ${widths[l]} × ${widths[l + 1]}`);
    }
    u8(); // the activation: ReLU between layers and a sigmoid at the end, as WIDTHS implies
    const [levels] = [u16(), u16()]; // and the limit, which the weights below respect
    const [scales, bias] = [floats(outputs), floats(outputs)];
    const [paddedOutputs, pairs, groups] = [Math.ceil(outputs / QUAD) * QUAD, Math.ceil(inputs / 2), Math.ceil(inputs / GROUP)];
    const multipliers = file.subarray(at, (at += paddedOutputs * groups));
    const count = paddedOutputs * pairs * 2;
    const bytesPerWeight = levels <= NIBBLE_LEVELS ? 0.5 : levels <= BYTE_LEVELS ? 1 : 2;
    const values = file.subarray(at, (at += count * bytesPerWeight));
    const whole = (k) =>
      bytesPerWeight === 0.5 ? (((values[k >> 1] >> (4 * (k & 1))) & 0xf) << 28) >> 28
        : bytesPerWeight === 1 ? (values[k] << 24) >> 24
          : ((values[k] | (values[count + k] << 8)) << 16) >> 16;
    const weight = new Float32Array(inputs * outputs);
    for (let k = 0; k < count; k++) {
      const [quadAndPair, within] = [Math.floor(k / (2 * QUAD)), k % (2 * QUAD)];
      const [quad, pair] = [Math.floor(quadAndPair / pairs), quadAndPair % pairs];
      const [o, i] = [quad * QUAD + (within >> 1), pair * 2 + (within & 1)];
      if (o >= outputs || i >= inputs) continue;
      const multiplier = multipliers[(quad * groups + Math.floor(i / GROUP)) * QUAD + (o % QUAD)];
      weight[i * outputs + o] = whole(k) * multiplier * scales[o];
    }
    layers.push({ inputs, outputs, weight, bias });
  }
  if (at !== file.length) throw new Error(`${file.length - at} bytes after the last layer`);
  return layers;
}

/**
 * The decoder as an ONNX ModelProto (opset 13, IR version 7): per layer MatMul + Add, Relu between
 * layers, Sigmoid at the end; float32; input "codes" [n, 32], output "pixels" [n, 784] with a
 * dynamic batch dimension n; weights and biases as initializers with raw_data.
 * @returns {Uint8Array}
 */
export function onnxModel(layers) {
  const nodes = [];
  const initializers = [];
  let x = "codes";
  layers.forEach((layer, i) => {
    const w = `mlp.layers.${i}.weight`;
    const b = `mlp.layers.${i}.bias`;
    initializers.push(tensorProto(w, [layer.inputs, layer.outputs], layer.weight));
    initializers.push(tensorProto(b, [layer.outputs], layer.bias));
    nodes.push(nodeProto("MatMul", [x, w], [`matmul${i}`], `matmul${i}`));
    nodes.push(nodeProto("Add", [`matmul${i}`, b], [`add${i}`], `add${i}`));
    const last = i === layers.length - 1;
    const y = last ? "pixels" : `relu${i}`;
    nodes.push(nodeProto(last ? "Sigmoid" : "Relu", [`add${i}`], [y], last ? "sigmoid" : `relu${i}`));
    x = y;
  });
  const graph = concat(
    ...nodes.map((n) => field(1, n)),
    field(2, utf8("latent-digits decoder")),
    ...initializers.map((t) => field(5, t)),
    field(11, valueInfo("codes", ["n", layers[0].inputs])),
    field(12, valueInfo("pixels", ["n", layers[layers.length - 1].outputs])),
  );
  const opset = concat(field(1, utf8("")), varintField(2, 13));
  return concat(
    varintField(1, 7), // ir_version
    field(2, utf8("latent-digits bench/peers")), // producer_name
    field(7, graph),
    field(8, opset),
  );
}

function nodeProto(opType, inputs, outputs, name) {
  return concat(
    ...inputs.map((s) => field(1, utf8(s))),
    ...outputs.map((s) => field(2, utf8(s))),
    field(3, utf8(name)),
    field(4, utf8(opType)),
  );
}

function tensorProto(name, dims, values) {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return concat(
    ...dims.map((d) => varintField(1, d)),
    varintField(2, 1), // FLOAT
    field(8, utf8(name)),
    field(9, raw),
  );
}

/** A float32 tensor type; a string dimension is symbolic (dim_param). */
function valueInfo(name, dims) {
  const shape = concat(
    ...dims.map((d) => field(1, typeof d === "string" ? field(2, utf8(d)) : varintField(1, d))),
  );
  const tensorType = concat(varintField(1, 1), field(2, shape));
  return concat(field(1, utf8(name)), field(2, field(1, tensorType)));
}

function varint(value) {
  const out = [];
  let v = BigInt(value);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return new Uint8Array(out);
}
const varintField = (number, value) => concat(varint(number << 3), varint(value));
const field = (number, bytes) => concat(varint((number << 3) | 2), varint(bytes.length), bytes);
const utf8 = (s) => new TextEncoder().encode(s);
function concat(...parts) {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** The network in float64, `n` codes at once: a check on the reader, independent of any runtime. */
export function forwardReference(layers, codes, n) {
  let x = Float64Array.from(codes);
  layers.forEach((layer, li) => {
    const y = new Float64Array(n * layer.outputs);
    for (let r = 0; r < n; r++) {
      for (let o = 0; o < layer.outputs; o++) y[r * layer.outputs + o] = layer.bias[o];
      for (let k = 0; k < layer.inputs; k++) {
        const xv = x[r * layer.inputs + k];
        if (xv === 0) continue;
        const row = k * layer.outputs;
        for (let o = 0; o < layer.outputs; o++) y[r * layer.outputs + o] += xv * layer.weight[row + o];
      }
    }
    const last = li === layers.length - 1;
    for (let i = 0; i < y.length; i++) y[i] = last ? 1 / (1 + Math.exp(-y[i])) : Math.max(0, y[i]);
    x = y;
  });
  return Float32Array.from(x);
}

/** Largest |a[i] − b[i]|. */
export function maxAbsDiff(a, b) {
  if (a.length !== b.length) throw new Error(`lengths ${a.length} and ${b.length} differ`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Mean |a[i] − b[i]|. */
export function meanAbsDiff(a, b) {
  if (a.length !== b.length) throw new Error(`lengths ${a.length} and ${b.length} differ`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

/**
 * The check each contender passes before it is timed. Against the float64 forward pass of the
 * dequantized weights, to float32 rounding (this checks the record reader and the network). Against
 * ours, which runs the same weights with its activations rounded to 16 bits
 * (src/integer_net/): at most 5/255 per pixel and 5·10⁻⁴ on average.
 * @returns {string | null} what failed, or null
 */
export function checkOutputs(name, out, oursPixels, referencePixels) {
  const problems = [];
  const vsReference = maxAbsDiff(out, referencePixels);
  const vsOurs = maxAbsDiff(out, oursPixels);
  const meanVsOurs = meanAbsDiff(out, oursPixels);
  if (name !== "ours" && !(vsReference <= 1e-4)) problems.push(`max |Δ| ${vsReference} against float64`);
  if (!(vsOurs <= 5 / 255)) problems.push(`max |Δ| ${vsOurs} against ours`);
  if (!(meanVsOurs <= 5e-4)) problems.push(`mean |Δ| ${meanVsOurs} against ours`);
  return { vsReference, vsOurs, meanVsOurs, problem: problems.length ? `${name}: ${problems.join(", ")}` : null };
}
