//! The CPU fast path of the continuous-time simulation (flex, f32) takes the same Euler steps
//! and makes the same filtered weight changes as the reference tensor code (on flex in f32
//! with the fast path switched off, and in f64): for every transfer function, both nudging modes, the input filter,
//! noise, biases, every weight group learning, and plasticity applied every step or every few
//! steps with the window left open between two calls of `run`.

mod common;

use burn::tensor::{Device, Tensor};
use common::{host, input_rates, target_rates};
use dendritic::continuous::{ContinuousConfig, Nudging, Probe, Recorder, Simulation};
use dendritic::{Init, MicrocircuitConfig, Precision, Transfer};

/// Every weight, bias and potential of a simulation, flattened, in a fixed order.
fn state(sim: &Simulation) -> Vec<(String, Vec<f64>)> {
    let w = sim.weights();
    let mut out = Vec::new();
    let mut push = |name: String, t: &Tensor<2>| out.push((name, host(t.clone())));
    for (i, h) in w.hidden.iter().enumerate() {
        push(format!("w_up_{}", i + 1), &h.w_up);
        push(format!("w_down_{}", i + 1), &h.w_down);
        push(format!("w_ip_{}", i + 1), &h.w_ip);
        push(format!("w_pi_{}", i + 1), &h.w_pi);
        if let Some(b) = &h.b_up {
            push(format!("b_up_{}", i + 1), b);
        }
        if let Some(b) = &h.b_ip {
            push(format!("b_ip_{}", i + 1), b);
        }
    }
    push("w_up_out".into(), &w.output.w_up);
    if let Some(b) = &w.output.b_up {
        push("b_up_out".into(), b);
    }
    let p = sim.potentials();
    push("input".into(), &p.input);
    for (i, u) in p.hidden.iter().enumerate() {
        push(format!("u_{}", i + 1), u);
    }
    for (i, u) in p.interneuron.iter().enumerate() {
        push(format!("u_I_{}", i + 1), u);
    }
    push("u_out".into(), &p.output);
    out
}

/// Runs `network` as `continuous` on `device` in `precision`: `steps` Euler steps in two calls
/// of `run` (the second with a recorder), and returns its state and the recorded apical trace.
fn simulate(
    network: &MicrocircuitConfig,
    continuous: &ContinuousConfig,
    batch: usize,
    steps: [usize; 2],
    precision: Precision,
    fast: bool,
) -> (Vec<(String, Vec<f64>)>, Vec<f32>) {
    let device = &Device::flex();
    let network = network.clone().with_precision(precision);
    let mut sim = Simulation::from_config(&network, continuous.clone(), batch, device)
        .unwrap()
        .with_fast_path(fast);
    let (n_in, n_out) = (network.sizes[0], *network.sizes.last().unwrap());
    let x = input_rates(batch, n_in, 3, device, precision);
    let target = target_rates(batch, n_out, 4, device, precision).mul_scalar(2.0);
    sim.run(&x, Some(&target), steps[0], None).unwrap();
    let mut recorder = Recorder::new(
        vec![
            Probe::Apical(1),
            Probe::WeightNorm(dendritic::continuous::WeightGroup::Up, 1),
        ],
        3,
    );
    sim.run(&x, None, steps[1], Some(&mut recorder)).unwrap();
    let traces = recorder.finish();
    let apical = traces.get(Probe::Apical(1)).unwrap().0.to_vec();
    (state(&sim), apical)
}

/// Asserts that the fast path (flex, f32) lands within `1e-5` of the tensor code in f32 and in
/// f64 (relative to the largest value of each group, or absolute below 1), and no further from the
/// f64 reference than the f32 tensor code is (up to a factor 2, plus 1e-6).
fn check(network: MicrocircuitConfig, continuous: ContinuousConfig, batch: usize) {
    let steps = [23, 17];
    let run = |precision, fast| simulate(&network, &continuous, batch, steps, precision, fast);
    let (fast, fast_apical) = run(Precision::F32, true);
    let (exact, exact_apical) = run(Precision::F64, true);
    let generic = run(Precision::F32, false).0;
    let diff = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    };
    for (i, ((name, f), (_, e))) in fast.iter().zip(&exact).enumerate() {
        let scale = e.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        let fast_err = diff(f, e);
        assert!(
            fast_err <= 1e-5 * scale,
            "{name}: fast path {fast_err} from the f64 tensor code (scale {scale})"
        );
        let generic_err = diff(&generic[i].1, e);
        assert!(
            fast_err <= 2.0 * generic_err + 1e-6 * scale,
            "{name}: fast path {fast_err} from f64, the f32 tensor code {generic_err}"
        );
        let between = diff(&generic[i].1, f);
        assert!(
            between <= 1e-5 * scale,
            "{name}: fast path {between} from the f32 tensor code"
        );
    }
    let apical: Vec<f64> = exact_apical.iter().map(|&v| f64::from(v)).collect();
    let got: Vec<f64> = fast_apical.iter().map(|&v| f64::from(v)).collect();
    assert_eq!(got.len(), apical.len());
    let scale = apical.iter().fold(1e-3f64, |m, v| m.max(v.abs()));
    assert!(diff(&got, &apical) <= 1e-4 * scale, "recorded apical trace");
}

/// Every weight group learns, with visible rates (so that the comparison has teeth).
fn every_group_learns(sizes: Vec<usize>, transfer: Transfer) -> MicrocircuitConfig {
    MicrocircuitConfig::new(sizes)
        .with_init(Init::Random)
        .with_g_a(0.8)
        .with_g_som(0.8)
        .with_transfer(transfer)
        .with_eta_up(vec![0.5])
        .with_eta_ip(vec![0.3])
        .with_eta_pi(vec![0.2])
        .with_eta_down(vec![0.2])
        .with_seed(7)
}

#[test]
fn fast_path_matches_the_tensor_code_for_every_transfer_function() {
    for transfer in [
        Transfer::Logistic,
        Transfer::paper_soft_relu(),
        Transfer::Tanh,
    ] {
        let continuous = ContinuousConfig::new().with_tau_w(2.0).with_dt(0.1);
        check(
            every_group_learns(vec![9, 7, 5, 3], transfer),
            continuous,
            4,
        );
    }
}

#[test]
fn fast_path_matches_the_tensor_code_with_noise_conductances_and_windows() {
    let network = every_group_learns(vec![11, 8, 4], Transfer::Logistic).with_bias(false);
    let continuous = ContinuousConfig::new()
        .with_tau_w(3.0)
        .with_tau_0(0.0)
        .with_sigma(0.3)
        .with_noise_chunk(7)
        .with_apply_every(5)
        .with_nudging(Nudging::Conductance {
            e_exc: 1.2,
            e_inh: -0.5,
        });
    check(network, continuous, 3);
    // No filter at all (τ_w = 0) and a self-predicting start, one stream.
    let network = every_group_learns(vec![6, 10, 2], Transfer::paper_soft_relu())
        .with_init(Init::SelfPredicting);
    check(
        network,
        ContinuousConfig::new().with_tau_w(0.0).with_apply_every(2),
        1,
    );
}
