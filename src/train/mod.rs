//! The native trainer and command-line tool (cargo feature `train`).

pub mod adam;
pub mod augment;
pub mod bench;
pub mod classifier;
pub mod commands;
pub mod data;
pub mod evaluate;
pub mod figures;
pub mod files;
pub mod fitting;
pub mod loss;
pub mod model_dir;
pub mod progress;
pub mod trainer;
