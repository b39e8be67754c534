//! `latent-digits score`: how well the fitted statistics explain held-out codes, and how well
//! both decoders (burn's f32 reference and the page's integer kernel) reconstruct the digits.

use burn::tensor::Device;

use super::data::Split;
use super::evaluate;
use super::loss::probability_scores;
use super::model_dir::{ModelDir, codes_of_digit, encode_all};
use crate::model::LATENT_DIM;

/// Mean log-likelihood of the split's codes under each digit's mixture and single Gaussian,
/// then the reconstruction scores of both decoders, printed as tables.
pub fn print_scores(dir: &ModelDir, split: Split, device: &Device) -> Result<(), String> {
    let generator = dir.generator()?;
    let images = dir.images(split)?;
    let codes = encode_all(&dir.encoder(device)?, &images, device);
    println!("digit  count  mixture(K)        single Gaussian   (mean log-likelihood per code)");
    let (mut all_mixture, mut all_gaussian) = (0.0, 0.0);
    for (digit, class) in generator.stats().classes.iter().enumerate() {
        let mine = codes_of_digit(&codes, &images.labels, digit);
        let mixture: f64 = mine
            .chunks(LATENT_DIM)
            .map(|c| class.mixture.log_density(c))
            .sum();
        let gaussian: f64 = mine
            .chunks(LATENT_DIM)
            .map(|c| class.gaussian.log_density(c))
            .sum();
        let count = (mine.len() / LATENT_DIM) as f64;
        println!(
            "{digit:>5}  {count:>5}  {:>10.3} ({})  {:>15.3}",
            mixture / count,
            class.mixture.weights.len(),
            gaussian / count
        );
        all_mixture += mixture;
        all_gaussian += gaussian;
    }
    let n = images.len() as f64;
    println!(
        "  all  {:>5}  {:>14.3}  {:>15.3}",
        images.len(),
        all_mixture / n,
        all_gaussian / n
    );

    println!(
        "\nreconstruction of the codes (per pixel, probabilities clamped to [1e-7, 1 - 1e-7])"
    );
    let float_pixels = dir.decoder(device)?.decode_slice(&codes, device);
    let integer_pixels = evaluate::reconstruct(dir, &generator, &images, device)?;
    for (name, pixels) in [
        ("f32 decoder (burn)", &float_pixels),
        ("integer decoder (the page's)", &integer_pixels),
    ] {
        let (bce, mse) = probability_scores(pixels, &images.pixels);
        println!("  {name:<30} BCE {bce:.5}  MSE {mse:.5}");
    }
    Ok(())
}
