//! `prepare` on any size and any RGBA bytes or grey values.
#![no_main]

use latent_digits::fuzzing::run_prepare;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| run_prepare(input));
