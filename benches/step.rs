//! One training step of 784-500-500-10 at batch 10 and 100: the dendritic microcircuit
//! (steady-state dynamics, Eqs. 7-9), backprop through Burn autodiff (SGD), and the plain
//! forward matmuls of the same sizes, on every CPU backend compiled in.
//!
//! Throughput is reported in FLOP/s (criterion's "elements"), so the step numbers read as a
//! fraction of the plain matmul's speed.
//!
//! ```text
//! cargo bench --bench step
//! ```

use burn::tensor::{Device, Tensor};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use dendritic::random::WeightSampler;
use dendritic::{Microcircuit, MicrocircuitConfig, Precision};
use microcircuits::baselines::{BpConfig, Learner, NetConfig};

// See examples/mnist_steady_state.rs: glibc's allocator page-faults the update buffers.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SIZES: [usize; 4] = [784, 500, 500, 10];

/// Multiply-adds of one feed-forward pass per example.
fn forward_macs() -> usize {
    SIZES.windows(2).map(|w| w[0] * w[1]).sum()
}

/// FLOPs of one dendritic step per example: the forward pass, the interneurons (W_IP), the
/// top-down and lateral apical input (W_down, W_PI), and the W_up and W_IP updates.
fn dendritic_flops(batch: usize) -> u64 {
    let hidden_ip: usize = (1..SIZES.len() - 1).map(|k| SIZES[k] * SIZES[k + 1]).sum();
    let apical = 2 * hidden_ip;
    (2 * batch * (2 * forward_macs() + 2 * hidden_ip + apical)) as u64
}

/// FLOPs of one backprop step per example: forward, weight gradients, input gradients of the
/// upper layers.
fn bp_flops(batch: usize) -> u64 {
    let input_grads: usize = SIZES.windows(2).skip(1).map(|w| w[0] * w[1]).sum();
    (2 * batch * (2 * forward_macs() + input_grads)) as u64
}

fn devices() -> Vec<(&'static str, Device)> {
    #[allow(deprecated)]
    let mut out = vec![("flex", Device::flex()), ("ndarray", Device::ndarray())];
    if std::env::var_os("BENCH_ONLY_FLEX").is_some() {
        out.truncate(1);
    }
    out
}

fn net(device: &Device) -> Microcircuit {
    MicrocircuitConfig::new(SIZES.to_vec())
        .with_init_scale_up(8.0)
        .with_top_down_transposed(true)
        .init(device)
        .expect("valid config")
}

fn batch(device: &Device, batch: usize) -> (Tensor<2>, Tensor<2>) {
    let mut s = WeightSampler::new(9, device, Precision::F32);
    let x = s.uniform([batch, SIZES[0]], 0.5).add_scalar(0.5);
    let r = s.uniform([batch, SIZES[3]], 0.3).add_scalar(0.5);
    (x, r)
}

fn sync(device: &Device) {
    let _ = Tensor::<1>::zeros([1], device).into_scalar::<f32>();
}

fn bench(c: &mut Criterion) {
    for (name, device) in devices() {
        for b in [10usize, 100] {
            let mut group = c.benchmark_group(format!("{name}/batch{b}"));
            let (x, r) = batch(&device, b);

            let mut net = net(&device);
            let u_trgt = net.target_potential(r.clone());
            group.throughput(Throughput::Elements(dendritic_flops(b)));
            group.bench_function(BenchmarkId::new("dendritic_step", b), |bench| {
                bench.iter(|| {
                    net.train_step(x.clone(), u_trgt.clone())
                        .expect("shapes fit");
                    sync(&device);
                })
            });

            let mut bp = BpConfig::new(NetConfig::new(SIZES.to_vec()).with_init_scale(8.0))
                .init(&device)
                .expect("valid config");
            group.throughput(Throughput::Elements(bp_flops(b)));
            group.bench_function(BenchmarkId::new("bp_step", b), |bench| {
                bench.iter(|| {
                    let _ = bp
                        .train_step(x.clone(), r.clone())
                        .expect("shapes fit")
                        .loss_value();
                })
            });

            let mut s = WeightSampler::new(3, &device, Precision::F32);
            let ws: Vec<Tensor<2>> = SIZES
                .windows(2)
                .map(|w| s.uniform([w[0], w[1]], 0.1))
                .collect();
            group.throughput(Throughput::Elements((2 * b * forward_macs()) as u64));
            group.bench_function(BenchmarkId::new("forward_matmuls", b), |bench| {
                bench.iter(|| {
                    let mut h = x.clone();
                    for w in &ws {
                        h = h.matmul(w.clone());
                    }
                    let _ = h.sum().into_scalar::<f32>();
                })
            });
            group.finish();
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_secs(1)).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
