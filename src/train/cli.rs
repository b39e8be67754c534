//! The `latent-digits` command line: parses the arguments and hands each subcommand to the
//! module that does the work. Checks of what a flag may be live here, naming the flag.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::classifier::{self, ClassifierConfig};
use super::data::{self, Dataset, Split};
use super::evaluate::{self, Candidates};
use super::export::{self, SampleFiles};
use super::files::write_atomic;
use super::latent_bin::{Components, FitOptions, fit_and_write};
use super::loss::Loss;
use super::machine::machine_description;
use super::model_dir::{MODEL_DIR, ModelDir};
use super::trainer::{LatentRegulariser, TrainConfig};
use super::training_run::{TrainRun, run_training};
use super::{bench, figures, score};
use crate::architecture::Arch;
use crate::generator::{MAX_IMAGES, SampleOptions};
use crate::latent::Method;
use crate::latent::fit::COVARIANCE_FLOOR;
use crate::train::model::default_device;

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
    /// Fit per-digit Gaussians and mixtures and the PCA of the codes (writes latent.bin), and
    /// store the encoder in 8 bits as the page loads it (encoder.q8.bpk).
    Fit(FitArgs),
    /// Sample digits from the fitted statistics and decode them.
    Sample(SampleArgs),
    /// Encode a split of the data set.
    Encode(EncodeArgs),
    /// Reconstruct a split of the data set through the autoencoder.
    Reconstruct(ReconstructArgs),
    /// Print how well the statistics explain held-out codes, how well they classify them, how
    /// well the shipped networks reconstruct the digits, and how well restyling works.
    Score(ScoreArgs),
    /// Draw the report's figures (PNG, and an animated GIF of the morph loop).
    Figures(FiguresArgs),
    /// Time a training step, a mixture fit and decoding on this machine.
    Bench(BenchArgs),
    /// Score generated digits with the classifier: class accuracy, Fréchet distance, diversity
    /// and memorisation, beside real training digits and the model's reconstructions.
    Evaluate(EvaluateArgs),
    /// Train the evaluator's CNN classifier on a data set's training images (MNIST by default).
    TrainClassifier(TrainClassifierArgs),
}

/// The trained model folder a command reads.
#[derive(Args, Debug)]
struct ModelArg {
    /// Trained model folder.
    #[arg(long = "model", default_value = MODEL_DIR)]
    path: PathBuf,
}

impl ModelArg {
    fn open(&self) -> Result<ModelDir, String> {
        ModelDir::open(&self.path)
    }
}

#[derive(Args, Debug)]
struct TrainArgs {
    #[arg(long, value_enum, default_value = "mnist")]
    dataset: DatasetArg,
    /// Folder with the IDX files (default: the data set's install location).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Network depth: 1, 5 or 9 layers.
    #[arg(long, default_value = "9", value_parser = parse_arch)]
    arch: Arch,
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
    /// Mirror half the training images left to right each epoch (Fashion-MNIST only: clothes
    /// look alike mirrored, digits do not).
    #[arg(long)]
    flip: bool,
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

#[derive(Args, Debug)]
struct FitArgs {
    #[command(flatten)]
    model: ModelArg,
    /// Mixture components per digit: `auto` (chosen on held-out codes) or a number.
    #[arg(long, default_value = "auto", value_parser = parse_components)]
    components: Components,
    /// Added to the diagonal of every mixture component's covariance.
    #[arg(long, default_value_t = COVARIANCE_FLOOR)]
    floor: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

#[derive(Args, Debug)]
struct SampleArgs {
    #[command(flatten)]
    model: ModelArg,
    #[arg(long, value_enum)]
    method: MethodArg,
    /// Covariance scale (default: 0.85 for gmm, 0.2 for gaussian).
    #[arg(long)]
    spread: Option<f64>,
    /// Samples per digit.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_IMAGES as u64))]
    per_class: u64,
    #[arg(long)]
    seed: u64,
    /// Images, (10·N)×784 float32 in [0, 1], digits in order 0–9.
    #[arg(long)]
    out: PathBuf,
    /// Class of each image, int64.
    #[arg(long)]
    labels_out: PathBuf,
    /// Also write the sampled codes, (10·N)×32 float32.
    #[arg(long)]
    latents_out: Option<PathBuf>,
}

/// A model folder and a split of its data set.
#[derive(Args, Debug)]
struct ModelSplit {
    #[command(flatten)]
    model: ModelArg,
    #[arg(long, value_enum)]
    split: SplitArg,
}

#[derive(Args, Debug)]
struct EncodeArgs {
    #[command(flatten)]
    input: ModelSplit,
    /// Codes, N×32 float32.
    #[arg(long)]
    out: PathBuf,
    /// Labels, int64.
    #[arg(long)]
    labels_out: PathBuf,
}

#[derive(Args, Debug)]
struct ReconstructArgs {
    #[command(flatten)]
    input: ModelSplit,
    /// Reconstructions, N×784 float32, in data-set order.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args, Debug)]
struct ScoreArgs {
    #[command(flatten)]
    model: ModelArg,
    #[arg(long, value_enum, default_value = "test")]
    split: SplitArg,
}

#[derive(Args, Debug)]
struct FiguresArgs {
    #[command(flatten)]
    model: ModelArg,
    /// Folder for the figures.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args, Debug)]
struct BenchArgs {
    #[command(flatten)]
    model: ModelArg,
    /// Timed training steps.
    #[arg(long, default_value_t = 50)]
    steps: usize,
}

#[derive(Args, Debug)]
struct EvaluateArgs {
    #[command(flatten)]
    model: ModelArg,
    /// Folder of the classifier (`classifier.bpk`, `run.json`); default: the committed one of
    /// the model's data set (model/classifier or model/fashion/classifier).
    #[arg(long)]
    classifier: Option<PathBuf>,
    /// Score the model's samples drawn with this method (as `sample` draws them).
    #[arg(
        long,
        value_enum,
        conflicts_with = "images",
        required_unless_present = "images"
    )]
    method: Option<MethodArg>,
    /// Covariance scale (default: the method's, as in `sample`).
    #[arg(long, requires = "method")]
    spread: Option<f64>,
    /// Samples per digit.
    #[arg(long, default_value_t = evaluate::PER_CLASS as u64, requires = "method",
          value_parser = clap::value_parser!(u64).range(1..=MAX_IMAGES as u64))]
    per_class: u64,
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

#[derive(Args, Debug)]
struct TrainClassifierArgs {
    /// The data set whose images it learns to tell apart (the evaluator of models trained on it).
    #[arg(long, value_enum, default_value = "mnist")]
    dataset: DatasetArg,
    #[arg(long, default_value_t = 12)]
    epochs: usize,
    #[arg(long, default_value_t = 128)]
    batch: usize,
    /// Peak learning rate of the cosine schedule.
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output folder (default: model/classifier, or model/fashion/classifier for Fashion-MNIST).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum MethodArg {
    Gmm,
    Gaussian,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
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

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq)]
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

fn parse_arch(text: &str) -> Result<Arch, String> {
    text.parse()
        .ok()
        .and_then(Arch::from_layers)
        .ok_or_else(|| format!("'{text}' is not a depth: use 1, 5 or 9"))
}

/// The command line as a user would type it, whatever the binary's path.
fn typed_command() -> String {
    std::iter::once("latent-digits".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<(), String> {
    let device = default_device();
    match cli.command {
        Command::Train(args) => train(args),
        Command::Fit(args) => {
            check_floor(args.floor)?;
            fit_and_write(
                &args.model.path,
                FitOptions {
                    components: args.components,
                    floor: args.floor,
                    seed: args.seed,
                },
            )
        }
        Command::Sample(args) => export::write_samples(
            &args.model.open()?,
            args.per_class as usize,
            sample_options(args.method, args.spread, args.seed)?,
            &SampleFiles {
                images: &args.out,
                labels: &args.labels_out,
                latents: args.latents_out.as_deref(),
            },
        ),
        Command::Encode(args) => export::write_codes(
            &args.input.model.open()?,
            args.input.split.into(),
            &args.out,
            &args.labels_out,
            &device,
        ),
        Command::Reconstruct(args) => export::write_reconstructions(
            &args.input.model.open()?,
            args.input.split.into(),
            &args.out,
            &device,
        ),
        Command::Score(args) => {
            score::print_scores(&args.model.open()?, args.split.into(), &device)
        }
        Command::Figures(args) => figures::write_figures(&args.model.open()?, &args.out),
        Command::Bench(args) => bench::run(&args.model.open()?, args.steps),
        Command::Evaluate(args) => evaluate_command(args, &device),
        Command::TrainClassifier(args) => train_classifier(args),
    }
}

fn train(args: TrainArgs) -> Result<(), String> {
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
    if args.flip && args.dataset == DatasetArg::Mnist {
        return Err(
            "--flip mirrors the training images: right for clothes, wrong for digits \
                    (a mirrored 3 is no 3); use it with --dataset fashion"
                .to_string(),
        );
    }
    if args.quantization_aware_epochs > args.epochs {
        return Err(format!(
            "--quantization-aware-epochs {} is more than --epochs {}",
            args.quantization_aware_epochs, args.epochs
        ));
    }
    let run = TrainRun {
        config: TrainConfig {
            dataset: args.dataset.into(),
            arch: args.arch,
            loss: args.loss,
            epochs: args.epochs,
            batch: args.batch,
            lr: args.lr,
            seed: args.seed,
            weight_decay: args.weight_decay,
            augment: args.augment,
            augment_share: args.augment_share,
            augment_strength: args.augment_strength,
            flip: args.flip,
            quantization_aware_epochs: args.quantization_aware_epochs,
            latent: LatentRegulariser {
                code_noise: args.code_noise,
                code_penalty: args.code_penalty,
            },
            init_from: args.init_from,
        },
        data: args.data,
        limit: args.limit,
        out: args.out,
        resume: args.resume,
        command: typed_command(),
    };
    let record = run_training(&run, &default_device())?;
    if args.skip_fit {
        return Ok(());
    }
    fit_and_write(
        &run.out,
        FitOptions {
            components: Components::Auto,
            floor: COVARIANCE_FLOOR,
            seed: record.config.seed,
        },
    )
}

fn check_floor(floor: f64) -> Result<(), String> {
    if floor.is_finite() && floor > 0.0 {
        Ok(())
    } else {
        Err(format!("--floor {floor} must be a positive number"))
    }
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
        Some(spread) => options
            .with_spread(spread)
            .map_err(|e| format!("--spread: {e}")),
        None => Ok(options),
    }
}

fn evaluate_command(args: EvaluateArgs, device: &burn::tensor::Device) -> Result<(), String> {
    let started = Instant::now();
    let candidates = match (args.images, args.labels, args.method) {
        (Some(images), Some(labels), None) => Candidates::Files { images, labels },
        (None, None, Some(method)) => Candidates::Samples {
            options: sample_options(method, args.spread, args.seed)?,
            per_class: args.per_class as usize,
        },
        _ => return Err("give either --method or --images with --labels".to_string()),
    };
    let classifier = match args.classifier {
        Some(path) => path,
        None => classifier::classifier_dir(args.model.open()?.run.config.dataset),
    };
    let report = evaluate::evaluate_model(&args.model.path, &classifier, &candidates, device)?;
    if let Some(path) = args.json {
        write_json(&path, &report)?;
    }
    eprintln!("evaluated in {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), String> {
    let json = serde_json::to_vec_pretty(value).map_err(|e| e.to_string())?;
    write_atomic(path, &json).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn train_classifier(args: TrainClassifierArgs) -> Result<(), String> {
    let dataset = args.dataset.into();
    let out = args
        .out
        .unwrap_or_else(|| classifier::classifier_dir(dataset));
    let train = data::load(dataset, None, Split::Train).map_err(|e| e.to_string())?;
    let test = data::load(dataset, None, Split::Test).map_err(|e| e.to_string())?;
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
        &out,
        typed_command(),
        machine_description(),
    )?;
    eprintln!(
        "test accuracy {:.4} after {:.0}s; written to {}",
        record.test_accuracy,
        record.wall_seconds,
        out.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(line.split_whitespace())
    }

    #[test]
    fn flags_are_checked_and_named_when_parsed() {
        let error = |line: &str| parse(line).unwrap_err().to_string();
        let message = error(
            "latent-digits sample --method gmm --per-class 20000 --seed 1 --out a --labels-out b",
        );
        assert!(
            message.contains("--per-class") && message.contains("20000"),
            "{message}"
        );
        let message = error("latent-digits train --arch 4");
        assert!(
            message.contains("--arch") && message.contains("1, 5 or 9"),
            "{message}"
        );
        let message = error("latent-digits fit --components 0");
        assert!(message.contains("--components"), "{message}");
        let message = error("latent-digits evaluate");
        assert!(message.contains("--method"), "{message}");
        assert!(parse("latent-digits train --arch 5 --out runs/x").is_ok());
        assert!(parse("latent-digits fit --model runs/x --components auto").is_ok());
        let message = error("latent-digits train-classifier --dataset kmnist");
        assert!(
            message.contains("--dataset") && message.contains("fashion"),
            "{message}"
        );
        assert!(parse("latent-digits train-classifier --dataset fashion --out runs/c").is_ok());
    }

    #[test]
    fn a_bad_value_that_clap_cannot_see_names_its_flag() {
        let message = sample_options(MethodArg::Gmm, Some(-1.0), 0).unwrap_err();
        assert!(message.starts_with("--spread"), "{message}");
        assert!(check_floor(0.0).unwrap_err().contains("--floor"));
        let Command::Train(args) = parse("latent-digits train --flip --out runs/never")
            .unwrap()
            .command
        else {
            panic!("parsed as another command")
        };
        let message = train(args).unwrap_err();
        assert!(
            message.contains("--flip") && message.contains("fashion"),
            "{message}"
        );
    }
}
