//! One plasticity step gives the same weight changes on every backend built in.

mod common;

use burn::tensor::Device;
use common::{host, input_rates, target_rates};
use dendritic::{Init, MicrocircuitConfig, Precision, Updates};

/// Every weight change of one step, flattened to host vectors in a fixed order.
fn one_step(device: &Device) -> Vec<Vec<f64>> {
    let config = MicrocircuitConfig::new(vec![16, 12, 8, 4])
        .with_init(Init::Random)
        .with_eta_pi(vec![0.05])
        .with_eta_down(vec![0.05])
        .with_seed(5);
    let net = config.init(device).unwrap();
    let x = input_rates(10, 16, 1, device, Precision::F32);
    let t = net.target_potential(target_rates(10, 4, 2, device, Precision::F32));
    let state = net.settle(x, Some(t)).unwrap();
    let Updates { hidden, output } = net.plasticity(&state);
    let mut out = Vec::new();
    for h in hidden {
        for m in [h.w_up, h.w_ip, h.w_pi, h.w_down] {
            out.push(host(m.expect("every group learns")));
        }
        out.push(host(h.b_up.expect("bias")));
        out.push(host(h.b_ip.expect("bias")));
    }
    out.push(host(output.w_up.expect("output learns")));
    out.push(host(output.b_up.expect("bias")));
    out
}

fn assert_close(a: &[Vec<f64>], b: &[Vec<f64>], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let scale = x.iter().map(|v| v.abs()).fold(0.0, f64::max);
        assert!(
            scale > 0.0,
            "update {i} is all zeros: the comparison would be empty"
        );
        let diff = x
            .iter()
            .zip(y)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max);
        assert!(
            diff < tol,
            "{what}: update {i} differs by {diff} (scale {scale})"
        );
    }
}

#[cfg(feature = "ndarray")]
#[test]
#[allow(deprecated)]
fn flex_and_ndarray_give_the_same_updates() {
    let flex = one_step(&Device::flex());
    let ndarray = one_step(&Device::ndarray());
    assert_close(&flex, &ndarray, 1e-5, "flex vs ndarray");
}

#[cfg(feature = "wgpu")]
#[test]
fn wgpu_gives_the_same_updates_as_flex() {
    let flex = one_step(&Device::flex());
    let wgpu = one_step(&microcircuits::backend::wgpu_device());
    assert_close(&flex, &wgpu, 1e-5, "flex vs wgpu");
}
