//! Reading a trained model's folder: `run.json`, `encoder.bpk`, `decoder.bpk`, `latent.bin`,
//! and the page's 8-bit encoder, `encoder.q8.bpk`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};

use super::data::{self, Images, Split};
use super::files::{read, read_json};
use super::training_run::RunRecord;
use crate::architecture::{Arch, IMAGE_PIXELS, LATENT_DIM};
use crate::generator::Generator;
use crate::train::model::{Decoder, Encoder, load_record_bytes};

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
    pub fn open(path: &Path) -> Result<Self> {
        let run = read_json(&path.join("run.json")).with_context(|| {
            format!(
                "{} is not a trained model folder (pass one with --model, or make one with \
                 `latent-digits train --out {}`)",
                path.display(),
                path.display()
            )
        })?;
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
    pub fn encoder(&self, device: &Device) -> Result<Encoder> {
        self.load(Encoder::skeleton(self.arch(), device), "encoder.bpk")
    }

    /// The trained decoder.
    pub fn decoder(&self, device: &Device) -> Result<Decoder> {
        self.load(Decoder::skeleton(self.arch(), device), "decoder.bpk")
    }

    fn load<M: Module>(&self, module: M, name: &str) -> Result<M> {
        let path = self.path.join(name);
        load_record_bytes(module, &read(&path)?).with_context(|| {
            format!(
                "{} does not fit the network of --arch {} that run.json names",
                path.display(),
                self.arch().layers()
            )
        })
    }

    /// The generator (decoder and fitted statistics); needs `fit` to have run.
    pub fn generator(&self) -> Result<Generator> {
        let stats = self.fitted(&self.path.join("latent.bin"))?;
        self.generator_with(&stats)
    }

    /// The generator with the page's encoder loaded ([`SHIPPED_ENCODER`], which `fit` writes).
    pub fn generator_with_encoder(&self) -> Result<Generator> {
        let mut generator = self.generator()?;
        let path = self.path.join(SHIPPED_ENCODER);
        generator
            .load_encoder(&self.fitted(&path)?)
            .with_context(|| format!("{} is not the page's encoder", path.display()))?;
        Ok(generator)
    }

    /// The bytes of `path`, a file that `fit` writes into this folder.
    fn fitted(&self, path: &Path) -> Result<Vec<u8>> {
        read(path).with_context(|| {
            format!(
                "run `latent-digits fit --model {}` first",
                self.path.display()
            )
        })
    }

    /// The generator of this folder's decoder with the statistics file `stats`.
    pub fn generator_with(&self, stats: &[u8]) -> Result<Generator> {
        Generator::from_bytes(&self.decoder_record()?, stats).with_context(|| {
            format!(
                "the decoder and statistics of {} do not make a generator",
                self.path.display()
            )
        })
    }

    /// The bytes of `decoder.bpk` (8-bit weights: the record the page embeds).
    pub fn decoder_record(&self) -> Result<Vec<u8>> {
        read(&self.path.join("decoder.bpk"))
    }

    /// One split of the data set the model was trained on, from its default folder.
    pub fn images(&self, split: Split) -> Result<Images> {
        Ok(data::load(self.run.config.dataset, None, split)?)
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

/// The codes (row-major, 32 per image) whose label is `class`.
pub fn codes_of_class(codes: &[f32], labels: &[u8], class: usize) -> Vec<f32> {
    codes
        .chunks(LATENT_DIM)
        .zip(labels)
        .filter(|&(_, &label)| usize::from(label) == class)
        .flat_map(|(code, _)| code.iter().copied())
        .collect()
}
