//! The `sample`, `encode` and `reconstruct` commands: the model's samples, codes and
//! reconstructions as `.npy` arrays for other tools.

use std::path::Path;

use anyhow::{Context, Result};
use burn::tensor::Device;

use super::data::Split;
use super::files::{write_npy_f32, write_npy_i64};
use super::model_dir::{ModelDir, encode_all};
use crate::architecture::{IMAGE_PIXELS, LATENT_DIM};
use crate::generator::SampleOptions;

/// Where `sample` writes: images, their classes, and optionally their codes.
pub struct SampleFiles<'a> {
    /// `(10·N)×784` float32 in [0, 1], classes in order 0–9.
    pub images: &'a Path,
    /// The class of each image, int64.
    pub labels: &'a Path,
    /// The sampled codes, `(10·N)×32` float32.
    pub latents: Option<&'a Path>,
}

/// Draws `per_class` samples of every class with `options` and writes them.
pub fn write_samples(
    dir: &ModelDir,
    per_class: usize,
    options: SampleOptions,
    files: &SampleFiles,
) -> Result<()> {
    let set = dir
        .generator()?
        .sample_every_class(per_class, options)
        .with_context(|| {
            format!(
                "cannot draw --per-class {per_class} samples at --spread {}",
                options.spread
            )
        })?;
    let n = set.labels.len() as u64;
    write_npy_f32(files.images, &[n, IMAGE_PIXELS as u64], &set.images)?;
    write_labels(files.labels, &set.labels)?;
    if let Some(path) = files.latents {
        write_npy_f32(path, &[n, LATENT_DIM as u64], &set.latents)?;
    }
    eprintln!("{n} samples written to {}", files.images.display());
    Ok(())
}

/// Encodes a split and writes its codes (`N×32` float32) and labels.
pub fn write_codes(
    dir: &ModelDir,
    split: Split,
    codes_out: &Path,
    labels_out: &Path,
    device: &Device,
) -> Result<()> {
    let images = dir.images(split)?;
    let codes = encode_all(&dir.encoder(device)?, &images, device);
    write_npy_f32(codes_out, &[images.len() as u64, LATENT_DIM as u64], &codes)?;
    write_labels(labels_out, &images.labels)
}

/// Reconstructs a split through the f32 autoencoder and writes `N×784` float32, in data-set order.
pub fn write_reconstructions(
    dir: &ModelDir,
    split: Split,
    out: &Path,
    device: &Device,
) -> Result<()> {
    let images = dir.images(split)?;
    let codes = encode_all(&dir.encoder(device)?, &images, device);
    let pixels = dir.decoder(device)?.decode_slice(&codes, device);
    write_npy_f32(out, &[images.len() as u64, IMAGE_PIXELS as u64], &pixels)
}

fn write_labels(path: &Path, labels: &[u8]) -> Result<()> {
    let values: Vec<i64> = labels.iter().map(|&l| i64::from(l)).collect();
    write_npy_i64(path, &[values.len() as u64], &values)
}
