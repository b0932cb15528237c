//! The machine's floor for one dendritic MNIST training epoch (784-500-500-10, batch 10,
//! 55,000 images, `W_up` and `W_IP` plastic): what the two limits of this CPU allow, measured
//! here rather than taken from a datasheet.
//!
//! - FLOP rate: the best of a few large f32 matrix products on Burn's flex backend (all
//!   cores), the rate its matmul reaches when nothing else limits it;
//! - cache bandwidth: a read-and-write sweep over a 16 MB buffer (the step's weights and
//!   their updates are about 13 MB, L2/L3-resident), on all cores.
//!
//! A step needs 46.2 MFLOP and moves about 13.2 MB (every weight read once, every plastic one
//! read and written once more); the floor of an epoch is 5,500 × the larger of the two times.
//!
//! ```text
//! cargo run --release --example speed_floor
//! ```

use std::time::Instant;

use burn::tensor::{Device, Distribution, Tensor};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SIZES: [usize; 4] = [784, 500, 500, 10];
const STEPS: f64 = 5_500.0;

/// Multiply-adds per sample: forward (W_up), interneurons (W_IP), apical (W_down, W_PI),
/// and the W_up and W_IP updates.
fn macs_per_sample() -> f64 {
    let up: usize = SIZES.windows(2).map(|w| w[0] * w[1]).sum();
    let ip: usize = (1..SIZES.len() - 1).map(|k| SIZES[k] * SIZES[k + 1]).sum();
    (2 * up + 2 * ip + 2 * ip) as f64
}

/// Bytes a step must move: all weights read (W_up, W_IP, W_down, W_PI), the plastic ones
/// (W_up, W_IP) read and written again for the update.
fn bytes_per_step() -> f64 {
    let up: usize = SIZES.windows(2).map(|w| w[0] * w[1]).sum();
    let ip: usize = (1..SIZES.len() - 1).map(|k| SIZES[k] * SIZES[k + 1]).sum();
    (4 * (up + 3 * ip) + 4 * 2 * (up + ip)) as f64
}

fn flop_rate() -> f64 {
    let device = Device::flex();
    let n = 1024;
    let a = Tensor::<2>::random([n, n], Distribution::Uniform(-1.0, 1.0), &device);
    let b = Tensor::<2>::random([n, n], Distribution::Uniform(-1.0, 1.0), &device);
    let mut best = 0.0f64;
    for _ in 0..8 {
        let start = Instant::now();
        let c = a.clone().matmul(b.clone());
        let _ = c.slice([0..1, 0..1]).into_scalar::<f32>();
        best = best.max(2.0 * (n * n * n) as f64 / start.elapsed().as_secs_f64());
    }
    best
}

fn bandwidth() -> f64 {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let len = 4 << 20; // 16 MB of f32
    let mut data = vec![1.0f32; len];
    let chunk = len.div_ceil(threads);
    let mut best = 0.0f64;
    for _ in 0..10 {
        let start = Instant::now();
        std::thread::scope(|s| {
            for part in data.chunks_mut(chunk) {
                s.spawn(move || {
                    for _ in 0..4 {
                        part.iter_mut().for_each(|x| *x = *x * 0.999_99 + 1e-6);
                    }
                });
            }
        });
        // 4 sweeps, each reading and writing every byte.
        best = best.max(4.0 * 2.0 * 4.0 * len as f64 / start.elapsed().as_secs_f64());
    }
    std::hint::black_box(&data);
    best
}

fn main() {
    let flops = flop_rate();
    let bytes = bandwidth();
    let step_flop = 2.0 * 10.0 * macs_per_sample();
    let step_bytes = bytes_per_step();
    let compute = STEPS * step_flop / flops;
    let memory = STEPS * step_bytes / bytes;
    println!(
        "flex f32 matmul rate (1024³, best of 8): {:.0} GFLOP/s",
        flops / 1e9
    );
    println!(
        "cache bandwidth (16 MB read+write sweep): {:.0} GB/s",
        bytes / 1e9
    );
    println!(
        "epoch needs {:.0} GFLOP and moves {:.0} GB: {compute:.2} s of compute, {memory:.2} s of traffic",
        STEPS * step_flop / 1e9,
        STEPS * step_bytes / 1e9
    );
    println!("floor {:.2} s per epoch", compute.max(memory));
}
