//! The subcommands of the `microcircuits` binary, one file each: the arguments (clap) and
//! what the command does with them through the library.

pub mod compare;
pub mod eval;
pub mod figure;
pub mod list;
pub mod serve;
pub mod sweep;
pub mod train;

use std::path::PathBuf;

use burn::tensor::Device;
use microcircuits::backend::{device_with_token, remote_url};

/// What `compare` and `sweep` share: the length and data of every run, and the devices
/// that train them.
#[derive(clap::Args)]
pub struct JobArgs {
    /// Override the epochs of every run.
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Keep only the first N training examples.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Folder with the four IDX files of the task's data set.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Several devices (comma-separated, e.g. remote:ws://a:3000,remote:ws://b:3000): one
    /// job (a run, or a sweep's stack) at a time on each until all are done; a job whose
    /// device fails resumes on another from its last checkpoint.
    #[arg(long, value_delimiter = ',')]
    pub devices: Option<Vec<String>>,
}

/// The options every subcommand takes.
pub struct Global {
    /// `--device`, as given.
    pub device: Option<String>,
    /// `--token-file`, as given.
    pub token_file: Option<PathBuf>,
    /// Progress bars and per-epoch lines (not `--quiet`).
    pub progress: bool,
}

impl Global {
    /// The backend device named by `--device` (flex by default).
    pub fn device(&self) -> anyhow::Result<Device> {
        self.open(self.device.as_deref())
    }

    /// The devices named by `--devices` (one job runs on each at a time), or `--device`.
    pub fn devices(&self, names: Option<&[String]>) -> anyhow::Result<Vec<Device>> {
        match names {
            Some(names) if !names.is_empty() => {
                if self.device.is_some() {
                    anyhow::bail!("give either --device or --devices, not both");
                }
                names.iter().map(|n| self.open(Some(n))).collect()
            }
            _ => Ok(vec![self.device()?]),
        }
    }

    fn open(&self, name: Option<&str>) -> anyhow::Result<Device> {
        let token = match name.and_then(remote_url) {
            Some(_) => self.token()?,
            None => None,
        };
        Ok(device_with_token(name, token.as_deref())?)
    }

    /// The remote token, from `--token-file` or the environment.
    pub fn token(&self) -> anyhow::Result<Option<String>> {
        #[cfg(feature = "remote")]
        {
            Ok(microcircuits::remote::read_token(
                self.token_file.as_deref(),
            )?)
        }
        #[cfg(not(feature = "remote"))]
        {
            let _ = &self.token_file;
            Ok(None)
        }
    }
}
