//! Euler steps per second of the continuous-time microcircuit (Eqs. 1-2, plasticity Eqs.
//! 7-9 low-pass filtered, noise on) on the CPU: 30-50-10 (the paper's Fig. 2 network) at
//! batch 1 and as 64 independent streams in one batch, and 784-500-500-10 at batch 1 and 64,
//! with the filtered plasticity applied every step and every 10 steps; for 30-50-10 also the
//! reference tensor code on the same backend (`tensor_code_*`), the baseline of the CPU fast
//! path in the same run. Criterion's "elements" are stream-steps (Euler steps × streams).
//!
//! ```text
//! cargo bench --bench continuous
//! ```

use burn::tensor::{Device, Tensor};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dendritic::continuous::{ContinuousConfig, Simulation};
use dendritic::{MicrocircuitConfig, Transfer};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn simulation(sizes: &[usize], batch: usize, apply_every: usize, device: &Device) -> Simulation {
    let network = MicrocircuitConfig::new(sizes.to_vec())
        .with_g_a(0.8)
        .with_g_som(0.8)
        .with_transfer(Transfer::paper_soft_relu())
        .with_eta_up(vec![0.001])
        .with_eta_ip(vec![0.001])
        .with_eta_pi(vec![0.001])
        .with_bias(false);
    let config = ContinuousConfig::new()
        .with_sigma(0.1)
        .with_apply_every(apply_every);
    Simulation::from_config(&network, config, batch, device).expect("valid config")
}

fn bench(c: &mut Criterion) {
    let device = Device::default();
    const STEPS: usize = 100;
    for (sizes, batch) in [
        (vec![30, 50, 10], 1),
        (vec![30, 50, 10], 64),
        (vec![784, 500, 500, 10], 1),
        (vec![784, 500, 500, 10], 64),
    ] {
        let name = format!(
            "{}/batch{batch}",
            sizes
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join("-")
        );
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements((STEPS * batch) as u64));
        if sizes[0] > 100 {
            group.sample_size(10);
        }
        let x = Tensor::<2>::full([batch, sizes[0]], 0.5, &device);
        let target = Tensor::<2>::full([batch, *sizes.last().expect("sizes")], 1.0, &device);
        let paths: &[bool] = if sizes[0] > 100 {
            &[true]
        } else {
            &[true, false]
        };
        for &fast in paths {
            for apply_every in [1, 10] {
                let mut sim = simulation(&sizes, batch, apply_every, &device).with_fast_path(fast);
                let code = if fast { "" } else { "tensor_code_" };
                let name = format!("{code}{STEPS}_steps_apply_every_{apply_every}");
                group.bench_function(name, |b| {
                    b.iter(|| {
                        sim.run(&x, Some(&target), STEPS, None).expect("run");
                        // Wait for the device: read one value back.
                        sim.potentials().output.clone().sum().into_scalar::<f32>()
                    })
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
