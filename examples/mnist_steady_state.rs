//! Trains the paper's 784-500-500-10 microcircuit on MNIST with the steady-state dynamics of
//! section 3.4 (logistic φ, batch 10, targets 0.1 / 0.8, self-predicting start) and prints
//! validation and test error after every epoch.
//!
//! Defaults are tuned for 5 epochs (see `docs/tuning.md`): top-down weights start as
//! `W_upᵀ` and stay fixed, nudging is strong at the output (λ_N = 0.9), and the interneuron
//! rates are set so that `W_IP` keeps pace with the `W_up` it mirrors. `--random-top-down`
//! gives the paper's feedback-alignment setting, which learns more slowly.
//!
//! ```text
//! cargo run --release --example mnist_steady_state -- --epochs 5 --data-dir ../shared/data/mnist
//! ```

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use baselines::{DendriticLearner, Learner};
use burn::tensor::Tensor;
use clap::Parser;
use dendritic::{MicrocircuitConfig, Precision, RateScaling};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use microcircuits::backend::device_by_name;
use microcircuits::data::Dataset;
use microcircuits::training::train_epoch;

// glibc returns the 1.5 MB weight-update buffers to the OS after every step and page-faults
// them back in on the next (10x slower outer products here); mimalloc keeps them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    about = "Train the 784-500-500-10 dendritic microcircuit on MNIST (steady-state dynamics)"
)]
struct Args {
    /// Training epochs.
    #[arg(long, default_value_t = 5)]
    epochs: usize,
    /// Directory holding the four MNIST IDX files (gzipped or not).
    #[arg(long, default_value = "../shared/data/mnist")]
    data_dir: PathBuf,
    /// Keep only the first N training images.
    #[arg(long)]
    limit: Option<usize>,
    /// Minibatch size (the paper averages updates over 10 images).
    #[arg(long, default_value_t = 10)]
    batch: usize,
    /// Learning rates of W_up, one per layer (bottom to top) or one for all.
    #[arg(long, value_delimiter = ',', default_values_t = [24.0, 0.07, 0.03])]
    eta_up: Vec<f64>,
    /// Learning rates of W_IP, one per hidden layer or one for all.
    #[arg(long, value_delimiter = ',', default_values_t = [0.1, 0.06])]
    eta_ip: Vec<f64>,
    /// Rescaling of the rates by the inverse mixing factors: none, layer or path.
    #[arg(long, default_value = "none")]
    scaling: String,
    /// Hidden-layer mixing factor λ_k (apical share of the somatic potential).
    #[arg(long, default_value_t = 0.3)]
    lambda_hidden: f64,
    /// Output nudging factor λ_N.
    #[arg(long, default_value_t = 0.9)]
    lambda_output: f64,
    /// Interneuron nudging factor λ_I.
    #[arg(long, default_value_t = 0.5)]
    lambda_interneuron: f64,
    /// Scale of the bottom-up weights: U(-s/sqrt(fan_in), s/sqrt(fan_in)).
    #[arg(long, default_value_t = 8.0)]
    init_scale: f64,
    /// Fixed random top-down weights (the paper's MNIST setting) instead of W_down = W_upᵀ.
    #[arg(long)]
    random_top_down: bool,
    /// Scale of random top-down weights: U(-s/sqrt(n_above), s/sqrt(n_above)).
    #[arg(long, default_value_t = 1.0)]
    top_down_scale: f64,
    /// Backend: flex, ndarray, wgpu or cuda (must be compiled in).
    #[arg(long)]
    device: Option<String>,
    /// Seed of weights and data order.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let device = device_by_name(args.device.as_deref())?;
    let data = Dataset::load_idx_dir(&args.data_dir, 5_000)
        .with_context(|| format!("loading MNIST from {}", args.data_dir.display()))?;
    let train = match args.limit {
        Some(n) => data.train.limit(n),
        None => data.train,
    };
    anyhow::ensure!(args.batch > 0, "--batch must be at least 1");
    let config = MicrocircuitConfig::new(vec![784, 500, 500, 10])
        .with_eta_up(args.eta_up.clone())
        .with_eta_ip(args.eta_ip.clone())
        .with_init_scale_up(args.init_scale)
        .with_init_scale_down(args.top_down_scale)
        .with_top_down_transposed(!args.random_top_down)
        .with_lambda_hidden(Some(args.lambda_hidden))
        .with_lambda_output(Some(args.lambda_output))
        .with_lambda_interneuron(Some(args.lambda_interneuron))
        .with_rate_scaling(match args.scaling.as_str() {
            "none" => RateScaling::None,
            "layer" => RateScaling::Layer,
            "path" => RateScaling::Path,
            other => anyhow::bail!("--scaling must be none, layer or path, not {other}"),
        })
        .with_seed(args.seed);
    let mut net = DendriticLearner::new(config.init(&device)?, "dendritic");
    let precision = Precision::F32;
    let train_x = train.to_device(&device, precision).images;
    let train_t = train.target_rates(10, 0.1, 0.8, &device, precision);
    let validation = data.validation.to_device(&device, precision);
    let test = data.test.to_device(&device, precision);
    println!(
        "784-500-500-10 on {} training images, batch {}, λ_hidden {:.3}, λ_out {:.3}, λ_I {:.3}",
        train.len(),
        args.batch,
        config.lambda_hidden(),
        config.lambda_output(),
        config.lambda_interneuron()
    );

    let batches = train.len() / args.batch;
    let mut test_error = f64::NAN;
    for epoch in 1..=args.epochs {
        let bar = progress(batches as u64, epoch);
        let start = Instant::now();
        train_epoch(
            &mut net,
            &train_x,
            &train_t,
            args.batch,
            args.seed * 1_000 + epoch as u64,
            1.0,
            |b, _| {
                if b % 100 == 0 {
                    bar.set_position(b as u64);
                }
            },
        )?;
        // Wait for queued work before stopping the clock (a no-op on CPU backends).
        let _ = Tensor::<1>::zeros([1], &device).into_scalar::<f32>();
        let seconds = start.elapsed().as_secs_f64();
        bar.finish_and_clear();
        let val_error = validation.error_rate(1_000, |x| net.classify(x));
        test_error = test.error_rate(1_000, |x| net.classify(x));
        println!(
            "epoch {epoch:>3}  validation error {:5.2} %  test error {:5.2} %  epoch time {seconds:.2} s",
            100.0 * val_error,
            100.0 * test_error
        );
    }
    println!("final test error: {:.2} %", 100.0 * test_error);
    Ok(())
}

fn progress(len: u64, epoch: usize) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "epoch {msg} {bar:40} {pos}/{len} batches ({per_sec}, eta {eta})",
        )
        .expect("valid template"),
    );
    bar.set_message(epoch.to_string());
    bar
}
