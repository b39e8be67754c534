//! The `fit` command, which makes a model folder's `latent.bin`: encode the training images, fit
//! every statistic the generator embeds (the maths is in [`crate::latent::fit`]), measure how the
//! page's 8-bit encoder reads the test images, score the default samplers, fit the style
//! directions ([`super::style`]), and write
//! `latent.bin`, `decoder.packed`, `encoder.q8.bpk`, `fit.json` and `mean_images.bin`.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use burn::module::Module;
use rayon::prelude::*;
use serde::Serialize;

use super::classifier::classifier_dir;
use super::data::{Images, Split};
use super::evaluate;
use super::files::{write_atomic, write_json};
use super::model_dir::{
    ENCODER_RECORD, ModelDir, SHIPPED_DECODER, SHIPPED_ENCODER, codes_of_class,
};
use super::{progress, score, style};
use crate::architecture::{IMAGE_PIXELS, LATENT_DIM};
use crate::artifact::{self, LatentStats, ModelCard, RecordChecksums};
use crate::latent::fit::{self, EmSettings};
use crate::latent::{CLASSES, ClassStats, Pca};
use crate::train::model::{default_device, quantize_for_shipping};

/// Test digits per class projected for the page's scatter plot.
pub const SCATTER_PER_CLASS: usize = 300;
/// Component counts tried, in order, when choosing on held-out codes (the search stops once the
/// held-out likelihood has fallen twice in a row).
pub const COMPONENT_CANDIDATES: &[usize] = &[1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 24, 32, 40, 48, 64];

/// How many mixture components each class gets.
#[derive(Clone, Copy, Debug)]
pub enum Components {
    /// Chosen per class by held-out log-likelihood.
    Auto,
    /// This many for every class.
    Fixed(usize),
}

/// What `fit` chose and measured, per class (written to `fit.json`, where the class is still
/// called `digit`).
#[derive(Serialize)]
pub struct ClassReport {
    /// The class's label.
    #[serde(rename = "digit")]
    pub class: usize,
    /// Training codes of this class.
    pub codes: usize,
    /// `(components, held-out mean log-likelihood)` for each candidate (empty when fixed).
    pub held_out: Vec<(usize, f64)>,
    /// Components used.
    pub components: usize,
    /// EM iterations of the final fit.
    pub iterations: usize,
    /// Mean log-likelihood of the class's test codes under the mixture.
    pub test_log_likelihood_mixture: f64,
    /// Mean log-likelihood of the class's test codes under the single Gaussian.
    pub test_log_likelihood_gaussian: f64,
}

/// The average training image of each class, 10 × 784 bytes (0–255): a reference the wasm tests
/// compare samples with.
pub fn mean_images(images: &Images) -> Vec<u8> {
    let mut sums = vec![0f64; CLASSES * IMAGE_PIXELS];
    let mut counts = [0usize; CLASSES];
    for (i, &label) in images.labels.iter().enumerate() {
        let class = usize::from(label);
        counts[class] += 1;
        for (sum, &p) in sums[class * IMAGE_PIXELS..(class + 1) * IMAGE_PIXELS]
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

/// The record of the folder's flow (`flow.bin`, in its current `latent.bin`) if it has one and
/// was trained on the same codes and mixtures as `stats` (the same 8-bit encoder, the same
/// stored mixtures): `fit` keeps it. After new weights or other mixtures, `fit-flow` must run
/// again.
fn previous_flow(model: &Path, stats: &LatentStats) -> Option<artifact::FlowStats> {
    let bytes = std::fs::read(model.join("latent.bin")).ok()?;
    let previous = artifact::decode(&bytes).ok()?;
    let flow = previous.flow?;
    let stored = artifact::decode(&artifact::encode(stats)).ok()?;
    if previous.card.records.encoder != stats.card.records.encoder
        || previous.classes != stored.classes
    {
        eprintln!(
            "the flow (flow.bin) was trained on other codes or mixtures: run `latent-digits \
             fit-flow --model {}` again",
            model.display()
        );
        return None;
    }
    eprintln!("keeping the flow (flow.bin) of the current latent.bin");
    Some(flow)
}

/// How `fit` fits: mixture components per class, covariance floor and seed.
#[derive(Clone, Copy, Debug)]
pub struct FitOptions {
    /// Components per class.
    pub components: Components,
    /// Added to the diagonal of every mixture component's covariance.
    pub floor: f64,
    /// Seeds k-means and EM.
    pub seed: u64,
}

/// Fits the statistics of the model in `model`, stores its encoder in 8 bits as the page loads
/// it ([`SHIPPED_ENCODER`]), measures how well that encoder and the mixtures read the test
/// images, scores the default samplers with the data set's committed classifier
/// ([`classifier_dir`]), and writes `latent.bin`, the page's decoder ([`SHIPPED_DECODER`]),
/// `fit.json` and `mean_images.bin` into the folder.
pub fn fit_and_write(model: &Path, options: FitOptions) -> Result<()> {
    let dir = ModelDir::open(model)?;
    let started = Instant::now();
    let (mut stats, reports) =
        fit_latent_stats(&dir, options.components, options.floor, options.seed)?;

    let device = default_device();
    let encoder_record = quantize_for_shipping(dir.encoder(&device)?)
        .into_record()
        .into_bytes()
        .context("cannot serialise the 8-bit encoder")?;
    stats.card.records.encoder = crc32fast::hash(&encoder_record);
    stats.flow = previous_flow(model, &stats);
    stats.style = Some(style::fit_style(&dir, &stats)?);
    let shipped_encoder = dir.pack_encoder(&encoder_record)?;
    let mut generator = dir.generator_with(&artifact::encode(&stats))?;
    generator
        .load_encoder(&shipped_encoder)
        .context("the generator does not take the packed encoder")?;
    eprintln!("reading the test images through the 8-bit encoder…");
    let reading = score::reading_scores(&generator, &dir.images(Split::Test)?)?;
    eprintln!("{reading:?}");
    stats.card.reading = Some(reading);
    let classifier = classifier_dir(dir.run.config.dataset);
    eprintln!(
        "scoring the default samples with the classifier in {}…",
        classifier.display()
    );
    let (evaluator, _, test) = evaluate::evaluator_for(&dir, &classifier, &device)?;
    let mut generator = dir.generator_with(&artifact::encode(&stats))?;
    dir.load_flow(&mut generator)?;
    let reconstructions = evaluate::reconstruct(&dir, &generator, &test, &device)?;
    let quality = evaluate::sample_quality(&evaluator, &generator, &reconstructions, &test)?;
    eprintln!("{quality:?}");
    if let Some(flow) = stats.flow.as_mut() {
        flow.samples = Some(evaluate::flow_quality(&evaluator, &generator)?);
        eprintln!("flow: {:?}", flow.samples);
    }
    stats.card.sample_quality = Some(quality);
    write_atomic(&model.join(SHIPPED_DECODER), &dir.shipped_decoder()?)?;
    write_atomic(&model.join(ENCODER_RECORD), &encoder_record)?;
    write_atomic(&model.join(SHIPPED_ENCODER), &shipped_encoder)?;
    write_atomic(&model.join("latent.bin"), &artifact::encode(&stats))?;
    write_json(&model.join("fit.json"), &reports)?;
    let means = mean_images(&dir.images(Split::Train)?);
    write_atomic(&model.join("mean_images.bin"), &means)?;
    eprintln!(
        "fitted in {:.1}s; written to {}",
        started.elapsed().as_secs_f64(),
        model.join("latent.bin").display()
    );
    Ok(())
}

/// The test images shown in the page's scatter plot: [`SCATTER_PER_CLASS`] of each class,
/// evenly spread over the whole test set (MNIST's two halves come from different writers, so the
/// first images of each class are not a fair sample).
pub fn scatter_indices(labels: &[u8]) -> Vec<usize> {
    let mut by_class = vec![Vec::new(); CLASSES];
    for (i, &label) in labels.iter().enumerate() {
        by_class[usize::from(label)].push(i);
    }
    let mut chosen: Vec<usize> = by_class
        .iter()
        .flat_map(|indices| {
            let taken = indices.len().min(SCATTER_PER_CLASS);
            (0..taken).map(move |k| indices[k * indices.len() / taken])
        })
        .collect();
    chosen.sort_unstable();
    chosen
}

/// Fits the statistics of the model in `dir` (mixtures with covariance floor `floor`; the
/// classes in parallel); returns them and the per-class report.
pub fn fit_latent_stats(
    dir: &ModelDir,
    components: Components,
    floor: f64,
    seed: u64,
) -> Result<(LatentStats, Vec<ClassReport>)> {
    let [(train, train_codes), (test, test_codes)] = dir.encoded_splits()?;

    let bar = progress::bar(CLASSES as u64);
    bar.set_message("fitting mixtures");
    // The maths reports its errors as text; the map below adds the class and the flags that help.
    let fit_class = |class: usize| -> Result<(ClassStats, ClassReport), String> {
        let x = fit::to_matrix(&codes_of_class(&train_codes, &train.labels, class));
        let x_test = fit::to_matrix(&codes_of_class(&test_codes, &test.labels, class));
        let settings = EmSettings::new(1, seed.wrapping_add(class as u64)).with_floor(floor);
        let (held_out, k) = match components {
            Components::Fixed(k) => (Vec::new(), k),
            Components::Auto => {
                let selection = fit::select_components(&x, COMPONENT_CANDIDATES, settings)?;
                (selection.scores, selection.best)
            }
        };
        let mixture = fit::fit_mixture(
            &x,
            EmSettings {
                components: k,
                ..settings
            },
        )?;
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
                "class {class}: {k} components, test log-likelihood {mixture_ll:.2} (single Gaussian {gaussian_ll:.2})"
            ),
        );
        bar.inc(1);
        let stats = ClassStats {
            gaussian: fit::to_gaussian(&mean, &covariance)?,
            mixture: mixture.to_mixture()?,
        };
        let report = ClassReport {
            class,
            codes: x.nrows(),
            held_out,
            components: k,
            iterations: mixture.iterations,
            test_log_likelihood_mixture: mixture_ll,
            test_log_likelihood_gaussian: gaussian_ll,
        };
        Ok((stats, report))
    };
    let fitted: Vec<(ClassStats, ClassReport)> = (0..CLASSES)
        .into_par_iter()
        .map(|class| {
            fit_class(class).map_err(|e| {
                anyhow!("fitting class {class}: {e} (try fewer --components or a larger --floor)")
            })
        })
        .collect::<Result<_>>()?;
    bar.finish_and_clear();
    let (classes, reports): (Vec<ClassStats>, Vec<ClassReport>) = fitted.into_iter().unzip();

    let (mean, eigenvalues, components) = fit::fit_pca(&fit::to_matrix(&train_codes));
    let mut pca = Pca {
        mean,
        eigenvalues,
        components,
        points: Vec::new(),
        labels: Vec::new(),
    };
    for i in scatter_indices(&test.labels) {
        pca.points
            .extend(pca.project(&test_codes[i * LATENT_DIM..(i + 1) * LATENT_DIM]));
        pca.labels.push(test.labels[i]);
    }

    let run = &dir.run;
    let card = ModelCard {
        dataset: run.config.dataset,
        // The encoder's is added by `fit_and_write`, which makes the shipped encoder.
        records: RecordChecksums {
            decoder: crc32fast::hash(&dir.decoder_record()?),
            encoder: 0,
        },
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
        reading: None,
    };
    Ok((
        LatentStats {
            card,
            classes,
            pca,
            style: None,
            flow: None,
        },
        reports,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::Generator;
    use crate::train::training_run::MODEL_DIR;

    #[test]
    fn scatter_digits_are_balanced_and_spread_over_the_test_set() {
        let labels: Vec<u8> = (0..10_000).map(|i| ((i * 7) % CLASSES) as u8).collect();
        let chosen = scatter_indices(&labels);
        assert_eq!(chosen.len(), CLASSES * SCATTER_PER_CLASS);
        for digit in 0..CLASSES as u8 {
            let mine: Vec<usize> = chosen
                .iter()
                .copied()
                .filter(|&i| labels[i] == digit)
                .collect();
            assert_eq!(mine.len(), SCATTER_PER_CLASS);
            assert!(
                mine[0] < 100 && *mine.last().unwrap() > 9_600,
                "{digit}: {mine:?}"
            );
        }
        assert_eq!(
            scatter_indices(&[3, 3, 1]),
            [0, 1, 2],
            "small classes are taken whole"
        );
    }

    /// The statistics of the committed model, refitted with one component per digit: what
    /// `latent.bin` is made of loads into a generator whose samples are drawn from the card's
    /// model and whose scatter plot has every digit.
    #[test]
    fn fitted_statistics_load_into_a_generator() {
        let dir = ModelDir::open(Path::new(MODEL_DIR)).unwrap();
        let (stats, reports) = fit_latent_stats(&dir, Components::Fixed(1), 1e-4, 5).unwrap();
        assert_eq!(reports.len(), CLASSES);
        assert!(reports.iter().all(|r| r.components == 1 && r.codes > 5000));
        assert_eq!(stats.card.test_bce, dir.run.test.bce as f32);
        assert_eq!(stats.card.train_command, dir.run.command);
        assert_eq!(stats.pca.labels.len(), CLASSES * SCATTER_PER_CLASS);
        assert!(stats.pca.eigenvalues.windows(2).all(|w| w[0] >= w[1]));
        let generator = Generator::from_bytes(
            &std::fs::read(dir.path.join("decoder.bpk")).unwrap(),
            &artifact::encode(&stats),
        )
        .unwrap();
        assert_eq!(generator.stats().classes.len(), CLASSES);
        assert_eq!(generator.stats().classes[4].mixture.weights, [1.0]);
    }
}
