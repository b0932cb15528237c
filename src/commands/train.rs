//! `microcircuits train`: one learner on one task, or the continuation of a run.

use std::path::PathBuf;

use clap::Args;
use microcircuits::experiment::presets::run_preset;
use microcircuits::experiment::{RunConfig, RunDir, TrainOptions, train};

use super::Global;

/// Train one learner on one task; writes config.toml, metrics.csv/.json, curves.png and a
/// checkpoint after every epoch into --out.
#[derive(Args)]
pub struct TrainArgs {
    /// A preset (see `list`), e.g. paper-mnist-dendritic.
    #[arg(long, conflicts_with = "config")]
    preset: Option<String>,
    /// A TOML or JSON run configuration file.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Override the number of epochs.
    #[arg(long)]
    epochs: Option<usize>,
    /// Keep only the first N training examples.
    #[arg(long)]
    limit: Option<usize>,
    /// Override the batch size.
    #[arg(long)]
    batch: Option<usize>,
    /// Override the seed (weights and data order).
    #[arg(long)]
    seed: Option<u64>,
    /// Folder with the four IDX files of the task's data set.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Output directory.
    #[arg(long, required_unless_present = "resume")]
    out: Option<PathBuf>,
    /// Continue the run in this directory from its last checkpoint (same data order and
    /// noise as an uninterrupted run); --epochs may raise its length.
    #[arg(long, conflicts_with_all = ["preset", "config", "out"])]
    resume: Option<PathBuf>,
}

impl TrainArgs {
    /// The run's configuration with the command line's overrides, its directory, and whether
    /// it continues a run.
    fn resolve(self) -> anyhow::Result<(RunConfig, PathBuf, bool)> {
        let (mut config, out, resuming) = match (self.resume, self.preset, self.config) {
            (Some(dir), _, _) => (RunDir::new(&dir).load_config()?, dir, true),
            (None, Some(name), None) => (run_preset(&name)?, required(self.out)?, false),
            (None, None, Some(path)) => (RunConfig::load(&path)?, required(self.out)?, false),
            _ => anyhow::bail!("give --preset NAME or --config FILE (see `microcircuits list`)"),
        };
        if let Some(e) = self.epochs {
            config.epochs = e;
        }
        let others = self.limit.is_some()
            || self.batch.is_some()
            || self.seed.is_some()
            || self.data_dir.is_some();
        if resuming && others {
            anyhow::bail!("--resume continues a run as configured: only --epochs may change");
        }
        if !resuming {
            config.limit = self.limit.or(config.limit);
            config.batch = self.batch.unwrap_or(config.batch);
            config.seed = self.seed.unwrap_or(config.seed);
            config.task = config.task.clone().with_data_dir(self.data_dir.as_deref());
        }
        config.check()?;
        Ok((config, out, resuming))
    }
}

fn required(out: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    out.ok_or_else(|| anyhow::anyhow!("give --out DIR"))
}

/// Trains (or continues) the run and prints its result in one line.
pub fn run(args: TrainArgs, global: &Global) -> anyhow::Result<()> {
    let device = global.device()?;
    let (config, out, resume) = args.resolve()?;
    let summary = train(
        &config,
        &TrainOptions {
            out: &out,
            resume,
            device: &device,
            progress: global.progress,
        },
    )?;
    let last = summary.epochs.last().expect("at least one epoch");
    let best = summary.best().expect("at least one epoch");
    let error = |e: f64| config.task.format_error(e);
    println!(
        "{}: {} epochs; last test error {}; best validation epoch {} (validation {}, test {}); results in {}",
        summary.name,
        summary.epochs.len(),
        error(last.test_error),
        best.epoch,
        error(best.validation_error),
        error(best.test_error),
        out.display()
    );
    Ok(())
}
