//! Reading a trained model's folder: `run.json`, `encoder.bpk`, `decoder.bpk`, `latent.bin`,
//! and the page's 8-bit encoder, `encoder.q8.bpk`.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};

use super::data::{self, Images, Split};
use super::trainer::read_json;
use super::training_run::RunRecord;
use crate::architecture::{Arch, IMAGE_PIXELS, LATENT_DIM};
use crate::generator::Generator;
use crate::train::model::{Decoder, Encoder, load_record_bytes};

/// Folder of the committed model.
pub const MODEL_DIR: &str = "model";
/// The encoder as the page loads it (8-bit weights, stored as the decoder is); `fit` writes it.
pub const SHIPPED_ENCODER: &str = "encoder.q8.bpk";

/// A folder written by `latent-digits train` (and `fit`).
pub struct ModelDir {
    /// The folder.
    pub path: PathBuf,
    /// What `train` recorded.
    pub run: RunRecord,
}

impl ModelDir {
    /// Opens `path`, reading its `run.json`.
    pub fn open(path: &Path) -> Result<Self, String> {
        let run = read_json(&path.join("run.json"))
            .map_err(|e| format!("{e} (is {} a trained model folder?)", path.display()))?;
        Ok(Self {
            path: path.to_path_buf(),
            run,
        })
    }

    /// The network depth the model was trained with.
    pub fn arch(&self) -> Arch {
        self.run.config.arch
    }

    /// The trained encoder.
    pub fn encoder(&self, device: &Device) -> Result<Encoder, String> {
        self.load(Encoder::skeleton(self.arch(), device), "encoder.bpk")
    }

    /// The trained decoder.
    pub fn decoder(&self, device: &Device) -> Result<Decoder, String> {
        self.load(Decoder::skeleton(self.arch(), device), "decoder.bpk")
    }

    fn load<M: Module>(&self, module: M, name: &str) -> Result<M, String> {
        let path = self.path.join(name);
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        load_record_bytes(module, &bytes)
            .map_err(|e| format!("{} does not fit the network: {e}", path.display()))
    }

    /// The generator (decoder and fitted statistics); needs `fit` to have run.
    pub fn generator(&self) -> Result<Generator, String> {
        let path = self.path.join("latent.bin");
        let stats = std::fs::read(&path).map_err(|e| {
            format!(
                "cannot read {}: {e} (run `latent-digits fit` first?)",
                path.display()
            )
        })?;
        self.generator_with(&stats)
    }

    /// The generator with the page's encoder loaded ([`SHIPPED_ENCODER`], which `fit` writes).
    pub fn generator_with_encoder(&self) -> Result<Generator, String> {
        let mut generator = self.generator()?;
        let path = self.path.join(SHIPPED_ENCODER);
        let record = std::fs::read(&path).map_err(|e| {
            format!(
                "cannot read {}: {e} (run `latent-digits fit` first?)",
                path.display()
            )
        })?;
        generator
            .load_encoder(&record)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(generator)
    }

    /// The generator of this folder's decoder with the statistics file `stats`.
    pub fn generator_with(&self, stats: &[u8]) -> Result<Generator, String> {
        Generator::from_bytes(&self.decoder_record()?, stats).map_err(|e| e.to_string())
    }

    /// The bytes of `decoder.bpk` (8-bit weights: the record the page embeds).
    pub fn decoder_record(&self) -> Result<Vec<u8>, String> {
        let path = self.path.join("decoder.bpk");
        std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    }

    /// One split of the data set the model was trained on, from its default folder.
    pub fn images(&self, split: Split) -> Result<Images, String> {
        data::load(self.run.config.dataset, None, split).map_err(|e| e.to_string())
    }
}

/// Codes of all `images`, `len × 32` row-major, encoded in batches of 1,000.
pub fn encode_all(encoder: &Encoder, images: &Images, device: &Device) -> Vec<f32> {
    let mut codes = Vec::with_capacity(images.len() * LATENT_DIM);
    for start in (0..images.len()).step_by(1000) {
        let end = (start + 1000).min(images.len());
        let batch = TensorData::new(
            images.pixels[start * IMAGE_PIXELS..end * IMAGE_PIXELS].to_vec(),
            [end - start, IMAGE_PIXELS],
        );
        let encoded = encoder.encode(Tensor::<2>::from_data(batch, device));
        codes.extend(
            encoded
                .into_data()
                .try_into_vec::<f32>()
                .expect("encoder output is f32"),
        );
    }
    codes
}

/// The codes (row-major, 32 per image) whose label is `digit`.
pub fn codes_of_digit(codes: &[f32], labels: &[u8], digit: usize) -> Vec<f32> {
    codes
        .chunks(LATENT_DIM)
        .zip(labels)
        .filter(|&(_, &label)| usize::from(label) == digit)
        .flat_map(|(code, _)| code.iter().copied())
        .collect()
}
