//! The subcommands of the `latent-digits` binary.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Parser, Subcommand};
use serde::{Deserialize, Serialize};

use super::data::{self, Dataset, Split};
use super::files::write_atomic;
use super::loss::Loss;
use super::trainer::{self, EpochRecord, Reconstruction, TrainConfig};
use crate::model::{Arch, default_device};

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
    /// Train the autoencoder, checkpointing every epoch.
    Train(TrainArgs),
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
    /// Output folder for the model, the curve and the checkpoint.
    #[arg(long, default_value = MODEL_DIR)]
    out: PathBuf,
    /// Continue from the checkpoint in --out.
    #[arg(long)]
    resume: bool,
    /// Train on only the first N training images (for quick experiments and tests).
    #[arg(long)]
    limit: Option<usize>,
}

fn parse_arch(text: &str) -> Result<u32, String> {
    let layers: u32 = text.parse().map_err(|_| format!("'{text}' is not a number"))?;
    Arch::from_layers(layers).map(|_| layers).ok_or_else(|| "must be 1, 5 or 9".to_string())
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
    /// Final reconstruction scores on the training set.
    pub train: Reconstruction,
    /// Final reconstruction scores on the test set.
    pub test: Reconstruction,
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Train(args) => train(args),
    }
}

fn train(args: TrainArgs) -> Result<(), String> {
    let config = TrainConfig {
        dataset: args.dataset.into(),
        arch: Arch::from_layers(args.arch).expect("validated by clap"),
        loss: args.loss,
        epochs: args.epochs,
        batch: args.batch,
        lr: args.lr,
        seed: args.seed,
    };
    let data_dir = args.data.as_deref();
    let mut train_set = data::load(config.dataset, data_dir, Split::Train).map_err(|e| e.to_string())?;
    if let Some(limit) = args.limit {
        train_set = train_set.truncated(limit);
    }
    let test_set = data::load(config.dataset, data_dir, Split::Test).map_err(|e| e.to_string())?;
    let device = default_device();
    let started = Instant::now();
    let (model, history) = trainer::train(&config, &train_set, &test_set, &args.out, args.resume, &device)?;
    eprintln!("trained in {:.1}s; scoring…", started.elapsed().as_secs_f64());

    trainer::save_record(&args.out.join("encoder.bpk"), model.encoder.clone())?;
    trainer::save_record(&args.out.join("decoder.bpk"), model.decoder.clone())?;
    write_curve(&args.out.join("curve.csv"), &history)?;
    let record = RunRecord {
        command: std::env::args().collect::<Vec<_>>().join(" "),
        config,
        train_images: train_set.len(),
        wall_seconds: history.iter().map(|r| r.seconds).sum(),
        machine: machine_description(),
        train: trainer::evaluate(&model, &train_set, &device),
        test: trainer::evaluate(&model, &test_set, &device),
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
    Ok(())
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

fn machine_description() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|rest| rest.split(':').nth(1)))
        .map_or("unknown CPU", str::trim);
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    format!("{model}, {cores} cores, {}", std::env::consts::ARCH)
}
