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
