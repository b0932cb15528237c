//! `microcircuits figure NAME`: one of the paper's continuous-time figures, or one of the two
//! disinhibition experiments on MNIST.

use std::path::PathBuf;

use clap::Args;
use microcircuits::figures::{Figure, FigureOptions, run_figure};

use super::Global;

/// Reproduce one of the paper's continuous-time figures (fig1, figS1, fig2) or run a
/// disinhibition experiment on MNIST (denoise, generate): writes DIR/<name>.png and
/// DIR/<name>.csv.
#[derive(Args)]
pub struct FigureArgs {
    /// fig1, figS1, fig2, denoise or generate.
    name: String,
    /// Output directory (denoise and generate keep the networks they train in DIR/runs and
    /// reuse them on the next call).
    #[arg(long, default_value = "results/figures")]
    out: PathBuf,
    /// A short miniature run (seconds) instead of the full figure.
    #[arg(long)]
    quick: bool,
    /// MNIST folder for denoise and generate (four gzipped IDX files).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Parameters from this TOML file instead of the built-in presets/figures/<name>.toml
    /// (copy that file and change it).
    #[arg(long)]
    preset: Option<PathBuf>,
}

/// Runs the figure and prints its summary.
pub fn run(args: FigureArgs, global: &Global) -> anyhow::Result<()> {
    let figure: Figure = args.name.parse()?;
    let device = global.device()?;
    let options = FigureOptions {
        out: args.out,
        quick: args.quick,
        device: &device,
        data_dir: args.data_dir,
        progress: global.progress,
        preset: args.preset,
    };
    let report = run_figure(figure, &options)?;
    println!("{}", report.summary);
    let mut written = vec![report.png.display().to_string()];
    written.extend(report.curves_png.map(|p| p.display().to_string()));
    written.push(report.csv.display().to_string());
    println!("written: {}", written.join(", "));
    Ok(())
}
