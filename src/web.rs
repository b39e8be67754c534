//! JavaScript bindings: a thin `Generator` class that checks arguments, calls
//! [`crate::generator::Generator`], and returns typed arrays or throws a JS `Error`.

use js_sys::{Array, Float32Array, Object, Reflect, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use crate::generator::{
    self as core, SampleOptions, digit_arg, finite_arg, integer_arg, method_arg,
};
use crate::latent::{CLASSES, Method};
use crate::model::LATENT_DIM;

/// Installs the panic hook so a genuine bug shows a Rust message in the console.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

fn js_error(message: impl std::fmt::Display) -> JsValue {
    js_sys::Error::new(&message.to_string()).into()
}

/// Largest seed a JS number holds exactly (2^53 − 1).
const MAX_SEED: f64 = 9_007_199_254_740_991.0;

/// The options object of `sample`, `sampleLatents` and `sampleComponents`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct JsSampleOptions {
    method: Option<String>,
    spread: Option<f64>,
    seed: Option<f64>,
}

fn sample_options(options: JsValue) -> Result<SampleOptions, JsValue> {
    let parsed: JsSampleOptions = if options.is_undefined() || options.is_null() {
        JsSampleOptions::default()
    } else {
        serde_wasm_bindgen::from_value(options).map_err(|e| js_error(format!("options: {e}")))?
    };
    let method = parsed
        .method
        .as_deref()
        .map_or(Ok(Method::Mixture), method_arg)
        .map_err(js_error)?;
    let seed = match parsed.seed {
        Some(seed) => integer_arg("seed", seed, 0, MAX_SEED as usize).map_err(js_error)? as u64,
        None => random_seed()?,
    };
    let options = SampleOptions::new(method, seed);
    match parsed.spread {
        Some(spread) => options.with_spread(spread).map_err(js_error),
        None => Ok(options),
    }
}

fn random_seed() -> Result<u64, JsValue> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)
        .map_err(|e| js_error(format!("no random source for a seed: {e}")))?;
    Ok(u64::from_le_bytes(bytes) & (MAX_SEED as u64))
}

/// Reads a `Float32Array` or an array of numbers.
fn float_values(name: &str, value: &JsValue) -> Result<Vec<f32>, JsValue> {
    if let Some(typed) = value.dyn_ref::<Float32Array>() {
        return Ok(typed.to_vec());
    }
    let array = value.dyn_ref::<Array>().ok_or_else(|| {
        js_error(format!(
            "{name} must be a Float32Array or an array of numbers"
        ))
    })?;
    array
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.as_f64()
                .map(|f| f as f32)
                .ok_or_else(|| js_error(format!("{name}[{i}] must be a number")))
        })
        .collect()
}

/// What `info()` returns.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Info<'a> {
    dataset: &'a str,
    latent_dim: usize,
    classes: usize,
    components: Vec<usize>,
    architecture: String,
    metrics: Metrics<'a>,
    train_command: &'a str,
    version: &'static str,
    format_version: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Metrics<'a> {
    test_bce: f32,
    test_mse: f32,
    train_bce: f32,
    train_mse: f32,
    epochs: u32,
    seed: u64,
    test_log_likelihood_mixture: &'a [f32],
    test_log_likelihood_gaussian: &'a [f32],
    /// `[accuracy, Fréchet distance, diversity, memorisation]` of each evaluated set.
    #[serde(skip_serializing_if = "Option::is_none")]
    mixture_samples: Option<[f32; 4]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gaussian_samples: Option<[f32; 4]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reconstructions: Option<[f32; 4]>,
}

fn quality_row(scores: &crate::artifact::QualityScores) -> [f32; 4] {
    [
        scores.accuracy,
        scores.frechet,
        scores.diversity,
        scores.memorisation,
    ]
}

/// Generates digits from the embedded model.
#[wasm_bindgen(js_name = Generator)]
pub struct JsGenerator {
    inner: core::Generator,
}

#[wasm_bindgen(js_class = Generator)]
impl JsGenerator {
    /// Parses the embedded decoder and statistics; throws if they are corrupt.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Result<JsGenerator, JsValue> {
        core::Generator::embedded()
            .map(|inner| Self { inner })
            .map_err(js_error)
    }

    /// The model card: data set, sizes, components per digit, metrics, training command.
    pub fn info(&self) -> Result<JsValue, JsValue> {
        let stats = self.inner.stats();
        let card = &stats.card;
        let arch = crate::model::Arch::from_layers(card.arch_layers).expect("validated at load");
        let widths: Vec<String> = arch
            .encoder_widths()
            .iter()
            .chain(&arch.decoder_widths()[1..])
            .map(usize::to_string)
            .collect();
        let info = Info {
            dataset: &card.dataset,
            latent_dim: LATENT_DIM,
            classes: CLASSES,
            components: stats
                .classes
                .iter()
                .map(|c| c.mixture.weights.len())
                .collect(),
            architecture: widths.join("-"),
            metrics: Metrics {
                test_bce: card.test_bce,
                test_mse: card.test_mse,
                train_bce: card.train_bce,
                train_mse: card.train_mse,
                epochs: card.epochs,
                seed: card.seed,
                test_log_likelihood_mixture: &card.test_log_likelihood_mixture,
                test_log_likelihood_gaussian: &card.test_log_likelihood_gaussian,
                mixture_samples: card.sample_quality.map(|q| quality_row(&q.mixture)),
                gaussian_samples: card.sample_quality.map(|q| quality_row(&q.gaussian)),
                reconstructions: card.sample_quality.map(|q| quality_row(&q.reconstructions)),
            },
            train_command: &card.train_command,
            version: env!("CARGO_PKG_VERSION"),
            format_version: crate::artifact::FORMAT_VERSION,
        };
        info.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .map_err(js_error)
    }

    /// `n` decoded samples of `digit`, `n × 784` pixels.
    pub fn sample(&self, digit: f64, n: f64, options: JsValue) -> Result<Vec<f32>, JsValue> {
        let (digit, n, options) = sample_args(digit, n, options)?;
        self.inner.sample(digit, n, options).map_err(js_error)
    }

    /// The codes `sample` decodes, `n × 32` values.
    #[wasm_bindgen(js_name = sampleLatents)]
    pub fn sample_latents(
        &self,
        digit: f64,
        n: f64,
        options: JsValue,
    ) -> Result<Vec<f32>, JsValue> {
        let (digit, n, options) = sample_args(digit, n, options)?;
        Ok(self
            .inner
            .sample_latents(digit, n, options)
            .map_err(js_error)?
            .latents)
    }

    /// The mixture component of each sample (0 for the single Gaussian).
    #[wasm_bindgen(js_name = sampleComponents)]
    pub fn sample_components(
        &self,
        digit: f64,
        n: f64,
        options: JsValue,
    ) -> Result<Vec<u32>, JsValue> {
        let (digit, n, options) = sample_args(digit, n, options)?;
        Ok(self
            .inner
            .sample_latents(digit, n, options)
            .map_err(js_error)?
            .components)
    }

    /// Decodes `k × 32` codes into `k × 784` pixels.
    pub fn decode(&self, latents: JsValue) -> Result<Vec<f32>, JsValue> {
        self.inner
            .decode(&float_values("latents", &latents)?)
            .map_err(js_error)
    }

    /// The mean code of `digit`.
    #[wasm_bindgen(js_name = classMean)]
    pub fn class_mean(&self, digit: f64) -> Result<Vec<f32>, JsValue> {
        let digit = digit_arg("digit", digit).map_err(js_error)?;
        self.inner
            .class_mean(digit)
            .map(<[f32]>::to_vec)
            .map_err(js_error)
    }

    /// `steps` images from the mean of `from` to the mean of `to`, ends included.
    pub fn interpolate(&self, from: f64, to: f64, steps: f64) -> Result<Vec<f32>, JsValue> {
        let from = digit_arg("from", from).map_err(js_error)?;
        let to = digit_arg("to", to).map_err(js_error)?;
        let steps = integer_arg("steps", steps, 2, core::MAX_IMAGES).map_err(js_error)?;
        self.inner.interpolate(from, to, steps).map_err(js_error)
    }

    /// Frames through the class means of `digits`: `(digits.length − 1) · stepsPerLeg + 1` images.
    pub fn path(
        &self,
        digits: JsValue,
        #[wasm_bindgen(js_name = stepsPerLeg)] steps_per_leg: f64,
    ) -> Result<Vec<f32>, JsValue> {
        let array = digits
            .dyn_ref::<Array>()
            .ok_or_else(|| js_error("digits must be an array of digits 0–9"))?;
        let digits = array
            .iter()
            .enumerate()
            .map(|(i, d)| digit_arg(&format!("digits[{i}]"), d.as_f64().unwrap_or(f64::NAN)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(js_error)?;
        let steps_per_leg =
            integer_arg("stepsPerLeg", steps_per_leg, 1, core::MAX_IMAGES).map_err(js_error)?;
        self.inner.path(&digits, steps_per_leg).map_err(js_error)
    }

    /// The 32 unit codes times `scale`, decoded.
    #[wasm_bindgen(js_name = basisVectors)]
    pub fn basis_vectors(&self, scale: f64) -> Result<Vec<f32>, JsValue> {
        self.inner
            .basis_vectors(finite_arg("scale", scale).map_err(js_error)?)
            .map_err(js_error)
    }

    /// Each class mean keeping only its `nonzeros` largest entries, decoded.
    #[wasm_bindgen(js_name = sparseMeans)]
    pub fn sparse_means(&self, nonzeros: f64) -> Result<Vec<f32>, JsValue> {
        let nonzeros = integer_arg("nonzeros", nonzeros, 1, LATENT_DIM).map_err(js_error)?;
        self.inner.sparse_means(nonzeros).map_err(js_error)
    }

    /// `{ eigenvalues, points, labels }`: the PCA spectrum and the 2-D projections of test codes.
    pub fn pca(&self) -> Result<JsValue, JsValue> {
        let pca = &self.inner.stats().pca;
        let object = Object::new();
        Reflect::set(
            &object,
            &"eigenvalues".into(),
            &Float32Array::from(&pca.eigenvalues[..]),
        )?;
        Reflect::set(
            &object,
            &"points".into(),
            &Float32Array::from(&pca.points[..]),
        )?;
        Reflect::set(
            &object,
            &"labels".into(),
            &Uint8Array::from(&pca.labels[..]),
        )?;
        Ok(object.into())
    }

    /// Decodes the point `(x, y)` of the plane of the first two principal components.
    #[wasm_bindgen(js_name = decodePcaPoint)]
    pub fn decode_pca_point(&self, x: f64, y: f64) -> Result<Vec<f32>, JsValue> {
        let x = finite_arg("x", x).map_err(js_error)?;
        let y = finite_arg("y", y).map_err(js_error)?;
        self.inner.decode_pca_point(x, y).map_err(js_error)
    }
}

fn sample_args(
    digit: f64,
    n: f64,
    options: JsValue,
) -> Result<(usize, usize, SampleOptions), JsValue> {
    let digit = digit_arg("digit", digit).map_err(js_error)?;
    let n = integer_arg("n", n, 1, core::MAX_IMAGES).map_err(js_error)?;
    Ok((digit, n, sample_options(options)?))
}
