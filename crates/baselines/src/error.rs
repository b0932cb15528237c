//! Errors of the baselines: bad configurations and mismatched tensors.

use dendritic::DendriticError;

/// Why a learner could not be built or could not take a step.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// A configuration value is out of range.
    #[error("bad learner config: {0}")]
    BadConfig(String),
    /// An input or target batch has the wrong shape.
    #[error("{what} has shape {got:?}, expected [batch, {expected}]")]
    Shape {
        /// Which tensor.
        what: &'static str,
        /// Its shape.
        got: Vec<usize>,
        /// The expected number of columns.
        expected: usize,
    },
    /// Input and target batches differ in size.
    #[error("input batch has {input} rows but target batch has {target}")]
    BatchMismatch {
        /// Rows of the input.
        input: usize,
        /// Rows of the target.
        target: usize,
    },
    /// A checkpoint could not be written or read.
    #[error("checkpoint {path}: {message}")]
    Checkpoint {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The weights hold NaN or infinity, so they were not written over a good checkpoint.
    #[error("weights are not finite (NaN or infinity): not saved to {path}")]
    NonFinite {
        /// The checkpoint that was kept.
        path: String,
    },
    /// An error from the microcircuit.
    #[error(transparent)]
    Dendritic(#[from] DendriticError),
}

impl BaselineError {
    /// The same error, its message prefixed with the part of the config it concerns (e.g.
    /// `bp` for a learner's optimiser).
    pub fn within(self, what: &str) -> Self {
        match self {
            Self::BadConfig(message) => Self::BadConfig(format!("{what} {message}")),
            other => other,
        }
    }
}

/// Result with a [`BaselineError`].
pub type Result<T> = std::result::Result<T, BaselineError>;
