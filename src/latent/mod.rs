//! Statistics of the 32-d codes: per-class Gaussians and Gaussian mixtures, a class-conditional
//! normalizing flow, and PCA.
//!
//! The types here are what the wasm crate embeds; sampling and scoring are plain Rust so the
//! browser and the native tool draw the same latents from the same seed. Fitting lives in
//! `fit` (feature `train`).

#[cfg(feature = "train")]
pub mod fit;
pub mod flow;
pub mod style;

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use crate::architecture::LATENT_DIM;
use flow::Flow;

/// Number of digit classes.
pub const CLASSES: usize = 10;
/// Entries of a packed lower-triangular 32×32 matrix.
pub const PACKED_TRIANGLE: usize = LATENT_DIM * (LATENT_DIM + 1) / 2;

/// A Gaussian over codes, stored by its mean and the Cholesky factor of its covariance, both
/// at half precision in the file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Gaussian {
    /// 32 values.
    #[serde(with = "half_precision")]
    pub mean: Vec<f32>,
    /// Lower-triangular `L` with `L·Lᵀ = Σ`, packed row by row (row `i` holds `i + 1` values).
    #[serde(with = "half_precision")]
    pub cholesky: Vec<f32>,
}

/// A mixture of Gaussians with full covariances.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Mixture {
    /// Component weights, summing to 1.
    pub weights: Vec<f32>,
    /// One Gaussian per weight.
    pub components: Vec<Gaussian>,
}

/// The two samplers fitted for one digit.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ClassStats {
    /// Mean and full covariance of the digit's codes (the original's sampler).
    pub gaussian: Gaussian,
    /// Mixture chosen on held-out codes.
    pub mixture: Mixture,
}

/// Principal components of all training codes, and a labelled 2-D projection of test codes.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Pca {
    /// Mean code.
    pub mean: Vec<f32>,
    /// Variances along the components, descending (32 values).
    pub eigenvalues: Vec<f32>,
    /// Unit components, row `i` for eigenvalue `i` (32×32, row-major).
    pub components: Vec<f32>,
    /// Projections `(x, y)` of test codes on the first two components (half precision in the file).
    #[serde(with = "half_precision")]
    pub points: Vec<f32>,
    /// Class of each point.
    pub labels: Vec<u8>,
}

/// Stores `f32` values as IEEE half-precision bytes (little-endian), which halves the statistics
/// in the page's download. Sampling noise and the spread of the codes dwarf the rounding (a
/// relative 5·10⁻⁴).
mod half_precision {
    use half::f16;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(values: &[f32], serializer: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = values
            .iter()
            .flat_map(|&v| f16::from_f32(v).to_le_bytes())
            .collect();
        bytes.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<f32>, D::Error> {
        // Postcard writes a sequence of bytes as it writes bytes (a length, then the bytes):
        // borrowed in one piece, they parse many times faster than one by one.
        let bytes = <&[u8]>::deserialize(deserializer)?;
        if bytes.len() % 2 != 0 {
            return Err(serde::de::Error::custom(
                "odd number of half-precision bytes",
            ));
        }
        Ok(bytes
            .chunks_exact(2)
            .map(|pair| f16::from_le_bytes([pair[0], pair[1]]).to_f32())
            .collect())
    }
}

/// Which sampler to draw codes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// The digit's Gaussian mixture.
    Mixture,
    /// The digit's single Gaussian.
    Gaussian,
    /// The normalizing flow on the digit's mixture components.
    Flow,
}

impl Method {
    /// The methods from best to worst by `latent-digits evaluate`'s Fréchet distance at their
    /// default spreads on the committed models (MODEL.md): a model's default is the first it has.
    pub const PREFERENCE: [Self; 3] = [Self::Mixture, Self::Flow, Self::Gaussian];

    /// The default spread of this sampler: 0.2 for the Gaussian (the original's), 0.85 for the
    /// mixture and the flow (chosen with `latent-digits evaluate`: class accuracy ≥ 0.98 while
    /// memorisation stays at about that of unseen real digits; MODEL.md has the scans).
    pub fn default_spread(self) -> f32 {
        match self {
            Self::Mixture | Self::Flow => 0.85,
            Self::Gaussian => 0.2,
        }
    }
}

/// Sampled codes and, for each, the mixture component it came from (0 for the single Gaussian).
#[derive(Clone, Debug, PartialEq)]
pub struct Samples {
    /// `n × 32` values, row-major.
    pub latents: Vec<f32>,
    /// `n` component indices.
    pub components: Vec<u32>,
}

/// The random stream for `digit` under `seed`: the same in the browser and natively.
pub fn rng_for(seed: u64, digit: usize) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ digit as u64)
}

impl Gaussian {
    /// Appends `μ + scale · L·ε`: standard normal `noise` ε made a draw of this Gaussian with
    /// its covariance scaled by `scale²`.
    pub fn from_standard(&self, noise: &[f32; LATENT_DIM], scale: f32, out: &mut Vec<f32>) {
        let mut row_start = 0;
        for (i, mean) in self.mean.iter().enumerate() {
            let row = &self.cholesky[row_start..row_start + i + 1];
            let correlated: f32 = row.iter().zip(noise).map(|(l, e)| l * e).sum();
            out.push(mean + scale * correlated);
            row_start += i + 1;
        }
    }

    /// Draws `μ + √spread · L·ε` with `ε` standard normal: covariance scaled by `spread`.
    pub fn sample_into(&self, spread: f32, rng: &mut impl Rng, out: &mut Vec<f32>) {
        let noise: [f32; LATENT_DIM] = std::array::from_fn(|_| rng.sample(StandardNormal));
        self.from_standard(&noise, spread.sqrt(), out);
    }

    /// `L⁻¹(z − μ)` (forward substitution) and `log |det L|`: `z` whitened by this Gaussian.
    pub fn whiten(&self, z: &[f32]) -> ([f64; LATENT_DIM], f64) {
        let mut y = [0f64; LATENT_DIM];
        let (mut row_start, mut log_det) = (0, 0.0);
        for i in 0..LATENT_DIM {
            let row = &self.cholesky[row_start..row_start + i + 1];
            let dot: f64 = row[..i]
                .iter()
                .zip(&y)
                .map(|(&l, &yj)| f64::from(l) * yj)
                .sum();
            let diagonal = f64::from(row[i]);
            y[i] = (f64::from(z[i]) - f64::from(self.mean[i]) - dot) / diagonal;
            log_det += diagonal.ln();
            row_start += i + 1;
        }
        (y, log_det)
    }

    /// Checks the sizes, that every value is finite and that the Cholesky diagonal is positive;
    /// `what` names the Gaussian in the error.
    pub fn validate(&self, what: &str) -> Result<(), String> {
        if self.mean.len() != LATENT_DIM || self.cholesky.len() != PACKED_TRIANGLE {
            return Err(format!(
                "{what} has {} mean and {} Cholesky values",
                self.mean.len(),
                self.cholesky.len()
            ));
        }
        if !self
            .mean
            .iter()
            .chain(&self.cholesky)
            .all(|v| v.is_finite())
        {
            return Err(format!("{what} has non-finite values"));
        }
        let mut diagonal = 0;
        for i in 0..LATENT_DIM {
            diagonal += i;
            if self.cholesky[diagonal] <= 0.0 {
                return Err(format!(
                    "{what}'s Cholesky factor has a non-positive diagonal"
                ));
            }
            diagonal += 1;
        }
        Ok(())
    }

    /// Natural log of the density at `z`.
    pub fn log_density(&self, z: &[f32]) -> f64 {
        // log|Σ| = 2 log|det L|.
        let (y, log_det) = self.whiten(z);
        standard_log_density(&y) - log_det
    }
}

/// Natural log of the standard normal density at `y`.
pub fn standard_log_density(y: &[f64]) -> f64 {
    let squared: f64 = y.iter().map(|v| v * v).sum();
    -0.5 * (y.len() as f64 * (2.0 * std::f64::consts::PI).ln() + squared)
}

impl Mixture {
    /// The component whose share of the cumulative weights holds `u` (uniform in [0, 1)).
    pub fn pick(&self, u: f32) -> usize {
        let mut cumulative = 0.0;
        let last = self.weights.len() - 1;
        self.weights
            .iter()
            .position(|w| {
                cumulative += w;
                u < cumulative
            })
            .unwrap_or(last)
    }

    /// Picks a component by weight, then draws from its Gaussian; returns the component index.
    pub fn sample_into(&self, spread: f32, rng: &mut impl Rng, out: &mut Vec<f32>) -> u32 {
        let chosen = self.pick(rng.random());
        self.components[chosen].sample_into(spread, rng, out);
        chosen as u32
    }

    /// Natural log of the mixture density at `z`.
    pub fn log_density(&self, z: &[f32]) -> f64 {
        let terms: Vec<f64> = self
            .weights
            .iter()
            .zip(&self.components)
            .map(|(&w, c)| f64::from(w).ln() + c.log_density(z))
            .collect();
        log_sum_exp(&terms)
    }
}

/// `log Σ exp(tᵢ)`, without overflow.
pub fn log_sum_exp(terms: &[f64]) -> f64 {
    let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    max + terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln()
}

/// One class's sampler, ready to draw.
#[derive(Clone, Copy, Debug)]
pub enum Sampler<'a> {
    /// A mixture.
    Mixture(&'a Mixture),
    /// A single Gaussian.
    Gaussian(&'a Gaussian),
    /// The flow on the class's mixture, for the given class.
    Flow(&'a Flow, &'a Mixture, usize),
}

impl Sampler<'_> {
    /// Draws `n` codes with the variance scaled by `spread`, from `rng`.
    pub fn sample(self, n: usize, spread: f32, rng: &mut impl Rng) -> Samples {
        let mut latents = Vec::with_capacity(n * LATENT_DIM);
        let components = (0..n)
            .map(|_| match self {
                Self::Mixture(mixture) => mixture.sample_into(spread, rng, &mut latents),
                Self::Gaussian(gaussian) => {
                    gaussian.sample_into(spread, rng, &mut latents);
                    0
                }
                Self::Flow(flow, mixture, class) => {
                    flow.sample_into(mixture, class, spread, rng, &mut latents)
                }
            })
            .collect();
        Samples {
            latents,
            components,
        }
    }
}

impl Pca {
    /// Coordinates of `z` on the first two components.
    pub fn project(&self, z: &[f32]) -> [f32; 2] {
        std::array::from_fn(|axis| {
            let component = &self.components[axis * LATENT_DIM..(axis + 1) * LATENT_DIM];
            component
                .iter()
                .zip(z.iter().zip(&self.mean))
                .map(|(c, (z, m))| c * (z - m))
                .sum()
        })
    }

    /// The code at `(x, y)` in the plane of the first two components, the other 30 at the mean.
    pub fn back_project(&self, x: f32, y: f32) -> Vec<f32> {
        let (first, second) = self.components.split_at(LATENT_DIM);
        (0..LATENT_DIM)
            .map(|i| self.mean[i] + x * first[i] + y * second[i])
            .collect()
    }

    /// The most likely code whose projection is `(x, y)`. The point belongs to the digit whose
    /// cluster it is most central to (the smallest Mahalanobis distance to the digit's Gaussian
    /// projected on the plane, so that a cluster's centre is its own digit even where clusters
    /// overlap); the code is that Gaussian's mean conditioned on the projection,
    /// `μ + ΣWᵀ(WΣWᵀ)⁻¹(p − W(μ − m))`.
    pub fn likeliest_code(&self, classes: &[ClassStats], x: f32, y: f32) -> Vec<f32> {
        let point = [f64::from(x), f64::from(y)];
        classes
            .iter()
            .map(|class| self.condition(&class.gaussian, point))
            .min_by(|a, b| a.distance.total_cmp(&b.distance))
            .map_or_else(|| self.back_project(x, y), |fit| fit.code)
    }

    /// The projection of `gaussian` onto the plane, evaluated and conditioned at `point`.
    fn condition(&self, gaussian: &Gaussian, point: [f64; 2]) -> ConditionedCode {
        // B = W·L (2×32), so that the projected covariance is S = W·Σ·Wᵀ = B·Bᵀ.
        let mut b = [[0f64; LATENT_DIM]; 2];
        for (axis, row) in b.iter_mut().enumerate() {
            let w = &self.components[axis * LATENT_DIM..(axis + 1) * LATENT_DIM];
            for_each_factor_entry(&gaussian.cholesky, |i, j, l| row[j] += f64::from(w[i]) * l);
        }
        let dot = |u: &[f64; LATENT_DIM], v: &[f64; LATENT_DIM]| -> f64 {
            u.iter().zip(v).map(|(a, b)| a * b).sum()
        };
        let s = [
            [dot(&b[0], &b[0]), dot(&b[0], &b[1])],
            [dot(&b[0], &b[1]), dot(&b[1], &b[1])],
        ];
        let centre = self.project(&gaussian.mean).map(f64::from);
        let d = [point[0] - centre[0], point[1] - centre[1]];
        let det = s[0][0] * s[1][1] - s[0][1] * s[0][1];
        // u = S⁻¹·d
        let u = [
            (s[1][1] * d[0] - s[0][1] * d[1]) / det,
            (s[0][0] * d[1] - s[0][1] * d[0]) / det,
        ];
        let distance = d[0] * u[0] + d[1] * u[1];
        // code = μ + L·(Bᵀ·u)
        let v: [f64; LATENT_DIM] = std::array::from_fn(|j| b[0][j] * u[0] + b[1][j] * u[1]);
        let mut code: Vec<f64> = gaussian.mean.iter().map(|&m| f64::from(m)).collect();
        for_each_factor_entry(&gaussian.cholesky, |i, j, l| code[i] += l * v[j]);
        ConditionedCode {
            distance,
            code: code.into_iter().map(|c| c as f32).collect(),
        }
    }
}

/// A Gaussian seen from a point of the plane: the point's squared Mahalanobis distance from the
/// Gaussian's projection, and the Gaussian's most likely code with that projection.
struct ConditionedCode {
    distance: f64,
    code: Vec<f32>,
}

/// Calls `visit(i, j, Lᵢⱼ)` for every entry of a packed lower-triangular factor.
fn for_each_factor_entry(packed: &[f32], mut visit: impl FnMut(usize, usize, f64)) {
    let mut row_start = 0;
    for i in 0..LATENT_DIM {
        for (j, &l) in packed[row_start..row_start + i + 1].iter().enumerate() {
            visit(i, j, f64::from(l));
        }
        row_start += i + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A diagonal Gaussian with the given mean and standard deviations.
    pub(crate) fn diagonal(mean: f32, std: f32) -> Gaussian {
        let mut cholesky = Vec::with_capacity(PACKED_TRIANGLE);
        for i in 0..LATENT_DIM {
            cholesky.extend(std::iter::repeat_n(0.0, i));
            cholesky.push(std);
        }
        Gaussian {
            mean: vec![mean; LATENT_DIM],
            cholesky,
        }
    }

    #[test]
    fn gaussian_samples_follow_mean_and_scaled_variance() {
        let g = diagonal(3.0, 2.0);
        let mut rng = rng_for(7, 0);
        let mut out = Vec::new();
        for _ in 0..4000 {
            g.sample_into(0.25, &mut rng, &mut out);
        }
        let first: Vec<f32> = out.iter().step_by(LATENT_DIM).copied().collect();
        let mean = first.iter().sum::<f32>() / first.len() as f32;
        let var = first.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / first.len() as f32;
        assert!((mean - 3.0).abs() < 0.05, "mean {mean}");
        // Variance 4 scaled by 0.25 → 1.
        assert!((var - 1.0).abs() < 0.08, "variance {var}");
    }

    #[test]
    fn log_density_of_standard_normal_at_its_mean() {
        let g = diagonal(0.0, 1.0);
        let expected = -0.5 * LATENT_DIM as f64 * (2.0 * std::f64::consts::PI).ln();
        assert!((g.log_density(&[0.0; LATENT_DIM]) - expected).abs() < 1e-9);
    }

    #[test]
    fn mixture_picks_components_by_weight_and_reports_them() {
        let mixture = Mixture {
            weights: vec![0.8, 0.2],
            components: vec![diagonal(-10.0, 0.1), diagonal(10.0, 0.1)],
        };
        let samples = Sampler::Mixture(&mixture).sample(2000, 1.0, &mut rng_for(1, 3));
        let second = samples.components.iter().filter(|&&c| c == 1).count();
        assert!(
            (350..450).contains(&second),
            "{second} of 2000 from the 0.2 component"
        );
        for (code, &component) in samples.latents.chunks(LATENT_DIM).zip(&samples.components) {
            assert_eq!(code[0] > 0.0, component == 1);
        }
    }

    #[test]
    fn same_seed_same_samples_other_seed_other_samples() {
        let gaussian = diagonal(0.0, 1.0);
        let mixture = flow::tests::random_mixture(2, 1);
        let flow = flow::tests::random_flow(4, 2, &[2; CLASSES], false);
        for sampler in [
            Sampler::Gaussian(&gaussian),
            Sampler::Flow(&flow, &mixture, 3),
        ] {
            let draw = |seed| sampler.sample(5, 0.2, &mut rng_for(seed, 4));
            assert_eq!(draw(11), draw(11));
            assert_ne!(draw(11).latents, draw(12).latents);
            assert_ne!(
                sampler.sample(5, 0.2, &mut rng_for(11, 5)).latents,
                draw(11).latents,
                "digits get their own streams"
            );
        }
    }

    /// A PCA whose first two axes are the (0, 1) plane turned by 30°, centred at 1.
    fn turned_pca() -> Pca {
        let mut components = vec![0.0; LATENT_DIM * LATENT_DIM];
        for i in 0..LATENT_DIM {
            components[i * LATENT_DIM + i] = 1.0;
        }
        let (sin, cos) = 30f32.to_radians().sin_cos();
        components[..2].copy_from_slice(&[cos, sin]);
        components[LATENT_DIM..LATENT_DIM + 2].copy_from_slice(&[-sin, cos]);
        Pca {
            mean: vec![1.0; LATENT_DIM],
            eigenvalues: vec![1.0; LATENT_DIM],
            components,
            points: vec![],
            labels: vec![],
        }
    }

    #[test]
    fn pca_projects_onto_turned_axes_and_back() {
        let pca = turned_pca();
        let mut z = vec![1.0; LATENT_DIM];
        z[0] = 2.0; // one unit along the first coordinate from the mean
        let (sin, cos) = 30f32.to_radians().sin_cos();
        let [x, y] = pca.project(&z);
        assert!(
            (x - cos).abs() < 1e-6 && (y + sin).abs() < 1e-6,
            "({x}, {y})"
        );
        let back = pca.back_project(x, y);
        assert!(back.iter().zip(&z).all(|(a, b)| (a - b).abs() < 1e-6));
    }

    #[test]
    fn the_likeliest_code_comes_from_the_digit_whose_cluster_holds_the_point() {
        let pca = turned_pca();
        let mut near = diagonal(0.0, 0.5);
        near.mean[5] = 4.0; // off the plane: the back-projection would put it at the mean, 1
        let class = |gaussian: Gaussian| ClassStats {
            gaussian: gaussian.clone(),
            mixture: Mixture {
                weights: vec![1.0],
                components: vec![gaussian],
            },
        };
        let classes = [class(diagonal(9.0, 0.5)), class(near.clone())];
        let [x, y] = pca.project(&near.mean);
        let code = pca.likeliest_code(&classes, x, y);
        assert!(
            code.iter()
                .zip(&near.mean)
                .all(|(a, b)| (a - b).abs() < 1e-4),
            "{code:?}"
        );
        // Off the cluster's centre, the code still projects onto the point asked for.
        let code = pca.likeliest_code(&classes, x + 0.3, y - 0.2);
        let [px, py] = pca.project(&code);
        assert!((px - x - 0.3).abs() < 1e-4 && (py - y + 0.2).abs() < 1e-4);
        assert!((code[5] - 4.0).abs() < 1e-4, "off-plane coordinate kept");
    }
}
