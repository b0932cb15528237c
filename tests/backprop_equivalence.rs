//! The paper's central claim (section 3.1): in the self-predicting state, with top-down
//! weights equal to the transposed bottom-up weights and weak nudging, every layer's
//! dendritic update points the way backprop's does.

mod common;

use baselines::{Mlp, Objective, OutputError};
use burn::tensor::Device;
use common::{input_rates, target_rates};
use dendritic::{MicrocircuitConfig, Precision, RateScaling, diagnostics};

/// Angle (degrees) between the dendritic ΔW_up of each layer and backprop's descent
/// direction with output error `e_N = D_N (u_trgt - u_N⁻)`, on one batch of 10.
fn angles_to_backprop(lambda: f64, precision: Precision) -> Vec<f64> {
    angles_on(&[20, 16, 12, 10, 6], 7, lambda, precision)
}

/// The same on any architecture `sizes`, weights seeded with `seed`.
fn angles_on(sizes: &[usize], seed: u64, lambda: f64, precision: Precision) -> Vec<f64> {
    let device = Device::default();
    let sizes = sizes.to_vec();
    let (n_in, n_out) = (sizes[0], sizes[sizes.len() - 1]);
    let config = MicrocircuitConfig::new(sizes.clone())
        .with_all_mixing(lambda)
        .with_top_down_transposed(true)
        .with_rate_scaling(RateScaling::None)
        .with_eta_up(vec![1.0])
        .with_init_scale_up(2.0)
        .with_precision(precision)
        .with_seed(seed);
    let net = config.init(&device).unwrap();
    let x = input_rates(10, n_in, 11, &device, precision);
    let r_trgt = target_rates(10, n_out, 12, &device, precision);

    let state = net
        .settle(x.clone(), Some(net.target_potential(r_trgt.clone())))
        .unwrap();
    let dendritic = net.plasticity(&state).w_up();

    let ad = device.clone().autodiff();
    let mlp = Mlp::from_microcircuit(&net, &ad);
    let grads = mlp.weight_gradients(
        x.to_device(&ad),
        r_trgt.to_device(&ad),
        Objective {
            transfer: config.transfer,
            error: OutputError::Potential,
        },
    );
    dendritic
        .into_iter()
        .zip(grads)
        .map(|(d, g)| {
            diagnostics::angle_degrees(d.expect("W_up learns"), g.neg().to_device(&device))
        })
        .collect()
}

#[test]
fn hidden_updates_align_with_backprop_at_weak_nudging() {
    let angles = angles_to_backprop(1e-3, Precision::F64);
    println!("lambda 1e-3 (f64): angles to backprop per layer {angles:.3?} degrees");
    assert_eq!(angles.len(), 4);
    for (k, a) in angles.iter().enumerate() {
        assert!(*a < 1.0, "layer {}: {a}° from backprop", k + 1);
    }
    for lambda in [0.01, 0.1, 0.3] {
        let angles = angles_to_backprop(lambda, Precision::F64);
        println!("lambda {lambda} (f64): angles to backprop per layer {angles:.3?} degrees");
        // Stronger nudging bends the updates away from backprop but keeps them useful.
        assert!(
            angles.iter().all(|a| *a < 60.0),
            "lambda {lambda}: {angles:?}"
        );
    }
}

#[test]
fn every_layer_of_any_architecture_follows_backprop_at_weak_nudging() {
    // Narrow bottlenecks are the hard case: Eq. 7's φ(u) − φ(v̂) is a difference of two
    // nearly equal rates unless it is computed from λ v_A (Transfer::rate_difference).
    for (sizes, seed) in [
        (vec![10, 3, 8, 4], 1),
        (vec![12, 20, 3, 20, 5], 2),
        (vec![30, 50, 10], 3),
        (vec![6, 7, 7, 7, 2], 4),
        (vec![16, 3, 3, 3], 5),
    ] {
        let angles = angles_on(&sizes, seed, 1e-3, Precision::F64);
        println!("{sizes:?}: {angles:.4?} degrees");
        // (Deeper nets reach f64's limit at the bottom: layer 1's error shrinks like λ per
        // layer above it, and the forward potentials it is a difference of do not shrink.)
        for (k, a) in angles.iter().enumerate() {
            assert!(*a < 1.0, "{sizes:?}, layer {}: {a}° from backprop", k + 1);
        }
    }
}

#[test]
fn f32_holds_down_to_moderate_nudging() {
    // Printed for the record (README): in f32 the hidden layers' apical errors are sums that
    // cancel to rounding noise once λ is small enough.
    for lambda in [0.3, 0.1, 0.03, 0.01, 3e-3, 1e-3] {
        let angles = angles_to_backprop(lambda, Precision::F32);
        println!("lambda {lambda} (f32): {angles:.3?} degrees");
    }
    let angles = angles_to_backprop(0.1, Precision::F32);
    assert!(
        angles.iter().all(|a| *a < 30.0),
        "λ = 0.1 in f32: {angles:?}"
    );
}

#[test]
fn f32_loses_the_lower_layers_at_very_weak_nudging() {
    // REFERENCE §1: in f32 the apical sum cancels to rounding noise below λ ≈ 0.1, which is
    // why the equivalence check runs in f64. Printed, not asserted beyond the output layer.
    let angles = angles_to_backprop(1e-3, Precision::F32);
    println!("lambda 1e-3 (f32): angles to backprop per layer {angles:.3?} degrees");
    assert!(
        angles[3] < 1.0,
        "the output layer is exact even in f32: {angles:?}"
    );
}

#[test]
fn the_per_epoch_probe_sees_the_self_predicting_state_and_backprop_alignment() {
    use baselines::{DendriticLearner, Learner, alignment};
    let device = Device::default();
    let x = input_rates(10, 20, 11, &device, Precision::F64);
    let r_trgt = target_rates(10, 6, 12, &device, Precision::F64);
    let config = |transposed: bool| {
        MicrocircuitConfig::new(vec![20, 16, 12, 10, 6])
            .with_all_mixing(1e-3)
            .with_top_down_transposed(transposed)
            .with_rate_scaling(RateScaling::None)
            .with_eta_up(vec![1.0])
            .with_init_scale_up(2.0)
            .with_precision(Precision::F64)
            .with_seed(7)
    };

    let learner = DendriticLearner::new(config(true).init(&device).unwrap(), "probe");
    let before = common::host(learner.predict(x.clone()));
    let probe = alignment::probe(&learner, x.clone(), r_trgt.clone()).unwrap();
    println!("transposed start: {probe:?}");
    assert_eq!(
        common::host(learner.predict(x.clone())),
        before,
        "probing does not learn"
    );
    assert_eq!(probe.feedback.len(), 3);
    assert!(
        probe.feedback.iter().all(|(_, a)| *a < 1e-3),
        "W_down = W_upᵀ"
    );
    assert_eq!(probe.update.len(), 4);
    for (l, angle) in probe.update.iter().enumerate() {
        let angle = angle.expect("every W_up learns");
        assert!(angle < 1.0, "layer {}: {angle}° from backprop", l + 1);
    }
    assert_eq!(probe.apical.len(), 3);
    assert!(
        probe.apical.iter().all(|v| *v < 1e-9),
        "self-predicting: no apical error without a target, {:?}",
        probe.apical
    );

    // Random top-down weights: the feedback starts about orthogonal to the forward weights.
    let learner = DendriticLearner::new(config(false).init(&device).unwrap(), "probe");
    let probe = alignment::probe(&learner, x, r_trgt).unwrap();
    assert!(
        probe
            .feedback
            .iter()
            .all(|(_, a)| (60.0..120.0).contains(a)),
        "{:?}",
        probe.feedback
    );
}
