//! A public API that cannot be crashed, the short run: `fromBytes`, `loadEncoder`, `loadFlow`, the
//! statistics' parser and `prepare` on random bytes, on the committed files edited (bytes set,
//! words written, cuts, insertions, removals; resealed or not) and on images of any size and
//! values. Each call returns a value or an error, and what it returns works
//! (`latent_digits::fuzzing` says what is checked). The long runs are the fuzz targets in
//! `fuzz/`, which run the same checks.
#![cfg(not(target_arch = "wasm32"))]

use latent_digits::fuzzing::{Edit, File, Model, Mutant, check_prepare};
use latent_digits::prepare::{Layout, Pixels};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

/// Where an edit lands: mostly in the first kilobyte, where the headers, the layer shapes and
/// the statistics' model card are; anywhere otherwise.
fn offset() -> impl Strategy<Value = u32> {
    prop_oneof![3 => 0u32..1024, 1 => any::<u32>()]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (offset(), any::<u8>()).prop_map(|(at, value)| Edit::Byte { at, value }),
        (offset(), any::<u32>()).prop_map(|(at, value)| Edit::Word { at, value }),
        offset().prop_map(|at| Edit::Truncate { at }),
        (offset(), vec(any::<u8>(), 1..16)).prop_map(|(at, bytes)| Edit::Insert { at, bytes }),
        (offset(), any::<u16>()).prop_map(|(at, len)| Edit::Remove { at, len }),
    ]
}

/// One of `files` of either model: random bytes, or the committed file with a few edits,
/// resealed or not.
fn mutant(files: &'static [File]) -> impl Strategy<Value = Mutant> {
    let own = prop_oneof![3 => Just(None), 1 => vec(any::<u8>(), 0..512).prop_map(Some)];
    (
        select(vec![Model::Digits, Model::Clothes]),
        select(files),
        own,
        vec(edit(), 0..4),
        any::<bool>(),
    )
        .prop_map(|(model, file, own, edits, reseal)| Mutant {
            model,
            file,
            own,
            edits,
            reseal,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn changed_statistics_parse_and_work_or_are_refused(mutant in mutant(File::STATS)) {
        mutant.check();
    }

    #[test]
    fn changed_decoders_load_and_work_or_are_refused(mutant in mutant(File::DECODER)) {
        mutant.check();
    }

    #[test]
    fn changed_encoders_load_and_work_or_are_refused(mutant in mutant(File::ENCODER)) {
        mutant.check();
    }

    #[test]
    fn changed_flows_load_and_work_or_are_refused(mutant in mutant(File::FLOW)) {
        mutant.check();
    }

    #[test]
    fn changed_records_load_and_work_or_are_refused(mutant in mutant(File::RECORDS)) {
        mutant.check();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn images_of_any_size_and_values_prepare_or_are_refused(
        width in prop_oneof![0usize..48, any::<usize>()],
        height in prop_oneof![0usize..48, any::<usize>()],
        rgba in any::<bool>(),
        exact in prop_oneof![3 => Just(true), 1 => Just(false)],
        values in vec(any::<f32>(), 0..4096),
        bytes in vec(any::<u8>(), 0..16384),
        clothing in any::<bool>(),
    ) {
        let layout = if clothing { Layout::Clothing } else { Layout::Digit };
        let count = if exact { width.saturating_mul(height) } else { values.len() };
        if rgba {
            let bytes: Vec<u8> = bytes.iter().copied().cycle().take(count.min(1 << 16) * 4).collect();
            check_prepare(Pixels::Rgba(&bytes), width, height, layout);
        } else {
            let grey: Vec<f32> = values.iter().copied().cycle().take(count.min(1 << 16)).collect();
            check_prepare(Pixels::Grey(&grey), width, height, layout);
        }
    }
}

/// The fuzz targets' seeds, one byte each, name every committed file, which resealing leaves
/// as it is.
#[test]
fn one_byte_fuzz_inputs_reach_every_committed_file() {
    for files in [
        File::STATS,
        File::DECODER,
        File::ENCODER,
        File::FLOW,
        File::RECORDS,
    ] {
        let mut reached = Vec::new();
        for how in 0..=u8::MAX {
            let mutant = Mutant::from_fuzz(files, &[how]);
            if mutant.own.is_none() && mutant.reseal {
                let committed = mutant.file.committed(mutant.model);
                assert!(mutant.bytes() == committed, "{mutant:?}");
                reached.push((mutant.file, mutant.model));
            }
        }
        for &file in files {
            for model in [Model::Digits, Model::Clothes] {
                assert!(reached.contains(&(file, model)), "{file:?} of {model:?}");
            }
        }
    }
}
