//! The subcommands of the `latent-digits` binary.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Parser, Subcommand};
use serde::{Deserialize, Serialize};

use super::classifier::{self, CLASSIFIER_DIR, ClassifierConfig};
use super::data::{self, Dataset, Split};
use super::evaluate;
use super::files::{read_npy, write_atomic, write_npy_f32, write_npy_i64};
use super::fitting::{Components, fit_latent_stats, mean_images};
use super::loss::Loss;
use super::model_dir::{ModelDir, codes_of_digit, encode_all};
use super::trainer::{self, EpochRecord, LatentRegulariser, Reconstruction, TrainConfig};
use super::{bench, figures};
use crate::artifact;
use crate::generator::SampleOptions;
use crate::latent::fit::COVARIANCE_FLOOR;
use crate::latent::{CLASSES, Method};
use crate::model::{
    Arch, Autoencoder, Decoder, IMAGE_PIXELS, LATENT_DIM, default_device, load_record_bytes,
    quantize_for_shipping,
};

/// Folder of the committed model.
pub const MODEL_DIR: &str = "model";

/// Train an autoencoder on MNIST, fit its latent statistics, sample digits and draw figures.
#[derive(Parser, Debug)]
#[command(version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Train the autoencoder, checkpointing every epoch, then fit the latent statistics.
    Train(TrainArgs),
    /// Fit per-digit Gaussians and mixtures and the PCA of the codes (writes latent.bin).
    Fit(FitArgs),
    /// Sample digits from the fitted statistics and decode them.
    Sample(SampleArgs),
    /// Encode a split of the data set.
    Encode(EncodeArgs),
    /// Reconstruct a split of the data set through the autoencoder.
    Reconstruct(ReconstructArgs),
    /// Print the mean log-likelihood of the test codes under the fitted statistics.
    Score(ScoreArgs),
    /// Draw the report's figures (PNG, and an animated GIF of the morph loop).
    Figures(FiguresArgs),
    /// Time a training step, a mixture fit and decoding on this machine.
    Bench(BenchArgs),
    /// Score generated digits with the classifier: class accuracy, Fréchet distance, diversity
    /// and memorisation, beside real training digits and the model's reconstructions.
    Evaluate(EvaluateArgs),
    /// Train the evaluator's CNN classifier on the MNIST training digits.
    TrainClassifier(TrainClassifierArgs),
}

#[derive(clap::Args, Debug)]
struct EvaluateArgs {
    #[arg(long, default_value = MODEL_DIR)]
    model: PathBuf,
    /// Folder of the classifier (`classifier.bpk`, `run.json`).
    #[arg(long, default_value = CLASSIFIER_DIR)]
    classifier: PathBuf,
    /// Score the model's samples drawn with this method (as `sample` draws them).
    #[arg(long, value_enum, conflicts_with = "images")]
    method: Option<MethodArg>,
    /// Covariance scale (default: the method's, as in `sample`).
    #[arg(long, requires = "method")]
    spread: Option<f64>,
    /// Samples per digit.
    #[arg(long, default_value_t = evaluate::PER_CLASS, requires = "method")]
    per_class: usize,
    #[arg(long, default_value_t = evaluate::SEED, requires = "method")]
    seed: u64,
    /// Score these images instead: N×784 float32 in [0, 1] (`.npy`).
    #[arg(long, requires = "labels")]
    images: Option<PathBuf>,
    /// The digit of each image of --images (`.npy`, int64).
    #[arg(long, requires = "images")]
    labels: Option<PathBuf>,
    /// Also write the scores as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct TrainClassifierArgs {
    #[arg(long, default_value_t = 12)]
    epochs: usize,
    #[arg(long, default_value_t = 128)]
    batch: usize,
    /// Peak learning rate of the cosine schedule.
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output folder.
    #[arg(long, default_value = CLASSIFIER_DIR)]
    out: PathBuf,
}

#[derive(clap::Args, Debug)]
struct FiguresArgs {
    #[arg(long, default_value = MODEL_DIR)]
    model: PathBuf,
    /// Folder for the figures.
    #[arg(long)]
    out: PathBuf,
}

#[derive(clap::Args, Debug)]
struct BenchArgs {
    #[arg(long, default_value = MODEL_DIR)]
    model: PathBuf,
    /// Timed training steps.
    #[arg(long, default_value_t = 50)]
    steps: usize,
}

#[derive(clap::Args, Debug)]
struct FitArgs {
    /// Trained model folder.
    #[arg(long, default_value = MODEL_DIR)]
    model: PathBuf,
    /// Mixture components per digit: `auto` (chosen on held-out codes) or a number.
    #[arg(long, default_value = "auto", value_parser = parse_components)]
    components: Components,
    /// Added to the diagonal of every mixture component's covariance.
    #[arg(long, default_value_t = COVARIANCE_FLOOR)]
    floor: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum MethodArg {
    Gmm,
    Gaussian,
}

#[derive(clap::Args, Debug)]
struct SampleArgs {
    #[arg(long, default_value = MODEL_DIR)]
    model: PathBuf,
    #[arg(long, value_enum)]
    method: MethodArg,
    /// Covariance scale (default: 0.85 for gmm, 0.2 for gaussian).
    #[arg(long)]
    spread: Option<f64>,
    /// Samples per digit.
    #[arg(long)]
    per_class: usize,
    #[arg(long)]
    seed: u64,
    /// Images, (10·N)×784 float32 in [0, 1], digits in order 0–9.
    #[arg(long)]
    out: PathBuf,
    /// Digit of each image, int64.
    #[arg(long)]
    labels_out: PathBuf,
    /// Also write the sampled codes, (10·N)×32 float32.
    #[arg(long)]
    latents_out: Option<PathBuf>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum SplitArg {
    Train,
    Test,
}

impl From<SplitArg> for Split {
    fn from(arg: SplitArg) -> Self {
        match arg {
            SplitArg::Train => Split::Train,
            SplitArg::Test => Split::Test,
        }
    }
}

#[derive(clap::Args, Debug)]
struct EncodeArgs {
    #[arg(long, default_value = MODEL_DIR)]
    model: PathBuf,
    #[arg(long, value_enum)]
    split: SplitArg,
    /// Codes, N×32 float32.
    #[arg(long)]
    out: PathBuf,
    /// Labels, int64.
    #[arg(long)]
    labels_out: PathBuf,
}

#[derive(clap::Args, Debug)]
struct ReconstructArgs {
    #[arg(long, default_value = MODEL_DIR)]
    model: PathBuf,
    #[arg(long, value_enum)]
    split: SplitArg,
    /// Reconstructions, N×784 float32, in data-set order.
    #[arg(long)]
    out: PathBuf,
}

#[derive(clap::Args, Debug)]
struct ScoreArgs {
    #[arg(long, default_value = MODEL_DIR)]
    model: PathBuf,
    #[arg(long, value_enum, default_value = "test")]
    split: SplitArg,
}

/// Most mixture components `fit --components` accepts.
const MAX_FIXED_COMPONENTS: usize = 128;

fn parse_components(text: &str) -> Result<Components, String> {
    if text == "auto" {
        return Ok(Components::Auto);
    }
    match text.parse::<usize>() {
        Ok(k) if (1..=MAX_FIXED_COMPONENTS).contains(&k) => Ok(Components::Fixed(k)),
        _ => Err(format!(
            "'{text}' is neither `auto` nor a component count from 1 to {MAX_FIXED_COMPONENTS}"
        )),
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum DatasetArg {
    Mnist,
    Fashion,
}

impl From<DatasetArg> for Dataset {
    fn from(arg: DatasetArg) -> Self {
        match arg {
            DatasetArg::Mnist => Dataset::Mnist,
            DatasetArg::Fashion => Dataset::Fashion,
        }
    }
}

#[derive(clap::Args, Debug)]
struct TrainArgs {
    #[arg(long, value_enum, default_value = "mnist")]
    dataset: DatasetArg,
    /// Folder with the IDX files (default: the data set's install location).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Network depth: 1, 5 or 9 layers.
    #[arg(long, default_value_t = 9, value_parser = parse_arch)]
    arch: u32,
    #[arg(long, value_enum, default_value = "bce")]
    loss: Loss,
    #[arg(long, default_value_t = 50)]
    epochs: usize,
    #[arg(long, default_value_t = 256)]
    batch: usize,
    /// Peak learning rate of the cosine schedule.
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Decoupled weight decay, as in AdamW (0: plain Adam).
    #[arg(long, default_value_t = 0.0)]
    weight_decay: f64,
    /// Warp each training image randomly (small rotation, scale, shear and shift).
    #[arg(long)]
    augment: bool,
    /// With --augment: the share of training images warped each epoch, in (0, 1].
    #[arg(long, default_value_t = 1.0, requires = "augment")]
    augment_share: f64,
    /// With --augment: how large the warps are, in (0, 2] (1: up to 8° of rotation, 8 % of
    /// scale, 0.1 of shear and a pixel of shift; 0.5: half of each).
    #[arg(long, default_value_t = 1.0, requires = "augment")]
    augment_strength: f64,
    /// Train the last N epochs through the shipped 8-bit decoder (quantization-aware: the
    /// full-precision weights settle where their quantized values reconstruct best).
    #[arg(long, default_value_t = 0)]
    quantization_aware_epochs: usize,
    /// Standard deviation of Gaussian noise added to the codes before decoding (training only).
    #[arg(long, default_value_t = 0.0)]
    code_noise: f64,
    /// Weight of an L2 penalty on the codes (mean squared coordinate).
    #[arg(long, default_value_t = 0.0)]
    code_penalty: f64,
    /// Start from the weights of this trained model folder instead of random ones.
    #[arg(long)]
    init_from: Option<PathBuf>,
    /// Output folder for the model, the curve and the checkpoint.
    #[arg(long, default_value = MODEL_DIR)]
    out: PathBuf,
    /// Continue from the checkpoint in --out.
    #[arg(long)]
    resume: bool,
    /// Train on only the first N training images (for quick experiments and tests).
    #[arg(long)]
    limit: Option<usize>,
    /// Stop after training: do not fit the latent statistics (for architecture comparisons).
    #[arg(long)]
    skip_fit: bool,
}

fn parse_arch(text: &str) -> Result<u32, String> {
    let layers: u32 = text
        .parse()
        .map_err(|_| format!("'{text}' is not a number"))?;
    Arch::from_layers(layers)
        .map(|_| layers)
        .ok_or_else(|| "must be 1, 5 or 9".to_string())
}

/// What `train` records beside the weights, for MODEL.md.
#[derive(Serialize, Deserialize)]
pub struct RunRecord {
    /// The command line that produced the model.
    pub command: String,
    /// Its configuration.
    pub config: TrainConfig,
    /// Training images used.
    pub train_images: usize,
    /// Wall-clock seconds of all epochs, resumed sessions included.
    pub wall_seconds: f64,
    /// CPU model and core count.
    pub machine: String,
    /// Final reconstruction scores on the training set (with the shipped 8-bit decoder).
    pub train: Reconstruction,
    /// Final reconstruction scores on the test set.
    pub test: Reconstruction,
    /// Test scores with the decoder at full (f32) precision, before it is quantized.
    pub test_full_precision: Reconstruction,
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Train(args) => train(args),
        Command::Fit(args) => fit(&args.model, args.components, args.floor, args.seed),
        Command::Sample(args) => sample(args),
        Command::Encode(args) => encode(args),
        Command::Reconstruct(args) => reconstruct(args),
        Command::Score(args) => score(args),
        Command::Figures(args) => figures::write_figures(&ModelDir::open(&args.model)?, &args.out),
        Command::Bench(args) => bench::run(&ModelDir::open(&args.model)?, args.steps),
        Command::Evaluate(args) => evaluate(args),
        Command::TrainClassifier(args) => train_classifier(args),
    }
}

fn train(args: TrainArgs) -> Result<(), String> {
    if !cfg!(feature = "flex") {
        return Err(
            "train stores the decoder in packed 8-bit blocks, which burn-ndarray 0.22 \
                    cannot quantize: build the trainer with the default (flex) backend"
                .to_string(),
        );
    }
    if !(0.0..1.0).contains(&(args.lr * args.weight_decay)) {
        return Err(format!(
            "--weight-decay {} with --lr {} would not shrink the weights by a factor in (0, 1]; \
             use a decay between 0 and 1/lr",
            args.weight_decay, args.lr
        ));
    }
    if !(args.augment_share > 0.0 && args.augment_share <= 1.0) {
        return Err(format!(
            "--augment-share {} must be in (0, 1]",
            args.augment_share
        ));
    }
    if !(args.augment_strength > 0.0 && args.augment_strength <= 2.0) {
        return Err(format!(
            "--augment-strength {} must be in (0, 2]",
            args.augment_strength
        ));
    }
    for (flag, value) in [
        ("--code-noise", args.code_noise),
        ("--code-penalty", args.code_penalty),
    ] {
        if !(value.is_finite() && value >= 0.0) {
            return Err(format!("{flag} {value} must be a number ≥ 0"));
        }
    }
    if args.quantization_aware_epochs > args.epochs {
        return Err(format!(
            "--quantization-aware-epochs {} is more than --epochs {}",
            args.quantization_aware_epochs, args.epochs
        ));
    }
    let config = TrainConfig {
        dataset: args.dataset.into(),
        arch: Arch::from_layers(args.arch).expect("validated by clap"),
        loss: args.loss,
        epochs: args.epochs,
        batch: args.batch,
        lr: args.lr,
        seed: args.seed,
        weight_decay: args.weight_decay,
        augment: args.augment,
        augment_share: args.augment_share,
        augment_strength: args.augment_strength,
        quantization_aware_epochs: args.quantization_aware_epochs,
        latent: LatentRegulariser {
            code_noise: args.code_noise,
            code_penalty: args.code_penalty,
        },
        init_from: args.init_from.clone(),
    };
    let data_dir = args.data.as_deref();
    let mut train_set =
        data::load(config.dataset, data_dir, Split::Train).map_err(|e| e.to_string())?;
    if let Some(limit) = args.limit {
        train_set = train_set.truncated(limit);
    }
    let test_set = data::load(config.dataset, data_dir, Split::Test).map_err(|e| e.to_string())?;
    let device = default_device();
    let started = Instant::now();
    let (model, history) = trainer::train(
        &config,
        &train_set,
        &test_set,
        &args.out,
        args.resume,
        &device,
    )?;
    eprintln!(
        "trained in {:.1}s; scoring…",
        started.elapsed().as_secs_f64()
    );

    trainer::save_record(&args.out.join("encoder.bpk"), model.encoder.clone())?;
    // The shipped decoder is stored in 8 bits; its quality is measured as loaded back.
    trainer::save_record(
        &args.out.join("decoder.bpk"),
        quantize_for_shipping(model.decoder.clone()),
    )?;
    let decoder_path = args.out.join("decoder.bpk");
    let stored = std::fs::read(&decoder_path)
        .map_err(|e| format!("cannot read {}: {e}", decoder_path.display()))?;
    let decoder = load_record_bytes(Decoder::skeleton(config.arch, &device), &stored)?;
    let shipped = Autoencoder {
        encoder: model.encoder.clone(),
        decoder,
    };
    write_curve(&args.out.join("curve.csv"), &history)?;
    let record = RunRecord {
        command: std::env::args().collect::<Vec<_>>().join(" "),
        config,
        train_images: train_set.len(),
        wall_seconds: history.iter().map(|r| r.seconds).sum(),
        machine: machine_description(),
        train: trainer::evaluate(&shipped, &train_set, &device),
        test: trainer::evaluate(&shipped, &test_set, &device),
        test_full_precision: trainer::evaluate(&model, &test_set, &device),
    };
    let json = serde_json::to_vec_pretty(&record).map_err(|e| e.to_string())?;
    write_atomic(&args.out.join("run.json"), &json).map_err(|e| e.to_string())?;
    eprintln!(
        "test bce {:.5} mse {:.5}; train bce {:.5}; written to {}",
        record.test.bce,
        record.test.mse,
        record.train.bce,
        args.out.display()
    );
    if args.skip_fit {
        return Ok(());
    }
    fit(
        &args.out,
        Components::Auto,
        COVARIANCE_FLOOR,
        record.config.seed,
    )
}

fn fit(model: &Path, components: Components, floor: f64, seed: u64) -> Result<(), String> {
    if !(floor.is_finite() && floor > 0.0) {
        return Err(format!("--floor {floor} must be a positive number"));
    }
    let dir = ModelDir::open(model)?;
    let started = Instant::now();
    let (mut stats, reports) = fit_latent_stats(&dir, components, floor, seed)?;
    if dir.run.config.dataset == Dataset::Mnist {
        eprintln!("scoring the default samples with the classifier in {CLASSIFIER_DIR}…");
        let device = default_device();
        let (evaluator, _, test) =
            evaluate::evaluator_for(&dir, Path::new(CLASSIFIER_DIR), &device)?;
        let generator = dir.generator_with(&artifact::encode(&stats))?;
        let reconstructions = evaluate::reconstruct(&dir, &generator, &test, &device)?;
        let quality = evaluate::sample_quality(&evaluator, &generator, &reconstructions, &test)?;
        eprintln!("{quality:?}");
        stats.card.sample_quality = Some(quality);
    }
    write_atomic(&model.join("latent.bin"), &artifact::encode(&stats))
        .map_err(|e| e.to_string())?;
    let json = serde_json::to_vec_pretty(&reports).map_err(|e| e.to_string())?;
    write_atomic(&model.join("fit.json"), &json).map_err(|e| e.to_string())?;
    let means = mean_images(&dir.images(Split::Train)?);
    write_atomic(&model.join("mean_images.bin"), &means).map_err(|e| e.to_string())?;
    eprintln!(
        "fitted in {:.1}s; written to {}",
        started.elapsed().as_secs_f64(),
        model.join("latent.bin").display()
    );
    Ok(())
}

fn sample(args: SampleArgs) -> Result<(), String> {
    let generator = ModelDir::open(&args.model)?.generator()?;
    let options = sample_options(args.method, args.spread, args.seed)?;
    let set = generator
        .sample_every_digit(args.per_class, options)
        .map_err(|e| e.to_string())?;
    let n = set.labels.len() as u64;
    let labels: Vec<i64> = set.labels.iter().map(|&l| i64::from(l)).collect();
    write_npy_f32(&args.out, &[n, IMAGE_PIXELS as u64], &set.images).map_err(|e| e.to_string())?;
    write_npy_i64(&args.labels_out, &[n], &labels).map_err(|e| e.to_string())?;
    if let Some(path) = args.latents_out {
        write_npy_f32(&path, &[n, LATENT_DIM as u64], &set.latents).map_err(|e| e.to_string())?;
    }
    eprintln!("{n} samples written to {}", args.out.display());
    Ok(())
}

/// The sampling options of `sample` and `evaluate`: the method's default spread unless given.
fn sample_options(
    method: MethodArg,
    spread: Option<f64>,
    seed: u64,
) -> Result<SampleOptions, String> {
    let method = match method {
        MethodArg::Gmm => Method::Mixture,
        MethodArg::Gaussian => Method::Gaussian,
    };
    let options = SampleOptions::new(method, seed);
    match spread {
        Some(spread) => options.with_spread(spread).map_err(|e| e.to_string()),
        None => Ok(options),
    }
}

fn train_classifier(args: TrainClassifierArgs) -> Result<(), String> {
    let train = data::load(Dataset::Mnist, None, Split::Train).map_err(|e| e.to_string())?;
    let test = data::load(Dataset::Mnist, None, Split::Test).map_err(|e| e.to_string())?;
    let config = ClassifierConfig {
        epochs: args.epochs,
        batch: args.batch,
        lr: args.lr,
        seed: args.seed,
    };
    let record = classifier::train_classifier(
        &config,
        &train,
        &test,
        &args.out,
        std::env::args().collect::<Vec<_>>().join(" "),
        machine_description(),
    )?;
    eprintln!(
        "test accuracy {:.4} after {:.0}s; written to {}",
        record.test_accuracy,
        record.wall_seconds,
        args.out.display()
    );
    Ok(())
}

fn evaluate(args: EvaluateArgs) -> Result<(), String> {
    let started = Instant::now();
    let device = default_device();
    let dir = ModelDir::open(&args.model)?;
    let (evaluator, train, test) = evaluate::evaluator_for(&dir, &args.classifier, &device)?;
    let generator = dir.generator()?;
    let (name, images, labels) = match (&args.images, args.method) {
        (Some(images), None) => {
            let labels_path = args.labels.as_ref().ok_or("--images needs --labels")?;
            let (pixels, labels) = read_image_set(images, labels_path)?;
            (images.display().to_string(), pixels, labels)
        }
        (None, Some(method)) => {
            let options = sample_options(method, args.spread, args.seed)?;
            let set = generator
                .sample_every_digit(args.per_class, options)
                .map_err(|e| e.to_string())?;
            let name = format!(
                "{} samples, spread {}, seed {}",
                match options.method {
                    Method::Mixture => "mixture",
                    Method::Gaussian => "single Gaussian",
                },
                options.spread,
                options.seed
            );
            (name, set.images, set.labels)
        }
        _ => return Err("give either --method or --images (with --labels)".to_string()),
    };
    let (real, real_labels) = evaluate::training_reference(&train, test.len() / CLASSES);
    let reconstructions = evaluate::reconstruct(&dir, &generator, &test, &device)?;
    println!("{}", evaluate::header());
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
        println!("{}", evaluate::format_line(line, &scores));
        report.push(serde_json::json!({ "set": line, "scores": scores }));
    }
    if let Some(path) = args.json {
        let json = serde_json::to_vec_pretty(&report).map_err(|e| e.to_string())?;
        write_atomic(&path, &json).map_err(|e| e.to_string())?;
    }
    eprintln!("evaluated in {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Reads `N×784` float32 images and `N` integer labels from `.npy` files.
fn read_image_set(images: &Path, labels: &Path) -> Result<(Vec<f32>, Vec<u8>), String> {
    let pixels = read_npy::<f32>(images)?;
    let labels_values = read_npy::<i64>(labels)?;
    if pixels.len() != labels_values.len() * IMAGE_PIXELS {
        return Err(format!(
            "{} holds {} values, not {IMAGE_PIXELS} for each of the {} labels in {}",
            images.display(),
            pixels.len(),
            labels_values.len(),
            labels.display()
        ));
    }
    let labels_u8 = labels_values
        .iter()
        .map(|&l| u8::try_from(l).ok().filter(|&d| usize::from(d) < CLASSES))
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(|| format!("{} holds a label that is not a digit 0–9", labels.display()))?;
    Ok((pixels, labels_u8))
}

fn encode(args: EncodeArgs) -> Result<(), String> {
    let dir = ModelDir::open(&args.model)?;
    let device = default_device();
    let images = dir.images(args.split.into())?;
    let codes = encode_all(&dir.encoder(&device)?, &images, &device);
    let n = images.len() as u64;
    write_npy_f32(&args.out, &[n, LATENT_DIM as u64], &codes).map_err(|e| e.to_string())?;
    let labels: Vec<i64> = images.labels.iter().map(|&l| i64::from(l)).collect();
    write_npy_i64(&args.labels_out, &[n], &labels).map_err(|e| e.to_string())
}

fn reconstruct(args: ReconstructArgs) -> Result<(), String> {
    let dir = ModelDir::open(&args.model)?;
    let device = default_device();
    let images = dir.images(args.split.into())?;
    let codes = encode_all(&dir.encoder(&device)?, &images, &device);
    let pixels = dir.decoder(&device)?.decode_slice(&codes, &device);
    write_npy_f32(
        &args.out,
        &[images.len() as u64, IMAGE_PIXELS as u64],
        &pixels,
    )
    .map_err(|e| e.to_string())
}

fn score(args: ScoreArgs) -> Result<(), String> {
    let dir = ModelDir::open(&args.model)?;
    let device = default_device();
    let generator = dir.generator()?;
    let images = dir.images(args.split.into())?;
    let codes = encode_all(&dir.encoder(&device)?, &images, &device);
    println!("digit  count  mixture(K)        single Gaussian   (mean log-likelihood per code)");
    let (mut all_mixture, mut all_gaussian) = (0.0, 0.0);
    for (digit, class) in generator.stats().classes.iter().enumerate() {
        let mine = codes_of_digit(&codes, &images.labels, digit);
        let mixture: f64 = mine
            .chunks(LATENT_DIM)
            .map(|c| class.mixture.log_density(c))
            .sum();
        let gaussian: f64 = mine
            .chunks(LATENT_DIM)
            .map(|c| class.gaussian.log_density(c))
            .sum();
        let count = (mine.len() / LATENT_DIM) as f64;
        println!(
            "{digit:>5}  {count:>5}  {:>10.3} ({})  {:>15.3}",
            mixture / count,
            class.mixture.weights.len(),
            gaussian / count
        );
        all_mixture += mixture;
        all_gaussian += gaussian;
    }
    let n = images.len() as f64;
    println!(
        "  all  {:>5}  {:>14.3}  {:>15.3}",
        images.len(),
        all_mixture / n,
        all_gaussian / n
    );

    println!(
        "\nreconstruction of the codes (per pixel, probabilities clamped to [1e-7, 1 - 1e-7])"
    );
    let float_decoder = dir.decoder(&device)?;
    let mut float_pixels = Vec::with_capacity(images.pixels.len());
    let mut integer_pixels = Vec::with_capacity(images.pixels.len());
    for chunk in codes.chunks(1000 * LATENT_DIM) {
        float_pixels.extend(float_decoder.decode_slice(chunk, &device));
        integer_pixels.extend(generator.decode(chunk).map_err(|e| e.to_string())?);
    }
    for (name, pixels) in [
        ("f32 decoder (burn)", &float_pixels),
        ("integer decoder (the page's)", &integer_pixels),
    ] {
        let (bce, mse) = pixel_scores(pixels, &images.pixels);
        println!("  {name:<30} BCE {bce:.5}  MSE {mse:.5}");
    }
    Ok(())
}

/// Mean binary cross-entropy and squared error per pixel of `pixels` against `targets`.
fn pixel_scores(pixels: &[f32], targets: &[f32]) -> (f64, f64) {
    let (mut bce, mut mse) = (0.0, 0.0);
    for (&p, &x) in pixels.iter().zip(targets) {
        let p = f64::from(p).clamp(1e-7, 1.0 - 1e-7);
        let x = f64::from(x);
        bce -= x * p.ln() + (1.0 - x) * (1.0 - p).ln();
        mse += (p - x).powi(2);
    }
    let n = pixels.len() as f64;
    (bce / n, mse / n)
}

fn write_curve(path: &Path, history: &[EpochRecord]) -> Result<(), String> {
    let mut csv = String::from("epoch,lr,train_loss,test_bce,test_mse,seconds\n");
    for r in history {
        csv.push_str(&format!(
            "{},{:.6e},{:.6},{:.6},{:.6},{:.2}\n",
            r.epoch, r.lr, r.train_loss, r.test_bce, r.test_mse, r.seconds
        ));
    }
    write_atomic(path, csv.as_bytes()).map_err(|e| e.to_string())
}

/// CPU model, core count and architecture of this machine.
pub fn machine_description() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .and_then(|rest| rest.split(':').nth(1))
        })
        .map_or("unknown CPU", str::trim);
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    format!("{model}, {cores} cores, {}", std::env::consts::ARCH)
}
