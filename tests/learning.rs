//! Learning works: on 2,000 MNIST images (or a synthetic teacher task when the shared MNIST
//! copy is absent) a few epochs bring the test error well below chance, and the shallow
//! variant (only the output weights learn) learns less.

use burn::tensor::Device;
use dendritic::{Microcircuit, MicrocircuitConfig, Precision, RateScaling};
use microcircuits::data::mnist::DeviceSplit;
use microcircuits::data::{Dataset, Split, mnist::shared_mnist_dir};
use microcircuits::training::train_epoch;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// 2,000 training and 1,000 test examples with 10 classes.
fn task() -> (Split, Split) {
    if let Some(dir) = shared_mnist_dir() {
        let data = Dataset::load_idx_dir(&dir, 5_000).expect("shared MNIST loads");
        return (data.train.limit(2_000), data.test.limit(1_000));
    }
    eprintln!("shared MNIST not found (set MNIST_DIR): using a synthetic teacher task instead");
    synthetic_teacher(3_000, 64, 10, 4).split_at(2_000)
}

/// Inputs in [0, 1)^dim labelled by the arg-max of a random two-layer teacher.
fn synthetic_teacher(n: usize, dim: usize, classes: usize, seed: u64) -> Split {
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

/// Trains for `epochs` at batch 10 and returns the test error after each epoch.
fn train(mut net: Microcircuit, train: &Split, test: &DeviceSplit, epochs: usize) -> Vec<f64> {
    let device = test.images.device();
    let x = train.to_device(&device, Precision::F32).images;
    let t = net.target_potential(train.target_rates(10, 0.1, 0.8, &device, Precision::F32));
    let mut errors = Vec::new();
    for epoch in 0..epochs {
        train_epoch(&mut net, &x, &t, 10, epoch as u64, |_| {}).expect("shapes fit");
        errors.push(test.error_rate(500, |x| net.classify(x)));
    }
    errors
}

fn config(dim: usize) -> MicrocircuitConfig {
    MicrocircuitConfig::new(vec![dim, 100, 10])
        .with_lambda_hidden(Some(0.3))
        .with_lambda_output(Some(0.9))
        .with_lambda_interneuron(Some(0.5))
        .with_rate_scaling(RateScaling::None)
        .with_init_scale_up(8.0)
        .with_top_down_transposed(true)
        .with_seed(3)
}

#[test]
fn test_error_falls_well_below_chance_and_the_shallow_learner_learns_less() {
    let device = Device::default();
    let (train_split, test_split) = task();
    let dim = train_split.dim;
    let test = test_split.to_device(&device, Precision::F32);

    let full = config(dim)
        .with_eta_up(vec![2.0, 0.03])
        .with_eta_ip(vec![0.06]);
    let shallow = config(dim)
        .with_eta_up(vec![0.0, 0.03])
        .with_eta_ip(vec![0.0]);
    let full_errors = train(full.init(&device).unwrap(), &train_split, &test, 3);
    let shallow_errors = train(shallow.init(&device).unwrap(), &train_split, &test, 3);
    println!("test error per epoch: full {full_errors:.3?}, shallow {shallow_errors:.3?}");

    let (full_last, shallow_last) = (full_errors[2], shallow_errors[2]);
    assert!(
        full_last < 0.3,
        "full microcircuit: test error {full_last} (chance is 0.9)"
    );
    assert!(
        full_errors[2] < full_errors[0],
        "error falls with training: {full_errors:?}"
    );
    assert!(
        full_last < shallow_last - 0.02,
        "learning in the hidden layer helps: full {full_last}, shallow {shallow_last}"
    );
}
