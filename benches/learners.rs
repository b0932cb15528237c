//! One training step of every learner on 784-500-500-10 at batch 10 and 100 on MNIST batches,
//! on the default CPU backend, through the common `Learner` trait; prints each learner's time per step and
//! its ratio to backprop measured in the same run.
//!
//! ```text
//! cargo bench --bench learners
//! ```

mod common;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use burn::tensor::Device;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use dendritic::MicrocircuitConfig;
use microcircuits::baselines::{
    BpConfig, DendriticLearner, FeedbackConfig, FeedbackRule, Learner, NetConfig, TargetPropConfig,
    TargetRule,
};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SIZES: [usize; 4] = [784, 500, 500, 10];

fn learners(device: &Device) -> Vec<Box<dyn Learner>> {
    let net = NetConfig::new(SIZES.to_vec()).with_init_scale(8.0);
    let feedback = |rule| Box::new(FeedbackConfig::new(net.clone(), rule).init(device).unwrap());
    let target = |rule| {
        Box::new(
            TargetPropConfig::new(net.clone(), rule)
                .init(device)
                .unwrap(),
        )
    };
    let dendritic = MicrocircuitConfig::new(SIZES.to_vec())
        .with_init_scale_up(8.0)
        .with_top_down_transposed(true)
        .init(device)
        .unwrap();
    vec![
        Box::new(BpConfig::new(net.clone()).init(device).unwrap()),
        feedback(FeedbackRule::Fa),
        feedback(FeedbackRule::Dfa),
        feedback(FeedbackRule::Shallow),
        target(TargetRule::Dtp),
        target(TargetRule::Drl),
        target(TargetRule::DirectLinear),
        Box::new(DendriticLearner::new(dendritic, "dendritic")),
    ]
}

fn bench(c: &mut Criterion) {
    let device = Device::default();
    // (batch, learner) -> (iterations, total time), gathered from criterion's own samples.
    let totals: RefCell<BTreeMap<(usize, String), (u64, Duration)>> = RefCell::default();
    for b in [10usize, 100] {
        let mut group = c.benchmark_group(format!("learners/batch{b}"));
        let (x, r) = common::mnist_batch(&device, b);
        for mut learner in learners(&device) {
            let name = learner.name().to_string();
            group.bench_function(BenchmarkId::new(&name, b), |bench| {
                bench.iter_custom(|iters| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        // Reading the loss back waits for the step to finish.
                        let _ = learner
                            .train_step(x.clone(), r.clone(), 1.0)
                            .unwrap()
                            .loss_value();
                    }
                    let elapsed = start.elapsed();
                    let mut totals = totals.borrow_mut();
                    let entry = totals.entry((b, name.clone())).or_default();
                    entry.0 += iters;
                    entry.1 += elapsed;
                    elapsed
                })
            });
        }
        group.finish();
    }
    println!("\nstep time per learner, 784-500-500-10, ratio to bp in this run");
    println!("| learner | batch | ms/step | ratio to bp |");
    println!("| --- | --- | --- | --- |");
    let totals = totals.into_inner();
    for ((b, name), (iters, time)) in &totals {
        let ms = |iters: u64, time: Duration| 1e3 * time.as_secs_f64() / iters as f64;
        let (bp_iters, bp_time) = totals[&(*b, "bp".to_string())];
        println!(
            "| {name} | {b} | {:.2} | {:.2} |",
            ms(*iters, *time),
            ms(*iters, *time) / ms(bp_iters, bp_time)
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
