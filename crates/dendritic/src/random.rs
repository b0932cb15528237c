//! Seeded weight initialisation on the host, so that one seed gives the same weights on
//! every backend and in any test order (Burn's own device RNG is process-global).

use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::config::Precision;

/// Appends `count` samples of `N(0, scale²)` in f32 to `out`, drawn from `rng` by the
/// ziggurat method (`rand_distr::StandardNormal`): the noise of the continuous dynamics,
/// thousands of samples per Euler step.
pub fn push_normals(rng: &mut StdRng, out: &mut Vec<f32>, count: usize, scale: f64) {
    out.extend(
        rng.sample_iter(rand_distr::StandardNormal)
            .take(count)
            .map(|z: f64| (z * scale) as f32),
    );
}

/// `count` samples of `N(0, scale²)` drawn from `rng` by the ziggurat method
/// (`rand_distr::StandardNormal`): target propagation's corruption noise, the denoising
/// figure's pixel noise.
pub fn normals(rng: &mut StdRng, count: usize, scale: f64) -> Vec<f64> {
    rng.sample_iter(rand_distr::StandardNormal)
        .take(count)
        .map(|z: f64| z * scale)
        .collect()
}

/// Draws `U(-scale, scale)` matrices from a seeded host RNG and uploads them.
pub struct WeightSampler<'a> {
    rng: StdRng,
    device: &'a Device,
    precision: Precision,
}

impl<'a> WeightSampler<'a> {
    /// A sampler seeded with `seed`, uploading to `device` in `precision`.
    pub fn new(seed: u64, device: &'a Device, precision: Precision) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            device,
            precision,
        }
    }

    /// A `[rows, cols]` matrix with entries from `U(-scale, scale)` (all zero if `scale` is 0).
    pub fn uniform(&mut self, shape: [usize; 2], scale: f64) -> Tensor<2> {
        let values: Vec<f64> = (0..shape[0] * shape[1])
            .map(|_| {
                if scale > 0.0 {
                    self.rng.random_range(-scale..scale)
                } else {
                    0.0
                }
            })
            .collect();
        upload(values, shape, self.device, self.precision)
    }
}

/// Uploads host values as a tensor of the given precision.
pub fn upload<const D: usize>(
    values: Vec<f64>,
    shape: [usize; D],
    device: &Device,
    precision: Precision,
) -> Tensor<D> {
    Tensor::from_data(TensorData::new(values, shape), (device, precision.dtype()))
}
