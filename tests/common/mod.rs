//! Helpers shared by the integration tests.
#![allow(dead_code)]

use burn::tensor::{Device, Tensor};
use dendritic::Precision;
use dendritic::random::{WeightSampler, upload};

/// Seeded rates uniform in `[centre - half_width, centre + half_width)`, `[batch, n]`.
fn uniform_rates(
    shape: [usize; 2],
    seed: u64,
    centre: f64,
    half_width: f64,
    device: &Device,
    precision: Precision,
) -> Tensor<2> {
    WeightSampler::new(seed, device, precision)
        .uniform(shape, half_width)
        .add_scalar(centre)
}

/// A seeded batch of input rates in [0, 1), `[batch, n]`.
pub fn input_rates(
    batch: usize,
    n: usize,
    seed: u64,
    device: &Device,
    precision: Precision,
) -> Tensor<2> {
    uniform_rates([batch, n], seed, 0.5, 0.5, device, precision)
}

/// Seeded target rates in [0.2, 0.8), `[batch, n]`.
pub fn target_rates(
    batch: usize,
    n: usize,
    seed: u64,
    device: &Device,
    precision: Precision,
) -> Tensor<2> {
    uniform_rates([batch, n], seed, 0.5, 0.3, device, precision)
}

/// Host copy of a tensor as f64.
pub fn host<const D: usize>(t: Tensor<D>) -> Vec<f64> {
    t.to_data()
        .convert::<f64>()
        .try_into_vec::<f64>()
        .expect("float tensor")
}

/// Largest absolute difference between two tensors.
pub fn max_abs_diff<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f64 {
    host(a)
        .iter()
        .zip(host(b))
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

pub fn zeros(n: usize, device: &Device) -> Tensor<1> {
    upload(vec![0.0; n], [n], device, Precision::F32)
}
