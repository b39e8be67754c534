//! The JS API of the wasm build, run by wasm-bindgen-test in Node and (with
//! `WASM_BINDGEN_USE_BROWSER=1`) in headless Chromium.
#![cfg(target_arch = "wasm32")]

mod common;

use common::{FLOW, LATENT, MEAN_IMAGES, PIXELS, error_message, fashion, nearest_mean_image};
use js_sys::{Array, Float32Array, Object, Reflect, Uint32Array};
use latent_digits::web::JsGenerator;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

/// Every method `sample` takes.
const METHODS: [&str; 3] = ["gmm", "gaussian", "flow"];
/// The method `sample` uses without one: the best by `latent-digits evaluate`.
const DEFAULT_METHOD: &str = "gmm";

fn generator() -> JsGenerator {
    JsGenerator::new().expect("the embedded model loads")
}

fn clothes() -> JsGenerator {
    JsGenerator::from_bytes(fashion::DECODER, fashion::STATS).expect("the clothes model loads")
}

/// The embedded digits model with its flow loaded, as the page has it once a visitor picks the
/// flow.
fn with_flow() -> JsGenerator {
    let mut g = generator();
    g.load_flow(FLOW).expect("the committed flow loads");
    g
}

/// The clothes model with its flow loaded.
fn clothes_with_flow() -> JsGenerator {
    let mut g = clothes();
    g.load_flow(fashion::FLOW).expect("the clothes' flow loads");
    g
}

fn options(method: &str, spread: Option<f64>, seed: f64) -> JsValue {
    let object = Object::new();
    Reflect::set(&object, &"method".into(), &method.into()).unwrap();
    if let Some(spread) = spread {
        Reflect::set(&object, &"spread".into(), &spread.into()).unwrap();
    }
    Reflect::set(&object, &"seed".into(), &seed.into()).unwrap();
    object.into()
}

/// `sampleLatents`' result: the codes and the component of each.
fn latents_and_components(result: Object) -> (Vec<f32>, Vec<u32>) {
    let get = |key: &str| Reflect::get(&result, &key.into()).unwrap();
    let latents: Float32Array = get("latents").dyn_into().unwrap();
    let components: Uint32Array = get("components").dyn_into().unwrap();
    (latents.to_vec(), components.to_vec())
}

fn mean_squared(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f32>() / a.len() as f32
}

#[wasm_bindgen_test]
fn info_describes_the_embedded_model() {
    let info = generator().info().unwrap();
    let get = |key: &str| Reflect::get(&info, &key.into()).unwrap();
    assert_eq!(get("dataset").as_string().as_deref(), Some("mnist"));
    assert_eq!(get("latentDim").as_f64(), Some(32.0));
    assert_eq!(get("classes").as_f64(), Some(10.0));
    let components: Array = get("components").dyn_into().unwrap();
    assert_eq!(components.length(), 10);
    assert!(components.iter().all(|k| k.as_f64().unwrap() >= 1.0));
    let bce = Reflect::get(&get("metrics"), &"testBce".into())
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(bce > 0.0 && bce < 0.2, "test BCE {bce}");
    // The evaluator's scores of the default samples: accuracy, Fréchet distance, diversity,
    // memorisation.
    let mixture: Array = Reflect::get(&get("metrics"), &"mixtureSamples".into())
        .unwrap()
        .dyn_into()
        .unwrap();
    let scores: Vec<f64> = mixture.iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(scores.len(), 4);
    assert!(
        scores[0] > 0.9 && scores[0] <= 1.0,
        "class accuracy {}",
        scores[0]
    );
    assert!(
        scores[1] > 0.0 && scores[1] < 20.0,
        "Fréchet distance {}",
        scores[1]
    );
}

#[wasm_bindgen_test]
fn default_spreads_are_the_ones_chosen_by_the_evaluator() {
    let g = with_flow();
    for (method, spread) in [("gmm", 0.85), ("gaussian", 0.2), ("flow", 0.85)] {
        let default = g.sample(5.0, 4.0, options(method, None, 3.0)).unwrap();
        let explicit = g
            .sample(5.0, 4.0, options(method, Some(spread), 3.0))
            .unwrap();
        assert_eq!(default, explicit, "{method} defaults to spread {spread}");
    }
}

#[wasm_bindgen_test]
fn samples_have_the_right_shape_and_pixel_range() {
    let g = with_flow();
    for method in METHODS {
        let images = g.sample(3.0, 5.0, options(method, None, 7.0)).unwrap();
        assert_eq!(images.len(), 5 * PIXELS);
        assert!(images.iter().all(|p| (0.0..=1.0).contains(p)));
        let bright = images.iter().filter(|&&p| p > 0.5).count();
        assert!(
            bright > 5 * 40,
            "{method}: {bright} bright pixels in 5 digits"
        );
    }
    let (latents, components) = latents_and_components(
        g.sample_latents(3.0, 4.0, options("gmm", None, 7.0))
            .unwrap(),
    );
    assert_eq!((latents.len(), components.len()), (4 * LATENT, 4));
}

#[wasm_bindgen_test]
fn both_models_offer_the_flow_and_default_to_the_best_method() {
    for g in [generator(), clothes()] {
        let info = g.info().unwrap();
        let get = |key: &str| Reflect::get(&info, &key.into()).unwrap();
        let methods: Vec<String> = get("methods")
            .dyn_into::<Array>()
            .unwrap()
            .iter()
            .map(|m| m.as_string().unwrap())
            .collect();
        assert_eq!(methods, ["gmm", "gaussian", "flow"]);
        assert_eq!(
            get("defaultMethod").as_string().as_deref(),
            Some(DEFAULT_METHOD)
        );
        // Without a method, `sample` uses the default one at its default spread.
        let object = Object::new();
        Reflect::set(&object, &"seed".into(), &5.0.into()).unwrap();
        assert_eq!(
            g.sample(2.0, 3.0, object.into()).unwrap(),
            g.sample(2.0, 3.0, options(DEFAULT_METHOD, None, 5.0))
                .unwrap()
        );
        let metrics = get("metrics");
        let flow_ll: Array = Reflect::get(&metrics, &"testLogLikelihoodFlow".into())
            .unwrap()
            .dyn_into()
            .unwrap();
        let mixture_ll: Array = Reflect::get(&metrics, &"testLogLikelihoodMixture".into())
            .unwrap()
            .dyn_into()
            .unwrap();
        let mean = |a: &Array| a.iter().map(|v| v.as_f64().unwrap()).sum::<f64>() / 10.0;
        assert!(
            mean(&flow_ll) > mean(&mixture_ll),
            "the flow explains the test codes better than the mixtures: {} against {}",
            mean(&flow_ll),
            mean(&mixture_ll)
        );
        let scores: Array = Reflect::get(&metrics, &"flowSamples".into())
            .unwrap()
            .dyn_into()
            .unwrap();
        assert_eq!(scores.length(), 4);
    }
}

#[wasm_bindgen_test]
fn flow_samples_are_deterministic_and_move_with_seed_class_and_spread() {
    let g = with_flow();
    let draw = |class: f64, n: f64, spread, seed| {
        latents_and_components(
            g.sample_latents(class, n, options("flow", Some(spread), seed))
                .unwrap(),
        )
    };
    let (a, components) = draw(3.0, 4.0, 0.5, 9.0);
    assert_eq!((a.len(), components.len()), (4 * LATENT, 4));
    assert!(a.iter().all(|v| v.is_finite()));
    assert_eq!((a.clone(), components), draw(3.0, 4.0, 0.5, 9.0));
    assert_ne!(a, draw(3.0, 4.0, 0.5, 10.0).0);
    assert_ne!(a, draw(4.0, 4.0, 0.5, 9.0).0);
    assert_ne!(a, draw(3.0, 4.0, 0.6, 9.0).0);
    // The flow draws from the class's mixture components, which it reports; at spread 0 every
    // sample of a component is that component's one code.
    let info = g.info().unwrap();
    let counts: Array = Reflect::get(&info, &"components".into())
        .unwrap()
        .dyn_into()
        .unwrap();
    let of_three = counts.get(3).as_f64().unwrap() as u32;
    let (codes, components) = draw(3.0, 200.0, 0.0, 4.0);
    assert!(components.iter().all(|&k| k < of_three));
    let first = components[0];
    let same: Vec<&[f32]> = codes
        .chunks(LATENT)
        .zip(&components)
        .filter(|&(_, &k)| k == first)
        .map(|(code, _)| code)
        .collect();
    assert!(same.len() > 1 && same.iter().all(|code| *code == same[0]));
}

#[wasm_bindgen_test]
fn the_flow_loads_on_demand_and_only_the_models_own() {
    let mut g = generator();
    assert!(!g.has_flow(), "the first gallery needs no flow");
    let message = error_message(g.sample(3.0, 2.0, options("flow", None, 1.0)));
    assert!(message.contains("flow.bin"), "{message}");
    let mut corrupt = FLOW.to_vec();
    corrupt[FLOW.len() / 2] ^= 0x08;
    let message = error_message(g.load_flow(&corrupt));
    assert!(message.contains("corrupt"), "{message}");
    let message = error_message(g.load_flow(fashion::FLOW));
    assert!(message.contains("another model's"), "{message}");
    let message = error_message(g.load_flow(&FLOW[..100]));
    assert!(message.contains("flow.bin"), "{message}");
    assert!(!g.has_flow(), "a refused flow is not kept");
    // The generator still samples by the other methods, then by the flow once it has loaded.
    let before = g.sample(3.0, 2.0, options("gmm", None, 1.0)).unwrap();
    g.load_flow(FLOW).unwrap();
    assert!(g.has_flow());
    assert_eq!(
        g.sample(3.0, 2.0, options("gmm", None, 1.0)).unwrap(),
        before
    );
    assert_eq!(
        g.sample(3.0, 2.0, options("flow", None, 1.0))
            .unwrap()
            .len(),
        2 * PIXELS
    );
    let mut clothes = clothes();
    assert!(error_message(clothes.load_flow(FLOW)).contains("another model's"));
    clothes.load_flow(fashion::FLOW).unwrap();
    assert!(clothes.has_flow());
}

#[wasm_bindgen_test]
fn same_seed_same_digits_other_seed_other_digits() {
    let g = generator();
    let draw = |seed| g.sample(8.0, 3.0, options("gmm", Some(0.5), seed)).unwrap();
    assert_eq!(draw(11.0), draw(11.0));
    assert_ne!(draw(11.0), draw(12.0));
    let (latents, _) = latents_and_components(
        g.sample_latents(8.0, 3.0, options("gmm", Some(0.5), 11.0))
            .unwrap(),
    );
    assert_eq!(
        g.decode(Float32Array::from(&latents[..]).into()).unwrap(),
        draw(11.0)
    );
    // Seeds are 64-bit clean up to the largest whole number a JS number holds exactly.
    let largest = 9_007_199_254_740_991.0;
    assert_eq!(draw(largest), draw(largest));
    assert_ne!(draw(largest), draw(largest - 1.0));
    assert_ne!(draw(4_294_967_296.0), draw(0.0), "2^32 is not wrapped to 0");
    assert!(
        error_message(g.sample(8.0, 3.0, options("gmm", None, largest + 1.0))).contains("seed")
    );
}

#[wasm_bindgen_test]
fn sample_latents_reports_the_component_each_code_was_drawn_from() {
    let g = generator();
    let info = g.info().unwrap();
    let components: Array = Reflect::get(&info, &"components".into())
        .unwrap()
        .dyn_into()
        .unwrap();
    let digit = (0..10u32)
        .max_by_key(|&d| components.get(d).as_f64().unwrap() as u32)
        .unwrap();
    let k = components.get(digit).as_f64().unwrap() as u32;
    assert!(k >= 2, "the richest mixture has {k} components");
    // With a tiny spread every code sits on its component's mean: codes that report the same
    // component coincide, codes that report different ones do not.
    let (latents, drawn) = latents_and_components(
        g.sample_latents(f64::from(digit), 200.0, options("gmm", Some(1e-6), 4.0))
            .unwrap(),
    );
    assert!(drawn.iter().all(|&c| c < k), "components {drawn:?} of {k}");
    let code = |i: usize| &latents[i * LATENT..(i + 1) * LATENT];
    let mut distinct = 0;
    for i in 1..drawn.len() {
        let apart = mean_squared(code(0), code(i));
        if drawn[i] == drawn[0] {
            assert!(
                apart < 1e-4,
                "same component {} but {apart} apart",
                drawn[0]
            );
        } else {
            assert!(
                apart > 1e-3,
                "components {} and {} coincide",
                drawn[0],
                drawn[i]
            );
            distinct += 1;
        }
    }
    assert!(distinct > 0, "200 draws all from one of {k} components");
    let (_, gaussian) = latents_and_components(
        g.sample_latents(1.0, 5.0, options("gaussian", None, 4.0))
            .unwrap(),
    );
    assert_eq!(gaussian, [0; 5], "the single Gaussian is component 0");
}

#[wasm_bindgen_test]
fn info_gives_the_constants_the_page_needs() {
    let info = generator().info().unwrap();
    let get = |key: &str| Reflect::get(&info, &key.into()).unwrap();
    assert_eq!(
        get("architecture").as_string().as_deref(),
        Some("784-512-256-128-64-32-64-128-256-512-784")
    );
    assert_eq!(get("maxImages").as_f64(), Some(10_000.0));
    let spread = get("defaultSpread");
    let spread_of = |m: &str| Reflect::get(&spread, &m.into()).unwrap().as_f64().unwrap();
    assert_eq!(spread_of("gaussian"), 0.2);
    assert_eq!(spread_of("gmm"), 0.85, "the decimal, not a widened f32");
    let commands: Array = get("trainCommands").dyn_into().unwrap();
    assert!(commands.length() >= 1);
    assert!(
        commands
            .iter()
            .all(|c| c.as_string().unwrap().contains("latent-digits")
                || c.as_string().unwrap().contains("cargo run")),
        "every line is a command a user can run"
    );
}

/// Each class's samples, by every method, lie nearest its own mean training image.
fn assert_samples_look_like_their_class(g: &JsGenerator, mean_images: &[u8]) {
    for method in METHODS {
        for class in 0..10 {
            let images = g
                .sample(class as f64, 20.0, options(method, None, 3.0))
                .unwrap();
            let nearest = nearest_mean_image(&images, mean_images);
            assert_eq!(
                nearest, class,
                "{method} samples of class {class} look most like {nearest}"
            );
        }
    }
}

#[wasm_bindgen_test]
fn samples_look_like_their_own_digit() {
    assert_samples_look_like_their_class(&with_flow(), MEAN_IMAGES);
}

#[wasm_bindgen_test]
fn the_clothes_model_loads_from_its_bytes_and_draws_clothes() {
    let g = clothes_with_flow();
    let info = g.info().unwrap();
    let get = |key: &str| Reflect::get(&info, &key.into()).unwrap();
    assert_eq!(get("dataset").as_string().as_deref(), Some("fashion"));
    let names: Vec<String> = Array::from(&get("classNames"))
        .iter()
        .map(|n| n.as_string().unwrap())
        .collect();
    assert_eq!(names.len(), 10);
    assert_eq!(
        (names[0].as_str(), names[9].as_str()),
        ("T-shirt", "Ankle boot")
    );
    let digits = generator().info().unwrap();
    let digit_names = Array::from(&Reflect::get(&digits, &"classNames".into()).unwrap());
    assert_eq!(digit_names.get(7).as_string().as_deref(), Some("7"));
    assert_samples_look_like_their_class(&g, fashion::MEAN_IMAGES);
}

#[wasm_bindgen_test]
fn corrupt_or_mismatched_model_bytes_throw_and_nothing_breaks() {
    let mut stats = fashion::STATS.to_vec();
    stats[100] ^= 0x10;
    let message = error_message(JsGenerator::from_bytes(fashion::DECODER, &stats));
    assert!(message.contains("checksum"), "{message}");
    let message = error_message(JsGenerator::from_bytes(
        &fashion::DECODER[..fashion::DECODER.len() / 3],
        fashion::STATS,
    ));
    assert!(
        message.contains("decoder: packed network invalid"),
        "{message}"
    );
    let message = error_message(JsGenerator::from_bytes(&[], &[]));
    assert!(message.contains("latent-statistics"), "{message}");
    // The digits' own decoder with the clothes' statistics: each file is sound, the pair is not.
    let digits_decoder = include_bytes!("../model/decoder.packed");
    let message = error_message(JsGenerator::from_bytes(digits_decoder, fashion::STATS));
    assert!(message.contains("another model"), "{message}");
    // Both models keep working.
    let image = clothes()
        .sample(1.0, 1.0, options("gmm", None, 1.0))
        .unwrap();
    assert_eq!(image.len(), PIXELS);
    assert_eq!(
        generator()
            .sample(1.0, 1.0, options("gmm", None, 1.0))
            .unwrap()
            .len(),
        PIXELS
    );
}

#[wasm_bindgen_test]
fn interpolation_ends_are_the_decoded_class_means() {
    let g = generator();
    let frames = g.interpolate(2.0, 7.0, 5.0).unwrap();
    assert_eq!(frames.len(), 5 * PIXELS);
    let decode_mean = |d: f64| {
        g.decode(Float32Array::from(&g.class_mean(d).unwrap()[..]).into())
            .unwrap()
    };
    assert!(mean_squared(&frames[..PIXELS], &decode_mean(2.0)) < 1e-10);
    assert!(mean_squared(&frames[4 * PIXELS..], &decode_mean(7.0)) < 1e-10);
    assert!(
        mean_squared(&frames[2 * PIXELS..3 * PIXELS], &decode_mean(2.0)) > 1e-3,
        "the middle differs"
    );
}

#[wasm_bindgen_test]
fn path_frame_counts_follow_the_legs() {
    let g = generator();
    let digits: Array = (0..10)
        .chain([0])
        .map(|d| JsValue::from(d as f64))
        .collect();
    assert_eq!(
        g.path(digits.into(), 12.0).unwrap().len(),
        (10 * 12 + 1) * PIXELS
    );
    let pair: Array = [4.0, 9.0].iter().map(|&d| JsValue::from(d)).collect();
    assert_eq!(g.path(pair.into(), 1.0).unwrap().len(), 2 * PIXELS);
}

#[wasm_bindgen_test]
fn basis_vectors_and_sparse_means_have_their_sizes() {
    let g = generator();
    assert_eq!(g.basis_vectors(10.0).unwrap().len(), 32 * PIXELS);
    let sparse = g.sparse_means(4.0).unwrap();
    assert_eq!(sparse.len(), 10 * PIXELS);
    let full = g.sparse_means(32.0).unwrap();
    let decode_mean = g
        .decode(Float32Array::from(&g.class_mean(5.0).unwrap()[..]).into())
        .unwrap();
    assert!(
        mean_squared(&full[5 * PIXELS..6 * PIXELS], &decode_mean) < 1e-10,
        "32 nonzeros is the mean itself"
    );
}

#[wasm_bindgen_test]
fn pca_sizes_and_cluster_centres_decode_to_their_digit() {
    let g = generator();
    let pca = g.pca().unwrap();
    let get = |key: &str| Reflect::get(&pca, &key.into()).unwrap();
    let eigenvalues: Float32Array = get("eigenvalues").dyn_into().unwrap();
    let points: Float32Array = get("points").dyn_into().unwrap();
    let labels: js_sys::Uint8Array = get("labels").dyn_into().unwrap();
    assert_eq!(eigenvalues.length(), 32);
    let values = eigenvalues.to_vec();
    assert!(values.windows(2).all(|w| w[0] >= w[1]) && values[0] > 0.0);
    assert_eq!(points.length(), 2 * labels.length());
    assert!(labels.length() >= 1000);

    // Clicking the centre of a digit's cluster decodes that digit: nearer to its own mean
    // training image than to any other digit's.
    let point_labels = labels.to_vec();
    let coords = points.to_vec();
    for digit in 0..10u8 {
        let mine: Vec<&[f32]> = coords
            .chunks(2)
            .zip(&point_labels)
            .filter(|(_, l)| **l == digit)
            .map(|(p, _)| p)
            .collect();
        let centre = |axis: usize| mine.iter().map(|p| p[axis]).sum::<f32>() / mine.len() as f32;
        let decoded = g
            .decode_pca_point(f64::from(centre(0)), f64::from(centre(1)))
            .unwrap();
        let nearest = nearest_mean_image(&decoded, MEAN_IMAGES);
        assert_eq!(
            nearest,
            usize::from(digit),
            "the centre of the {digit}s decodes most like a {nearest}"
        );
    }
}

#[wasm_bindgen_test]
fn bad_input_throws_a_named_error_and_the_instance_keeps_working() {
    let g = with_flow();
    let good = || g.sample(1.0, 2.0, options("gmm", None, 5.0)).unwrap();
    let before = good();
    let cases: Vec<(String, &str)> = vec![
        (
            error_message(g.sample(11.0, 1.0, JsValue::UNDEFINED)),
            "digit",
        ),
        (
            error_message(g.sample(-1.0, 1.0, JsValue::UNDEFINED)),
            "digit",
        ),
        (
            error_message(g.sample(2.5, 1.0, JsValue::UNDEFINED)),
            "digit",
        ),
        (
            error_message(g.sample(f64::NAN, 1.0, JsValue::UNDEFINED)),
            "digit",
        ),
        (
            error_message(g.sample(1.0, 1e9, JsValue::UNDEFINED)),
            "number of samples must be from 1 to 10000",
        ),
        (
            error_message(g.sample(1.0, 0.0, JsValue::UNDEFINED)),
            "number of samples",
        ),
        (
            error_message(g.sample(1.0, 1e300, JsValue::UNDEFINED)),
            "n must be a whole number",
        ),
        (
            error_message(g.sample(1.0, 1.0, options("vae", None, 1.0))),
            "method must be \"gmm\", \"gaussian\" or \"flow\", got \"vae\"",
        ),
        (
            error_message(g.sample(1.0, 1.0, options("flow", Some(f64::NAN), 1.0))),
            "spread",
        ),
        (
            error_message(g.sample(11.0, 1.0, options("flow", None, 1.0))),
            "digit",
        ),
        (
            error_message(g.sample(1.0, 1.0, options("gmm", Some(-0.1), 1.0))),
            "spread",
        ),
        (
            error_message(g.sample(1.0, 1.0, options("gmm", Some(f64::INFINITY), 1.0))),
            "spread",
        ),
        (
            error_message(g.sample(1.0, 1.0, options("gmm", None, -3.0))),
            "seed",
        ),
        (error_message(g.sample(1.0, 1.0, "fast".into())), "options"),
        (
            error_message(g.decode(Float32Array::new_with_length(31).into())),
            "multiple of 32",
        ),
        (
            error_message(g.decode(Float32Array::from(&[f32::NAN; 32][..]).into())),
            "finite",
        ),
        (error_message(g.decode("not numbers".into())), "latents"),
        (error_message(g.class_mean(10.0)), "digit"),
        (error_message(g.interpolate(0.0, 12.0, 5.0)), "got 12"),
        (error_message(g.interpolate(0.0, 1.0, 1.0)), "steps"),
        (
            error_message(g.path(
                Array::from_iter((0..200).map(|d| JsValue::from(d % 10))).into(),
                60.0,
            )),
            "11941 frames",
        ),
        (
            error_message(g.path(Array::of1(&3.into()).into(), 5.0)),
            "at least 2 classes",
        ),
        (
            error_message(g.path(Array::of2(&3.into(), &"x".into()).into(), 5.0)),
            "digits[1]",
        ),
        (
            error_message(g.path(Array::of2(&3.into(), &4.into()).into(), 1e9)),
            "steps per leg",
        ),
        (error_message(g.basis_vectors(f64::NAN)), "scale"),
        (error_message(g.sparse_means(0.0)), "kept entries"),
        (error_message(g.sparse_means(33.0)), "kept entries"),
        (error_message(g.sparse_means(-1.0)), "nonzeros"),
        (error_message(g.decode_pca_point(f64::INFINITY, 0.0)), "x"),
    ];
    for (message, argument) in cases {
        assert!(
            message.contains(argument),
            "message {message:?} should name {argument}"
        );
    }
    assert_eq!(
        good(),
        before,
        "the same instance still works and gives the same digits"
    );
}

#[wasm_bindgen_test]
fn path_gif_gives_a_gif_and_names_bad_options() {
    let g = generator();
    let stops: Vec<f32> = [0.0, 1.0, 2.0]
        .iter()
        .flat_map(|&d| g.class_mean(d).unwrap())
        .collect();
    let stops = || -> JsValue { Float32Array::from(&stops[..]).into() };
    let look = |scale: f64, frame_ms: f64, labels: &[&str]| -> JsValue {
        let object = Object::new();
        Reflect::set(&object, &"scale".into(), &scale.into()).unwrap();
        Reflect::set(&object, &"frameMs".into(), &frame_ms.into()).unwrap();
        if !labels.is_empty() {
            let labels = Array::from_iter(labels.iter().map(|&l| JsValue::from(l)));
            Reflect::set(&object, &"labels".into(), &labels).unwrap();
        }
        object.into()
    };
    let gif = g
        .path_gif(stops(), 4.0, look(4.0, 40.0, &["0", "1", "2"]))
        .unwrap();
    assert_eq!(&gif[..6], b"GIF89a");
    // Logical screen: 112 wide, 112 + a 28-pixel caption strip tall.
    assert_eq!(u16::from_le_bytes([gif[6], gif[7]]), 112);
    assert_eq!(u16::from_le_bytes([gif[8], gif[9]]), 140);
    let plain = g.path_gif(stops(), 4.0, JsValue::UNDEFINED).unwrap();
    assert_eq!(u16::from_le_bytes([plain[8], plain[9]]), 112);
    let cases: Vec<(String, &str)> = vec![
        (
            error_message(g.path_gif(stops(), 4.0, look(0.0, 40.0, &[]))),
            "scale",
        ),
        (
            error_message(g.path_gif(stops(), 4.0, look(11.0, 40.0, &[]))),
            "got 11",
        ),
        (
            error_message(g.path_gif(stops(), 4.0, look(4.0, 5.0, &[]))),
            "frame time",
        ),
        (
            error_message(g.path_gif(
                Float32Array::new_with_length(0).into(),
                4.0,
                JsValue::UNDEFINED,
            )),
            "multiple of 32",
        ),
        (
            error_message(g.path_gif(
                Float32Array::from(&[0.0; 32][..]).into(),
                4.0,
                JsValue::UNDEFINED,
            )),
            "at least 2 stops",
        ),
        (
            error_message(g.path_gif(stops(), 0.0, JsValue::UNDEFINED)),
            "steps per leg",
        ),
        (
            error_message(g.path_gif(stops(), 4.0, look(4.0, 40.0, &["0", "1"]))),
            "2 labels for 3 stops",
        ),
        (
            error_message(g.path_gif(stops(), 4.0, look(4.0, 40.0, &["a", "b", "c"]))),
            "labels",
        ),
        (
            error_message(g.path_gif(stops(), 4.0, "big".into())),
            "options",
        ),
    ];
    for (message, expected) in cases {
        assert!(
            message.contains(expected),
            "{message:?} should mention {expected:?}"
        );
    }
}
