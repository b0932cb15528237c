//! `Replicas`: R microcircuits stacked as `[R, n_in, n_out]` and trained with batched matmuls
//! compute what R single networks compute: replica r after 20 steps has the weights of a
//! single network with its config (seed, rates, mixing factors, start) trained on its batches,
//! within 1e-5 in f32, on flex and ndarray; and bad stacks or shapes are refused.

mod common;

use burn::tensor::{Device, Tensor};
use common::{host, input_rates, target_rates};
use dendritic::{DendriticError, Init, Microcircuit, MicrocircuitConfig, Precision, Replicas};

/// Every weight and bias of a network, flattened, in a fixed order.
fn weights(net: &Microcircuit) -> Vec<Vec<f64>> {
    let w = dendritic::Weights::from_network(net);
    let mut out = Vec::new();
    for h in w.hidden {
        for t in [h.w_up, h.w_down, h.w_ip, h.w_pi] {
            out.push(host(t));
        }
        out.extend(h.b_up.map(host));
        out.extend(h.b_ip.map(host));
    }
    out.push(host(w.output.w_up));
    out.extend(w.output.b_up.map(host));
    out
}

/// Four replicas that differ in seed, every group's rates, the mixing factors, the start and
/// the init scales.
fn configs() -> Vec<MicrocircuitConfig> {
    let base = MicrocircuitConfig::new(vec![12, 9, 7, 4])
        .with_eta_pi(vec![0.05])
        .with_eta_down(vec![0.02]);
    vec![
        base.clone().with_seed(1).with_eta_up(vec![0.1]),
        base.clone()
            .with_seed(2)
            .with_eta_up(vec![0.3, 0.2, 0.05])
            .with_eta_ip(vec![0.2]),
        base.clone()
            .with_seed(3)
            .with_eta_up(vec![0.05])
            .with_lambda_hidden(Some(0.3))
            .with_lambda_output(Some(0.2))
            .with_init(Init::Random)
            .with_init_scale_down(4.0),
        base.with_seed(4)
            .with_eta_up(vec![0.2])
            .with_eta_down(vec![0.0])
            .with_lambda_interneuron(Some(0.2))
            .with_top_down_transposed(true),
    ]
}

fn replica_r_matches_a_single_network(configs: Vec<MicrocircuitConfig>, device: &Device) {
    let r_count = configs.len();
    let mut replicas = Replicas::new(configs.clone(), device).unwrap();
    let mut singles: Vec<Microcircuit> = configs.iter().map(|c| c.init(device).unwrap()).collect();
    let scales = [1.0, 0.5, 2.0, 1.0];
    replicas.set_rate_scales(&scales).unwrap();
    for (net, s) in singles.iter_mut().zip(scales) {
        net.set_rate_scale(s);
    }
    let (batch, n_in, n_out) = (10, 12, 4);
    for step in 0..20u64 {
        let x = |r: u64| input_rates(batch, n_in, 100 * r + step, device, Precision::F32);
        let t = |r: u64| target_rates(batch, n_out, 100 * r + 50 + step, device, Precision::F32);
        let inputs: Vec<Tensor<2>> = (0..r_count as u64).map(x).collect();
        let targets: Vec<Tensor<2>> = (0..r_count as u64).map(t).collect();
        for (r, net) in singles.iter_mut().enumerate() {
            let u = net.target_potential(targets[r].clone());
            net.train_step(inputs[r].clone(), u).unwrap();
        }
        let u = replicas.target_potential(Tensor::stack(targets, 0));
        replicas.learn(Tensor::stack(inputs, 0), u).unwrap();
    }
    let mut compared = 0;
    for (r, single) in singles.iter().enumerate() {
        let (a, b) = (weights(&replicas.replica(r)), weights(single));
        assert_eq!(a.len(), b.len());
        for (g, (x, y)) in a.iter().zip(&b).enumerate() {
            let diff = x
                .iter()
                .zip(y)
                .map(|(p, q)| (p - q).abs())
                .fold(0.0, f64::max);
            assert!(diff < 1e-5, "replica {r}, group {g}: max |Δ| = {diff}");
            compared += x.len();
        }
    }
    assert!(compared > 0);
    // The replicas learned: their weights are not their starting ones.
    let start = weights(&configs[1].init(device).unwrap());
    let moved = weights(&replicas.replica(1))[0]
        .iter()
        .zip(&start[0])
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f64::max);
    assert!(moved > 1e-3, "replica 1's W_up_1 did not change ({moved})");
}

#[test]
fn replica_r_after_20_steps_equals_the_single_network_with_its_config_on_flex() {
    replica_r_matches_a_single_network(configs(), &Device::flex());
}

#[test]
fn replicas_whose_eq_9_learns_with_the_target_off_equal_single_networks_doing_so() {
    let free: Vec<_> = configs()
        .into_iter()
        .map(|c| c.with_w_pi_free_phase(true))
        .collect();
    replica_r_matches_a_single_network(free, &Device::flex());
}

#[test]
fn replicas_that_differ_in_the_free_phase_are_refused() {
    let device = Device::flex();
    let a = MicrocircuitConfig::new(vec![6, 5, 3]);
    let b = a.clone().with_w_pi_free_phase(true);
    let err = Replicas::new(vec![a, b], &device).unwrap_err();
    assert!(err.to_string().contains("w_pi_free_phase"), "{err}");
}

#[test]
#[allow(deprecated)]
fn replica_r_after_20_steps_equals_the_single_network_with_its_config_on_ndarray() {
    replica_r_matches_a_single_network(configs(), &Device::ndarray());
}

#[test]
fn replicas_of_the_same_config_predict_what_the_network_predicts() {
    let device = Device::flex();
    let config = MicrocircuitConfig::new(vec![6, 5, 3]).with_seed(7);
    let net = config.init(&device).unwrap();
    let replicas = Replicas::new(vec![config.clone(), config], &device).unwrap();
    let x = input_rates(8, 6, 1, &device, Precision::F32);
    let stacked = replicas.predict(Tensor::stack(vec![x.clone(), x.clone()], 0));
    let single = host(net.predict(x));
    for r in 0..2 {
        assert_eq!(host(stacked.clone().slice(r..r + 1)), single);
    }
}

#[test]
fn stacks_of_different_sizes_and_wrong_shapes_are_refused() {
    let device = Device::flex();
    let a = MicrocircuitConfig::new(vec![6, 5, 3]);
    let b = MicrocircuitConfig::new(vec![6, 4, 3]);
    let err = Replicas::new(vec![a.clone(), b], &device).unwrap_err();
    assert!(
        err.to_string().contains("replica 1 has another sizes"),
        "{err}"
    );
    assert!(matches!(
        Replicas::new(vec![], &device),
        Err(DendriticError::Replicas(_))
    ));
    let mut replicas = Replicas::new(vec![a.clone(), a], &device).unwrap();
    let x = Tensor::<3>::zeros([3, 4, 6], &device); // three batches for two replicas
    let t = Tensor::<3>::zeros([3, 4, 3], &device);
    assert!(matches!(
        replicas.learn(x, t),
        Err(DendriticError::Shape { what: "input", .. })
    ));
    let x = Tensor::<3>::zeros([2, 4, 6], &device);
    let t = Tensor::<3>::zeros([2, 5, 3], &device);
    assert!(matches!(
        replicas.learn(x, t),
        Err(DendriticError::Shape { what: "target", .. })
    ));
    assert!(replicas.set_rate_scales(&[1.0]).is_err());
}
