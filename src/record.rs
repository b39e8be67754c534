//! A network's dense layers read from a burnpack record, without burn's tensor operations.
//!
//! The trainer saves its modules with burn (`model/decoder.bpk`, `model/encoder.q8.bpk`). The
//! generator reads them here, with burn-pack's reader and burn's description of the quantized
//! bytes, and dequantizes in plain Rust: loading a record through a burn module would link a
//! backend's kernels into the wasm module, where nothing else needs them. The layer list comes
//! from [`crate::model::Arch`]; the tests check that every value read here is the one burn's own
//! loading gives.

use crate::model::{DenseLayer, LayerShape};
use burn::tensor::quantization::{BlockLayout, QuantMode, QuantValue, QuantizedBytes};
use burn::tensor::{Bytes, DType, Shape};
use burn_pack::Reader;
use std::collections::BTreeMap;

/// One tensor of a record: its type, shape and bytes.
struct StoredTensor {
    dtype: DType,
    shape: Shape,
    bytes: Bytes,
}

/// Reads the layers of `shapes` (first to last) from the burnpack `record` of a network whose
/// dense layers are stored as `mlp.layers.{i}.weight` (`[inputs, outputs]`) and
/// `mlp.layers.{i}.bias`, in f32 or 8-bit symmetric quantization.
pub fn read_dense_layers(record: &[u8], shapes: &[LayerShape]) -> Result<Vec<DenseLayer>, String> {
    let mut tensors: BTreeMap<String, StoredTensor> =
        Reader::from_bytes(Bytes::from_bytes_vec(record.to_vec()))
            .and_then(Reader::into_tensors)
            .map_err(|e| format!("not a burnpack record: {e}"))?
            .into_iter()
            .map(|tensor| {
                let (name, dtype, shape, _, bytes) = tensor
                    .into_parts()
                    .map_err(|e| format!("tensor data: {e}"))?;
                Ok((
                    name,
                    StoredTensor {
                        dtype,
                        shape,
                        bytes,
                    },
                ))
            })
            .collect::<Result<_, String>>()?;
    let mut take = |name: String, dims: &[usize]| -> Result<Vec<f32>, String> {
        let tensor = tensors
            .remove(&name)
            .ok_or_else(|| format!("the record has no tensor {name}"))?;
        if tensor.shape.as_slice() != dims {
            return Err(format!(
                "{name} has shape {:?}, the architecture needs {dims:?}",
                tensor.shape.as_slice()
            ));
        }
        floats(tensor).map_err(|e| format!("{name}: {e}"))
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

/// The values of a stored tensor as plain floats, row-major.
fn floats(tensor: StoredTensor) -> Result<Vec<f32>, String> {
    match tensor.dtype {
        DType::F32 => Ok(tensor
            .bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()),
        DType::QFloat(scheme) => {
            if scheme.mode != QuantMode::Symmetric
                || !matches!(scheme.value, QuantValue::Q8F | QuantValue::Q8S)
            {
                return Err(format!("unsupported quantization {scheme:?}"));
            }
            let (values, scales) = QuantizedBytes {
                bytes: tensor.bytes,
                scheme,
                shape: tensor.shape.clone(),
            }
            .into_vec_i8();
            if scales.global.is_some() {
                return Err(format!("unsupported two-level quantization {scheme:?}"));
            }
            let scale_of: Box<dyn Fn(usize) -> f32> = match scheme.block_size() {
                Some(block) => {
                    let layout = BlockLayout::new(&tensor.shape, &block);
                    if layout.num_blocks() != scales.block.len() {
                        return Err(format!(
                            "{} block scales for {} blocks",
                            scales.block.len(),
                            layout.num_blocks()
                        ));
                    }
                    Box::new(move |i| scales.block[layout.block_of(i)])
                }
                None => {
                    let scale = *scales.block.first().ok_or("no scale")?;
                    Box::new(move |_| scale)
                }
            };
            Ok(values
                .iter()
                .enumerate()
                .map(|(i, &q)| f32::from(q) * scale_of(i))
                .collect())
        }
        other => Err(format!("unsupported element type {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::EMBEDDED_DECODER;
    use crate::model::{
        Arch, Decoder, Encoder, default_device, load_record_bytes, quantize_for_shipping,
    };
    use burn::module::Module;

    /// Every value of every layer, compared exactly.
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
            load_record_bytes(Decoder::skeleton(Arch::Nine, &device), EMBEDDED_DECODER).unwrap();
        let read = read_dense_layers(EMBEDDED_DECODER, &Arch::Nine.decoder_layers()).unwrap();
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

    #[test]
    fn a_wrong_architecture_or_corrupt_record_is_refused_with_a_message() {
        let error = read_dense_layers(EMBEDDED_DECODER, &Arch::Five.decoder_layers())
            .err()
            .unwrap();
        assert!(error.contains("mlp.layers.0.weight has shape"), "{error}");
        let error = read_dense_layers(&EMBEDDED_DECODER[..100], &Arch::Nine.decoder_layers())
            .err()
            .unwrap();
        assert!(error.contains("burnpack"), "{error}");
    }
}
