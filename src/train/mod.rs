//! The native trainer and command-line tool (cargo feature `train`).

pub mod adam;
pub mod augment;
pub mod bench;
pub mod classifier;
pub mod cli;
pub mod data;
pub mod evaluate;
pub mod export;
pub mod figures;
pub mod files;
pub mod latent_bin;
pub mod loss;
pub mod machine;
pub mod model;
pub mod model_dir;
pub mod progress;
pub mod score;
pub mod trainer;
pub mod training_run;
