//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod cli;

use burn::tensor::{Device, Tensor};
use dendritic::Precision;
use dendritic::random::{WeightSampler, upload};
use microcircuits::data::{Dataset, Split, mnist::shared_mnist_dir};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

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

/// 2,000 training and 1,000 test examples with 10 classes.
pub fn task() -> (Split, Split) {
    if let Some(dir) = shared_mnist_dir() {
        let data = Dataset::load_idx_dir(&dir, 5_000).expect("shared MNIST loads");
        return (data.train.limit(2_000), data.test.limit(1_000));
    }
    eprintln!("shared MNIST not found (set MNIST_DIR): using a synthetic teacher task instead");
    synthetic_teacher(3_000, 64, 10, 4).split_at(2_000)
}

/// Inputs in [0, 1)^dim labelled by the arg-max of a random two-layer teacher.
pub fn synthetic_teacher(n: usize, dim: usize, classes: usize, seed: u64) -> Split {
    let mut rng = StdRng::seed_from_u64(seed);
    let hidden = 32;
    let w1: Vec<f32> = (0..dim * hidden)
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    let w2: Vec<f32> = (0..hidden * classes)
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    let mut images = Vec::with_capacity(n * dim);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let x: Vec<f32> = (0..dim).map(|_| rng.random_range(0.0..1.0)).collect();
        let h: Vec<f32> = (0..hidden)
            .map(|j| {
                (0..dim)
                    .map(|i| x[i] * w1[i * hidden + j])
                    .sum::<f32>()
                    .tanh()
            })
            .collect();
        let scores: Vec<f32> = (0..classes)
            .map(|c| (0..hidden).map(|j| h[j] * w2[j * classes + c]).sum())
            .collect();
        let label = (0..classes)
            .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
            .expect("classes > 0");
        images.extend(x);
        labels.push(label as u8);
    }
    Split {
        images,
        labels,
        dim,
    }
}

trait SplitAt {
    fn split_at(self, at: usize) -> (Split, Split);
}

impl SplitAt for Split {
    fn split_at(self, at: usize) -> (Split, Split) {
        (self.slice(0..at), self.slice(at..self.len()))
    }
}

/// Per-epoch mean training loss and test error of any learner trained at batch 10 with
/// target rates 0.1/0.8 (the shared harness of the learner tests).
pub fn train_learner(
    learner: &mut dyn baselines::Learner,
    train: &Split,
    test: &microcircuits::data::mnist::DeviceSplit,
    epochs: usize,
) -> (Vec<f64>, Vec<f64>) {
    let device = test.images.device();
    let x = train.to_device(&device, Precision::F32).images;
    let t = train.target_rates(10, 0.1, 0.8, &device, Precision::F32);
    let mut losses = Vec::new();
    let mut errors = Vec::new();
    for epoch in 0..epochs {
        let loss =
            microcircuits::training::train_epoch(learner, &x, &t, 10, epoch as u64, 1.0, |_, _| {})
                .expect("shapes fit");
        losses.push(loss.into_scalar::<f64>());
        errors.push(test.error_rate(500, |x| learner.classify(x)));
    }
    (losses, errors)
}
