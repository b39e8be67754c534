//! `latent-digits`: train the autoencoder, fit its latent statistics, sample, and draw figures.

use std::process::ExitCode;

use clap::Parser;
use latent_digits::train::commands::{self, Cli};

fn main() -> ExitCode {
    match commands::run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
