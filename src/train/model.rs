//! The architecture of [`crate::architecture`] as burn modules: the networks the trainer trains and
//! the command-line tool runs (the reference forward pass), their records, the backend they run
//! on, and the shipped 8-bit quantization.

use burn::module::{Module, ModuleMapper, Param};
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::store::{DTypePolicy, ModuleRecord};
use burn::tensor::activation;
use burn::tensor::quantization::{
    BlockLayout, QuantScheme, QuantStore, ScaleDtype, scale_to_dtype,
};
use burn::tensor::{Bytes, Device, Tensor, TensorData};

use crate::architecture::{Activation, Arch, DenseLayer, LATENT_DIM, LayerShape};

/// Applies `activation` to every element of a tensor, as [`Activation::apply`] does to a number.
pub fn activate<const D: usize>(activation: Activation, x: Tensor<D>) -> Tensor<D> {
    match activation {
        Activation::Identity => x,
        Activation::Relu => activation::relu(x),
        Activation::Sigmoid => activation::sigmoid(x),
    }
}

/// How a new network's parameters are filled.
#[derive(Clone, Copy)]
enum Fill {
    /// He-normal weights and zero biases: the start of training.
    HeNormal,
    /// All zeros: a cheap skeleton for a stored record to fill.
    Zeros,
}

/// A stack of dense layers, each followed by its activation.
#[derive(Module, Debug)]
pub struct Mlp {
    layers: Vec<Linear>,
    /// One per layer, from [`Arch::encoder_layers`] or [`Arch::decoder_layers`] (not stored in
    /// records: the architecture fixes them).
    #[module(skip)]
    activations: Vec<Activation>,
}

impl Mlp {
    /// Builds the stack of `shapes`, filled as `fill` says.
    fn new(shapes: &[LayerShape], fill: Fill, device: &Device) -> Self {
        let initializer = match fill {
            // Variance 2 / fan-in keeps the signal's scale through ReLU layers.
            Fill::HeNormal => Initializer::KaimingNormal {
                gain: std::f64::consts::SQRT_2,
                fan_out_only: false,
            },
            Fill::Zeros => Initializer::Zeros,
        };
        let layers = shapes
            .iter()
            .map(|shape| {
                let mut layer = LinearConfig::new(shape.inputs, shape.outputs)
                    .with_initializer(initializer.clone())
                    .init(device);
                layer.bias = layer.bias.map(|bias| bias.map(|b| b.zeros_like()));
                layer
            })
            .collect();
        Self {
            layers,
            activations: shapes.iter().map(|shape| shape.activation).collect(),
        }
    }

    /// Applies every layer and its activation but the last layer's activation; returns the last
    /// layer's pre-activation and that activation.
    fn pre_activation(&self, input: Tensor<2>) -> (Tensor<2>, Activation) {
        let (last, hidden) = self.layers.split_last().expect("at least one layer");
        let x = hidden
            .iter()
            .zip(&self.activations)
            .fold(input, |x, (layer, activation)| {
                activate(*activation, layer.forward(x))
            });
        (last.forward(x), self.activations[hidden.len()])
    }

    /// Applies every layer, each followed by its activation.
    fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        let (x, activation) = self.pre_activation(input);
        activate(activation, x)
    }

    /// Copies every layer's parameters out of the tensors.
    fn dense_layers(&self) -> Vec<DenseLayer> {
        let floats = |t: Tensor<1>| {
            t.into_data()
                .convert::<f32>()
                .try_into_vec::<f32>()
                .expect("f32")
        };
        self.layers
            .iter()
            .zip(&self.activations)
            .map(|(layer, &activation)| {
                let weight = layer.weight.val();
                let [inputs, outputs] = weight.dims();
                DenseLayer {
                    inputs,
                    weight: floats(weight.reshape([inputs * outputs])),
                    bias: layer
                        .bias
                        .as_ref()
                        .map_or_else(|| vec![0.0; outputs], |b| floats(b.val())),
                    activation,
                }
            })
            .collect()
    }
}

/// Maps images to 32-d codes through [`Arch::encoder_layers`].
#[derive(Module, Debug)]
pub struct Encoder {
    mlp: Mlp,
}

/// Maps 32-d codes to images through [`Arch::decoder_layers`]; [`Decoder::logits`] for training,
/// [`Decoder::decode`] for pixels. This is the reference forward pass; the page decodes with
/// [`crate::integer_net::IntegerNetwork`], built from the same layers.
#[derive(Module, Debug)]
pub struct Decoder {
    mlp: Mlp,
}

impl Encoder {
    /// A freshly initialised encoder.
    pub fn new(arch: Arch, device: &Device) -> Self {
        Self {
            mlp: Mlp::new(&arch.encoder_layers(), Fill::HeNormal, device),
        }
    }

    /// An all-zero encoder to load a record into (no random numbers drawn).
    pub fn skeleton(arch: Arch, device: &Device) -> Self {
        Self {
            mlp: Mlp::new(&arch.encoder_layers(), Fill::Zeros, device),
        }
    }

    /// `[batch, 784]` pixels in [0, 1] to `[batch, 32]` codes.
    pub fn encode(&self, images: Tensor<2>) -> Tensor<2> {
        self.mlp.forward(images)
    }

    /// Every layer's parameters and activation, from the pixels to the code (for
    /// [`crate::integer_net`]).
    pub fn dense_layers(&self) -> Vec<DenseLayer> {
        self.mlp.dense_layers()
    }
}

impl Decoder {
    /// A freshly initialised decoder.
    pub fn new(arch: Arch, device: &Device) -> Self {
        Self {
            mlp: Mlp::new(&arch.decoder_layers(), Fill::HeNormal, device),
        }
    }

    /// An all-zero decoder to load a record into (no random numbers drawn).
    pub fn skeleton(arch: Arch, device: &Device) -> Self {
        Self {
            mlp: Mlp::new(&arch.decoder_layers(), Fill::Zeros, device),
        }
    }

    /// `[batch, 32]` codes to `[batch, 784]` pixel logits: the pixels before the last layer's
    /// sigmoid, which is where the training losses start.
    pub fn logits(&self, codes: Tensor<2>) -> Tensor<2> {
        self.mlp.pre_activation(codes).0
    }

    /// `[batch, 32]` codes to `[batch, 784]` pixels in [0, 1].
    pub fn decode(&self, codes: Tensor<2>) -> Tensor<2> {
        self.mlp.forward(codes)
    }

    /// Every layer's parameters and activation, from the code to the pixels (for
    /// [`crate::integer_net`]).
    pub fn dense_layers(&self) -> Vec<DenseLayer> {
        self.mlp.dense_layers()
    }

    /// Decodes `codes.len() / 32` row-major codes into row-major pixels.
    pub fn decode_slice(&self, codes: &[f32], device: &Device) -> Vec<f32> {
        let rows = codes.len() / LATENT_DIM;
        if rows == 0 {
            return Vec::new();
        }
        let input =
            Tensor::<2>::from_data(TensorData::new(codes.to_vec(), [rows, LATENT_DIM]), device);
        self.decode(input)
            .into_data()
            .try_into_vec::<f32>()
            .expect("decoder output is f32")
    }
}

/// Encoder and decoder trained together.
#[derive(Module, Debug)]
pub struct Autoencoder {
    /// Image to code.
    pub encoder: Encoder,
    /// Code to image.
    pub decoder: Decoder,
}

impl Autoencoder {
    /// A freshly initialised autoencoder; seed the device first for reproducible weights.
    pub fn new(arch: Arch, device: &Device) -> Self {
        Self {
            encoder: Encoder::new(arch, device),
            decoder: Decoder::new(arch, device),
        }
    }

    /// Reconstruction logits of `[batch, 784]` images.
    pub fn forward_logits(&self, images: Tensor<2>) -> Tensor<2> {
        self.decoder.logits(self.encoder.encode(images))
    }
}

/// Environment variable that picks the backend of a build with both (`flex` and `ndarray`).
pub const BACKEND_VARIABLE: &str = "LATENT_DIGITS_BACKEND";

/// The device models run on: the backend this build was compiled for, flex by default. A build
/// with both backends runs on ndarray when `LATENT_DIGITS_BACKEND=ndarray` (how the tests cover
/// both from one build).
pub fn default_device() -> Device {
    #[cfg(all(feature = "flex", feature = "ndarray"))]
    if std::env::var(BACKEND_VARIABLE).as_deref() == Ok("ndarray") {
        return ndarray_device();
    }
    #[cfg(feature = "flex")]
    {
        Device::flex()
    }
    #[cfg(all(feature = "ndarray", not(feature = "flex")))]
    {
        ndarray_device()
    }
}

/// The deprecated burn-ndarray backend's device.
#[cfg(feature = "ndarray")]
#[allow(deprecated)]
fn ndarray_device() -> Device {
    Device::ndarray()
}

/// Loads a burnpack record of any float precision into `module` as plain floats: quantized
/// weights are dequantized once here, so inference never pays for it. The work is done on the
/// host ([`on_host`]), so `module` may live on any device.
pub fn load_record_bytes<M: Module>(module: M, bytes: &[u8]) -> anyhow::Result<M> {
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))?
        .with_dtype_policy(DTypePolicy::CastToModule);
    let device = module.devices().remove(0);
    let loaded = module
        .to_device(&default_device())
        .try_load_record(record)?;
    Ok(dequantize_weights(loaded).to_device(&device))
}

/// `work` done on `module` moved to the host, its result moved back to `module`'s device: the
/// shipped 8-bit blocks are burn flex's, and burn's GPU backends have no kernel for them.
pub fn on_host<M: Module>(module: M, work: impl FnOnce(M) -> M) -> M {
    let device = module.devices().remove(0);
    work(module.to_device(&default_device())).to_device(&device)
}

/// Turns every quantized parameter of `module` back into plain floats (parameter ids kept).
pub fn dequantize_weights<M: Module>(module: M) -> M {
    struct Dequantize;
    impl ModuleMapper for Dequantize {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            param.map(Tensor::dequantize)
        }
    }
    module.map(&mut Dequantize)
}

/// The shipped decoder's blocks: 4 inputs × 16 outputs of a weight (its `[inputs, outputs]`
/// matrix), 16 outputs of a bias.
pub const SHIPPING_BLOCK: [u8; 2] = [4, 16];

/// How the shipped decoder is stored: 8-bit integers in [−128, 127], one f16 scale per
/// [`SHIPPING_BLOCK`], unpacked (one byte per weight).
pub fn shipping_scheme() -> QuantScheme {
    QuantScheme::default()
        .with_store(QuantStore::Native)
        .per_block(SHIPPING_BLOCK, ScaleDtype::F16)
}

/// Quantizes every parameter of `module` as [`shipping_scheme`] says: how the shipped decoder
/// is stored (about a quarter of f32; MODEL.md has what the block size costs in cross-entropy).
/// Parameter ids are kept. Load the record with [`load_record_bytes`].
///
/// The integers and scales are computed here in plain Rust, so every backend gives the same
/// bytes: burn-ndarray 0.22 has no kernel for this scheme. They are what burn-flex's
/// `quantize_weights` gives with min-max calibration (tested below).
pub fn quantize_for_shipping<M: Module>(module: M) -> M {
    struct Ship;
    impl ModuleMapper for Ship {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            param.map(quantize_blocks)
        }
    }
    module.map(&mut Ship)
}

/// `tensor` in [`shipping_scheme`]: each block's scale is its largest magnitude over 127.5
/// (half the 255 steps), rounded up to an f16 so no value is clipped (an all-zero block gets the
/// smallest positive f16 instead); each value is rounded to the nearest step, ties away from zero.
fn quantize_blocks<const D: usize>(tensor: Tensor<D>) -> Tensor<D> {
    let scheme = shipping_scheme();
    let (device, shape) = (tensor.device(), tensor.shape());
    let values = tensor
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("f32 values");
    let blocks = BlockLayout::new(&shape, &scheme.block_size().expect("a block scheme"));
    assert!(
        blocks.divides(),
        "{shape:?} is not a whole number of {SHIPPING_BLOCK:?} blocks"
    );
    let (lowest, highest) = scheme.value.range();
    let mut peaks = vec![0.0f32; blocks.num_blocks()];
    for (i, &x) in values.iter().enumerate() {
        let peak = &mut peaks[blocks.block_of(i)];
        *peak = peak.max(x.abs());
    }
    let scales: Vec<f32> = peaks
        .iter()
        .map(|&peak| {
            let scale = scale_to_dtype(2.0 * peak / (highest - lowest), scheme.scale_dtype());
            if scale > 0.0 && scale.is_finite() {
                scale
            } else {
                scale_to_dtype(f32::MIN_POSITIVE, scheme.scale_dtype())
            }
        })
        .collect();
    let integers: Vec<i8> = values
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let inverse = 1.0 / scales[blocks.block_of(i)];
            (x * inverse).round().clamp(lowest, highest) as i8
        })
        .collect();
    let data = TensorData::quantized(integers, shape, scheme, &scales, None);
    Tensor::from_data(data, &device)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A freshly initialised decoder of `arch`.
    fn fresh_decoder(arch: Arch, seed: u64) -> Decoder {
        let device = default_device();
        device.seed(seed);
        Decoder::new(arch, &device)
    }

    use crate::architecture::{IMAGE_PIXELS, sigmoid};

    #[test]
    fn each_activation_is_the_same_on_numbers_and_tensors() {
        let xs = [-30.0f32, -2.5, -0.0, 0.0, 1e-3, 0.75, 40.0];
        let device = default_device();
        for activation in [Activation::Identity, Activation::Relu, Activation::Sigmoid] {
            let tensor = Tensor::<1>::from_data(TensorData::new(xs.to_vec(), [xs.len()]), &device);
            let burn = activate(activation, tensor).into_data();
            for (&x, y) in xs.iter().zip(burn.iter::<f32>()) {
                let plain = activation.apply(x);
                assert!(
                    (plain - y).abs() <= 1e-6,
                    "{activation:?}({x}): {plain} vs {y}"
                );
            }
        }
        assert_eq!(sigmoid(0.0), 0.5);
        assert_eq!((sigmoid(-200.0), sigmoid(200.0)), (0.0, 1.0));
    }

    #[test]
    fn shipped_weights_are_within_half_a_step_of_the_originals_after_a_record_round_trip() {
        let device = default_device();
        let decoder = fresh_decoder(Arch::Five, 11);
        let original = decoder.dense_layers();
        let bytes = quantize_for_shipping(decoder)
            .into_record()
            .into_bytes()
            .unwrap();
        let loaded = load_record_bytes(Decoder::skeleton(Arch::Five, &device), &bytes).unwrap();
        for (before, after) in original.iter().zip(&loaded.dense_layers()) {
            let outputs = before.bias.len();
            // Each block's largest magnitude, over 4 inputs × 16 outputs.
            let block = |k: usize| (k / outputs / 4, k % outputs / 16);
            let mut peaks = std::collections::HashMap::<_, f32>::new();
            for (k, w) in before.weight.iter().enumerate() {
                let peak = peaks.entry(block(k)).or_default();
                *peak = peak.max(w.abs());
            }
            for (k, (w, q)) in before.weight.iter().zip(&after.weight).enumerate() {
                // A step is the peak over 127.5, rounded up to an f16 (at most 2⁻¹⁰ more).
                let half_step = peaks[&block(k)] / 127.5 * (1.0 + 1e-3) / 2.0;
                assert!((w - q).abs() <= half_step, "weight {k}: {w} → {q}");
            }
            assert_eq!(after.bias, before.bias, "zero biases stay zero");
            assert_eq!(after.activation, before.activation);
        }
    }

    /// Quantization-aware training decodes through the shipped weights and updates the
    /// full-precision ones (straight through): the gradients must reach the original parameters.
    #[cfg(feature = "train")]
    #[test]
    fn gradients_through_the_shipped_weights_reach_the_full_precision_ones() {
        use burn::optim::GradientsParams;
        let device = default_device().autodiff();
        let decoder = Decoder::new(Arch::One, &device);
        let shipped = dequantize_weights(quantize_for_shipping(decoder.valid())).train();
        let codes = Tensor::<2>::ones([3, LATENT_DIM], &device);
        let grads = GradientsParams::from_grads(shipped.logits(codes).sum().backward(), &shipped);
        // logits = codes · W + b summed over 3 rows of ones: every gradient is 3.
        let layer = &decoder.mlp.layers[0];
        let weight = grads.get::<2>(layer.weight.id).expect("a weight gradient");
        let bias = grads
            .get::<1>(layer.bias.as_ref().unwrap().id)
            .expect("a bias gradient");
        assert_eq!(weight.dims(), [LATENT_DIM, IMAGE_PIXELS]);
        for gradient in [weight.into_data(), bias.into_data()] {
            assert!(gradient.iter::<f32>().all(|g| g == 3.0));
        }
    }

    /// A 64 × 32 weight of 32 blocks: mixed signs and sizes, a block of zeros, a block of ties
    /// (±k + ½ steps) and one whose largest magnitude is negative.
    fn pinned_weight() -> Tensor<2> {
        let values: Vec<f32> = (0..64 * 32)
            .map(|k| {
                let (i, o) = (k / 32, k % 32);
                match (i / 4, o / 16) {
                    (0, 0) => 0.0,
                    (0, 1) => (o as f32 - 23.5) * 0.5 * (1 + i) as f32,
                    (1, 0) => -1.0 + (o as f32) * 1e-3,
                    _ => ((k * 7919 % 1000) as f32 / 1000.0 - 0.45) * (1 + i % 5) as f32 * 0.1,
                }
            })
            .collect();
        Tensor::from_data(TensorData::new(values, [64, 32]), &default_device())
    }

    /// In a build with both backends, the variable decides which one the models run on.
    #[cfg(all(feature = "flex", feature = "ndarray"))]
    #[test]
    fn the_backend_variable_picks_the_device() {
        let device = format!("{:?}", default_device()).to_lowercase();
        let wanted = std::env::var(BACKEND_VARIABLE).unwrap_or_else(|_| "flex".to_string());
        assert!(
            device.contains(&wanted),
            "{device} for {BACKEND_VARIABLE}={wanted}"
        );
    }

    /// CRC-32 of [`pinned_weight`]'s shipped bytes, from burn-flex's own `quantize_weights`.
    const PINNED_CRC: u32 = 0x532B_2E82;

    #[test]
    fn shipped_bytes_are_the_same_on_every_backend() {
        let data = quantize_blocks(pinned_weight()).into_data();
        assert_eq!(data.dtype(), burn::tensor::DType::QFloat(shipping_scheme()));
        // 2048 integers, then 32 f16 scales.
        assert_eq!(data.as_bytes().len(), 64 * 32 + 32 * 2);
        assert_eq!(crc32fast::hash(data.as_bytes()), PINNED_CRC);
    }

    /// Before this module computed the integers itself, `quantize_for_shipping` was burn's
    /// `quantize_weights` with min-max calibration, which only burn-flex can run.
    #[cfg(feature = "flex")]
    #[test]
    fn the_shipped_quantization_is_burn_flexs() {
        use burn::module::{ModuleVisitor, Quantizer};
        use burn::tensor::quantization::Calibration;
        /// Every parameter's stored data (values and scales, for a quantized one), in order.
        fn stored(module: &impl Module) -> Vec<TensorData> {
            struct Collect(Vec<TensorData>);
            impl ModuleVisitor for Collect {
                fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
                    self.0.push(param.val().into_data());
                }
            }
            let mut collect = Collect(Vec::new());
            module.visit(&mut collect);
            collect.0
        }
        fn quantize_weights<M: Module>(module: M) -> M {
            let scheme = QuantScheme::default().per_block(SHIPPING_BLOCK, ScaleDtype::F16);
            module.quantize_weights(&mut Quantizer::new(Calibration::MinMax, scheme))
        }
        let (burn_flex, burn_flex_param) = (
            quantize_weights::<Decoder>,
            quantize_weights::<Param<Tensor<2>>>,
        );
        let device = Device::flex();
        let committed = load_record_bytes(
            Decoder::skeleton(Arch::Nine, &device),
            crate::generator::DECODER_RECORD,
        )
        .unwrap();
        for decoder in [
            committed,
            fresh_decoder(Arch::Nine, 3),
            fresh_decoder(Arch::One, 4),
        ] {
            let ours = quantize_for_shipping(decoder.clone());
            let theirs = burn_flex(decoder);
            assert_eq!(stored(&ours), stored(&theirs));
            assert_eq!(
                ours.into_record().into_bytes().unwrap(),
                theirs.clone().into_record().into_bytes().unwrap()
            );
        }
        let pinned = burn_flex_param(Param::from_tensor(pinned_weight()));
        assert_eq!(
            crc32fast::hash(pinned.val().into_data().as_bytes()),
            PINNED_CRC
        );
    }
}
