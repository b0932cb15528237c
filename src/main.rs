//! `microcircuits`: train, compare and evaluate the dendritic microcircuit and its baselines.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use microcircuits::backend::device_by_name;
use microcircuits::experiment::presets::{COMPARE_PRESETS, RUN_PRESETS, run_preset};
use microcircuits::experiment::{
    CompareOptions, RunConfig, RunDir, TrainOptions, compare, evaluate, train,
};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Dendritic cortical microcircuits (Sacramento et al. 2018) and the learning rules they are
/// compared with: train one, compare several, evaluate a checkpoint.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    /// Backend device: flex (CPU, default), ndarray, wgpu, cuda (if compiled in).
    #[arg(long, global = true)]
    device: Option<String>,
    /// No progress output.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train one learner on one task; writes config.toml, metrics.csv/.json, curves.png and a
    /// checkpoint after every epoch into --out.
    Train {
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
    },
    /// Run several learners (presets) on the same data and write summary.csv, summary.md and
    /// curves.png; finished runs are reused, so a table can be completed in pieces.
    Compare {
        /// A comparison preset: paper-mnist.
        #[arg(long, default_value = "paper-mnist")]
        preset: String,
        /// Only these learners (comma-separated), e.g. dendritic,bp.
        #[arg(long, value_delimiter = ',')]
        learners: Option<Vec<String>>,
        /// Seeds per learner.
        #[arg(long, default_value_t = 1)]
        seeds: u64,
        /// Override the preset's epochs.
        #[arg(long)]
        epochs: Option<usize>,
        /// Keep only the first N training examples.
        #[arg(long)]
        limit: Option<usize>,
        /// Folder with the four IDX files.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Results directory [default: results/<preset>].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Test error of a run's checkpoint.
    Eval {
        /// The run directory (as given to train --out).
        #[arg(long)]
        checkpoint: PathBuf,
        /// Folder with the four IDX files (default: the one in the run's config).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Reproduce one of the paper's continuous-time figures (fig1, figS1, fig2): writes
    /// DIR/<name>.png and DIR/<name>.csv.
    Figure {
        /// fig1, figS1 or fig2.
        name: String,
        /// Output directory.
        #[arg(long, default_value = "results/figures")]
        out: PathBuf,
        /// A short miniature run (seconds) instead of the full figure.
        #[arg(long)]
        quick: bool,
    },
    /// List the presets.
    List,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the error and its causes, no backtrace; a cause that the message
            // already quotes is not repeated.
            let mut line = e.to_string();
            for cause in e.chain().skip(1) {
                let cause = cause.to_string();
                if !line.contains(&cause) {
                    line = format!("{line}: {cause}");
                }
            }
            eprintln!("error: {line}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let progress = !cli.quiet;
    match cli.command {
        Command::Figure { name, out, quick } => {
            let figure: microcircuits::figures::Figure = name.parse()?;
            let device = device_by_name(cli.device.as_deref())?;
            let report = microcircuits::figures::run_figure(figure, &out, quick, &device)?;
            println!("{}", report.summary);
            println!(
                "written: {} and {}",
                report.png.display(),
                report.csv.display()
            );
        }
        Command::List => {
            println!("run presets (train --preset NAME):");
            for (name, _) in RUN_PRESETS {
                println!("  {name}");
            }
            println!("comparison presets (compare --preset NAME):");
            for (name, _) in COMPARE_PRESETS {
                println!("  {name}");
            }
        }
        Command::Train {
            preset,
            config,
            epochs,
            limit,
            batch,
            seed,
            data_dir,
            out,
            resume,
        } => {
            let device = device_by_name(cli.device.as_deref())?;
            let (mut run_config, out, resuming) = match (&resume, preset, config) {
                (Some(dir), _, _) => (RunDir::new(dir).load_config()?, dir.clone(), true),
                (None, Some(name), None) => {
                    (run_preset(&name)?, out.expect("clap requires --out"), false)
                }
                (None, None, Some(path)) => (
                    RunConfig::load(&path)?,
                    out.expect("clap requires --out"),
                    false,
                ),
                _ => {
                    anyhow::bail!("give --preset NAME or --config FILE (see `microcircuits list`)")
                }
            };
            if let Some(e) = epochs {
                run_config.epochs = e;
            }
            if !resuming {
                run_config.limit = limit.or(run_config.limit);
                run_config.batch = batch.unwrap_or(run_config.batch);
                run_config.seed = seed.unwrap_or(run_config.seed);
                run_config.task = run_config.task.clone().with_data_dir(data_dir.as_deref());
            } else if limit.is_some() || batch.is_some() || seed.is_some() || data_dir.is_some() {
                anyhow::bail!("--resume continues a run as configured: only --epochs may change");
            }
            run_config.validate("command line")?;
            let summary = train(
                &run_config,
                &TrainOptions {
                    out: &out,
                    resume: resuming,
                    device: &device,
                    progress,
                },
            )?;
            let last = summary.epochs.last().expect("at least one epoch");
            let best = summary.best().expect("at least one epoch");
            let error = |e: f64| run_config.task.format_error(e);
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
        }
        Command::Compare {
            preset,
            learners,
            seeds,
            epochs,
            limit,
            data_dir,
            out,
        } => {
            let device = device_by_name(cli.device.as_deref())?;
            let out = out.unwrap_or_else(|| PathBuf::from("results").join(&preset));
            let rows = compare(&CompareOptions {
                preset: &preset,
                learners,
                seeds: seeds.max(1),
                epochs,
                limit,
                data_dir: data_dir.as_deref(),
                out: out.clone(),
                device: &device,
                progress,
            })?;
            println!("| learner | test error (%) | seeds | epochs | epoch time (s) |");
            println!("| --- | --- | --- | --- | --- |");
            for r in rows {
                println!(
                    "| {} | {:.2} ± {:.2} | {} | {} | {:.1} |",
                    r.learner,
                    r.test_error_mean,
                    r.test_error_std,
                    r.seeds,
                    r.epochs,
                    r.epoch_seconds
                );
            }
            println!(
                "written: {}/summary.csv, summary.md, curves.png",
                out.display()
            );
        }
        Command::Eval {
            checkpoint,
            data_dir,
        } => {
            let device = device_by_name(cli.device.as_deref())?;
            let (config, error) = evaluate(&checkpoint, data_dir.as_deref(), &device)?;
            println!(
                "{}: test error {} ({error})",
                config.name,
                config.task.format_error(error)
            );
        }
    }
    Ok(())
}
