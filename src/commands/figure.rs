//! `microcircuits figure NAME`: one of the paper's continuous-time figures.

use std::path::PathBuf;

use clap::Args;
use microcircuits::figures::{Figure, run_figure};

use super::Global;

/// Reproduce one of the paper's continuous-time figures (fig1, figS1, fig2): writes
/// DIR/<name>.png and DIR/<name>.csv.
#[derive(Args)]
pub struct FigureArgs {
    /// fig1, figS1 or fig2.
    name: String,
    /// Output directory.
    #[arg(long, default_value = "results/figures")]
    out: PathBuf,
    /// A short miniature run (seconds) instead of the full figure.
    #[arg(long)]
    quick: bool,
}

/// Runs the figure and prints its summary.
pub fn run(args: FigureArgs, global: &Global) -> anyhow::Result<()> {
    let figure: Figure = args.name.parse()?;
    let report = run_figure(figure, &args.out, args.quick, &global.device()?)?;
    println!("{}", report.summary);
    println!(
        "written: {} and {}",
        report.png.display(),
        report.csv.display()
    );
    Ok(())
}
