//! The native trainer and command-line tool (cargo feature `train`).

pub mod commands;
pub mod data;
pub mod files;
pub mod loss;
pub mod progress;
pub mod trainer;
