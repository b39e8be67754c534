//! `fit`: encode the training digits and fit every latent statistic the generator embeds.

use rayon::prelude::*;
use serde::Serialize;

use super::data::{Images, Split};
use super::model_dir::{ModelDir, codes_of_digit, encode_all};
use super::progress;
use crate::artifact::{LatentStats, ModelCard};
use crate::latent::fit::{self, EmSettings};
use crate::latent::{CLASSES, ClassStats, Pca};
use crate::model::{IMAGE_PIXELS, LATENT_DIM, default_device};

/// Test digits per class projected for the page's scatter plot.
pub const SCATTER_PER_CLASS: usize = 300;
/// Component counts tried, in order, when choosing on held-out codes (the search stops once the
/// held-out likelihood has fallen twice in a row).
pub const COMPONENT_CANDIDATES: &[usize] = &[1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 24, 32, 40, 48, 64];

/// How many mixture components each digit gets.
#[derive(Clone, Copy, Debug)]
pub enum Components {
    /// Chosen per digit by held-out log-likelihood.
    Auto,
    /// This many for every digit.
    Fixed(usize),
}

/// What `fit` chose and measured, per digit (written to `fit.json`).
#[derive(Serialize)]
pub struct DigitReport {
    /// The digit.
    pub digit: usize,
    /// Training codes of this digit.
    pub codes: usize,
    /// `(components, held-out mean log-likelihood)` for each candidate (empty when fixed).
    pub held_out: Vec<(usize, f64)>,
    /// Components used.
    pub components: usize,
    /// EM iterations of the final fit.
    pub iterations: usize,
    /// Mean log-likelihood of the digit's test codes under the mixture.
    pub test_log_likelihood_mixture: f64,
    /// Mean log-likelihood of the digit's test codes under the single Gaussian.
    pub test_log_likelihood_gaussian: f64,
}

/// The average training image of each digit, 10 × 784 bytes (0–255): a reference the wasm tests
/// compare samples with.
pub fn mean_images(images: &Images) -> Vec<u8> {
    let mut sums = vec![0f64; CLASSES * IMAGE_PIXELS];
    let mut counts = [0usize; CLASSES];
    for (i, &label) in images.labels.iter().enumerate() {
        let digit = usize::from(label);
        counts[digit] += 1;
        for (sum, &p) in sums[digit * IMAGE_PIXELS..(digit + 1) * IMAGE_PIXELS]
            .iter_mut()
            .zip(images.image(i))
        {
            *sum += f64::from(p);
        }
    }
    sums.iter()
        .enumerate()
        .map(|(i, s)| (255.0 * s / counts[i / IMAGE_PIXELS].max(1) as f64).round() as u8)
        .collect()
}

/// Fits the statistics of the model in `dir` (mixtures with covariance floor `floor`; the
/// digits in parallel); returns them and the per-digit report.
pub fn fit_latent_stats(
    dir: &ModelDir,
    components: Components,
    floor: f64,
    seed: u64,
) -> Result<(LatentStats, Vec<DigitReport>), String> {
    let device = default_device();
    let encoder = dir.encoder(&device)?;
    let train = dir.images(Split::Train)?;
    let test = dir.images(Split::Test)?;
    let train_codes = encode_all(&encoder, &train, &device);
    let test_codes = encode_all(&encoder, &test, &device);

    let bar = progress::bar(CLASSES as u64);
    bar.set_message("fitting mixtures");
    let fitted: Vec<(ClassStats, DigitReport)> = (0..CLASSES)
        .into_par_iter()
        .map(|digit| {
            let x = fit::to_matrix(&codes_of_digit(&train_codes, &train.labels, digit));
            let x_test = fit::to_matrix(&codes_of_digit(&test_codes, &test.labels, digit));
            let settings = EmSettings::new(1, seed.wrapping_add(digit as u64)).with_floor(floor);
            let (held_out, k) = match components {
                Components::Fixed(k) => (Vec::new(), k),
                Components::Auto => {
                    let selection = fit::select_components(&x, COMPONENT_CANDIDATES, settings)?;
                    (selection.scores, selection.best)
                }
            };
            let mixture = fit::fit_mixture(&x, EmSettings { components: k, ..settings })
                .map_err(|e| format!("digit {digit}: {e}"))?;
            let (mean, covariance) = fit::fit_gaussian(&x);
            let gaussian_ll = fit::mean_log_likelihood(
                &x_test,
                &[1.0],
                std::slice::from_ref(&mean),
                std::slice::from_ref(&covariance),
            )?;
            let mixture_ll = fit::mean_log_likelihood(
                &x_test,
                &mixture.weights,
                &mixture.means,
                &mixture.covariances,
            )?;
            progress::say(
                &bar,
                &format!(
                    "digit {digit}: {k} components, test log-likelihood {mixture_ll:.2} (single Gaussian {gaussian_ll:.2})"
                ),
            );
            bar.inc(1);
            let stats = ClassStats {
                gaussian: fit::to_gaussian(&mean, &covariance)?,
                mixture: mixture.to_mixture()?,
            };
            let report = DigitReport {
                digit,
                codes: x.nrows(),
                held_out,
                components: k,
                iterations: mixture.iterations,
                test_log_likelihood_mixture: mixture_ll,
                test_log_likelihood_gaussian: gaussian_ll,
            };
            Ok((stats, report))
        })
        .collect::<Result<_, String>>()?;
    bar.finish_and_clear();
    let (classes, reports): (Vec<ClassStats>, Vec<DigitReport>) = fitted.into_iter().unzip();

    let (mean, eigenvalues, components) = fit::fit_pca(&fit::to_matrix(&train_codes));
    let mut pca = Pca {
        mean,
        eigenvalues,
        components,
        points: Vec::new(),
        labels: Vec::new(),
    };
    let mut taken = [0usize; CLASSES];
    for (code, &label) in test_codes.chunks(LATENT_DIM).zip(&test.labels) {
        let slot = &mut taken[usize::from(label)];
        if *slot < SCATTER_PER_CLASS {
            *slot += 1;
            pca.points.extend(pca.project(code));
            pca.labels.push(label);
        }
    }

    let run = &dir.run;
    let card = ModelCard {
        dataset: run.config.dataset.name().to_string(),
        arch_layers: run.config.arch.layers(),
        epochs: run.config.epochs as u32,
        seed: run.config.seed,
        train_command: run.command.clone(),
        test_bce: run.test.bce as f32,
        test_mse: run.test.mse as f32,
        train_bce: run.train.bce as f32,
        train_mse: run.train.mse as f32,
        test_log_likelihood_mixture: reports
            .iter()
            .map(|r| r.test_log_likelihood_mixture as f32)
            .collect(),
        test_log_likelihood_gaussian: reports
            .iter()
            .map(|r| r.test_log_likelihood_gaussian as f32)
            .collect(),
        sample_quality: None,
    };
    Ok((LatentStats { card, classes, pca }, reports))
}
