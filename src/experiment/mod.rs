//! Experiments: run configurations and presets, training runs with metrics, plots and
//! checkpoints, comparisons of several learners, evaluation of checkpoints.

pub mod compare;
pub mod config;
pub mod presets;
pub mod run;
pub mod task;

use std::path::PathBuf;

pub use compare::{CompareOptions, SummaryRow, compare};
pub use config::{LearnerSpec, RunConfig, TaskConfig};
pub use run::{EpochMetrics, RunSummary, TrainOptions, evaluate, train};

/// Why an experiment could not run; each names the file or value at fault.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// A configuration value or file is wrong.
    #[error("{origin}: {message}")]
    Config {
        /// The file or preset.
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// No preset of that name.
    #[error("unknown preset '{name}' (known: {known})")]
    UnknownPreset {
        /// The name asked for.
        name: String,
        /// The presets there are.
        known: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The output directory already holds a run.
    #[error("{0} already holds a run: pass --resume to continue it, or choose another --out")]
    Exists(PathBuf),
    /// A checkpoint is missing or does not fit.
    #[error("{path}: {message}")]
    Checkpoint {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Data could not be loaded.
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    /// A learner could not be built or stepped.
    #[error(transparent)]
    Learner(#[from] baselines::BaselineError),
    /// A plot could not be drawn.
    #[error(transparent)]
    Plot(#[from] crate::plot::PlotError),
}
