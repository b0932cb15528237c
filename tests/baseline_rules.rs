//! The baselines compute what their papers say: backprop's gradient matches finite
//! differences; FA and DFA with feedback equal to the forward transposes are backprop; FA
//! aligns while it learns; DTP's inverses learn and its targets lower the output loss.

mod common;

use baselines::{
    Diagnose, FeedbackConfig, FeedbackRule, Learner, Mlp, NetConfig, Objective, OutputError,
    TargetPropConfig, TargetRule, alignment,
};
use burn::module::Param;
use burn::tensor::{Device, Tensor};
use common::{host, input_rates, target_rates};
use dendritic::random::upload;
use dendritic::{Precision, Transfer};

fn net(sizes: &[usize], error: OutputError) -> NetConfig {
    NetConfig::new(sizes.to_vec())
        .with_error(error)
        .with_init_scale(2.0)
        .with_precision(Precision::F64)
        .with_seed(5)
}

fn loss(mlp: &Mlp, x: &Tensor<2>, t: &Tensor<2>, objective: Objective) -> f64 {
    objective
        .loss(mlp.output(x.clone(), objective.transfer), t.clone())
        .into_scalar::<f64>()
}

#[test]
fn bp_gradient_equals_finite_differences() {
    let device = Device::default();
    let x = input_rates(5, 4, 1, &device, Precision::F64);
    let t = target_rates(5, 2, 2, &device, Precision::F64);
    for error in [OutputError::Mse, OutputError::CrossEntropy] {
        let config = net(&[4, 3, 2], error);
        let objective = config.objective();
        let mlp = config.init(&device).unwrap();
        let ad = device.clone().autodiff();
        let grads = mlp.copy_to(&ad).weight_gradients(
            x.clone().to_device(&ad),
            t.clone().to_device(&ad),
            objective,
        );
        let h = 1e-6;
        for (l, grad) in grads.into_iter().enumerate() {
            let grad = host(grad.inner());
            let w = host(mlp.layers[l].weight.val());
            let shape = mlp.layers[l].weight.val().dims();
            let mut worst: f64 = 0.0;
            for i in 0..w.len() {
                let shifted = |delta: f64| {
                    let mut values = w.clone();
                    values[i] += delta;
                    let mut copy = mlp.clone();
                    copy.layers[l].weight =
                        Param::from_tensor(upload(values, shape, &device, Precision::F64));
                    loss(&copy, &x, &t, objective)
                };
                let fd = (shifted(h) - shifted(-h)) / (2.0 * h);
                worst = worst.max((fd - grad[i]).abs() / grad[i].abs().max(1e-3));
            }
            assert!(
                worst < 1e-5,
                "{error:?}, layer {}: relative error {worst}",
                l + 1
            );
        }
    }
}

#[test]
fn fa_and_dfa_with_transposed_feedback_are_backprop() {
    let device = Device::default();
    let x = input_rates(10, 6, 3, &device, Precision::F64);
    let t = target_rates(10, 3, 4, &device, Precision::F64);
    for (rule, sizes) in [
        (FeedbackRule::Fa, vec![6, 5, 4, 3]),
        (FeedbackRule::Dfa, vec![6, 5, 3]),
    ] {
        for error in [
            OutputError::Potential,
            OutputError::Mse,
            OutputError::CrossEntropy,
        ] {
            let mut learner = FeedbackConfig::new(net(&sizes, error), rule)
                .init(&device)
                .unwrap();
            learner.set_feedback_to_forward_transposes();
            let angles = alignment::measure(&mut learner, x.clone(), t.clone()).unwrap();
            for (l, angle) in angles.update.iter().enumerate() {
                let angle = angle.expect("every layer learns");
                assert!(angle < 1e-3, "{rule:?} {error:?} layer {}: {angle}°", l + 1);
            }
            // With random feedback the hidden updates differ from backprop.
            let mut random = FeedbackConfig::new(net(&sizes, error), rule)
                .init(&device)
                .unwrap();
            let angles = alignment::measure(&mut random, x.clone(), t.clone()).unwrap();
            assert!(
                angles.update[0].unwrap() > 1.0,
                "{rule:?}: {:?}",
                angles.update
            );
        }
    }
}

/// Centred inputs and the rates of a random nonlinear teacher, as batches of 20.
fn teacher_batches(batches: usize, device: &Device) -> Vec<(Tensor<2>, Tensor<2>)> {
    let w1 = input_rates(20, 20, 98, device, Precision::F32)
        .sub_scalar(0.5)
        .mul_scalar(1.5);
    let w2 = input_rates(20, 5, 99, device, Precision::F32)
        .sub_scalar(0.5)
        .mul_scalar(1.5);
    (0..batches)
        .map(|b| {
            let x = input_rates(20, 20, 1_000 + b as u64, device, Precision::F32).sub_scalar(0.5);
            let hidden = x.clone().matmul(w1.clone()).tanh();
            let t = burn::tensor::activation::sigmoid(hidden.matmul(w2.clone()));
            (x, t)
        })
        .collect()
}

#[test]
fn fa_aligns_with_backprop_while_it_learns() {
    let device = Device::default();
    let config = NetConfig::new(vec![20, 30, 30, 5])
        .with_error(OutputError::Mse)
        .with_seed(7);
    let mut fa = FeedbackConfig::new(config, FeedbackRule::Fa)
        .with_optim(baselines::OptimizerConfig::new().with_lr(1.0))
        .init(&device)
        .unwrap();
    let batches = teacher_batches(3_000, &device);
    let mut angles = Vec::new();
    for (i, (x, t)) in batches.into_iter().enumerate() {
        if i % 100 == 0 {
            let a = alignment::measure(&mut fa, x, t).unwrap();
            angles.push((a.update[0].unwrap() + a.update[1].unwrap()) / 2.0);
        } else {
            fa.train_step(x, t, 1.0).unwrap();
        }
    }
    let n = angles.len();
    let early: f64 = angles[..3].iter().sum::<f64>() / 3.0;
    let late: f64 = angles[n - 3..].iter().sum::<f64>() / 3.0;
    println!(
        "FA hidden-layer angle to backprop: early {early:.1}°, late {late:.1}° ({angles:.1?})"
    );
    assert!(
        late < 90.0,
        "FA updates stay within 90° of backprop: {angles:?}"
    );
    assert!(
        late < early - 5.0,
        "alignment improves with training: {angles:?}"
    );
}

fn dtp(sizes: &[usize]) -> baselines::TargetProp {
    target_prop(sizes, TargetRule::Dtp)
}

fn target_prop(sizes: &[usize], rule: TargetRule) -> baselines::TargetProp {
    let config = NetConfig::new(sizes.to_vec())
        .with_transfer(Transfer::Tanh)
        .with_error(OutputError::Mse)
        .with_init_scale(1.0)
        .with_precision(Precision::F64)
        .with_seed(11);
    TargetPropConfig::new(config, rule)
        .with_feedback_optim(baselines::OptimizerConfig::new().with_lr(0.2))
        .with_noise(0.05)
        .with_beta(0.2)
        .init(&Device::default())
        .unwrap()
}

#[test]
fn dtp_inverses_learn_and_their_targets_lower_the_output_loss() {
    let device = Device::default();
    let mut learner = dtp(&[8, 8, 8, 8]);
    let inputs: Vec<Tensor<2>> = (0..1_500)
        .map(|b| input_rates(20, 8, 500 + b, &device, Precision::F64).sub_scalar(0.5))
        .collect();
    let losses: Vec<f64> = inputs
        .iter()
        .map(|x| learner.train_feedback(x.clone()).into_scalar::<f64>())
        .collect();
    let first: f64 = losses[..20].iter().sum::<f64>() / 20.0;
    let last: f64 = losses[losses.len() - 20..].iter().sum::<f64>() / 20.0;
    println!("DTP reconstruction loss: {first:.4} -> {last:.4}");
    assert!(
        last < 0.5 * first,
        "reconstruction error falls: {first} -> {last}"
    );

    // Propagating the first hidden layer's target forward lowers the output loss.
    let objective = learner.objective();
    let mlp = learner.feedforward();
    let x = input_rates(20, 8, 7, &device, Precision::F64).sub_scalar(0.5);
    let t = target_rates(20, 8, 8, &device, Precision::F64).sub_scalar(0.5);
    let targets = learner.targets(x.clone(), t.clone());
    let h1 = Transfer::Tanh.rate(mlp.potential(1, x.clone()));
    let from = |h: Tensor<2>| {
        let u3 = mlp.potential(3, Transfer::Tanh.rate(mlp.potential(2, h)));
        objective.loss(u3, t.clone()).into_scalar::<f64>()
    };
    let (before, after) = (from(h1), from(targets[0].clone()));
    println!("output loss from h_1: {before:.5}, from its target: {after:.5}");
    assert!(
        after < before,
        "target of layer 1 lowers the loss: {before} -> {after}"
    );
}

#[test]
fn drl_feedback_learns_the_difference_reconstruction_that_dtp_feedback_does_not() {
    // Meulemans et al. 2020: DRL trains the inverses on the difference reconstruction loss
    // (corrupt a layer, go up to the output and back down through the difference-corrected
    // inverses). Same net, same start, same batches: DRL's feedback lowers that loss, and
    // ends below DTP's layer-wise inverses on it.
    let device = Device::default();
    let sizes = [8, 8, 8, 8];
    let (mut drl, mut dtp) = (
        target_prop(&sizes, TargetRule::Drl),
        target_prop(&sizes, TargetRule::Dtp),
    );
    let probe = input_rates(50, 8, 9, &device, Precision::F64).sub_scalar(0.5);
    let loss = |l: &baselines::TargetProp| {
        l.difference_reconstruction_loss(probe.clone())
            .expect("defined for DTP and DRL")
            .into_scalar::<f64>()
    };
    let start = loss(&drl);
    assert_eq!(start, loss(&dtp), "the same start");
    for b in 0..1_500 {
        let x = input_rates(20, 8, 500 + b, &device, Precision::F64).sub_scalar(0.5);
        drl.train_feedback(x.clone());
        dtp.train_feedback(x);
    }
    let (after_drl, after_dtp) = (loss(&drl), loss(&dtp));
    println!(
        "difference reconstruction loss: start {start:.4}, DRL {after_drl:.4}, DTP {after_dtp:.4}"
    );
    assert!(
        after_drl < 0.5 * start,
        "DRL lowers it: {start} -> {after_drl}"
    );
    assert!(
        after_drl < after_dtp,
        "DRL {after_drl} against DTP {after_dtp}"
    );
}

#[test]
fn explicit_rules_step_with_burns_adam_as_backprop_does() {
    // FA with feedback equal to the forward transposes has backprop's gradient; its first
    // Adam step (burn::optim's Adam on plain tensors) must then land where autodiff backprop's
    // Adam step (burn::optim's ModuleOptimizer) lands.
    let device = Device::default();
    let x = input_rates(10, 6, 3, &device, Precision::F64);
    let t = target_rates(10, 3, 4, &device, Precision::F64);
    let optim = baselines::OptimizerConfig::new()
        .with_lr(0.01)
        .with_kind(baselines::OptimizerKind::adam());
    let config = net(&[6, 5, 4, 3], OutputError::Mse);
    let mut fa = FeedbackConfig::new(config.clone(), FeedbackRule::Fa)
        .with_optim(optim.clone())
        .init(&device)
        .unwrap();
    fa.set_feedback_to_forward_transposes();
    let mut bp = baselines::BpConfig::new(config)
        .with_optim(optim)
        .init(&device)
        .unwrap();
    let before = host(fa.feedforward().layers[0].weight.val());
    fa.train_step(x.clone(), t.clone(), 1.0).unwrap();
    bp.train_step(x, t, 1.0).unwrap();
    let (a, b) = (fa.feedforward(), bp.feedforward());
    for (l, (la, lb)) in a.layers.iter().zip(&b.layers).enumerate() {
        let (wa, wb) = (host(la.weight.val()), host(lb.weight.val()));
        let worst = wa
            .iter()
            .zip(&wb)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-9, "layer {}: {worst}", l + 1);
    }
    // Adam's first step moves every weight with a non-zero gradient by about lr.
    let moved = host(a.layers[0].weight.val());
    let step = moved
        .iter()
        .zip(&before)
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f64::max);
    assert!((step - 0.01).abs() < 1e-3, "largest first step {step}");
}
