//! `microcircuits sweep`: one run over a grid of settings × seeds, as replicas where it pays.

use std::path::PathBuf;

use clap::Args;
use microcircuits::experiment::sweep::{Engine, Setting, base_run, parse_seeds};
use microcircuits::experiment::{SweepOptions, sweep};

use super::{Global, JobArgs};

/// Train a preset over a grid of settings and seeds: one run directory per (point, seed)
/// under OUT/runs/<point>/seed<k> (as `train` writes them, so `eval` reads them and an
/// interrupted sweep resumes), and sweep.csv, sweep.md and sweep.png in OUT.
///
/// Example: microcircuits sweep --preset paper-mnist-dendritic --seeds 1..3
///   --set 'eta_up=[[6,0.07,0.03],[3,0.07,0.03]]' --set 'init_scale_down=[4,8]' --epochs 5
#[derive(Args)]
pub struct SweepArgs {
    /// The run to sweep: a preset (see `list`) or a TOML/JSON run configuration file.
    #[arg(long)]
    preset: String,
    /// A swept setting, KEY=VALUES in TOML (repeat for a grid): an array is the values swept
    /// (eta_up=[12,24,48]), an array of arrays sweeps a list-valued key
    /// (eta_up=[[6,0.07,0.03],[3,0.07,0.03]]), anything else is one fixed value. KEY is any
    /// key of the run (epochs, lr_decay, ...) or of its [learner] table.
    #[arg(long = "set", value_name = "KEY=VALUES")]
    settings: Vec<String>,
    /// Seeds of every point: N (1..N), A..B, or a list 1,4,7.
    #[arg(long, default_value = "1")]
    seeds: String,
    /// Microcircuits trained together in one stack.
    #[arg(long, default_value_t = 8)]
    replicas: usize,
    /// auto (stacked replicas, except where the fused CPU step is faster: flex, f32,
    /// logistic), stacked, or each (one run after another).
    #[arg(long, default_value = "auto")]
    engine: Engine,
    /// Results directory [default: results/sweeps/<preset>].
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    jobs: JobArgs,
}

/// Runs what is missing of the sweep and prints its table.
pub fn run(args: SweepArgs, global: &Global) -> anyhow::Result<()> {
    let devices = global.devices(args.jobs.devices.as_deref())?;
    let mut base = base_run(&args.preset)?;
    if let Some(e) = args.jobs.epochs {
        base.epochs = e;
    }
    if args.jobs.limit.is_some() {
        base.limit = args.jobs.limit;
    }
    base.task = base
        .task
        .clone()
        .with_data_dir(args.jobs.data_dir.as_deref());
    base.check()?;
    let settings = args
        .settings
        .iter()
        .map(|s| Setting::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    if args.replicas == 0 {
        anyhow::bail!("--replicas must be at least 1");
    }
    let name = PathBuf::from(&args.preset);
    let stem = name
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| args.preset.clone());
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from("results").join("sweeps").join(stem));
    let rows = sweep(&SweepOptions {
        base,
        settings,
        seeds: parse_seeds(&args.seeds)?,
        replicas: args.replicas,
        engine: args.engine,
        out: out.clone(),
        devices: &devices,
        progress: global.progress,
    })?;
    println!("| point | seed | best epoch | test error (%) | status |");
    println!("| --- | --- | --- | --- | --- |");
    for r in &rows {
        println!(
            "| {} | {} | {} | {:.2} | {} |",
            r.point,
            r.seed,
            r.best_epoch,
            100.0 * r.test_error,
            r.status
        );
    }
    println!("written: {}/sweep.csv, sweep.md, sweep.png", out.display());
    Ok(())
}
