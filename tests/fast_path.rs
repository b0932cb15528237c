//! The fused CPU step (`Microcircuit::learn` on flex, f32, logistic) changes the weights as
//! the generic tensor code (`train_step`: settle, Eqs. 7-10, apply) does, within 1e-5 of the
//! largest change, for every weight group, with and without biases, from a transposed,
//! self-predicting or random start; on flex and against the ndarray backend.

mod common;

use burn::module::Param;
use burn::tensor::{Device, Tensor};
use common::{host, input_rates, target_rates};
use dendritic::{Init, Microcircuit, MicrocircuitConfig, Precision};

/// Every weight and bias, flattened, in a fixed order.
fn weights(net: &Microcircuit) -> Vec<Vec<f64>> {
    let mut out = Vec::new();
    let bias = |b: &Option<Param<Tensor<1>>>| b.as_ref().map(|b| host(b.val())).unwrap_or_default();
    for h in &net.hidden {
        for w in [&h.w_up, &h.w_down, &h.w_ip, &h.w_pi] {
            out.push(host(w.val()));
        }
        out.push(bias(&h.b_up));
        out.push(bias(&h.b_ip));
    }
    out.push(host(net.output.w_up.val()));
    out.push(bias(&net.output.b_up));
    out
}

/// Trains three copies of `config` for `steps` batches: the fused step (`learn` on flex) and
/// the tensor step (`train_step` on `generic_device`) in f32, and the tensor step in f64 as
/// the reference. Asserts that after one step every weight group's change agrees between the
/// two f32 paths within `1e-5` (absolute, or relative to the largest change where that is
/// larger than 1), and after any number of steps that the fused step is no further from the
/// f64 reference than the tensor step is (up to a factor 2): over several steps at large rates
/// both f32 paths drift from f64 and from each other.
fn check(config: MicrocircuitConfig, batch: usize, steps: usize, generic_device: &Device) {
    let flex = Device::flex();
    let mut generic = config.init(generic_device).unwrap();
    let mut fast = config.init(&flex).unwrap();
    let mut exact = config
        .clone()
        .with_precision(Precision::F64)
        .init(&flex)
        .unwrap();
    let start = weights(&exact);
    let (n_in, n_out) = (config.sizes[0], *config.sizes.last().unwrap());
    for step in 0..steps as u64 {
        let x = |d: &Device, p| input_rates(batch, n_in, 10 + step, d, p);
        let t = |d: &Device, p| target_rates(batch, n_out, 20 + step, d, p);
        let target = generic.target_potential(t(generic_device, Precision::F32));
        let state = generic
            .train_step(x(generic_device, Precision::F32), target)
            .unwrap();
        let basal = fast
            .learn(
                x(&flex, Precision::F32),
                fast.target_potential(t(&flex, Precision::F32)),
            )
            .unwrap();
        let target = exact.target_potential(t(&flex, Precision::F64));
        exact.train_step(x(&flex, Precision::F64), target).unwrap();
        let (want, got) = (host(state.output.basal), host(basal));
        let err = want
            .iter()
            .zip(&got)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(err < 1e-4, "step {step}: output potential differs by {err}");
    }
    let (a, b, reference) = (weights(&generic), weights(&fast), weights(&exact));
    for (i, (((w0, wa), wb), wr)) in start.iter().zip(&a).zip(&b).zip(&reference).enumerate() {
        let largest = wr
            .iter()
            .zip(w0)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        let diff = |u: &[f64], v: &[f64]| {
            u.iter()
                .zip(v)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f64::max)
        };
        let (between, fast_err, generic_err) = (diff(wa, wb), diff(wb, wr), diff(wa, wr));
        assert!(
            steps > 1 || between <= 1e-5 * largest.max(1.0),
            "{config:?}\nweight group {i}: fast and generic differ by {between} (largest change {largest})"
        );
        assert!(
            fast_err <= 2.0 * generic_err + 1e-7 * largest.max(1.0),
            "{config:?}\nweight group {i}: fast is {fast_err} from f64, generic {generic_err}"
        );
    }
}

fn every_group_learns(sizes: Vec<usize>) -> MicrocircuitConfig {
    MicrocircuitConfig::new(sizes)
        .with_init(Init::Random)
        .with_eta_up(vec![0.3])
        .with_eta_ip(vec![0.2])
        .with_eta_pi(vec![0.05])
        .with_eta_down(vec![0.05])
        .with_seed(5)
}

#[test]
fn fused_step_matches_the_tensor_step_when_every_group_learns() {
    check(
        every_group_learns(vec![37, 53, 29, 10]),
        10,
        1,
        &Device::flex(),
    );
    check(
        every_group_learns(vec![37, 53, 29, 10]).with_bias(false),
        7,
        3,
        &Device::flex(),
    );
    check(every_group_learns(vec![20, 70, 3]), 23, 2, &Device::flex());
}

#[test]
fn fused_step_matches_the_tensor_step_in_the_paper_mnist_setting() {
    // The paper-mnist presets' settings on a smaller network: the transposed start, then the
    // random one.
    let config = MicrocircuitConfig::new(vec![196, 100, 100, 10])
        .with_lambda_hidden(Some(0.3))
        .with_lambda_output(Some(0.9))
        .with_lambda_interneuron(Some(0.5))
        .with_eta_up(vec![24.0, 0.07, 0.03])
        .with_eta_ip(vec![0.1, 0.06])
        .with_rate_scaling(dendritic::RateScaling::None)
        .with_init_scale_up(8.0)
        .with_top_down_transposed(true);
    check(config.clone(), 10, 1, &Device::flex());
    check(
        config.with_top_down_transposed(false),
        100,
        2,
        &Device::flex(),
    );
}

#[cfg(feature = "ndarray")]
#[test]
#[allow(deprecated)]
fn fused_step_on_flex_matches_the_tensor_step_on_ndarray() {
    check(
        every_group_learns(vec![37, 53, 29, 10]),
        10,
        2,
        &Device::ndarray(),
    );
}

#[test]
fn learn_falls_back_to_the_tensor_step_in_f64() {
    let config = every_group_learns(vec![12, 9, 7, 4]).with_precision(Precision::F64);
    let device = Device::flex();
    let (mut a, mut b) = (config.init(&device).unwrap(), config.init(&device).unwrap());
    let x = input_rates(10, 12, 1, &device, Precision::F64);
    let t = a.target_potential(target_rates(10, 4, 2, &device, Precision::F64));
    a.train_step(x.clone(), t.clone()).unwrap();
    b.learn(x, t).unwrap();
    assert_eq!(weights(&a), weights(&b));
}

#[test]
fn learn_rejects_a_batch_of_the_wrong_width() {
    let mut net = every_group_learns(vec![12, 9, 4])
        .init(&Device::flex())
        .unwrap();
    let x = input_rates(10, 11, 1, &Device::flex(), Precision::F32);
    let t = net.target_potential(target_rates(10, 4, 2, &Device::flex(), Precision::F32));
    assert!(net.learn(x, t).is_err());
}
