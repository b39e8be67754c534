//! Fitting the latent statistics (native only): Gaussians, Gaussian mixtures by EM with
//! k-means++ initialisation and a covariance floor, model selection on held-out codes, and PCA.

use nalgebra::{DMatrix, DVector};
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};

use super::{Gaussian, Mixture, PACKED_TRIANGLE};
use crate::architecture::LATENT_DIM;

/// Added to every covariance diagonal, as scikit-learn's `reg_covar`, so no component collapses
/// (the default of mixtures, and always that of the single Gaussians).
pub const COVARIANCE_FLOOR: f64 = 1e-4;

/// Settings of one EM fit.
#[derive(Clone, Copy, Debug)]
pub struct EmSettings {
    /// Number of components.
    pub components: usize,
    /// Stop when the mean log-likelihood improves by less than this.
    pub tolerance: f64,
    /// Stop after this many iterations in any case.
    pub max_iterations: usize,
    /// Seeds k-means++.
    pub seed: u64,
    /// Added to every covariance diagonal.
    pub floor: f64,
}

impl EmSettings {
    /// `components` components with the default tolerance (1e-4), iteration cap (500) and
    /// covariance floor ([`COVARIANCE_FLOOR`]).
    pub fn new(components: usize, seed: u64) -> Self {
        Self {
            components,
            tolerance: 1e-4,
            max_iterations: 500,
            seed,
            floor: COVARIANCE_FLOOR,
        }
    }

    /// The same settings with another covariance floor.
    pub fn with_floor(self, floor: f64) -> Self {
        Self { floor, ..self }
    }
}

/// A mixture fitted in double precision, with its training log-likelihood.
pub struct FittedMixture {
    /// Component weights.
    pub weights: Vec<f64>,
    /// Component means.
    pub means: Vec<DVector<f64>>,
    /// Component covariances (floor included).
    pub covariances: Vec<DMatrix<f64>>,
    /// Mean log-likelihood per point of the training codes.
    pub mean_log_likelihood: f64,
    /// EM iterations run.
    pub iterations: usize,
}

/// Rows of `codes` (`n × 32`, row-major) as an `n × 32` matrix.
pub fn to_matrix(codes: &[f32]) -> DMatrix<f64> {
    let rows = codes.len() / LATENT_DIM;
    DMatrix::from_row_iterator(rows, LATENT_DIM, codes.iter().map(|&v| f64::from(v)))
}

/// Maximum-likelihood mean and covariance (plus the floor) of the rows of `x`.
pub fn fit_gaussian(x: &DMatrix<f64>) -> (DVector<f64>, DMatrix<f64>) {
    let weights = DVector::from_element(x.nrows(), 1.0);
    weighted_moments(x, &weights, COVARIANCE_FLOOR)
}

fn weighted_moments(
    x: &DMatrix<f64>,
    weights: &DVector<f64>,
    floor: f64,
) -> (DVector<f64>, DMatrix<f64>) {
    let total = weights.sum();
    let mean = x.tr_mul(weights) / total;
    let mut centered = x.clone();
    for (mut row, &w) in centered.row_iter_mut().zip(weights.iter()) {
        row -= mean.transpose();
        row *= w.sqrt();
    }
    let mut covariance = centered.tr_mul(&centered) / total;
    for i in 0..covariance.nrows() {
        covariance[(i, i)] += floor;
    }
    (mean, covariance)
}

/// k-means++ seeding followed by Lloyd iterations; returns each row's cluster.
pub fn kmeans(x: &DMatrix<f64>, k: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let n = x.nrows();
    let mut centers: Vec<DVector<f64>> = vec![x.row(rng.random_range(0..n)).transpose()];
    let mut nearest = vec![f64::INFINITY; n];
    while centers.len() < k {
        let newest = centers.last().expect("one center");
        for (i, d) in nearest.iter_mut().enumerate() {
            *d = d.min((x.row(i).transpose() - newest).norm_squared());
        }
        let total: f64 = nearest.iter().sum();
        let mut target = rng.random::<f64>() * total;
        let pick = nearest.iter().position(|&d| {
            target -= d;
            target <= 0.0
        });
        centers.push(x.row(pick.unwrap_or(n - 1)).transpose());
    }
    let mut assignment = vec![0; n];
    for _ in 0..100 {
        let mut changed = false;
        for (i, slot) in assignment.iter_mut().enumerate() {
            let row = x.row(i).transpose();
            let best = (0..k)
                .min_by(|&a, &b| {
                    (&row - &centers[a])
                        .norm_squared()
                        .total_cmp(&(&row - &centers[b]).norm_squared())
                })
                .expect("k > 0");
            changed |= *slot != best;
            *slot = best;
        }
        if !changed {
            break;
        }
        for (c, center) in centers.iter_mut().enumerate() {
            let members: Vec<usize> = (0..n).filter(|&i| assignment[i] == c).collect();
            if !members.is_empty() {
                *center = members
                    .iter()
                    .map(|&i| x.row(i).transpose())
                    .sum::<DVector<f64>>()
                    / members.len() as f64;
            }
        }
    }
    assignment
}

/// Log-densities `n × k` of every row under every component.
fn log_densities(
    x: &DMatrix<f64>,
    means: &[DVector<f64>],
    covariances: &[DMatrix<f64>],
) -> Result<DMatrix<f64>, String> {
    let (n, d) = (x.nrows(), x.ncols());
    let mut out = DMatrix::zeros(n, means.len());
    for (k, (mean, covariance)) in means.iter().zip(covariances).enumerate() {
        let cholesky = covariance
            .clone()
            .cholesky()
            .ok_or_else(|| format!("component {k}'s covariance is not positive definite"))?;
        let l = cholesky.l();
        let log_det: f64 = 2.0 * l.diagonal().iter().map(|v| v.ln()).sum::<f64>();
        let mut centered_t = x.transpose();
        for mut column in centered_t.column_iter_mut() {
            column -= mean;
        }
        let solved = l
            .solve_lower_triangular(&centered_t)
            .ok_or("singular Cholesky factor")?;
        let constant = -0.5 * (d as f64 * (2.0 * std::f64::consts::PI).ln() + log_det);
        for (i, column) in solved.column_iter().enumerate() {
            out[(i, k)] = constant - 0.5 * column.norm_squared();
        }
    }
    Ok(out)
}

/// Mean log-likelihood of the rows of `x` under a mixture.
pub fn mean_log_likelihood(
    x: &DMatrix<f64>,
    weights: &[f64],
    means: &[DVector<f64>],
    covariances: &[DMatrix<f64>],
) -> Result<f64, String> {
    let densities = log_densities(x, means, covariances)?;
    let total: f64 = densities
        .row_iter()
        .map(|row| log_sum_exp(row.iter().zip(weights).map(|(ld, w)| ld + w.ln())))
        .sum();
    Ok(total / x.nrows() as f64)
}

fn log_sum_exp(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let max = values.clone().fold(f64::NEG_INFINITY, f64::max);
    max + values.map(|v| (v - max).exp()).sum::<f64>().ln()
}

/// Fits a full-covariance Gaussian mixture to the rows of `x` by EM from a k-means++ start.
pub fn fit_mixture(x: &DMatrix<f64>, settings: EmSettings) -> Result<FittedMixture, String> {
    let (n, k) = (x.nrows(), settings.components);
    if n < k * (LATENT_DIM + 1) {
        return Err(format!(
            "{n} codes are too few for {k} full-covariance components"
        ));
    }
    let assignment = kmeans(x, k, &mut ChaCha8Rng::seed_from_u64(settings.seed));
    let mut responsibilities =
        DMatrix::from_fn(n, k, |i, c| if assignment[i] == c { 1.0 } else { 0.0 });
    let mut previous = f64::NEG_INFINITY;
    let mut iterations = 0;
    loop {
        // M-step: weights, means and covariances from the responsibilities.
        let mut weights = Vec::with_capacity(k);
        let mut means = Vec::with_capacity(k);
        let mut covariances = Vec::with_capacity(k);
        for c in 0..k {
            let column = responsibilities
                .column(c)
                .into_owned()
                .add_scalar(10.0 * f64::EPSILON);
            let (mean, covariance) = weighted_moments(x, &column, settings.floor);
            weights.push(column.sum() / n as f64);
            means.push(mean);
            covariances.push(covariance);
        }
        // E-step: responsibilities and log-likelihood.
        let densities = log_densities(x, &means, &covariances)?;
        let mut total = 0.0;
        for (i, row) in densities.row_iter().enumerate() {
            let weighted: Vec<f64> = row
                .iter()
                .zip(&weights)
                .map(|(ld, w)| ld + w.ln())
                .collect();
            let norm = log_sum_exp(weighted.iter().copied());
            total += norm;
            for (c, value) in weighted.iter().enumerate() {
                responsibilities[(i, c)] = (value - norm).exp();
            }
        }
        let mean_ll = total / n as f64;
        iterations += 1;
        if mean_ll - previous < settings.tolerance || iterations >= settings.max_iterations {
            return Ok(FittedMixture {
                weights,
                means,
                covariances,
                mean_log_likelihood: mean_ll,
                iterations,
            });
        }
        previous = mean_ll;
    }
}

/// The Gaussian with this mean and covariance, stored as `f32` with a packed Cholesky factor.
pub fn to_gaussian(mean: &DVector<f64>, covariance: &DMatrix<f64>) -> Result<Gaussian, String> {
    let l = covariance
        .clone()
        .cholesky()
        .ok_or("covariance is not positive definite")?
        .l();
    let mut cholesky = Vec::with_capacity(PACKED_TRIANGLE);
    for i in 0..LATENT_DIM {
        cholesky.extend((0..=i).map(|j| l[(i, j)] as f32));
    }
    Ok(Gaussian {
        mean: mean.iter().map(|&v| v as f32).collect(),
        cholesky,
    })
}

impl FittedMixture {
    /// The mixture in the embedded `f32` form.
    pub fn to_mixture(&self) -> Result<Mixture, String> {
        let components = self
            .means
            .iter()
            .zip(&self.covariances)
            .map(|(m, c)| to_gaussian(m, c))
            .collect::<Result<_, _>>()?;
        let total: f64 = self.weights.iter().sum();
        Ok(Mixture {
            weights: self.weights.iter().map(|w| (w / total) as f32).collect(),
            components,
        })
    }
}

/// Held-out mean log-likelihood of each candidate component count, and the best count.
pub struct Selection {
    /// `(components, held-out mean log-likelihood)` for each candidate that could be fitted.
    pub scores: Vec<(usize, f64)>,
    /// The count with the highest held-out likelihood.
    pub best: usize,
}

/// Chooses the number of components among `candidates` (ascending) by fitting on 80 % of the
/// rows of `x` (shuffled with `settings.seed`) and scoring the other 20 %; stops at the first
/// count that cannot be fitted or that scores lower than the one before it twice in a row.
pub fn select_components(
    x: &DMatrix<f64>,
    candidates: &[usize],
    settings: EmSettings,
) -> Result<Selection, String> {
    let mut order: Vec<usize> = (0..x.nrows()).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(settings.seed));
    let cut = x.nrows() * 4 / 5;
    let fit_rows = x.select_rows(&order[..cut]);
    let held_out = x.select_rows(&order[cut..]);
    let mut scores: Vec<(usize, f64)> = Vec::new();
    for &k in candidates {
        let Ok(fitted) = fit_mixture(
            &fit_rows,
            EmSettings {
                components: k,
                ..settings
            },
        ) else {
            break;
        };
        let score = mean_log_likelihood(
            &held_out,
            &fitted.weights,
            &fitted.means,
            &fitted.covariances,
        )?;
        scores.push((k, score));
        let falling = |a: usize| {
            scores.len() > a && scores[scores.len() - 1 - a].1 < scores[scores.len() - 2 - a].1
        };
        if scores.len() >= 3 && falling(0) && falling(1) {
            break;
        }
    }
    let best = scores
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|s| s.0)
        .ok_or("no mixture could be fitted")?;
    Ok(Selection { scores, best })
}

/// Mean, eigenvalues (descending) and unit eigenvectors (rows) of the covariance of the rows of `x`.
pub fn fit_pca(x: &DMatrix<f64>) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let n = x.nrows() as f64;
    let mean = x.row_mean().transpose();
    let mut centered = x.clone();
    for mut row in centered.row_iter_mut() {
        row -= mean.transpose();
    }
    let covariance = centered.tr_mul(&centered) / (n - 1.0);
    let eigen = covariance.symmetric_eigen();
    let mut order: Vec<usize> = (0..eigen.eigenvalues.len()).collect();
    order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
    let eigenvalues = order
        .iter()
        .map(|&i| eigen.eigenvalues[i].max(0.0) as f32)
        .collect();
    let mut components = Vec::with_capacity(LATENT_DIM * LATENT_DIM);
    for &i in &order {
        let v = eigen.eigenvectors.column(i);
        // Fix the sign so the largest entry is positive: the same data always gives the same axes.
        let largest = v
            .iter()
            .copied()
            .max_by(|a, b| a.abs().total_cmp(&b.abs()))
            .unwrap_or(1.0);
        components.extend(v.iter().map(|&e| (e * largest.signum()) as f32));
    }
    (
        mean.iter().map(|&v| v as f32).collect(),
        eigenvalues,
        components,
    )
}

/// Directions in code space that move each of `k` measures, from `codes` (`n × 32`) and the
/// measures of their decoded images (`n × k`): the regression of the measures on the codes,
/// `A = C_mz·C_zz⁻¹`, inverted with the least Mahalanobis length, `D = C_zz·Aᵀ·(A·C_zz·Aᵀ)⁻¹`,
/// so that `A·D = I`. Column `j` of the `32 × k` result moves measure `j` by one unit and, to
/// first order, the others not at all, along the codes' own spread.
pub fn style_directions(
    codes: &DMatrix<f64>,
    measures: &DMatrix<f64>,
) -> Result<DMatrix<f64>, String> {
    let n = codes.nrows() as f64;
    let centre = |x: &DMatrix<f64>| {
        let mean = x.row_mean();
        DMatrix::from_fn(x.nrows(), x.ncols(), |i, j| x[(i, j)] - mean[j])
    };
    let (z, m) = (centre(codes), centre(measures));
    let c_zz = z.transpose() * &z / n;
    let c_zm = z.transpose() * &m / n;
    let inverse = c_zz
        .clone()
        .try_inverse()
        .ok_or("the codes' covariance is singular")?;
    // A·C_zz·Aᵀ = C_mz·C_zz⁻¹·C_zm
    let gram = c_zm.transpose() * &inverse * &c_zm;
    let gram_inverse = gram
        .try_inverse()
        .ok_or("the measures do not depend on the codes independently")?;
    Ok(c_zm * gram_inverse)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_distr::StandardNormal;

    /// Draws `n` points from each of two well-separated Gaussians with known parameters.
    fn two_clusters(n: usize) -> DMatrix<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut rows = Vec::new();
        for i in 0..2 * n {
            let (offset, std) = if i % 3 == 0 { (6.0, 0.5) } else { (-2.0, 1.5) };
            for d in 0..LATENT_DIM {
                let e: f64 = rng.sample(StandardNormal);
                rows.push(if d < 2 { offset + std * e } else { std * e } as f32);
            }
        }
        to_matrix(&rows)
    }

    #[test]
    fn style_directions_move_each_linear_measure_alone() {
        // Codes with unequal spreads; measures: 2·z₀ + z₁ and z₁ − z₃, plus a little noise.
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let n = 4000;
        let codes = DMatrix::from_fn(n, LATENT_DIM, |_, d| {
            let e: f64 = rng.sample(StandardNormal);
            e * (1.0 + d as f64 / 8.0)
        });
        let measures = DMatrix::from_fn(n, 2, |i, j| {
            let e: f64 = rng.sample(StandardNormal);
            let z = codes.row(i);
            0.01 * e
                + if j == 0 {
                    2.0 * z[0] + z[1]
                } else {
                    z[1] - z[3]
                }
        });
        let d = style_directions(&codes, &measures).unwrap();
        let effect = |column: usize| {
            let v = d.column(column);
            [2.0 * v[0] + v[1], v[1] - v[3]]
        };
        let (first, second) = (effect(0), effect(1));
        assert!(
            (first[0] - 1.0).abs() < 0.01 && first[1].abs() < 0.01,
            "{first:?}"
        );
        assert!(
            second[0].abs() < 0.01 && (second[1] - 1.0).abs() < 0.01,
            "{second:?}"
        );
        // The coordinates the measures do not read are left alone, but for sampling noise.
        let unread = d.column(0).iter().skip(4).fold(0f64, |m, v| m.max(v.abs()));
        assert!(unread < 0.1, "coordinates 4–31 move by up to {unread}");
    }

    #[test]
    fn em_recovers_known_weights_means_and_variances() {
        let x = two_clusters(3000);
        let fitted = fit_mixture(&x, EmSettings::new(2, 1)).unwrap();
        let (small, large) = if fitted.means[0][0] > fitted.means[1][0] {
            (0, 1)
        } else {
            (1, 0)
        };
        assert!(
            (fitted.weights[small] - 1.0 / 3.0).abs() < 0.02,
            "weights {:?}",
            fitted.weights
        );
        assert!((fitted.means[small][0] - 6.0).abs() < 0.05);
        assert!((fitted.means[large][1] + 2.0).abs() < 0.1);
        assert!((fitted.covariances[small][(5, 5)] - 0.25).abs() < 0.03);
        assert!((fitted.covariances[large][(5, 5)] - 2.25).abs() < 0.15);
        assert!(
            fitted.covariances[large][(3, 4)].abs() < 0.15,
            "independent dimensions"
        );
    }

    #[test]
    fn held_out_selection_prefers_the_true_count_over_one() {
        let selection =
            select_components(&two_clusters(1500), &[1, 2, 3], EmSettings::new(1, 2)).unwrap();
        assert_ne!(selection.best, 1, "{:?}", selection.scores);
        let one = selection.scores[0].1;
        let two = selection.scores[1].1;
        assert!(two > one + 1.0, "{:?}", selection.scores);
    }

    #[test]
    fn stored_gaussian_reproduces_the_density() {
        let x = two_clusters(500);
        let (mean, covariance) = fit_gaussian(&x);
        let stored = to_gaussian(&mean, &covariance).unwrap();
        let direct =
            mean_log_likelihood(&x.rows(0, 1).into_owned(), &[1.0], &[mean], &[covariance])
                .unwrap();
        let row: Vec<f32> = x.row(0).iter().map(|&v| v as f32).collect();
        assert!((stored.log_density(&row) - direct).abs() < 1e-3);
    }

    #[test]
    fn pca_finds_the_dominant_direction_and_sorts_eigenvalues() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut rows = Vec::new();
        for _ in 0..4000 {
            let t: f64 = rng.sample(StandardNormal);
            for d in 0..LATENT_DIM {
                let noise: f64 = rng.sample(StandardNormal);
                // Variance 9 along (e0 + e1)/√2 (from t), 0.01 elsewhere.
                let signal = if d < 2 { 3.0 * t / 2f64.sqrt() } else { 0.0 };
                rows.push((signal + 0.1 * noise) as f32);
            }
        }
        let (_, eigenvalues, components) = fit_pca(&to_matrix(&rows));
        assert!((eigenvalues[0] - 9.0).abs() < 0.5, "{}", eigenvalues[0]);
        assert!(eigenvalues.windows(2).all(|w| w[0] >= w[1]));
        let s = 1.0 / 2f32.sqrt();
        assert!((components[0] - s).abs() < 0.01 && (components[1] - s).abs() < 0.01);
    }
}
