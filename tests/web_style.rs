//! The JS API of measured style (styleAxes, measure, moveStyle, styleOf, writeInStyle), run by
//! wasm-bindgen-test in Node and headless Chromium.
#![cfg(target_arch = "wasm32")]

mod common;

use common::{LATENT, PIXELS, argmax, error_message, fashion, floats, reader};
use js_sys::{Array, Float32Array, Object, Reflect};
use latent_digits::latent::CLASSES;
use latent_digits::web::JsGenerator;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

const MEASURES: usize = 5;
const SLANT: usize = 0;
const THICKNESS: usize = 1;

fn digits(list: &[u32]) -> JsValue {
    list.iter()
        .map(|&d| JsValue::from(d))
        .collect::<Array>()
        .into()
}

/// `{ name: value, … }`
fn object(entries: &[(&str, f64)]) -> JsValue {
    let object = Object::new();
    for (name, value) in entries {
        Reflect::set(&object, &(*name).into(), &(*value).into()).unwrap();
    }
    object.into()
}

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &key.into()).unwrap()
}

/// The mean of column `column` of rows of [`MEASURES`].
fn mean_of(measures: &[f32], column: usize) -> f32 {
    let rows = measures.len() / MEASURES;
    measures.chunks(MEASURES).map(|m| m[column]).sum::<f32>() / rows as f32
}

/// The `sd` of the axis called `name`.
fn sd_of(g: &JsGenerator, name: &str) -> f64 {
    let axes: Array = g.style_axes().unwrap().into();
    let axis = axes
        .iter()
        .find(|a| get(a, "name") == name)
        .expect("the axis");
    get(&axis, "sd").as_f64().unwrap()
}

#[wasm_bindgen_test]
fn the_axes_name_the_measures_in_order_with_units_and_spreads() {
    let g = JsGenerator::new().unwrap();
    let axes: Array = g.style_axes().unwrap().into();
    let names: Vec<String> = axes
        .iter()
        .map(|a| get(&a, "name").as_string().unwrap())
        .collect();
    assert_eq!(names, ["slant", "thickness", "width", "height", "ink"]);
    let units: Vec<String> = axes
        .iter()
        .map(|a| get(&a, "unit").as_string().unwrap())
        .collect();
    assert_eq!(units, ["degrees", "px", "px", "px", "px²"]);
    for axis in axes.iter() {
        let sd = get(&axis, "sd").as_f64().unwrap();
        assert!(sd > 0.0 && sd < 100.0, "sd {sd}");
        let steerable = get(&axis, "steerable").as_bool().unwrap();
        assert_eq!(
            steerable,
            get(&axis, "name") != "ink",
            "digits steer all but ink"
        );
    }
    // The clothes steer their size and darkness instead.
    let clothes = JsGenerator::from_bytes(fashion::DECODER, fashion::STATS).unwrap();
    let axes: Array = clothes.style_axes().unwrap().into();
    let steered: Vec<String> = axes
        .iter()
        .filter(|a| get(a, "steerable").as_bool().unwrap())
        .map(|a| get(&a, "name").as_string().unwrap())
        .collect();
    assert_eq!(steered, ["width", "height", "ink"]);
}

/// A 28 × 28 image of a vertical bar `width` pixels wide and 16 tall.
fn bar(width: usize) -> Vec<f32> {
    let mut image = vec![0.0; PIXELS];
    for y in 6..22 {
        for x in 14 - width / 2..14 - width / 2 + width {
            image[y * 28 + x] = 1.0;
        }
    }
    image
}

#[wasm_bindgen_test]
fn bars_measure_their_thickness_size_and_ink() {
    let g = JsGenerator::new().unwrap();
    let mut images = bar(2);
    images.extend(bar(4));
    let measured = g.measure(floats(&images)).unwrap();
    assert_eq!(measured.len(), 2 * MEASURES);
    for (row, width) in measured.chunks(MEASURES).zip([2.0, 4.0]) {
        assert!(row[SLANT].abs() < 0.01, "an upright bar: {row:?}");
        assert!(
            (row[THICKNESS] - width).abs() < 0.4,
            "{width} px bar: {row:?}"
        );
        assert!(
            (row[2] - width).abs() < 0.4 && (row[3] - 16.0).abs() < 0.4,
            "box {row:?}"
        );
        assert!((row[4] - 16.0 * width).abs() < 0.01, "ink {row:?}");
    }
}

#[wasm_bindgen_test]
fn moving_a_style_changes_the_measure_in_its_unit_and_keeps_the_class() {
    let g = reader();
    let codes = g
        .sample_latents(3.0, 40.0, object(&[("seed", 5.0)]))
        .unwrap();
    let codes: Vec<f32> = Float32Array::from(get(&codes.into(), "latents")).to_vec();
    let before = g
        .measure(floats(&g.decode(floats(&codes)).unwrap()))
        .unwrap();
    for (name, column) in [("slant", SLANT), ("thickness", THICKNESS)] {
        let sd = sd_of(&g, name);
        let moved = g
            .move_style(floats(&codes), 3.0, object(&[(name, sd)]))
            .unwrap();
        assert_eq!(moved.len(), codes.len());
        let images = g.decode(floats(&moved)).unwrap();
        let change = (mean_of(&g.measure(floats(&images)).unwrap(), column)
            - mean_of(&before, column))
            / sd as f32;
        assert!(
            (0.6..=1.4).contains(&change),
            "{name} +1 sd moved it {change} sd"
        );
        let read = g
            .classify(floats(&g.encode(floats(&images)).unwrap()))
            .unwrap();
        let threes = read.chunks(CLASSES).filter(|p| argmax(p) == 3).count();
        assert!(
            threes >= 36,
            "{threes} of 40 threes still read as 3 after {name} +1 sd"
        );
    }
}

#[wasm_bindgen_test]
fn a_style_writes_any_number_the_same_way_each_time() {
    let g = reader();
    let text = digits(&[2, 0, 2, 6, 1, 2, 0, 2]);
    let slanted = object(&[("slant", 25.0), ("thickness", 3.5)]);
    let seed = object(&[("seed", 7.0)]);
    let written = g
        .write_in_style(slanted.clone(), text.clone(), seed.clone())
        .unwrap();
    assert_eq!(written.len(), 8 * LATENT);
    assert_eq!(
        written,
        g.write_in_style(slanted.clone(), text.clone(), seed)
            .unwrap()
    );
    let other = g
        .write_in_style(slanted.clone(), text.clone(), object(&[("seed", 8.0)]))
        .unwrap();
    assert_ne!(written, other, "another seed, other samples");
    let images = g.decode(floats(&written)).unwrap();
    let read = g
        .classify(floats(&g.encode(floats(&images)).unwrap()))
        .unwrap();
    let typed = [2, 0, 2, 6, 1, 2, 0, 2];
    let right = read
        .chunks(CLASSES)
        .zip(typed)
        .filter(|(p, d)| argmax(p) == *d)
        .count();
    assert!(right >= 7, "{right} of 8 characters read as typed");
    // An upright thin writer's number leans less and is thinner.
    let upright = object(&[("slant", -5.0), ("thickness", 1.8)]);
    let plain = g
        .write_in_style(upright, text, object(&[("seed", 7.0)]))
        .unwrap();
    let plain = g
        .measure(floats(&g.decode(floats(&plain)).unwrap()))
        .unwrap();
    let measured = g.measure(floats(&images)).unwrap();
    assert!(mean_of(&measured, SLANT) > mean_of(&plain, SLANT) + 15.0);
    assert!(mean_of(&measured, THICKNESS) > mean_of(&plain, THICKNESS) + 0.8);
}

#[wasm_bindgen_test]
fn the_style_of_drawn_digits_is_their_measures() {
    let g = JsGenerator::new().unwrap();
    let mut images = bar(2);
    images.extend(bar(4));
    let style = g.style_of(floats(&images), digits(&[1, 1])).unwrap();
    let thickness = get(&style.clone().into(), "thickness").as_f64().unwrap();
    assert!(
        (thickness - 3.0).abs() < 0.4,
        "two bars of 2 and 4 px: {thickness}"
    );
    assert!(get(&style.clone().into(), "slant").as_f64().unwrap().abs() < 0.01);
    assert!(
        get(&style.into(), "ink").is_undefined(),
        "ink is not a digit's style"
    );
}

/// Asserts that the call throws a JS `Error` whose message mentions `expected`.
macro_rules! throws {
    ($call:expr, $expected:expr) => {
        let result = $call;
        assert!(result.is_err(), "{} did not throw", stringify!($call));
        let message = error_message(result);
        assert!(
            message.contains($expected),
            "{message:?} should mention {:?}",
            $expected
        );
    };
}

#[wasm_bindgen_test]
fn bad_style_input_throws_a_named_error_and_the_instance_keeps_working() {
    let g = reader();
    let code = g.class_mean(2.0).unwrap();
    let style = object(&[("slant", 10.0)]);
    let before = g
        .write_in_style(style.clone(), digits(&[4, 2]), JsValue::UNDEFINED)
        .unwrap();
    let none = || JsValue::UNDEFINED;
    throws!(
        g.move_style(floats(&code), 2.0, object(&[("slnat", 1.0)])),
        "slnat"
    );
    throws!(
        g.move_style(floats(&code), 2.0, object(&[("ink", 1.0)])),
        "cannot be set"
    );
    throws!(
        g.move_style(floats(&code), 2.0, object(&[("slant", f64::NAN)])),
        "finite"
    );
    throws!(
        g.move_style(floats(&code), 2.0, "thicker".into()),
        "measure names"
    );
    throws!(
        g.move_style(floats(&code[..31]), 2.0, style.clone()),
        "multiple of 32"
    );
    throws!(g.move_style(floats(&code), 11.0, style.clone()), "digit");
    throws!(g.measure(floats(&[0.5; 100])), "multiple of 784");
    throws!(g.measure(floats(&[f32::NAN; PIXELS])), "from 0 to 1");
    throws!(
        g.style_of(floats(&bar(3)), digits(&[1, 2])),
        "one class per image"
    );
    throws!(
        g.write_in_style(style.clone(), digits(&[]), none()),
        "classes"
    );
    throws!(
        g.write_in_style(style.clone(), digits(&[3, 12]), none()),
        "digits[1]"
    );
    throws!(
        g.write_in_style(object(&[("slant", 1e9)]), digits(&[3]), none()),
        "slant"
    );
    throws!(
        g.write_in_style(style.clone(), digits(&[3]), object(&[("seed", -1.0)])),
        "seed"
    );
    throws!(
        g.write_in_style(style.clone(), digits(&[3]), object(&[("sed", 1.0)])),
        "sed"
    );
    assert_eq!(
        g.write_in_style(style, digits(&[4, 2]), JsValue::UNDEFINED)
            .unwrap(),
        before
    );
}
