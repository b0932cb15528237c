//! Presets shipped with the crate (the TOML files under `presets/`, embedded at build time).

use serde::Deserialize;

use super::{ExperimentError, RunConfig};

/// `(name, TOML)` of every run preset.
pub const RUN_PRESETS: &[(&str, &str)] = &[
    (
        "paper-mnist-dendritic",
        include_str!("../../presets/paper-mnist-dendritic.toml"),
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
pub const COMPARE_PRESETS: &[(&str, &str)] = &[(
    "paper-mnist",
    include_str!("../../presets/compare-paper-mnist.toml"),
)];

/// A comparison: which learner presets, for how many epochs.
#[derive(Debug, Clone, Deserialize)]
pub struct Comparison {
    /// Epochs per run.
    pub epochs: usize,
    /// Learner names; learner `x` of comparison `c` is run preset `c-x`.
    pub learners: Vec<String>,
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
    Ok(c)
}

/// The run preset of learner `learner` in the paper-MNIST comparison.
pub fn learner_preset(learner: &str) -> Result<RunConfig, ExperimentError> {
    run_preset(&format!("paper-mnist-{learner}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_parses_and_names_its_learner() {
        for (name, _) in RUN_PRESETS {
            let config = run_preset(name).unwrap();
            assert_eq!(format!("paper-mnist-{}", config.name), *name);
            // The TOML written to a run directory parses back to the same config.
            let again = RunConfig::parse(&config.to_toml(), "round trip").unwrap();
            assert_eq!(again.to_toml(), config.to_toml());
        }
        let paper = comparison("paper-mnist").unwrap();
        for learner in &paper.learners {
            learner_preset(learner).unwrap();
        }
        assert!(run_preset("nope").is_err());
    }
}
