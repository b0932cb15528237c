//! Issuing independent tensor operations from several host threads, on CPU backends only.
//!
//! On flex and ndarray, running independent layers' operations on rayon's threads uses every
//! core. A GPU backend instead queues work per submitting thread, and on NVIDIA's Vulkan
//! driver (wgpu, an H100) operations issued from two threads at once raced: training went
//! wrong, differently on every run, while the same run issued from one thread matched the CPU
//! exactly (`scripts/gpu-bench.sh`, docs/performance.md). So everything that is not a CPU
//! backend gets its operations from one thread, in order.

use burn::tensor::Device;

/// Whether tensor operations on `device` may be issued from several host threads at once.
pub(crate) fn host_threads(device: &Device) -> bool {
    #[cfg(feature = "flex")]
    if *device == Device::flex() {
        return true;
    }
    #[cfg(feature = "ndarray")]
    #[allow(deprecated)]
    if *device == Device::ndarray() {
        return true;
    }
    let _ = device;
    false
}

/// The threads a run may use: `RAYON_NUM_THREADS` when set (as for the tensor backends'
/// pool), otherwise every core.
pub(crate) fn threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// `(a(), b())`, on two threads when `parallel`.
pub(crate) fn join<A: Send, B: Send>(
    parallel: bool,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if parallel {
        rayon::join(a, b)
    } else {
        (a(), b())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(feature = "flex")]
    fn cpu_backends_use_host_threads() {
        assert!(host_threads(&Device::flex()));
    }
}
