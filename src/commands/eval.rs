//! `microcircuits eval`: the test error of a run's checkpoint.

use std::path::PathBuf;

use clap::Args;
use microcircuits::experiment::evaluate;

use super::Global;

/// Test error of a run's checkpoint.
#[derive(Args)]
pub struct EvalArgs {
    /// The run directory (as given to train --out).
    #[arg(long)]
    checkpoint: PathBuf,
    /// Folder with the four IDX files (default: the one in the run's config).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

/// Evaluates the checkpoint on the test set and prints the error.
pub fn run(args: EvalArgs, global: &Global) -> anyhow::Result<()> {
    let (config, error) = evaluate(
        &args.checkpoint,
        args.data_dir.as_deref(),
        &global.device()?,
    )?;
    println!(
        "{}: test error {} ({error})",
        config.name,
        config.task.format_error(error)
    );
    Ok(())
}
