//! Sweeps: one run preset over a grid of settings × seeds, each grid point a run directory
//! in the layout of `train` (so `eval` reads it and an interrupted sweep resumes), then one
//! table (`sweep.csv`, `sweep.md`) and one plot (`sweep.png`) of test error against the
//! swept values.
//!
//! Microcircuit grids can train as [`Replicas`]: up to `replicas` networks stacked in one
//! tensor program ([`Engine::Stacked`]), each with its own seed, data order, rates and
//! schedule. On the flex CPU backend the fused step of one network at a time is faster than
//! the stacked tensor code (`examples/replica_bench.rs`), so [`Engine::Auto`] trains there
//! one run after another ([`Engine::Each`]) and stacks everywhere else.

use std::path::{Path, PathBuf};
use std::time::Instant;

use baselines::DendriticLearner;
use burn::tensor::{Device, Tensor};
use dendritic::Replicas;

use super::compare::mean_std;
use super::config::LearnerSpec;
use super::pool::on_devices;
use super::presets::run_preset;
use super::run::{
    EpochEnd, RunSummary, check_data, open_run, probe_batch, progress_bar, train_or_reuse,
};
use super::run_dir::{RunDir, write_atomic};
use super::task::TaskData;
use super::{ExperimentError, RunConfig};
use crate::data::mnist::{permutation, replica_batch, stack_orders};
use crate::plot::{LineChart, Series, write_png};

/// One swept setting: a key of the run or of its `[learner]` table and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// The key (`eta_up`, `lambda_hidden`, `lr_decay`, `learner.init_scale_down`, ...).
    pub key: String,
    /// Its values, in order.
    pub values: Vec<toml::Value>,
}

impl Setting {
    /// Parses `KEY=VALUES`, `VALUES` in TOML: an array is the list of values swept
    /// (`eta_up=[12, 24, 48]`; a list-valued setting is swept as an array of arrays,
    /// `eta_up=[[6, 0.07, 0.03], [3, 0.07, 0.03]]`), anything else one fixed value.
    pub fn parse(arg: &str) -> Result<Self, ExperimentError> {
        let bad = |message: String| ExperimentError::Config {
            origin: format!("--set {arg}"),
            message,
        };
        let (key, values) = arg
            .split_once('=')
            .ok_or_else(|| bad("expected KEY=VALUES, e.g. eta_up=[12,24,48]".into()))?;
        let key = key.trim();
        if key.is_empty() {
            return Err(bad("the key is empty".into()));
        }
        let value: toml::Value = toml::from_str::<toml::Table>(&format!("v = {values}"))
            .map_err(|e| {
                bad(format!(
                    "'{values}' is not a TOML value ({})",
                    first_line(&e)
                ))
            })?
            .remove("v")
            .expect("parsed the key v");
        let values = match value {
            toml::Value::Array(list) if list.is_empty() => {
                return Err(bad("the list of values is empty".into()));
            }
            toml::Value::Array(list) => list,
            one => vec![one],
        };
        Ok(Self {
            key: key.to_string(),
            values,
        })
    }
}

fn first_line(e: &impl std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

/// Parses `--seeds`: `N` (seeds 1..=N, as `compare --seeds`), `A..B` (A to B inclusive) or a
/// comma-separated list.
pub fn parse_seeds(arg: &str) -> Result<Vec<u64>, ExperimentError> {
    let bad = || ExperimentError::Config {
        origin: format!("--seeds {arg}"),
        message: "expected N (seeds 1..N), A..B or a list such as 1,4,7".into(),
    };
    let number = |s: &str| s.trim().parse::<u64>().map_err(|_| bad());
    let seeds: Vec<u64> = if let Some((a, b)) = arg.split_once("..") {
        let (a, b) = (number(a)?, number(b.trim_start_matches('='))?);
        if a > b {
            return Err(bad());
        }
        (a..=b).collect()
    } else if arg.contains(',') {
        arg.split(',').map(number).collect::<Result<_, _>>()?
    } else {
        (1..=number(arg)?).collect()
    };
    if seeds.is_empty() {
        return Err(bad());
    }
    Ok(seeds)
}

/// How a sweep's runs are trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Stacked replicas for microcircuits except on flex in f32 with the logistic (where
    /// the fused step is faster); every other learner one run at a time.
    Auto,
    /// Microcircuits as [`Replicas`], up to `replicas` at once.
    Stacked,
    /// One run after another, as `train` does.
    Each,
}

impl std::str::FromStr for Engine {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Self::Auto),
            "stacked" => Ok(Self::Stacked),
            "each" => Ok(Self::Each),
            other => Err(format!("unknown engine '{other}' (auto, stacked, each)")),
        }
    }
}

/// What to sweep.
pub struct SweepOptions<'a> {
    /// The run to start from (a run preset's config, or a config file's).
    pub base: RunConfig,
    /// The grid: the product of every setting's values.
    pub settings: Vec<Setting>,
    /// Seeds of every grid point.
    pub seeds: Vec<u64>,
    /// Networks per stack ([`Engine::Stacked`]).
    pub replicas: usize,
    /// The engine.
    pub engine: Engine,
    /// Results folder: `runs/<point>/seed<k>`, `sweep.{csv,md,png}`.
    pub out: PathBuf,
    /// The devices: one run, or one stack of replicas, runs on each at a time.
    pub devices: &'a [Device],
    /// Progress output.
    pub progress: bool,
}

/// The base run of a sweep: a run preset by name, or a TOML/JSON run config by path.
pub fn base_run(preset: &str) -> Result<RunConfig, ExperimentError> {
    let path = Path::new(preset);
    if preset.ends_with(".toml") || preset.ends_with(".json") {
        RunConfig::load(path)
    } else {
        run_preset(preset)
    }
}

/// One grid point: a value of every setting.
#[derive(Debug, Clone)]
pub struct Point {
    /// `(key, value)` per setting, in the order the settings were given.
    pub values: Vec<(String, toml::Value)>,
}

impl Point {
    /// `key=value` pairs, space-separated (the base run's name when nothing is swept).
    pub fn label(&self, base: &str) -> String {
        if self.values.is_empty() {
            return base.to_string();
        }
        self.values
            .iter()
            .map(|(k, v)| format!("{k}={}", compact(v)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The folder name under `runs/`: the label with only `[A-Za-z0-9._-]`.
    pub fn slug(&self, base: &str) -> String {
        let label = self.label(base);
        label
            .chars()
            .map(|c| match c {
                'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '_' | '-' => c,
                '=' | ',' => '-',
                ' ' => '_',
                _ => '~',
            })
            .filter(|&c| c != '~')
            .collect()
    }
}

/// A value as it reads in a label: `6`, `0.07`, `6,0.07,0.03`.
fn compact(v: &toml::Value) -> String {
    match v {
        toml::Value::Array(list) => list.iter().map(compact).collect::<Vec<_>>().join(","),
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Every combination of the settings' values, the first setting varying slowest.
pub fn grid(settings: &[Setting]) -> Vec<Point> {
    let mut points = vec![Point { values: Vec::new() }];
    for setting in settings {
        points = points
            .into_iter()
            .flat_map(|p| {
                setting.values.iter().map(move |v| {
                    let mut values = p.values.clone();
                    values.push((setting.key.clone(), v.clone()));
                    Point { values }
                })
            })
            .collect();
    }
    points
}

/// One row of `sweep.csv`: a (grid point, seed) run.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRow {
    /// The grid point's label.
    pub point: String,
    /// The swept values, one per setting.
    pub values: Vec<String>,
    /// The seed.
    pub seed: u64,
    /// The epoch with the lowest validation error (0: none recorded).
    pub best_epoch: usize,
    /// Validation error at that epoch (fraction; NaN when none).
    pub validation_error: f64,
    /// Test error at that epoch (fraction; NaN when none).
    pub test_error: f64,
    /// Mean training seconds per epoch (a stacked run's share of its stack's time).
    pub epoch_seconds: f64,
    /// `ok`, or why the run stopped (e.g. `diverged in epoch 3`).
    pub status: String,
}

/// How a run of the sweep ended: its metrics, or why it stopped.
type Outcome = Result<RunSummary, String>;

/// A run being trained in a stack: its index among the jobs, its learner, its metrics so far.
type Open = (usize, DendriticLearner, RunSummary);

/// A run of the sweep: its config and directory.
struct Job {
    point: String,
    values: Vec<String>,
    config: RunConfig,
    dir: RunDir,
}

/// Runs what is missing of the sweep and writes its table and plot; returns every run's row.
pub fn sweep(options: &SweepOptions) -> Result<Vec<SweepRow>, ExperimentError> {
    let base = &options.base;
    let points = grid(&options.settings);
    let mut jobs = Vec::new();
    for point in &points {
        let label = point.label(&base.name);
        for &seed in &options.seeds {
            let mut changes = point.values.clone();
            changes.push(("seed".into(), toml::Value::Integer(seed as i64)));
            let origin = format!("sweep point '{label}', seed {seed}");
            let mut config = base.with_settings(&changes, &origin)?;
            config.name = label.clone();
            config.learner = config.learner.clone().with_seed(seed);
            let dir = RunDir::of_seed(&options.out, &point.slug(&base.name), seed);
            jobs.push(Job {
                point: label.clone(),
                values: point.values.iter().map(|(_, v)| compact(v)).collect(),
                config,
                dir,
            });
        }
    }
    let _lock = RunDir::new(&options.out).lock()?;
    // Units of work for the devices: each run alone, and the stacked runs as one stack (one
    // device: train_stacked groups them by epoch) or in chunks of `replicas` (several).
    let first_device = &options.devices[0];
    let (stacked, each): (Vec<usize>, Vec<usize>) =
        (0..jobs.len()).partition(|&i| stacks(options.engine, &jobs[i].config, first_device));
    let chunk = match options.devices.len() {
        1 => stacked.len().max(1),
        _ => options.replicas.max(1),
    };
    let units: Vec<Vec<usize>> = each
        .iter()
        .map(|&i| vec![i])
        .chain(stacked.chunks(chunk).map(<[usize]>::to_vec))
        .collect();
    let outcomes = on_devices(
        options.devices,
        &units,
        |unit| match unit.as_slice() {
            [i] => format!("{} seed {}", jobs[*i].point, jobs[*i].config.seed),
            many => format!("a stack of {} runs", many.len()),
        },
        |unit, device, data| {
            let config = &jobs[unit[0]].config;
            if !stacked.contains(&unit[0]) {
                let summary = train_or_reuse(
                    config,
                    &jobs[unit[0]].dir,
                    || data.get(config, device),
                    device,
                    options.progress,
                )?;
                return Ok(vec![Ok(summary)]);
            }
            let stack: Vec<&Job> = unit.iter().map(|&i| &jobs[i]).collect();
            let data = data.get(config, device)?;
            train_stacked(&stack, &data, device, options)
        },
    )?;
    let mut results: Vec<Option<Outcome>> = vec![None; jobs.len()];
    for (unit, outcome) in units.iter().zip(outcomes) {
        for (&i, outcome) in unit.iter().zip(outcome) {
            results[i] = Some(outcome);
        }
    }

    let rows: Vec<SweepRow> = jobs
        .iter()
        .zip(results)
        .map(|(job, result)| {
            let (summary, status) = match result.expect("every job ran") {
                Ok(summary) => (Some(summary), "ok".to_string()),
                Err(why) => (job.dir.summary().ok(), why),
            };
            let best = summary.as_ref().and_then(|s| s.best().cloned());
            SweepRow {
                point: job.point.clone(),
                values: job.values.clone(),
                seed: job.config.seed,
                best_epoch: best.as_ref().map_or(0, |b| b.epoch),
                validation_error: best.as_ref().map_or(f64::NAN, |b| b.validation_error),
                test_error: best.as_ref().map_or(f64::NAN, |b| b.test_error),
                epoch_seconds: summary
                    .as_ref()
                    .map_or(f64::NAN, |s| s.mean_epoch_seconds()),
                status,
            }
        })
        .collect();
    write_tables(options, &rows)?;
    Ok(rows)
}

/// Whether `config` trains as a replica under `engine` on `device`.
fn stacks(engine: Engine, config: &RunConfig, device: &Device) -> bool {
    let LearnerSpec::Dendritic(net) = &config.learner else {
        return false;
    };
    match engine {
        Engine::Each => false,
        Engine::Stacked => true,
        Engine::Auto => !net.fused_step_on(device),
    }
}

/// Trains the microcircuit runs `jobs` as stacks of up to `options.replicas` replicas, the
/// runs of one stack at the same epoch (a resumed run joins those at its epoch). A run
/// whose loss becomes non-finite stops with its last good checkpoint; the others go on.
fn train_stacked(
    jobs: &[&Job],
    data: &TaskData,
    device: &Device,
    options: &SweepOptions,
) -> Result<Vec<Outcome>, ExperimentError> {
    let first = &jobs[0].config;
    for job in jobs {
        let c = &job.config;
        let same = c.batch == first.batch
            && c.epochs == first.epochs
            && c.limit == first.limit
            && c.task == first.task
            && c.target_low == first.target_low
            && c.target_high == first.target_high;
        if !same {
            return Err(ExperimentError::Config {
                origin: format!("sweep point '{}'", job.point),
                message: "stacked replicas share the task, limit, epochs, batch and target \
                          rates; sweep those with --engine each"
                    .into(),
            });
        }
        check_data(c, data)?;
    }
    // Open every run: finished ones are reused, the rest grouped by the epochs they have.
    let mut outcomes: Vec<Option<Outcome>> = vec![None; jobs.len()];
    let mut pending: Vec<Open> = Vec::new();
    let mut locks = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        job.dir.extend(&job.config)?;
        if let Some(done) = job.dir.finished(&job.config) {
            outcomes[i] = Some(Ok(done));
            continue;
        }
        locks.push(job.dir.lock()?);
        let LearnerSpec::Dendritic(net) = &job.config.learner else {
            unreachable!("only microcircuits are stacked")
        };
        let net = net.init(device).map_err(baselines::BaselineError::from)?;
        let mut learner = DendriticLearner::new(net, &job.config.name);
        let resume = job.dir.checkpoint()?.is_some();
        let summary = open_run(&job.config, &job.dir, &mut learner, resume)?;
        pending.push((i, learner, summary));
    }
    pending.sort_by_key(|(_, _, s)| s.epochs.len());
    // A stack holds runs at the same epoch whose networks stack (same sizes, transfer, ...).
    let mut groups: Vec<Vec<Open>> = Vec::new();
    for run in pending {
        let fits = |g: &Vec<Open>| {
            g.len() < options.replicas.max(1)
                && g[0].2.epochs.len() == run.2.epochs.len()
                && g[0]
                    .1
                    .net
                    .config()
                    .stack_conflict(run.1.net.config())
                    .is_none()
        };
        match groups.iter().position(fits) {
            Some(g) => groups[g].push(run),
            None => groups.push(vec![run]),
        }
    }
    for group in groups {
        for (i, outcome) in train_stack(jobs, group, data, device, options)? {
            outcomes[i] = Some(outcome);
        }
    }
    Ok(outcomes
        .into_iter()
        .map(|o| o.expect("every run opened"))
        .collect())
}

/// Trains one stack of runs (all at the same epoch) to the end.
fn train_stack(
    jobs: &[&Job],
    mut group: Vec<Open>,
    data: &TaskData,
    device: &Device,
    options: &SweepOptions,
) -> Result<Vec<(usize, Outcome)>, ExperimentError> {
    let configs: Vec<&RunConfig> = group.iter().map(|(i, _, _)| &jobs[*i].config).collect();
    let config = |j: usize| configs[j];
    let (batch, epochs) = (config(0).batch, config(0).epochs);
    let r_count = group.len();
    let nets: Vec<_> = group.iter().map(|(_, l, _)| l.net.clone()).collect();
    let mut replicas = Replicas::from_networks(&nets).map_err(baselines::BaselineError::from)?;
    let (probe_input, probe_target) = probe_batch(data);
    let n = data.train.len();
    let batches = n / batch;
    let mut stopped: Vec<Option<String>> = vec![None; r_count];
    for epoch in group[0].2.epochs.len() + 1..=epochs {
        let scales: Vec<f64> = (0..r_count).map(|j| config(j).rate_factor(epoch)).collect();
        replicas
            .set_rate_scales(&scales)
            .map_err(baselines::BaselineError::from)?;
        let orders = stack_orders(
            (0..r_count)
                .map(|j| permutation(n, config(j).seed * 1_000 + epoch as u64, device))
                .collect(),
        );
        let label = format!("{r_count} replicas");
        let bar = progress_bar(options.progress, batches as u64, &label, epoch, epochs);
        let start = Instant::now();
        let mut total: Option<Tensor<3>> = None;
        for b in 0..batches {
            let x = replica_batch(&data.train.inputs, &orders, b, batch);
            let t = replica_batch(&data.train.targets, &orders, b, batch);
            let u_target = replicas.target_potential(t);
            let basal = replicas
                .learn(x, u_target.clone())
                .map_err(baselines::BaselineError::from)?;
            // Each replica's ½ ‖u_trgt - u_N⁻‖² per sample, as the single learner's loss.
            let loss = (u_target - basal)
                .square()
                .sum_dim(2)
                .sum_dim(1)
                .mul_scalar(0.5 / batch as f64);
            total = Some(match total {
                Some(t) => t + loss,
                None => loss,
            });
            if b % 200 == 0 {
                bar.set_position(b as u64);
            }
        }
        bar.finish_and_clear();
        let losses: Vec<f64> = total
            .expect("an epoch has a batch")
            .div_scalar(batches as f64)
            .into_data()
            .convert::<f64>()
            .try_to_vec::<f64>()
            .expect("f64 data");
        // Each run's share of the stack's time.
        let seconds = start.elapsed().as_secs_f64() / r_count as f64;
        for (j, (i, learner, summary)) in group.iter_mut().enumerate() {
            if stopped[j].is_some() {
                continue;
            }
            let job = jobs[*i];
            let end = EpochEnd {
                config: &job.config,
                dir: &job.dir,
                data,
                probe: (&probe_input, &probe_target),
                progress: options.progress,
            };
            if !losses[j].is_finite() {
                stopped[j] = Some(end.diverged(epoch, None, Some(losses[j])).to_string());
                continue;
            }
            learner.net = replicas.replica(j);
            match end.record(learner, summary, epoch, losses[j], seconds) {
                Ok(()) => {}
                Err(e @ ExperimentError::Diverged { .. }) => stopped[j] = Some(e.to_string()),
                Err(e) => return Err(e),
            }
        }
        if stopped.iter().all(Option::is_some) {
            break;
        }
    }
    Ok(group
        .into_iter()
        .zip(stopped)
        .map(|((i, _, summary), stop)| (i, stop.map_or(Ok(summary), Err)))
        .collect())
}

const CSV_FIXED: &str = "seed,best_epoch,validation_error,test_error,epoch_seconds,status";

/// `sweep.csv` (every run), `sweep.md` (mean ± std over seeds per grid point) and
/// `sweep.png` (test error against each swept value).
fn write_tables(options: &SweepOptions, rows: &[SweepRow]) -> Result<(), ExperimentError> {
    std::fs::create_dir_all(&options.out).map_err(|e| ExperimentError::Io {
        path: options.out.clone(),
        message: e.to_string(),
    })?;
    let keys: Vec<&str> = options.settings.iter().map(|s| s.key.as_str()).collect();
    let quote = |s: &str| {
        if s.contains(',') || s.contains('"') {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut csv = String::new();
    for key in &keys {
        csv += &format!("{},", quote(key));
    }
    csv += CSV_FIXED;
    csv.push('\n');
    for r in rows {
        for v in &r.values {
            csv += &format!("{},", quote(v));
        }
        csv += &format!(
            "{},{},{},{},{:.3},{}\n",
            r.seed,
            r.best_epoch,
            r.validation_error,
            r.test_error,
            r.epoch_seconds,
            quote(&r.status)
        );
    }
    write_atomic(&options.out.join("sweep.csv"), csv.as_bytes())?;

    let base = &options.base;
    let mut md = format!(
        "# Sweep of {} ({} epochs, seeds {:?})\n\nTest error at the best-validation epoch, \
         mean ± std over seeds; written by `microcircuits sweep`.\n\n| ",
        base.name, base.epochs, options.seeds
    );
    let header: Vec<String> = keys
        .iter()
        .map(|k| k.to_string())
        .chain(["test error".into(), "runs".into(), "epoch time (s)".into()])
        .collect();
    md += &header.join(" | ");
    md += " |\n|";
    md += &" --- |".repeat(header.len());
    md.push('\n');
    for (values, runs) in by_point(rows) {
        let tests: Vec<f64> = runs
            .iter()
            .filter(|r| r.test_error.is_finite())
            .map(|r| 100.0 * r.test_error)
            .collect();
        let error = if tests.is_empty() {
            "-".to_string()
        } else {
            let (mean, std) = mean_std(&tests);
            format!("{mean:.2} ± {std:.2} %")
        };
        let failed = runs.iter().filter(|r| r.status != "ok").count();
        let count = if failed > 0 {
            format!("{} ({failed} stopped)", runs.len())
        } else {
            runs.len().to_string()
        };
        let seconds = runs.iter().map(|r| r.epoch_seconds).sum::<f64>() / runs.len() as f64;
        let cells: Vec<String> = values
            .iter()
            .cloned()
            .chain([error, count, format!("{seconds:.2}")])
            .collect();
        md += &format!("| {} |\n", cells.join(" | "));
    }
    write_atomic(&options.out.join("sweep.md"), md.as_bytes())?;

    let panels = charts(&keys, rows);
    if !panels.is_empty() {
        let path = options.out.join("sweep.png");
        let tmp = path.with_extension("tmp.png");
        write_png(&tmp, &panels)?;
        std::fs::rename(&tmp, &path).map_err(|e| ExperimentError::Io {
            path,
            message: e.to_string(),
        })?;
    }
    Ok(())
}

/// The rows grouped by grid point, in grid order.
fn by_point(rows: &[SweepRow]) -> Vec<(Vec<String>, Vec<&SweepRow>)> {
    let mut groups: Vec<(Vec<String>, Vec<&SweepRow>)> = Vec::new();
    for r in rows {
        match groups.iter_mut().find(|(v, _)| *v == r.values) {
            Some((_, runs)) => runs.push(r),
            None => groups.push((r.values.clone(), vec![r])),
        }
    }
    groups
}

/// One panel per swept key: mean test error (%) against its value (against the value's
/// position where a value is not a number), one line per combination of the other keys.
fn charts(keys: &[&str], rows: &[SweepRow]) -> Vec<LineChart> {
    let points = by_point(rows);
    let mut panels = Vec::new();
    for (k, key) in keys.iter().enumerate() {
        let mut distinct: Vec<&String> = Vec::new();
        for (values, _) in &points {
            if !distinct.contains(&&values[k]) {
                distinct.push(&values[k]);
            }
        }
        let numeric = distinct.iter().all(|v| v.parse::<f64>().is_ok());
        let x = |v: &String| {
            if numeric {
                v.parse::<f64>().expect("checked")
            } else {
                distinct.iter().position(|d| *d == v).expect("listed") as f64
            }
        };
        let axis = if numeric {
            key.to_string()
        } else {
            let listed: Vec<String> = distinct
                .iter()
                .enumerate()
                .map(|(i, v)| format!("{i}: {v}"))
                .collect();
            format!("{key} ({})", listed.join("; "))
        };
        // Per line: its label, the means over seeds and every seed's own result.
        type Points = Vec<(f64, f64)>;
        let mut lines: Vec<(String, Points, Points)> = Vec::new();
        for (values, runs) in &points {
            let tests: Vec<f64> = runs
                .iter()
                .filter(|r| r.test_error.is_finite())
                .map(|r| 100.0 * r.test_error)
                .collect();
            if tests.is_empty() {
                continue;
            }
            let others: Vec<String> = keys
                .iter()
                .zip(values)
                .enumerate()
                .filter(|(j, _)| *j != k)
                .map(|(_, (key, v))| format!("{key}={v}"))
                .collect();
            let label = if others.is_empty() {
                "mean over seeds".to_string()
            } else {
                others.join(" ")
            };
            let at = x(&values[k]);
            let point = (at, mean_std(&tests).0);
            let seeds = tests.iter().map(|&t| (at, t));
            match lines.iter_mut().find(|(l, _, _)| *l == label) {
                Some((_, pts, dots)) => {
                    pts.push(point);
                    dots.extend(seeds);
                }
                None => lines.push((label, vec![point], seeds.collect())),
            }
        }
        let mut chart = LineChart::new(format!("test error against {key}"), axis, "test error (%)");
        let single = lines.len() == 1;
        for (label, mut pts, dots) in lines {
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            chart = chart.with_series(Series::new(label, pts));
            let dots_label = if single { "each seed" } else { "" };
            chart = chart.with_series(Series::markers(dots_label, dots));
        }
        if !chart.series.is_empty() {
            panels.push(chart);
        }
    }
    panels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse_lists_single_values_and_lists_of_lists() {
        let s = Setting::parse("eta_up=[12, 24, 48]").unwrap();
        assert_eq!(s.key, "eta_up");
        assert_eq!(s.values.len(), 3);
        let s = Setting::parse("eta_up=[[6, 0.07, 0.03], [3, 0.07, 0.03]]").unwrap();
        assert_eq!(s.values.len(), 2);
        assert_eq!(compact(&s.values[1]), "3,0.07,0.03");
        assert_eq!(Setting::parse("lr_decay=0.9").unwrap().values.len(), 1);
        for bad in ["eta_up", "=3", "eta_up=[]", "eta_up=[1,"] {
            assert!(Setting::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn seeds_parse_as_count_range_or_list() {
        assert_eq!(parse_seeds("3").unwrap(), vec![1, 2, 3]);
        assert_eq!(parse_seeds("2..4").unwrap(), vec![2, 3, 4]);
        assert_eq!(parse_seeds("1,5").unwrap(), vec![1, 5]);
        for bad in ["0", "4..2", "a", "1,x"] {
            assert!(parse_seeds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_grid_is_the_product_of_the_settings_first_slowest() {
        let settings = [
            Setting::parse("a=[1, 2]").unwrap(),
            Setting::parse("b=[[3, 4], [5]]").unwrap(),
        ];
        let points = grid(&settings);
        let labels: Vec<String> = points.iter().map(|p| p.label("base")).collect();
        assert_eq!(labels, ["a=1 b=3,4", "a=1 b=5", "a=2 b=3,4", "a=2 b=5"]);
        assert_eq!(points[0].slug("base"), "a-1_b-3-4");
        assert_eq!(grid(&[])[0].label("base"), "base");
    }
}
