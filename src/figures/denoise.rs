//! Denoising by disinhibition (issue 14; design in `docs/disinhibition.md`). A microcircuit
//! with learned top-down weights and an input-reconstruction pathway sees corrupted test
//! digits (additive noise; the bottom half occluded). It classifies them feed-forward, and
//! after a few iterations of: settle with the interneurons' inhibition of the apical
//! dendrites scaled by the gate `g`, reconstruct the input `r̂_0` from the hidden somatic
//! rates, and re-estimate the input as `(1 − β) x_corrupt + β r̂_0`. Accuracy and the
//! reconstruction's error to the clean digit are reported against `g` (1: the normal regime,
//! the top-down input cancelled; 0: interneurons silenced, the apical dendrites carry the
//! top-down prediction).

use burn::tensor::{Int, Tensor};
use dendritic::Precision;
use dendritic::random::{normals, upload};
use serde::Deserialize;

use super::topdown::{
    PathwayPreset, TopDown, accuracy, check_seeds_and_gates, half_squared_error, hidden_rate,
    images,
};
use super::{FigureError, FigureOptions, FigureOutput, parse_preset, seeded};
use crate::plot::{ImageGrid, LineChart, Series};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Experiment {
    /// Network seeds (weights, data order, corruption); quick mode runs the first only.
    seeds: Vec<u64>,
    /// Test digits corrupted and evaluated (`quick_test_images` in quick mode).
    test_images: usize,
    quick_test_images: usize,
    /// Standard deviation of the additive Gaussian noise (the result is clipped to [0, 1]).
    noise_sigma: f64,
    /// Image rows from this one down are set to 0 (14: the bottom half of a 28 × 28 digit).
    occlude_from_row: usize,
    /// Gate values `g` applied to every hidden layer.
    gates: Vec<f64>,
    /// Settle-reconstruct-re-estimate iterations, and the weight `β` of the reconstruction
    /// in the re-estimated input.
    iterations: usize,
    mix: f64,
    /// Digits shown per row of the picture.
    shown: usize,
}

impl Experiment {
    fn check(&self) -> Result<(), FigureError> {
        let bad = |message: String| {
            Err(FigureError::Preset {
                name: "denoise",
                message,
            })
        };
        check_seeds_and_gates("denoise", &self.seeds, self.gates.iter().copied())?;
        if self.test_images == 0 || self.quick_test_images == 0 {
            return bad("`test_images` and `quick_test_images` must be at least 1".into());
        }
        if !(self.noise_sigma.is_finite() && self.noise_sigma >= 0.0) {
            return bad(format!(
                "`noise_sigma` = {} is not a finite value >= 0",
                self.noise_sigma
            ));
        }
        if !(0.0..=1.0).contains(&self.mix) {
            return bad(format!("`mix` = {} is not in [0, 1]", self.mix));
        }
        Ok(())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Preset {
    experiment: Experiment,
    pathway: PathwayPreset,
}

/// How a test digit is corrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Corruption {
    Noise,
    Occlusion,
}

impl Corruption {
    const ALL: [Corruption; 2] = [Corruption::Noise, Corruption::Occlusion];

    fn name(self) -> &'static str {
        match self {
            Self::Noise => "noise",
            Self::Occlusion => "occlusion",
        }
    }

    /// The corrupted digits, seeded.
    fn apply(
        self,
        clean: &Tensor<2>,
        e: &Experiment,
        seed: u64,
        precision: Precision,
    ) -> Tensor<2> {
        let [n, pixels] = clean.dims();
        let device = clean.device();
        match self {
            Self::Noise => {
                let noise = normals(&mut seeded(seed), n * pixels, e.noise_sigma);
                let noise: Tensor<2> = upload(noise, [n, pixels], &device, precision);
                (clean.clone() + noise).clamp(0.0, 1.0)
            }
            Self::Occlusion => {
                let side = (pixels as f64).sqrt() as usize;
                let mask: Vec<f64> = (0..pixels)
                    .map(|i| {
                        if i / side.max(1) >= e.occlude_from_row {
                            0.0
                        } else {
                            1.0
                        }
                    })
                    .collect();
                let mask: Tensor<1> = upload(mask, [pixels], &device, precision);
                clean.clone() * mask.unsqueeze::<2>()
            }
        }
    }
}

/// One (seed, corruption, gate) result; `gate = None` is the feed-forward pass.
struct Row {
    seed: u64,
    corruption: Corruption,
    gate: Option<f64>,
    accuracy: f64,
    reconstruction_error: f64,
    /// `½‖x − x_corrupt‖²` per digit: the error of doing nothing, for reference.
    corrupted_error: f64,
}

/// What one evaluation returns: its accuracy and reconstruction error, and the reconstructed
/// digits.
struct Evaluated {
    accuracy: f64,
    reconstruction_error: f64,
    reconstructed: Tensor<2>,
}

impl Evaluated {
    /// Scores the output rates `predicted` against `labels` and `reconstructed` against the
    /// clean digits.
    fn of(
        predicted: Tensor<2>,
        labels: &Tensor<1, Int>,
        reconstructed: Tensor<2>,
        clean: &Tensor<2>,
    ) -> Self {
        Self {
            accuracy: accuracy(predicted, labels),
            reconstruction_error: half_squared_error(reconstructed.clone(), clean.clone()),
            reconstructed,
        }
    }
}

/// The feed-forward pass: classify the corrupted digits as they are, reconstruct them from
/// one settling with open gates.
fn feedforward(
    td: &TopDown,
    corrupt: &Tensor<2>,
    clean: &Tensor<2>,
    labels: &Tensor<1, Int>,
) -> Result<Evaluated, FigureError> {
    let reconstructed =
        td.reconstruction
            .reconstruct(hidden_rate(&td.net, corrupt.clone(), 1.0)?)?;
    Ok(Evaluated::of(
        td.net.predict(corrupt.clone()),
        labels,
        reconstructed,
        clean,
    ))
}

/// `iterations` of settle (gate `g`), reconstruct, re-estimate; classify the last estimate.
fn disinhibited(
    td: &TopDown,
    corrupt: &Tensor<2>,
    clean: &Tensor<2>,
    labels: &Tensor<1, Int>,
    gate: f64,
    e: &Experiment,
) -> Result<Evaluated, FigureError> {
    let mut estimate = corrupt.clone();
    let mut reconstructed = corrupt.clone();
    for _ in 0..e.iterations.max(1) {
        reconstructed = td
            .reconstruction
            .reconstruct(hidden_rate(&td.net, estimate, gate)?)?;
        estimate =
            corrupt.clone().mul_scalar(1.0 - e.mix) + reconstructed.clone().mul_scalar(e.mix);
    }
    Ok(Evaluated::of(
        td.net.predict(estimate),
        labels,
        reconstructed,
        clean,
    ))
}

pub(super) fn run(options: &FigureOptions, preset: &str) -> Result<FigureOutput, FigureError> {
    let mut preset: Preset = parse_preset("denoise", preset)?;
    if options.quick {
        preset.experiment.seeds.truncate(1);
    }
    let e = &preset.experiment;
    e.check()?;
    let data = preset.pathway.data(options)?;
    let n = if options.quick {
        e.quick_test_images
    } else {
        e.test_images
    }
    .min(data.test.len());
    let clean = data.test.inputs.clone().slice(0..n);
    let labels = data
        .test
        .labels
        .clone()
        .ok_or_else(|| FigureError::Preset {
            name: "denoise",
            message: "the network's task has no class labels".into(),
        })?;
    let labels = labels.slice(0..n);
    let mut rows = Vec::new();
    let mut grid = Vec::new();
    let mut losses = Vec::new();
    let mut clean_accuracy = Vec::new();
    for &seed in &e.seeds {
        let td = preset.pathway.top_down(seed, &data, options)?;
        losses.push(td.reconstruction_loss.clone());
        clean_accuracy.push(accuracy(td.net.predict(clean.clone()), &labels));
        for corruption in Corruption::ALL {
            let corrupt = corruption.apply(&clean, e, seed, td.net.config().precision);
            let ff = feedforward(&td, &corrupt, &clean, &labels)?;
            let corrupted_error = half_squared_error(corrupt.clone(), clean.clone());
            rows.push(Row {
                seed,
                corruption,
                gate: None,
                accuracy: ff.accuracy,
                reconstruction_error: ff.reconstruction_error,
                corrupted_error,
            });
            let shown = e.shown.min(n);
            if seed == e.seeds[0] {
                if corruption == Corruption::ALL[0] {
                    grid.push(("clean".to_string(), images(&clean, shown)));
                }
                grid.push((corruption.name().to_string(), images(&corrupt, shown)));
                grid.push(("feed-forward".to_string(), images(&ff.reconstructed, shown)));
            }
            for &gate in &e.gates {
                let d = disinhibited(&td, &corrupt, &clean, &labels, gate, e)?;
                if seed == e.seeds[0] && (gate == 0.0 || gate == 1.0) {
                    grid.push((format!("g = {gate}"), images(&d.reconstructed, shown)));
                }
                rows.push(Row {
                    seed,
                    corruption,
                    gate: Some(gate),
                    accuracy: d.accuracy,
                    reconstruction_error: d.reconstruction_error,
                    corrupted_error,
                });
            }
        }
    }
    Ok(report(
        e,
        rows,
        grid,
        &losses,
        mean_std(&clean_accuracy).0,
        n,
    ))
}

/// Mean and sample standard deviation.
fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = if values.len() > 1 {
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}

fn report(
    e: &Experiment,
    rows: Vec<Row>,
    grid: Vec<(String, Vec<Vec<f32>>)>,
    losses: &[Vec<f64>],
    clean_accuracy: f64,
    n: usize,
) -> FigureOutput {
    let select = |c: Corruption, gate: Option<f64>, f: fn(&Row) -> f64| -> Vec<f64> {
        rows.iter()
            .filter(|r| r.corruption == c && r.gate == gate)
            .map(f)
            .collect()
    };
    let mut numbers = vec![("clean_accuracy".to_string(), clean_accuracy)];
    let mut summary = format!(
        "Denoising by disinhibition, {n} test digits ({:.1} % correct when clean), {} seeds \
         ({} iterations, β = {}):",
        100.0 * clean_accuracy,
        e.seeds.len(),
        e.iterations,
        e.mix
    );
    let mut accuracy_panel = LineChart::new("accuracy against the gate", "gate g", "accuracy (%)");
    let mut error_panel = LineChart::new(
        "reconstruction error to the clean digit",
        "gate g",
        "½‖x − r̂₀‖² per digit",
    );
    for c in Corruption::ALL {
        let name = c.name();
        let (ff_acc, _) = mean_std(&select(c, None, |r| r.accuracy));
        let (ff_err, _) = mean_std(&select(c, None, |r| r.reconstruction_error));
        let (corrupted, _) = mean_std(&select(c, None, |r| r.corrupted_error));
        numbers.push((format!("{name}_feedforward_accuracy"), ff_acc));
        numbers.push((format!("{name}_feedforward_error"), ff_err));
        numbers.push((format!("{name}_corrupted_error"), corrupted));
        summary += &format!(
            "\n  {name} (error of the corrupted digit itself {corrupted:.2}): feed-forward {:.1} % \
             correct, reconstruction error {ff_err:.2}",
            100.0 * ff_acc
        );
        let mut acc_points = Vec::new();
        let mut err_points = Vec::new();
        for &g in &e.gates {
            let (acc, acc_sd) = mean_std(&select(c, Some(g), |r| r.accuracy));
            let (err, err_sd) = mean_std(&select(c, Some(g), |r| r.reconstruction_error));
            numbers.push((format!("{name}_g{g}_accuracy"), acc));
            numbers.push((format!("{name}_g{g}_error"), err));
            acc_points.push((g, 100.0 * acc));
            err_points.push((g, err));
            summary += &format!(
                "; g = {g}: {:.1} ± {:.1} %, {err:.2} ± {err_sd:.2}",
                100.0 * acc,
                100.0 * acc_sd
            );
        }
        let flat = |v: f64| e.gates.iter().map(|&g| (g, v)).collect::<Vec<_>>();
        accuracy_panel = accuracy_panel
            .with_series(Series::new(format!("{name}, disinhibited"), acc_points))
            .with_series(Series::new(
                format!("{name}, feed-forward"),
                flat(100.0 * ff_acc),
            ));
        error_panel = error_panel
            .with_series(Series::new(format!("{name}, disinhibited"), err_points))
            .with_series(Series::new(format!("{name}, feed-forward"), flat(ff_err)))
            .with_series(Series::new(
                format!("{name}, corrupted input"),
                flat(corrupted),
            ));
    }
    // The reconstruction's training loss, first and last pass (mean over seeds).
    let pass = |pick: fn(&Vec<f64>) -> Option<&f64>| {
        mean_std(
            &losses
                .iter()
                .filter_map(|l| pick(l).copied())
                .collect::<Vec<_>>(),
        )
        .0
    };
    numbers.push(("reconstruction_loss_first_pass".into(), pass(|l| l.first())));
    numbers.push(("reconstruction_loss_last_pass".into(), pass(|l| l.last())));
    let labels = vec![
        (
            "corruption".to_string(),
            rows.iter()
                .map(|r| r.corruption.name().to_string())
                .collect(),
        ),
        (
            "gate".to_string(),
            rows.iter()
                .map(|r| r.gate.map_or("feed-forward".into(), |g| g.to_string()))
                .collect(),
        ),
    ];
    let columns = vec![
        (
            "seed".to_string(),
            rows.iter().map(|r| r.seed as f64).collect(),
        ),
        (
            "accuracy".to_string(),
            rows.iter().map(|r| r.accuracy).collect(),
        ),
        (
            "reconstruction_error".to_string(),
            rows.iter().map(|r| r.reconstruction_error).collect(),
        ),
    ];
    FigureOutput {
        panels: vec![accuracy_panel, error_panel],
        images: Some(ImageGrid {
            width: 28,
            height: 28,
            rows: grid,
        }),
        labels,
        columns,
        summary,
        numbers,
    }
}
