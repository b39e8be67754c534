//! The generator of digits or clothes: the decoder plus the latent statistics (and, once loaded, the encoder),
//! with every operation the page offers, argument checks included. Plain Rust, so native tests
//! and the CLI use it as the wasm bindings do.

use std::sync::OnceLock;

use crate::animation::{GifLook, animated_gif};
use crate::architecture::{Arch, IMAGE_PIXELS, LATENT_DIM, LayerShape};
use crate::artifact::{self, LatentStats};
use crate::dataset::Dataset;
use crate::integer_net::{IntegerNetwork, packed};
use crate::latent::flow::Flow;
use crate::latent::style::{STYLE_LIMIT, Style, StyleStats};
use crate::latent::{CLASSES, Method, Sampler, Samples, rng_for};
use crate::measure::{MEASURES, Measure, measure};
#[cfg(not(target_arch = "wasm32"))]
use crate::record::read_dense_layers;

/// Corrections of a code written in a style ([`Generator::write_in_style`]).
pub const STYLE_STEPS: usize = 4;
/// Times a written code that has left its class is moved back halfway.
pub const READABLE_STEPS: usize = 5;
/// The covariance scale of the samples a style writes: below the mixtures' default (0.85), as
/// the style adds its own variety (`latent-digits evaluate-style` measured 0.85, 0.5 and 0.4).
pub const WRITING_SPREAD: f64 = 0.4;
/// How sure the mixtures must be that a written code is of its class.
pub const READABLE_PROBABILITY: f32 = 0.999;
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

/// Checks that `values` holds a positive whole number (at most [`MAX_IMAGES`]) of rows of
/// `width`; `what` names the values and `rows` one row in the errors.
fn check_rows(what: &str, rows: &str, values: &[f32], width: usize) -> Result<()> {
    if values.is_empty() || !values.len().is_multiple_of(width) {
        return Err(invalid(format!(
            "{what} must hold a positive multiple of {width} values, got {}",
            values.len()
        )));
    }
    check_count(&format!("the number of {rows}"), values.len() / width, 1)
}

/// Checks row-major codes: whole rows of 32 finite values of magnitude at most
/// [`MAX_MAGNITUDE`].
fn check_latents(latents: &[f32]) -> Result<()> {
    check_rows("the codes", "codes", latents, LATENT_DIM)?;
    if let Some(i) = latents
        .iter()
        .position(|v| !v.is_finite() || f64::from(v.abs()) > MAX_MAGNITUDE)
    {
        return Err(invalid(format!(
            "code value {i} must be a finite number of magnitude at most {MAX_MAGNITUDE}, got {}",
            latents[i]
        )));
    }
    Ok(())
}

/// Checks row-major 28×28 images: whole images of values from 0 to 1.
fn check_images(images: &[f32]) -> Result<()> {
    check_rows("the images", "images", images, IMAGE_PIXELS)?;
    if let Some(i) = images
        .iter()
        .position(|p| !(p.is_finite() && (0.0..=1.0).contains(p)))
    {
        return Err(invalid(format!(
            "pixel {i} of the images must be a number from 0 to 1, got {}",
            images[i]
        )));
    }
    Ok(())
}

/// Checks a single code (exactly 32 values); `what` names it in the error.
fn check_one_code(what: &str, code: &[f32]) -> Result<()> {
    if code.len() != LATENT_DIM {
        return Err(invalid(format!(
            "{what} must hold {LATENT_DIM} values, got {}",
            code.len()
        )));
    }
    check_latents(code)
}

/// Probabilities from log-weights, computed stably (the largest is subtracted first).
fn softmax(log_weights: &[f64]) -> Vec<f32> {
    let largest = log_weights
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = log_weights.iter().map(|l| (l - largest).exp()).collect();
    let total: f64 = weights.iter().sum();
    weights.iter().map(|w| (w / total) as f32).collect()
}

/// One caption per frame of a path through stops named `labels`: the leg it is on ("3>4"), and
/// the last stop's name on the last frame.
fn leg_captions(labels: &[String], stops: usize, steps_per_leg: usize) -> Result<Vec<String>> {
    if labels.len() != stops {
        return Err(invalid(format!(
            "{} labels for {stops} stops: one label per stop",
            labels.len()
        )));
    }
    let mut captions = Vec::new();
    for leg in labels.windows(2) {
        captions.extend(std::iter::repeat_n(
            format!("{}>{}", leg[0], leg[1]),
            steps_per_leg,
        ));
    }
    captions.push(labels[stops - 1].clone());
    Ok(captions)
}

/// A class of the model's data set by its index, 0–9: a digit, or one of the ten kinds of
/// clothing ([`crate::dataset::Dataset::class_names`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Class(u8);

impl Class {
    /// The class `value`, or an error unless it is 0–9.
    pub fn new(value: usize) -> Result<Self> {
        u8::try_from(value)
            .ok()
            .filter(|&d| usize::from(d) < CLASSES)
            .map(Self)
            .ok_or_else(|| invalid(format!("a class must be from 0 to 9, got {value}")))
    }

    /// The ten classes in order.
    pub fn all() -> impl Iterator<Item = Self> {
        (0..CLASSES as u8).map(Self)
    }

    /// The class as an index, 0–9.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// How to sample: method, spread (covariance scale) and seed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SampleOptions {
    /// Mixture, single Gaussian or flow.
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

/// One of the two networks.
#[derive(Clone, Copy)]
pub enum Network {
    /// Codes to images.
    Decoder,
    /// Images to codes.
    Encoder,
}
impl Network {
    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Decoder => "decoder",
            Self::Encoder => "encoder",
        }
    }

    /// How the page's file rounds its weights.
    pub fn precision(self) -> packed::Precision {
        match self {
            Self::Decoder => packed::Precision::BYTES,
            Self::Encoder => packed::Precision::WIDE,
        }
    }
}

/// The network `which` in `bytes`: packed, or natively the burnpack record it is packed from.
/// Refuses a corrupt file, one whose record's CRC-32 is not the `expected` one the statistics
/// recorded, and one whose layers are not `shapes`.
fn read_network(
    which: Network,
    bytes: &[u8],
    expected: u32,
    shapes: &[LayerShape],
) -> Result<IntegerNetwork> {
    let what = which.name();
    if !packed::is_packed(bytes) {
        return read_record(which, bytes, expected, shapes);
    }
    let network = packed::unpack(bytes, true).map_err(|e| corrupt(what, e))?;
    let source = packed::source_checksum(bytes).map_err(|e| corrupt(what, e))?;
    check_checksum(&format!("packed {what}"), source, expected, bytes.len())?;
    if network.shapes() != shapes {
        return Err(corrupt(what, "its layers are not this architecture's"));
    }
    Ok(network)
}

/// [`read_network`] of a burnpack record, its weights rounded as `pack` rounds them for the page.
#[cfg(not(target_arch = "wasm32"))]
fn read_record(
    which: Network,
    record: &[u8],
    expected: u32,
    shapes: &[LayerShape],
) -> Result<IntegerNetwork> {
    let what = format!("{} record", which.name());
    check_checksum(&what, crc32fast::hash(record), expected, record.len())?;
    let layers = read_dense_layers(record, shapes).map_err(|e| corrupt(&what, e))?;
    Ok(IntegerNetwork::new(&layers, which.precision()))
}

/// The page reads packed networks only: it carries no burnpack reader.
#[cfg(target_arch = "wasm32")]
fn read_record(which: Network, _: &[u8], _: u32, _: &[LayerShape]) -> Result<IntegerNetwork> {
    Err(corrupt(which.name(), packed::PackedError::BadMagic))
}

/// Refuses a network file (`what`, `len` bytes) whose record's CRC-32 is `found`, not the
/// `expected` one the statistics recorded.
fn check_checksum(what: &str, found: u32, expected: u32, len: usize) -> Result<()> {
    if found == expected {
        Ok(())
    } else {
        Err(GeneratorError::CorruptModel(format!(
            "the {what} ({len} bytes, CRC-32 {found:08x}) is not the one these statistics \
             were fitted to (CRC-32 {expected:08x}): the file is corrupt or belongs to another model"
        )))
    }
}

/// What `which` gave, or an error if a value is not a finite number: finite weights can still be
/// so large that the sums overflow (a file made to pass the checksums).
fn finite(which: Network, values: Vec<f32>) -> Result<Vec<f32>> {
    if values.iter().all(|v| v.is_finite()) {
        Ok(values)
    } else {
        Err(corrupt(
            which.name(),
            "its weights overflow: it gave values that are not finite numbers",
        ))
    }
}

/// The architecture the statistics' model card names.
fn arch_of(stats: &LatentStats) -> Result<Arch> {
    Arch::from_layers(stats.card.arch_layers).ok_or_else(|| {
        corrupt(
            "statistics",
            format!("unknown architecture {}", stats.card.arch_layers),
        )
    })
}

/// Sampled images of several classes with their codes and labels.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SampleSet {
    /// Row-major 28×28 images in [0, 1].
    pub images: Vec<f32>,
    /// Row-major 32-d codes, one per image.
    pub latents: Vec<f32>,
    /// The class each image was drawn for.
    pub labels: Vec<u8>,
}

/// Decoder weights and latent statistics, ready to generate; with the encoder, ready to read
/// a visitor's digit.
pub struct Generator {
    decoder: IntegerNetwork,
    /// Loaded on demand ([`Generator::load_encoder`]): the page's first gallery needs only the
    /// decoder.
    encoder: Option<IntegerNetwork>,
    /// Loaded on demand ([`Generator::load_flow`]), like the encoder.
    flow: Option<Flow>,
    /// A given file's are parsed at once (to refuse a corrupt one); the embedded file's when
    /// first needed (the tests check it), so that a generator costs almost nothing to make.
    stats: OnceLock<LatentStats>,
}

/// The committed decoder as the page ships it: 4-bit weights in the kernel's order
/// ([`crate::integer_net::packed`]), packed from `decoder.bpk`.
pub static EMBEDDED_DECODER: &[u8] = include_bytes!("../model/decoder.packed");
/// The burnpack record the committed decoder was packed from (8-bit weights with block scales).
#[cfg(test)]
pub(crate) static DECODER_RECORD: &[u8] = include_bytes!("../model/decoder.bpk");
/// The committed latent statistics.
pub static EMBEDDED_STATS: &[u8] = include_bytes!("../model/latent.bin");

/// A corrupt-model error about `what`.
fn corrupt(what: &str, error: impl std::fmt::Display) -> GeneratorError {
    GeneratorError::CorruptModel(format!("{what}: {error}"))
}

impl Generator {
    /// The generator of the committed model: its decoder unpacked, its statistics parsed when
    /// first needed.
    pub fn embedded() -> Result<Self> {
        Ok(Self {
            decoder: packed::unpack(EMBEDDED_DECODER, false).map_err(|e| corrupt("decoder", e))?,
            encoder: None,
            flow: None,
            stats: OnceLock::new(),
        })
    }

    /// Builds a generator from a decoder (the shipped 4-bit file, or the burnpack record it is
    /// packed from) and the statistics file fitted to it; refuses a corrupt file and a decoder
    /// that belongs to another model.
    pub fn from_bytes(decoder: &[u8], stats: &[u8]) -> Result<Self> {
        let stats =
            artifact::decode(stats).map_err(|e| GeneratorError::CorruptModel(e.to_string()))?;
        Self::from_parsed(decoder, stats)
    }

    /// [`Generator::from_bytes`] with the statistics already parsed.
    pub(crate) fn from_parsed(decoder: &[u8], stats: LatentStats) -> Result<Self> {
        let shapes = arch_of(&stats)?.decoder_layers();
        let decoder = read_network(
            Network::Decoder,
            decoder,
            stats.card.records.decoder,
            &shapes,
        )?;
        Ok(Self {
            decoder,
            encoder: None,
            flow: None,
            stats: OnceLock::from(stats),
        })
    }

    /// Decodes a few codes and drops the images. In a browser this is worth its fraction of a
    /// millisecond: the kernel's calls use up V8's budget for its baseline code, and V8 compiles
    /// the optimised code in the background while the page goes on, so that the first gallery
    /// runs on it.
    pub fn warm_up(&self) {
        const ROWS: usize = 4;
        drop(self.decoder.forward(&[0.0; ROWS * LATENT_DIM]));
    }

    /// Loads the encoder (`encoder.packed`, or natively the record `encoder.q8.bpk` it is
    /// packed from, both written by the same `fit` as the statistics), which
    /// [`Generator::encode`] needs; a corrupt file, or another model's, leaves the generator as
    /// it was.
    pub fn load_encoder(&mut self, encoder: &[u8]) -> Result<()> {
        let stats = self.stats();
        let shapes = arch_of(stats)?.encoder_layers();
        let network = read_network(
            Network::Encoder,
            encoder,
            stats.card.records.encoder,
            &shapes,
        )?;
        self.encoder = Some(network);
        Ok(())
    }

    /// Whether [`Generator::load_encoder`] has succeeded.
    pub fn has_encoder(&self) -> bool {
        self.encoder.is_some()
    }

    /// Loads the normalizing flow (`flow.bin`, written by the `fit-flow` that recorded it in the
    /// statistics), which sampling with [`Method::Flow`] needs; a corrupt file, or another
    /// model's, leaves the generator as it was.
    pub fn load_flow(&mut self, flow: &[u8]) -> Result<()> {
        let flow =
            artifact::decode_flow(flow, self.stats()).map_err(GeneratorError::CorruptModel)?;
        self.flow = Some(flow);
        Ok(())
    }

    /// Whether [`Generator::load_flow`] has succeeded.
    pub fn has_flow(&self) -> bool {
        self.flow.is_some()
    }

    /// The latent statistics and model card.
    pub fn stats(&self) -> &LatentStats {
        self.stats.get_or_init(|| {
            artifact::decode(EMBEDDED_STATS).expect("the tests check the embedded statistics")
        })
    }

    /// The data set the model was trained on.
    pub fn dataset(&self) -> Dataset {
        self.stats().card.dataset
    }

    /// Draws `n` codes of `class`.
    pub fn sample_latents(
        &self,
        class: Class,
        n: usize,
        options: SampleOptions,
    ) -> Result<Samples> {
        check_count("the number of samples", n, 1)?;
        let stats = &self.stats().classes[class.index()];
        let sampler = match options.method {
            Method::Mixture => Sampler::Mixture(&stats.mixture),
            Method::Gaussian => Sampler::Gaussian(&stats.gaussian),
            Method::Flow => Sampler::Flow(self.flow()?, &stats.mixture, class.index()),
        };
        let mut rng = rng_for(options.seed, class.index());
        let samples = sampler.sample(n, options.spread, &mut rng);
        // A flow's shifts are unbounded: a damaged file that passed its checks could overflow.
        if options.method == Method::Flow
            && (samples.latents.iter())
                .any(|v| !(v.is_finite() && f64::from(v.abs()) <= MAX_MAGNITUDE))
        {
            return Err(GeneratorError::CorruptModel(format!(
                "the flow gave code values that are not finite numbers of magnitude at most \
                 {MAX_MAGNITUDE} (a spread this large, or a damaged flow.bin)"
            )));
        }
        Ok(samples)
    }

    /// Draws and decodes `n` images of `class`.
    pub fn sample(&self, class: Class, n: usize, options: SampleOptions) -> Result<Vec<f32>> {
        let samples = self.sample_latents(class, n, options)?;
        self.decode(&samples.latents)
    }

    /// Draws and decodes `per_class` images of every class, classes in order 0–9 (what the
    /// native `sample` command writes and `evaluate` scores).
    pub fn sample_every_class(
        &self,
        per_class: usize,
        options: SampleOptions,
    ) -> Result<SampleSet> {
        let mut set = SampleSet::default();
        for class in Class::all() {
            let samples = self.sample_latents(class, per_class, options)?;
            set.images.extend(self.decode(&samples.latents)?);
            set.latents.extend(samples.latents);
            set.labels.extend(std::iter::repeat_n(class.0, per_class));
        }
        Ok(set)
    }

    /// Decodes row-major codes (a multiple of 32 values) into row-major 28×28 images in [0, 1].
    pub fn decode(&self, latents: &[f32]) -> Result<Vec<f32>> {
        check_latents(latents)?;
        finite(Network::Decoder, self.decoder.forward(latents))
    }

    /// Encodes row-major 28×28 images (a multiple of 784 values in [0, 1], prepared as the data
    /// set's images were: see [`crate::prepare`]) into row-major 32-d codes.
    pub fn encode(&self, images: &[f32]) -> Result<Vec<f32>> {
        let encoder = self.encoder.as_ref().ok_or_else(|| {
            invalid("the encoder is not loaded yet: load its record first".to_string())
        })?;
        check_images(images)?;
        finite(Network::Encoder, encoder.forward(images))
    }

    /// For each code, the probability of each class (rows of 10 that sum to 1): the per-class
    /// mixtures as a generative classifier, p(class | code) ∝ p(code | class) · p(class), with
    /// the ten classes equally likely beforehand.
    pub fn classify(&self, latents: &[f32]) -> Result<Vec<f32>> {
        check_latents(latents)?;
        let mut probabilities = Vec::with_capacity(latents.len() / LATENT_DIM * CLASSES);
        for code in latents.chunks_exact(LATENT_DIM) {
            let log_densities: Vec<f64> = self
                .stats()
                .classes
                .iter()
                .map(|class| class.mixture.log_density(code))
                .collect();
            probabilities.extend(softmax(&log_densities));
        }
        Ok(probabilities)
    }

    /// The class each code is likeliest to be, by [`Generator::classify`].
    pub fn likeliest_classes(&self, latents: &[f32]) -> Result<Vec<Class>> {
        Ok(self
            .classify(latents)?
            .chunks_exact(CLASSES)
            .map(|row| {
                let best = (0..CLASSES)
                    .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                    .expect("ten classes");
                Class(best as u8)
            })
            .collect())
    }

    /// Each code's coordinates on the first two principal components (the Explore scatter's
    /// plane): rows of 2.
    pub fn project(&self, latents: &[f32]) -> Result<Vec<f32>> {
        check_latents(latents)?;
        Ok(latents
            .chunks_exact(LATENT_DIM)
            .flat_map(|code| self.stats().pca.project(code))
            .collect())
    }

    /// The methods this model can sample with: the mixture and the single Gaussian, and the
    /// flow where the statistics record one (to load first: [`Generator::load_flow`]).
    pub fn methods(&self) -> Vec<Method> {
        let mut methods = vec![Method::Mixture, Method::Gaussian];
        if self.stats().flow.is_some() {
            methods.push(Method::Flow);
        }
        methods
    }

    /// The method to sample with unless told otherwise: the best that `latent-digits evaluate`
    /// measured among those this model has ([`Method::PREFERENCE`]).
    pub fn default_method(&self) -> Method {
        let available = self.methods();
        Method::PREFERENCE
            .into_iter()
            .find(|m| available.contains(m))
            .unwrap_or(Method::Mixture)
    }

    /// The loaded flow, or an error saying how to get one.
    pub fn flow(&self) -> Result<&Flow> {
        match (&self.flow, &self.stats().flow) {
            (Some(flow), _) => Ok(flow),
            (None, Some(_)) => Err(invalid(
                "the flow is not loaded yet: load its file (flow.bin) first".to_string(),
            )),
            (None, None) => Err(GeneratorError::CorruptModel(
                "this model has no flow: run `latent-digits fit-flow`".into(),
            )),
        }
    }

    /// The style statistics, or an error naming the command that fits them.
    pub fn style(&self) -> Result<&StyleStats> {
        self.stats().style.as_ref().ok_or_else(|| {
            GeneratorError::CorruptModel(
                "this model has no style statistics: run `latent-digits fit-style`".into(),
            )
        })
    }

    /// The [`MEASURES`] measures of each image (see [`crate::measure`]): rows in the order of
    /// [`Measure::ALL`].
    pub fn measure(&self, images: &[f32]) -> Result<Vec<f32>> {
        check_images(images)?;
        Ok(images
            .chunks_exact(IMAGE_PIXELS)
            .flat_map(measure)
            .collect())
    }

    /// `codes` of `class` moved along the style directions so that their decoded images change
    /// by about each `(measure, amount)`, in the measure's unit.
    pub fn move_style(
        &self,
        codes: &[f32],
        class: Class,
        moves: &[(Measure, f64)],
    ) -> Result<Vec<f32>> {
        check_latents(codes)?;
        let style = self.style()?;
        let mut shifts = Vec::with_capacity(moves.len());
        for &(measure, amount) in moves {
            let amount = bounded(measure.name(), amount)?;
            let direction = self.steerable(measure)?;
            shifts.push((direction, amount / style.spreads[measure.index()]));
        }
        let mut moved = codes.to_vec();
        for code in moved.chunks_exact_mut(LATENT_DIM) {
            for &(direction, amount) in &shifts {
                style.shift(code, class.index(), direction, amount);
            }
        }
        Ok(moved)
    }

    /// The position of `measure` among the style directions, or an error listing those there are.
    fn steerable(&self, measure: Measure) -> Result<usize> {
        let style = self.style()?;
        style.direction_of(measure).ok_or_else(|| {
            let names: Vec<&str> = style.steerable.iter().map(|m| m.name()).collect();
            invalid(format!(
                "{} cannot be set for this model; it sets {}",
                measure.name(),
                names.join(", ")
            ))
        })
    }

    /// The style of `images`, each of the class beside it in `classes`: see
    /// [`StyleStats::style_of`].
    pub fn style_of(&self, images: &[f32], classes: &[Class]) -> Result<Style> {
        check_images(images)?;
        let count = images.len() / IMAGE_PIXELS;
        if classes.len() != count {
            return Err(invalid(format!(
                "{} classes for {count} images: one class per image",
                classes.len()
            )));
        }
        let measures: Vec<[f32; MEASURES]> =
            images.chunks_exact(IMAGE_PIXELS).map(measure).collect();
        let classes: Vec<usize> = classes.iter().map(|c| c.index()).collect();
        Ok(self.style()?.style_of(&measures, &classes))
    }

    /// A code for each of `classes` written in `style`: with a seed, each a fresh sample of its
    /// class's mixture at [`WRITING_SPREAD`] (the `i`th from seed `seed + i`); without, the
    /// class's mean. Each code is then moved along its class's style directions until its
    /// decoded image measures as the style asks ([`StyleStats::targets`]), in [`STYLE_STEPS`]
    /// corrections, never more than [`STYLE_LIMIT`] spreads along any direction, and moved back
    /// if the mixtures no longer read it as its class ([`READABLE_PROBABILITY`]).
    pub fn write_in_style(
        &self,
        style: &Style,
        classes: &[Class],
        seed: Option<u64>,
    ) -> Result<Vec<f32>> {
        check_count("the number of classes", classes.len(), 1)?;
        for (measure, value) in Measure::ALL.iter().zip(&style.0) {
            if let Some(value) = value {
                bounded(measure.name(), f64::from(*value))?;
                self.steerable(*measure)?;
            }
        }
        let stats = self.style()?;
        let mut starts = Vec::with_capacity(classes.len() * LATENT_DIM);
        for (i, &class) in classes.iter().enumerate() {
            match seed {
                Some(seed) => {
                    let options = SampleOptions::new(Method::Mixture, seed.wrapping_add(i as u64))
                        .with_spread(WRITING_SPREAD)?;
                    starts.extend(self.sample_latents(class, 1, options)?.latents);
                }
                None => starts.extend_from_slice(self.class_mean(class)),
            }
        }
        let targets: Vec<_> = classes
            .iter()
            .map(|c| stats.targets(c.index(), style))
            .collect();
        let directions = stats.steerable.len();
        let mut offsets = vec![0f32; classes.len() * directions];
        let mut codes = starts.clone();
        // Places code i at its start moved by its offsets.
        let place = |codes: &mut [f32], offsets: &[f32], i: usize| {
            let code = &mut codes[i * LATENT_DIM..(i + 1) * LATENT_DIM];
            code.copy_from_slice(&starts[i * LATENT_DIM..(i + 1) * LATENT_DIM]);
            for (j, offset) in offsets[i * directions..(i + 1) * directions]
                .iter()
                .enumerate()
            {
                stats.shift(code, classes[i].index(), j, *offset);
            }
        };
        for _ in 0..STYLE_STEPS {
            let images = self.decode(&codes)?;
            for (i, image) in images.chunks_exact(IMAGE_PIXELS).enumerate() {
                let measured = measure(image);
                for (j, measure) in stats.steerable.iter().enumerate() {
                    if let Some(target) = targets[i][measure.index()] {
                        let offset = &mut offsets[i * directions + j];
                        let error =
                            (target - measured[measure.index()]) / stats.spreads[measure.index()];
                        *offset = (*offset + error).clamp(-STYLE_LIMIT, STYLE_LIMIT);
                    }
                }
                place(&mut codes, &offsets, i);
            }
        }
        // A style never makes a character unreadable: a code the mixtures do not read as its
        // class with READABLE_PROBABILITY is moved back halfway towards where it started, up to
        // READABLE_STEPS times.
        for _ in 0..READABLE_STEPS {
            let probabilities = self.classify(&codes)?;
            let astray: Vec<usize> = (0..classes.len())
                .filter(|&i| probabilities[i * CLASSES + classes[i].index()] < READABLE_PROBABILITY)
                .collect();
            if astray.is_empty() {
                break;
            }
            for i in astray {
                offsets[i * directions..(i + 1) * directions]
                    .iter_mut()
                    .for_each(|o| *o *= 0.5);
                place(&mut codes, &offsets, i);
            }
        }
        Ok(codes)
    }

    /// `image`, read as `from`, written as every class in its style (10 images, 0 to 9): the
    /// class means written in the image's style ([`Generator::write_in_style`]), decoded.
    pub fn restyle(&self, image: &[f32], from: Class) -> Result<Vec<f32>> {
        let style = self.style_of(image, &[from])?;
        let all: Vec<Class> = Class::all().collect();
        self.decode(&self.write_in_style(&style, &all, None)?)
    }

    /// The mean code of `class`.
    pub fn class_mean(&self, class: Class) -> &[f32] {
        &self.stats().classes[class.index()].gaussian.mean
    }

    /// `steps` images along the segment between the class means of `from` and `to`, ends included.
    pub fn interpolate(&self, from: Class, to: Class, steps: usize) -> Result<Vec<f32>> {
        check_count("the number of steps", steps, 2)?;
        self.path(&[from, to], steps - 1)
    }

    /// Frames through the class means of `classes` in order, `steps_per_leg` per leg, the final
    /// mean included: `(classes.len() − 1) · steps_per_leg + 1` images.
    pub fn path(&self, classes: &[Class], steps_per_leg: usize) -> Result<Vec<f32>> {
        if classes.len() < 2 {
            return Err(invalid(format!(
                "a path needs at least 2 classes, got {}",
                classes.len()
            )));
        }
        let stops: Vec<&[f32]> = classes.iter().map(|&d| self.class_mean(d)).collect();
        self.path_through(&stops, steps_per_leg)
    }

    /// Frames from `code` (a visitor's class) through the class means of `classes` in order:
    /// `classes.len() · steps_per_leg + 1` images, `code` first.
    pub fn path_from(
        &self,
        code: &[f32],
        classes: &[Class],
        steps_per_leg: usize,
    ) -> Result<Vec<f32>> {
        check_one_code("the starting code", code)?;
        if classes.is_empty() {
            return Err(invalid(
                "a path from a code needs at least 1 class, got 0".to_string(),
            ));
        }
        let mut stops = vec![code];
        stops.extend(classes.iter().map(|&d| self.class_mean(d)));
        self.path_through(&stops, steps_per_leg)
    }

    /// A looping GIF of the path through `stops` (row-major codes, 32 values each, at least 2),
    /// `steps_per_leg` frames a leg; `labels`, one short label per stop (class numbers, `*`), caption
    /// each frame with its leg ("3>4") in a strip under it. See [`crate::animation`].
    pub fn path_gif(
        &self,
        stops: &[f32],
        steps_per_leg: usize,
        look: GifLook,
        labels: Option<&[String]>,
    ) -> Result<Vec<u8>> {
        check_latents(stops)?;
        let stops: Vec<&[f32]> = stops.chunks_exact(LATENT_DIM).collect();
        if stops.len() < 2 {
            return Err(invalid(format!(
                "a path needs at least 2 stops, got {}",
                stops.len()
            )));
        }
        let frames = self.path_through(&stops, steps_per_leg)?;
        let captions = labels
            .map(|labels| leg_captions(labels, stops.len(), steps_per_leg))
            .transpose()?;
        animated_gif(&frames, look, captions.as_deref()).map_err(invalid)
    }

    /// Frames along the straight legs between consecutive `stops`, the last stop included.
    fn path_through(&self, stops: &[&[f32]], steps_per_leg: usize) -> Result<Vec<f32>> {
        check_count("the steps per leg", steps_per_leg, 1)?;
        let frames = (stops.len() - 1)
            .checked_mul(steps_per_leg)
            .and_then(|f| f.checked_add(1))
            .unwrap_or(usize::MAX);
        if frames > MAX_IMAGES {
            return Err(invalid(format!(
                "a path through {} stops at {steps_per_leg} steps per leg has {frames} frames, \
                 more than the {MAX_IMAGES} one call may produce",
                stops.len()
            )));
        }
        let mut latents = Vec::with_capacity(frames * LATENT_DIM);
        for leg in stops.windows(2) {
            let (a, b) = (leg[0], leg[1]);
            for step in 0..steps_per_leg {
                let t = step as f32 / steps_per_leg as f32;
                latents.extend(a.iter().zip(b).map(|(x, y)| (1.0 - t) * x + t * y));
            }
        }
        latents.extend_from_slice(stops.last().expect("two stops"));
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
        for class in &self.stats().classes {
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
        self.decode(&self.stats().pca.likeliest_code(&self.stats().classes, x, y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::architecture::{DenseLayer, IMAGE_PIXELS};

    fn committed() -> Generator {
        Generator::embedded().expect("the committed model loads")
    }

    /// The committed clothes model, which the page fetches when a visitor switches to it.
    mod fashion {
        pub static DECODER: &[u8] = include_bytes!("../model/fashion/decoder.packed");
        pub static RECORD: &[u8] = include_bytes!("../model/fashion/decoder.bpk");
        pub static STATS: &[u8] = include_bytes!("../model/fashion/latent.bin");
        pub static ENCODER: &[u8] = include_bytes!("../model/fashion/encoder.packed");
    }

    #[test]
    fn each_shipped_decoder_belongs_to_its_statistics() {
        for (shipped, record, stats) in [
            (EMBEDDED_DECODER, DECODER_RECORD, EMBEDDED_STATS),
            (fashion::DECODER, fashion::RECORD, fashion::STATS),
        ] {
            let stats = artifact::decode(stats).unwrap();
            assert_eq!(crc32fast::hash(record), stats.card.records.decoder);
            assert_eq!(
                packed::source_checksum(shipped),
                Ok(stats.card.records.decoder)
            );
            let network = packed::unpack(shipped, true).unwrap();
            assert_eq!(network.shapes(), arch_of(&stats).unwrap().decoder_layers());
        }
        // The embedded generator parses its statistics when first asked.
        assert_eq!(committed().stats().card.dataset, Dataset::Mnist);
    }

    /// The committed model folders' packed networks are what `pack` writes from their records.
    #[cfg(feature = "train")]
    #[test]
    fn each_shipped_network_is_its_record_packed() {
        use crate::train::model_dir::ModelDir;
        let packed_encoder = |folder: &str| std::fs::read(format!("{folder}/encoder.packed"));
        for (folder, decoder) in [
            ("model", EMBEDDED_DECODER),
            ("model/fashion", fashion::DECODER),
        ] {
            let dir = ModelDir::open(std::path::Path::new(folder)).unwrap();
            let repack = format!("run `latent-digits pack --model {folder}`");
            assert!(dir.shipped_decoder().unwrap() == decoder, "{repack}");
            assert!(
                dir.shipped_encoder().unwrap() == packed_encoder(folder).unwrap(),
                "{repack}"
            );
        }
    }

    #[test]
    fn the_record_decodes_as_its_packed_form_does_within_four_bit_rounding() {
        let from_record = Generator::from_bytes(DECODER_RECORD, EMBEDDED_STATS).unwrap();
        let shipped = committed();
        let options = SampleOptions::new(Method::Mixture, 3);
        let codes = shipped.sample_every_class(3, options).unwrap().latents;
        let (a, b) = (
            from_record.decode(&codes).unwrap(),
            shipped.decode(&codes).unwrap(),
        );
        let mean = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32;
        assert!(mean < 0.01, "mean pixel difference {mean}");
    }

    #[test]
    fn one_models_files_do_not_load_with_the_others() {
        let error = Generator::from_bytes(EMBEDDED_DECODER, fashion::STATS)
            .err()
            .unwrap();
        assert!(error.to_string().contains("another model"), "{error}");
        let mut clothes = Generator::from_bytes(fashion::DECODER, fashion::STATS).unwrap();
        let mut digits = committed();
        let error = clothes.load_encoder(include_bytes!("../model/encoder.packed"));
        let error = error.unwrap_err().to_string();
        assert!(
            error.contains("packed encoder") && error.contains("another model"),
            "{error}"
        );
        assert!(!clothes.has_encoder(), "a refused encoder is not kept");
        clothes.load_encoder(fashion::ENCODER).unwrap();
        assert!(digits.load_encoder(fashion::ENCODER).is_err());
        let mut stats = fashion::STATS.to_vec();
        let last = stats.len() - 1;
        stats[last] ^= 1;
        let error = Generator::from_bytes(fashion::DECODER, &stats)
            .err()
            .unwrap();
        assert!(error.to_string().contains("checksum"), "{error}");
    }

    #[test]
    fn same_seed_same_digits_and_pixels_in_range() {
        let g = committed();
        let options = SampleOptions::new(Method::Mixture, 9);
        let six = Class::new(6).unwrap();
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
        // One flipped bit deep in the weights: the packed file's checksum catches it; a record
        // parses, but not as this model's.
        for (decoder, message) in [
            (EMBEDDED_DECODER, "checksum"),
            (DECODER_RECORD, "another model"),
        ] {
            let mut decoder = decoder.to_vec();
            let middle = decoder.len() / 2;
            decoder[middle] ^= 4;
            let error = Generator::from_bytes(&decoder, EMBEDDED_STATS)
                .err()
                .unwrap()
                .to_string();
            assert!(
                error.contains("decoder") && error.contains(message),
                "{error}"
            );
        }
    }

    #[test]
    fn a_network_whose_sums_overflow_is_an_error_not_values_that_are_not_numbers() {
        // Finite weights so large that a sum times its scale overflows: the codes were
        // infinities. (The decoder's sigmoid turned the not-a-numbers that follow into 1 on
        // x86 and kept them in the page's module.)
        let mut g = committed();
        let layer = DenseLayer {
            inputs: IMAGE_PIXELS,
            weight: vec![f32::MAX; IMAGE_PIXELS * LATENT_DIM],
            bias: vec![0.0; LATENT_DIM],
            activation: crate::architecture::Activation::Identity,
        };
        g.encoder = Some(IntegerNetwork::new(&[layer], packed::Precision::WIDE));
        let error = g.encode(&[0.5; IMAGE_PIXELS]).unwrap_err().to_string();
        assert!(
            error.contains("encoder") && error.contains("overflow"),
            "{error}"
        );
    }

    #[test]
    fn argument_checks_say_what_is_wrong() {
        let message = |e: GeneratorError| e.to_string();
        assert_eq!(
            message(Class::new(11).unwrap_err()),
            "a class must be from 0 to 9, got 11"
        );
        assert_eq!(Class::new(9).unwrap().index(), 9);
        let g = committed();
        let options = SampleOptions::new(Method::Gaussian, 0);
        assert_eq!(options.spread, 0.2);
        let seven = Class::new(7).unwrap();
        assert!(
            message(g.sample(seven, 20_000, options).unwrap_err()).contains("number of samples")
        );
        assert!(message(options.with_spread(-1.0).unwrap_err()).contains("spread"));
        assert!(message(options.with_spread(f64::NAN).unwrap_err()).contains("spread"));
        assert!(message(g.decode(&[0.0; 33]).unwrap_err()).contains("codes"));
        assert!(message(g.decode_pca_point(f64::INFINITY, 0.0).unwrap_err()).starts_with("x "));
        assert!(message(g.path(&[seven], 4).unwrap_err()).contains("at least 2 classes"));
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
