//! The continuous-time dynamics (Eqs. 1-5, Euler-Maruyama): the self-predicting state keeps
//! apical dendrites silent, the Euler fixed point is the solution of `du/dt = 0`, it is close
//! to the two-step shortcut at weak coupling, and unstable time steps are refused.

mod common;

use burn::tensor::{Device, Tensor};
use common::{input_rates, max_abs_diff, target_rates};
use dendritic::continuous::{ContinuousConfig, Nudging, Potentials, Probe, Recorder, Simulation};
use dendritic::{DendriticError, Init, MicrocircuitConfig, Precision, Transfer};

/// The paper's regression network with its conductances (REFERENCE §3).
fn paper_network(sizes: Vec<usize>) -> MicrocircuitConfig {
    MicrocircuitConfig::new(sizes)
        .with_g_lk(0.1)
        .with_g_b(1.0)
        .with_g_a(0.8)
        .with_g_d(1.0)
        .with_g_som(0.8)
        .with_transfer(Transfer::paper_soft_relu())
        .with_init_scale_up(8.0)
        .with_init_scale_down(4.0)
        .with_eta_up(vec![0.0011875, 0.0005])
        // η_IP = c η_up,2 (c = 1 at g_B = g_D): W_IP follows W_up_2 exactly while it learns.
        .with_eta_ip(vec![0.0005])
        .with_eta_pi(vec![0.0005])
        .with_eta_down(vec![0.0])
        .with_bias(false)
        .with_seed(11)
}

fn max_abs(values: &[f32]) -> f64 {
    values.iter().fold(0.0f64, |m, v| m.max(f64::from(v.abs())))
}

#[test]
fn self_predicting_start_keeps_apical_potentials_below_1e_4_without_target() {
    let device = Device::default();
    // Logistic rates keep every layer well inside its active range.
    let network = paper_network(vec![30, 50, 10]).with_transfer(Transfer::Logistic);
    let mut sim = Simulation::from_config(&network, ContinuousConfig::new(), 1, &device).unwrap();
    let mut recorder = Recorder::new(
        vec![Probe::Apical(1), Probe::HiddenRate(1), Probe::OutputRate],
        1,
    );
    // From rest, a new input pattern every 100 steps: the interneurons track their partners
    // through every transient, so the apical compartments never see an error.
    for pattern in 0..10 {
        let x = input_rates(1, 30, 100 + pattern, &device, Precision::F32)
            .mul_scalar(2.0)
            .sub_scalar(1.0);
        sim.run(&x, None, 100, Some(&mut recorder)).unwrap();
    }
    let traces = recorder.finish();
    assert_eq!(traces.times().len(), 1000);
    let (apical, _) = traces.get(Probe::Apical(1)).unwrap();
    let (rates, _) = traces.get(Probe::HiddenRate(1)).unwrap();
    assert!(
        max_abs(rates) > 0.3,
        "the hidden layer must be active: {}",
        max_abs(rates)
    );
    // The top-down input the interneurons cancel is not small: W_down r_2 with rates ~0.1.
    let output = max_abs(traces.get(Probe::OutputRate).unwrap().0);
    assert!(output > 0.3, "output rates {output}");
    let worst = max_abs(apical);
    assert!(worst < 1e-4, "max |v_A| = {worst}");

    // Two hidden layers, started at the settled state of a constant input.
    let network = paper_network(vec![20, 16, 12, 6])
        .with_eta_up(vec![0.001])
        .with_eta_ip(vec![0.001]);
    let mut sim = Simulation::from_config(&network, ContinuousConfig::new(), 4, &device).unwrap();
    let x = input_rates(4, 20, 7, &device, Precision::F32)
        .mul_scalar(2.0)
        .sub_scalar(1.0);
    sim.settle_at(&x, None).unwrap();
    let mut recorder = Recorder::new(vec![Probe::Apical(1), Probe::Apical(2)], 10);
    sim.run(&x, None, 1000, Some(&mut recorder)).unwrap();
    let traces = recorder.finish();
    for k in [1, 2] {
        let worst = max_abs(traces.get(Probe::Apical(k)).unwrap().0);
        assert!(worst < 1e-4, "layer {k}: max |v_A| = {worst}");
    }
}

fn assert_close(a: &Potentials, b: &Potentials, tolerance: f64, what: &str) {
    let pairs = a
        .hidden
        .iter()
        .zip(&b.hidden)
        .chain(a.interneuron.iter().zip(&b.interneuron))
        .chain([(&a.output, &b.output)]);
    for (i, (x, y)) in pairs.enumerate() {
        let diff = max_abs_diff(x.clone(), y.clone());
        assert!(diff < tolerance, "{what}: soma group {i} differs by {diff}");
    }
}

#[test]
fn euler_fixed_point_matches_direct_solve_of_du_dt_zero() {
    let device = Device::default();
    let paper_network = |sizes| paper_network(sizes).with_eta_up(vec![0.0]);
    // A random (not self-predicting) start, so that apical potentials and interneuron
    // nudging are far from trivial; frozen weights.
    let network = paper_network(vec![12, 9, 7, 5])
        .with_init(Init::Random)
        .with_transfer(Transfer::Logistic)
        .with_init_scale_up(2.0)
        .with_eta_up(vec![0.0])
        .with_eta_ip(vec![0.0])
        .with_eta_pi(vec![0.0])
        .with_eta_down(vec![0.0]);
    let x = input_rates(3, 12, 1, &device, Precision::F32);
    let target = target_rates(3, 5, 2, &device, Precision::F32)
        .mul_scalar(4.0)
        .sub_scalar(2.0);
    for nudging in [
        Nudging::Current,
        Nudging::Conductance {
            e_exc: 1.5,
            e_inh: -1.0,
        },
    ] {
        let config = ContinuousConfig::new().with_nudging(nudging);
        let mut sim = Simulation::from_config(&network, config, 3, &device).unwrap();
        sim.run(&x, Some(&target), 3000, None).unwrap();
        let solved = sim.settled(&x, Some(&target)).unwrap();
        assert_close(sim.potentials(), &solved, 1e-4, &format!("{nudging:?}"));
        // And the fixed point is a real one: the nudged output is not the free one.
        let free = sim.settled(&x, None).unwrap();
        assert!(max_abs_diff(free.output, solved.output.clone()) > 0.05);
    }
}

#[test]
fn continuous_fixed_point_approaches_the_two_step_shortcut_at_weak_coupling() {
    let device = Device::default();
    // Without leak, the conductance ratios of the equilibrium are the mixing factors of the
    // two-step scheme (λ = g_A / (g_B + g_A), ...) and both self-predicting constructions
    // coincide. What remains is that the shortcut feeds the upper layers with feed-forward
    // rates, where the continuous network feeds them its settled (attenuated, nudged) rates:
    // a gap of order λ, which vanishes with the coupling.
    let gap = |g: f64| {
        let network = MicrocircuitConfig::new(vec![10, 8, 6])
            .with_g_lk(0.0)
            .with_g_a(g)
            .with_g_som(g)
            .with_init_scale_up(3.0)
            .with_seed(5);
        let net = network.init(&device).unwrap();
        let sim = Simulation::new(net.clone(), ContinuousConfig::new(), 4).unwrap();
        let x = input_rates(4, 10, 3, &device, Precision::F32);
        let target = net.target_potential(target_rates(4, 6, 4, &device, Precision::F32));
        let continuous = sim.settled(&x, Some(&target)).unwrap();
        let two_step = net.settle(x, Some(target)).unwrap();
        let scale = common::host(two_step.output.soma.clone().abs().max())[0];
        let gaps = [
            max_abs_diff(
                continuous.hidden[0].clone(),
                two_step.hidden[0].soma.clone(),
            ),
            max_abs_diff(continuous.output.clone(), two_step.output.soma.clone()),
        ];
        let lambda = network.lambda_hidden();
        (gaps[0].max(gaps[1]), lambda, scale)
    };
    let (strong, lambda, scale) = gap(0.01);
    let (weak, _, _) = gap(0.001);
    assert!(
        strong < 2.0 * lambda * scale,
        "gap {strong} at λ = {lambda}"
    );
    assert!(weak < strong / 5.0, "gap {weak} at λ/10 vs {strong} at λ");
    assert!(weak < 1e-3, "gap {weak}");
}

#[test]
fn time_steps_too_large_for_the_fastest_membrane_are_refused() {
    let network = paper_network(vec![4, 3, 2]);
    // g_lk + g_B + g_A = 1.9: τ_min ≈ 0.53 ms.
    let err = ContinuousConfig::new()
        .with_dt(0.5)
        .check_time_step(&network)
        .unwrap_err();
    assert!(
        matches!(err, DendriticError::UnstableTimeStep { dt, .. } if dt == 0.5),
        "{err}"
    );
    assert!(err.to_string().contains("unstable"), "{err}");
    ContinuousConfig::new()
        .with_dt(0.1)
        .check_time_step(&network)
        .unwrap();
    let faster = network.clone().with_g_a(20.0);
    assert!(matches!(
        ContinuousConfig::new().check_time_step(&faster),
        Err(DendriticError::UnstableTimeStep { .. })
    ));
    for bad in [
        ContinuousConfig::new().with_dt(-0.1),
        ContinuousConfig::new().with_tau_w(0.01),
        ContinuousConfig::new().with_sigma(f64::NAN),
        ContinuousConfig::new().with_apply_every(0),
        ContinuousConfig::new().with_nudging(Nudging::Conductance {
            e_exc: -1.0,
            e_inh: 1.0,
        }),
    ] {
        assert!(matches!(
            bad.check(),
            Err(DendriticError::BadContinuousParameter { .. })
        ));
    }
    let device = Device::default();
    // Building a simulation checks both.
    let unstable = ContinuousConfig::new().with_dt(0.5);
    assert!(matches!(
        Simulation::from_config(&network, unstable, 2, &device),
        Err(DendriticError::UnstableTimeStep { .. })
    ));
    let mut sim = Simulation::from_config(&network, ContinuousConfig::new(), 2, &device).unwrap();
    let wrong = Tensor::<2>::zeros([1, 4], &device);
    assert!(matches!(
        sim.run(&wrong, None, 1, None),
        Err(DendriticError::Shape { .. })
    ));
}
