//! `latent-digits`: train the autoencoder, fit its latent statistics, sample, and draw figures.

use std::process::ExitCode;

use clap::Parser;
use latent_digits::train::cli::{self, Cli};

/// Training frees and reallocates megabyte-sized tensors every step; mimalloc keeps that memory
/// mapped instead of returning it to the kernel and faulting it back in.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match cli::run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}`: the whole chain, from what was being done to the cause.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
