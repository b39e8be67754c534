//! Helpers shared by the integration tests (`mod common;` in each): the committed models' files,
//! reading `.npy` fixtures, and the checks several tests make.
#![allow(dead_code)] // Each test file uses its own part.

pub use latent_digits::architecture::{IMAGE_PIXELS as PIXELS, LATENT_DIM as LATENT};

/// Per-class mean training images of the digits (10 × 784 bytes), written by `latent-digits fit`.
pub static MEAN_IMAGES: &[u8] = include_bytes!("../../model/mean_images.bin");
/// The page's 8-bit encoder of the digits, written by `latent-digits fit`.
pub static ENCODER: &[u8] = include_bytes!("../../model/encoder.packed");
/// The digits' normalizing flow, written by `latent-digits fit-flow`.
pub static FLOW: &[u8] = include_bytes!("../../model/flow.bin");

/// The committed clothes model's files, as the page fetches them.
pub mod fashion {
    pub static DECODER: &[u8] = include_bytes!("../../model/fashion/decoder.packed");
    pub static STATS: &[u8] = include_bytes!("../../model/fashion/latent.bin");
    pub static ENCODER: &[u8] = include_bytes!("../../model/fashion/encoder.packed");
    pub static FLOW: &[u8] = include_bytes!("../../model/fashion/flow.bin");
    pub static MEAN_IMAGES: &[u8] = include_bytes!("../../model/fashion/mean_images.bin");
}

/// The `f32` values of an `.npy` file.
pub fn npy_values(bytes: &[u8]) -> Vec<f32> {
    npyz::NpyFile::new(bytes)
        .expect("an .npy file")
        .into_vec()
        .expect("f32 values")
}

/// The index of the largest value.
pub fn argmax(row: &[f32]) -> usize {
    (0..row.len())
        .max_by(|&a, &b| row[a].total_cmp(&row[b]))
        .expect("a non-empty row")
}

/// The class whose mean image (`mean_images`: 10 × 784 bytes, as `fit` writes them) lies
/// nearest, by summed squared distance, to the row-major `images`.
pub fn nearest_mean_image(images: &[f32], mean_images: &[u8]) -> usize {
    let distance = |mean: &[u8]| -> f32 {
        images
            .chunks(PIXELS)
            .flat_map(|image| {
                image
                    .iter()
                    .zip(mean)
                    .map(|(&a, &b)| (a - f32::from(b) / 255.0).powi(2))
            })
            .sum()
    };
    let distances: Vec<f32> = mean_images.chunks(PIXELS).map(distance).collect();
    (0..distances.len())
        .min_by(|&a, &b| distances[a].total_cmp(&distances[b]))
        .expect("ten mean images")
}

/// The message of the JS `Error` a binding threw.
#[cfg(target_arch = "wasm32")]
pub fn error_message(result: Result<impl Sized, wasm_bindgen::JsError>) -> String {
    use wasm_bindgen::{JsCast, JsValue};
    let error = JsValue::from(result.err().expect("the call should throw"));
    let error: js_sys::Error = error.dyn_into().expect("a JS Error is thrown");
    error.message().into()
}

/// The embedded model's generator with the committed encoder loaded: one that reads drawings.
#[cfg(target_arch = "wasm32")]
pub fn reader() -> latent_digits::web::JsGenerator {
    let mut g = latent_digits::web::JsGenerator::new().expect("the embedded model loads");
    g.load_encoder(ENCODER)
        .expect("the committed encoder loads");
    g
}

/// `values` as a JS `Float32Array`.
#[cfg(target_arch = "wasm32")]
pub fn floats(values: &[f32]) -> wasm_bindgen::JsValue {
    js_sys::Float32Array::from(values).into()
}
