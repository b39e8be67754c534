//! A network's dense layers read from a burnpack record, in plain Rust.
//!
//! The trainer saves its modules with burn (`model/decoder.bpk`, `model/encoder.q8.bpk`). The
//! page reads them here without any burn crate: a burnpack file is a 10-byte header (magic
//! `BURN`, format version 1, the metadata's length), the metadata in CBOR (each tensor's element
//! type, shape and byte range), then the tensors' bytes from the next multiple of 256. A tensor is
//! stored as f32 values, or quantized as burn stores it: one `i8` per value, padded to 4 bytes,
//! then one f16 or f32 scale per block. The layer list comes from
//! [`crate::architecture::Arch`]; the tests check that every value read here is the one burn's own
//! loading gives.

use crate::architecture::{DenseLayer, LayerShape};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The header's first four bytes, little-endian.
const MAGIC: u32 = 0x4255_524E;
/// The only format version written so far.
const FORMAT_VERSION: u16 = 1;
/// Magic, version and metadata length.
const HEADER_BYTES: usize = 10;
/// The tensors' bytes start at a multiple of this.
const DATA_ALIGNMENT: usize = 256;
/// Quantization scales start at a multiple of this after the values.
const SCALE_ALIGNMENT: usize = 4;

/// The metadata: every tensor by name.
#[derive(Deserialize)]
struct Metadata {
    tensors: BTreeMap<String, TensorEntry>,
}

/// Where one tensor's bytes are and how to read them.
#[derive(Deserialize)]
struct TensorEntry {
    dtype: ElementType,
    shape: Vec<u64>,
    /// Start and end, relative to the data section.
    data_offsets: (u64, u64),
}

/// The element types this reader accepts (the metadata names any of burn's).
#[derive(Deserialize)]
enum ElementType {
    F32,
    QFloat(Quantization),
}

/// Burn's description of a quantized tensor; every field is checked against what is supported.
#[derive(Deserialize, Debug)]
struct Quantization {
    value: String,
    store: ciborium::Value,
    mode: String,
    tensor: Option<ciborium::Value>,
    block: Option<BlockScales>,
}

/// One scale per block of `size` (trailing dimensions; leading ones span a single element).
#[derive(Deserialize, Debug)]
struct BlockScales {
    size: BlockSize,
    dtype: String,
}

#[derive(Deserialize, Debug)]
struct BlockSize {
    storage: Vec<u8>,
    len: u8,
}

/// Reads the layers of `shapes` (first to last) from the burnpack `record` of a network whose
/// dense layers are stored as `mlp.layers.{i}.weight` (`[inputs, outputs]`) and
/// `mlp.layers.{i}.bias`, in f32 or 8-bit symmetric block quantization.
pub fn read_dense_layers(record: &[u8], shapes: &[LayerShape]) -> Result<Vec<DenseLayer>, String> {
    let (metadata, data) =
        split_record(record).map_err(|e| format!("not a burnpack record: {e}"))?;
    let take = |name: String, dims: &[usize]| -> Result<Vec<f32>, String> {
        let entry = metadata
            .tensors
            .get(&name)
            .ok_or_else(|| format!("the record has no tensor {name}"))?;
        if entry
            .shape
            .iter()
            .map(|&d| d as usize)
            .ne(dims.iter().copied())
        {
            return Err(format!(
                "{name} has shape {:?}, the architecture needs {dims:?}",
                entry.shape
            ));
        }
        let values = floats(entry, dims, data).map_err(|e| format!("{name}: {e}"))?;
        if values.iter().all(|v| v.is_finite()) {
            Ok(values)
        } else {
            Err(format!("{name} holds values that are not finite numbers"))
        }
    };
    shapes
        .iter()
        .enumerate()
        .map(|(i, shape)| {
            Ok(DenseLayer {
                inputs: shape.inputs,
                weight: take(
                    format!("mlp.layers.{i}.weight"),
                    &[shape.inputs, shape.outputs],
                )?,
                bias: take(format!("mlp.layers.{i}.bias"), &[shape.outputs])?,
                activation: shape.activation,
            })
        })
        .collect()
}

/// The parsed metadata and the data section of a record.
fn split_record(record: &[u8]) -> Result<(Metadata, &[u8]), String> {
    if record.len() < HEADER_BYTES {
        return Err(format!("{} bytes, shorter than the header", record.len()));
    }
    let magic = u32::from_le_bytes(record[0..4].try_into().expect("4 bytes"));
    let version = u16::from_le_bytes(record[4..6].try_into().expect("2 bytes"));
    let length = u32::from_le_bytes(record[6..10].try_into().expect("4 bytes")) as usize;
    if magic != MAGIC {
        return Err(format!("magic number {magic:#010x}"));
    }
    if version != FORMAT_VERSION {
        return Err(format!(
            "format version {version}, this reader knows {FORMAT_VERSION}"
        ));
    }
    let metadata_bytes = record
        .get(HEADER_BYTES..HEADER_BYTES + length)
        .ok_or("the metadata runs past the end")?;
    let metadata: Metadata =
        ciborium::from_reader(metadata_bytes).map_err(|e| format!("metadata: {e}"))?;
    let data_start = (HEADER_BYTES + length).next_multiple_of(DATA_ALIGNMENT);
    Ok((metadata, record.get(data_start..).unwrap_or_default()))
}

/// The values of a stored tensor of shape `dims` as plain floats, row-major.
fn floats(entry: &TensorEntry, dims: &[usize], data: &[u8]) -> Result<Vec<f32>, String> {
    let (start, end) = entry.data_offsets;
    let bytes = usize::try_from(start)
        .ok()
        .zip(usize::try_from(end).ok())
        .and_then(|(start, end)| data.get(start..end))
        .ok_or_else(|| format!("bytes {start}..{end} lie outside the data"))?;
    let count: usize = dims.iter().product();
    match &entry.dtype {
        ElementType::F32 => {
            if bytes.len() != 4 * count {
                return Err(format!("{} bytes for {count} f32 values", bytes.len()));
            }
            Ok(bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect())
        }
        ElementType::QFloat(scheme) => dequantize(scheme, dims, bytes),
    }
}

/// The float values of a tensor quantized as burn stores [`Quantization`]: `i8` values, zero
/// padding to [`SCALE_ALIGNMENT`], then one scale per block; value × its block's scale.
fn dequantize(scheme: &Quantization, dims: &[usize], bytes: &[u8]) -> Result<Vec<f32>, String> {
    let supported = matches!(scheme.value.as_str(), "Q8F" | "Q8S")
        && scheme.store.as_text() == Some("Native")
        && scheme.mode == "Symmetric"
        && scheme.tensor.is_none();
    let block = match (&scheme.block, supported) {
        (Some(block), true) => block,
        _ => return Err(format!("unsupported quantization {scheme:?}")),
    };
    let scale_bytes = match block.dtype.as_str() {
        "F16" => 2,
        "F32" => 4,
        other => return Err(format!("unsupported scale type {other}")),
    };
    let layout = BlockLayout::new(dims, &block.size);
    let count: usize = dims.iter().product();
    let scales_start = count.next_multiple_of(SCALE_ALIGNMENT);
    if bytes.len() != scales_start + layout.blocks * scale_bytes {
        return Err(format!(
            "{} bytes for {count} values and {} scales",
            bytes.len(),
            layout.blocks
        ));
    }
    let scales: Vec<f32> = bytes[scales_start..]
        .chunks_exact(scale_bytes)
        .map(|b| match b {
            [lo, hi] => half::f16::from_le_bytes([*lo, *hi]).to_f32(),
            _ => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        })
        .collect();
    Ok(bytes[..count]
        .iter()
        .enumerate()
        .map(|(i, &q)| f32::from(q as i8) * scales[layout.block_of(i)])
        .collect())
}

/// Which block each element of a tensor belongs to.
struct BlockLayout {
    dims: Vec<usize>,
    /// The block's extent along each dimension.
    extents: Vec<usize>,
    /// Blocks along each dimension.
    counts: Vec<usize>,
    blocks: usize,
}

impl BlockLayout {
    /// The block size names the trailing dimensions (`len` of its `storage`); a tensor with fewer
    /// dimensions takes the leading entries, and extra leading dimensions have extent 1.
    fn new(dims: &[usize], size: &BlockSize) -> Self {
        let named = &size.storage[..usize::from(size.len).min(size.storage.len())];
        let used = dims.len().min(named.len());
        let mut extents = vec![1; dims.len()];
        for (extent, &size) in extents[dims.len() - used..].iter_mut().zip(named) {
            *extent = usize::from(size).max(1);
        }
        let counts: Vec<usize> = dims
            .iter()
            .zip(&extents)
            .map(|(d, e)| d.div_ceil(*e))
            .collect();
        let blocks = counts.iter().product();
        Self {
            dims: dims.to_vec(),
            extents,
            counts,
            blocks,
        }
    }

    /// The row-major index of the block holding row-major element `index`.
    fn block_of(&self, mut index: usize) -> usize {
        let (mut block, mut stride) = (0, 1);
        for dim in (0..self.dims.len()).rev() {
            let coordinate = index % self.dims[dim];
            index /= self.dims[dim];
            block += coordinate / self.extents[dim] * stride;
            stride *= self.counts[dim];
        }
        block
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::architecture::Arch;
    use crate::generator::DECODER_RECORD;

    #[test]
    fn a_wrong_architecture_or_corrupt_record_is_refused_with_a_message() {
        let error = read_dense_layers(DECODER_RECORD, &Arch::Five.decoder_layers())
            .err()
            .unwrap();
        assert!(error.contains("mlp.layers.0.weight has shape"), "{error}");
        for cut in [5, 100, 20_000] {
            let error = read_dense_layers(&DECODER_RECORD[..cut], &Arch::Nine.decoder_layers())
                .err()
                .unwrap();
            assert!(
                error.contains("burnpack") || error.contains("outside the data"),
                "{cut}: {error}"
            );
        }
        let mut wrong_magic = DECODER_RECORD.to_vec();
        wrong_magic[0] ^= 1;
        let error = read_dense_layers(&wrong_magic, &Arch::Nine.decoder_layers())
            .err()
            .unwrap();
        assert!(error.contains("magic number"), "{error}");
    }

    #[test]
    fn values_that_are_not_finite_numbers_are_refused() {
        // The first weight's first block scale set to infinity: its weights were infinities
        // and not-a-numbers.
        let (metadata, data) = split_record(DECODER_RECORD).unwrap();
        let name = "mlp.layers.0.weight";
        let entry = &metadata.tensors[name];
        let ElementType::QFloat(scheme) = &entry.dtype else {
            panic!("the committed decoder is quantized");
        };
        let count: usize = entry.shape.iter().map(|&d| d as usize).product();
        let scales = DECODER_RECORD.len() - data.len()
            + entry.data_offsets.0 as usize
            + count.next_multiple_of(SCALE_ALIGNMENT);
        let infinity: &[u8] = match scheme.block.as_ref().unwrap().dtype.as_str() {
            "F16" => &half::f16::INFINITY.to_le_bytes(),
            _ => &f32::INFINITY.to_le_bytes(),
        };
        let mut record = DECODER_RECORD.to_vec();
        record[scales..scales + infinity.len()].copy_from_slice(infinity);
        let error = read_dense_layers(&record, &Arch::Nine.decoder_layers())
            .err()
            .unwrap();
        assert!(
            error.contains(name) && error.contains("not finite"),
            "{error}"
        );
    }

    #[test]
    fn block_layouts_follow_burns_rule_for_trailing_dimensions() {
        let size = BlockSize {
            storage: vec![4, 16, 1, 1, 1],
            len: 2,
        };
        // A weight [8, 32]: blocks of 4 rows × 16 columns, 2 × 2 of them.
        let weight = BlockLayout::new(&[8, 32], &size);
        assert_eq!(weight.blocks, 4);
        assert_eq!(weight.block_of(0), 0);
        assert_eq!(weight.block_of(16), 1);
        assert_eq!(weight.block_of(4 * 32), 2);
        assert_eq!(weight.block_of(8 * 32 - 1), 3);
        // A bias [64] takes the first entry: blocks of 4.
        let bias = BlockLayout::new(&[64], &size);
        assert_eq!((bias.blocks, bias.block_of(7)), (16, 1));
    }

    /// Every value of every layer, compared exactly with burn's own loading.
    #[cfg(feature = "train")]
    mod against_burn {
        use super::*;
        use crate::train::model::{
            Decoder, Encoder, default_device, load_record_bytes, quantize_for_shipping,
        };
        use burn::module::Module;

        fn assert_same_layers(read: &[DenseLayer], reference: &[DenseLayer]) {
            assert_eq!(read.len(), reference.len());
            for (i, (a, b)) in read.iter().zip(reference).enumerate() {
                assert_eq!(a.inputs, b.inputs, "layer {i}");
                assert_eq!(a.activation, b.activation, "layer {i}");
                assert_eq!(a.weight, b.weight, "layer {i} weights");
                assert_eq!(a.bias, b.bias, "layer {i} biases");
            }
        }

        #[test]
        fn the_committed_decoder_reads_as_burn_loads_it() {
            let device = default_device();
            let reference =
                load_record_bytes(Decoder::skeleton(Arch::Nine, &device), DECODER_RECORD).unwrap();
            let read = read_dense_layers(DECODER_RECORD, &Arch::Nine.decoder_layers()).unwrap();
            assert_same_layers(&read, &reference.dense_layers());
        }

        #[test]
        fn f32_and_quantized_encoders_read_as_burn_loads_them() {
            let device = default_device();
            device.seed(3);
            let encoder = Encoder::new(Arch::Five, &device);
            let shapes = Arch::Five.encoder_layers();
            for module in [encoder.clone(), quantize_for_shipping(encoder)] {
                let bytes = module.into_record().into_bytes().unwrap();
                let reference =
                    load_record_bytes(Encoder::skeleton(Arch::Five, &device), &bytes).unwrap();
                let read = read_dense_layers(&bytes, &shapes).unwrap();
                assert_same_layers(&read, &reference.dense_layers());
            }
        }
    }
}
