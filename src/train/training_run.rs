//! A whole `latent-digits train` run: load the data, train, then end the run: quantize the
//! decoder for shipping, save both halves, read the decoder back as it ships, score it, and
//! write `curve.csv` and `run.json` beside the weights.

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::data::{self, Images, Split};
use super::files::write_atomic;
use super::machine::machine_description;
use super::trainer::{self, EpochRecord, Reconstruction, TrainConfig, read_json};
use crate::train::model::{Autoencoder, Decoder, load_record_bytes, quantize_for_shipping};

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
    /// Final reconstruction scores on the training set (with the shipped 8-bit decoder).
    pub train: Reconstruction,
    /// Final reconstruction scores on the test set.
    pub test: Reconstruction,
    /// Test scores with the decoder at full (f32) precision, before it is quantized.
    pub test_full_precision: Reconstruction,
}

/// A training run as the command line asks for it.
pub struct TrainRun {
    /// What to train.
    pub config: TrainConfig,
    /// Folder with the IDX files (default: the data set's install location).
    pub data: Option<PathBuf>,
    /// Train on only the first this many training images.
    pub limit: Option<usize>,
    /// Output folder.
    pub out: PathBuf,
    /// Continue from the checkpoint in `out`.
    pub resume: bool,
    /// The command line as typed (`latent-digits train …`).
    pub command: String,
}

/// Loads the data, trains and ends the run; returns what `run.json` records.
pub fn run_training(run: &TrainRun, device: &Device) -> Result<RunRecord, String> {
    let config = &run.config;
    let data_dir = run.data.as_deref();
    let mut train_set =
        data::load(config.dataset, data_dir, Split::Train).map_err(|e| e.to_string())?;
    if let Some(limit) = run.limit {
        train_set = train_set.truncated(limit);
    }
    let test_set = data::load(config.dataset, data_dir, Split::Test).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let (model, history) =
        trainer::train(config, &train_set, &test_set, &run.out, run.resume, device)?;
    eprintln!(
        "trained in {:.1}s; scoring…",
        started.elapsed().as_secs_f64()
    );
    let command = recipe(config.init_from.as_deref(), &run.command)?;
    finish(
        &model, &history, run, command, &train_set, &test_set, device,
    )
}

/// The end of a run: writes `encoder.bpk`, the 8-bit `decoder.bpk`, `curve.csv` and `run.json`
/// to `run.out`, scoring the decoder as read back from its file.
pub fn finish(
    model: &Autoencoder,
    history: &[EpochRecord],
    run: &TrainRun,
    command: String,
    train_set: &Images,
    test_set: &Images,
    device: &Device,
) -> Result<RunRecord, String> {
    let out = &run.out;
    trainer::save_record(&out.join("encoder.bpk"), model.encoder.clone())?;
    let decoder_path = out.join("decoder.bpk");
    trainer::save_record(&decoder_path, quantize_for_shipping(model.decoder.clone()))?;
    let stored = std::fs::read(&decoder_path)
        .map_err(|e| format!("cannot read {}: {e}", decoder_path.display()))?;
    let shipped = Autoencoder {
        encoder: model.encoder.clone(),
        decoder: load_record_bytes(Decoder::skeleton(run.config.arch, device), &stored)?,
    };
    write_curve(&out.join("curve.csv"), history)?;
    let record = RunRecord {
        command,
        config: run.config.clone(),
        train_images: train_set.len(),
        wall_seconds: history.iter().map(|r| r.seconds).sum(),
        machine: machine_description(),
        train: trainer::evaluate(&shipped, train_set, device),
        test: trainer::evaluate(&shipped, test_set, device),
        test_full_precision: trainer::evaluate(model, test_set, device),
    };
    let json = serde_json::to_vec_pretty(&record).map_err(|e| e.to_string())?;
    write_atomic(&out.join("run.json"), &json).map_err(|e| e.to_string())?;
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
fn recipe(init_from: Option<&Path>, command: &str) -> Result<String, String> {
    match init_from {
        None => Ok(command.to_string()),
        Some(dir) => {
            let earlier: RunRecord = read_json(&dir.join("run.json"))?;
            Ok(format!("{}\n{command}", earlier.command))
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::architecture::Arch;
    use crate::train::model::default_device;
    use crate::train::model_dir::ModelDir;
    use crate::train::trainer::tests::tiny_config;

    /// A tiny run end to end, on whichever backend the tests are built with: the folder it
    /// writes opens as a model, its decoder is the 8-bit one it scored, and a second run
    /// started from it records both command lines.
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
            command: "latent-digits train --arch 1 --epochs 1 --limit 2048".to_string(),
        };
        let record = run_training(&first, &device).unwrap();
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
            decoder: dir.decoder(&device).unwrap(),
        };
        let reloaded = trainer::evaluate(&shipped, &dir.images(Split::Test).unwrap(), &device);
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
        let record = run_training(&second, &device).unwrap();
        assert_eq!(
            record.command.lines().collect::<Vec<_>>(),
            [first.command.as_str(), second.command.as_str()]
        );
        std::fs::remove_dir_all(&out).unwrap();
    }
}
