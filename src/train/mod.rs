//! The native trainer and command-line tool (cargo feature `train`).

pub mod adam;
pub mod arrays;
pub mod augment;
pub mod bench;
pub mod classifier;
pub mod cli;
pub mod data;
pub mod device;
pub mod evaluate;
pub mod figures;
pub mod files;
pub mod fit;
pub mod flow;
pub mod loss;
pub mod machine;
pub mod model;
pub mod model_dir;
pub mod progress;
pub mod score;
pub mod style;
pub mod trainer;
pub mod training_run;
