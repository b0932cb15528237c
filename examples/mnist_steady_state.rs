//! Trains the paper's 784-500-500-10 microcircuit on MNIST with the steady-state dynamics of
//! section 3.4 (logistic φ, batch 10, targets 0.1 / 0.8, self-predicting start, fixed random
//! top-down weights) and prints validation and test error after every epoch.
//!
//! ```text
//! cargo run --release --example mnist_steady_state -- --epochs 5 --data-dir ../shared/data/mnist
//! ```

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use burn::tensor::{Device, Tensor};
use clap::Parser;
use dendritic::{MicrocircuitConfig, Precision, RateScaling};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use microcircuits::data::{Dataset, mnist::permutation};

#[derive(Parser, Debug)]
#[command(about = "Train the 784-500-500-10 dendritic microcircuit on MNIST (steady-state dynamics)")]
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
    /// Learning rates of the bottom-up weights: one for all layers, or one per layer
    /// (comma-separated, bottom to top).
    #[arg(long, value_delimiter = ',', default_values_t = [0.1])]
    eta_up: Vec<f64>,
    /// Learning rates of the interneuron weights: one for all, or one per hidden layer.
    #[arg(long, value_delimiter = ',', default_values_t = [0.1])]
    eta_ip: Vec<f64>,
    /// Scale of the bottom-up weights (U(-s/sqrt(fan_in), s/sqrt(fan_in))).
    #[arg(long, default_value_t = 8.0)]
    init_scale: f64,
    /// Scale of the fixed random top-down weights (U(-s/sqrt(n_above), s/sqrt(n_above))).
    #[arg(long, default_value_t = 1.0)]
    top_down_scale: f64,
    /// Start with W_down = W_upᵀ instead of random top-down weights.
    #[arg(long)]
    transposed: bool,
    /// Learning-rate rescaling by the inverse mixing factors: none, layer or path.
    #[arg(long, default_value = "path")]
    scaling: String,
    /// Override all mixing factors (λ_hidden, λ_out, λ_I) with one value.
    #[arg(long)]
    lambda: Option<f64>,
    /// Seed of weights and data order.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let device = Device::default();
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
        .with_top_down_transposed(args.transposed)
        .with_rate_scaling(match args.scaling.as_str() {
            "none" => RateScaling::None,
            "layer" => RateScaling::Layer,
            "path" => RateScaling::Path,
            other => anyhow::bail!("--scaling must be none, layer or path, not {other}"),
        })
        .with_seed(args.seed);
    let config = match args.lambda {
        Some(l) => config.with_all_mixing(l),
        None => config,
    };
    let mut net = config.init(&device)?;
    let precision = Precision::F32;
    let train_x = train.to_device(&device, precision).images;
    let train_t = net.target_potential(train.target_rates(10, 0.1, 0.8, &device, precision));
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
        let order = permutation(train.len(), args.seed * 1_000 + epoch as u64, &device);
        let x_epoch = train_x.clone().select(0, order.clone());
        let t_epoch = train_t.clone().select(0, order);
        for b in 0..batches {
            let range = b * args.batch..(b + 1) * args.batch;
            net.train_step(x_epoch.clone().slice(range.clone()), t_epoch.clone().slice(range))?;
            if b % 100 == 0 {
                bar.set_position(b as u64);
            }
        }
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
        ProgressStyle::with_template("epoch {msg} {bar:40} {pos}/{len} batches ({per_sec}, eta {eta})")
            .expect("valid template"),
    );
    bar.set_message(epoch.to_string());
    bar
}
