//! The autoencoder network, written once and shared by the trainer and the wasm decoder.

use burn::module::{Module, ModuleMapper, Param, Quantizer};
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::store::{DTypePolicy, ModuleRecord};
use burn::tensor::Bytes;
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::quantization::{Calibration, QuantScheme, ScaleDtype};
use burn::tensor::{Device, Tensor, TensorData};

/// Pixels in one 28×28 image.
pub const IMAGE_PIXELS: usize = 28 * 28;
/// Dimension of the latent code.
pub const LATENT_DIM: usize = 32;

/// The three architectures compared in the original report, named by their layer count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Arch {
    /// 784-32-784.
    One,
    /// 784-512-128-32-128-512-784.
    Five,
    /// 784-512-256-128-64-32-64-128-256-512-784 (the default).
    Nine,
}

impl Arch {
    /// Parses the layer count used on the command line (`1`, `5` or `9`).
    pub fn from_layers(layers: u32) -> Option<Self> {
        match layers {
            1 => Some(Self::One),
            5 => Some(Self::Five),
            9 => Some(Self::Nine),
            _ => None,
        }
    }

    /// The layer count, the inverse of [`Arch::from_layers`].
    pub fn layers(self) -> u32 {
        match self {
            Self::One => 1,
            Self::Five => 5,
            Self::Nine => 9,
        }
    }

    /// Widths of the encoder from the image to the code, both ends included.
    pub fn encoder_widths(self) -> Vec<usize> {
        let hidden: &[usize] = match self {
            Self::One => &[],
            Self::Five => &[512, 128],
            Self::Nine => &[512, 256, 128, 64],
        };
        let mut widths = vec![IMAGE_PIXELS];
        widths.extend_from_slice(hidden);
        widths.push(LATENT_DIM);
        widths
    }

    /// Widths of the decoder: the encoder's, reversed.
    pub fn decoder_widths(self) -> Vec<usize> {
        let mut widths = self.encoder_widths();
        widths.reverse();
        widths
    }
}

/// One dense layer's parameters as plain floats.
pub struct DenseLayer {
    /// Input width.
    pub inputs: usize,
    /// `[inputs][outputs]`, row-major.
    pub weight: Vec<f32>,
    /// One per output.
    pub bias: Vec<f32>,
}

/// How a new network's parameters are filled.
#[derive(Clone, Copy)]
enum Fill {
    /// He-normal weights and zero biases: the start of training.
    HeNormal,
    /// All zeros: a cheap skeleton for a stored record to fill.
    Zeros,
}

/// A stack of dense layers with ReLU between them and no activation after the last one.
#[derive(Module, Debug)]
pub struct Mlp {
    layers: Vec<Linear>,
}

impl Mlp {
    /// Builds a stack whose layer `i` maps `widths[i]` to `widths[i + 1]`, filled as `fill` says.
    fn new(widths: &[usize], fill: Fill, device: &Device) -> Self {
        let initializer = match fill {
            // Variance 2 / fan-in keeps the signal's scale through ReLU layers.
            Fill::HeNormal => Initializer::KaimingNormal {
                gain: std::f64::consts::SQRT_2,
                fan_out_only: false,
            },
            Fill::Zeros => Initializer::Zeros,
        };
        let layers = widths
            .windows(2)
            .map(|pair| {
                let mut layer = LinearConfig::new(pair[0], pair[1])
                    .with_initializer(initializer.clone())
                    .init(device);
                layer.bias = layer.bias.map(|bias| bias.map(|b| b.zeros_like()));
                layer
            })
            .collect();
        Self { layers }
    }

    /// Applies the stack; the output is the last layer's pre-activation.
    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        let last = self.layers.len() - 1;
        self.layers.iter().enumerate().fold(input, |x, (i, layer)| {
            let y = layer.forward(x);
            if i == last { y } else { relu(y) }
        })
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
            .map(|layer| {
                let weight = layer.weight.val();
                let [inputs, outputs] = weight.dims();
                DenseLayer {
                    inputs,
                    weight: floats(weight.reshape([inputs * outputs])),
                    bias: layer
                        .bias
                        .as_ref()
                        .map_or_else(|| vec![0.0; outputs], |b| floats(b.val())),
                }
            })
            .collect()
    }
}

/// Maps images to 32-d codes. The code layer is linear (no ReLU) so codes can take any sign.
#[derive(Module, Debug)]
pub struct Encoder {
    mlp: Mlp,
}

/// Maps 32-d codes to images; [`Decoder::logits`] for training, [`Decoder::decode`] for pixels.
#[derive(Module, Debug)]
pub struct Decoder {
    mlp: Mlp,
}

impl Encoder {
    /// A freshly initialised encoder.
    pub fn new(arch: Arch, device: &Device) -> Self {
        Self {
            mlp: Mlp::new(&arch.encoder_widths(), Fill::HeNormal, device),
        }
    }

    /// An all-zero encoder to load a record into (no random numbers drawn).
    pub fn skeleton(arch: Arch, device: &Device) -> Self {
        Self {
            mlp: Mlp::new(&arch.encoder_widths(), Fill::Zeros, device),
        }
    }

    /// `[batch, 784]` pixels in [0, 1] to `[batch, 32]` codes.
    pub fn encode(&self, images: Tensor<2>) -> Tensor<2> {
        self.mlp.forward(images)
    }
}

impl Decoder {
    /// A freshly initialised decoder.
    pub fn new(arch: Arch, device: &Device) -> Self {
        Self {
            mlp: Mlp::new(&arch.decoder_widths(), Fill::HeNormal, device),
        }
    }

    /// An all-zero decoder to load a record into (no random numbers drawn).
    pub fn skeleton(arch: Arch, device: &Device) -> Self {
        Self {
            mlp: Mlp::new(&arch.decoder_widths(), Fill::Zeros, device),
        }
    }

    /// `[batch, 32]` codes to `[batch, 784]` pixel logits.
    pub fn logits(&self, codes: Tensor<2>) -> Tensor<2> {
        self.mlp.forward(codes)
    }

    /// `[batch, 32]` codes to `[batch, 784]` pixels in [0, 1].
    pub fn decode(&self, codes: Tensor<2>) -> Tensor<2> {
        sigmoid(self.logits(codes))
    }

    /// Every layer's parameters, from the code to the pixels (for [`crate::inference`]).
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

/// The device of the backend this build was compiled for: flex by default, ndarray when only the
/// `ndarray` feature is on.
pub fn default_device() -> Device {
    #[cfg(feature = "flex")]
    {
        Device::flex()
    }
    #[cfg(all(feature = "ndarray", not(feature = "flex")))]
    #[allow(deprecated)]
    {
        Device::ndarray()
    }
}

/// Loads a burnpack record of any float precision into `module` as plain floats: quantized
/// weights are dequantized once here, so inference never pays for it.
pub fn load_record_bytes<M: Module>(module: M, bytes: &[u8]) -> Result<M, String> {
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
        .map_err(|e| e.to_string())?
        .with_dtype_policy(DTypePolicy::CastToModule);
    let loaded = module.try_load_record(record).map_err(|e| e.to_string())?;
    Ok(dequantize_weights(loaded))
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

/// Quantizes every weight to 8 bits with one f16 scale per block of 4 inputs × 16 outputs (64
/// weights): how the shipped decoder is stored (about a quarter of f32; MODEL.md has what the
/// block size costs in cross-entropy). Load it with [`load_record_bytes`].
pub fn quantize_for_shipping<M: Module>(module: M) -> M {
    let scheme = QuantScheme::default().per_block([4, 16], ScaleDtype::F16);
    module.quantize_weights(&mut Quantizer::new(Calibration::MinMax, scheme))
}
