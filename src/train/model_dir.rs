//! Reading a trained model's folder: `run.json`, `encoder.bpk`, `decoder.bpk`, `latent.bin`,
//! and the networks as the page loads them, `decoder.packed` and `encoder.q8.bpk`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};

use super::data::{self, Images, Split};
use super::files::{read, read_json};
use super::training_run::RunRecord;
use crate::architecture::{Arch, IMAGE_PIXELS, LATENT_DIM, LayerShape};
use crate::generator::{Generator, Network};
use crate::integer_net::packed::{self, Precision};
use crate::record::read_dense_layers;
use crate::train::model::{Decoder, Encoder, load_record_bytes};

/// The encoder's record with 8-bit weights (block scales), which `fit` writes; the page loads it
/// packed ([`SHIPPED_ENCODER`]).
pub const ENCODER_RECORD: &str = "encoder.q8.bpk";
/// The encoder as the page loads it ([`ModelDir::shipped_encoder`]); `fit` and `pack` write it.
pub const SHIPPED_ENCODER: &str = "encoder.packed";
/// The decoder as the page embeds it ([`ModelDir::shipped_decoder`]); `fit` and `pack` write it.
pub const SHIPPED_DECODER: &str = "decoder.packed";
/// The normalizing flow, which `fit-flow` writes and `latent.bin` records.
pub const FLOW_FILE: &str = "flow.bin";

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

    /// The generator (decoder and fitted statistics, and the flow where they record one);
    /// needs `fit` to have run.
    pub fn generator(&self) -> Result<Generator> {
        let stats = self.fitted(&self.path.join("latent.bin"))?;
        let mut generator = self.generator_with(&stats)?;
        self.load_flow(&mut generator)?;
        Ok(generator)
    }

    /// Loads this folder's flow ([`FLOW_FILE`]) into `generator` if its statistics record one.
    pub fn load_flow(&self, generator: &mut Generator) -> Result<()> {
        if generator.stats().flow.is_none() {
            return Ok(());
        }
        let path = self.path.join(FLOW_FILE);
        generator.load_flow(&read(&path)?).with_context(|| {
            format!(
                "{} is not the flow that latent.bin records: run `latent-digits fit-flow \
                 --model {}`",
                path.display(),
                self.path.display()
            )
        })
    }

    /// The generator with the page's encoder loaded ([`SHIPPED_ENCODER`]).
    pub fn generator_with_encoder(&self) -> Result<Generator> {
        let mut generator = self.generator()?;
        generator
            .load_encoder(&self.shipped_encoder()?)
            .with_context(|| format!("{} has not the page's encoder", self.path.display()))?;
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

    /// The generator of this folder's decoder, as the page ships it, with the statistics file
    /// `stats`.
    pub fn generator_with(&self, stats: &[u8]) -> Result<Generator> {
        Generator::from_bytes(&self.shipped_decoder()?, stats).with_context(|| {
            format!(
                "the decoder and statistics of {} do not make a generator",
                self.path.display()
            )
        })
    }

    /// The bytes of `decoder.bpk` (8-bit weights with block scales, as trained).
    pub fn decoder_record(&self) -> Result<Vec<u8>> {
        read(&self.path.join("decoder.bpk"))
    }

    /// `decoder.bpk` packed in the kernel's order with the run's `--pack-levels` (127, 8-bit
    /// weights, when the run did not give it; 7: 4-bit), as the page embeds it
    /// ([`SHIPPED_DECODER`]; see [`crate::integer_net::packed`]).
    pub fn shipped_decoder(&self) -> Result<Vec<u8>> {
        let precision = self.run.config.decoder_precision();
        pack_record(
            &self.decoder_record()?,
            &self.arch().decoder_layers(),
            &precision,
        )
        .with_context(|| format!("{} has no decoder record", self.path.display()))
    }

    /// The 8-bit encoder record ([`ENCODER_RECORD`], which `fit` writes) packed as the page loads
    /// it ([`SHIPPED_ENCODER`]).
    pub fn shipped_encoder(&self) -> Result<Vec<u8>> {
        let record = self.fitted(&self.path.join(ENCODER_RECORD))?;
        self.pack_encoder(&record)
    }

    /// `record`, this folder's 8-bit encoder record, packed as the page loads it.
    pub fn pack_encoder(&self, record: &[u8]) -> Result<Vec<u8>> {
        let shapes = self.arch().encoder_layers();
        let precision = vec![Network::Encoder.precision(); shapes.len()];
        pack_record(record, &shapes, &precision)
            .with_context(|| format!("{} has no encoder record", self.path.display()))
    }

    /// One split of the data set the model was trained on, from its default folder.
    pub fn images(&self, split: Split) -> Result<Images> {
        Ok(data::load(self.run.config.dataset, None, split)?)
    }

    /// The training and the test images, each with their codes under the trained encoder
    /// ([`encode_all`]).
    pub fn encoded_splits(&self) -> Result<[(Images, Vec<f32>); 2]> {
        let device = super::model::default_device();
        let encoder = self.encoder(&device)?;
        let encoded = |split| -> Result<(Images, Vec<f32>)> {
            let images = self.images(split)?;
            let codes = encode_all(&encoder, &images, &device);
            Ok((images, codes))
        };
        Ok([encoded(Split::Train)?, encoded(Split::Test)?])
    }
}

/// The network of `shapes` in `record` packed with `precision` (one per layer), tied to the
/// record by its CRC-32.
fn pack_record(record: &[u8], shapes: &[LayerShape], precision: &[Precision]) -> Result<Vec<u8>> {
    let layers = read_dense_layers(record, shapes).map_err(anyhow::Error::msg)?;
    Ok(packed::pack(&layers, precision, crc32fast::hash(record)))
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
