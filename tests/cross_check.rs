//! The wasm `sampleLatents` draws exactly the latents of the native `latent-digits sample` with
//! the same seed, method and spread, and the wasm `sample` (SIMD integer kernel) draws the same
//! pixels as the native one (portable kernel). `./build.sh test` writes the native files first:
//! `latent-digits sample --method gmm --spread 0.7 --per-class 3 --seed 2024 --out
//! target/cross-check/images.npy --latents-out target/cross-check/latents.npy …`.
#![cfg(target_arch = "wasm32")]

use js_sys::{Object, Reflect};
use latent_digits::web::JsGenerator;
use wasm_bindgen_test::wasm_bindgen_test;

static NATIVE_LATENTS: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/target/cross-check/latents.npy"
));
static NATIVE_IMAGES: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/target/cross-check/images.npy"
));

/// The `f32` values of a version-1 `.npy` file.
fn npy_values(bytes: &[u8]) -> Vec<f32> {
    assert_eq!(&bytes[..6], b"\x93NUMPY", "not an .npy file");
    let header_len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
    let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
    assert!(
        header.contains("'<f4'"),
        "expected little-endian f32, header {header}"
    );
    bytes[10 + header_len..]
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn native_options() -> Object {
    let options = Object::new();
    Reflect::set(&options, &"method".into(), &"gmm".into()).unwrap();
    Reflect::set(&options, &"spread".into(), &0.7.into()).unwrap();
    Reflect::set(&options, &"seed".into(), &2024.0.into()).unwrap();
    options
}

#[wasm_bindgen_test]
fn wasm_draws_the_same_pixels_as_the_native_tool() {
    let native = npy_values(NATIVE_IMAGES);
    assert_eq!(native.len(), 10 * 3 * 784);
    let generator = JsGenerator::new().unwrap();
    for digit in 0..10 {
        let wasm = generator
            .sample(f64::from(digit), 3.0, native_options().into())
            .unwrap();
        let rows = &native[digit as usize * 3 * 784..(digit as usize + 1) * 3 * 784];
        // The integer sums are exact on both sides; only `exp` in the sigmoid may differ in
        // its last bit between the platforms' maths libraries.
        let worst = wasm
            .iter()
            .zip(rows)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(
            worst < 1e-5,
            "digit {digit}: largest pixel difference {worst}"
        );
    }
}

#[wasm_bindgen_test]
fn wasm_samples_the_same_latents_as_the_native_tool() {
    let native = npy_values(NATIVE_LATENTS);
    assert_eq!(native.len(), 10 * 3 * 32);
    let generator = JsGenerator::new().unwrap();
    let options = native_options();
    for digit in 0..10 {
        let wasm = generator
            .sample_latents(f64::from(digit), 3.0, options.clone().into())
            .unwrap();
        let rows = &native[digit as usize * 96..(digit as usize + 1) * 96];
        assert_eq!(wasm, rows, "digit {digit}");
    }
}
