//! Run configurations: which learner, on which task, for how long. Serialised as TOML (the
//! presets under `presets/`) or JSON.

use std::path::{Path, PathBuf};

use baselines::{
    BpConfig, DendriticLearner, FeedbackConfig, FeedbackRule, Learner, NetConfig, TargetPropConfig,
    TargetRule,
};
use burn::tensor::Device;
use dendritic::MicrocircuitConfig;
use serde::{Deserialize, Serialize};

use super::ExperimentError;

/// The learning rule and its parameters.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LearnerSpec {
    /// The microcircuit (steady-state dynamics, Eqs. 7-10).
    Dendritic(MicrocircuitConfig),
    /// Backprop through Burn autodiff.
    Bp(BpConfig),
    /// FA, DFA or the shallow learner.
    Feedback(FeedbackConfig),
    /// DTP, DTP-DRL or DDTP-linear.
    TargetProp(TargetPropConfig),
}

impl LearnerSpec {
    /// Layer sizes `[n_0, .., n_N]`.
    pub fn sizes(&self) -> &[usize] {
        match self {
            Self::Dendritic(c) => &c.sizes,
            Self::Bp(c) => &c.net.sizes,
            Self::Feedback(c) => &c.net.sizes,
            Self::TargetProp(c) => &c.net.sizes,
        }
    }

    /// The transfer function whose inverse turns target rates into target potentials, for
    /// learners that use it (the microcircuit, and any rule with the potential-space error).
    pub fn target_transfer(&self) -> Option<dendritic::Transfer> {
        let net = match self {
            Self::Dendritic(c) => return Some(c.transfer),
            Self::Bp(c) => &c.net,
            Self::Feedback(c) => &c.net,
            Self::TargetProp(c) => &c.net,
        };
        (net.error == baselines::OutputError::Potential).then_some(net.transfer)
    }

    /// Checks every parameter of the rule (the check its `init` makes), without building it.
    pub fn check(&self) -> Result<(), baselines::BaselineError> {
        match self {
            Self::Dendritic(c) => Ok(c.check()?),
            Self::Bp(c) => c.check(),
            Self::Feedback(c) => c.check(),
            Self::TargetProp(c) => c.check(),
        }
    }

    /// The same spec with its weight seed set.
    pub fn with_seed(mut self, seed: u64) -> Self {
        match &mut self {
            Self::Dendritic(c) => c.seed = seed,
            Self::Bp(c) => c.net.seed = seed,
            Self::Feedback(c) => c.net.seed = seed,
            Self::TargetProp(c) => c.net.seed = seed,
        }
        self
    }

    /// Builds the learner on `device`, labelled `name`.
    pub fn build(&self, name: &str, device: &Device) -> Result<Box<dyn Learner>, ExperimentError> {
        Ok(match self {
            Self::Dendritic(c) => Box::new(DendriticLearner::new(
                c.init(device).map_err(baselines::BaselineError::from)?,
                name,
            )),
            Self::Bp(c) => Box::new(c.init(device)?),
            Self::Feedback(c) => Box::new(c.init(device)?),
            Self::TargetProp(c) => Box::new(c.init(device)?),
        })
    }
}

/// The data a run learns from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TaskConfig {
    /// MNIST digits (55,000 / 5,000 / 10,000).
    Mnist {
        /// A folder of the four gzipped IDX files; default `../shared/data/mnist` or
        /// `$MNIST_DIR`, else the burn-dataset download (feature `download`).
        #[serde(default)]
        data_dir: Option<PathBuf>,
    },
    /// Fashion-MNIST (same format and split).
    FashionMnist {
        /// A folder of the four gzipped IDX files; default `../shared/data/fashion-mnist`.
        #[serde(default)]
        data_dir: Option<PathBuf>,
    },
    /// The paper's nonlinear regression (section 3.3): a random 30-20-10 soft-ReLU teacher.
    Teacher {
        /// Training examples.
        #[serde(default = "default_teacher_train")]
        train: usize,
    },
}

fn default_teacher_train() -> usize {
    10_000
}

impl TaskConfig {
    /// An error as the task reports it: a percentage of wrong classes for the image tasks,
    /// the mean squared error of the rates for the regression task.
    pub fn format_error(&self, error: f64) -> String {
        match self {
            Self::Teacher { .. } => format!("MSE {error:.3e}"),
            _ => format!("{:.2} %", 100.0 * error),
        }
    }

    /// Replaces the data directory of an image task.
    pub fn with_data_dir(self, dir: Option<&Path>) -> Self {
        match (self, dir) {
            (Self::Mnist { .. }, Some(d)) => Self::Mnist {
                data_dir: Some(d.to_path_buf()),
            },
            (Self::FashionMnist { .. }, Some(d)) => Self::FashionMnist {
                data_dir: Some(d.to_path_buf()),
            },
            (task, _) => task,
        }
    }
}

/// Everything a training run needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunConfig {
    /// Label in tables and plots (`dendritic`, `bp`, ...).
    pub name: String,
    /// The data.
    pub task: TaskConfig,
    /// Epochs over the training split.
    pub epochs: usize,
    /// Examples per learning step.
    #[serde(default = "default_batch")]
    pub batch: usize,
    /// Seed of the weights and of the data order.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Keep only the first `limit` training examples.
    #[serde(default)]
    pub limit: Option<usize>,
    /// Target rate of the wrong classes.
    #[serde(default = "default_low")]
    pub target_low: f64,
    /// Target rate of the right class.
    #[serde(default = "default_high")]
    pub target_high: f64,
    /// Learning-rate schedule: epoch `e` (from 1) trains with every learning rate of the
    /// learner times `lr_decay^max(0, e − 1 − lr_decay_after)` (see
    /// [`rate_factor`](Self::rate_factor)). 1 keeps the rates constant.
    #[serde(default = "default_lr_decay")]
    pub lr_decay: f64,
    /// How many more epochs train at the full rates before the decay starts (0: epoch 2 is
    /// the first decayed one).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lr_decay_after: usize,
    /// The learning rule.
    pub learner: LearnerSpec,
}

/// The learner table with every field the file leaves out set to its default.
fn with_defaults(mut learner: serde_json::Value) -> Result<serde_json::Value, String> {
    let kind = learner
        .get("kind")
        .and_then(|k| k.as_str())
        .map(str::to_owned)
        .ok_or("[learner] needs kind = \"dendritic\", \"bp\", \"feedback\" or \"target_prop\"")?;
    let net = || NetConfig::new(Vec::new());
    if kind == "dendritic" {
        fold_plastic_flags(&mut learner);
    }
    let defaults = match kind.as_str() {
        "dendritic" => LearnerSpec::Dendritic(MicrocircuitConfig::new(Vec::new())),
        "bp" => LearnerSpec::Bp(BpConfig::new(net())),
        "feedback" => LearnerSpec::Feedback(FeedbackConfig::new(net(), FeedbackRule::Fa)),
        "target_prop" => LearnerSpec::TargetProp(TargetPropConfig::new(net(), TargetRule::Dtp)),
        other => {
            return Err(format!(
                "unknown learner kind '{other}' (dendritic, bp, feedback, target_prop)"
            ));
        }
    };
    let mut merged = serde_json::to_value(defaults).map_err(|e| e.to_string())?;
    same_keys(&learner, &merged, "learner.")?;
    merge(&mut merged, learner);
    Ok(merged)
}

/// Run directories written before 2026-11-28 switched learning off per weight group with a
/// `plastic = { up, ip, pi, down }` table beside the rates; a rate of 0 now says it alone.
/// Such a table is folded into the rates (`eta_<group> = [0.0]` where the flag was false), so
/// that old runs still resume and are still recognised as finished.
fn fold_plastic_flags(learner: &mut serde_json::Value) {
    let Some(table) = learner.as_object_mut() else {
        return;
    };
    let Some(serde_json::Value::Object(flags)) = table.remove("plastic") else {
        return;
    };
    for (group, on) in flags {
        if on == serde_json::Value::Bool(false) {
            table.insert(format!("eta_{group}"), serde_json::json!([0.0]));
        }
    }
}

/// The keys of a run configuration's top level.
const RUN_KEYS: &[&str] = &[
    "name",
    "task",
    "epochs",
    "batch",
    "seed",
    "limit",
    "target_low",
    "target_high",
    "lr_decay",
    "lr_decay_after",
    "learner",
];

/// Every key of the table `value` is one of `keys`; else the error names it and the nearest.
fn known_keys(value: &serde_json::Value, keys: &[&str], prefix: &str) -> Result<(), String> {
    let Some(table) = value.as_object() else {
        return Ok(());
    };
    for key in table.keys() {
        if !keys.contains(&key.as_str()) {
            return Err(unknown_key(prefix, key, keys.iter().copied()));
        }
    }
    Ok(())
}

/// Every key of `over` (recursively) exists in `defaults`, the fully defaulted learner table.
/// Tables tagged with a different `kind` than the default's (e.g. `optim.kind = "adam"` over
/// SGD's defaults) are left to serde, which knows each variant's fields.
fn same_keys(
    over: &serde_json::Value,
    defaults: &serde_json::Value,
    prefix: &str,
) -> Result<(), String> {
    let (Some(over), Some(defaults)) = (over.as_object(), defaults.as_object()) else {
        return Ok(());
    };
    if over
        .get("kind")
        .is_some_and(|k| Some(k) != defaults.get("kind"))
    {
        return Ok(());
    }
    for (key, value) in over {
        match defaults.get(key) {
            Some(default) => same_keys(value, default, &format!("{prefix}{key}."))?,
            None => {
                return Err(unknown_key(
                    prefix,
                    key,
                    defaults.keys().map(String::as_str),
                ));
            }
        }
    }
    Ok(())
}

fn unknown_key<'a>(prefix: &str, key: &str, known: impl Iterator<Item = &'a str>) -> String {
    let known: Vec<&str> = known.collect();
    let nearest = known
        .iter()
        .map(|k| (strsim::jaro_winkler(k, key), *k))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .filter(|(similarity, _)| *similarity >= 0.8);
    let hint = match nearest {
        Some((_, k)) => format!("did you mean `{prefix}{k}`?"),
        None => format!("known keys: {}", known.join(", ")),
    };
    format!("unknown key `{prefix}{key}` ({hint})")
}

/// TOML allows `nan` and `inf`; no setting of a run accepts them (JSON has no such numbers,
/// so they would arrive as a confusing "null").
fn finite_numbers(value: &toml::Value, path: &str) -> Result<(), String> {
    match value {
        toml::Value::Float(x) if !x.is_finite() => Err(format!(
            "`{path}` is {x}: every number in a run configuration must be finite"
        )),
        toml::Value::Table(table) => table.iter().try_for_each(|(key, v)| {
            let path = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            finite_numbers(v, &path)
        }),
        toml::Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| finite_numbers(v, &format!("{path}[{i}]"))),
        _ => Ok(()),
    }
}

/// Overlays `over` onto `base`, table by table.
fn merge(base: &mut serde_json::Value, over: serde_json::Value) {
    match (base, over) {
        (serde_json::Value::Object(base), serde_json::Value::Object(over)) => {
            for (key, value) in over {
                match base.get_mut(&key) {
                    Some(slot) if slot.is_object() && value.is_object() => merge(slot, value),
                    _ => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, over) => *base = over,
    }
}

fn default_batch() -> usize {
    10
}
fn default_seed() -> u64 {
    1
}
fn default_low() -> f64 {
    0.1
}
fn default_high() -> f64 {
    0.8
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn default_lr_decay() -> f64 {
    1.0
}

impl RunConfig {
    /// Parses TOML (or JSON when `path` ends in `.json`), naming `path` in errors.
    ///
    /// Every key must be one the configuration knows (a misspelt key is an error that suggests
    /// the nearest valid one, not silently ignored), and every number finite.
    pub fn parse(text: &str, path: &str) -> Result<Self, ExperimentError> {
        let value: Result<serde_json::Value, String> = if path.ends_with(".json") {
            serde_json::from_str(text).map_err(|e| e.to_string())
        } else {
            toml::from_str::<toml::Value>(text)
                .map_err(|e| e.to_string())
                .and_then(|value| {
                    finite_numbers(&value, "")?;
                    serde_json::to_value(value).map_err(|e| e.to_string())
                })
        };
        let parsed = value.and_then(|mut value| {
            known_keys(&value, RUN_KEYS, "")?;
            if let Some(task) = value.get("task") {
                let keys: &[&str] = match task.get("kind").and_then(|k| k.as_str()) {
                    Some("teacher") => &["kind", "train"],
                    _ => &["kind", "data_dir"],
                };
                known_keys(task, keys, "task.")?;
            }
            if let Some(learner) = value.get_mut("learner") {
                *learner = with_defaults(learner.take())?;
            }
            serde_json::from_value::<Self>(value).map_err(|e| e.to_string())
        });
        let config = parsed.map_err(|message| ExperimentError::Config {
            origin: path.to_string(),
            message: message.trim().replace('\n', " "),
        })?;
        config.check().map_err(|e| e.from_origin(path))?;
        Ok(config)
    }

    /// The same run with some settings changed, checked as a parsed file is (`origin` names
    /// the changes in errors). A key of the run's top level (`epochs`, `lr_decay`, ...)
    /// changes the run, any other key (or `learner.<key>`) its `[learner]` table; a key the
    /// learner does not know is refused with the nearest valid one. A single number for a
    /// list setting (`eta_up = 24`) is the one-entry list (`[24]`: one for all layers).
    pub fn with_settings(
        &self,
        changes: &[(String, toml::Value)],
        origin: &str,
    ) -> Result<Self, ExperimentError> {
        let mut table: toml::Table =
            toml::from_str(&self.to_toml()).expect("run configs round-trip");
        for (key, value) in changes {
            let learner_key = key.strip_prefix("learner.");
            match learner_key {
                None if RUN_KEYS.contains(&key.as_str()) && key != "learner" => {
                    table.insert(key.clone(), value.clone());
                }
                _ => {
                    if let Some(toml::Value::Table(learner)) = table.get_mut("learner") {
                        let key = learner_key.unwrap_or(key);
                        // A single value for a list setting (a rate per layer) is the list of
                        // that one value: one for all.
                        let value = match (learner.get(key), value) {
                            (Some(toml::Value::Array(_)), v) if !v.is_array() => {
                                toml::Value::Array(vec![v.clone()])
                            }
                            (_, v) => v.clone(),
                        };
                        learner.insert(key.to_string(), value);
                    }
                }
            }
        }
        Self::parse(&table.to_string(), origin)
    }

    /// Reads a TOML or JSON file.
    pub fn load(path: &Path) -> Result<Self, ExperimentError> {
        let text = std::fs::read_to_string(path).map_err(|e| ExperimentError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// The factor on every learning rate in epoch `epoch` (from 1): 1 for the first
    /// `lr_decay_after + 1` epochs, then `lr_decay`, `lr_decay²`, ...
    pub fn rate_factor(&self, epoch: usize) -> f64 {
        let decayed = epoch.saturating_sub(1 + self.lr_decay_after);
        self.lr_decay.powi(decayed as i32)
    }

    /// The config as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("run configs serialise")
    }

    /// Whether `other` is the same run (length included): equal once the learner's weight
    /// seed is taken from the run's `seed`, as training builds it. `compare` writes the
    /// learner's own seed as the preset has it and `sweep` writes the run's, so the same
    /// setting reads the same from either.
    pub fn same_run(&self, other: &RunConfig) -> bool {
        let trained = |c: &RunConfig| {
            RunConfig {
                learner: c.learner.clone().with_seed(c.seed),
                ..c.clone()
            }
            .to_toml()
        };
        trained(self) == trained(other)
    }

    /// Checks every value: the run's own and its learner's (each error names the run).
    pub fn check(&self) -> Result<(), ExperimentError> {
        let bad = |message: String| ExperimentError::Config {
            origin: format!("run '{}'", self.name),
            message,
        };
        if self.epochs == 0 {
            return Err(bad("epochs must be at least 1".into()));
        }
        if self.batch == 0 {
            return Err(bad("batch must be at least 1".into()));
        }
        if !(self.lr_decay > 0.0 && self.lr_decay <= 1.0) {
            return Err(bad(format!(
                "lr_decay must be in (0, 1], got {}",
                self.lr_decay
            )));
        }
        if self.target_low >= self.target_high || self.target_low.is_nan() {
            return Err(bad(format!(
                "target_low ({}) must be below target_high ({})",
                self.target_low, self.target_high
            )));
        }
        self.learner.check().map_err(|e| bad(e.to_string()))?;
        if !(self.target_low.is_finite() && self.target_high.is_finite()) {
            return Err(bad("target rates must be finite".into()));
        }
        if let Some(phi) = self.learner.target_transfer() {
            for rate in [self.target_low, self.target_high] {
                if phi.inverse_scalar(rate).is_none() {
                    return Err(bad(format!(
                        "target rate {rate} is outside the range of the learner's transfer \
                         function {phi:?}, so it has no target potential φ⁻¹(r) (the logistic \
                         needs rates strictly between 0 and 1)"
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "name = \"x\"\nepochs = 1\n[task]\nkind = \"teacher\"\n[learner]\nkind = \"bp\"\n[learner.net]\nsizes = [30, 10]\n";

    #[test]
    fn the_learner_seed_a_run_overrides_does_not_make_another_run() {
        let config = RunConfig {
            seed: 7,
            ..RunConfig::parse(MINIMAL, "minimal.toml").unwrap()
        };
        let swept = RunConfig {
            learner: config.learner.clone().with_seed(config.seed),
            ..config.clone()
        };
        assert_ne!(swept.to_toml(), config.to_toml());
        assert!(swept.same_run(&config) && config.same_run(&swept));
        let other_seed = RunConfig {
            seed: config.seed + 1,
            ..config.clone()
        };
        assert!(!other_seed.same_run(&config));
        let longer = RunConfig {
            epochs: config.epochs + 1,
            ..config.clone()
        };
        assert!(!longer.same_run(&config));
    }

    #[test]
    fn lr_decay_defaults_to_constant_rates_and_rejects_bad_values() {
        let config = RunConfig::parse(MINIMAL, "minimal.toml").unwrap();
        assert_eq!(config.lr_decay, 1.0);
        assert!(!config.to_toml().contains("lr_decay_after"));
        let late = format!("lr_decay = 0.5\nlr_decay_after = 2\n{MINIMAL}");
        let late = RunConfig::parse(&late, "late.toml").unwrap();
        let factors: Vec<f64> = (1..=5).map(|e| late.rate_factor(e)).collect();
        assert_eq!(factors, vec![1.0, 1.0, 1.0, 0.5, 0.25]);
        assert_eq!(config.rate_factor(1), 1.0);
        let decayed = format!("lr_decay = 0.9\n{MINIMAL}");
        assert_eq!(RunConfig::parse(&decayed, "d.toml").unwrap().lr_decay, 0.9);
        for bad in ["0.0", "1.5", "-0.5"] {
            let text = format!("lr_decay = {bad}\n{MINIMAL}");
            let err = RunConfig::parse(&text, "bad.toml").unwrap_err().to_string();
            assert!(
                err.contains("bad.toml") && err.contains("lr_decay"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn a_legacy_plastic_table_becomes_rates_of_zero() {
        let legacy = r#"
            name = "old"
            epochs = 1
            [task]
            kind = "mnist"
            [learner]
            kind = "dendritic"
            sizes = [4, 3, 2]
            eta_up = [0.5]
            eta_pi = [0.2]
            eta_down = [0.3]
            [learner.plastic]
            up = true
            ip = true
            pi = false
            down = true
        "#;
        let config = RunConfig::parse(legacy, "old/config.toml").unwrap();
        let LearnerSpec::Dendritic(net) = &config.learner else {
            panic!("a microcircuit")
        };
        assert_eq!(net.eta_up, vec![0.5]);
        assert_eq!(net.eta_pi, vec![0.0]);
        assert_eq!(net.eta_down, vec![0.3]);
        assert!(!config.to_toml().contains("plastic"));
    }
}
