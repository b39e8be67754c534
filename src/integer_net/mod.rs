//! The networks' forward pass in integer dot products: the one that ships.
//!
//! Each network exists twice. `train::model`'s `Decoder` and `Encoder` (feature `train`) are the
//! references, in burn, which train. [`IntegerNetwork`], here, runs every encoding and decoding of
//! the page and of the command-line tool. Both follow one layer list,
//! [`crate::architecture::Arch::decoder_layers`] or [`crate::architecture::Arch::encoder_layers`]:
//! this one takes each layer's weights and [`Activation`] as [`DenseLayer`]s (read from a record
//! by `crate::record`, natively, or copied out of burn's module) and rounds them, or takes them
//! ready-made from the shipped file ([`packed`]). The tests below check that the two agree, for every architecture and for
//! the committed model.
//!
//! WebAssembly's SIMD has no fused multiply-add for floats, but `i32x4.dot_i16x8_s` does eight
//! multiply-adds in one instruction (x86's `pmaddwd`, which the native build uses, is the same).
//! Weights are 8-bit integers with one scale per output, stored in the kernel's order: for each
//! four outputs and each two inputs, the eight weights side by side, so that one dot product of
//! them with the two inputs repeated gives one sum for each of the four outputs, and no
//! horizontal sums are needed (`kernel.rs`). Each row of activations is rounded to 16 bits with one
//! scale per row (fewer for a layer so wide that a sum could leave `i32`). The sums are exact,
//! then scaled back to floats for the bias, the activation and the next rounding, four outputs at
//! a time. Against the f32 forward pass a pixel moves by about 10⁻⁴ on average and by at most a
//! few grey levels (tested below; the test-set cross-entropy is in MODEL.md).

mod kernel;
mod lanes;
pub mod packed;

use crate::architecture::{Activation, DenseLayer, LayerShape};
use packed::Precision;

/// Largest magnitude of a layer's whole weights, stored in 8 bits or in 16.
const NARROW_LIMIT: i32 = 127;
const WIDE_LIMIT: i32 = 2047;
/// Largest activation magnitude after rounding, where the layer's sums allow it.
const ACTIVATION_LEVELS: f32 = 32767.0;
/// Fewest activation levels accepted: a layer so wide that its rows would round more coarsely
/// than 8-bit pixels is refused.
const MIN_ACTIVATION_LEVELS: f32 = 255.0;
/// Outputs whose weights are interleaved, so that one dot product gives a sum of each.
const QUAD: usize = 4;

/// One dense layer with integer weights in the kernel's order.
struct IntegerLayer {
    /// Inputs, padded to an even number.
    inputs: usize,
    /// Outputs, padded to a multiple of [`QUAD`].
    outputs: usize,
    /// Inputs and outputs before padding.
    real_inputs: usize,
    real_outputs: usize,
    /// `[outputs / 4][inputs / 2][4][2]`: for each quad of outputs and each pair of inputs, the
    /// weights of the four outputs at the two inputs.
    weights: Weights,
    /// The float value of one integer step of each output's weights (padded).
    scales: Vec<f32>,
    /// One per output (padded).
    bias: Vec<f32>,
    /// Largest activation magnitude after rounding: every sum of `real_inputs` products stays
    /// below 2³¹.
    activation_levels: f32,
    /// Applied to each output after the bias.
    activation: Activation,
}

/// A layer's whole weights in the kernel's order, in 8 bits (the decoder's) or in 16 (where 8
/// round too coarsely: the encoder's, whose 784 inputs share each output's scale).
enum Weights {
    Narrow(Vec<i8>),
    Wide(Vec<i16>),
}

impl Weights {
    /// `len` zeros, in 16 bits if `wide`.
    fn zeros(len: usize, wide: bool) -> Self {
        if wide {
            Self::Wide(vec![0; len])
        } else {
            Self::Narrow(vec![0; len])
        }
    }

    /// The largest magnitude a weight may have.
    fn limit(&self) -> i32 {
        match self {
            Self::Narrow(_) => NARROW_LIMIT,
            Self::Wide(_) => WIDE_LIMIT,
        }
    }

    /// Sets weight `at` to `value`, clamped to the limit.
    fn set(&mut self, at: usize, value: i32) {
        let value = value.clamp(-self.limit(), self.limit());
        match self {
            Self::Narrow(weights) => weights[at] = value as i8,
            Self::Wide(weights) => weights[at] = value as i16,
        }
    }
}

/// A network ready for integer inference.
pub struct IntegerNetwork {
    layers: Vec<IntegerLayer>,
}

impl IntegerNetwork {
    /// Rounds the weights of `layers` (first to last) to `precision`, as [`packed::pack`] does.
    pub fn new(layers: &[DenseLayer], precision: Precision) -> Self {
        assert!(!layers.is_empty(), "a network has at least one layer");
        let layers = layers
            .iter()
            .map(|layer| packed::rounded_layer(layer, precision))
            .collect();
        Self { layers }
    }

    /// The width of one input row.
    pub fn input_width(&self) -> usize {
        self.layers[0].real_inputs
    }

    /// The layers' shapes, first to last.
    pub fn shapes(&self) -> Vec<LayerShape> {
        self.layers
            .iter()
            .map(|layer| LayerShape {
                inputs: layer.real_inputs,
                outputs: layer.real_outputs,
                activation: layer.activation,
            })
            .collect()
    }

    /// Applies every layer to `input.len() / input_width()` row-major rows; returns the last
    /// layer's row-major rows.
    pub fn forward(&self, input: &[f32]) -> Vec<f32> {
        let rows = input.len() / self.input_width();
        let widest = |width: fn(&IntegerLayer) -> usize| {
            self.layers.iter().map(width).max().expect("one layer")
        };
        // Two buffers serve every layer: its rounded inputs, and its outputs.
        let mut quantized = vec![0i16; rows * widest(|layer| layer.inputs)];
        let mut outputs = vec![0.0f32; rows * widest(|layer| layer.outputs)];
        let mut row_scales = vec![0.0f32; rows];
        self.layers[0].round_rows(
            input,
            self.input_width(),
            rows,
            &mut quantized,
            &mut row_scales,
        );
        for (i, layer) in self.layers.iter().enumerate() {
            kernel::apply(layer, &quantized, &row_scales, rows, &mut outputs);
            if let Some(next) = self.layers.get(i + 1) {
                next.round_rows(
                    &outputs,
                    layer.outputs,
                    rows,
                    &mut quantized,
                    &mut row_scales,
                );
            }
        }
        let last = self.layers.last().expect("one layer");
        if last.outputs != last.real_outputs {
            let real = last.real_outputs;
            for r in 0..rows {
                outputs.copy_within(r * last.outputs..r * last.outputs + real, r * real);
            }
        }
        outputs.truncate(rows * last.real_outputs);
        outputs
    }
}

impl IntegerLayer {
    /// A layer of `real_inputs` inputs and `bias.len()` outputs whose weight from input `i` to
    /// output `o` is `integer(o, i) · scales[o]`, in 16 bits if `wide`.
    fn from_integers(
        real_inputs: usize,
        integer: impl Fn(usize, usize) -> i32,
        scales: Vec<f32>,
        bias: &[f32],
        activation: Activation,
        wide: bool,
    ) -> Self {
        let mut layer = Self::empty(real_inputs, bias.len(), scales, bias, activation, wide);
        let pairs = layer.inputs / 2;
        for at in 0..layer.inputs * layer.outputs {
            let (o, i) = kernel_position(at, pairs);
            if o < layer.real_outputs && i < real_inputs {
                layer.weights.set(at, integer(o, i));
            }
        }
        layer
    }

    /// A layer with every weight zero (in 16 bits if `wide`), to be filled in the kernel's order.
    fn empty(
        real_inputs: usize,
        real_outputs: usize,
        mut scales: Vec<f32>,
        bias: &[f32],
        activation: Activation,
        wide: bool,
    ) -> Self {
        let inputs = real_inputs.next_multiple_of(2);
        let outputs = real_outputs.next_multiple_of(QUAD);
        let activation_levels = Self::activation_levels(real_inputs, wide)
            .unwrap_or_else(|| panic!("{real_inputs} inputs round each row too coarsely"));
        let weights = Weights::zeros(outputs * inputs, wide);
        scales.resize(outputs, 1.0);
        let mut bias = bias.to_vec();
        bias.resize(outputs, 0.0);
        Self {
            inputs,
            outputs,
            real_inputs,
            real_outputs,
            weights,
            scales,
            bias,
            activation_levels,
            activation,
        }
    }

    /// The largest activation magnitude after rounding for `real_inputs` inputs whose whole
    /// weights reach the limit of 8 bits (16 if `wide`), so that every sum of products stays
    /// below 2³¹; `None` for a layer so wide that its rows would round more coarsely than
    /// [`MIN_ACTIVATION_LEVELS`].
    fn activation_levels(real_inputs: usize, wide: bool) -> Option<f32> {
        let limit = if wide { WIDE_LIMIT } else { NARROW_LIMIT };
        let largest_sum = real_inputs as f32 * limit as f32;
        let levels = ACTIVATION_LEVELS.min((i32::MAX as f32 / largest_sum).floor());
        (levels >= MIN_ACTIVATION_LEVELS).then_some(levels)
    }

    /// Rounds `rows` rows of `real_inputs` activations (`width` apart in `activations`) into
    /// `quantized` (`inputs` apart, padded with zeros), with one scale per row into `row_scales`.
    fn round_rows(
        &self,
        activations: &[f32],
        width: usize,
        rows: usize,
        quantized: &mut [i16],
        row_scales: &mut [f32],
    ) {
        for (r, scale) in row_scales[..rows].iter_mut().enumerate() {
            let row = &activations[r * width..r * width + self.real_inputs];
            let out = &mut quantized[r * self.inputs..(r + 1) * self.inputs];
            *scale = kernel::round_row(row, self.activation_levels, out);
        }
    }
}

/// The output and input of the weight at index `at` of a layer's weights in the kernel's order,
/// with `pairs` pairs of inputs.
fn kernel_position(at: usize, pairs: usize) -> (usize, usize) {
    let (quad_and_pair, within) = (at / (2 * QUAD), at % (2 * QUAD));
    let (quad, pair) = (quad_and_pair / pairs, quad_and_pair % pairs);
    (quad * QUAD + within / 2, pair * 2 + within % 2)
}

/// The larger of two numbers. Unlike `f32::max`, which wasm builds call as a library function
/// for its NaN rules, this is one comparison (the decoder's inputs are checked to be finite).
fn larger(a: f32, b: f32) -> f32 {
    if a > b { a } else { b }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl IntegerLayer {
        /// The whole weights, whatever their width.
        fn whole(&self) -> Vec<i32> {
            match &self.weights {
                Weights::Narrow(w) => w.iter().map(|&v| i32::from(v)).collect(),
                Weights::Wide(w) => w.iter().map(|&v| i32::from(v)).collect(),
            }
        }
    }

    /// A layer of `inputs` → `outputs` with weights and biases spread over about ±1.
    fn random_layer(
        inputs: usize,
        outputs: usize,
        activation: Activation,
        seed: u64,
    ) -> DenseLayer {
        use rand::RngExt;
        let mut rng = crate::latent::rng_for(seed, 0);
        let mut uniform = |count: usize| -> Vec<f32> {
            (0..count)
                .map(|_| rng.random::<f32>() * 2.0 - 1.0)
                .collect()
        };
        DenseLayer {
            inputs,
            weight: uniform(inputs * outputs),
            bias: uniform(outputs),
            activation,
        }
    }

    /// `layer` applied to row-major `rows` in f64.
    fn exact(layer: &DenseLayer, rows: &[f32]) -> Vec<f64> {
        let outputs = layer.bias.len();
        rows.chunks_exact(layer.inputs)
            .flat_map(|row| {
                (0..outputs).map(move |o| {
                    let sum: f64 = row
                        .iter()
                        .enumerate()
                        .map(|(i, &x)| f64::from(x) * f64::from(layer.weight[i * outputs + o]))
                        .sum();
                    let value = sum + f64::from(layer.bias[o]);
                    match layer.activation {
                        Activation::Identity => value,
                        Activation::Relu => value.max(0.0),
                        Activation::Sigmoid => 1.0 / (1.0 + (-value).exp()),
                    }
                })
            })
            .collect()
    }

    #[test]
    fn a_zero_row_and_a_single_row_decode() {
        let network = |activation| {
            IntegerNetwork::new(
                &[DenseLayer {
                    inputs: 2,
                    weight: vec![1.0, -2.0, 0.5, 4.0],
                    bias: vec![0.25, 0.0],
                    activation,
                }],
                Precision::BYTES,
            )
        };
        // x = (2, 1): outputs 2·1 + 1·0.5 + 0.25 = 2.75 and 2·(−2) + 1·4 = 0, within 8-bit steps.
        let out = network(Activation::Identity).forward(&[2.0, 1.0]);
        assert!(
            (out[0] - 2.75).abs() < 0.05 && out[1].abs() < 0.05,
            "{out:?}"
        );
        assert_eq!(
            network(Activation::Relu).forward(&[0.0, 0.0]),
            vec![0.25, 0.0]
        );
    }

    #[test]
    fn every_tile_shape_and_leftover_gives_the_sums_and_rows_do_not_mix() {
        // Odd sizes: inputs padded to a pair, outputs to a quad, quads left over after the
        // wide tiles, and rows left over after the tall ones.
        for (inputs, outputs, rows) in [(37, 22, 11), (64, 52, 5), (3, 5, 1), (130, 36, 19)] {
            let layer = random_layer(inputs, outputs, Activation::Identity, inputs as u64);
            let input = random_layer(inputs, rows, Activation::Identity, 99).weight;
            let network = IntegerNetwork::new(std::slice::from_ref(&layer), Precision::BYTES);
            let got = network.forward(&input);
            let want = exact(&layer, &input);
            assert_eq!(got.len(), rows * outputs);
            // 8-bit weights: each sum is off by about √inputs · ½ step.
            let bound = 0.02 * (inputs as f64).sqrt();
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (f64::from(*g) - w).abs() < bound,
                    "{inputs}×{outputs}: {g} vs {w}"
                );
            }
            // A row decodes to the same bits alone as in a batch.
            for (r, row) in input.chunks_exact(inputs).enumerate() {
                assert_eq!(network.forward(row), got[r * outputs..(r + 1) * outputs]);
            }
        }
    }

    #[test]
    fn packed_networks_keep_their_shape_and_weights_on_four_bits_per_group() {
        // Weights that 4 bits hold exactly: each output's largest is 1 (its first), and its
        // groups of inputs hold sevenths or fourteenths.
        let on_the_grid = |mut layer: DenseLayer| {
            let outputs = layer.bias.len();
            for (k, w) in layer.weight.iter_mut().enumerate() {
                let i = k / outputs;
                let sevenths = if i == 0 { 7.0 } else { (*w * 7.0).round() };
                *w = sevenths / (7 * (1 + i / packed::GROUP % 3)) as f32;
            }
            layer
        };
        let layers = [
            on_the_grid(random_layer(40, 64, Activation::Relu, 1)),
            on_the_grid(random_layer(64, 30, Activation::Sigmoid, 2)),
        ];
        let bytes = packed::pack(&layers, &[Precision::NIBBLES; 2], 0xDEAD_BEEF);
        assert_eq!(packed::source_checksum(&bytes), Ok(0xDEAD_BEEF));
        let network = packed::unpack(&bytes, true).unwrap();
        let shapes = network.shapes();
        assert_eq!(
            shapes
                .iter()
                .map(|l| (l.inputs, l.outputs, l.activation))
                .collect::<Vec<_>>(),
            [(40, 64, Activation::Relu), (64, 30, Activation::Sigmoid)]
        );
        let input = random_layer(40, 9, Activation::Identity, 3).weight;
        let got = network.forward(&input);
        let hidden: Vec<f32> = exact(&layers[0], &input)
            .iter()
            .map(|&h| h as f32)
            .collect();
        let want = exact(&layers[1], &hidden);
        let worst = got
            .iter()
            .zip(&want)
            .map(|(g, w)| (f64::from(*g) - w).abs())
            .fold(0.0, f64::max);
        // Only the activations are rounded (to 16 bits).
        assert!(worst < 1e-3, "largest difference {worst}");
        // Corruption is caught, and named.
        let mut corrupt = bytes.clone();
        let last = corrupt.len() - 1;
        corrupt[last] ^= 0x10;
        assert_eq!(
            packed::unpack(&corrupt, true).err(),
            Some(packed::PackedError::Checksum)
        );
        assert!(packed::unpack(&bytes[..bytes.len() - 1], true).is_err());
        assert_eq!(
            packed::unpack(b"LDSTATS\0 not a network...", true).err(),
            Some(packed::PackedError::BadMagic)
        );
    }

    #[test]
    fn unpacking_gives_the_layers_that_rounding_gives() {
        let layers = [
            random_layer(37, 22, Activation::Relu, 5),
            random_layer(22, 9, Activation::Sigmoid, 6),
        ];
        for precision in [
            Precision::NIBBLES,
            Precision::narrow(31),
            Precision::BYTES,
            Precision::WIDE,
        ] {
            let unpacked =
                packed::unpack(&packed::pack(&layers, &[precision; 2], 0), true).unwrap();
            for (layer, got) in layers.iter().zip(&unpacked.layers) {
                let want = packed::rounded_layer(layer, precision);
                assert_eq!((got.whole(), &got.scales), (want.whole(), &want.scales));
                assert_eq!(got.bias, want.bias);
                // What training through the shipped weights sees is the kernel's weights.
                let floats = packed::rounded_weights(layer, precision);
                for (at, weight) in got.whole().into_iter().enumerate() {
                    let (o, i) = kernel_position(at, got.inputs / 2);
                    if o < got.real_outputs && i < got.real_inputs {
                        let want = weight as f32 * got.scales[o];
                        assert_eq!(floats[i * got.real_outputs + o], want);
                    }
                }
            }
        }
    }

    /// The shipped forward pass against burn's, the reference.
    #[cfg(feature = "train")]
    mod against_burn {
        use super::*;
        use crate::architecture::{Arch, IMAGE_PIXELS, LATENT_DIM};
        use crate::generator::DECODER_RECORD;
        use crate::train::model::{Decoder, Encoder, default_device, load_record_bytes};
        use burn::tensor::{Tensor, TensorData};

        #[test]
        fn integer_pixels_match_the_float_decoder_of_the_committed_model() {
            let device = default_device();
            let decoder =
                load_record_bytes(Decoder::skeleton(Arch::Nine, &device), DECODER_RECORD).unwrap();
            let fast = IntegerNetwork::new(&decoder.dense_layers(), Precision::BYTES);
            // Mixture samples of every digit, an odd count of rows.
            let stats = crate::artifact::decode(crate::generator::EMBEDDED_STATS).unwrap();
            let mut rng = crate::latent::rng_for(5, 0);
            let mut codes = Vec::new();
            for class in &stats.classes {
                let sampler = crate::latent::Sampler::Mixture(&class.mixture);
                codes.extend(sampler.sample(7, 1.0, &mut rng).latents);
            }
            let exact = decoder.decode_slice(&codes, &device);
            let integer = fast.forward(&codes);
            let (worst, mean) = differences(&exact, &integer);
            // 8-bit weights with one scale per output (measured: 2.9·10⁻³ on average, 0.18 at
            // most on a few edge pixels; the test-set cross-entropy moves by 0.0003, MODEL.md).
            assert!(mean < 4e-3, "mean pixel difference {mean}");
            assert!(worst < 0.25, "largest pixel difference {worst}");
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
        /// most (eight grey levels) and on average; measured, the most with 5 layers: 0.019 and
        /// 2.3·10⁻³.
        const FRESH_WORST: f32 = 8.0 / 255.0;
        const FRESH_MEAN: f32 = 4e-3;

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
                let shipped =
                    IntegerNetwork::new(&decoder.dense_layers(), Precision::BYTES).forward(&codes);
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
                let shipped =
                    IntegerNetwork::new(&encoder.dense_layers(), Precision::WIDE).forward(&images);
                assert_eq!(shipped.len(), rows * LATENT_DIM);
                // Relative to the codes' spread (measured, the most with 9 layers: 2.9 % at most,
                // 0.6 % on average): 9-bit weights, and the 784-input layer rounds rows to 10.4 bits.
                let spread =
                    reference.iter().map(|c| c.abs()).sum::<f32>() / reference.len() as f32;
                let (worst, mean) = differences(&reference, &shipped);
                assert!(
                    worst < 0.05 * spread && mean < 0.01 * spread,
                    "{arch:?}: codes differ by {worst} at most and {mean} on average (spread {spread})"
                );
            }
        }
    }
}
