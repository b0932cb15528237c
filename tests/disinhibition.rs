//! Disinhibition (issue 14, part 1): gates of 1 change nothing, bit for bit, in the
//! steady-state settling and in the continuous dynamics (fast path and tensor code); a closed
//! gate leaves the top-down input on the apical dendrite of a self-predicting network and a
//! half-open one half of it; bad gates are refused; the input-reconstruction rule (Eq. 10 one
//! level down) lowers its loss below that of the best constant guess.

mod common;

use burn::tensor::{Device, Tensor};
use common::{host, input_rates, max_abs_diff, target_rates};
use dendritic::continuous::{ContinuousConfig, Simulation};
use dendritic::disinhibition::Gates;
use dendritic::reconstruction::ReconstructionConfig;
use dendritic::{DendriticError, MicrocircuitConfig, Precision, State, Transfer};

fn every_tensor(state: &State) -> Vec<Vec<f64>> {
    let mut out = vec![
        host(state.output.basal.clone()),
        host(state.output.soma.clone()),
    ];
    for h in &state.hidden {
        for t in [&h.basal, &h.top_down, &h.apical, &h.soma, &h.interneuron] {
            out.push(host(t.clone()));
        }
    }
    out
}

#[test]
fn open_gates_reproduce_the_steady_state_bit_for_bit() {
    let device = Device::default();
    let net = MicrocircuitConfig::new(vec![12, 9, 7, 4])
        .with_init(dendritic::Init::Random)
        .with_seed(3)
        .init(&device)
        .unwrap();
    let x = input_rates(5, 12, 1, &device, Precision::F32);
    let t = net.target_potential(target_rates(5, 4, 2, &device, Precision::F32));
    let plain = net.settle(x.clone(), Some(t.clone())).unwrap();
    let gated = net
        .settle_disinhibited(x, Some(t), &Gates::open(2))
        .unwrap();
    assert_eq!(every_tensor(&plain), every_tensor(&gated));
}

#[test]
fn a_closed_gate_leaves_the_top_down_input_on_the_apical_dendrite() {
    let device = Device::default();
    let net = MicrocircuitConfig::new(vec![12, 9, 7, 4])
        .with_precision(Precision::F64)
        .init(&device)
        .unwrap();
    let x = input_rates(5, 12, 1, &device, Precision::F64);
    let open = net.settle(x.clone(), None).unwrap();
    for h in &open.hidden {
        // Self-predicting: the interneurons cancel the top-down input.
        assert!(max_abs_diff(h.apical.clone(), h.apical.zeros_like()) < 1e-12);
        assert!(max_abs_diff(h.top_down.clone(), h.top_down.zeros_like()) > 1e-2);
    }
    for g in [0.0, 0.25, 0.5] {
        let gated = net
            .settle_disinhibited(x.clone(), None, &Gates::uniform(2, g))
            .unwrap();
        // Layer 2 first: the top-down pass starts at the output, which no gate changes.
        let h = &gated.hidden[1];
        let expected = h.top_down.clone().mul_scalar(1.0 - g);
        let err = max_abs_diff(h.apical.clone(), expected);
        assert!(err < 1e-12, "g = {g}: v_A - (1 - g) v_TD = {err}");
    }
    // Closed: exactly the top-down input, in every layer.
    let closed = net
        .settle_disinhibited(x, None, &Gates::uniform(2, 0.0))
        .unwrap();
    for h in &closed.hidden {
        assert_eq!(host(h.apical.clone()), host(h.top_down.clone()));
    }
}

#[test]
fn imagery_gives_the_top_down_prediction_when_disinhibited_and_nothing_when_inhibited() {
    let device = Device::default();
    let net = MicrocircuitConfig::new(vec![12, 9, 7, 4])
        .with_precision(Precision::F64)
        .init(&device)
        .unwrap();
    let classes = target_rates(3, 4, 5, &device, Precision::F64);
    let phi = Transfer::Logistic;
    let top_down = |g: f64| {
        // r_2 = φ((1 - g) r_3 W_down_2), r_1 = φ((1 - g) r_2 W_down_1): with W_PI = -W_down the
        // gated interneurons cancel a fraction g of the top-down input.
        let r_2 = phi.rate(
            classes
                .clone()
                .matmul(net.hidden[1].w_down.val())
                .mul_scalar(1.0 - g),
        );
        let r_1 = phi.rate(
            r_2.clone()
                .matmul(net.hidden[0].w_down.val())
                .mul_scalar(1.0 - g),
        );
        (r_1, r_2)
    };
    for g in [0.0, 0.5, 1.0] {
        let rates = net.imagine(classes.clone(), &Gates::uniform(2, g)).unwrap();
        let (r_1, r_2) = top_down(g);
        assert!(
            max_abs_diff(rates[1].clone(), r_2) < 1e-12,
            "g = {g}, layer 2"
        );
        assert!(
            max_abs_diff(rates[0].clone(), r_1) < 1e-12,
            "g = {g}, layer 1"
        );
    }
    // Inhibited (g = 1) in the self-predicting state: nothing of the class reaches layer 1,
    // every cell sits at φ(0) = 0.5; disinhibited, the classes give different patterns.
    let inhibited = net.imagine(classes.clone(), &Gates::open(2)).unwrap();
    assert!(
        max_abs_diff(
            inhibited[0].clone(),
            inhibited[0].ones_like().mul_scalar(0.5)
        ) < 1e-12
    );
    let imagined = net
        .imagine(classes.clone(), &Gates::uniform(2, 0.0))
        .unwrap();
    let rows = host(imagined[0].clone());
    assert!(
        rows[..9]
            .iter()
            .zip(&rows[9..18])
            .any(|(a, b)| (a - b).abs() > 1e-3)
    );
    // Wrong output width and bad gates are refused.
    let wrong = target_rates(3, 5, 5, &device, Precision::F64);
    let err = net.imagine(wrong, &Gates::open(2)).unwrap_err();
    assert!(matches!(err, DendriticError::Shape { .. }), "{err}");
    let err = net
        .imagine(classes, &Gates::new(vec![0.0, 2.0]))
        .unwrap_err();
    assert!(
        matches!(err, DendriticError::BadGate { layer: 2, .. }),
        "{err}"
    );
}

fn simulation(device: &Device, fast: bool, gates: Option<Gates>) -> Simulation {
    let network = MicrocircuitConfig::new(vec![10, 8, 6, 3])
        .with_g_a(0.8)
        .with_g_som(0.8)
        .with_transfer(Transfer::Logistic)
        .with_eta_up(vec![0.3])
        .with_eta_ip(vec![0.2])
        .with_eta_pi(vec![0.2])
        .with_eta_down(vec![0.1]);
    let config = ContinuousConfig::new().with_sigma(0.2).with_tau_w(2.0);
    let mut sim = Simulation::from_config(&network, config, 3, device)
        .unwrap()
        .with_fast_path(fast);
    if let Some(g) = gates {
        sim.set_gates(g).unwrap();
    }
    sim
}

#[test]
fn open_gates_reproduce_the_continuous_dynamics_bit_for_bit() {
    let device = Device::default();
    let x = input_rates(3, 10, 4, &device, Precision::F32);
    let t = target_rates(3, 3, 5, &device, Precision::F32);
    for fast in [true, false] {
        let mut plain = simulation(&device, fast, None);
        let mut gated = simulation(&device, fast, Some(Gates::open(2)));
        for sim in [&mut plain, &mut gated] {
            sim.run(&x, Some(&t), 60, None).unwrap();
        }
        let (a, b) = (plain.weights(), gated.weights());
        assert_eq!(host(a.output.w_up.clone()), host(b.output.w_up.clone()));
        assert_eq!(
            host(a.hidden[0].w_pi.clone()),
            host(b.hidden[0].w_pi.clone())
        );
        assert_eq!(
            host(plain.potentials().hidden[0].clone()),
            host(gated.potentials().hidden[0].clone())
        );
    }
}

#[test]
fn a_closed_gate_in_continuous_time_gives_the_apical_dendrite_the_top_down_input() {
    let device = Device::default();
    let network = MicrocircuitConfig::new(vec![10, 8, 6, 3]).with_g_a(0.8);
    let config = ContinuousConfig::new();
    let x = input_rates(2, 10, 4, &device, Precision::F32);
    for fast in [true, false] {
        let mut sim = Simulation::from_config(&network, config.clone(), 2, &device)
            .unwrap()
            .with_fast_path(fast);
        sim.settle_at(&x, None).unwrap();
        let c = sim.compartments();
        // The continuous self-predicting state: silent apical dendrites.
        assert!(max_abs_diff(c.apical[0].clone(), c.apical[0].zeros_like()) < 1e-4);
        sim.set_gates(Gates::uniform(2, 0.0)).unwrap();
        sim.run(&x, None, 1, None).unwrap();
        let c = sim.compartments();
        for k in 0..2 {
            assert_eq!(host(c.apical[k].clone()), host(c.top_down[k].clone()));
            assert!(max_abs_diff(c.top_down[k].clone(), c.top_down[k].zeros_like()) > 1e-2);
        }
    }
}

#[test]
fn gates_outside_zero_one_or_of_the_wrong_count_are_refused() {
    let device = Device::default();
    let net = MicrocircuitConfig::new(vec![6, 5, 4, 3])
        .init(&device)
        .unwrap();
    let x = input_rates(2, 6, 1, &device, Precision::F32);
    for (gates, what) in [
        (vec![1.0], "count"),
        (vec![1.0, 1.5], "range"),
        (vec![f64::NAN, 0.5], "nan"),
        (vec![-0.1, 0.5], "range"),
    ] {
        let err = net
            .settle_disinhibited(x.clone(), None, &Gates::new(gates.clone()))
            .unwrap_err();
        match (what, err) {
            ("count", DendriticError::WrongListLength { expected: 2, .. }) => {}
            ("range" | "nan", DendriticError::BadGate { .. }) => {}
            (_, e) => panic!("{gates:?}: unexpected {e}"),
        }
    }
}

#[test]
fn the_input_reconstruction_rule_lowers_its_loss_below_the_best_constant_guess() {
    let device = Device::default();
    // Inputs from 4 prototypes plus noise, encoded by a random microcircuit's first layer.
    let net = MicrocircuitConfig::new(vec![16, 12, 3])
        .with_init_scale_up(3.0)
        .with_seed(9)
        .init(&device)
        .unwrap();
    let prototypes = input_rates(4, 16, 21, &device, Precision::F32);
    let noise = input_rates(64, 16, 22, &device, Precision::F32)
        .sub_scalar(0.5)
        .mul_scalar(0.1);
    let index = Tensor::<1, burn::tensor::Int>::from_data(
        burn::tensor::TensorData::new((0..64).map(|i| (i % 4) as i64).collect(), [64]),
        &device,
    );
    let r_0 = (prototypes.select(0, index) + noise).clamp(0.0, 1.0);
    let r_1 = net.settle(r_0.clone(), None).unwrap().hidden[0]
        .forward_rate
        .clone();
    let mut rec = ReconstructionConfig::new(16, 12)
        .with_eta(2.0)
        .with_seed(1)
        .init(&device)
        .unwrap();
    let start = rec
        .loss(r_1.clone(), r_0.clone())
        .unwrap()
        .into_scalar::<f64>();
    for _ in 0..400 {
        rec.learn(r_1.clone(), r_0.clone()).unwrap();
    }
    let end = rec
        .loss(r_1.clone(), r_0.clone())
        .unwrap()
        .into_scalar::<f64>();
    // The best constant guess (the mean input) leaves the prototypes' spread.
    let mean = r_0.clone().mean_dim(0);
    let constant = (r_0.clone() - mean)
        .square()
        .sum()
        .mul_scalar(0.5 / 64.0)
        .into_scalar::<f64>();
    assert!(
        end < 0.5 * start && end < 0.5 * constant,
        "loss {start} -> {end}, constant guess {constant}"
    );
    // Shapes are checked.
    assert!(rec.learn(r_0.clone(), r_0).is_err());
}
