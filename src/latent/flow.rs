//! A normalizing flow that refines every mixture component (RealNVP affine coupling layers): the
//! class's mixture picks a component, and the flow, an invertible map between standard normal
//! noise and codes, draws from it; the density is exact.
//!
//! A code is whitened by a component's Gaussian (`L⁻¹(x − μ)`), so that an untrained flow is the
//! mixture itself and training only adds what the Gaussians miss (a code of class `c` has density
//! `Σₖ wₖ qₖ(x)`, each `qₖ` the flow of component `k`). The mixtures keep the classes' separate
//! modes apart, which a single flow per class, a continuous map of one Gaussian, cannot (MODEL.md:
//! such a flow explained the test codes far better than the mixtures and drew worse digits).
//! Each coupling layer keeps half of the
//! coordinates and moves the other half: `y = x·exp(s) + t`, with `s` and `t` read from the kept
//! half and the component by a small network (two ReLU layers). Sampling runs the
//! layers backwards from noise, `x = (y − t)·exp(−s)`; the density runs them forwards. The
//! trainer (`latent-digits fit-flow`) fits the networks with burn; here they are plain Rust, so the
//! page and the command-line tool draw the same codes from the same seed.

use rand::{Rng, RngExt};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::{Gaussian, Mixture, standard_log_density};
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
    for (slot, coordinate) in moved
        .iter_mut()
        .zip((0..LATENT_DIM).filter(|c| !kept.contains(c)))
    {
        *slot = coordinate;
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

/// One affine coupling layer's network: the kept half and the component in, `s` and `t` out.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Coupling {
    /// `HALF` inputs to the hidden width.
    pub first: Dense,
    /// Per mixture component (every class's, in order), added to the first layer's output (the
    /// weights of a one-hot component input).
    #[serde(with = "super::half_precision")]
    pub component_bias: Vec<f32>,
    /// Hidden to hidden.
    pub second: Dense,
    /// Hidden to `2·HALF`: raw log-scales, then shifts.
    pub last: Dense,
}

impl Coupling {
    /// The log-scales `s` and shifts `t` for the kept values `kept` of component row `row`.
    fn scale_and_shift(&self, kept: &[f32; HALF], row: usize, work: &mut Work) -> [f32; 2 * HALF] {
        let hidden = self.first.outputs as usize;
        let (a, b) = (&mut work.a[..hidden], &mut work.b[..hidden]);
        self.first.apply(kept, a, false);
        let bias = &self.component_bias[row * hidden..(row + 1) * hidden];
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

/// The flow: coupling layers shared by every mixture component of every class.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Flow {
    /// Mixture components of each class, as in the statistics it was trained with.
    pub components: Vec<u32>,
    /// Coupling layers in data-to-noise order.
    pub layers: Vec<Coupling>,
}

impl Flow {
    /// Hidden width of the coupling networks.
    pub fn hidden(&self) -> usize {
        self.layers.first().map_or(0, |l| l.first.outputs as usize)
    }

    /// The row of component `k` of `class` among every class's components.
    pub fn row(&self, class: usize, k: usize) -> usize {
        self.components[..class]
            .iter()
            .map(|&c| c as usize)
            .sum::<usize>()
            + k
    }

    fn work(&self) -> Work {
        Work {
            a: vec![0.0; self.hidden()],
            b: vec![0.0; self.hidden()],
        }
    }

    /// Checks shapes and values against the mixtures' component counts (`components`, one per
    /// class), so that sampling cannot fail or index out of bounds.
    pub fn validate(&self, components: &[usize]) -> Result<(), String> {
        let own: Vec<usize> = self.components.iter().map(|&c| c as usize).collect();
        if own != components {
            return Err(format!(
                "the flow was trained for mixtures of {own:?} components, these have {components:?}"
            ));
        }
        if self.layers.is_empty() || self.layers.len() > 64 {
            return Err(format!("the flow has {} layers (1–64)", self.layers.len()));
        }
        let hidden = self.hidden();
        if !(1..=1024).contains(&hidden) {
            return Err(format!("the flow's hidden width is {hidden} (1–1024)"));
        }
        let rows: usize = components.iter().sum();
        for (i, layer) in self.layers.iter().enumerate() {
            let what = |part: &str| format!("the flow's layer {i} {part}");
            layer.first.check(HALF, hidden, &what("first"))?;
            layer.second.check(hidden, hidden, &what("second"))?;
            layer.last.check(hidden, 2 * HALF, &what("last"))?;
            if layer.component_bias.len() != rows * hidden
                || !layer.component_bias.iter().all(|v| v.is_finite())
            {
                return Err(what("component biases are malformed"));
            }
        }
        Ok(())
    }

    /// Maps standard normal `noise` (32 values) through component row `row`'s flow and its
    /// Gaussian `base` to a code, appended to `out`.
    pub fn code_from_noise(
        &self,
        noise: &[f32; LATENT_DIM],
        row: usize,
        base: &Gaussian,
        out: &mut Vec<f32>,
    ) {
        let mut work = self.work();
        let mut x = *noise;
        for (index, layer) in self.layers.iter().enumerate().rev() {
            let kept = kept_coordinates(index).map(|c| x[c]);
            let st = layer.scale_and_shift(&kept, row, &mut work);
            for (i, c) in moved_coordinates(index).into_iter().enumerate() {
                x[c] = (x[c] - st[HALF + i]) * libm::expf(-st[i]);
            }
        }
        base.from_standard(&x, 1.0, out);
    }

    /// Draws a code of `class`: a component of its `mixture` by weight, then that component's
    /// flow from noise scaled by `√spread` (the variance by `spread`, as the Gaussians scale
    /// their covariance). Returns the component.
    pub fn sample_into(
        &self,
        mixture: &Mixture,
        class: usize,
        spread: f32,
        rng: &mut impl Rng,
        out: &mut Vec<f32>,
    ) -> u32 {
        let k = mixture.pick(rng.random());
        let scale = spread.sqrt();
        let noise: [f32; LATENT_DIM] =
            std::array::from_fn(|_| scale * rng.sample::<f32, _>(StandardNormal));
        self.code_from_noise(&noise, self.row(class, k), &mixture.components[k], out);
        k as u32
    }

    /// Natural log of the density of `code` (32 values) under component row `row`'s flow on
    /// its Gaussian `base`.
    pub fn component_log_density(&self, code: &[f32], row: usize, base: &Gaussian) -> f64 {
        let mut work = self.work();
        let (white, base_log_det) = base.whiten(code);
        let mut x: [f32; LATENT_DIM] = white.map(|v| v as f32);
        let mut log_det = -base_log_det;
        for (index, layer) in self.layers.iter().enumerate() {
            let kept = kept_coordinates(index).map(|c| x[c]);
            let st = layer.scale_and_shift(&kept, row, &mut work);
            for (i, c) in moved_coordinates(index).into_iter().enumerate() {
                x[c] = x[c] * libm::expf(st[i]) + st[HALF + i];
                log_det += f64::from(st[i]);
            }
        }
        log_det + standard_log_density(&x.map(f64::from))
    }

    /// Natural log of the density of `code` for `class`, whose mixture is `mixture`:
    /// `log Σₖ wₖ qₖ(code)`.
    pub fn log_density(&self, code: &[f32], class: usize, mixture: &Mixture) -> f64 {
        let terms: Vec<f64> = (mixture.weights.iter().zip(&mixture.components))
            .enumerate()
            .map(|(k, (&w, base))| {
                f64::from(w).ln() + self.component_log_density(code, self.row(class, k), base)
            })
            .collect();
        super::log_sum_exp(&terms)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::ChaCha8Rng;

    /// `n` random values of size about `size`, rounded to half precision as a file stores them.
    fn values(rng: &mut ChaCha8Rng, n: usize, size: f32) -> Vec<f32> {
        (0..n)
            .map(|_| {
                let v: f32 = rng.sample(StandardNormal);
                half::f16::from_f32(v * size).to_f32()
            })
            .collect()
    }

    /// A random Gaussian with a well-conditioned Cholesky factor.
    pub(crate) fn random_gaussian(rng: &mut ChaCha8Rng) -> Gaussian {
        let mut cholesky = Vec::new();
        for i in 0..LATENT_DIM {
            cholesky.extend(values(rng, i, 0.2));
            cholesky.push(1.0 + f32::from(rng.random_range(0u8..8)) / 8.0);
        }
        Gaussian {
            mean: values(rng, LATENT_DIM, 1.0),
            cholesky,
        }
    }

    /// A random mixture of `k` components.
    pub(crate) fn random_mixture(k: usize, seed: u64) -> Mixture {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut weights: Vec<f32> = (1..=k).map(|i| i as f32).collect();
        let total: f32 = weights.iter().sum();
        weights.iter_mut().for_each(|w| *w /= total);
        Mixture {
            weights,
            components: (0..k).map(|_| random_gaussian(&mut rng)).collect(),
        }
    }

    /// A random flow of `layers` layers, hidden width 8, for mixtures of `components`
    /// components per class; `identity` zeroes the last layers (an untrained flow).
    pub(crate) fn random_flow(
        layers: usize,
        seed: u64,
        components: &[usize],
        identity: bool,
    ) -> Flow {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let hidden = 8;
        let rows: usize = components.iter().sum();
        let mut dense = |inputs: usize, outputs: usize, size: f32| Dense {
            inputs: inputs as u32,
            outputs: outputs as u32,
            weights: values(&mut rng, inputs * outputs, size),
            biases: values(&mut rng, outputs, size / 3.0),
        };
        let last_size = if identity { 0.0 } else { 0.3 };
        let layers = (0..layers)
            .map(|_| Coupling {
                first: dense(HALF, hidden, 0.3),
                component_bias: dense(rows, hidden, 0.3).weights,
                second: dense(hidden, hidden, 0.3),
                last: dense(hidden, 2 * HALF, last_size),
            })
            .collect();
        Flow {
            components: components.iter().map(|&c| c as u32).collect(),
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
            let (upper, lower) = a.split_at_mut(col + 1);
            let pivot_row = &upper[col];
            for row in lower {
                let factor = row[col] / pivot_row[col];
                for (value, &p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                    *value -= factor * p;
                }
            }
        }
        total
    }

    #[test]
    fn the_density_is_the_noise_density_through_the_change_of_variables() {
        // q(x) = N(ε) / |det ∂x/∂ε| for x drawn from ε: the Jacobian by central differences.
        let flow = random_flow(6, 3, &[2, 3], false);
        flow.validate(&[2, 3]).unwrap();
        let base = random_mixture(1, 4).components.remove(0);
        let row = flow.row(1, 2);
        assert_eq!(row, 4);
        let noise: [f32; LATENT_DIM] = std::array::from_fn(|i| ((i * 7 % 11) as f32 - 5.0) / 5.0);
        let code_of = |noise: &[f32; LATENT_DIM], row| {
            let mut out = Vec::new();
            flow.code_from_noise(noise, row, &base, &mut out);
            out
        };
        let h = 2e-3;
        let mut jacobian = vec![vec![0f64; LATENT_DIM]; LATENT_DIM];
        for j in 0..LATENT_DIM {
            let (mut up, mut down) = (noise, noise);
            up[j] += h;
            down[j] -= h;
            let (a, b) = (code_of(&up, row), code_of(&down, row));
            for i in 0..LATENT_DIM {
                jacobian[i][j] = f64::from(a[i] - b[i]) / (2.0 * f64::from(h));
            }
        }
        let log_noise = standard_log_density(&noise.map(f64::from));
        let expected = log_noise - log_abs_determinant(jacobian);
        let found = flow.component_log_density(&code_of(&noise, row), row, &base);
        assert!(
            (found - expected).abs() < 0.05,
            "{found} against {expected}"
        );
        assert_ne!(
            code_of(&noise, row),
            code_of(&noise, 0),
            "the component changes the code"
        );
    }

    #[test]
    fn the_density_of_a_sample_matches_its_noise() {
        let flow = random_flow(4, 11, &[1, 1, 1], false);
        let base = random_mixture(1, 5).components.remove(0);
        let noise: [f32; LATENT_DIM] = std::array::from_fn(|i| (i as f32 - 15.5) / 10.0);
        let mut code = Vec::new();
        flow.code_from_noise(&noise, 2, &base, &mut code);
        // Run forwards by hand: whiten, then every layer, and compare with the noise.
        let mut x = base.whiten(&code).0.map(|v| v as f32);
        let mut work = flow.work();
        for (index, layer) in flow.layers.iter().enumerate() {
            let kept = kept_coordinates(index).map(|c| x[c]);
            let st = layer.scale_and_shift(&kept, 2, &mut work);
            for (i, c) in moved_coordinates(index).into_iter().enumerate() {
                x[c] = x[c] * st[i].exp() + st[HALF + i];
            }
        }
        for (a, b) in x.iter().zip(noise) {
            assert!((a - b).abs() < 1e-3, "{a} against {b}");
        }
    }

    #[test]
    fn an_untrained_flow_is_the_mixture() {
        let mixture = random_mixture(3, 8);
        let flow = random_flow(4, 2, &[2, 3], true);
        let (mut from_flow, mut from_mixture) = (Vec::new(), Vec::new());
        let mut rng = super::super::rng_for(5, 1);
        let flow_components: Vec<u32> = (0..50)
            .map(|_| flow.sample_into(&mixture, 1, 0.7, &mut rng, &mut from_flow))
            .collect();
        let mut rng = super::super::rng_for(5, 1);
        let mixture_components: Vec<u32> = (0..50)
            .map(|_| mixture.sample_into(0.7, &mut rng, &mut from_mixture))
            .collect();
        assert_eq!(flow_components, mixture_components);
        for (a, b) in from_flow.iter().zip(&from_mixture) {
            assert!((a - b).abs() < 1e-4, "{a} against {b}");
        }
        for code in from_flow.chunks(LATENT_DIM).take(5) {
            let (a, b) = (
                flow.log_density(code, 1, &mixture),
                mixture.log_density(code),
            );
            assert!((a - b).abs() < 1e-4, "{a} against {b}");
        }
    }

    #[test]
    fn malformed_flows_are_refused_with_the_reason() {
        let flow = || random_flow(2, 1, &[2, 2], false);
        let mut broken = flow();
        broken.layers[1].second.weights.pop();
        assert!(
            broken
                .validate(&[2, 2])
                .unwrap_err()
                .contains("layer 1 second")
        );
        let mut broken = flow();
        broken.layers[0].last.biases[0] = f32::NAN;
        assert!(broken.validate(&[2, 2]).unwrap_err().contains("non-finite"));
        let mut broken = flow();
        broken.layers[0].component_bias.pop();
        assert!(
            broken
                .validate(&[2, 2])
                .unwrap_err()
                .contains("component biases")
        );
        assert!(
            flow()
                .validate(&[2, 3])
                .unwrap_err()
                .contains("trained for mixtures")
        );
    }
}
