//! Every learner, the microcircuit included, runs through the same harness
//! (`microcircuits::training::train_epoch` and `common::train_learner`): on 2,000 MNIST images
//! it lowers the training loss and beats chance, deterministically for a fixed seed.

mod common;

use baselines::{
    BpConfig, DendriticLearner, FeedbackConfig, FeedbackRule, Learner, NetConfig, OptimizerConfig,
    OutputError, TargetPropConfig, TargetRule,
};
use burn::tensor::Device;
use common::{task, train_learner};
use dendritic::{MicrocircuitConfig, Precision, RateScaling};

fn learners(dim: usize, seed: u64) -> Vec<Box<dyn Learner>> {
    let device = Device::default();
    let sizes = vec![dim, 100, 10];
    let net = NetConfig::new(vec![dim, 100, 50, 10])
        .with_error(OutputError::Mse)
        .with_init_scale(4.0)
        .with_seed(seed);
    let sgd = |lr| OptimizerConfig::new().with_lr(lr);
    let dendritic = MicrocircuitConfig::new(sizes.clone())
        .with_lambda_hidden(Some(0.3))
        .with_lambda_output(Some(0.9))
        .with_lambda_interneuron(Some(0.5))
        .with_rate_scaling(RateScaling::None)
        .with_init_scale_up(8.0)
        .with_top_down_transposed(true)
        .with_eta_up(vec![2.0, 0.03])
        .with_eta_ip(vec![0.06])
        .with_seed(seed);
    let target_prop = |rule| {
        TargetPropConfig::new(net.clone(), rule)
            .with_optim(sgd(0.5))
            .init(&device)
            .unwrap()
    };
    vec![
        Box::new(
            BpConfig::new(net.clone())
                .with_optim(sgd(0.5))
                .init(&device)
                .unwrap(),
        ),
        Box::new(
            FeedbackConfig::new(net.clone(), FeedbackRule::Fa)
                .with_optim(sgd(0.5))
                .init(&device)
                .unwrap(),
        ),
        Box::new(
            FeedbackConfig::new(net.clone(), FeedbackRule::Dfa)
                .with_optim(sgd(0.5))
                .init(&device)
                .unwrap(),
        ),
        Box::new(
            FeedbackConfig::new(net.clone(), FeedbackRule::Shallow)
                .with_optim(sgd(0.5))
                .init(&device)
                .unwrap(),
        ),
        Box::new(target_prop(TargetRule::Dtp)),
        Box::new(target_prop(TargetRule::Drl)),
        Box::new(target_prop(TargetRule::DirectLinear)),
        Box::new(DendriticLearner::new(
            dendritic.init(&device).unwrap(),
            "dendritic",
        )),
    ]
}

#[test]
fn every_learner_lowers_the_loss_and_beats_chance() {
    let device = Device::default();
    let (train, test) = task();
    let test = test.to_device(&device, Precision::F32);
    for mut learner in learners(train.dim, 1) {
        let (losses, errors) = train_learner(learner.as_mut(), &train, &test, 2);
        println!(
            "{:>9}: loss {losses:.4?}, test error {errors:.3?}",
            learner.name()
        );
        assert!(losses[1] < losses[0], "{}: loss {losses:?}", learner.name());
        // Two epochs on 2,000 images: FA and DFA in a two-hidden-layer logistic net are slow
        // starters, so the bar is "clearly better than chance and improving".
        assert!(
            errors[1] < 0.8 && errors[1] < errors[0] + 0.02,
            "{}: test error {errors:?} (chance 0.9)",
            learner.name()
        );
    }
}

#[test]
fn every_learner_is_deterministic_for_a_fixed_seed() {
    let device = Device::default();
    let (train, test) = task();
    let (train, test) = (
        train.limit(200),
        test.limit(100).to_device(&device, Precision::F32),
    );
    let run = || {
        learners(train.dim, 2)
            .into_iter()
            .map(|mut l| train_learner(l.as_mut(), &train, &test, 1))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}

/// The `rate` of `train_step` (the learning-rate schedule of the CLI's `lr_decay`) scales every
/// learner's step: at 0 the forward weights do not move, at 0.5 they move about half as far
/// as at 1 (exactly half for the rules whose first step is linear in the rate).
#[test]
fn rate_scale_scales_every_learners_step() {
    let device = Device::default();
    let (train, _) = task();
    let batch = train.limit(10);
    let x = batch.to_device(&device, Precision::F32).images;
    let t = batch.target_rates(10, 0.1, 0.8, &device, Precision::F32);
    let weights = |l: &dyn Learner| -> Vec<f64> {
        l.feedforward()
            .layers
            .iter()
            .flat_map(|layer| common::host(layer.weight.val()))
            .collect()
    };
    let step_norm = |index: usize, scale: f64| -> (String, f64) {
        let mut learner = learners(batch.dim, 3).swap_remove(index);
        let before = weights(learner.as_ref());
        learner.train_step(x.clone(), t.clone(), scale).unwrap();
        let after = weights(learner.as_ref());
        let norm = before
            .iter()
            .zip(&after)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            .sqrt();
        (learner.name().to_string(), norm)
    };
    for index in 0..learners(batch.dim, 3).len() {
        let (name, full) = step_norm(index, 1.0);
        let (_, none) = step_norm(index, 0.0);
        let (_, half) = step_norm(index, 0.5);
        println!("{name:>9}: step {full:.3e}, x0.5 {:.4}", half / full);
        assert!(full > 0.0, "{name}: no step at scale 1");
        assert_eq!(none, 0.0, "{name}: weights moved at scale 0");
        assert!(
            (half / full - 0.5).abs() < 0.05,
            "{name}: step ratio {} at scale 0.5",
            half / full
        );
    }
}
