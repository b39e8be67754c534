//! `loadFlow` with a changed `flow.bin`.
#![no_main]

use latent_digits::fuzzing::{File, Mutant};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| Mutant::from_fuzz(File::FLOW, input).check());
