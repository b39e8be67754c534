//! A whole `latent-digits train` run: load the data, train, then end the run: quantize the
//! decoder for shipping, save both halves, read the decoder back as it ships, score it, and
//! write `curve.csv` and `run.json` beside the weights.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::data::{self, Images, Split};
use super::device::{DeviceArg, DeviceChoice, TrainingDevice};
use super::files::{read, read_json, save_record, write_atomic, write_json};
use super::machine::machine_description;
use super::trainer::{
    self, EpochRecord, Reconstruction, TrainConfig, packed_view, reconstruction_loss,
};
use crate::train::model::{Autoencoder, Decoder, load_record_bytes, quantize_for_shipping};

/// Folder of the committed model: where `train` writes and every command reads by default.
pub const MODEL_DIR: &str = "model";

/// What `train` records beside the weights, for MODEL.md and the page's About section.
#[derive(Serialize, Deserialize)]
pub struct RunRecord {
    /// The command lines that reproduce the model, one per line: the runs of the folders it was
    /// initialised from (`--init-from`), then its own.
    pub command: String,
    /// Its configuration.
    pub config: TrainConfig,
    /// Training images used.
    pub train_images: usize,
    /// Wall-clock seconds of all epochs, resumed sessions included.
    pub wall_seconds: f64,
    /// CPU model and core count.
    pub machine: String,
    /// The device it trained on (`--device`; older runs, which do not say, ran on the CPU).
    #[serde(default)]
    pub device: DeviceChoice,
    /// Final reconstruction scores on the training set, with the decoder as the page ships it
    /// (the 8-bit record packed with `--pack-levels`; burn's forward pass).
    pub train: Reconstruction,
    /// Final reconstruction scores on the test set, with the shipped decoder as for `train`.
    pub test: Reconstruction,
    /// Test scores with the decoder at full (f32) precision, before it is quantized.
    pub test_full_precision: Reconstruction,
}

/// A training run as the `train` command asks for it: the run's definition, and where its data
/// comes from and its model goes.
#[derive(clap::Args, Debug)]
pub struct TrainRun {
    /// What to train.
    #[command(flatten)]
    pub config: TrainConfig,
    /// Folder with the IDX files (default: the data set's install location).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Train on only the first N training images (for quick experiments and tests).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Output folder for the model, the curve and the checkpoint.
    #[arg(long, default_value = MODEL_DIR)]
    pub out: PathBuf,
    /// Continue from the checkpoint in --out.
    #[arg(long)]
    pub resume: bool,
    /// Where to train.
    #[command(flatten)]
    pub device: DeviceArg,
    /// The command line as typed (`latent-digits train …`), which `run.json` records; not a
    /// flag: the command line fills it in.
    #[arg(skip)]
    pub command: String,
}

/// Opens the run's device, loads the data, trains and ends the run; returns what `run.json`
/// records.
pub fn run_training(run: &TrainRun) -> Result<RunRecord> {
    let on = run.device.open()?;
    let config = &run.config;
    let load = |split| {
        data::load(config.dataset, run.data.as_deref(), split).with_context(|| {
            format!(
                "cannot load the {} data set (--data DIR reads it from another folder)",
                config.dataset.name()
            )
        })
    };
    let mut train_set = load(Split::Train)?;
    if let Some(limit) = run.limit {
        train_set = train_set.truncated(limit);
    }
    let test_set = load(Split::Test)?;
    let started = Instant::now();
    let (model, history) =
        trainer::train(config, &train_set, &test_set, &run.out, run.resume, &on)?;
    eprintln!(
        "trained in {:.1}s; scoring…",
        started.elapsed().as_secs_f64()
    );
    let command = recipe(config.init_from.as_deref(), &run.command)?;
    finish(&model, &history, run, command, &train_set, &test_set, &on)
}

/// The end of a run: writes `encoder.bpk`, the 8-bit `decoder.bpk`, `curve.csv` and `run.json`
/// to `run.out`, scoring the decoder as read back from its file and packed as the page gets it.
pub fn finish(
    model: &Autoencoder,
    history: &[EpochRecord],
    run: &TrainRun,
    command: String,
    train_set: &Images,
    test_set: &Images,
    on: &TrainingDevice,
) -> Result<RunRecord> {
    let (out, device) = (&run.out, &on.device);
    save_record(&out.join("encoder.bpk"), model.encoder.clone())?;
    let decoder_path = out.join("decoder.bpk");
    save_record(&decoder_path, quantize_for_shipping(model.decoder.clone()))?;
    let stored = read(&decoder_path)?;
    let record = load_record_bytes(Decoder::skeleton(run.config.arch, device), &stored)
        .with_context(|| format!("{} does not read back", decoder_path.display()))?;
    let shipped = Autoencoder {
        encoder: model.encoder.clone(),
        decoder: packed_view(record, &run.config.decoder_precision()),
    };
    write_curve(&out.join("curve.csv"), history)?;
    let record = RunRecord {
        command,
        config: run.config.clone(),
        train_images: train_set.len(),
        wall_seconds: history.iter().map(|r| r.seconds).sum(),
        machine: machine_description(),
        device: on.choice,
        train: reconstruction_loss(&shipped, train_set, device),
        test: reconstruction_loss(&shipped, test_set, device),
        test_full_precision: reconstruction_loss(model, test_set, device),
    };
    write_json(&out.join("run.json"), &record)?;
    eprintln!(
        "test bce {:.5} mse {:.5}; train bce {:.5}; written to {}",
        record.test.bce,
        record.test.mse,
        record.train.bce,
        out.display()
    );
    Ok(record)
}

/// The command lines that reproduce a run of `command`: those recorded in the folder it starts
/// from, if any, then `command` itself.
fn recipe(init_from: Option<&Path>, command: &str) -> Result<String> {
    match init_from {
        None => Ok(command.to_string()),
        Some(dir) => {
            let earlier: RunRecord = read_json(&dir.join("run.json")).with_context(|| {
                format!(
                    "--init-from {}: no record of the run that made it",
                    dir.display()
                )
            })?;
            Ok(format!("{}\n{command}", earlier.command))
        }
    }
}

fn write_curve(path: &Path, history: &[EpochRecord]) -> Result<()> {
    let mut csv = String::from("epoch,lr,train_loss,test_bce,test_mse,seconds\n");
    for r in history {
        csv.push_str(&format!(
            "{},{:.6e},{:.6},{:.6},{:.6},{:.2}\n",
            r.epoch, r.lr, r.train_loss, r.test_bce, r.test_mse, r.seconds
        ));
    }
    write_atomic(path, csv.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::architecture::Arch;
    use crate::train::model::default_device;
    use crate::train::model_dir::ModelDir;
    use crate::train::trainer::tests::tiny_config;

    /// A tiny run end to end, on whichever backend the tests are built with: the folder it
    /// writes opens as a model, its decoder packed as shipped is the one it scored, and a second
    /// run started from it records both command lines.
    #[test]
    fn a_tiny_run_writes_a_model_folder_that_loads_and_records_its_recipe() {
        let device = default_device();
        let out = std::env::temp_dir().join(format!("latent-digits-run-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let config = TrainConfig {
            batch: 32,
            ..tiny_config(Arch::One, 1)
        };
        let first = TrainRun {
            config: config.clone(),
            data: None,
            limit: Some(2048),
            out: out.join("first"),
            resume: false,
            device: DeviceArg::default(),
            command: "latent-digits train --arch 1 --epochs 1 --limit 2048".to_string(),
        };
        let record = run_training(&first).unwrap();
        assert!(
            record.test.bce > 0.05 && record.test.bce < 0.5,
            "test BCE {} after one epoch (0.69 untrained)",
            record.test.bce
        );
        assert_eq!(record.train_images, 2048);
        let curve = std::fs::read_to_string(first.out.join("curve.csv")).unwrap();
        assert_eq!(curve.lines().count(), 2, "header and one epoch: {curve}");

        let dir = ModelDir::open(&first.out).unwrap();
        assert_eq!(dir.run.command, first.command);
        let shipped = Autoencoder {
            encoder: dir.encoder(&device).unwrap(),
            decoder: packed_view(
                dir.decoder(&device).unwrap(),
                &dir.run.config.decoder_precision(),
            ),
        };
        let reloaded = reconstruction_loss(&shipped, &dir.images(Split::Test).unwrap(), &device);
        assert!(
            (reloaded.bce - record.test.bce).abs() < 1e-9,
            "the folder's decoder scores {} but the record says {}",
            reloaded.bce,
            record.test.bce
        );

        let second = TrainRun {
            config: TrainConfig {
                init_from: Some(first.out.clone()),
                ..config
            },
            out: out.join("second"),
            command: "latent-digits train --init-from first".to_string(),
            ..first
        };
        let record = run_training(&second).unwrap();
        assert_eq!(
            record.command.lines().collect::<Vec<_>>(),
            [first.command.as_str(), second.command.as_str()]
        );
        std::fs::remove_dir_all(&out).unwrap();
    }

    /// `train --device wgpu:cpu` end to end on Mesa's lavapipe: a tiny run records its device,
    /// writes a decoder that packs as the page loads it, and scores within 2 % of the same
    /// run on the CPU.
    #[cfg(feature = "wgpu")]
    #[test]
    fn a_tiny_run_on_wgpu_scores_as_the_same_run_on_the_cpu() {
        use crate::integer_net::packed;
        use crate::train::device::tests::software_wgpu;
        use crate::train::device::{DeviceChoice, WgpuAdapter};

        if software_wgpu().is_none() {
            return;
        }
        let out = std::env::temp_dir().join(format!("latent-digits-wgpu-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let run = |device: DeviceChoice| {
            let run = TrainRun {
                config: tiny_config(Arch::Nine, 2),
                data: None,
                limit: Some(2048),
                out: out.join(device.to_string()),
                resume: false,
                device: DeviceArg {
                    device: Some(device),
                },
                command: format!("latent-digits train --device {device}"),
            };
            (run_training(&run).unwrap(), run.out)
        };
        let (on_cpu, _) = run(DeviceChoice::Cpu);
        let (on_gpu, folder) = run(DeviceChoice::Wgpu(WgpuAdapter::Cpu));
        let (cpu_bce, gpu_bce) = (on_cpu.test.bce, on_gpu.test.bce);
        assert!(
            (gpu_bce - cpu_bce).abs() <= 0.02 * cpu_bce,
            "test BCE on wgpu {gpu_bce}, on the CPU {cpu_bce}"
        );
        let dir = ModelDir::open(&folder).unwrap();
        assert_eq!(dir.run.device, DeviceChoice::Wgpu(WgpuAdapter::Cpu));
        let network = packed::unpack(&dir.shipped_decoder().unwrap(), true).unwrap();
        let pixels = network.forward(&[0.5; crate::architecture::LATENT_DIM]);
        assert_eq!(pixels.len(), crate::architecture::IMAGE_PIXELS);
        assert!(pixels.iter().all(|p| p.is_finite()));
        std::fs::remove_dir_all(&out).unwrap();
    }
}
