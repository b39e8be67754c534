//! The autoencoder's architecture, written once in plain Rust and shared by the trainer and the
//! page: the image and code sizes, the three layer stacks of the original report, and each
//! layer's shape and activation.
//!
//! [`Arch::decoder_layers`] and [`Arch::encoder_layers`] are the one definition of the layers.
//! Two forward passes follow them: `train::model` (burn's modules, feature `train`) is the
//! trainer's and the reference, and [`crate::integer_net`] is the one that ships (every digit the
//! page draws or reads); tests there check that they agree.

/// Side of an image in pixels: both data sets hold 28×28 grey images.
pub const IMAGE_SIDE: usize = 28;
/// Pixels in one image.
pub const IMAGE_PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;
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

    /// The encoder's layers, from the image to the code: ReLU between them, and no activation
    /// after the code layer, so codes can take any sign.
    pub fn encoder_layers(self) -> Vec<LayerShape> {
        LayerShape::stack(&self.encoder_widths(), Activation::Identity)
    }

    /// The decoder's layers, from the code to the pixels: ReLU between them and a sigmoid after
    /// the last one. Both forward passes of the decoder apply exactly this list.
    pub fn decoder_layers(self) -> Vec<LayerShape> {
        LayerShape::stack(&self.decoder_widths(), Activation::Sigmoid)
    }
}

/// What a layer applies to each of its outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// Nothing: the output is the layer's affine map (the encoder's code layer).
    Identity,
    /// `max(x, 0)`, between layers.
    Relu,
    /// [`sigmoid`], after the decoder's last layer: pixels in (0, 1).
    Sigmoid,
}

impl Activation {
    /// Applies the activation to one number, as the integer decoder does.
    pub fn apply(self, x: f32) -> f32 {
        match self {
            Self::Identity => x,
            // One comparison: `f32::max` is a library call in wasm builds (for its NaN rules).
            Self::Relu => {
                if x > 0.0 {
                    x
                } else {
                    0.0
                }
            }
            Self::Sigmoid => sigmoid(x),
        }
    }
}

/// The logistic function `1 / (1 + e^−x)`: the decoder's output activation, for plain numbers.
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// One dense layer's shape: `inputs` → `outputs`, then `activation` on each output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerShape {
    /// Input width.
    pub inputs: usize,
    /// Output width.
    pub outputs: usize,
    /// Applied to each output.
    pub activation: Activation,
}

impl LayerShape {
    /// Layer `i` maps `widths[i]` to `widths[i + 1]`; ReLU after each layer but the last, which
    /// is followed by `output`.
    fn stack(widths: &[usize], output: Activation) -> Vec<Self> {
        let last = widths.len() - 2;
        widths
            .windows(2)
            .enumerate()
            .map(|(i, pair)| Self {
                inputs: pair[0],
                outputs: pair[1],
                activation: if i == last { output } else { Activation::Relu },
            })
            .collect()
    }
}

/// One dense layer's parameters as plain floats, and its activation.
pub struct DenseLayer {
    /// Input width.
    pub inputs: usize,
    /// `[inputs][outputs]`, row-major.
    pub weight: Vec<f32>,
    /// One per output.
    pub bias: Vec<f32>,
    /// Applied to each output after the bias.
    pub activation: Activation,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layer_lists_follow_the_widths_with_relu_between() {
        let decoder = Arch::Nine.decoder_layers();
        let widths: Vec<_> = decoder.iter().map(|l| (l.inputs, l.outputs)).collect();
        assert_eq!(
            widths,
            [(32, 64), (64, 128), (128, 256), (256, 512), (512, 784)]
        );
        let activations: Vec<_> = decoder.iter().map(|l| l.activation).collect();
        use Activation::{Identity, Relu, Sigmoid};
        assert_eq!(activations, [Relu, Relu, Relu, Relu, Sigmoid]);
        assert_eq!(
            Arch::One.decoder_layers(),
            [LayerShape {
                inputs: 32,
                outputs: 784,
                activation: Sigmoid
            }]
        );
        let encoder: Vec<_> = Arch::Five
            .encoder_layers()
            .iter()
            .map(|l| l.activation)
            .collect();
        assert_eq!(encoder, [Relu, Relu, Identity]);
    }
}
