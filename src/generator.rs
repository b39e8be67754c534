//! The digit generator: the decoder plus the latent statistics, with every operation the page
//! offers, argument checks included. Plain Rust, so native tests and the CLI use it as the wasm
//! bindings do.

use crate::artifact::{self, LatentStats};
use crate::integer_decoder::IntegerDecoder;
use crate::latent::{CLASSES, Method, Samples, rng_for};
use crate::model::{Arch, Decoder, LATENT_DIM, default_device, load_record_bytes};

/// Most images (or codes) one call may produce.
pub const MAX_IMAGES: usize = 10_000;
/// Largest `|spread|`, `|scale|` or PCA coordinate accepted.
pub const MAX_MAGNITUDE: f64 = 1e4;

/// A bad argument or a corrupt model, with a message naming what is wrong.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GeneratorError {
    /// An argument is out of range or of the wrong kind.
    #[error("{0}")]
    InvalidArgument(String),
    /// The embedded or given model files are unusable.
    #[error("corrupt model: {0}")]
    CorruptModel(String),
}

type Result<T> = std::result::Result<T, GeneratorError>;

fn invalid(message: String) -> GeneratorError {
    GeneratorError::InvalidArgument(message)
}

/// Checks that `value` is finite with `|value| ≤ MAX_MAGNITUDE`; `what` names it in the error.
fn bounded(what: &str, value: f64) -> Result<f32> {
    if !(value.is_finite() && value.abs() <= MAX_MAGNITUDE) {
        return Err(invalid(format!(
            "{what} must be a finite number between -{MAX_MAGNITUDE} and {MAX_MAGNITUDE}, got {value}"
        )));
    }
    Ok(value as f32)
}

/// Checks that `count` is in `min..=MAX_IMAGES`; `what` names it in the error.
fn check_count(what: &str, count: usize, min: usize) -> Result<()> {
    if !(min..=MAX_IMAGES).contains(&count) {
        return Err(invalid(format!(
            "{what} must be from {min} to {MAX_IMAGES}, got {count}"
        )));
    }
    Ok(())
}

/// A digit class, 0–9.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Digit(u8);

impl Digit {
    /// The digit `value`, or an error unless it is 0–9.
    pub fn new(value: usize) -> Result<Self> {
        u8::try_from(value)
            .ok()
            .filter(|&d| usize::from(d) < CLASSES)
            .map(Self)
            .ok_or_else(|| invalid(format!("a digit must be from 0 to 9, got {value}")))
    }

    /// The ten digits in order.
    pub fn all() -> impl Iterator<Item = Self> {
        (0..CLASSES as u8).map(Self)
    }

    /// The digit as an index, 0–9.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// How to sample: method, spread (covariance scale) and seed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SampleOptions {
    /// Mixture or single Gaussian.
    pub method: Method,
    /// Covariance scale, ≥ 0.
    pub spread: f32,
    /// Random seed.
    pub seed: u64,
}

impl SampleOptions {
    /// Options with the method's default spread.
    pub fn new(method: Method, seed: u64) -> Self {
        Self {
            method,
            spread: method.default_spread(),
            seed,
        }
    }

    /// Replaces the spread after checking it is finite and non-negative.
    pub fn with_spread(self, spread: f64) -> Result<Self> {
        let spread = bounded("the spread", spread)?;
        if spread < 0.0 {
            return Err(invalid(format!(
                "the spread must not be negative, got {spread}"
            )));
        }
        Ok(Self { spread, ..self })
    }
}

/// Sampled images of several digits with their codes and labels.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DigitSet {
    /// Row-major 28×28 images in [0, 1].
    pub images: Vec<f32>,
    /// Row-major 32-d codes, one per image.
    pub latents: Vec<f32>,
    /// The digit each image was drawn for.
    pub labels: Vec<u8>,
}

/// Decoder weights and latent statistics, ready to generate.
pub struct Generator {
    decoder: IntegerDecoder,
    stats: LatentStats,
}

/// The committed decoder (burnpack record, 8-bit weights with per-block f16 scales).
pub static EMBEDDED_DECODER: &[u8] = include_bytes!("../model/decoder.bpk");
/// The committed latent statistics.
pub static EMBEDDED_STATS: &[u8] = include_bytes!("../model/latent.bin");

impl Generator {
    /// The generator of the committed model.
    pub fn embedded() -> Result<Self> {
        Self::from_bytes(EMBEDDED_DECODER, EMBEDDED_STATS)
    }

    /// Builds a generator from a decoder record and a statistics file.
    pub fn from_bytes(decoder_record: &[u8], stats: &[u8]) -> Result<Self> {
        let stats =
            artifact::decode(stats).map_err(|e| GeneratorError::CorruptModel(e.to_string()))?;
        let arch = Arch::from_layers(stats.card.arch_layers).ok_or_else(|| {
            GeneratorError::CorruptModel(format!("unknown architecture {}", stats.card.arch_layers))
        })?;
        let device = default_device();
        let decoder = load_record_bytes(Decoder::skeleton(arch, &device), decoder_record)
            .map_err(|e| GeneratorError::CorruptModel(format!("decoder record: {e}")))?;
        Ok(Self {
            decoder: IntegerDecoder::new(&decoder),
            stats,
        })
    }

    /// The latent statistics and model card.
    pub fn stats(&self) -> &LatentStats {
        &self.stats
    }

    /// Draws `n` codes of `digit`.
    pub fn sample_latents(
        &self,
        digit: Digit,
        n: usize,
        options: SampleOptions,
    ) -> Result<Samples> {
        check_count("the number of samples", n, 1)?;
        let mut rng = rng_for(options.seed, digit.index());
        Ok(self.stats.classes[digit.index()].sample(n, options.method, options.spread, &mut rng))
    }

    /// Draws and decodes `n` images of `digit`.
    pub fn sample(&self, digit: Digit, n: usize, options: SampleOptions) -> Result<Vec<f32>> {
        let samples = self.sample_latents(digit, n, options)?;
        self.decode(&samples.latents)
    }

    /// Draws and decodes `per_class` images of every digit, digits in order 0–9 (what the
    /// native `sample` command writes and `evaluate` scores).
    pub fn sample_every_digit(&self, per_class: usize, options: SampleOptions) -> Result<DigitSet> {
        let mut set = DigitSet::default();
        for digit in Digit::all() {
            let samples = self.sample_latents(digit, per_class, options)?;
            set.images.extend(self.decode(&samples.latents)?);
            set.latents.extend(samples.latents);
            set.labels.extend(std::iter::repeat_n(digit.0, per_class));
        }
        Ok(set)
    }

    /// Decodes row-major codes (a multiple of 32 values) into row-major 28×28 images in [0, 1].
    pub fn decode(&self, latents: &[f32]) -> Result<Vec<f32>> {
        if latents.is_empty() || !latents.len().is_multiple_of(LATENT_DIM) {
            return Err(invalid(format!(
                "the codes must hold a positive multiple of {LATENT_DIM} values, got {}",
                latents.len()
            )));
        }
        check_count("the number of codes", latents.len() / LATENT_DIM, 1)?;
        if let Some(i) = latents
            .iter()
            .position(|v| !v.is_finite() || f64::from(v.abs()) > MAX_MAGNITUDE)
        {
            return Err(invalid(format!(
                "code value {i} must be a finite number of magnitude at most {MAX_MAGNITUDE}, got {}",
                latents[i]
            )));
        }
        Ok(self.decoder.decode(latents))
    }

    /// The mean code of `digit`.
    pub fn class_mean(&self, digit: Digit) -> &[f32] {
        &self.stats.classes[digit.index()].gaussian.mean
    }

    /// `steps` images along the segment between the class means of `from` and `to`, ends included.
    pub fn interpolate(&self, from: Digit, to: Digit, steps: usize) -> Result<Vec<f32>> {
        check_count("the number of steps", steps, 2)?;
        self.path(&[from, to], steps - 1)
    }

    /// Frames through the class means of `digits` in order, `steps_per_leg` per leg, the final
    /// mean included: `(digits.len() − 1) · steps_per_leg + 1` images.
    pub fn path(&self, digits: &[Digit], steps_per_leg: usize) -> Result<Vec<f32>> {
        if digits.len() < 2 {
            return Err(invalid(format!(
                "a path needs at least 2 digits, got {}",
                digits.len()
            )));
        }
        check_count("the steps per leg", steps_per_leg, 1)?;
        let frames = (digits.len() - 1)
            .checked_mul(steps_per_leg)
            .and_then(|f| f.checked_add(1))
            .unwrap_or(usize::MAX);
        if frames > MAX_IMAGES {
            return Err(invalid(format!(
                "a path through {} digits at {steps_per_leg} steps per leg has {frames} frames, \
                 more than the {MAX_IMAGES} one call may produce",
                digits.len()
            )));
        }
        let mut latents = Vec::with_capacity(frames * LATENT_DIM);
        for leg in digits.windows(2) {
            let (a, b) = (self.class_mean(leg[0]), self.class_mean(leg[1]));
            for step in 0..steps_per_leg {
                let t = step as f32 / steps_per_leg as f32;
                latents.extend(a.iter().zip(b).map(|(x, y)| (1.0 - t) * x + t * y));
            }
        }
        latents.extend_from_slice(self.class_mean(*digits.last().expect("two digits")));
        self.decode(&latents)
    }

    /// Decodes `scale · eᵢ` for each of the 32 unit vectors.
    pub fn basis_vectors(&self, scale: f64) -> Result<Vec<f32>> {
        let scale = bounded("the scale", scale)?;
        let mut latents = vec![0.0; LATENT_DIM * LATENT_DIM];
        for i in 0..LATENT_DIM {
            latents[i * LATENT_DIM + i] = scale;
        }
        self.decode(&latents)
    }

    /// Decodes each class mean with all but its `nonzeros` largest-magnitude entries set to zero.
    pub fn sparse_means(&self, nonzeros: usize) -> Result<Vec<f32>> {
        if !(1..=LATENT_DIM).contains(&nonzeros) {
            return Err(invalid(format!(
                "the number of kept entries must be from 1 to {LATENT_DIM}, got {nonzeros}"
            )));
        }
        let mut latents = Vec::with_capacity(CLASSES * LATENT_DIM);
        for class in &self.stats.classes {
            let mean = &class.gaussian.mean;
            let mut order: Vec<usize> = (0..LATENT_DIM).collect();
            order.sort_by(|&a, &b| mean[b].abs().total_cmp(&mean[a].abs()));
            let mut sparse = [0.0; LATENT_DIM];
            for &i in &order[..nonzeros] {
                sparse[i] = mean[i];
            }
            latents.extend_from_slice(&sparse);
        }
        self.decode(&latents)
    }

    /// Decodes the most likely code whose projection on the first two principal components is
    /// `(x, y)` (see [`crate::latent::Pca::likeliest_code`]).
    pub fn decode_pca_point(&self, x: f64, y: f64) -> Result<Vec<f32>> {
        let (x, y) = (bounded("x", x)?, bounded("y", y)?);
        self.decode(&self.stats.pca.likeliest_code(&self.stats.classes, x, y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IMAGE_PIXELS;

    fn committed() -> Generator {
        Generator::embedded().expect("the committed model loads")
    }

    #[test]
    fn same_seed_same_digits_and_pixels_in_range() {
        let g = committed();
        let options = SampleOptions::new(Method::Mixture, 9);
        let six = Digit::new(6).unwrap();
        let a = g.sample(six, 4, options).unwrap();
        assert_eq!(a, g.sample(six, 4, options).unwrap());
        assert_ne!(
            a,
            g.sample(
                six,
                4,
                SampleOptions {
                    seed: 10,
                    ..options
                }
            )
            .unwrap()
        );
        assert_eq!(a.len(), 4 * IMAGE_PIXELS);
        assert!(a.iter().all(|p| (0.0..=1.0).contains(p)));
    }

    #[test]
    fn corrupt_artefacts_are_refused_with_a_message() {
        let mut stats = EMBEDDED_STATS.to_vec();
        stats[40] ^= 1;
        let error = Generator::from_bytes(EMBEDDED_DECODER, &stats)
            .err()
            .unwrap();
        assert!(error.to_string().contains("checksum"), "{error}");
        let error = Generator::from_bytes(&EMBEDDED_DECODER[..1000], EMBEDDED_STATS)
            .err()
            .unwrap();
        assert!(error.to_string().contains("decoder"), "{error}");
    }

    #[test]
    fn argument_checks_say_what_is_wrong() {
        let message = |e: GeneratorError| e.to_string();
        assert_eq!(
            message(Digit::new(11).unwrap_err()),
            "a digit must be from 0 to 9, got 11"
        );
        assert_eq!(Digit::new(9).unwrap().index(), 9);
        let g = committed();
        let options = SampleOptions::new(Method::Gaussian, 0);
        assert_eq!(options.spread, 0.2);
        let seven = Digit::new(7).unwrap();
        assert!(
            message(g.sample(seven, 20_000, options).unwrap_err()).contains("number of samples")
        );
        assert!(message(options.with_spread(-1.0).unwrap_err()).contains("spread"));
        assert!(message(options.with_spread(f64::NAN).unwrap_err()).contains("spread"));
        assert!(message(g.decode(&[0.0; 33]).unwrap_err()).contains("codes"));
        assert!(message(g.decode_pca_point(f64::INFINITY, 0.0).unwrap_err()).starts_with("x "));
        assert!(message(g.path(&[seven], 4).unwrap_err()).contains("at least 2 digits"));
        let long = vec![seven; 200];
        assert!(message(g.path(&long, 60).unwrap_err()).contains("11941 frames"));
        assert_eq!(g.path(&long[..167], 60).unwrap().len(), 9961 * IMAGE_PIXELS);
        // Any 64-bit seed is a seed.
        let huge = SampleOptions::new(Method::Mixture, u64::MAX);
        assert_eq!(
            g.sample(seven, 2, huge).unwrap(),
            g.sample(seven, 2, huge).unwrap()
        );
    }
}
