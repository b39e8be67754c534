//! Reconstruction losses: the three compared in the original report, and the scores of decoded
//! pixels.

use burn::tensor::Tensor;
use burn::tensor::activation::{log_sigmoid, sigmoid as sigmoid_tensor};
use rayon::prelude::*;

use crate::architecture::sigmoid;

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

/// Images per parallel work item in [`Loss::value_and_gradient`].
const ROWS_PER_TASK: usize = 16;

impl Loss {
    /// The mean loss of a batch and its gradient with respect to the logits, in one pass over
    /// plain numbers (`logits` and `targets` are `rows × width`, row-major, pixels in [0, 1]).
    ///
    /// Training feeds this gradient back into burn's graph (see `trainer::step`): built from
    /// whole-tensor operations, the loss and its backward pass took a third of a training step.
    pub fn value_and_gradient(
        self,
        logits: &[f32],
        targets: &[f32],
        width: usize,
    ) -> (f64, Vec<f32>) {
        let rows = logits.len() / width;
        // Each term of the sum is divided by this, as the mean over pixels (or images) does.
        let count = match self {
            Self::Bce | Self::Mse => logits.len(),
            Self::Euclid => rows,
        } as f32;
        let mut gradient = vec![0.0; logits.len()];
        let total: f64 = gradient
            .par_chunks_mut(width * ROWS_PER_TASK)
            .zip(logits.par_chunks(width * ROWS_PER_TASK))
            .zip(targets.par_chunks(width * ROWS_PER_TASK))
            .map(|((gradient, logits), targets)| {
                gradient
                    .chunks_mut(width)
                    .zip(logits.chunks(width).zip(targets.chunks(width)))
                    .map(|(gradient, (z, x))| self.row(z, x, gradient, count))
                    .sum::<f64>()
            })
            .sum();
        (total / f64::from(count), gradient)
    }

    /// One image's summed loss terms; writes its gradient, divided by `count`, into `gradient`.
    fn row(self, logits: &[f32], targets: &[f32], gradient: &mut [f32], count: f32) -> f64 {
        let pairs = logits.iter().zip(targets).zip(gradient.iter_mut());
        match self {
            Self::Bce => pairs
                .map(|((&z, &x), g)| {
                    // max(z, 0) − z·x + log(1 + e^(−|z|)), and σ(z) from the same exponential
                    // (equal to `sigmoid(z)`, without a second `exp`).
                    let e = (-z.abs()).exp();
                    let y = if z >= 0.0 {
                        1.0 / (1.0 + e)
                    } else {
                        e / (1.0 + e)
                    };
                    *g = (y - x) / count;
                    f64::from(z.max(0.0) - z * x + e.ln_1p())
                })
                .sum(),
            Self::Mse => pairs
                .map(|((&z, &x), g)| {
                    let y = sigmoid(z);
                    *g = 2.0 * (y - x) * y * (1.0 - y) / count;
                    f64::from((y - x) * (y - x))
                })
                .sum(),
            Self::Euclid => {
                // First pass: each pixel's difference y − x, kept in `gradient`.
                let squared: f32 = pairs
                    .map(|((&z, &x), g)| {
                        *g = sigmoid(z) - x;
                        *g * *g
                    })
                    .sum();
                let distance = squared.sqrt();
                for (g, &x) in gradient.iter_mut().zip(targets) {
                    let y = *g + x;
                    *g = if distance > 0.0 {
                        *g / distance * y * (1.0 - y) / count
                    } else {
                        0.0
                    };
                }
                f64::from(distance)
            }
        }
    }
}

/// Neighbour pairs of one 28 × 28 image: every pixel and the one to its right, and every pixel
/// and the one below it.
const EDGE_PAIRS: usize = 2 * 28 * 27;

/// Adds `weight` × the mean squared gradient difference (GDL) of a batch to its loss: for every
/// pair of horizontal or vertical neighbours `p`, `q` of a 28 × 28 image, `((yₚ − y_q) −
/// (xₚ − x_q))²` with `y = σ(z)` the decoded pixels and `x` the targets, averaged over the pairs
/// and images. A blurred edge has smaller differences than the sharp one it stands for, so the
/// term asks for edges as steep as the data's where pixel losses settle for their average.
/// Returns the term and adds its gradient with respect to the logits to `gradient` (all three
/// `rows × 784`, row-major).
pub fn add_edge_term(logits: &[f32], targets: &[f32], gradient: &mut [f32], weight: f32) -> f64 {
    const SIDE: usize = 28;
    let pixels = SIDE * SIDE;
    let count = (logits.len() / pixels * EDGE_PAIRS) as f32;
    let total: f64 = gradient
        .par_chunks_mut(pixels * ROWS_PER_TASK)
        .zip(logits.par_chunks(pixels * ROWS_PER_TASK))
        .zip(targets.par_chunks(pixels * ROWS_PER_TASK))
        .map(|((gradient, logits), targets)| {
            let mut sum = 0.0;
            for ((gradient, z), x) in (gradient.chunks_mut(pixels))
                .zip(logits.chunks(pixels))
                .zip(targets.chunks(pixels))
            {
                let y: Vec<f32> = z.iter().map(|&z| sigmoid(z)).collect();
                // dE/dy first, then through the sigmoid.
                let mut by_pixel = vec![0.0f32; pixels];
                for p in 0..pixels {
                    let (row, col) = (p / SIDE, p % SIDE);
                    let right = (col + 1 < SIDE).then_some(p + 1);
                    let below = (row + 1 < SIDE).then_some(p + SIDE);
                    for q in [right, below].into_iter().flatten() {
                        let d = (y[p] - y[q]) - (x[p] - x[q]);
                        sum += f64::from(d * d);
                        let g = 2.0 * weight * d / count;
                        by_pixel[p] += g;
                        by_pixel[q] -= g;
                    }
                }
                for ((g, dy), y) in gradient.iter_mut().zip(by_pixel).zip(y) {
                    *g += dy * y * (1.0 - y);
                }
            }
            sum
        })
        .sum();
    f64::from(weight) * total / f64::from(count)
}

/// Probabilities are clamped to `[PROBABILITY_FLOOR, 1 − PROBABILITY_FLOOR]` before their
/// logarithm in [`probability_scores`], so a pixel decoded as exactly 0 or 1 costs a finite amount.
pub const PROBABILITY_FLOOR: f64 = 1e-7;

/// Mean binary cross-entropy and mean squared error per pixel of `pixels` (probabilities, such
/// as decoded images) against `targets` (pixels in [0, 1]), in that order. Each probability is
/// clamped to [1e-7, 1 − 1e-7] first ([`PROBABILITY_FLOOR`]), for both scores.
pub fn probability_scores(pixels: &[f32], targets: &[f32]) -> (f64, f64) {
    assert_eq!(pixels.len(), targets.len(), "one target per pixel");
    let (mut bce, mut mse) = (0.0, 0.0);
    for (&p, &x) in pixels.iter().zip(targets) {
        let p = f64::from(p).clamp(PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR);
        let x = f64::from(x);
        bce -= x * p.ln() + (1.0 - x) * (1.0 - p).ln();
        mse += (p - x).powi(2);
    }
    let n = pixels.len() as f64;
    (bce / n, mse / n)
}

/// Mean binary cross-entropy per pixel of `sigmoid(logits)` against `targets`, computed stably
/// as `z·(1 − x) − log σ(z)`.
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

impl Loss {
    /// The mean loss of a batch of logits (`rows × width`) against its targets, as burn's tensor
    /// operations: what the device path of training differentiates (and the reference the fused
    /// pass is tested against).
    pub fn on_tensors(self, logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
        match self {
            Self::Bce => bce_with_logits(logits, targets),
            Self::Mse => mse(sigmoid_tensor(logits), targets),
            Self::Euclid => euclidean(sigmoid_tensor(logits), targets),
        }
    }
}

/// [`add_edge_term`]'s term as burn's tensor operations (not yet weighted): the mean squared
/// difference between the decoded and the real images' neighbouring-pixel differences, for
/// `rows × 784` logits and targets.
pub fn edge_term(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    const SIDE: usize = 28;
    let rows = logits.dims()[0];
    let error = (sigmoid_tensor(logits) - targets).reshape([rows, SIDE, SIDE]);
    let across = error.clone().slice([0..rows, 0..SIDE, 1..SIDE])
        - error.clone().slice([0..rows, 0..SIDE, 0..SIDE - 1]);
    let down = error.clone().slice([0..rows, 1..SIDE, 0..SIDE])
        - error.slice([0..rows, 0..SIDE - 1, 0..SIDE]);
    let count = (rows * EDGE_PAIRS) as f64;
    (across.square().sum() + down.square().sum()).div_scalar(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::model::default_device;
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
        let expected = [(0.0f32, 0.0f32), (0.0, 1.0), (2.0, 1.0), (-3.0, 0.25)]
            .iter()
            .map(|&(z, x)| -(x * sigmoid(z).ln() + (1.0 - x) * (1.0 - sigmoid(z)).ln()))
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

    #[test]
    fn the_fused_pass_matches_burns_autodiff_for_every_loss() {
        let (rows, width) = (40, 50);
        let logits: Vec<f32> = (0..rows * width)
            .map(|i| ((i * 37) % 101) as f32 / 8.0 - 6.0)
            .collect();
        let targets: Vec<f32> = (0..rows * width)
            .map(|i| ((i * 53) % 17) as f32 / 16.0)
            .collect();
        let device = default_device().autodiff();
        for loss in [Loss::Bce, Loss::Mse, Loss::Euclid] {
            let (value, gradient) = loss.value_and_gradient(&logits, &targets, width);
            let z = Tensor::<2>::from_data(TensorData::new(logits.clone(), [rows, width]), &device)
                .require_grad();
            let x =
                Tensor::<2>::from_data(TensorData::new(targets.clone(), [rows, width]), &device);
            let expected = loss.on_tensors(z.clone(), x);
            let expected_value = expected.clone().into_scalar::<f32>();
            let grads = expected.backward();
            let expected_gradient = z.grad(&grads).unwrap().into_data();
            assert!(
                (value as f32 - expected_value).abs() < 1e-5 * expected_value.abs().max(1.0),
                "{loss:?}: {value} vs {expected_value}"
            );
            let worst = gradient
                .iter()
                .zip(expected_gradient.iter::<f32>())
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            let largest = gradient.iter().fold(0.0f32, |m, g| m.max(g.abs()));
            assert!(largest > 1e-5, "{loss:?}: the gradient is not all zeros");
            assert!(
                worst < 1e-3 * largest,
                "{loss:?}: gradients differ by {worst}"
            );
        }
    }

    #[test]
    fn the_edge_term_is_zero_on_the_targets_and_its_gradient_matches_finite_differences() {
        let pixels = 28 * 28;
        let targets: Vec<f32> = (0..2 * pixels)
            .map(|i| ((i * 37 % 101) as f32 / 100.0).clamp(0.05, 0.95))
            .collect();
        let exact: Vec<f32> = targets.iter().map(|&x| (x / (1.0 - x)).ln()).collect();
        let mut gradient = vec![0.0; exact.len()];
        assert!(add_edge_term(&exact, &targets, &mut gradient, 3.0) < 1e-10);
        assert!(gradient.iter().all(|g| g.abs() < 1e-6));

        let logits: Vec<f32> = (0..2 * pixels)
            .map(|i| ((i * 13 % 29) as f32 - 14.0) / 5.0)
            .collect();
        let value = |z: &[f32]| add_edge_term(z, &targets, &mut vec![0.0; z.len()], 3.0);
        let mut gradient = vec![0.5; logits.len()];
        let base = add_edge_term(&logits, &targets, &mut gradient, 3.0);
        assert!(base > 0.0);
        let on_tensors = 3.0 * scalar(edge_term(tensor(&logits, pixels), tensor(&targets, pixels)));
        assert!(
            (f64::from(on_tensors) - base).abs() < 1e-4 * base,
            "tensor form {on_tensors} against {base}"
        );
        let h = 1e-2;
        for i in [0, 27, 28, 400, 783, 784 + 29, 2 * pixels - 1] {
            let (mut up, mut down) = (logits.clone(), logits.clone());
            up[i] += h;
            down[i] -= h;
            let numeric = (value(&up) - value(&down)) / (2.0 * f64::from(h));
            let analytic = f64::from(gradient[i] - 0.5); // added to what was there
            assert!(
                (numeric - analytic).abs() < 1e-3 * numeric.abs().max(1e-4),
                "pixel {i}: {analytic} against {numeric}"
            );
        }
    }

    #[test]
    fn the_fused_bce_is_finite_for_extreme_logits() {
        let (value, gradient) = Loss::Bce.value_and_gradient(&[200.0, -200.0], &[0.0, 1.0], 2);
        assert!((value - 200.0).abs() < 1e-3, "{value}");
        assert_eq!(gradient, vec![0.5, -0.5]);
    }

    #[test]
    fn probability_scores_on_known_values_and_at_the_clamp() {
        // p = ½ costs ln 2 whatever the target; (½ − 1)² = (½ − 0)² = ¼.
        let (bce, mse) = probability_scores(&[0.5, 0.5], &[1.0, 0.0]);
        assert!((bce - std::f64::consts::LN_2).abs() < 1e-12, "{bce}");
        assert!((mse - 0.25).abs() < 1e-12, "{mse}");
        // A certain, wrong pixel costs −ln 1e-7, not infinity; a certain, right one almost 0.
        let (bce, mse) = probability_scores(&[0.0, 1.0], &[1.0, 1.0]);
        assert!((bce - 1e7f64.ln() / 2.0).abs() < 1e-6, "{bce}");
        assert!((mse - 0.5).abs() < 1e-6, "{mse}");
        // The scores of probabilities agree with the loss on the logits they came from.
        let logits = [-4.0f32, -0.5, 0.0, 1.5, 6.0];
        let targets = [0.0f32, 0.25, 1.0, 0.8, 1.0];
        let pixels: Vec<f32> = logits.iter().map(|&z| sigmoid(z)).collect();
        let (bce, mse) = probability_scores(&pixels, &targets);
        let from_logits = Loss::Bce.value_and_gradient(&logits, &targets, 5).0;
        assert!((bce - from_logits).abs() < 1e-6, "{bce} vs {from_logits}");
        let mse_from_logits = Loss::Mse.value_and_gradient(&logits, &targets, 5).0;
        assert!(
            (mse - mse_from_logits).abs() < 1e-6,
            "{mse} vs {mse_from_logits}"
        );
    }
}
