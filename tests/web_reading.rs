//! The JS API that reads a visitor's digit (prepare, loadEncoder, encode, classify, project,
//! pathFrom, restyle), run by wasm-bindgen-test in Node and headless Chromium.
#![cfg(target_arch = "wasm32")]

mod common;

use common::{ENCODER, LATENT, PIXELS, argmax, error_message, floats, reader};
use js_sys::{Array, Float32Array, Uint8ClampedArray};
use latent_digits::latent::CLASSES;
use latent_digits::web::JsGenerator;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;
/// Every 100th MNIST test digit: 100 labels, then 100 × 784 pixel bytes (see
/// `tests/fixtures/README.md`).
static TEST_DIGITS: &[u8] = include_bytes!("fixtures/mnist_test_100.bin");
const FIXTURE_DIGITS: usize = 100;

/// The fixture's labels and its pixels in [0, 1].
fn test_digits() -> (&'static [u8], Vec<f32>) {
    let (labels, pixels) = TEST_DIGITS.split_at(FIXTURE_DIGITS);
    (
        labels,
        pixels.iter().map(|&p| f32::from(p) / 255.0).collect(),
    )
}

#[wasm_bindgen_test]
fn encode_needs_the_encoder_and_a_bad_file_changes_nothing() {
    let mut g = JsGenerator::new().unwrap();
    assert!(!g.has_encoder());
    let blank = floats(&[0.0; PIXELS]);
    assert!(error_message(g.encode(blank.clone())).contains("encoder is not loaded"));
    let message = error_message(g.load_encoder(&ENCODER[..ENCODER.len() / 2]));
    assert!(
        message.contains("encoder: packed network invalid"),
        "{message}"
    );
    assert!(!g.has_encoder());
    g.load_encoder(ENCODER).unwrap();
    assert!(g.has_encoder());
    let code = g.encode(blank).unwrap();
    assert_eq!(code.len(), LATENT);
    assert!(code.iter().all(|c| c.is_finite()));
    // The generator still generates.
    assert_eq!(g.decode(floats(&code)).unwrap().len(), PIXELS);
}

#[wasm_bindgen_test]
fn test_digits_are_classified_right() {
    let g = reader();
    let (labels, pixels) = test_digits();
    let codes = g.encode(floats(&pixels)).unwrap();
    assert_eq!(codes.len(), FIXTURE_DIGITS * LATENT);
    let probabilities = g.classify(floats(&codes)).unwrap();
    assert_eq!(probabilities.len(), FIXTURE_DIGITS * CLASSES);
    for row in probabilities.chunks(CLASSES) {
        assert!(row.iter().all(|p| (0.0..=1.0).contains(p)), "{row:?}");
        let total: f32 = row.iter().sum();
        assert!((total - 1.0).abs() < 1e-4, "a row sums to {total}");
    }
    let right = probabilities
        .chunks(CLASSES)
        .zip(labels)
        .filter(|(row, label)| argmax(row) == usize::from(**label))
        .count();
    assert!(right >= 95, "{right} of 100 test digits read right");
}

#[wasm_bindgen_test]
fn projections_land_among_their_digits_points() {
    let g = reader();
    let (labels, pixels) = test_digits();
    let codes = g.encode(floats(&pixels[..2 * PIXELS])).unwrap();
    let points = g.project(floats(&codes)).unwrap();
    assert_eq!(points.len(), 4);
    // Each projected test digit is nearer the centre of its own digit's scatter points than
    // the farthest centre is.
    let pca = g.pca().unwrap();
    let get = |key: &str| js_sys::Reflect::get(&pca, &key.into()).unwrap();
    let scatter = get("points").dyn_into::<Float32Array>().unwrap().to_vec();
    let scatter_labels = get("labels")
        .dyn_into::<js_sys::Uint8Array>()
        .unwrap()
        .to_vec();
    for (point, &label) in points.chunks(2).zip(labels) {
        let distance_to = |digit: u8| {
            let mine: Vec<&[f32]> = scatter
                .chunks(2)
                .zip(&scatter_labels)
                .filter(|&(_, &l)| l == digit)
                .map(|(p, _)| p)
                .collect();
            let n = mine.len() as f32;
            let centre = [
                mine.iter().map(|p| p[0]).sum::<f32>() / n,
                mine.iter().map(|p| p[1]).sum::<f32>() / n,
            ];
            (point[0] - centre[0]).hypot(point[1] - centre[1])
        };
        let own = distance_to(label);
        let farthest = (0..10).map(distance_to).fold(0.0f32, f32::max);
        assert!(own < farthest, "digit {label}: {own} from its centre");
    }
}

#[wasm_bindgen_test]
fn a_path_from_a_code_starts_there_and_ends_at_the_last_mean() {
    let g = reader();
    let (_, pixels) = test_digits();
    let code = g.encode(floats(&pixels[..PIXELS])).unwrap();
    let digits: JsValue = Array::of2(&3.into(), &8.into()).into();
    let frames = g.path_from(floats(&code), digits, 6.0).unwrap();
    assert_eq!(frames.len(), (2 * 6 + 1) * PIXELS);
    assert_eq!(&frames[..PIXELS], &g.decode(floats(&code)).unwrap()[..]);
    let eight = g.decode(floats(&g.class_mean(8.0).unwrap())).unwrap();
    assert_eq!(&frames[12 * PIXELS..], &eight[..]);
}

#[wasm_bindgen_test]
fn a_restyled_test_digit_is_every_class_in_its_slant() {
    let g = reader();
    let (labels, pixels) = test_digits();
    // The first fixture digits of two writers: the most and the least slanted.
    let slants: Vec<f32> = g
        .measure(floats(&pixels))
        .unwrap()
        .chunks(5)
        .map(|m| m[0])
        .collect();
    let steep = argmax(&slants);
    let upright = argmax(&slants.iter().map(|s| -s).collect::<Vec<_>>());
    let mut mean_slant = [0.0; 2];
    for (k, i) in [steep, upright].into_iter().enumerate() {
        let image = &pixels[i * PIXELS..(i + 1) * PIXELS];
        let row = g.restyle(floats(image), f64::from(labels[i])).unwrap();
        assert_eq!(row.len(), CLASSES * PIXELS);
        assert!(row.iter().all(|p| (0.0..=1.0).contains(p)));
        let probabilities = g
            .classify(floats(&g.encode(floats(&row)).unwrap()))
            .unwrap();
        let read = probabilities
            .chunks(CLASSES)
            .enumerate()
            .filter(|(d, p)| argmax(p) == *d)
            .count();
        assert!(
            read >= 9,
            "digit {i}'s restyle is read as its classes {read} times in 10"
        );
        let measured = g.measure(floats(&row)).unwrap();
        mean_slant[k] = measured.chunks(5).map(|m| m[0]).sum::<f32>() / CLASSES as f32;
    }
    assert!(
        mean_slant[0] > mean_slant[1] + 15.0,
        "a slanted writer's classes lean {}°, an upright one's {}° (test digits {}° and {}°)",
        mean_slant[0],
        mean_slant[1],
        slants[steep],
        slants[upright]
    );
}

/// A white vertical bar on black, `width × height` RGBA.
fn bar_image(width: usize, height: usize) -> Vec<u8> {
    let mut rgba = vec![0u8; width * height * 4];
    for y in height / 5..height * 4 / 5 {
        for x in width / 2 - 2..width / 2 + 2 {
            let i = (y * width + x) * 4;
            rgba[i..i + 4].copy_from_slice(&[255, 255, 255, 255]);
        }
    }
    for alpha in rgba.iter_mut().skip(3).step_by(4) {
        *alpha = 255;
    }
    rgba
}

#[wasm_bindgen_test]
fn a_drawn_bar_is_prepared_centred_and_read_as_a_one() {
    let g = reader();
    let rgba = Uint8ClampedArray::from(&bar_image(90, 70)[..]);
    let prepared = g.prepare(rgba.into(), 90.0, 70.0).unwrap();
    assert_eq!(prepared.len(), PIXELS);
    assert!(prepared.iter().all(|p| (0.0..=1.0).contains(p)));
    // The ink is 20 rows tall and centred.
    let rows: Vec<usize> = (0..28)
        .filter(|r| prepared[r * 28..(r + 1) * 28].iter().any(|&p| p > 0.1))
        .collect();
    assert!((19..=21).contains(&rows.len()), "ink rows {rows:?}");
    assert!((3..=5).contains(&rows[0]), "ink rows {rows:?}");
    let probabilities = g
        .classify(floats(&g.encode(floats(&prepared)).unwrap()))
        .unwrap();
    assert_eq!(argmax(&probabilities), 1, "{probabilities:?}");
    // Grey input gives the same picture.
    let grey: Vec<f32> = bar_image(90, 70)
        .chunks(4)
        .map(|p| f32::from(p[0]) / 255.0)
        .collect();
    assert_eq!(g.prepare(floats(&grey), 90.0, 70.0).unwrap(), prepared);
    // A blank pad is not an error: no ink, all zeros.
    let blank = Uint8ClampedArray::from(&vec![0u8; 16 * 16 * 4][..]);
    assert!(
        g.prepare(blank.into(), 16.0, 16.0)
            .unwrap()
            .iter()
            .all(|&p| p == 0.0)
    );
}

#[wasm_bindgen_test]
fn bad_reading_input_throws_a_named_error_and_the_instance_keeps_working() {
    let g = reader();
    let code = g.class_mean(2.0).unwrap();
    let (_, pixels) = test_digits();
    let image = &pixels[..PIXELS];
    let before = g.restyle(floats(image), 2.0).unwrap();
    let rgba = |n: usize| -> JsValue { Uint8ClampedArray::from(&vec![0u8; n][..]).into() };
    let cases: Vec<(String, &str)> = vec![
        (error_message(g.prepare(rgba(4 * 10), 5.0, 3.0)), "pixels"),
        (error_message(g.prepare(rgba(0), 0.0, 0.0)), "empty"),
        (error_message(g.prepare(rgba(4), 1.5, 1.0)), "width"),
        (
            error_message(g.prepare(floats(&[f32::NAN; 4]), 2.0, 2.0)),
            "NaN",
        ),
        (
            error_message(g.prepare("a picture".into(), 2.0, 2.0)),
            "pixels",
        ),
        (
            error_message(g.encode(floats(&[0.5; PIXELS - 1]))),
            "multiple of 784",
        ),
        (
            error_message(g.encode(floats(&[2.0; PIXELS]))),
            "from 0 to 1",
        ),
        (error_message(g.encode("image".into())), "images"),
        (
            error_message(g.classify(floats(&[0.0; 31]))),
            "multiple of 32",
        ),
        (
            error_message(g.classify(floats(&[f32::NAN; LATENT]))),
            "finite",
        ),
        (error_message(g.project(floats(&[]))), "multiple of 32"),
        (
            error_message(g.path_from(floats(&code), Array::new().into(), 5.0)),
            "at least 1 class",
        ),
        (
            error_message(g.path_from(floats(&code[..31]), Array::of1(&3.into()).into(), 5.0)),
            "32 values",
        ),
        (
            error_message(g.path_from(floats(&code), Array::of1(&12.into()).into(), 5.0)),
            "digits[0]",
        ),
        (error_message(g.restyle(floats(image), 11.0)), "fromDigit"),
        (
            error_message(g.restyle(floats(&[0.0; 64]), 1.0)),
            "multiple of 784",
        ),
    ];
    for (message, expected) in cases {
        assert!(
            message.contains(expected),
            "{message:?} should mention {expected:?}"
        );
    }
    assert_eq!(g.restyle(floats(image), 2.0).unwrap(), before);
}
