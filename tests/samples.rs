//! The samples both sides draw. A committed golden sample set guards the sampler: the native
//! generator still draws it, and the wasm `sampleLatents`/`sample` (SIMD integer kernel) draw
//! the same codes and pixels. Redraw the files after retraining the model, or changing how it is
//! shipped (as for issue 20: 8-bit weights with one scale per output, 16-bit activations), with
//! `latent-digits sample --method gmm --spread 0.7 --per-class 2 --seed 2024
//! --out tests/golden/images.npy --labels-out tests/golden/labels.npy
//! --latents-out tests/golden/latents.npy`. And both models' samples look like their class.

mod common;

use common::{LATENT, PIXELS, npy_values};

const PER_CLASS: usize = 2;
const SPREAD: f64 = 0.7;
const SEED: u64 = 2024;

static GOLDEN_LATENTS: &[u8] = include_bytes!("golden/latents.npy");
static GOLDEN_IMAGES: &[u8] = include_bytes!("golden/images.npy");
/// The flow's codes at its default spread, seed [`SEED`], 2 per class: `latent-digits sample
/// --method flow --per-class 2 --seed 2024 --out /tmp/x.npy --labels-out /tmp/y.npy
/// --latents-out tests/golden/flow_latents.npy` (redraw after `fit-flow`).
static GOLDEN_FLOW_LATENTS: &[u8] = include_bytes!("golden/flow_latents.npy");

/// Checks one class's flow codes against the golden rows, bit for bit (the flow's arithmetic is
/// plain `f32` in a fixed order, with `libm`'s `exp` and `tanh` on both sides).
fn assert_golden_flow(digit: usize, latents: &[f32]) {
    let golden = npy_values(GOLDEN_FLOW_LATENTS);
    assert_eq!(golden.len(), 10 * PER_CLASS * LATENT);
    let rows = digit * PER_CLASS..(digit + 1) * PER_CLASS;
    assert_eq!(
        latents,
        &golden[rows.start * LATENT..rows.end * LATENT],
        "flow codes of class {digit}"
    );
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn the_native_flow_draws_the_golden_codes() {
    use latent_digits::generator::{Class, Generator, SampleOptions};
    use latent_digits::latent::Method;

    let mut generator = Generator::embedded().unwrap();
    generator.load_flow(common::FLOW).unwrap();
    for digit in Class::all() {
        let options = SampleOptions::new(Method::Flow, SEED);
        let samples = generator.sample_latents(digit, PER_CLASS, options).unwrap();
        assert_golden_flow(digit.index(), &samples.latents);
    }
}

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen_test::wasm_bindgen_test]
fn the_wasm_flow_draws_the_golden_codes() {
    use js_sys::{Float32Array, Object, Reflect};
    use latent_digits::web::JsGenerator;
    use wasm_bindgen::JsCast;

    let options = Object::new();
    Reflect::set(&options, &"method".into(), &"flow".into()).unwrap();
    Reflect::set(&options, &"seed".into(), &(SEED as f64).into()).unwrap();
    let mut generator = JsGenerator::new().unwrap();
    generator.load_flow(common::FLOW).unwrap();
    for digit in 0..10 {
        let drawn = generator
            .sample_latents(digit as f64, PER_CLASS as f64, options.clone().into())
            .unwrap();
        let latents: Float32Array = Reflect::get(&drawn, &"latents".into())
            .unwrap()
            .dyn_into()
            .unwrap();
        assert_golden_flow(digit, &latents.to_vec());
    }
}

/// Checks one digit's codes and images against the golden rows, bit for bit: the kernel's
/// operations give the same bits in wasm and natively (`src/integer_net/lanes.rs`).
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
        images == &golden_images[rows.start * PIXELS..rows.end * PIXELS],
        "digit {digit}: pixels differ, by {worst} at most"
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

/// Samples of each class, 20 at a time by each method (the flow too), lie nearer (summed
/// squared distance) to the mean training image of their class than to any other class's, for
/// both models.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn samples_look_like_their_class_in_both_models() {
    use common::{FLOW, MEAN_IMAGES, fashion, nearest_mean_image};
    use latent_digits::dataset::Dataset;
    use latent_digits::generator::{Class, Generator, SampleOptions};
    use latent_digits::latent::Method;

    let mut digits = Generator::embedded().unwrap();
    digits.load_flow(FLOW).unwrap();
    let mut clothes = Generator::from_bytes(fashion::DECODER, fashion::STATS).unwrap();
    clothes.load_flow(fashion::FLOW).unwrap();
    for (g, dataset, mean_images) in [
        (digits, Dataset::Mnist, MEAN_IMAGES),
        (clothes, Dataset::Fashion, fashion::MEAN_IMAGES),
    ] {
        assert_eq!(g.dataset(), dataset);
        let names = dataset.class_names();
        for method in [Method::Mixture, Method::Gaussian, Method::Flow] {
            for class in Class::all() {
                let images = g.sample(class, 20, SampleOptions::new(method, 3)).unwrap();
                let nearest = nearest_mean_image(&images, mean_images);
                assert_eq!(
                    names[nearest],
                    names[class.index()],
                    "{method:?} samples of {} look most like {}",
                    names[class.index()],
                    names[nearest]
                );
            }
        }
    }
}
