//! JavaScript bindings: a thin `Generator` class over [`crate::generator::Generator`]. The
//! bindings only turn JS values into typed Rust values (numbers into whole numbers, arrays into
//! vectors); the core owns every range check, and its errors become JS `Error`s through `?`.
//!
//! The JS API calls a class index `digit` (`sample(digit, n)`, `path(digits, …)`) for the
//! digits it was first written for; for the clothes model the same arguments pick T-shirts,
//! trousers and the rest by their index 0–9 (`info().classNames`).

use js_sys::{Array, Float32Array, Object, Reflect, Uint8Array, Uint8ClampedArray, Uint32Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use crate::animation::GifLook;
use crate::architecture::LATENT_DIM;
use crate::generator::{Class, Generator, SampleOptions};
use crate::latent::style::Style;
use crate::latent::{CLASSES, Method};
use crate::measure::{Measure, Transfer};
use crate::prepare::{self, Layout, Pixels};

// The types of the options and results below (`ModelInfo`, `SampleOptions`, …), which
// wasm-bindgen adds to the module's TypeScript declarations (`pkg/latent_digits.d.ts`).
#[wasm_bindgen(typescript_custom_section)]
const OPTION_AND_RESULT_TYPES: &str = include_str!("web.d.ts");

/// Installs the panic hook so a genuine bug shows a Rust message in the console.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// Largest whole number a JS number holds exactly (2^53 − 1): the largest seed or count.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// A JS number that must be a whole number from 0 to 2^53 − 1.
fn whole_number(name: &str, value: f64) -> Result<u64, JsError> {
    if value.is_finite() && value.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER).contains(&value) {
        Ok(value as u64)
    } else {
        Err(JsError::new(&format!(
            "{name} must be a whole number from 0 to {MAX_SAFE_INTEGER}, got {value}"
        )))
    }
}

/// A JS number used as a count or index; the core checks its range.
fn count(name: &str, value: f64) -> Result<usize, JsError> {
    usize::try_from(whole_number(name, value)?)
        .map_err(|_| JsError::new(&format!("{name} is far too large: {value}")))
}

/// A JS number that must be a class index 0–9; the error names the argument.
fn to_class(name: &str, value: f64) -> Result<Class, JsError> {
    Class::new(count(name, value)?).map_err(|e| JsError::new(&format!("{name}: {e}")))
}

/// The options object of `sample` and `sampleLatents`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct JsSampleOptions {
    method: Option<String>,
    spread: Option<f64>,
    seed: Option<f64>,
}

/// One entry of `styleAxes()`.
#[derive(Serialize)]
struct StyleAxis {
    name: &'static str,
    unit: &'static str,
    sd: f64,
    steerable: bool,
    transfer: &'static str,
}

/// An object of measures by name (`{ slant: 10, thickness: 1 }`), in the order of its keys; an
/// unknown name or a value that is not a number is an error naming it.
fn named_values(what: &str, object: JsValue) -> Result<Vec<(Measure, f64)>, JsError> {
    let values: std::collections::BTreeMap<String, f64> = if object.is_undefined()
        || object.is_null()
    {
        Default::default()
    } else {
        serde_wasm_bindgen::from_value(object)
            .map_err(|e| JsError::new(&format!("{what} must map measure names to numbers: {e}")))?
    };
    values
        .into_iter()
        .map(|(name, value)| {
            let measure = Measure::from_name(&name).ok_or_else(|| {
                let names: Vec<&str> = Measure::ALL.iter().map(|m| m.name()).collect();
                JsError::new(&format!(
                    "{what}: unknown measure {name:?}; the measures are {}",
                    names.join(", ")
                ))
            })?;
            Ok((measure, value))
        })
        .collect()
}

/// The options object of `pathGif`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct JsGifOptions {
    scale: Option<f64>,
    frame_ms: Option<f64>,
    labels: Option<Vec<String>>,
}

/// Parses `sample`'s options; without a method, `default_method`.
fn sample_options(options: JsValue, default_method: Method) -> Result<SampleOptions, JsError> {
    let parsed: JsSampleOptions = if options.is_undefined() || options.is_null() {
        JsSampleOptions::default()
    } else {
        serde_wasm_bindgen::from_value(options)
            .map_err(|e| JsError::new(&format!("options: {e}")))?
    };
    let method = match parsed.method.as_deref() {
        None => default_method,
        Some("gmm") => Method::Mixture,
        Some("gaussian") => Method::Gaussian,
        Some("flow") => Method::Flow,
        Some(other) => {
            return Err(JsError::new(&format!(
                "method must be \"gmm\", \"gaussian\" or \"flow\", got {other:?}"
            )));
        }
    };
    let seed = match parsed.seed {
        Some(seed) => whole_number("seed", seed)?,
        None => random_seed()?,
    };
    let options = SampleOptions::new(method, seed);
    Ok(match parsed.spread {
        Some(spread) => options.with_spread(spread)?,
        None => options,
    })
}

fn random_seed() -> Result<u64, JsError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)
        .map_err(|e| JsError::new(&format!("no random source for a seed: {e}")))?;
    Ok(u64::from_le_bytes(bytes) & (MAX_SAFE_INTEGER as u64))
}

/// Reads a `Float32Array` or an array of numbers.
fn float_values(name: &str, value: &JsValue) -> Result<Vec<f32>, JsError> {
    if let Some(typed) = value.dyn_ref::<Float32Array>() {
        return Ok(typed.to_vec());
    }
    let array = value.dyn_ref::<Array>().ok_or_else(|| {
        JsError::new(&format!(
            "{name} must be a Float32Array or an array of numbers"
        ))
    })?;
    array
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.as_f64()
                .map(|f| f as f32)
                .ok_or_else(|| JsError::new(&format!("{name}[{i}] must be a number")))
        })
        .collect()
}

/// Sets `object[key] = value`.
fn set(object: &Object, key: &str, value: &JsValue) -> Result<(), JsError> {
    Reflect::set(object, &key.into(), value)
        .map(drop)
        .map_err(|_| JsError::new(&format!("cannot set {key}")))
}

/// What `info()` returns.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Info<'a> {
    /// "mnist" or "fashion".
    dataset: &'static str,
    /// What each class is called ("0"–"9", or "T-shirt", "Trouser", …).
    class_names: [&'static str; CLASSES],
    latent_dim: usize,
    classes: usize,
    components: Vec<usize>,
    architecture: String,
    default_spread: DefaultSpread,
    methods: Vec<&'static str>,
    default_method: &'static str,
    max_images: usize,
    metrics: Metrics<'a>,
    /// The command lines that reproduce the model, in order.
    train_commands: Vec<&'a str>,
    version: &'static str,
    format_version: u32,
}

/// The covariance scale each method samples with unless told otherwise, as the decimals they
/// are written as (a widened `f32` would reach JS as 0.8500000238418579).
#[derive(Serialize)]
struct DefaultSpread {
    gmm: f64,
    gaussian: f64,
    flow: f64,
}

/// A method's name in JS.
fn method_name(method: Method) -> &'static str {
    match method {
        Method::Mixture => "gmm",
        Method::Gaussian => "gaussian",
        Method::Flow => "flow",
    }
}

/// The shortest decimal that reads back as `value`, as a JS number.
fn as_decimal(value: f32) -> f64 {
    value.to_string().parse().unwrap_or(f64::from(value))
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
    #[serde(skip_serializing_if = "Option::is_none")]
    test_log_likelihood_flow: Option<&'a [f32]>,
    /// `[accuracy, Fréchet distance, diversity, memorisation]` of each evaluated set.
    #[serde(skip_serializing_if = "Option::is_none")]
    mixture_samples: Option<[f32; 4]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gaussian_samples: Option<[f32; 4]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    flow_samples: Option<[f32; 4]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reconstructions: Option<[f32; 4]>,
    /// How the page reads a visitor's image (`classify`, `restyle`), measured on the test images.
    #[serde(skip_serializing_if = "Option::is_none")]
    reading: Option<Reading>,
}

/// [`crate::artifact::ReadingScores`] for JS.
#[derive(Serialize)]
struct Reading {
    /// Share of the test images `classify` reads right.
    accuracy: f32,
    /// For each class d, the share of restyled test images read as d.
    restyle: [f32; CLASSES],
}

fn quality_row(scores: &crate::artifact::QualityScores) -> [f32; 4] {
    [
        scores.accuracy,
        scores.frechet,
        scores.diversity,
        scores.memorisation,
    ]
}

/// Generates digits (the embedded model) or the images of another model loaded from its bytes.
#[wasm_bindgen(js_name = Generator)]
pub struct JsGenerator {
    inner: Generator,
}

#[wasm_bindgen(js_class = Generator)]
impl JsGenerator {
    /// The generator of the embedded model, its kernel warmed up
    /// ([`Generator::warm_up`]); throws if the model is corrupt.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Result<JsGenerator, JsError> {
        let inner = Generator::embedded()?;
        inner.warm_up();
        Ok(Self { inner })
    }

    /// The generator of another model (the page's clothes): its decoder (`decoder.packed`) and
    /// the statistics fitted to it (`latent.bin`); throws if either is corrupt or they belong to
    /// different models.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(decoder: &[u8], stats: &[u8]) -> Result<JsGenerator, JsError> {
        let inner = Generator::from_bytes(decoder, stats)?;
        inner.warm_up();
        Ok(Self { inner })
    }

    /// The model card: data set, class names, sizes, components per class, metrics, training command.
    #[wasm_bindgen(unchecked_return_type = "ModelInfo")]
    pub fn info(&self) -> Result<JsValue, JsError> {
        let stats = self.inner.stats();
        let card = &stats.card;
        let arch =
            crate::architecture::Arch::from_layers(card.arch_layers).expect("validated at load");
        let widths: Vec<String> = arch
            .encoder_widths()
            .iter()
            .chain(&arch.decoder_widths()[1..])
            .map(usize::to_string)
            .collect();
        let info = Info {
            dataset: card.dataset.name(),
            class_names: card.dataset.class_names(),
            latent_dim: LATENT_DIM,
            classes: CLASSES,
            components: stats
                .classes
                .iter()
                .map(|c| c.mixture.weights.len())
                .collect(),
            architecture: widths.join("-"),
            default_spread: DefaultSpread {
                gmm: as_decimal(Method::Mixture.default_spread()),
                gaussian: as_decimal(Method::Gaussian.default_spread()),
                flow: as_decimal(Method::Flow.default_spread()),
            },
            methods: self.inner.methods().into_iter().map(method_name).collect(),
            default_method: method_name(self.inner.default_method()),
            max_images: crate::generator::MAX_IMAGES,
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
                test_log_likelihood_flow: stats.flow.as_ref().map(|f| &f.test_log_likelihood[..]),
                flow_samples: stats
                    .flow
                    .as_ref()
                    .and_then(|f| f.samples.as_ref())
                    .map(quality_row),
                reconstructions: card.sample_quality.map(|q| quality_row(&q.reconstructions)),
                reading: card.reading.map(|r| Reading {
                    accuracy: r.accuracy,
                    restyle: r.restyle,
                }),
            },
            train_commands: card.train_command.lines().collect(),
            version: env!("CARGO_PKG_VERSION"),
            format_version: crate::artifact::FORMAT_VERSION,
        };
        Ok(info.serialize(&serde_wasm_bindgen::Serializer::json_compatible())?)
    }

    /// `n` decoded samples of `digit`, `n × 784` pixels.
    pub fn sample(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ClassIndex")] digit: f64,
        n: f64,
        #[wasm_bindgen(unchecked_optional_param_type = "SampleOptions")] options: JsValue,
    ) -> Result<Vec<f32>, JsError> {
        let (digit, n, options) = sample_args(digit, n, options, self.inner.default_method())?;
        Ok(self.inner.sample(digit, n, options)?)
    }

    /// `{ latents, components }`: the codes `sample` decodes (`n × 32` values) and the mixture
    /// component each was drawn from (0 for the single Gaussian).
    #[wasm_bindgen(js_name = sampleLatents, unchecked_return_type = "SampledLatents")]
    pub fn sample_latents(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ClassIndex")] digit: f64,
        n: f64,
        #[wasm_bindgen(unchecked_optional_param_type = "SampleOptions")] options: JsValue,
    ) -> Result<Object, JsError> {
        let (digit, n, options) = sample_args(digit, n, options, self.inner.default_method())?;
        let samples = self.inner.sample_latents(digit, n, options)?;
        let object = Object::new();
        set(
            &object,
            "latents",
            &Float32Array::from(&samples.latents[..]),
        )?;
        set(
            &object,
            "components",
            &Uint32Array::from(&samples.components[..]),
        )?;
        Ok(object)
    }

    /// Decodes `k × 32` codes into `k × 784` pixels.
    pub fn decode(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Floats")] latents: JsValue,
    ) -> Result<Vec<f32>, JsError> {
        Ok(self.inner.decode(&float_values("latents", &latents)?)?)
    }

    /// The mean code of `digit`.
    #[wasm_bindgen(js_name = classMean)]
    pub fn class_mean(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ClassIndex")] digit: f64,
    ) -> Result<Vec<f32>, JsError> {
        Ok(self.inner.class_mean(to_class("digit", digit)?).to_vec())
    }

    /// `steps` images from the mean of `from` to the mean of `to`, ends included.
    pub fn interpolate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ClassIndex")] from: f64,
        #[wasm_bindgen(unchecked_param_type = "ClassIndex")] to: f64,
        steps: f64,
    ) -> Result<Vec<f32>, JsError> {
        let (from, to) = (to_class("from", from)?, to_class("to", to)?);
        Ok(self.inner.interpolate(from, to, count("steps", steps)?)?)
    }

    /// Frames through the class means of `digits`: `(digits.length − 1) · stepsPerLeg + 1` images.
    pub fn path(
        &self,
        #[wasm_bindgen(unchecked_param_type = "readonly ClassIndex[]")] digits: JsValue,
        #[wasm_bindgen(js_name = stepsPerLeg)] steps_per_leg: f64,
    ) -> Result<Vec<f32>, JsError> {
        let digits = class_list(&digits)?;
        Ok(self
            .inner
            .path(&digits, count("stepsPerLeg", steps_per_leg)?)?)
    }

    /// Frames from `latent` (32 values) through the class means of `digits`:
    /// `digits.length · stepsPerLeg + 1` images, `latent` decoded first.
    #[wasm_bindgen(js_name = pathFrom)]
    pub fn path_from(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Floats")] latent: JsValue,
        #[wasm_bindgen(unchecked_param_type = "readonly ClassIndex[]")] digits: JsValue,
        #[wasm_bindgen(js_name = stepsPerLeg)] steps_per_leg: f64,
    ) -> Result<Vec<f32>, JsError> {
        let latent = float_values("latent", &latent)?;
        let digits = class_list(&digits)?;
        let steps_per_leg = count("stepsPerLeg", steps_per_leg)?;
        Ok(self.inner.path_from(&latent, &digits, steps_per_leg)?)
    }

    /// An image of any size and colours (`pixels`: RGBA bytes, a `Uint8ClampedArray` as canvas
    /// `ImageData` holds them, or one grey value in [0, 1] per pixel, a `Float32Array`) prepared
    /// as the model's data set prepared its images (MNIST's digits or Fashion-MNIST's clothes):
    /// 784 pixels, light ink on black. An image without ink gives zeros.
    pub fn prepare(
        &self,
        #[wasm_bindgen(unchecked_param_type = "AnyPixels")] pixels: JsValue,
        width: f64,
        height: f64,
    ) -> Result<Vec<f32>, JsError> {
        let (width, height) = (count("width", width)?, count("height", height)?);
        let layout = Layout::of(self.inner.dataset());
        let prepared = if let Some(rgba) = pixels.dyn_ref::<Uint8ClampedArray>() {
            prepare::prepare(Pixels::Rgba(&rgba.to_vec()), width, height, layout)
        } else if let Some(rgba) = pixels.dyn_ref::<Uint8Array>() {
            prepare::prepare(Pixels::Rgba(&rgba.to_vec()), width, height, layout)
        } else if let Some(grey) = pixels.dyn_ref::<Float32Array>() {
            prepare::prepare(Pixels::Grey(&grey.to_vec()), width, height, layout)
        } else {
            return Err(JsError::new(
                "pixels must be a Uint8ClampedArray of RGBA bytes or a Float32Array of grey values",
            ));
        };
        Ok(prepared?)
    }

    /// Loads the encoder from the bytes of `encoder.packed`; `encode` needs it.
    /// Throws if the bytes are not the encoder of this model (the generator keeps working).
    #[wasm_bindgen(js_name = loadEncoder)]
    pub fn load_encoder(&mut self, encoder: &[u8]) -> Result<(), JsError> {
        Ok(self.inner.load_encoder(encoder)?)
    }

    /// Whether `loadEncoder` has succeeded.
    #[wasm_bindgen(getter, js_name = hasEncoder)]
    pub fn has_encoder(&self) -> bool {
        self.inner.has_encoder()
    }

    /// Loads the normalizing flow from the bytes of `flow.bin`; sampling with `method: "flow"`
    /// needs it. Throws if the bytes are not this model's flow (the generator keeps working).
    #[wasm_bindgen(js_name = loadFlow)]
    pub fn load_flow(&mut self, flow: &[u8]) -> Result<(), JsError> {
        Ok(self.inner.load_flow(flow)?)
    }

    /// Whether `loadFlow` has succeeded.
    #[wasm_bindgen(getter, js_name = hasFlow)]
    pub fn has_flow(&self) -> bool {
        self.inner.has_flow()
    }

    /// Encodes `k × 784` prepared pixels in [0, 1] into `k × 32` codes.
    pub fn encode(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Floats")] images: JsValue,
    ) -> Result<Vec<f32>, JsError> {
        Ok(self.inner.encode(&float_values("images", &images)?)?)
    }

    /// For `k × 32` codes, `k × 10` class probabilities (each row sums to 1).
    pub fn classify(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Floats")] latents: JsValue,
    ) -> Result<Vec<f32>, JsError> {
        Ok(self.inner.classify(&float_values("latents", &latents)?)?)
    }

    /// For `k × 32` codes, `k × 2` coordinates on the plane of the first two principal components
    /// (the points of `pca()`).
    pub fn project(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Floats")] latents: JsValue,
    ) -> Result<Vec<f32>, JsError> {
        Ok(self.inner.project(&float_values("latents", &latents)?)?)
    }

    /// `image` (784 pixels, prepared), read as `fromDigit`, written as every class in its
    /// measured style (`styleOf`, then `writeInStyle` from the class means): `10 × 784` pixels.
    pub fn restyle(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Floats")] image: JsValue,
        #[wasm_bindgen(js_name = fromDigit, unchecked_param_type = "ClassIndex")] from_digit: f64,
    ) -> Result<Vec<f32>, JsError> {
        let image = float_values("image", &image)?;
        Ok(self
            .inner
            .restyle(&image, to_class("fromDigit", from_digit)?)?)
    }

    /// The measures `measure` returns, in its order: `[{ name, unit, sd, steerable, transfer }]`.
    /// `sd` is the measure's spread between images of one class over the training set (pooled
    /// over the classes); `steerable` whether `moveStyle` and `writeInStyle` set it; `transfer`
    /// how a style carries it to other classes: "absolute" in its unit, "relative" in standard
    /// deviations of the class.
    #[wasm_bindgen(js_name = styleAxes, unchecked_return_type = "StyleAxis[]")]
    pub fn style_axes(&self) -> Result<JsValue, JsError> {
        let style = self.inner.style()?;
        let axes: Vec<StyleAxis> = Measure::ALL
            .iter()
            .map(|&m| StyleAxis {
                name: m.name(),
                unit: m.unit(),
                sd: as_decimal(style.spreads[m.index()]),
                steerable: style.direction_of(m).is_some(),
                transfer: match m.transfer() {
                    Transfer::Absolute => "absolute",
                    Transfer::Relative => "relative",
                },
            })
            .collect();
        Ok(axes.serialize(&serde_wasm_bindgen::Serializer::json_compatible())?)
    }

    /// The measures of `n × 784` pixels (slant in degrees, thickness, width and height in
    /// pixels, ink in pixels of full ink): `n × 5` values, rows in the order of `styleAxes()`.
    pub fn measure(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Floats")] images: JsValue,
    ) -> Result<Vec<f32>, JsError> {
        Ok(self.inner.measure(&float_values("images", &images)?)?)
    }

    /// `codes` (`n × 32`) of class `digit` moved so that their decoded images change by about
    /// the amounts of `moves` (`{ slant: 10, thickness: 1 }`, in the axes' units); only steerable
    /// axes.
    #[wasm_bindgen(js_name = moveStyle)]
    pub fn move_style(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Floats")] codes: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ClassIndex")] digit: f64,
        #[wasm_bindgen(unchecked_param_type = "MeasureValues")] moves: JsValue,
    ) -> Result<Vec<f32>, JsError> {
        let codes = float_values("codes", &codes)?;
        let class = to_class("digit", digit)?;
        let moves: Vec<(Measure, f64)> = named_values("moves", moves)?.into_iter().collect();
        Ok(self.inner.move_style(&codes, class, &moves)?)
    }

    /// The style of `n × 784` pixels (prepared images), each of the class beside it in
    /// `digits`: `{ slant, thickness, width, height }` for the digits (`{ width, height, ink }`
    /// for clothes), absolute axes in their units, relative ones in standard deviations of the
    /// class.
    #[wasm_bindgen(js_name = styleOf, unchecked_return_type = "MeasureValues")]
    pub fn style_of(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Floats")] images: JsValue,
        #[wasm_bindgen(unchecked_param_type = "readonly ClassIndex[]")] digits: JsValue,
    ) -> Result<Object, JsError> {
        let images = float_values("images", &images)?;
        let style = self.inner.style_of(&images, &class_list(&digits)?)?;
        let object = Object::new();
        for (measure, value) in Measure::ALL.iter().zip(style.0) {
            if let Some(value) = value {
                set(&object, measure.name(), &JsValue::from(as_decimal(value)))?;
            }
        }
        Ok(object)
    }

    /// A code for each of `digits` written in `style` (as `styleOf` gives it; missing axes are
    /// left as the code has them): `digits.length × 32` values. Options: `seed`, for a fresh
    /// sample of each character (the same style, seed and digits give the same codes); without
    /// it, the class means.
    #[wasm_bindgen(js_name = writeInStyle)]
    pub fn write_in_style(
        &self,
        #[wasm_bindgen(unchecked_param_type = "MeasureValues")] style: JsValue,
        #[wasm_bindgen(unchecked_param_type = "readonly ClassIndex[]")] digits: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WriteOptions")] options: JsValue,
    ) -> Result<Vec<f32>, JsError> {
        let mut written = Style::default();
        for (measure, value) in named_values("style", style)? {
            written.0[measure.index()] = Some(value as f32);
        }
        let digits = class_list(&digits)?;
        let options: std::collections::BTreeMap<String, f64> =
            if options.is_undefined() || options.is_null() {
                Default::default()
            } else {
                serde_wasm_bindgen::from_value(options)
                    .map_err(|e| JsError::new(&format!("options: {e}")))?
            };
        if let Some(unknown) = options.keys().find(|k| *k != "seed") {
            return Err(JsError::new(&format!(
                "options: unknown option {unknown:?}; the only option is seed"
            )));
        }
        let seed = options
            .get("seed")
            .map(|&s| whole_number("seed", s))
            .transpose()?;
        Ok(self.inner.write_in_style(&written, &digits, seed)?)
    }

    /// A looping GIF (its bytes) of the path through `stops` (`n × 32` codes, n ≥ 2),
    /// `stepsPerLeg` frames a leg. Options: `scale` (1–10, default 4), `frameMs` (20–10000,
    /// default 40) and `labels` (one per stop: digits or `*`) for a strip naming each leg.
    #[wasm_bindgen(js_name = pathGif)]
    pub fn path_gif(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Floats")] stops: JsValue,
        #[wasm_bindgen(js_name = stepsPerLeg)] steps_per_leg: f64,
        #[wasm_bindgen(unchecked_optional_param_type = "GifOptions")] options: JsValue,
    ) -> Result<Vec<u8>, JsError> {
        let parsed: JsGifOptions = if options.is_undefined() || options.is_null() {
            JsGifOptions::default()
        } else {
            serde_wasm_bindgen::from_value(options)
                .map_err(|e| JsError::new(&format!("options: {e}")))?
        };
        let look = GifLook {
            scale: count("scale", parsed.scale.unwrap_or(4.0))?,
            frame_ms: whole_number("frameMs", parsed.frame_ms.unwrap_or(40.0))?,
        };
        let stops = float_values("stops", &stops)?;
        let steps_per_leg = count("stepsPerLeg", steps_per_leg)?;
        Ok(self
            .inner
            .path_gif(&stops, steps_per_leg, look, parsed.labels.as_deref())?)
    }

    /// The 32 unit codes times `scale`, decoded.
    #[wasm_bindgen(js_name = basisVectors)]
    pub fn basis_vectors(&self, scale: f64) -> Result<Vec<f32>, JsError> {
        Ok(self.inner.basis_vectors(scale)?)
    }

    /// Each class mean keeping only its `nonzeros` largest entries, decoded.
    #[wasm_bindgen(js_name = sparseMeans)]
    pub fn sparse_means(&self, nonzeros: f64) -> Result<Vec<f32>, JsError> {
        Ok(self.inner.sparse_means(count("nonzeros", nonzeros)?)?)
    }

    /// `{ eigenvalues, points, labels }`: the PCA spectrum and the 2-D projections of test codes.
    #[wasm_bindgen(unchecked_return_type = "Pca")]
    pub fn pca(&self) -> Result<Object, JsError> {
        let pca = &self.inner.stats().pca;
        let object = Object::new();
        set(
            &object,
            "eigenvalues",
            &Float32Array::from(&pca.eigenvalues[..]),
        )?;
        set(&object, "points", &Float32Array::from(&pca.points[..]))?;
        set(&object, "labels", &Uint8Array::from(&pca.labels[..]))?;
        Ok(object)
    }

    /// Decodes the most likely code at the point `(x, y)` of the plane of the first two
    /// principal components.
    #[wasm_bindgen(js_name = decodePcaPoint)]
    pub fn decode_pca_point(&self, x: f64, y: f64) -> Result<Vec<f32>, JsError> {
        Ok(self.inner.decode_pca_point(x, y)?)
    }
}

/// An array of class indices 0–9.
fn class_list(digits: &JsValue) -> Result<Vec<Class>, JsError> {
    let array = digits
        .dyn_ref::<Array>()
        .ok_or_else(|| JsError::new("digits must be an array of class indices 0–9"))?;
    array
        .iter()
        .enumerate()
        .map(|(i, d)| to_class(&format!("digits[{i}]"), d.as_f64().unwrap_or(f64::NAN)))
        .collect()
}

fn sample_args(
    digit: f64,
    n: f64,
    options: JsValue,
    default_method: Method,
) -> Result<(Class, usize, SampleOptions), JsError> {
    Ok((
        to_class("digit", digit)?,
        count("n", n)?,
        sample_options(options, default_method)?,
    ))
}
