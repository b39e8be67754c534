//! The networks' forward pass in 16-bit integer dot products: the one that ships.
//!
//! Each network exists twice. `train::model`'s `Decoder` and `Encoder` (feature `train`) are the
//! references, in burn: the trainer and the command-line tool use them. [`IntegerNetwork`], here,
//! runs every encoding and decoding of the page. Both follow one layer list,
//! [`crate::architecture::Arch::decoder_layers`] or
//! [`crate::architecture::Arch::encoder_layers`]: this one
//! takes each layer's weights and [`Activation`] as [`DenseLayer`]s (read from a record by
//! [`crate::record`], or copied out of burn's module) and applies them with [`Activation::apply`],
//! so it has no layer structure of its own. The tests below check that the two agree, for every
//! architecture and for the committed model.
//!
//! WebAssembly's SIMD has no fused multiply-add for floats, but `i32x4.dot_i16x8_s` does eight
//! multiply-adds in one instruction, twice the work per instruction of `f32x4.mul` + `f32x4.add`.
//! Each layer's weights are stored once, at load, as 12-bit integers (±2047) with one scale per
//! output; each row of activations is rounded to 12 bits with one scale per row (fewer for a
//! layer with more than 512 inputs, so that every sum stays exact in `i32`: 10.4 bits for the
//! encoder's 784 pixels). The sums are exact in `i32`, then scaled back to floats for the bias,
//! the activation and the next rounding. Against the f32 forward pass a pixel moves by 2·10⁻⁴ on
//! average and by at most a few grey levels (tested below; the test-set cross-entropy is in
//! MODEL.md).

use crate::architecture::{Activation, DenseLayer};

/// Largest weight magnitude after rounding.
const WEIGHT_LEVELS: f32 = 2047.0;
/// Largest activation magnitude after rounding, where the layer's sums allow it.
const ACTIVATION_LEVELS: f32 = 2047.0;
/// Fewest activation levels accepted: a layer so wide that its rows would round more coarsely
/// than 8-bit pixels is refused.
const MIN_ACTIVATION_LEVELS: f32 = 255.0;
/// Inputs are padded to a multiple of the SIMD width (eight `i16`).
const LANES: usize = 8;
/// Outputs computed together, sharing each load of the activations.
const OUTPUT_BLOCK: usize = 4;
/// Rows of activations (an even number) that each block of weights visits in turn.
const ROW_TILE: usize = 16;

/// One dense layer with integer weights.
struct IntegerLayer {
    /// Inputs, padded to a multiple of [`LANES`].
    inputs: usize,
    /// Outputs, padded to a multiple of [`OUTPUT_BLOCK`].
    outputs: usize,
    /// Inputs and outputs before padding.
    real_inputs: usize,
    real_outputs: usize,
    /// `[outputs][inputs]`: each output's weights are contiguous.
    weights: Vec<i16>,
    /// The float value of one integer step of each output's weights.
    scales: Vec<f32>,
    /// One per output (padded).
    bias: Vec<f32>,
    /// Largest activation magnitude after rounding: every sum of `real_inputs` products stays
    /// below 2³¹.
    activation_levels: f32,
    /// Applied to each output after the bias.
    activation: Activation,
}

/// A network ready for integer inference; built once from its layers.
pub struct IntegerNetwork {
    layers: Vec<IntegerLayer>,
}

impl IntegerNetwork {
    /// Rounds the weights of `layers` (first to last) to integers with one scale per output.
    pub fn new(layers: &[DenseLayer]) -> Self {
        assert!(!layers.is_empty(), "a network has at least one layer");
        let layers = layers
            .iter()
            .map(|layer| {
                IntegerLayer::new(&layer.weight, &layer.bias, layer.inputs, layer.activation)
            })
            .collect();
        Self { layers }
    }

    /// The width of one input row.
    pub fn input_width(&self) -> usize {
        self.layers[0].real_inputs
    }

    /// Applies every layer to `input.len() / input_width()` row-major rows; returns the last
    /// layer's row-major rows.
    pub fn forward(&self, input: &[f32]) -> Vec<f32> {
        let rows = input.len() / self.input_width();
        let input = input[..rows * self.input_width()].to_vec();
        self.layers.iter().fold(input, |activations, layer| {
            layer.forward(&activations, rows)
        })
    }
}

impl IntegerLayer {
    /// `weight` is `[inputs][outputs]` row-major, as burn's `Linear` stores it.
    fn new(weight: &[f32], bias: &[f32], real_inputs: usize, activation: Activation) -> Self {
        let activation_levels =
            ACTIVATION_LEVELS.min((i32::MAX as f32 / (real_inputs as f32 * WEIGHT_LEVELS)).floor());
        assert!(
            activation_levels >= MIN_ACTIVATION_LEVELS,
            "{real_inputs} inputs would round each row to {activation_levels} levels"
        );
        let real_outputs = bias.len();
        let inputs = real_inputs.next_multiple_of(LANES);
        let outputs = real_outputs.next_multiple_of(OUTPUT_BLOCK);
        let mut largest = vec![0.0f32; real_outputs];
        for row in weight.chunks_exact(real_outputs) {
            for (m, w) in largest.iter_mut().zip(row) {
                *m = larger(*m, w.abs());
            }
        }
        let mut scales = vec![1.0; outputs];
        for (scale, &m) in scales.iter_mut().zip(&largest) {
            if m > 0.0 {
                *scale = m / WEIGHT_LEVELS;
            }
        }
        let inverse: Vec<f32> = scales.iter().map(|s| 1.0 / s).collect();
        let mut weights = vec![0i16; outputs * inputs];
        for (i, row) in weight.chunks_exact(real_outputs).enumerate() {
            for (o, &w) in row.iter().enumerate() {
                weights[o * inputs + i] = (w * inverse[o]).round_ties_even() as i16;
            }
        }
        let mut padded_bias = bias.to_vec();
        padded_bias.resize(outputs, 0.0);
        Self {
            inputs,
            outputs,
            real_inputs,
            real_outputs,
            weights,
            scales,
            bias: padded_bias,
            activation_levels,
            activation,
        }
    }

    /// `rows` rows of activations in, `rows` rows of `real_outputs` activations out.
    fn forward(&self, input: &[f32], rows: usize) -> Vec<f32> {
        let width = input.len() / rows.max(1);
        // An even number of rows: the kernel works on pairs.
        let padded_rows = rows.next_multiple_of(2);
        let mut quantized = vec![0i16; padded_rows * self.inputs];
        let mut row_scales = vec![0.0f32; padded_rows];
        for r in 0..rows {
            let row = &input[r * width..(r + 1) * width];
            let largest = row.iter().fold(0.0f32, |m, x| larger(m, x.abs()));
            let scale = if largest > 0.0 {
                largest / self.activation_levels
            } else {
                1.0
            };
            row_scales[r] = scale;
            let inverse = 1.0 / scale;
            for (q, x) in quantized[r * self.inputs..].iter_mut().zip(row) {
                *q = (x * inverse).round_ties_even() as i16;
            }
        }
        let mut output = vec![0.0f32; rows * self.real_outputs];
        // A tile of rows stays in the L1 cache while every weight block passes over it once.
        for tile in (0..padded_rows).step_by(ROW_TILE) {
            let tile_end = (tile + ROW_TILE).min(padded_rows);
            for block in (0..self.outputs).step_by(OUTPUT_BLOCK) {
                let w = &self.weights[block * self.inputs..(block + OUTPUT_BLOCK) * self.inputs];
                for r in (tile..tile_end).step_by(2) {
                    let x0 = &quantized[r * self.inputs..(r + 1) * self.inputs];
                    let x1 = &quantized[(r + 1) * self.inputs..(r + 2) * self.inputs];
                    let sums = dot_block(x0, x1, w);
                    for (k, row_sums) in sums.iter().enumerate().take(rows - r) {
                        let out_row = &mut output[(r + k) * self.real_outputs..];
                        for (j, &sum) in row_sums.iter().enumerate() {
                            let o = block + j;
                            if o < self.real_outputs {
                                let value =
                                    sum as f32 * row_scales[r + k] * self.scales[o] + self.bias[o];
                                out_row[o] = self.activation.apply(value);
                            }
                        }
                    }
                }
            }
        }
        output
    }
}

/// The larger of two numbers. Unlike `f32::max`, which wasm builds call as a library function
/// for its NaN rules, this is one comparison (the decoder's inputs are checked to be finite).
fn larger(a: f32, b: f32) -> f32 {
    if a > b { a } else { b }
}

/// Dot products of two activation rows with four weight rows (`w` holds them one after another):
/// `result[row][j] = Σ x_row · w_j`.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn dot_block(x0: &[i16], x1: &[i16], w: &[i16]) -> [[i32; OUTPUT_BLOCK]; 2] {
    use core::arch::wasm32::{
        i32x4_add, i32x4_dot_i16x8, i32x4_extract_lane, i32x4_splat, v128, v128_load,
    };
    let n = x0.len();
    assert!(x1.len() == n && w.len() == OUTPUT_BLOCK * n && n.is_multiple_of(LANES));
    let mut acc0 = [i32x4_splat(0); OUTPUT_BLOCK];
    let mut acc1 = [i32x4_splat(0); OUTPUT_BLOCK];
    for k in (0..n).step_by(LANES) {
        // SAFETY: k + 8 ≤ n, and every row read below holds n values (asserted above);
        // `v128_load` makes unaligned loads.
        unsafe {
            let a0 = v128_load(x0.as_ptr().add(k).cast::<v128>());
            let a1 = v128_load(x1.as_ptr().add(k).cast::<v128>());
            for j in 0..OUTPUT_BLOCK {
                let b = v128_load(w.as_ptr().add(j * n + k).cast::<v128>());
                acc0[j] = i32x4_add(acc0[j], i32x4_dot_i16x8(a0, b));
                acc1[j] = i32x4_add(acc1[j], i32x4_dot_i16x8(a1, b));
            }
        }
    }
    let total = |v: v128| {
        i32x4_extract_lane::<0>(v)
            + i32x4_extract_lane::<1>(v)
            + i32x4_extract_lane::<2>(v)
            + i32x4_extract_lane::<3>(v)
    };
    [acc0.map(total), acc1.map(total)]
}

/// Dot products of two activation rows with four weight rows (`w` holds them one after another):
/// `result[row][j] = Σ x_row · w_j`.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn dot_block(x0: &[i16], x1: &[i16], w: &[i16]) -> [[i32; OUTPUT_BLOCK]; 2] {
    let n = x0.len();
    let dot = |x: &[i16], j: usize| -> i32 {
        x.iter()
            .zip(&w[j * n..(j + 1) * n])
            .map(|(&a, &b)| i32::from(a) * i32::from(b))
            .sum()
    };
    [x0, x1].map(|x| std::array::from_fn(|j| dot(x, j)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_row_and_a_single_row_decode() {
        let layer =
            |activation| IntegerLayer::new(&[1.0, -2.0, 0.5, 4.0], &[0.25, 0.0], 2, activation);
        // x = (2, 1): outputs 2·1 + 1·0.5 + 0.25 = 2.75 and 2·(−2) + 1·4 = 0.
        let out = layer(Activation::Identity).forward(&[2.0, 1.0], 1);
        assert!(
            (out[0] - 2.75).abs() < 1e-2 && out[1].abs() < 1e-2,
            "{out:?}"
        );
        assert_eq!(
            layer(Activation::Relu).forward(&[0.0, 0.0], 1),
            vec![0.25, 0.0]
        );
    }

    /// The shipped forward pass against burn's, the reference.
    #[cfg(feature = "train")]
    mod against_burn {
        use super::*;
        use crate::architecture::{Arch, IMAGE_PIXELS, LATENT_DIM};
        use crate::generator::EMBEDDED_DECODER;
        use crate::train::model::{Decoder, Encoder, default_device, load_record_bytes};
        use burn::tensor::{Tensor, TensorData};

        #[test]
        fn integer_pixels_match_the_float_decoder_of_the_committed_model() {
            let device = default_device();
            let decoder =
                load_record_bytes(Decoder::skeleton(Arch::Nine, &device), EMBEDDED_DECODER)
                    .unwrap();
            let fast = IntegerNetwork::new(&decoder.dense_layers());
            // Mixture samples of every digit, an odd count of rows.
            let stats = crate::artifact::decode(crate::generator::EMBEDDED_STATS).unwrap();
            let mut rng = crate::latent::rng_for(5, 0);
            let mut codes = Vec::new();
            for class in &stats.classes {
                codes.extend(
                    class
                        .sample(7, crate::latent::Method::Mixture, 1.0, &mut rng)
                        .latents,
                );
            }
            let exact = decoder.decode_slice(&codes, &device);
            let integer = fast.forward(&codes);
            let (worst, mean) = differences(&exact, &integer);
            assert!(mean < 5e-4, "mean pixel difference {mean}");
            assert!(worst < 5.0 / 255.0, "largest pixel difference {worst}");
            assert!(integer.iter().any(|&p| p > 0.5) && integer.iter().any(|&p| p < 0.1));
        }

        /// Largest and mean absolute difference between two equally long lists of pixels.
        fn differences(a: &[f32], b: &[f32]) -> (f32, f32) {
            assert_eq!(a.len(), b.len());
            let worst = a
                .iter()
                .zip(b)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f32::max);
            let mean = a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32;
            (worst, mean)
        }

        /// How far the two forward passes may differ on a freshly initialised decoder, per pixel at
        /// most (one grey level) and on average; measured with 9 layers: 0.0019 and 2.6·10⁻⁴.
        const FRESH_WORST: f32 = 1.0 / 255.0;
        const FRESH_MEAN: f32 = 5e-4;

        #[test]
        fn both_forward_passes_agree_on_random_codes_for_every_architecture() {
            use rand::RngExt;
            let device = default_device();
            let mut rng = crate::latent::rng_for(9, 0);
            // An odd number of rows: the kernel pairs them.
            let codes: Vec<f32> = (0..25 * LATENT_DIM)
                .map(|_| rng.sample(rand_distr::StandardNormal))
                .collect();
            for (seed, arch) in [Arch::One, Arch::Five, Arch::Nine].into_iter().enumerate() {
                device.seed(seed as u64);
                let decoder = Decoder::new(arch, &device);
                let reference = decoder.decode_slice(&codes, &device);
                let shipped = IntegerNetwork::new(&decoder.dense_layers()).forward(&codes);
                let (worst, mean) = differences(&reference, &shipped);
                assert!(
                    worst < FRESH_WORST && mean < FRESH_MEAN,
                    "{arch:?}: pixels differ by {worst} at most and {mean} on average"
                );
                // The pixels are spread out, so a wrong activation would show.
                let spread = reference.iter().fold(0.0f32, |m, p| m.max((p - 0.5).abs()));
                assert!(spread > 0.25, "{arch:?}: every pixel within {spread} of ½");
            }
        }

        #[test]
        fn the_encoder_agrees_with_burns_for_every_architecture() {
            use rand::RngExt;
            let device = default_device();
            let mut rng = crate::latent::rng_for(4, 0);
            // Pixels in [0, 1], most of them dark as in MNIST; an odd number of rows.
            let rows = 15;
            let images: Vec<f32> = (0..rows * IMAGE_PIXELS)
                .map(|_| (rng.random::<f32>() * 2.0 - 1.0).max(0.0))
                .collect();
            for (seed, arch) in [Arch::One, Arch::Five, Arch::Nine].into_iter().enumerate() {
                device.seed(seed as u64 + 20);
                let encoder = Encoder::new(arch, &device);
                let input = Tensor::<2>::from_data(
                    TensorData::new(images.clone(), [rows, IMAGE_PIXELS]),
                    &device,
                );
                let reference: Vec<f32> = encoder.encode(input).into_data().try_to_vec().unwrap();
                let shipped = IntegerNetwork::new(&encoder.dense_layers()).forward(&images);
                assert_eq!(shipped.len(), rows * LATENT_DIM);
                // Relative to the codes' spread: the 784-input layer rounds rows to 10.4 bits.
                let spread =
                    reference.iter().map(|c| c.abs()).sum::<f32>() / reference.len() as f32;
                let (worst, mean) = differences(&reference, &shipped);
                assert!(
                    worst < 0.05 * spread && mean < 0.005 * spread,
                    "{arch:?}: codes differ by {worst} at most and {mean} on average (spread {spread})"
                );
            }
        }
    }
}
