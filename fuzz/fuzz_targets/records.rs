//! Native `fromBytes` and `loadEncoder` with a changed burnpack record (`decoder.bpk`,
//! `encoder.q8.bpk`): the page's module has no record reader.
#![no_main]

use latent_digits::fuzzing::{File, Mutant};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| Mutant::from_fuzz(File::RECORDS, input).check());
