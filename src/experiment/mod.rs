//! Experiments: run configurations and presets, training runs with metrics, plots and
//! checkpoints, comparisons of several learners, evaluation of checkpoints.

pub mod compare;
pub mod config;
mod pool;
pub mod presets;
pub mod run;
pub mod run_dir;
pub mod sweep;
pub mod task;

use std::path::PathBuf;

pub use compare::{CompareOptions, SummaryRow, compare};
pub use config::{LearnerSpec, RunConfig, TaskConfig};
pub use run::{EpochMetrics, RunSummary, TrainOptions, evaluate, train, train_or_reuse};
pub use run_dir::{Checkpoint, RunDir};
pub use sweep::{Engine, Setting, SweepOptions, SweepRow, sweep};

fn diverged_at(step: Option<usize>, loss: Option<f64>) -> String {
    match (step, loss) {
        (Some(step), Some(loss)) => format!(" at step {step} (training loss {loss})"),
        _ => " (its weights became NaN or infinite)".into(),
    }
}

fn kept_checkpoint(kept: Option<usize>, dir: &std::path::Path) -> String {
    match kept {
        Some(epoch) => format!(
            "the checkpoint of epoch {epoch} in {} is kept; lower the learning rates to go on",
            dir.display()
        ),
        None => "no checkpoint was written; lower the learning rates".into(),
    }
}

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
    /// Another process is training in the same directory.
    #[error(
        "{0} is in use by another run (its run.lock is held): wait for it, or choose another --out"
    )]
    Locked(PathBuf),
    /// The weights diverged; the last good checkpoint was kept.
    #[error("{run} diverged in epoch {epoch}{}: training stopped; {}", diverged_at(*.step, *.loss), kept_checkpoint(*.kept, .dir))]
    Diverged {
        /// The run's label.
        run: String,
        /// The epoch (from 1).
        epoch: usize,
        /// The first step (from 1) with a non-finite loss, when the loss showed it (else the
        /// weights were found non-finite after the epoch).
        step: Option<usize>,
        /// That loss.
        loss: Option<f64>,
        /// The epoch of the checkpoint kept, if one was written.
        kept: Option<usize>,
        /// The run directory.
        dir: PathBuf,
    },
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
    /// Every device of `--devices` failed before the jobs were done.
    #[error(
        "every device failed before the jobs were done ({0}); the run directories keep their \
         last checkpoints: run the command again to resume"
    )]
    DevicesLost(String),
    /// A plot could not be drawn.
    #[error(transparent)]
    Plot(#[from] crate::plot::PlotError),
}

impl ExperimentError {
    /// The same error, a configuration problem attributed to `origin` (the file it came from).
    pub fn from_origin(self, origin: &str) -> Self {
        match self {
            Self::Config { message, .. } => Self::Config {
                origin: origin.to_string(),
                message,
            },
            other => other,
        }
    }
}
