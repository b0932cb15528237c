//! The subcommands of the `microcircuits` binary, one file each: the arguments (clap) and
//! what the command does with them through the library.

pub mod compare;
pub mod eval;
pub mod figure;
pub mod list;
pub mod sweep;
pub mod train;

use burn::tensor::Device;

/// The options every subcommand takes.
pub struct Global {
    /// `--device`, as given.
    pub device: Option<String>,
    /// Progress bars and per-epoch lines (not `--quiet`).
    pub progress: bool,
}

impl Global {
    /// The backend device named by `--device` (flex by default).
    pub fn device(&self) -> anyhow::Result<Device> {
        Ok(microcircuits::backend::device_by_name(
            self.device.as_deref(),
        )?)
    }
}
