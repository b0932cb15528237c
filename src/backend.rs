//! Choosing the device (and so the backend) at run time.
//!
//! Backends are compiled in by cargo features (`flex` by default, `ndarray`, `wgpu`,
//! `cuda`); [`device`] picks one of the compiled-in ones by name, for a `--device` flag.
//! `remote:ws://HOST:PORT` names a device served by `microcircuits serve` on another process
//! or machine (feature `remote`, on by default; see [`crate::remote`]).

use std::fmt;
use std::str::FromStr;

use burn::tensor::Device;

/// A backend name as given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Burn's native CPU backend (the default).
    Flex,
    /// The `ndarray` CPU backend.
    Ndarray,
    /// The `wgpu` GPU backend (Vulkan, Metal, DX12; falls back to a software driver).
    Wgpu,
    /// The CUDA backend.
    Cuda,
}

/// A backend that is unknown, was not compiled in, or (remote) cannot be reached.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// Not a backend name.
    #[error("unknown device '{0}': expected flex, ndarray, wgpu, cuda or remote:ws://HOST:PORT")]
    Unknown(String),
    /// The backend's cargo feature is off.
    #[error("device '{0}' is not compiled in: rebuild with `--features {0}`")]
    NotCompiled(Backend),
    /// A remote device was asked for without the `remote` feature.
    #[error("device '{0}' needs the remote backend: rebuild with `--features remote`")]
    RemoteNotCompiled(String),
    /// A remote device could not be reached.
    #[cfg(feature = "remote")]
    #[error(transparent)]
    Remote(#[from] crate::remote::RemoteError),
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Flex => "flex",
            Self::Ndarray => "ndarray",
            Self::Wgpu => "wgpu",
            Self::Cuda => "cuda",
        })
    }
}

impl FromStr for Backend {
    type Err = BackendError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "flex" | "cpu" => Ok(Self::Flex),
            "ndarray" => Ok(Self::Ndarray),
            "wgpu" | "gpu" => Ok(Self::Wgpu),
            "cuda" => Ok(Self::Cuda),
            _ => Err(BackendError::Unknown(s.to_string())),
        }
    }
}

/// The device for `backend`, if its feature was compiled in.
#[allow(unreachable_code, deprecated)]
pub fn device(backend: Backend) -> Result<Device, BackendError> {
    match backend {
        Backend::Flex => {
            #[cfg(feature = "flex")]
            return Ok(Device::flex());
        }
        Backend::Ndarray => {
            #[cfg(feature = "ndarray")]
            return Ok(Device::ndarray());
        }
        Backend::Wgpu => {
            #[cfg(feature = "wgpu")]
            return Ok(wgpu_device());
        }
        Backend::Cuda => {
            #[cfg(feature = "cuda")]
            return Ok(Device::cuda(0));
        }
    }
    Err(BackendError::NotCompiled(backend))
}

/// The default wgpu adapter (a real GPU, or Mesa's software Vulkan driver without one).
#[cfg(feature = "wgpu")]
pub fn wgpu_device() -> Device {
    Device::wgpu(burn::tensor::DeviceKind::default())
}

/// The device named by `name` (`flex`, `ndarray`, `wgpu`, `cuda`, or `remote:ws://HOST:PORT`
/// with the token from the environment variable `MICROCIRCUITS_REMOTE_TOKEN`), or Burn's
/// default device (the first compiled-in backend) for `None`.
pub fn device_by_name(name: Option<&str>) -> Result<Device, BackendError> {
    #[cfg(feature = "remote")]
    let token = crate::remote::read_token(None)?;
    #[cfg(not(feature = "remote"))]
    let token: Option<String> = None;
    device_with_token(name, token.as_deref())
}

/// The URL of a `remote:URL` device name.
pub fn remote_url(name: &str) -> Option<&str> {
    name.strip_prefix("remote:")
}

/// [`device_by_name`] with the token for a remote device given.
pub fn device_with_token(name: Option<&str>, token: Option<&str>) -> Result<Device, BackendError> {
    let Some(name) = name else {
        return Ok(Device::default());
    };
    let Some(url) = remote_url(name) else {
        return device(name.parse()?);
    };
    if !(url.starts_with("ws://") || url.starts_with("wss://")) {
        return Err(BackendError::Unknown(name.to_string()));
    }
    #[cfg(feature = "remote")]
    {
        let token = token.ok_or_else(|| crate::remote::RemoteError::NoToken {
            what: format!("device '{name}'"),
        })?;
        Ok(crate::remote::connect(url, token)?)
    }
    #[cfg(not(feature = "remote"))]
    {
        let _ = token;
        Err(BackendError::RemoteNotCompiled(name.to_string()))
    }
}
