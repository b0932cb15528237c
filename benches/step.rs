//! One training step of 784-500-500-10 at batch 10 and 100 on real MNIST batches: the
//! dendritic microcircuit with the `paper-mnist-dendritic` preset's settings (its fast step,
//! `Microcircuit::learn`, and the tensor-code step, `train_step`), backprop through Burn
//! autodiff (SGD), and the plain forward matmuls of the same sizes, on flex and ndarray.
//! Prints the step times and the dendritic/BP ratio measured in this run.
//!
//! Throughput is reported in FLOP/s (criterion's "elements"), so the step numbers read as a
//! fraction of the plain matmul's speed.
//!
//! ```text
//! cargo bench --bench step
//! BENCH_DEVICES=wgpu BENCH_BATCHES=10,100,1000 cargo bench --features wgpu --bench step
//! ```

mod common;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use burn::tensor::{Device, Tensor};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use dendritic::random::WeightSampler;
use dendritic::{Microcircuit, MicrocircuitConfig, Precision, RateScaling};
use microcircuits::baselines::{BpConfig, Learner, NetConfig};

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

/// The backends to bench: `BENCH_DEVICES` (comma-separated: flex, ndarray, wgpu), by default
/// the CPU backends compiled in.
fn devices() -> Vec<(&'static str, Device)> {
    let wanted = std::env::var("BENCH_DEVICES").unwrap_or_else(|_| "flex,ndarray".into());
    let mut out = Vec::new();
    for name in wanted.split(',') {
        match name.trim() {
            "flex" => out.push(("flex", Device::flex())),
            #[cfg(feature = "ndarray")]
            #[allow(deprecated)]
            "ndarray" => out.push(("ndarray", Device::ndarray())),
            #[cfg(feature = "wgpu")]
            "wgpu" => out.push(("wgpu", microcircuits::backend::wgpu_device())),
            other => eprintln!("BENCH_DEVICES: '{other}' is not compiled in, skipped"),
        }
    }
    out
}

/// Batch sizes: `BENCH_BATCHES` (comma-separated), by default 10 and 100.
fn batches() -> Vec<usize> {
    std::env::var("BENCH_BATCHES")
        .ok()
        .map(|v| v.split(',').filter_map(|b| b.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10, 100])
}

/// The `paper-mnist-dendritic` preset's network.
fn net(device: &Device) -> Microcircuit {
    MicrocircuitConfig::new(SIZES.to_vec())
        .with_lambda_hidden(Some(0.3))
        .with_lambda_output(Some(0.9))
        .with_lambda_interneuron(Some(0.5))
        .with_eta_up(vec![24.0, 0.07, 0.03])
        .with_eta_ip(vec![0.1, 0.06])
        .with_rate_scaling(RateScaling::None)
        .with_init_scale_up(8.0)
        .with_top_down_transposed(true)
        .init(device)
        .expect("valid config")
}

fn sync(device: &Device) {
    let _ = Tensor::<1>::zeros([1], device).into_scalar::<f32>();
}

type Totals = RefCell<BTreeMap<(String, usize, String), (u64, Duration)>>;

/// Times `step` through criterion and adds its samples to `totals` under `key`.
fn timed(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    totals: &Totals,
    key: (String, usize, String),
    mut step: impl FnMut(),
) {
    group.bench_function(BenchmarkId::new(&key.2, key.1), |bench| {
        bench.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                step();
            }
            let elapsed = start.elapsed();
            let mut totals = totals.borrow_mut();
            let entry = totals.entry(key.clone()).or_default();
            entry.0 += iters;
            entry.1 += elapsed;
            elapsed
        })
    });
}

fn bench(c: &mut Criterion) {
    let totals: Totals = RefCell::default();
    for (name, device) in devices() {
        for b in batches() {
            let mut group = c.benchmark_group(format!("{name}/batch{b}"));
            let (x, r) = common::mnist_batch(&device, b);
            let key = |what: &str| (name.to_string(), b, what.to_string());

            let mut fast = net(&device);
            let u_trgt = fast.target_potential(r.clone());
            group.throughput(Throughput::Elements(dendritic_flops(b)));
            timed(&mut group, &totals, key("dendritic_step"), || {
                fast.learn(x.clone(), u_trgt.clone()).expect("shapes fit");
                sync(&device);
            });
            let mut tensor = net(&device);
            timed(&mut group, &totals, key("dendritic_tensor_step"), || {
                tensor
                    .train_step(x.clone(), u_trgt.clone())
                    .expect("shapes fit");
                sync(&device);
            });

            let mut bp = BpConfig::new(NetConfig::new(SIZES.to_vec()).with_init_scale(8.0))
                .init(&device)
                .expect("valid config");
            group.throughput(Throughput::Elements(bp_flops(b)));
            timed(&mut group, &totals, key("bp_step"), || {
                let _ = bp
                    .train_step(x.clone(), r.clone(), 1.0)
                    .expect("shapes fit")
                    .loss_value();
            });

            let mut s = WeightSampler::new(3, &device, Precision::F32);
            let ws: Vec<Tensor<2>> = SIZES
                .windows(2)
                .map(|w| s.uniform([w[0], w[1]], 0.1))
                .collect();
            group.throughput(Throughput::Elements((2 * b * forward_macs()) as u64));
            timed(&mut group, &totals, key("forward_matmuls"), || {
                let mut h = x.clone();
                for w in &ws {
                    h = h.matmul(w.clone());
                }
                let _ = h.sum().into_scalar::<f32>();
            });
            group.finish();
        }
    }
    let totals = totals.into_inner();
    let ms = |k: &(String, usize, String)| {
        let (iters, time) = totals[k];
        1e3 * time.as_secs_f64() / iters as f64
    };
    println!("\n784-500-500-10 step on MNIST batches, this run");
    println!(
        "| backend | batch | dendritic step | tensor-code step | BP step | dendritic / BP | forward matmuls |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let mut rows: Vec<(String, usize)> = totals.keys().map(|(n, b, _)| (n.clone(), *b)).collect();
    rows.dedup();
    for (name, b) in rows {
        let k = |what: &str| (name.clone(), b, what.to_string());
        println!(
            "| {name} | {b} | {:.3} ms | {:.3} ms | {:.3} ms | {:.2} | {:.3} ms |",
            ms(&k("dendritic_step")),
            ms(&k("dendritic_tensor_step")),
            ms(&k("bp_step")),
            ms(&k("dendritic_step")) / ms(&k("bp_step")),
            ms(&k("forward_matmuls")),
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
