//! Throughput of R microcircuits trained together against R trained one after another, on
//! the paper's MNIST setting (`paper-mnist-dendritic`: 784-500-500-10, batch 10), for one
//! epoch's worth of images per network, in one run, on the same machine:
//!
//! - `sequential`: R single networks, one after another, each on the fused CPU step
//!   (`Microcircuit::learn`, every core on one network) — the baseline;
//! - `threads`: the same R networks side by side, one per core (`rayon` over networks,
//!   each network's fused step on its own thread);
//! - `stacked`: one [`Replicas`] of R networks: weights `[R, n_in, n_out]`, batched matmuls,
//!   the tensor code (on flex: Burn's own kernels, not the fused step).
//!
//! Every network has its own seed (weights and data order) and its own first-layer rate.
//! The table gives seconds for the whole set and each engine's throughput against
//! `sequential`.
//!
//! On a remote device (`--device remote:ws://HOST:PORT`, token in
//! `MICROCIRCUITS_REMOTE_TOKEN`) every engine runs the tensor code in the server;
//! `scripts/remote-bench.sh` compares that with local flex.
//!
//! ```text
//! cargo run --release --example replica_bench -- --replicas 8
//! cargo run --release --example replica_bench -- --replicas 8 --images 11000   # quicker
//! ```

use std::time::Instant;

use anyhow::Context;
use burn::tensor::{Device, Int, Tensor};
use clap::Parser;
use dendritic::{Microcircuit, MicrocircuitConfig, Replicas};
use microcircuits::backend::device_by_name;
use microcircuits::data::mnist::{permutation, replica_batch, stack_orders};
use microcircuits::experiment::LearnerSpec;
use microcircuits::experiment::presets::run_preset;
use rayon::prelude::*;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(about = "R microcircuits together (threads, stacked replicas) against R in sequence")]
struct Args {
    /// Networks R.
    #[arg(long, default_value_t = 8)]
    replicas: usize,
    /// Training images per network (default: one MNIST epoch, 55,000).
    #[arg(long)]
    images: Option<usize>,
    /// Engines to run, comma-separated: sequential, threads, stacked.
    #[arg(long, value_delimiter = ',', default_values_t = ["sequential".to_string(), "threads".to_string(), "stacked".to_string()])]
    engines: Vec<String>,
    /// Backend device.
    #[arg(long)]
    device: Option<String>,
}

fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|n| n.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// The batch order of network `r` (its own seed), `steps` batches of `batch`.
fn order(n: usize, seed: u64, device: &Device) -> Tensor<1, Int> {
    permutation(n, seed * 1_000 + 1, device)
}

/// One epoch of one network on the fused step.
fn epoch(
    net: &mut Microcircuit,
    inputs: &Tensor<2>,
    targets: &Tensor<2>,
    idx: &Tensor<1, Int>,
    batch: usize,
) {
    let steps = idx.dims()[0] / batch;
    for b in 0..steps {
        let i = idx.clone().slice(b * batch..(b + 1) * batch);
        let x = inputs.clone().select(0, i.clone());
        let u = net.target_potential(targets.clone().select(0, i));
        net.learn(x, u).expect("shapes checked by the preset");
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let device = device_by_name(args.device.as_deref())?;
    let run = run_preset("paper-mnist-dendritic")?;
    let LearnerSpec::Dendritic(base) = run.learner.clone() else {
        anyhow::bail!("paper-mnist-dendritic is not a microcircuit preset");
    };
    let data = run
        .load_data(&device)
        .context("MNIST is needed (../shared/data/mnist or MNIST_DIR)")?;
    let n = args
        .images
        .unwrap_or(data.train.len())
        .min(data.train.len());
    let inputs = data.train.inputs.clone().slice(0..n);
    let targets = data.train.targets.clone().slice(0..n);
    let batch = run.batch;
    let r_count = args.replicas.max(1);
    let configs: Vec<MicrocircuitConfig> = (0..r_count)
        .map(|r| {
            let mut eta_up = base.eta_up.clone();
            eta_up[0] *= [1.0, 0.5, 2.0, 0.75][r % 4];
            base.clone().with_seed(r as u64 + 1).with_eta_up(eta_up)
        })
        .collect();
    let orders: Vec<Tensor<1, Int>> = (0..r_count)
        .map(|r| order(n, r as u64 + 1, &device))
        .collect();
    let steps = n / batch;
    println!(
        "{r_count} networks x {n} images ({steps} steps of batch {batch}), {} on {}, {} threads",
        run.name,
        cpu_name(),
        rayon::current_num_threads()
    );
    let mut rows: Vec<(String, f64)> = Vec::new();
    for engine in &args.engines {
        let start = Instant::now();
        match engine.as_str() {
            "sequential" => {
                for (config, idx) in configs.iter().zip(&orders) {
                    let mut net = config.init(&device)?;
                    epoch(&mut net, &inputs, &targets, idx, batch);
                    // Wait for the device (a no-op on local CPU backends).
                    let _ = net.output.w_up.val().sum().into_scalar::<f64>();
                }
            }
            "threads" => {
                let mut nets = configs
                    .iter()
                    .map(|c| c.init(&device))
                    .collect::<Result<Vec<_>, _>>()?;
                nets.par_iter_mut()
                    .zip(&orders)
                    .for_each(|(net, idx)| epoch(net, &inputs, &targets, idx, batch));
            }
            "stacked" => {
                let mut replicas = Replicas::new(configs.clone(), &device)?;
                let stacked = stack_orders(orders.clone());
                for b in 0..steps {
                    let x = replica_batch(&inputs, &stacked, b, batch);
                    let u = replicas.target_potential(replica_batch(&targets, &stacked, b, batch));
                    replicas.learn(x, u)?;
                }
                // Wait for the device (a no-op on CPU backends).
                let _ = replicas
                    .weights()
                    .output
                    .w_up
                    .clone()
                    .sum()
                    .into_scalar::<f64>();
            }
            other => anyhow::bail!("unknown engine {other:?} (sequential, threads, stacked)"),
        }
        let seconds = start.elapsed().as_secs_f64();
        eprintln!("{engine}: {seconds:.1} s");
        rows.push((engine.clone(), seconds));
    }
    let baseline = rows.iter().find(|(e, _)| e == "sequential").map(|r| r.1);
    println!(
        "| engine | seconds for {r_count} networks | per network | throughput vs sequential |"
    );
    println!("| --- | --- | --- | --- |");
    for (engine, seconds) in &rows {
        let ratio = baseline.map_or("-".into(), |b| format!("{:.2}x", b / seconds));
        println!(
            "| {engine} | {seconds:.1} | {:.2} | {ratio} |",
            seconds / r_count as f64
        );
    }
    Ok(())
}
