//! `microcircuits compare`: several learners on the same data, one table.

use std::path::PathBuf;

use clap::Args;
use microcircuits::experiment::{CompareOptions, compare};

use super::{Global, JobArgs};

/// Run several learners (presets) on the same data and write summary.csv, summary.md and
/// curves.png; finished runs are reused, so a table can be completed in pieces.
#[derive(Args)]
pub struct CompareArgs {
    /// A comparison preset: paper-mnist or fashion-mnist (see `list`).
    #[arg(long, default_value = "paper-mnist")]
    preset: String,
    /// Only these learners (comma-separated), e.g. dendritic,bp.
    #[arg(long, value_delimiter = ',')]
    learners: Option<Vec<String>>,
    /// Seeds per learner.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    seeds: u64,
    /// Results directory [default: results/<preset>].
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    jobs: JobArgs,
}

/// Runs what is missing of the comparison and prints its table.
pub fn run(args: CompareArgs, global: &Global) -> anyhow::Result<()> {
    let devices = global.devices(args.jobs.devices.as_deref())?;
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from("results").join(&args.preset));
    let rows = compare(&CompareOptions {
        preset: &args.preset,
        learners: args.learners,
        seeds: args.seeds,
        epochs: args.jobs.epochs,
        limit: args.jobs.limit,
        data_dir: args.jobs.data_dir.as_deref(),
        out: out.clone(),
        devices: &devices,
        progress: global.progress,
    })?;
    println!("| learner | test error (%) | seeds | epochs | epoch time (s) |");
    println!("| --- | --- | --- | --- | --- |");
    for r in rows {
        println!(
            "| {} | {:.2} ± {:.2} | {} | {} | {:.1} |",
            r.learner, r.test_error_mean, r.test_error_std, r.seeds, r.epochs, r.epoch_seconds
        );
    }
    println!(
        "written: {}/summary.csv, summary.md, curves.png",
        out.display()
    );
    Ok(())
}
