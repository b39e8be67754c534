//! latent-digits: generate handwritten digits from an autoencoder's 32-d latent space.
//!
//! - [`model`]: the network, shared by the trainer and the wasm decoder.
//! - [`integer_decoder`]: the decoder's forward pass in 16-bit integers, how the page decodes.
//! - `train` (feature `train`): data loading, training, fitting and the command-line tool.

pub mod artifact;
pub mod generator;
pub mod integer_decoder;
pub mod latent;
pub mod model;

#[cfg(feature = "train")]
pub mod train;

#[cfg(target_arch = "wasm32")]
pub mod web;
