//! latent-digits: generate handwritten digits from an autoencoder's 32-d latent space.
//!
//! - [`dataset`]: the two data sets (digits, clothes) and their class names.
//! - [`architecture`]: the network, defined once in plain Rust: image and code sizes, layer shapes
//!   and activations (burn's modules of it live with the trainer, in `train::model`).
//! - `record` (not in the page's module): the networks' layers read from their burnpack records in
//!   plain Rust, for packing them and for native tools and tests.
//! - [`integer_net`]: the forward pass in 16-bit integers, how the page decodes and encodes.
//! - [`measure`]: the measured style of an image (slant, thickness, width, height, ink).
//! - [`prepare`]: an image of any size and colours prepared as MNIST's digits were.
//! - [`latent`]: the statistics of the codes (Gaussians, mixtures, PCA) and sampling from them;
//!   `latent::fit` (feature `train`) fits them.
//! - [`animation`]: animated GIFs of digit frames (the page's morph download, the CLI's loop).
//! - [`artifact`]: the versioned, checksummed `latent.bin` that carries the statistics and the
//!   model card.
//! - [`generator`]: decoder, encoder and statistics: every operation the page offers, with the
//!   one check of every argument.
//! - `fuzzing` (not in the page's module, hidden): the cases the property tests and the fuzz
//!   targets run on every reader of outside bytes and on `prepare`.
//! - `web` (wasm32 only): the thin JS bindings of the generator.
//! - `train` (feature `train`, the only place burn is used): burn's modules of the network, data
//!   loading, training, fitting, evaluation and the command-line tool.

pub mod animation;
pub mod architecture;
pub mod artifact;
pub mod dataset;
#[cfg(not(target_arch = "wasm32"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod generator;
pub mod integer_net;
pub mod latent;
pub mod measure;
pub mod prepare;
#[cfg(not(target_arch = "wasm32"))]
pub mod record;

#[cfg(feature = "train")]
pub mod train;

#[cfg(target_arch = "wasm32")]
pub mod web;
