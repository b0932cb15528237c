//! One training run: epochs of any learner, with metrics, plots and checkpoints written to an
//! output directory, and exact resumption.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

use baselines::alignment::{Probe, probe};
use burn::tensor::{Device, Tensor};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};

use super::run_dir::{RunDir, io, write_atomic};
use super::task::TaskData;
use super::{ExperimentError, RunConfig};
use crate::plot::{LineChart, Series, write_png_rows};
use crate::training::{EpochError, train_epoch};

/// Metrics of one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Mean training loss over the epoch.
    pub train_loss: f64,
    /// Validation error (fraction, or MSE for regression).
    pub validation_error: f64,
    /// Test error (fraction, or MSE for regression).
    pub test_error: f64,
    /// Wall time of the training part of the epoch, seconds.
    pub epoch_seconds: f64,
    /// The mechanism at work, on a fixed probe batch after the epoch: feedback and update
    /// angles, apical error with the target off ([`probe`](baselines::alignment::probe)).
    #[serde(default, skip_serializing_if = "Probe::is_empty")]
    pub probe: Probe,
}

/// What a finished (or resumed and finished) run reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The run's label.
    pub name: String,
    /// Every epoch so far.
    pub epochs: Vec<EpochMetrics>,
}

impl RunSummary {
    /// The epoch with the lowest validation error (the first of ties).
    pub fn best(&self) -> Option<&EpochMetrics> {
        self.epochs
            .iter()
            .min_by(|a, b| a.validation_error.total_cmp(&b.validation_error))
    }

    /// Mean training time per epoch.
    pub fn mean_epoch_seconds(&self) -> f64 {
        self.epochs.iter().map(|e| e.epoch_seconds).sum::<f64>() / self.epochs.len().max(1) as f64
    }
}

/// Options of [`train`].
pub struct TrainOptions<'a> {
    /// Output directory.
    pub out: &'a Path,
    /// Continue the run in `out` from its last checkpoint.
    pub resume: bool,
    /// The device.
    pub device: &'a Device,
    /// Show a progress bar (only drawn on a terminal).
    pub progress: bool,
}

/// Trains `config` (data loaded here), writing everything into `options.out`.
pub fn train(config: &RunConfig, options: &TrainOptions) -> Result<RunSummary, ExperimentError> {
    let data = config.load_data(options.device)?;
    train_on(config, &data, options)
}

/// The run of `config` in `dir`: reused when it is finished, resumed from its last
/// checkpoint when it was interrupted (or started shorter), else trained from scratch. How
/// `compare` and the figures that need a trained network get theirs.
pub fn train_or_reuse(
    config: &RunConfig,
    dir: &RunDir,
    data: impl FnOnce() -> Result<std::rc::Rc<TaskData>, ExperimentError>,
    device: &Device,
    progress: bool,
) -> Result<RunSummary, ExperimentError> {
    dir.extend(config)?;
    if let Some(done) = dir.finished(config) {
        return Ok(done);
    }
    let resume = dir.checkpoint()?.is_some();
    train_on(
        config,
        &*data()?,
        &TrainOptions {
            out: dir.root(),
            resume,
            device,
            progress,
        },
    )
}

/// Trains `config` on already loaded data.
pub fn train_on(
    config: &RunConfig,
    data: &TaskData,
    options: &TrainOptions,
) -> Result<RunSummary, ExperimentError> {
    let dir = RunDir::new(options.out);
    check_data(config, data)?;
    let _lock = dir.lock()?;
    let mut learner = config
        .learner
        .clone()
        .with_seed(config.seed)
        .build(&config.name, options.device)?;
    let mut summary = open_run(config, &dir, learner.as_mut(), options.resume)?;
    let batches = data.train.len() / config.batch;
    let (probe_input, probe_target) = probe_batch(data);
    for epoch in summary.epochs.len() + 1..=config.epochs {
        let bar = progress_bar(
            options.progress,
            batches as u64,
            &config.name,
            epoch,
            config.epochs,
        );
        let rate = config.rate_factor(epoch);
        let start = Instant::now();
        let mut samples = 0usize;
        let end = EpochEnd {
            config,
            dir: &dir,
            data,
            probe: (&probe_input, &probe_target),
            progress: options.progress,
        };
        let loss = train_epoch(
            learner.as_mut(),
            &data.train.inputs,
            &data.train.targets,
            config.batch,
            config.seed * 1_000 + epoch as u64,
            rate,
            |b, stats| {
                samples += config.batch;
                if !bar.is_hidden() && b % 200 == 0 {
                    let rate = samples as f64 / start.elapsed().as_secs_f64();
                    bar.set_message(format!(
                        "loss {:.4}, {rate:.0} samples/s",
                        stats.loss_value()
                    ));
                    bar.set_position(b as u64);
                }
            },
        )
        .map_err(|e| match e {
            EpochError::Diverged { step, loss } => end.diverged(epoch, Some(step), Some(loss)),
            EpochError::Learner(e) => e.into(),
        })?;
        let train_loss = loss.into_scalar::<f64>();
        let epoch_seconds = start.elapsed().as_secs_f64();
        bar.finish_and_clear();
        end.record(
            learner.as_ref(),
            &mut summary,
            epoch,
            train_loss,
            epoch_seconds,
        )?;
    }
    Ok(summary)
}

/// Opens the run of `config` in `dir` for `learner`: a new run saves its config (refused
/// where a run already is); a resumed one must have the same configuration (but for its
/// length), loads its last checkpoint into `learner` and returns the epochs it kept.
pub(crate) fn open_run(
    config: &RunConfig,
    dir: &RunDir,
    learner: &mut dyn baselines::Learner,
    resume: bool,
) -> Result<RunSummary, ExperimentError> {
    let mut summary = RunSummary {
        name: config.name.clone(),
        epochs: Vec::new(),
    };
    if resume {
        let saved = dir.load_config()?;
        let same_run = RunConfig {
            epochs: config.epochs,
            ..saved.clone()
        };
        if !same_run.same_run(config) {
            return Err(ExperimentError::Checkpoint {
                path: dir.config(),
                message: "the run was started with a different configuration".into(),
            });
        }
        summary = dir.summary()?;
        let checkpoint = dir.restore(learner, summary.epochs.len())?;
        if checkpoint.epoch > config.epochs {
            // The weights of epoch `config.epochs` are gone: going on would label later
            // weights as earlier ones.
            return Err(ExperimentError::Config {
                origin: dir.root().display().to_string(),
                message: format!(
                    "holds a run trained for {} epochs, more than the {} asked for; ask for at \
                     least {} or use another output folder",
                    checkpoint.epoch, config.epochs, checkpoint.epoch
                ),
            });
        }
        summary.epochs.truncate(checkpoint.epoch);
        // A longer run is the same run: record its length once it resumed.
        if saved.epochs != config.epochs {
            dir.save_config(config)?;
        }
    } else {
        if dir.holds_run() && !dir.never_trained(config) {
            return Err(ExperimentError::Exists(dir.root().to_path_buf()));
        }
        dir.save_config(config)?;
    }

    Ok(summary)
}

/// What every epoch of a run ends with, whichever engine trained it: the errors and the
/// probe of the learner after the epoch, `metrics.{csv,json}` and `curves.png`, and the
/// checkpoint.
pub(crate) struct EpochEnd<'a> {
    pub config: &'a RunConfig,
    pub dir: &'a RunDir,
    pub data: &'a TaskData,
    /// The fixed probe batch ([`probe_batch`]).
    pub probe: (&'a Tensor<2>, &'a Tensor<2>),
    pub progress: bool,
}

impl EpochEnd<'_> {
    /// The run's error when epoch `epoch` diverged (at `step` with `loss` where known).
    pub(crate) fn diverged(
        &self,
        epoch: usize,
        step: Option<usize>,
        loss: Option<f64>,
    ) -> ExperimentError {
        ExperimentError::Diverged {
            run: self.config.name.clone(),
            epoch,
            step,
            loss,
            kept: (epoch > 1).then_some(epoch - 1),
            dir: self.dir.root().to_path_buf(),
        }
    }

    /// Evaluates `learner` after `epoch`, appends the epoch to `summary`, writes the metrics
    /// and commits the checkpoint (non-finite weights: the previous checkpoint stays and
    /// the epoch is dropped again).
    pub(crate) fn record(
        &self,
        learner: &dyn baselines::Learner,
        summary: &mut RunSummary,
        epoch: usize,
        train_loss: f64,
        epoch_seconds: f64,
    ) -> Result<(), ExperimentError> {
        let (config, data) = (self.config, self.data);
        let metrics = EpochMetrics {
            epoch,
            train_loss,
            validation_error: data.validation.error(|x| learner.predict(x)),
            test_error: data.test.error(|x| learner.predict(x)),
            epoch_seconds,
            probe: probe(learner, self.probe.0.clone(), self.probe.1.clone())?,
        };
        if self.progress {
            progress_line(&format!(
                "{} epoch {epoch}/{}: loss {:.4}, validation {:.4}, test {:.4}, {:.1} s",
                config.name,
                config.epochs,
                metrics.train_loss,
                metrics.validation_error,
                metrics.test_error,
                metrics.epoch_seconds
            ));
        }
        summary.epochs.push(metrics);
        write_metrics(self.dir, summary)?;
        match self.dir.commit(learner, epoch) {
            Ok(()) => Ok(()),
            // The last step left non-finite weights: the previous checkpoint stays, and the
            // metrics go back to it.
            Err(ExperimentError::Learner(baselines::BaselineError::NonFinite { .. })) => {
                summary.epochs.pop();
                write_metrics(self.dir, summary)?;
                Err(self.diverged(epoch, None, None))
            }
            Err(e) => Err(e),
        }
    }
}

/// Refuses data on which a run could not train or report: no full batch per epoch, or an
/// empty test split.
pub(crate) fn check_data(config: &RunConfig, data: &TaskData) -> Result<(), ExperimentError> {
    let bad = |message: String| ExperimentError::Config {
        origin: config.name.clone(),
        message,
    };
    let sizes = config.learner.sizes();
    if sizes[0] != data.inputs || sizes[sizes.len() - 1] != data.outputs {
        return Err(bad(format!(
            "learner sizes {sizes:?} do not fit the task ({} inputs, {} outputs)",
            data.inputs, data.outputs
        )));
    }
    if data.train.len() < config.batch {
        return Err(bad(format!(
            "{} training examples (after the validation split) make no batch of {}: an epoch \
             would take no step",
            data.train.len(),
            config.batch
        )));
    }
    if data.test.is_empty() {
        return Err(bad("the test split is empty".into()));
    }
    Ok(())
}

/// Examples in the probe batch of the per-epoch diagnostics.
const PROBE_BATCH: usize = 100;

/// The fixed probe batch: the first examples of the validation split (of the test split when
/// there is no validation split).
pub(crate) fn probe_batch(data: &TaskData) -> (Tensor<2>, Tensor<2>) {
    let split = if data.validation.is_empty() {
        &data.test
    } else {
        &data.validation
    };
    let n = split.len().min(PROBE_BATCH);
    (
        split.inputs.clone().slice(0..n),
        split.targets.clone().slice(0..n),
    )
}

/// Test error of the checkpoint in `dir` (on the data its config names, or `data_dir`).
pub fn evaluate(
    dir: &Path,
    data_dir: Option<&Path>,
    device: &Device,
) -> Result<(RunConfig, f64), ExperimentError> {
    let run = RunDir::new(dir);
    let mut config = run.load_config()?;
    config.task = config.task.clone().with_data_dir(data_dir);
    let mut learner = config
        .learner
        .clone()
        .with_seed(config.seed)
        .build(&config.name, device)?;
    let epochs = run.summary().map_or(usize::MAX, |s| s.epochs.len());
    run.restore(learner.as_mut(), epochs)?;
    let test = config.load_test_data(device)?;
    let error = test.error(|x| learner.predict(x));
    Ok((config, error))
}

/// Writes `metrics.csv`, `metrics.json` and `curves.png`.
fn write_metrics(dir: &RunDir, summary: &RunSummary) -> Result<(), ExperimentError> {
    let mut csv = String::from("epoch,train_loss,validation_error,test_error,epoch_seconds");
    // The probe's columns, named after the first epoch's layers.
    if let Some(first) = summary.epochs.first() {
        let p = &first.probe;
        for (layer, _) in &p.feedback {
            csv += &format!(",feedback_angle_{layer}");
        }
        for l in 1..=p.update.len() {
            csv += &format!(",update_angle_{l}");
        }
        for k in 1..=p.apical.len() {
            csv += &format!(",apical_{k}");
        }
    }
    csv.push('\n');
    for e in &summary.epochs {
        csv += &format!(
            "{},{},{},{},{:.3}",
            e.epoch, e.train_loss, e.validation_error, e.test_error, e.epoch_seconds
        );
        let p = &e.probe;
        for (_, angle) in &p.feedback {
            csv += &format!(",{angle:.3}");
        }
        for angle in &p.update {
            csv += &angle.map_or(",".into(), |a| format!(",{a:.3}"));
        }
        for v in &p.apical {
            csv += &format!(",{v:.6}");
        }
        csv.push('\n');
    }
    write_atomic(&dir.csv(), csv.as_bytes())?;
    write_atomic(
        &dir.json(),
        serde_json::to_string_pretty(summary)
            .expect("plain data")
            .as_bytes(),
    )?;
    let curve = |f: fn(&EpochMetrics) -> f64| -> Vec<(f64, f64)> {
        summary
            .epochs
            .iter()
            .map(|e| (e.epoch as f64, f(e)))
            .collect()
    };
    let errors = LineChart::new(format!("{}: error", summary.name), "epoch", "error")
        .with_series(Series::new("validation", curve(|e| e.validation_error)))
        .with_series(Series::new("test", curve(|e| e.test_error)));
    let loss = LineChart::new("training loss", "epoch", "loss")
        .with_series(Series::new("train", curve(|e| e.train_loss)));
    let mut rows = vec![vec![errors, loss]];
    let mechanism = probe_charts(&[summary]);
    if !mechanism.is_empty() {
        rows.push(mechanism);
    }
    // Drawn beside and renamed, so a kill never leaves half a picture.
    let tmp = dir.png().with_extension("tmp.png");
    write_png_rows(&tmp, &rows)?;
    std::fs::rename(&tmp, dir.png()).map_err(io(&dir.png()))?;
    Ok(())
}

/// The probe's curves as a row of panels: the feedback weights' angle to the forward weights,
/// the update's angle to backprop's, and the apical error with the target off; one line per
/// (run, layer), only for what the runs logged. Series are labelled by layer, and by run name
/// too when there are several runs.
pub(crate) fn probe_charts(runs: &[&RunSummary]) -> Vec<LineChart> {
    // Per panel: the entries the first epoch logged (index into its list, layer label) and
    // the value of entry `index` in any epoch.
    type Layers = fn(&Probe) -> Vec<(usize, usize)>;
    type Pick = fn(&Probe, usize) -> Option<f64>;
    type Panel = (&'static str, &'static str, Layers, Pick);
    let panels: [Panel; 3] = [
        (
            "feedback vs forward weights",
            "angle (degrees)",
            |p| {
                p.feedback
                    .iter()
                    .enumerate()
                    .map(|(i, (l, _))| (i, *l))
                    .collect()
            },
            |p, i| p.feedback.get(i).map(|f| f.1),
        ),
        (
            "update vs backprop (probe batch)",
            "angle (degrees)",
            |p| {
                let learns = p.update.iter().enumerate().filter(|(_, a)| a.is_some());
                learns.map(|(l, _)| (l, l + 1)).collect()
            },
            |p, l| p.update.get(l).copied().flatten(),
        ),
        (
            "mean |v_A|, target off",
            "potential",
            |p| (0..p.apical.len()).map(|k| (k, k + 1)).collect(),
            |p, k| p.apical.get(k).copied(),
        ),
    ];
    let mut charts = Vec::new();
    for (title, unit, layers, pick) in panels {
        let mut chart = LineChart::new(title, "epoch", unit);
        for run in runs {
            let Some(first) = run.epochs.first() else {
                continue;
            };
            for (index, layer) in layers(&first.probe) {
                let points = run
                    .epochs
                    .iter()
                    .filter_map(|e| pick(&e.probe, index).map(|v| (e.epoch as f64, v)))
                    .collect();
                let label = if runs.len() > 1 {
                    format!("{}, layer {layer}", run.name)
                } else {
                    format!("layer {layer}")
                };
                chart = chart.with_series(Series::new(label, points));
            }
        }
        if !chart.series.is_empty() {
            charts.push(chart);
        }
    }
    charts
}

/// Every progress bar of the process, so that runs on several devices (`--devices`) draw
/// theirs one above the other.
fn bars() -> &'static MultiProgress {
    static BARS: std::sync::OnceLock<MultiProgress> = std::sync::OnceLock::new();
    BARS.get_or_init(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
}

/// A line on stderr, above the progress bars.
pub(crate) fn progress_line(line: &str) {
    bars().suspend(|| eprintln!("{line}"));
}

pub(crate) fn progress_bar(
    enabled: bool,
    len: u64,
    name: &str,
    epoch: usize,
    epochs: usize,
) -> ProgressBar {
    if !enabled || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = bars().add(ProgressBar::new(len));
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{name} epoch {epoch}/{epochs} {{bar:30}} {{pos}}/{{len}} batches {{msg}} ({{eta}})"
        ))
        .expect("valid template"),
    );
    bar
}
