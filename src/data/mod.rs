//! Data sets: MNIST-style IDX directories split as in the paper (55,000 / 5,000 / 10,000).

pub mod download;
pub mod idx;
pub mod mnist;

use std::path::PathBuf;

pub use mnist::{Dataset, Split};

/// What can go wrong reading a data set; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file is missing from the data directory.
    #[error("{file} not found in {dir}")]
    Missing {
        /// The directory searched.
        dir: PathBuf,
        /// The file looked for.
        file: String,
    },
    /// The file could not be read (or un-gzipped).
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file ends before its header says it should.
    #[error("{path}: truncated: needs {expected} bytes, has {got}")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Bytes the header calls for.
        expected: usize,
        /// Bytes present.
        got: usize,
    },
    /// The file does not start with the IDX magic number expected.
    #[error(
        "{path}: not an IDX file of the expected kind (magic number {got:#010x}, expected {expected:#010x})"
    )]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The magic number expected.
        expected: u32,
        /// The magic number found.
        got: u32,
    },
    /// Files that do not fit together (image and label counts, image sizes).
    #[error("{0}")]
    Inconsistent(String),
}
