//! A committed golden sample set guards the sampler on both sides: the native generator still
//! draws it, and the wasm `sampleLatents`/`sample` (SIMD integer kernel) draw the same codes and
//! pixels. Redraw the files after retraining the model with
//! `latent-digits sample --method gmm --spread 0.7 --per-class 2 --seed 2024
//! --out tests/golden/images.npy --labels-out tests/golden/labels.npy
//! --latents-out tests/golden/latents.npy`.

const PER_CLASS: usize = 2;
const SPREAD: f64 = 0.7;
const SEED: u64 = 2024;
const PIXELS: usize = 784;
const LATENT: usize = 32;

static GOLDEN_LATENTS: &[u8] = include_bytes!("golden/latents.npy");
static GOLDEN_IMAGES: &[u8] = include_bytes!("golden/images.npy");

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

/// Checks one digit's codes and images against the golden rows. The codes must match exactly;
/// pixels may differ in the last bit of `exp` between platforms' maths libraries.
fn assert_golden(digit: usize, latents: &[f32], images: &[f32]) {
    let golden_latents = npy_values(GOLDEN_LATENTS);
    let golden_images = npy_values(GOLDEN_IMAGES);
    assert_eq!(golden_latents.len(), 10 * PER_CLASS * LATENT);
    let rows = digit * PER_CLASS..(digit + 1) * PER_CLASS;
    assert_eq!(
        latents,
        &golden_latents[rows.start * LATENT..rows.end * LATENT],
        "codes of digit {digit}"
    );
    let worst = images
        .iter()
        .zip(&golden_images[rows.start * PIXELS..rows.end * PIXELS])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst < 1e-5,
        "digit {digit}: largest pixel difference {worst}"
    );
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn the_native_sampler_still_draws_the_golden_set() {
    use latent_digits::generator::{Class, Generator, SampleOptions};
    use latent_digits::latent::Method;

    let generator = Generator::embedded().unwrap();
    let options = SampleOptions::new(Method::Mixture, SEED)
        .with_spread(SPREAD)
        .unwrap();
    for digit in Class::all() {
        let samples = generator.sample_latents(digit, PER_CLASS, options).unwrap();
        let images = generator.decode(&samples.latents).unwrap();
        assert_golden(digit.index(), &samples.latents, &images);
    }
}

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen_test::wasm_bindgen_test]
fn the_wasm_module_draws_the_golden_set() {
    use js_sys::{Float32Array, Object, Reflect};
    use latent_digits::web::JsGenerator;
    use wasm_bindgen::JsCast;

    let options = Object::new();
    Reflect::set(&options, &"method".into(), &"gmm".into()).unwrap();
    Reflect::set(&options, &"spread".into(), &SPREAD.into()).unwrap();
    Reflect::set(&options, &"seed".into(), &(SEED as f64).into()).unwrap();
    let generator = JsGenerator::new().unwrap();
    for digit in 0..10 {
        let n = PER_CLASS as f64;
        let drawn = generator
            .sample_latents(digit as f64, n, options.clone().into())
            .unwrap();
        let latents: Float32Array = Reflect::get(&drawn, &"latents".into())
            .unwrap()
            .dyn_into()
            .unwrap();
        let images = generator
            .sample(digit as f64, n, options.clone().into())
            .unwrap();
        assert_golden(digit, &latents.to_vec(), &images);
    }
}
