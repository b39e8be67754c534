//! `bench`: training-step, mixture-fit and decode timings on this machine.

use std::time::Instant;

use anyhow::{Result, anyhow};
use burn::optim::AdamConfig;

use super::adam::FusedAdam;
use super::data::Split;
use super::loss::Loss;
use super::model_dir::{ModelDir, codes_of_class, encode_all};
use super::trainer::{StepOptions, step};
use crate::architecture::{Arch, IMAGE_PIXELS, LATENT_DIM};
use crate::integer_net::{IntegerNetwork, packed};
use crate::latent::fit::{self, EmSettings};
use crate::train::model::{Autoencoder, default_device};

/// Median of some timings in milliseconds.
fn median_ms(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Times `runs` calls of `work` after `warmup` untimed ones; returns the median in milliseconds.
fn time_ms(warmup: usize, runs: usize, mut work: impl FnMut()) -> f64 {
    (0..warmup).for_each(|_| work());
    median_ms(
        (0..runs)
            .map(|_| {
                let started = Instant::now();
                work();
                started.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    )
}

/// Prints the benchmark numbers for the model in `dir`.
pub fn run(dir: &ModelDir, steps: usize) -> Result<()> {
    let device = default_device();
    let train = dir.images(Split::Train)?;
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "machine: {} ({threads} threads available)",
        super::machine::machine_description()
    );

    let ad_device = device.clone().autodiff();
    let fused_loss = StepOptions::default();
    let loss_on_tensors = StepOptions {
        on_device: true,
        ..StepOptions::default()
    };
    for (name, mut optimizer, options) in [
        (
            "fused Adam (used by train)",
            FusedAdam::init(0.0),
            &fused_loss,
        ),
        ("burn's Adam", AdamConfig::new().init(), &fused_loss),
        (
            "burn's Adam, the loss as tensors (the GPU path, here on the CPU)",
            AdamConfig::new().init(),
            &loss_on_tensors,
        ),
    ] {
        ad_device.seed(0);
        let mut model = Autoencoder::new(Arch::Nine, &ad_device);
        let pixels = &train.pixels[..256 * IMAGE_PIXELS];
        let step_ms = time_ms(5, steps, || {
            let (next, _) = step(
                model.clone(),
                &mut optimizer,
                Loss::Bce,
                1e-3,
                pixels,
                options,
                &ad_device,
            );
            model = next;
        });
        println!(
            "training step, batch 256, 784-…-32-…-784, BCE + {name}: {step_ms:.2} ms (median of {steps})"
        );
        println!(
            "  → one epoch of 60,000 images: {:.1} s of steps",
            step_ms * 235.0 / 1e3
        );
    }

    let encoder = dir.encoder(&device)?;
    let codes = encode_all(&encoder, &train, &device);
    let class_codes = fit::to_matrix(&codes_of_class(&codes, &train.labels, 0));
    for k in [1, 4] {
        let started = Instant::now();
        let fitted = fit::fit_mixture(&class_codes, EmSettings::new(k, 0))
            .map_err(|e| anyhow!("the mixture fit of class 0 failed: {e}"))?;
        println!(
            "mixture fit, {} codes of class 0, {k} components: {:.0} ms ({} EM iterations)",
            class_codes.nrows(),
            started.elapsed().as_secs_f64() * 1e3,
            fitted.iterations
        );
    }

    let decoder = dir.decoder(&device)?;
    let latents: Vec<f32> = codes[..100 * LATENT_DIM].to_vec();
    let one = time_ms(20, 200, || {
        drop(decoder.decode_slice(&latents[..LATENT_DIM], &device))
    });
    let hundred = time_ms(5, 50, || drop(decoder.decode_slice(&latents, &device)));
    println!("native decode, burn f32: 1 latent {one:.3} ms, batch of 100 {hundred:.3} ms");
    let integer = IntegerNetwork::new(&decoder.dense_layers(), packed::Precision::BYTES);
    let one = time_ms(20, 200, || drop(integer.forward(&latents[..LATENT_DIM])));
    let hundred = time_ms(5, 50, || drop(integer.forward(&latents)));
    println!("native decode, integer path: 1 latent {one:.3} ms, batch of 100 {hundred:.3} ms");
    Ok(())
}
