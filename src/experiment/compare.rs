//! Several learners on one task: runs each (learner, seed) pair that is not done yet, then
//! writes one summary table (CSV and Markdown) and one plot of the error curves.

use burn::tensor::Device;
use std::path::{Path, PathBuf};

use super::pool::on_devices;
use super::presets::{Comparison, comparison};
use super::run::{RunSummary, train_or_reuse};
use super::run_dir::{RunDir, write_atomic};
use super::{ExperimentError, RunConfig};
use crate::plot::{LineChart, Series, write_png_rows};

/// What to compare.
pub struct CompareOptions<'a> {
    /// Comparison preset (e.g. `paper-mnist`).
    pub preset: &'a str,
    /// Only these learners (default: all of the preset).
    pub learners: Option<Vec<String>>,
    /// Seeds per learner (1..=seeds).
    pub seeds: u64,
    /// Override the preset's epochs (of every learner).
    pub epochs: Option<usize>,
    /// Keep only the first training examples.
    pub limit: Option<usize>,
    /// Image folder.
    pub data_dir: Option<&'a Path>,
    /// Results directory (`results/<preset>` by default).
    pub out: PathBuf,
    /// The devices: one job (learner, seed) runs on each at a time.
    pub devices: &'a [Device],
    /// Progress output.
    pub progress: bool,
}

/// One row of `summary.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// Learner name.
    pub learner: String,
    /// Mean test error (percent for classification) at the best validation epoch.
    pub test_error_mean: f64,
    /// Its standard deviation over seeds (0 for one seed).
    pub test_error_std: f64,
    /// Seeds run.
    pub seeds: usize,
    /// Epochs per run.
    pub epochs: usize,
    /// Mean training time per epoch, seconds.
    pub epoch_seconds: f64,
}

/// Mean and sample standard deviation (0 for fewer than two values).
pub(crate) fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let std = if values.len() > 1 {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    (mean, std)
}

const HEADER: &str = "learner,test_error_mean,test_error_std,seeds,epochs,epoch_seconds";

/// Runs the comparison and returns the full (merged) summary.
pub fn compare(options: &CompareOptions) -> Result<Vec<SummaryRow>, ExperimentError> {
    let preset = comparison(options.preset)?;
    let names = options.learners.clone().unwrap_or(preset.learners.clone());
    let mut configs = Vec::new();
    for name in &names {
        let mut config = preset.learner(name)?;
        config.task = config.task.clone().with_data_dir(options.data_dir);
        if let Some(epochs) = options.epochs {
            config.epochs = epochs;
        }
        if options.limit.is_some() {
            config.limit = options.limit;
        }
        config.check()?;
        configs.push(config);
    }
    // One comparison at a time per results folder (each run also locks its own directory).
    let _lock = RunDir::new(&options.out).lock()?;
    let mut rows = read_summary(&options.out.join("summary.csv"))?;
    let seed_run = |config: &RunConfig, seed: u64| {
        let config = RunConfig {
            seed,
            ..config.clone()
        };
        let dir = RunDir::of_seed(&options.out, &config.name, seed);
        (config, dir)
    };
    let jobs: Vec<(RunConfig, RunDir)> = configs
        .iter()
        .flat_map(|config| (1..=options.seeds).map(|seed| seed_run(config, seed)))
        .collect();
    let mut done = on_devices(
        options.devices,
        &jobs,
        |(config, _)| format!("{} seed {}", config.name, config.seed),
        |(config, dir), device, data| {
            train_or_reuse(
                config,
                dir,
                || data.get(config, device),
                device,
                options.progress,
            )
        },
    )?
    .into_iter();
    let mut curves = Vec::new();
    for config in &configs {
        let mut runs: Vec<RunSummary> = done.by_ref().take(options.seeds as usize).collect();
        // Seeds finished by an earlier `--seeds N` stay in the row: it never shrinks.
        for seed in options.seeds + 1.. {
            let (config, dir) = seed_run(config, seed);
            match dir.finished(&config) {
                Some(done) => runs.push(done),
                None => break,
            }
        }
        let tests: Vec<f64> = runs
            .iter()
            .filter_map(|r| r.best().map(|b| 100.0 * b.test_error))
            .collect();
        let (mean, std) = mean_std(&tests);
        let row = SummaryRow {
            learner: config.name.clone(),
            test_error_mean: mean,
            test_error_std: std,
            seeds: tests.len(),
            epochs: config.epochs,
            epoch_seconds: runs.iter().map(RunSummary::mean_epoch_seconds).sum::<f64>()
                / runs.len() as f64,
        };
        rows.retain(|r| r.learner != row.learner);
        rows.push(row);
        curves.push(runs.swap_remove(0));
    }
    let order = |name: &str| {
        preset
            .learners
            .iter()
            .position(|l| l == name)
            .unwrap_or(usize::MAX)
    };
    rows.sort_by_key(|r| order(&r.learner));
    write_summary(&options.out, &rows, &preset)?;
    // The plot shows every learner of the summary, also those run by earlier invocations.
    let mut all_curves = Vec::new();
    for row in &rows {
        match curves
            .iter()
            .position(|c: &RunSummary| c.name == row.learner)
        {
            Some(i) => all_curves.push(curves.swap_remove(i)),
            None => {
                let saved = RunDir::of_seed(&options.out, &row.learner, 1);
                if let Ok(run) = saved.summary() {
                    all_curves.push(run);
                }
            }
        }
    }
    plot(&options.out.join("curves.png"), &all_curves)?;
    Ok(rows)
}

fn read_summary(path: &Path) -> Result<Vec<SummaryRow>, ExperimentError> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(Vec::new());
    };
    let bad = |message: String| ExperimentError::Io {
        path: path.to_path_buf(),
        message,
    };
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Err(bad(format!("expected the header `{HEADER}`")));
    }
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let num = |i: usize| -> Result<f64, ExperimentError> {
                f.get(i)
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| bad(format!("bad row `{line}`")))
            };
            Ok(SummaryRow {
                learner: f[0].to_string(),
                test_error_mean: num(1)?,
                test_error_std: num(2)?,
                seeds: num(3)? as usize,
                epochs: num(4)? as usize,
                epoch_seconds: num(5)?,
            })
        })
        .collect()
}

fn write_summary(
    out: &Path,
    rows: &[SummaryRow],
    preset: &Comparison,
) -> Result<(), ExperimentError> {
    let mut csv = format!("{HEADER}\n");
    let mut md = String::from(
        "| learner | test error (%) | paper (%) | target (%) | seeds | epochs | epoch time (s) |\n\
         | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    let cell = |map: &std::collections::BTreeMap<String, String>, learner: &str| {
        map.get(learner).cloned().unwrap_or_else(|| "-".into())
    };
    for r in rows {
        csv += &format!(
            "{},{:.3},{:.3},{},{},{:.2}\n",
            r.learner, r.test_error_mean, r.test_error_std, r.seeds, r.epochs, r.epoch_seconds
        );
        let error = if r.seeds > 1 {
            format!("{:.2} ± {:.2}", r.test_error_mean, r.test_error_std)
        } else {
            format!("{:.2}", r.test_error_mean)
        };
        md += &format!(
            "| {} | {error} | {} | {} | {} | {} | {:.1} |\n",
            r.learner,
            cell(&preset.paper, &r.learner),
            cell(&preset.target, &r.learner),
            r.seeds,
            r.epochs,
            r.epoch_seconds
        );
    }
    write_atomic(&out.join("summary.csv"), csv.as_bytes())?;
    write_atomic(&out.join("summary.md"), md.as_bytes())
}

fn plot(path: &Path, runs: &[RunSummary]) -> Result<(), ExperimentError> {
    let mut validation = LineChart::new("validation error (seed 1)", "epoch", "error (%)");
    let mut test = LineChart::new("test error (seed 1)", "epoch", "error (%)");
    for run in runs {
        let curve = |f: fn(&super::run::EpochMetrics) -> f64| {
            run.epochs
                .iter()
                .map(|e| (e.epoch as f64, 100.0 * f(e)))
                .collect()
        };
        validation = validation.with_series(Series::new(&run.name, curve(|e| e.validation_error)));
        test = test.with_series(Series::new(&run.name, curve(|e| e.test_error)));
    }
    let mut rows = vec![vec![validation.log_y(), test.log_y()]];
    let probed: Vec<&RunSummary> = runs
        .iter()
        .filter(|r| r.epochs.first().is_some_and(|e| !e.probe.is_empty()))
        .collect();
    let mechanism = super::run::probe_charts(&probed);
    if !mechanism.is_empty() {
        rows.push(mechanism);
    }
    write_png_rows(path, &rows)?;
    Ok(())
}
