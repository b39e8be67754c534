//! Reconstruction losses: the three compared in the original report.

use burn::tensor::Tensor;
use burn::tensor::activation::{log_sigmoid, sigmoid};

/// Which reconstruction loss to train with.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
pub enum Loss {
    /// Binary cross-entropy per pixel (the default and the original's).
    Bce,
    /// Mean squared error per pixel.
    Mse,
    /// Euclidean distance between image vectors, averaged over the batch.
    Euclid,
}

impl Loss {
    /// The loss of `logits` against `targets` (`[batch, 784]` pixels in [0, 1]), as a scalar tensor.
    pub fn compute(self, logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
        match self {
            Self::Bce => bce_with_logits(logits, targets),
            Self::Mse => mse(sigmoid(logits), targets),
            Self::Euclid => euclidean(sigmoid(logits), targets),
        }
    }
}

/// Mean binary cross-entropy per pixel of `sigmoid(logits)` against `targets`, computed stably
/// as `z·(1 − x) − log σ(z)`: burn's fused `log_sigmoid` makes this a handful of whole-tensor
/// operations forward and backward (the expanded `max(z, 0) − z·x + log(1 + e^(−|z|))` took
/// three times as many).
pub fn bce_with_logits(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    let complement = targets.neg().add_scalar(1.0);
    (logits.clone() * complement - log_sigmoid(logits)).mean()
}

/// Mean squared error per pixel.
pub fn mse(pixels: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    (pixels - targets).square().mean()
}

/// Euclidean distance between each image and its target, averaged over the batch.
pub fn euclidean(pixels: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    (pixels - targets).square().sum_dim(1).sqrt().mean()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::default_device;
    use burn::tensor::TensorData;

    fn tensor(values: &[f32], cols: usize) -> Tensor<2> {
        let rows = values.len() / cols;
        Tensor::from_data(
            TensorData::new(values.to_vec(), [rows, cols]),
            &default_device(),
        )
    }

    fn scalar(t: Tensor<1>) -> f32 {
        t.into_scalar::<f32>()
    }

    #[test]
    fn bce_matches_the_formula_on_known_values() {
        // sigmoid(0) = 0.5 → −ln 0.5 whatever the target; sigmoid(2) vs 1 → −ln σ(2).
        let logits = tensor(&[0.0, 0.0, 2.0, -3.0], 4);
        let targets = tensor(&[0.0, 1.0, 1.0, 0.25], 4);
        let sig = |z: f32| 1.0 / (1.0 + (-z).exp());
        let expected = [(0.0f32, 0.0f32), (0.0, 1.0), (2.0, 1.0), (-3.0, 0.25)]
            .iter()
            .map(|&(z, x)| -(x * sig(z).ln() + (1.0 - x) * (1.0 - sig(z)).ln()))
            .sum::<f32>()
            / 4.0;
        let got = scalar(bce_with_logits(logits, targets));
        assert!((got - expected).abs() < 1e-5, "{got} vs {expected}");
    }

    #[test]
    fn bce_is_finite_for_extreme_logits() {
        let got = scalar(bce_with_logits(
            tensor(&[200.0, -200.0], 2),
            tensor(&[0.0, 1.0], 2),
        ));
        assert!((got - 200.0).abs() < 1e-3, "{got}");
    }

    #[test]
    fn mse_and_euclidean_on_known_values() {
        let a = tensor(&[1.0, 0.0, 0.0, 0.0, 0.0, 0.0], 3);
        let b = tensor(&[0.0, 0.0, 0.0, 0.0, 3.0, 4.0], 3);
        assert!((scalar(mse(a.clone(), b.clone())) - 26.0 / 6.0).abs() < 1e-5);
        // Row distances 1 and 5 → mean 3.
        assert!((scalar(euclidean(a, b)) - 3.0).abs() < 1e-5);
    }
}
