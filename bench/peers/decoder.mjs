// The decoder's weights read from the committed burnpack record (model/decoder.bpk), the same
// network written as an ONNX model, and a plain float64 forward pass to check both against.
// No dependencies and no Node APIs: node.mjs and the browser pages both import this file.
//
// A burnpack record (see src/record.rs): u32 magic "BURN" (0x4255524E), u16 version 1, u32
// metadata length, little-endian; the metadata in CBOR ({ tensors: { name: { dtype, shape,
// data_offsets: [start, end] } } }); the tensors' bytes from the next multiple of 256 after the
// header and metadata, offsets relative to that. A tensor is f32, or burn's 8-bit symmetric block
// quantization: one int8 per value, zero padding to a multiple of 4, then one f16 (or f32) scale
// per block; value = int8 × its block's scale.

const MAGIC = 0x4255524e;
const HEADER_BYTES = 10;
const DATA_ALIGNMENT = 256;
const SCALE_ALIGNMENT = 4;

/** Widths from the 32-d code to the 784 pixels. */
export const WIDTHS = [32, 64, 128, 256, 512, 784];
export const LATENT_DIM = 32;
export const PIXELS = 784;

/**
 * The dense layers of a decoder record, first to last.
 * @param {Uint8Array} record the bytes of model/decoder.bpk
 * @returns {{ inputs: number, outputs: number, weight: Float32Array, bias: Float32Array }[]}
 *   weight row-major [inputs, outputs], bias [outputs]
 */
export function readDecoder(record, widths = WIDTHS) {
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  if (record.length < HEADER_BYTES) throw new Error("not a burnpack record: too short");
  const magic = view.getUint32(0, true);
  const version = view.getUint16(4, true);
  const length = view.getUint32(6, true);
  if (magic !== MAGIC) throw new Error(`not a burnpack record: magic 0x${magic.toString(16)}`);
  if (version !== 1) throw new Error(`burnpack format version ${version}, this reader knows 1`);
  const metadata = decodeCbor(record.subarray(HEADER_BYTES, HEADER_BYTES + length));
  const dataStart = Math.ceil((HEADER_BYTES + length) / DATA_ALIGNMENT) * DATA_ALIGNMENT;
  const data = record.subarray(dataStart);
  const take = (name, dims) => {
    const entry = metadata.tensors[name];
    if (!entry) throw new Error(`the record has no tensor ${name}`);
    if (entry.shape.length !== dims.length || entry.shape.some((d, i) => Number(d) !== dims[i])) {
      throw new Error(`${name} has shape [${entry.shape}], expected [${dims}]`);
    }
    const [start, end] = entry.data_offsets.map(Number);
    if (end > data.length || start > end) throw new Error(`${name}: bytes ${start}..${end} lie outside the data`);
    return tensorFloats(name, entry.dtype, dims, data.subarray(start, end));
  };
  const layers = [];
  for (let i = 0; i + 1 < widths.length; i++) {
    const [inputs, outputs] = [widths[i], widths[i + 1]];
    layers.push({
      inputs,
      outputs,
      weight: take(`mlp.layers.${i}.weight`, [inputs, outputs]),
      bias: take(`mlp.layers.${i}.bias`, [outputs]),
    });
  }
  return layers;
}

function tensorFloats(name, dtype, dims, bytes) {
  const count = dims.reduce((a, b) => a * b, 1);
  if (dtype === "F32") {
    if (bytes.length !== 4 * count) throw new Error(`${name}: ${bytes.length} bytes for ${count} f32 values`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, true));
  }
  const scheme = dtype && dtype.QFloat;
  const supported =
    scheme &&
    (scheme.value === "Q8F" || scheme.value === "Q8S") &&
    scheme.store === "Native" &&
    scheme.mode === "Symmetric" &&
    scheme.tensor == null &&
    scheme.block &&
    (scheme.block.dtype === "F16" || scheme.block.dtype === "F32");
  if (!supported) throw new Error(`${name}: unsupported dtype ${JSON.stringify(dtype)}`);
  const scaleBytes = scheme.block.dtype === "F16" ? 2 : 4;
  const layout = blockLayout(dims, scheme.block.size);
  const scalesStart = Math.ceil(count / SCALE_ALIGNMENT) * SCALE_ALIGNMENT;
  if (bytes.length !== scalesStart + layout.blocks * scaleBytes) {
    throw new Error(`${name}: ${bytes.length} bytes for ${count} values and ${layout.blocks} scales`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const scales = new Float32Array(layout.blocks);
  for (let b = 0; b < layout.blocks; b++) {
    const at = scalesStart + b * scaleBytes;
    scales[b] = scaleBytes === 2 ? f16(view.getUint16(at, true)) : view.getFloat32(at, true);
  }
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = view.getInt8(i) * scales[layout.blockOf(i)];
  return values;
}

/**
 * burn's block rule (src/record.rs, BlockLayout): the block size names the trailing dimensions
 * (the first `len` entries of `storage`); a tensor with fewer dimensions takes the leading
 * entries, extra leading dimensions have extent 1. For the decoder: a weight [in, out] has blocks
 * of 4 rows × 16 columns, block (row/4)·(out/16) + col/16; a bias blocks of 4 values.
 */
function blockLayout(dims, size) {
  const named = size.storage.slice(0, Math.min(Number(size.len), size.storage.length)).map(Number);
  const used = Math.min(dims.length, named.length);
  const extents = dims.map(() => 1);
  for (let k = 0; k < used; k++) extents[dims.length - used + k] = Math.max(1, named[k]);
  const counts = dims.map((d, k) => Math.ceil(d / extents[k]));
  const blocks = counts.reduce((a, b) => a * b, 1);
  return {
    blocks,
    blockOf(index) {
      let block = 0;
      let stride = 1;
      for (let k = dims.length - 1; k >= 0; k--) {
        const coordinate = index % dims[k];
        index = Math.floor(index / dims[k]);
        block += Math.floor(coordinate / extents[k]) * stride;
        stride *= counts[k];
      }
      return block;
    },
  };
}

/** An IEEE 754 half-precision value from its 16 bits. */
export function f16(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/**
 * A minimal CBOR decoder (RFC 8949) for the record's metadata: integers, byte and text strings,
 * arrays, maps, tags (ignored), simple values and floats; definite and indefinite lengths.
 */
export function decodeCbor(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder();
  let at = 0;
  const BREAK = Symbol("break");
  const argument = (info) => {
    if (info < 24) return info;
    if (info === 24) return view.getUint8(at++);
    if (info === 25) { const v = view.getUint16(at); at += 2; return v; }
    if (info === 26) { const v = view.getUint32(at); at += 4; return v; }
    if (info === 27) { const v = view.getBigUint64(at); at += 8; return Number(v); }
    if (info === 31) return -1; // indefinite length
    throw new Error(`CBOR: reserved additional information ${info} at byte ${at - 1}`);
  };
  const chunks = (major, info, read) => {
    if (info !== 31) return read(argument(info));
    const parts = [];
    for (;;) {
      if (view.getUint8(at) === 0xff) { at++; break; }
      const head = view.getUint8(at++);
      if (head >> 5 !== major) throw new Error("CBOR: bad indefinite-length string chunk");
      parts.push(read(argument(head & 31)));
    }
    return parts;
  };
  const item = () => {
    const head = view.getUint8(at++);
    const major = head >> 5;
    const info = head & 31;
    switch (major) {
      case 0: return argument(info);
      case 1: return -1 - argument(info);
      case 2: {
        const read = (n) => { const v = bytes.slice(at, at + n); at += n; return v; };
        const v = chunks(2, info, read);
        if (!Array.isArray(v)) return v;
        const all = new Uint8Array(v.reduce((s, p) => s + p.length, 0));
        let o = 0;
        for (const p of v) { all.set(p, o); o += p.length; }
        return all;
      }
      case 3: {
        const read = (n) => { const v = text.decode(bytes.subarray(at, at + n)); at += n; return v; };
        const v = chunks(3, info, read);
        return Array.isArray(v) ? v.join("") : v;
      }
      case 4: {
        const n = argument(info);
        const list = [];
        if (n < 0) for (let v = item(); v !== BREAK; v = item()) list.push(v);
        else for (let i = 0; i < n; i++) list.push(item());
        return list;
      }
      case 5: {
        const n = argument(info);
        const map = {};
        if (n < 0) for (let k = item(); k !== BREAK; k = item()) map[k] = item();
        else for (let i = 0; i < n; i++) { const k = item(); map[k] = item(); }
        return map;
      }
      case 6: argument(info); return item();
      default: {
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        if (info === 23) return undefined;
        if (info === 24) { at++; return undefined; }
        if (info === 25) { const v = f16(view.getUint16(at)); at += 2; return v; }
        if (info === 26) { const v = view.getFloat32(at); at += 4; return v; }
        if (info === 27) { const v = view.getFloat64(at); at += 8; return v; }
        if (info === 31) return BREAK;
        return undefined;
      }
    }
  };
  const value = item();
  return value;
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
 * ours, the bound the project's own tests put on its 12-bit integer forward pass
 * (src/integer_net.rs): at most 5/255 per pixel and 5·10⁻⁴ on average.
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
