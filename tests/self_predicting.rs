//! The self-predicting state (paper section 3.1, REFERENCE §1): with no target, interneurons
//! cancel top-down input, apical dendrites are silent and nothing learns.

mod common;

use burn::tensor::Device;
use common::{input_rates, max_abs_diff};
use dendritic::{MicrocircuitConfig, Precision, diagnostics};

#[test]
fn apical_potentials_vanish_and_output_equals_predict_without_target() {
    let device = Device::default();
    for sizes in [vec![20, 16, 12, 10, 6], vec![784, 500, 500, 10]] {
        let net = MicrocircuitConfig::new(sizes.clone())
            .with_seed(3)
            .init(&device)
            .unwrap();
        let x = input_rates(10, sizes[0], 1, &device, Precision::F32);
        let state = net.settle(x.clone(), None).unwrap();
        let max_apical = diagnostics::max_abs_apical(&state);
        assert!(max_apical < 1e-5, "{sizes:?}: max |v_A| = {max_apical}");
        let diff = max_abs_diff(state.output.rate.clone(), net.predict(x));
        assert_eq!(
            diff, 0.0,
            "{sizes:?}: settled output differs from predict by {diff}"
        );
    }
}

#[test]
fn no_target_means_no_update() {
    let device = Device::default();
    // One hidden layer: the cancellation is exact, so every update is exactly zero.
    let net = MicrocircuitConfig::new(vec![12, 9, 5])
        .init(&device)
        .unwrap();
    let state = net
        .settle(input_rates(10, 12, 2, &device, Precision::F32), None)
        .unwrap();
    let updates = net.plasticity(&state);
    for delta in updates.w_up().into_iter().flatten() {
        assert_eq!(common::host(delta.abs().max())[0], 0.0);
    }
    for h in &updates.hidden {
        let w_ip = h.w_ip.clone().expect("W_IP learns by default");
        assert_eq!(common::host(w_ip.abs().max())[0], 0.0);
    }

    // Deeper nets: W_IP = (1-λ) W_up rounds, so zero means zero up to f64 rounding.
    let config = MicrocircuitConfig::new(vec![20, 16, 12, 10, 6]).with_precision(Precision::F64);
    let net = config.init(&device).unwrap();
    let state = net
        .settle(input_rates(10, 20, 2, &device, Precision::F64), None)
        .unwrap();
    let updates = net.plasticity(&state);
    for (k, delta) in updates.w_up().into_iter().enumerate() {
        let max = common::host(delta.unwrap().abs().max())[0];
        assert!(max < 1e-12, "layer {}: |ΔW_up| = {max}", k + 1);
    }
}

#[test]
fn a_target_teaches_w_pi_to_cancel_the_error_unless_eq_9_learns_with_the_target_off() {
    let device = Device::default();
    // One hidden layer: the free-phase cancellation is exact.
    let config = MicrocircuitConfig::new(vec![12, 9, 5])
        .with_eta_up(vec![1.0])
        .with_eta_pi(vec![0.5]);
    let x = input_rates(10, 12, 2, &device, Precision::F32);
    let t = common::target_rates(10, 5, 4, &device, Precision::F32);

    // The paper's scheme: Eq. 9 reads the nudged apical potential, which holds the error.
    let mut net = config.clone().init(&device).unwrap();
    let w_pi = net.hidden[0].w_pi.val();
    let u_target = net.target_potential(t.clone());
    net.train_step(x.clone(), u_target.clone()).unwrap();
    let nudged_change = common::max_abs_diff(net.hidden[0].w_pi.val(), w_pi);
    assert!(nudged_change > 1e-4, "|ΔW_PI| = {nudged_change}");

    // With the free phase the interneurons only learn to cancel the top-down input, which
    // they already do: W_PI stays, while W_up still learns from the error.
    let mut net = config.with_w_pi_free_phase(true).init(&device).unwrap();
    let (w_pi, w_up) = (net.hidden[0].w_pi.val(), net.hidden[0].w_up.val());
    net.learn(x, u_target).unwrap();
    let free_change = common::max_abs_diff(net.hidden[0].w_pi.val(), w_pi);
    assert!(free_change < 1e-6, "|ΔW_PI| = {free_change}");
    let up_change = common::max_abs_diff(net.hidden[0].w_up.val(), w_up);
    assert!(up_change > 1e-4, "|ΔW_up| = {up_change}");
}
