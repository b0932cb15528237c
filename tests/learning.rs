//! Learning works: on 2,000 MNIST images (or a synthetic teacher task when the shared MNIST
//! copy is absent) a few epochs bring the test error well below chance, and the shallow
//! variant (only the output weights learn) learns less.

mod common;

use baselines::{DendriticLearner, Learner};
use burn::tensor::Device;
use common::task;
use dendritic::{Microcircuit, MicrocircuitConfig, Precision, RateScaling};
use microcircuits::data::Split;
use microcircuits::data::mnist::DeviceSplit;
use microcircuits::training::train_epoch;

/// Trains for `epochs` at batch 10 and returns the test error after each epoch.
fn train(net: Microcircuit, train: &Split, test: &DeviceSplit, epochs: usize) -> Vec<f64> {
    let device = test.images.device();
    let mut net = DendriticLearner::new(net, "dendritic");
    let x = train.to_device(&device, Precision::F32).images;
    let t = train.target_rates(10, 0.1, 0.8, &device, Precision::F32);
    let mut errors = Vec::new();
    for epoch in 0..epochs {
        train_epoch(&mut net, &x, &t, 10, epoch as u64, 1.0, |_, _| {}).expect("shapes fit");
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
