//! Presets shipped with the crate (the TOML files under `presets/`, embedded at build time).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{ExperimentError, RunConfig, TaskConfig};

/// `(name, TOML)` of every run preset.
pub const RUN_PRESETS: &[(&str, &str)] = &[
    (
        "paper-mnist-dendritic",
        include_str!("../../presets/paper-mnist-dendritic.toml"),
    ),
    (
        "paper-mnist-dendritic-transposed-start",
        include_str!("../../presets/paper-mnist-dendritic-transposed-start.toml"),
    ),
    (
        "paper-mnist-dendritic-frozen-hidden",
        include_str!("../../presets/paper-mnist-dendritic-frozen-hidden.toml"),
    ),
    (
        "paper-mnist-dendritic-learned-topdown",
        include_str!("../../presets/paper-mnist-dendritic-learned-topdown.toml"),
    ),
    (
        "paper-mnist-bp",
        include_str!("../../presets/paper-mnist-bp.toml"),
    ),
    (
        "paper-mnist-fa",
        include_str!("../../presets/paper-mnist-fa.toml"),
    ),
    (
        "paper-mnist-dfa",
        include_str!("../../presets/paper-mnist-dfa.toml"),
    ),
    (
        "paper-mnist-dtp",
        include_str!("../../presets/paper-mnist-dtp.toml"),
    ),
    (
        "paper-mnist-drl",
        include_str!("../../presets/paper-mnist-drl.toml"),
    ),
];

/// `(name, TOML)` of every comparison preset.
pub const COMPARE_PRESETS: &[(&str, &str)] = &[
    (
        "paper-mnist",
        include_str!("../../presets/compare-paper-mnist.toml"),
    ),
    (
        "fashion-mnist",
        include_str!("../../presets/compare-fashion-mnist.toml"),
    ),
];

/// A comparison: which learner presets, for how many epochs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Comparison {
    /// Epochs per run (of every learner not in `learner_epochs`).
    pub epochs: usize,
    /// Epochs of the learners whose curves need more (or fewer) than `epochs`.
    #[serde(default)]
    pub learner_epochs: BTreeMap<String, usize>,
    /// Learner names; learner `x` is run preset `<runs>-x`.
    pub learners: Vec<String>,
    /// Prefix of the learners' run presets (default: the comparison's name).
    #[serde(default)]
    pub runs: Option<String>,
    /// Replaces the task of every learner preset (e.g. Fashion-MNIST with the MNIST presets).
    #[serde(default)]
    pub task: Option<TaskConfig>,
    /// The paper's figure per learner, shown beside ours in `summary.md`.
    #[serde(default)]
    pub paper: BTreeMap<String, String>,
    /// Our target per learner, shown in `summary.md`.
    #[serde(default)]
    pub target: BTreeMap<String, String>,
    /// Per learner, settings that this comparison changes: keys of its run (`lr_decay`,
    /// `batch`, ...) or of its `[learner]` table (e.g. a smaller first-layer rate on
    /// Fashion-MNIST); checked like any run config.
    #[serde(default)]
    pub overrides: BTreeMap<String, toml::Table>,
    /// The comparison's name.
    #[serde(skip)]
    pub name: String,
}

/// The run preset `name`.
pub fn run_preset(name: &str) -> Result<RunConfig, ExperimentError> {
    let (_, text) = RUN_PRESETS
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| ExperimentError::UnknownPreset {
            name: name.to_string(),
            known: RUN_PRESETS
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    RunConfig::parse(text, &format!("preset {name}"))
}

/// The comparison preset `name`.
pub fn comparison(name: &str) -> Result<Comparison, ExperimentError> {
    let (_, text) = COMPARE_PRESETS
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| ExperimentError::UnknownPreset {
            name: name.to_string(),
            known: COMPARE_PRESETS
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    let mut c: Comparison = toml::from_str(text).map_err(|e| ExperimentError::Config {
        origin: format!("preset {name}"),
        message: e.to_string(),
    })?;
    c.name = name.to_string();
    c.check()?;
    Ok(c)
}

impl Comparison {
    /// Every per-learner table (`learner_epochs`, `overrides`, `paper`, `target`) names only
    /// learners of the comparison, and no run has zero epochs.
    pub fn check(&self) -> Result<(), ExperimentError> {
        let bad = |message: String| ExperimentError::Config {
            origin: format!("comparison '{}'", self.name),
            message,
        };
        let tables = [
            (
                "learner_epochs",
                self.learner_epochs.keys().collect::<Vec<_>>(),
            ),
            ("overrides", self.overrides.keys().collect()),
            ("paper", self.paper.keys().collect()),
            ("target", self.target.keys().collect()),
        ];
        for (table, keys) in tables {
            if let Some(stray) = keys.into_iter().find(|k| !self.learners.contains(k)) {
                return Err(bad(format!(
                    "[{table}] names '{stray}', which is not one of its learners ({})",
                    self.learners.join(", ")
                )));
            }
        }
        if self.epochs == 0 || self.learner_epochs.values().any(|&e| e == 0) {
            return Err(bad("epochs must be at least 1".into()));
        }
        Ok(())
    }

    /// The epochs of `learner`'s runs: its `learner_epochs` entry, else `epochs`.
    pub fn epochs_of(&self, learner: &str) -> usize {
        self.learner_epochs
            .get(learner)
            .copied()
            .unwrap_or(self.epochs)
    }

    /// The run config of `learner` in this comparison: its run preset, with the
    /// comparison's task if it names one, its epochs and its overrides.
    pub fn learner(&self, learner: &str) -> Result<RunConfig, ExperimentError> {
        let prefix = self.runs.as_deref().unwrap_or(&self.name);
        let known = || {
            RUN_PRESETS
                .iter()
                .filter_map(|(name, _)| name.strip_prefix(prefix)?.strip_prefix('-'))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut config =
            run_preset(&format!("{prefix}-{learner}")).map_err(|_| ExperimentError::Config {
                origin: format!("comparison '{}'", self.name),
                message: format!("unknown learner '{learner}' (known: {})", known()),
            })?;
        if let Some(task) = &self.task {
            config.task = task.clone();
        }
        config.epochs = self.epochs_of(learner);
        if let Some(changes) = self.overrides.get(learner) {
            let origin = format!("comparison '{}', overrides of '{learner}'", self.name);
            if let Some(key) = changes.keys().find(|k| {
                matches!(
                    k.as_str(),
                    "name" | "task" | "epochs" | "seed" | "limit" | "learner"
                )
            }) {
                return Err(ExperimentError::Config {
                    origin,
                    message: format!(
                        "`{key}` is set by the comparison, not by an override \
                         (epochs: [learner_epochs]; task: `task`)"
                    ),
                });
            }
            // `with_settings` routes each key: a run key (lr_decay, batch, ...) changes the
            // run, any other key the learner.
            let settings: Vec<(String, toml::Value)> = changes
                .iter()
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect();
            config = config.with_settings(&settings, &origin)?;
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::LearnerSpec;

    #[test]
    fn every_preset_parses_and_names_its_learner() {
        for (name, _) in RUN_PRESETS {
            let config = run_preset(name).unwrap();
            assert_eq!(format!("paper-mnist-{}", config.name), *name);
            // The TOML written to a run directory parses back to the same config.
            let again = RunConfig::parse(&config.to_toml(), "round trip").unwrap();
            assert_eq!(again.to_toml(), config.to_toml());
        }
        for (name, _) in COMPARE_PRESETS {
            let c = comparison(name).unwrap();
            for learner in &c.learners {
                c.learner(learner).unwrap();
            }
        }
        let fashion = comparison("fashion-mnist").unwrap().learner("bp").unwrap();
        assert!(matches!(fashion.task, TaskConfig::FashionMnist { .. }));
        // An override changes its keys and nothing else; a misspelt key is refused.
        let mut c = comparison("fashion-mnist").unwrap();
        let base = c.learner("dendritic-transposed-start").unwrap();
        c.overrides.clear();
        let plain = c.learner("dendritic-transposed-start").unwrap();
        let (LearnerSpec::Dendritic(a), LearnerSpec::Dendritic(b)) =
            (&base.learner, &plain.learner)
        else {
            panic!("microcircuits")
        };
        assert_eq!(
            (a.eta_up[0], a.lambda_output, b.lambda_output),
            (3.0, Some(0.9), Some(0.5))
        );
        let undone = a
            .clone()
            .with_eta_up(b.eta_up.clone())
            .with_lambda_output(b.lambda_output);
        assert_eq!(undone, *b);
        c.overrides
            .insert("bp".into(), toml::from_str("etta = 1.0").unwrap());
        let err = c.learner("bp").unwrap_err().to_string();
        assert!(
            err.contains("overrides of 'bp'") && err.contains("etta"),
            "{err}"
        );
        assert!(run_preset("nope").is_err());
        // A run key changes the run; the comparison's own keys are refused.
        let c = comparison("fashion-mnist").unwrap();
        assert_eq!(c.learner("bp").unwrap().lr_decay, 0.9);
        assert_eq!(run_preset("paper-mnist-bp").unwrap().lr_decay, 1.0);
        let mut c = comparison("fashion-mnist").unwrap();
        c.overrides
            .insert("fa".into(), toml::from_str("epochs = 3").unwrap());
        let err = c.learner("fa").unwrap_err().to_string();
        assert!(err.contains("[learner_epochs]"), "{err}");
    }

    #[test]
    fn per_learner_tables_name_only_the_comparisons_learners() {
        let mut c = comparison("fashion-mnist").unwrap();
        assert_eq!(c.epochs_of("dendritic"), 60);
        assert_eq!(c.epochs_of("bp"), 40);
        assert_eq!(c.epochs_of("dendritic-frozen-hidden"), 40);
        assert_eq!(c.epochs_of("dtp"), c.epochs);
        c.check().unwrap();
        c.learner_epochs.insert("dendritc".into(), 10);
        let err = c.check().unwrap_err().to_string();
        assert!(err.contains("[learner_epochs] names 'dendritc'"), "{err}");
        c.learner_epochs.remove("dendritc");
        c.learner_epochs.insert("fa".into(), 0);
        assert!(c.check().unwrap_err().to_string().contains("at least 1"));
        let mut c = comparison("paper-mnist").unwrap();
        c.overrides.insert("bq".into(), toml::Table::new());
        assert!(
            c.check()
                .unwrap_err()
                .to_string()
                .contains("[overrides] names 'bq'")
        );
        // A misspelt table is refused too.
        let text = "epochs = 1\nlearners = [\"bp\"]\n[learner_epoch]\nbp = 2\n";
        assert!(toml::from_str::<Comparison>(text).is_err());
    }
}
