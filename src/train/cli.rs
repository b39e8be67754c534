//! The `latent-digits` command line: parses the arguments and hands each subcommand to the
//! module that does the work. The flags of `train` and `train-classifier` are derived from the
//! configurations they fill ([`super::trainer::TrainConfig`], [`ClassifierConfig`]), which
//! define their defaults and checks; checks of the other flags that clap cannot make live here,
//! naming the flag.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use clap::{Args, Parser, Subcommand, ValueEnum};

use super::arrays::{self, SampleFiles};
use super::classifier::{self, ClassifierConfig};
use super::data::{self, Dataset, Split};
use super::device::DeviceArg;
use super::evaluate::{self, Candidates};
use super::files::{write_atomic, write_json};
use super::fit::{Components, FitOptions, fit_and_write};
use super::flow::{self, FlowConfig};
use super::model_dir::{ModelDir, SHIPPED_DECODER, SHIPPED_ENCODER};
use super::training_run::{MODEL_DIR, TrainRun, run_training};
use super::{bench, figures, score, style};
use crate::generator::{MAX_IMAGES, SampleOptions};
use crate::latent::Method;
use crate::latent::fit::COVARIANCE_FLOOR;
use crate::train::model::default_device;

/// Train an autoencoder on MNIST digits or Fashion-MNIST clothes, fit its latent statistics,
/// sample images and draw figures.
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
    /// Fit per-class Gaussians and mixtures and the PCA of the codes (writes latent.bin), and
    /// store the networks as the page loads them (decoder.packed, encoder.q8.bpk).
    Fit(FitArgs),
    /// Pack decoder.bpk and encoder.q8.bpk in the kernel's order and precision, as the page
    /// loads them (writes decoder.packed and encoder.packed; `fit` writes them too).
    Pack(ModelArg),
    /// Train the class-conditional normalizing flow on the training codes and store it in
    /// latent.bin, keeping its other statistics (writes flow.json: the run and its held-out
    /// log-likelihood beside the mixtures').
    FitFlow(FitFlowArgs),
    /// Measure the training images' style and fit the directions that move it (slant,
    /// thickness, width, height; for clothes width, height, ink) into latent.bin, keeping its
    /// other statistics (`fit` does this too).
    FitStyle(ModelArg),
    /// Print how well the style directions, restyling and written numbers work on held-out
    /// test images, read by the evaluator's classifier (Markdown tables).
    EvaluateStyle(ModelArg),
    /// Sample every class from the fitted statistics and decode the samples.
    Sample(SampleArgs),
    /// Encode a split of the data set.
    Encode(EncodeArgs),
    /// Reconstruct a split of the data set through the autoencoder.
    Reconstruct(ReconstructArgs),
    /// Print how well the statistics explain held-out codes, how well they classify them, how
    /// well the shipped networks reconstruct the images, and how well restyling works.
    Score(ScoreArgs),
    /// Draw the report's figures (PNG, and an animated GIF of the morph loop).
    Figures(FiguresArgs),
    /// Time a training step, a mixture fit and decoding on this machine.
    Bench(BenchArgs),
    /// Score generated images with the classifier: class accuracy, Fréchet distance, diversity
    /// and memorisation, beside real training images and the model's reconstructions.
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
    fn open(&self) -> Result<ModelDir> {
        ModelDir::open(&self.path)
    }
}

#[derive(Args, Debug)]
struct TrainArgs {
    #[command(flatten)]
    run: TrainRun,
    /// Stop after training: do not fit the latent statistics (for architecture comparisons).
    #[arg(long)]
    skip_fit: bool,
}

#[derive(Args, Debug)]
struct FitArgs {
    #[command(flatten)]
    model: ModelArg,
    /// Mixture components per class: `auto` (chosen on held-out codes) or a number.
    #[arg(long, default_value = "auto", value_parser = parse_components)]
    components: Components,
    /// Added to the diagonal of every mixture component's covariance.
    #[arg(long, default_value_t = COVARIANCE_FLOOR)]
    floor: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

#[derive(Args, Debug)]
struct FitFlowArgs {
    #[command(flatten)]
    model: ModelArg,
    #[command(flatten)]
    config: FlowConfig,
    #[command(flatten)]
    device: DeviceArg,
}

#[derive(Args, Debug)]
struct SampleArgs {
    #[command(flatten)]
    model: ModelArg,
    #[arg(long, value_enum)]
    method: MethodArg,
    /// Covariance scale (default: the method's; 0.85 for gmm and flow, 0.2 for gaussian).
    #[arg(long)]
    spread: Option<f64>,
    /// Samples per class.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_IMAGES as u64))]
    per_class: u64,
    #[arg(long)]
    seed: u64,
    /// Images, (10·N)×784 float32 in [0, 1], classes in order 0–9.
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
    /// Timed training steps (at least 1).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..))]
    steps: u64,
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
    /// Samples per class.
    #[arg(long, default_value_t = evaluate::PER_CLASS as u64, requires = "method",
          value_parser = clap::value_parser!(u64).range(1..=MAX_IMAGES as u64))]
    per_class: u64,
    #[arg(long, default_value_t = evaluate::SEED, requires = "method")]
    seed: u64,
    /// Score these images instead: N×784 float32 in [0, 1] (`.npy`).
    #[arg(long, requires = "labels")]
    images: Option<PathBuf>,
    /// The class of each image of --images (`.npy`, int64).
    #[arg(long, requires = "images")]
    labels: Option<PathBuf>,
    /// Also write the scores as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct TrainClassifierArgs {
    /// The data set whose images it learns to tell apart (the evaluator of models trained on it).
    #[arg(long, value_enum, default_value_t = Dataset::Mnist)]
    dataset: Dataset,
    #[command(flatten)]
    config: ClassifierConfig,
    /// Output folder (default: model/classifier, or model/fashion/classifier for Fashion-MNIST).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Train on only the first N training images (for quick experiments).
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    #[command(flatten)]
    device: DeviceArg,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum MethodArg {
    Gmm,
    Gaussian,
    Flow,
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

/// The command line as a user would type it, whatever the binary's path.
fn typed_command() -> String {
    std::iter::once("latent-digits".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<()> {
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
        Command::Pack(model) => {
            let dir = model.open()?;
            write_atomic(&dir.path.join(SHIPPED_DECODER), &dir.shipped_decoder()?)?;
            write_atomic(&dir.path.join(SHIPPED_ENCODER), &dir.shipped_encoder()?)
        }
        Command::FitFlow(args) => {
            let (dir, on) = (args.model.open()?, args.device.open()?);
            flow::fit_flow_and_write(&dir, &args.config, typed_command(), &on).map(drop)
        }
        Command::FitStyle(model) => style::fit_style_and_write(&model.open()?),
        Command::EvaluateStyle(model) => style::evaluate_style(&model.open()?, &device),
        Command::Sample(args) => arrays::write_samples(
            &args.model.open()?,
            args.per_class as usize,
            sample_options(args.method, args.spread, args.seed)?,
            &SampleFiles {
                images: &args.out,
                labels: &args.labels_out,
                latents: args.latents_out.as_deref(),
            },
        ),
        Command::Encode(args) => arrays::write_codes(
            &args.input.model.open()?,
            args.input.split.into(),
            &args.out,
            &args.labels_out,
            &device,
        ),
        Command::Reconstruct(args) => arrays::write_reconstructions(
            &args.input.model.open()?,
            args.input.split.into(),
            &args.out,
            &device,
        ),
        Command::Score(args) => {
            score::print_scores(&args.model.open()?, args.split.into(), &device)
        }
        Command::Figures(args) => figures::write_figures(&args.model.open()?, &args.out),
        Command::Bench(args) => bench::run(&args.model.open()?, args.steps as usize),
        Command::Evaluate(args) => evaluate_command(args, &device),
        Command::TrainClassifier(args) => train_classifier(args),
    }
}

fn train(args: TrainArgs) -> Result<()> {
    let run = TrainRun {
        command: typed_command(),
        ..args.run
    };
    let record = run_training(&run)?;
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

fn check_floor(floor: f64) -> Result<()> {
    ensure!(
        floor.is_finite() && floor > 0.0,
        "--floor {floor} must be a positive number"
    );
    Ok(())
}

/// The sampling options of `sample` and `evaluate`: the method's default spread unless given.
fn sample_options(method: MethodArg, spread: Option<f64>, seed: u64) -> Result<SampleOptions> {
    let method = match method {
        MethodArg::Gmm => Method::Mixture,
        MethodArg::Gaussian => Method::Gaussian,
        MethodArg::Flow => Method::Flow,
    };
    let options = SampleOptions::new(method, seed);
    match spread {
        Some(spread) => options.with_spread(spread).context("--spread"),
        None => Ok(options),
    }
}

fn evaluate_command(args: EvaluateArgs, device: &burn::tensor::Device) -> Result<()> {
    let started = Instant::now();
    let candidates = match (args.images, args.labels, args.method) {
        (Some(images), Some(labels), None) => Candidates::Files { images, labels },
        (None, None, Some(method)) => Candidates::Samples {
            options: sample_options(method, args.spread, args.seed)?,
            per_class: args.per_class as usize,
        },
        _ => bail!("give either --method or --images with --labels"),
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

fn train_classifier(args: TrainClassifierArgs) -> Result<()> {
    let dataset = args.dataset;
    let out = args
        .out
        .unwrap_or_else(|| classifier::classifier_dir(dataset));
    let mut train = data::load(dataset, None, Split::Train)?;
    if let Some(limit) = args.limit {
        train = train.truncated(limit);
    }
    let test = data::load(dataset, None, Split::Test)?;
    let record = classifier::train_classifier(
        &args.config,
        &train,
        &test,
        &out,
        typed_command(),
        &args.device.open()?,
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
    use std::path::Path;

    use super::*;
    use crate::train::classifier::ClassifierRecord;
    use crate::train::trainer::TrainConfig;

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
            message.contains("--arch") && message.contains("possible values: 1, 5, 9"),
            "{message}"
        );
        let message = error("latent-digits fit --components 0");
        assert!(message.contains("--components"), "{message}");
        let message = error("latent-digits bench --steps 0");
        assert!(message.contains("--steps"), "{message}");
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
        let message = format!(
            "{:#}",
            sample_options(MethodArg::Gmm, Some(-1.0), 0).unwrap_err()
        );
        assert!(message.starts_with("--spread"), "{message}");
        assert!(
            check_floor(0.0)
                .unwrap_err()
                .to_string()
                .contains("--floor")
        );
        let Command::Train(args) = parse("latent-digits train --flip --out runs/never")
            .unwrap()
            .command
        else {
            panic!("parsed as another command")
        };
        let message = format!("{:#}", train(args).unwrap_err());
        assert!(
            message.contains("--flip") && message.contains("fashion"),
            "{message}"
        );
    }

    /// The flags' defaults are the configurations' own: a bare `train` or `train-classifier`
    /// runs [`TrainConfig::DEFAULT`] or [`ClassifierConfig::DEFAULT`].
    #[test]
    fn bare_commands_run_the_default_configurations() {
        let Command::Train(args) = parse("latent-digits train").unwrap().command else {
            panic!("parsed as another command")
        };
        assert_eq!(args.run.config, TrainConfig::DEFAULT);
        assert_eq!(args.run.out, PathBuf::from(MODEL_DIR));
        assert!(
            args.run.command.is_empty(),
            "filled in by `train`, not a flag"
        );
        let Command::TrainClassifier(args) =
            parse("latent-digits train-classifier").unwrap().command
        else {
            panic!("parsed as another command")
        };
        assert_eq!(args.config, ClassifierConfig::DEFAULT);
        assert_eq!(args.dataset, Dataset::Mnist);
    }

    /// `--pack-levels` and `--freeze-encoder` parse into the configuration, which `run.json`
    /// records; records written before them read as 8-bit packing and a trained encoder.
    #[test]
    fn packing_and_freezing_are_recorded() {
        let Command::Train(args) =
            parse("latent-digits train --pack-levels 127,127,127,7,7 --freeze-encoder")
                .unwrap()
                .command
        else {
            panic!("parsed as another command")
        };
        let config = args.run.config;
        assert_eq!(config.pack_levels, [127, 127, 127, 7, 7]);
        assert!(config.freeze_encoder);
        assert!(config.check().is_ok());
        let recorded = serde_json::to_value(&config).unwrap();
        assert_eq!(
            recorded["pack_levels"],
            serde_json::json!([127, 127, 127, 7, 7])
        );
        assert_eq!(recorded["freeze_encoder"], serde_json::json!(true));
        let read: TrainConfig = serde_json::from_value(recorded).unwrap();
        assert_eq!(read, config);
        let Command::Train(args) = parse("latent-digits train --pack-levels 7")
            .unwrap()
            .command
        else {
            panic!("parsed as another command")
        };
        assert_eq!(args.run.config.decoder_levels(), [7; 5]);
        let Command::Train(args) = parse("latent-digits train --pack-levels 128")
            .unwrap()
            .command
        else {
            panic!("parsed as another command")
        };
        let message = format!("{:#}", args.run.config.check().unwrap_err());
        assert!(message.contains("--pack-levels"), "{message}");
        assert!(
            parse("latent-digits train --pack-levels 300").is_err(),
            "not a u8"
        );
        let committed = ModelDir::open(Path::new(MODEL_DIR)).unwrap().run.config;
        assert_eq!(committed.decoder_levels(), [127; 5]);
        assert!(!committed.freeze_encoder);
    }

    /// The committed run records still read, and the command line each one records parses to
    /// the configuration it records.
    #[test]
    fn committed_records_read_and_their_commands_parse_to_their_configurations() {
        for model in [MODEL_DIR, "model/fashion"] {
            let dir = ModelDir::open(Path::new(model)).unwrap();
            let last = dir.run.command.lines().last().unwrap();
            let Command::Train(args) = parse(last).unwrap().command else {
                panic!("{last} parsed as another command")
            };
            // The folder a committed model started from may have been renamed since.
            let parsed = TrainConfig {
                init_from: dir.run.config.init_from.clone(),
                ..args.run.config
            };
            assert_eq!(parsed, dir.run.config, "{model}");
        }
        for dataset in Dataset::ALL {
            let record = ClassifierRecord::read(&classifier::classifier_dir(dataset)).unwrap();
            let Command::TrainClassifier(args) = parse(&record.command).unwrap().command else {
                panic!("{} parsed as another command", record.command)
            };
            assert_eq!((args.dataset, args.config), (dataset, record.config));
        }
    }
}
