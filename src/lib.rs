//! Dendritic cortical microcircuits and the learning rules they are compared with, on Burn.
//!
//! This crate is the user-facing entry point: it re-exports the model crate
//! ([`dendritic`]) and the baselines ([`baselines`]), and adds data loading.

pub mod backend;
pub mod data;
pub mod experiment;
pub mod plot;
#[cfg(feature = "remote")]
pub mod remote;
pub mod training;

pub use baselines;
pub use dendritic;
pub mod figures;
