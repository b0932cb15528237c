//! Choosing the device (and so the backend) at run time.
//!
//! Backends are compiled in by cargo features (`flex` by default, `ndarray`, `wgpu`,
//! `cuda`); [`device`] picks one of the compiled-in ones by name, for a `--device` flag.

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

/// A backend that is unknown or was not compiled in.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BackendError {
    /// Not a backend name.
    #[error("unknown device '{0}': expected flex, ndarray, wgpu or cuda")]
    Unknown(String),
    /// The backend's cargo feature is off.
    #[error("device '{0}' is not compiled in: rebuild with `--features {0}`")]
    NotCompiled(Backend),
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

/// The device named by `name` (`flex`, `ndarray`, `wgpu`, `cuda`), or Burn's default device
/// (the first compiled-in backend) for `None`.
pub fn device_by_name(name: Option<&str>) -> Result<Device, BackendError> {
    match name {
        Some(name) => device(name.parse()?),
        None => Ok(Device::default()),
    }
}
