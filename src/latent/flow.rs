//! A class-conditional normalizing flow over the codes (RealNVP affine coupling layers): an
//! invertible map between standard normal noise and codes whose density is exact.
//!
//! The data are first standardised per coordinate. Each coupling layer keeps half of the
//! coordinates (`conditioner`) and moves the other half: `y = x·exp(s) + t`, with `s` and `t`
//! read from the kept half and the class by a small network (two ReLU layers). Sampling runs the
//! layers backwards from noise, `x = (y − t)·exp(−s)`; the density runs them forwards. The
//! trainer (`latent-digits fit-flow`) fits the networks with burn; here they are plain Rust, so the
//! page and the command-line tool draw the same codes from the same seed.

use rand::{Rng, RngExt};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use crate::architecture::LATENT_DIM;

/// Coordinates each coupling layer keeps (and moves).
pub const HALF: usize = LATENT_DIM / 2;
/// Largest magnitude of a log-scale: `s = SCALE_LIMIT · tanh(raw / SCALE_LIMIT)`.
pub const SCALE_LIMIT: f32 = 2.0;

/// Which coordinates coupling layer `layer` keeps: even, odd, first half, second half, in turn.
pub fn kept_coordinates(layer: usize) -> [usize; HALF] {
    std::array::from_fn(|i| match layer % 4 {
        0 => 2 * i,
        1 => 2 * i + 1,
        2 => i,
        _ => HALF + i,
    })
}

/// The coordinates coupling layer `layer` moves: those it does not keep, ascending.
pub fn moved_coordinates(layer: usize) -> [usize; HALF] {
    let kept = kept_coordinates(layer);
    let mut moved = [0; HALF];
    let mut next = 0;
    for coordinate in (0..LATENT_DIM).filter(|c| !kept.contains(c)) {
        moved[next] = coordinate;
        next += 1;
    }
    moved
}

/// A dense layer, `out = b + x·W`, with `W` stored input-major (`inputs × outputs`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Dense {
    /// Input count.
    pub inputs: u32,
    /// Output count.
    pub outputs: u32,
    /// `inputs × outputs` weights, row `i` for input `i`.
    #[serde(with = "super::half_precision")]
    pub weights: Vec<f32>,
    /// `outputs` biases.
    #[serde(with = "super::half_precision")]
    pub biases: Vec<f32>,
}

impl Dense {
    fn check(&self, inputs: usize, outputs: usize, what: &str) -> Result<(), String> {
        if self.inputs as usize != inputs
            || self.outputs as usize != outputs
            || self.weights.len() != inputs * outputs
            || self.biases.len() != outputs
        {
            return Err(format!(
                "{what} should be {inputs}×{outputs}, found {}×{} with {} weights and {} biases",
                self.inputs,
                self.outputs,
                self.weights.len(),
                self.biases.len()
            ));
        }
        if !self
            .weights
            .iter()
            .chain(&self.biases)
            .all(|v| v.is_finite())
        {
            return Err(format!("{what} has non-finite values"));
        }
        Ok(())
    }

    /// `out = b + x·W`, then ReLU if `relu`.
    fn apply(&self, x: &[f32], out: &mut [f32], relu: bool) {
        let outputs = self.outputs as usize;
        out.copy_from_slice(&self.biases);
        for (&value, row) in x.iter().zip(self.weights.chunks_exact(outputs)) {
            for (o, &w) in out.iter_mut().zip(row) {
                *o += value * w;
            }
        }
        if relu {
            out.iter_mut().for_each(|o| *o = o.max(0.0));
        }
    }
}

/// One affine coupling layer's network: the kept half and the class in, `s` and `t` out.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Coupling {
    /// `HALF` inputs to the hidden width.
    pub first: Dense,
    /// Per class, added to the first layer's output (a one-hot class input's weights).
    #[serde(with = "super::half_precision")]
    pub class_bias: Vec<f32>,
    /// Hidden to hidden.
    pub second: Dense,
    /// Hidden to `2·HALF`: raw log-scales, then shifts.
    pub last: Dense,
}

impl Coupling {
    /// The log-scales `s` and shifts `t` for the kept values `kept` of class `class`.
    fn scale_and_shift(
        &self,
        kept: &[f32; HALF],
        class: usize,
        work: &mut Work,
    ) -> [f32; 2 * HALF] {
        let hidden = self.first.outputs as usize;
        let (a, b) = (&mut work.a[..hidden], &mut work.b[..hidden]);
        self.first.apply(kept, a, false);
        let bias = &self.class_bias[class * hidden..(class + 1) * hidden];
        a.iter_mut()
            .zip(bias)
            .for_each(|(v, c)| *v = (*v + c).max(0.0));
        self.second.apply(a, b, true);
        let mut out = [0.0; 2 * HALF];
        self.last.apply(b, &mut out, false);
        for s in &mut out[..HALF] {
            *s = SCALE_LIMIT * libm::tanhf(*s / SCALE_LIMIT);
        }
        out
    }
}

/// Scratch space for the hidden layers.
struct Work {
    a: Vec<f32>,
    b: Vec<f32>,
}

/// The flow: standardisation, then coupling layers; one network for every class.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Flow {
    /// Number of classes it was trained on.
    pub classes: u32,
    /// Mean of every training code coordinate.
    pub shift: Vec<f32>,
    /// Standard deviation of every training code coordinate.
    pub scale: Vec<f32>,
    /// Coupling layers in data-to-noise order.
    pub layers: Vec<Coupling>,
}

impl Flow {
    /// Hidden width of the coupling networks.
    pub fn hidden(&self) -> usize {
        self.layers.first().map_or(0, |l| l.first.outputs as usize)
    }

    fn work(&self) -> Work {
        Work {
            a: vec![0.0; self.hidden()],
            b: vec![0.0; self.hidden()],
        }
    }

    /// Checks shapes and values, so that sampling cannot fail or index out of bounds.
    pub fn validate(&self, classes: usize) -> Result<(), String> {
        if self.classes as usize != classes {
            return Err(format!(
                "the flow has {} classes, expected {classes}",
                self.classes
            ));
        }
        if self.shift.len() != LATENT_DIM || self.scale.len() != LATENT_DIM {
            return Err("the flow's standardisation has the wrong length".into());
        }
        if !self.shift.iter().all(|v| v.is_finite())
            || !self.scale.iter().all(|v| v.is_finite() && *v > 0.0)
        {
            return Err("the flow's standardisation is not finite and positive".into());
        }
        if self.layers.is_empty() || self.layers.len() > 64 {
            return Err(format!("the flow has {} layers (1–64)", self.layers.len()));
        }
        let hidden = self.hidden();
        if !(1..=1024).contains(&hidden) {
            return Err(format!("the flow's hidden width is {hidden} (1–1024)"));
        }
        for (i, layer) in self.layers.iter().enumerate() {
            let what = |part: &str| format!("the flow's layer {i} {part}");
            layer.first.check(HALF, hidden, &what("first"))?;
            layer.second.check(hidden, hidden, &what("second"))?;
            layer.last.check(hidden, 2 * HALF, &what("last"))?;
            if layer.class_bias.len() != classes * hidden
                || !layer.class_bias.iter().all(|v| v.is_finite())
            {
                return Err(what("class biases are malformed"));
            }
        }
        Ok(())
    }

    /// Maps standard normal `noise` (32 values) to a code of `class`, appended to `out`.
    pub fn code_from_noise(&self, noise: &[f32; LATENT_DIM], class: usize, out: &mut Vec<f32>) {
        let mut work = self.work();
        let mut x = *noise;
        for (index, layer) in self.layers.iter().enumerate().rev() {
            let kept = kept_coordinates(index).map(|c| x[c]);
            let st = layer.scale_and_shift(&kept, class, &mut work);
            for (i, c) in moved_coordinates(index).into_iter().enumerate() {
                x[c] = (x[c] - st[HALF + i]) * libm::expf(-st[i]);
            }
        }
        out.extend(
            x.iter()
                .zip(self.scale.iter().zip(&self.shift))
                .map(|(v, (s, m))| v * s + m),
        );
    }

    /// Draws a code of `class` with noise scaled by `√spread` (the variance by `spread`), as the
    /// Gaussians scale their covariance.
    pub fn sample_into(&self, class: usize, spread: f32, rng: &mut impl Rng, out: &mut Vec<f32>) {
        let scale = spread.sqrt();
        let noise: [f32; LATENT_DIM] =
            std::array::from_fn(|_| scale * rng.sample::<f32, _>(StandardNormal));
        self.code_from_noise(&noise, class, out);
    }

    /// Natural log of the flow's density of `code` (32 values) for `class`.
    pub fn log_density(&self, code: &[f32], class: usize) -> f64 {
        let mut work = self.work();
        let mut log_det: f64 = -self.scale.iter().map(|s| f64::from(*s).ln()).sum::<f64>();
        let mut x: [f32; LATENT_DIM] =
            std::array::from_fn(|i| (code[i] - self.shift[i]) / self.scale[i]);
        for (index, layer) in self.layers.iter().enumerate() {
            let kept = kept_coordinates(index).map(|c| x[c]);
            let st = layer.scale_and_shift(&kept, class, &mut work);
            for (i, c) in moved_coordinates(index).into_iter().enumerate() {
                x[c] = x[c] * libm::expf(st[i]) + st[HALF + i];
                log_det += f64::from(st[i]);
            }
        }
        let squared: f64 = x.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
        log_det - 0.5 * (LATENT_DIM as f64 * (2.0 * std::f64::consts::PI).ln() + squared)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::ChaCha8Rng;

    /// A random flow of `layers` layers, hidden width 8, its values rounded to half precision as
    /// a file stores them.
    pub(crate) fn random_flow(layers: usize, seed: u64) -> Flow {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut values = |n: usize, size: f32| -> Vec<f32> {
            (0..n)
                .map(|_| {
                    let v: f32 = rng.sample(StandardNormal);
                    half::f16::from_f32(v * size).to_f32()
                })
                .collect()
        };
        let hidden = 8;
        let mut dense = |inputs: usize, outputs: usize| Dense {
            inputs: inputs as u32,
            outputs: outputs as u32,
            weights: values(inputs * outputs, 0.3),
            biases: values(outputs, 0.1),
        };
        let layers = (0..layers)
            .map(|_| Coupling {
                first: dense(HALF, hidden),
                class_bias: dense(10, hidden).weights,
                second: dense(hidden, hidden),
                last: dense(hidden, 2 * HALF),
            })
            .collect();
        Flow {
            classes: 10,
            shift: vec![0.5; LATENT_DIM],
            scale: vec![2.0; LATENT_DIM],
            layers,
        }
    }

    #[test]
    fn every_layer_keeps_half_and_moves_the_other_half() {
        for layer in 0..4 {
            let mut all: Vec<usize> = kept_coordinates(layer).to_vec();
            all.extend(moved_coordinates(layer));
            all.sort_unstable();
            assert_eq!(all, (0..LATENT_DIM).collect::<Vec<_>>());
        }
    }

    /// `log |det A|` of a square matrix by Gaussian elimination with partial pivoting.
    fn log_abs_determinant(mut a: Vec<Vec<f64>>) -> f64 {
        let n = a.len();
        let mut total = 0.0;
        for col in 0..n {
            let pivot = (col..n)
                .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
                .unwrap();
            a.swap(col, pivot);
            total += a[col][col].abs().ln();
            for row in col + 1..n {
                let factor = a[row][col] / a[col][col];
                for k in col..n {
                    a[row][k] -= factor * a[col][k];
                }
            }
        }
        total
    }

    #[test]
    fn the_density_is_the_noise_density_through_the_change_of_variables() {
        // p(x) = N(ε) / |det ∂x/∂ε| for x drawn from ε: the Jacobian by central differences.
        let flow = random_flow(6, 3);
        flow.validate(10).unwrap();
        let noise: [f32; LATENT_DIM] = std::array::from_fn(|i| ((i * 7 % 11) as f32 - 5.0) / 5.0);
        let code_of = |noise: &[f32; LATENT_DIM]| {
            let mut out = Vec::new();
            flow.code_from_noise(noise, 2, &mut out);
            out
        };
        let h = 1e-2;
        let mut jacobian = vec![vec![0f64; LATENT_DIM]; LATENT_DIM];
        for j in 0..LATENT_DIM {
            let (mut up, mut down) = (noise, noise);
            up[j] += h;
            down[j] -= h;
            let (a, b) = (code_of(&up), code_of(&down));
            for i in 0..LATENT_DIM {
                jacobian[i][j] = f64::from(a[i] - b[i]) / (2.0 * f64::from(h));
            }
        }
        let squared: f64 = noise.iter().map(|&e| f64::from(e) * f64::from(e)).sum();
        let log_noise = -0.5 * (LATENT_DIM as f64 * (2.0 * std::f64::consts::PI).ln() + squared);
        let expected = log_noise - log_abs_determinant(jacobian);
        let found = flow.log_density(&code_of(&noise), 2);
        assert!(
            (found - expected).abs() < 0.05,
            "{found} against {expected}"
        );
        let mut other = Vec::new();
        flow.code_from_noise(&noise, 7, &mut other);
        assert_ne!(code_of(&noise), other, "the class changes the code");
    }

    #[test]
    fn the_density_of_a_sample_matches_its_noise() {
        let flow = random_flow(4, 11);
        let noise: [f32; LATENT_DIM] = std::array::from_fn(|i| (i as f32 - 15.5) / 10.0);
        let mut code = Vec::new();
        flow.code_from_noise(&noise, 4, &mut code);
        // Run forwards by hand: standardise, then every layer, and compare with the noise.
        let mut x: Vec<f32> = (0..LATENT_DIM)
            .map(|i| (code[i] - flow.shift[i]) / flow.scale[i])
            .collect();
        let mut work = flow.work();
        for (index, layer) in flow.layers.iter().enumerate() {
            let kept = kept_coordinates(index).map(|c| x[c]);
            let st = layer.scale_and_shift(&kept, 4, &mut work);
            for (i, c) in moved_coordinates(index).into_iter().enumerate() {
                x[c] = x[c] * st[i].exp() + st[HALF + i];
            }
        }
        for (a, b) in x.iter().zip(noise) {
            assert!((a - b).abs() < 1e-4, "{a} against {b}");
        }
    }

    #[test]
    fn malformed_flows_are_refused_with_the_reason() {
        let mut flow = random_flow(2, 1);
        flow.layers[1].second.weights.pop();
        assert!(flow.validate(10).unwrap_err().contains("layer 1 second"));
        let mut flow = random_flow(2, 1);
        flow.scale[3] = 0.0;
        assert!(flow.validate(10).unwrap_err().contains("standardisation"));
        let mut flow = random_flow(2, 1);
        flow.layers[0].last.biases[0] = f32::NAN;
        assert!(flow.validate(10).unwrap_err().contains("non-finite"));
        assert!(
            random_flow(2, 1)
                .validate(3)
                .unwrap_err()
                .contains("classes")
        );
    }
}
