//! Fig. 1: a self-predicting network (1 hidden layer) meets a new target. The output is
//! nudged, the interneurons no longer cancel the top-down input, an apical error appears in
//! the hidden layer; `W_up` learns until the network predicts the target by itself and the
//! apical compartments fall silent again.

use burn::tensor::Device;
use dendritic::continuous::{Probe, Simulation, Traces};
use serde::Deserialize;

use super::{
    FigureError, FigureOutput, Model, host, parse_preset, points, recorder, seeded,
    target_potential, uniform, upload,
};
use crate::plot::{LineChart, Series};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Experiment {
    /// Seed of the input pattern and the target.
    seed: u64,
    /// Time with the input alone before the target appears (ms).
    settle_ms: f64,
    /// Time with the target on (ms); `quick_train_ms` in quick mode.
    train_ms: f64,
    quick_train_ms: f64,
    /// Layer sizes in quick mode.
    quick_sizes: Vec<usize>,
    /// Recording resolution (ms).
    record_ms: f64,
    /// Target rates are drawn from U(low, high).
    target_low: f64,
    target_high: f64,
}

#[derive(Debug, Deserialize)]
struct Preset {
    experiment: Experiment,
    #[serde(flatten)]
    model: Model,
}

/// What the simulation recorded.
struct Run {
    sizes: Vec<usize>,
    train_ms: f64,
    settle_ms: f64,
    target_rates: Vec<f32>,
    /// The un-nudged prediction (fixed point without target) before and after training.
    predicted_before: Vec<f32>,
    predicted_after: Vec<f32>,
    traces: Traces,
}

/// The figure's key numbers.
struct Numbers {
    apical_before_target: f64,
    apical_peak: f64,
    apical_final: f64,
    output_error_at_onset: f64,
    output_error_final: f64,
    prediction_relative_error_before: f64,
    prediction_relative_error_final: f64,
}

impl Numbers {
    fn of(run: &Run, curves: &Curves) -> Self {
        let relative = |rates: &[f32]| {
            rates
                .iter()
                .zip(&run.target_rates)
                .map(|(r, g)| f64::from((r - g).abs() / g))
                .fold(0.0, f64::max)
        };
        let onset = curves.onset;
        let apical = &curves.apical;
        Self {
            apical_before_target: apical[..onset.max(1)].iter().copied().fold(0.0, f64::max),
            apical_peak: apical[onset..].iter().copied().fold(0.0, f64::max),
            apical_final: *apical.last().unwrap_or(&0.0),
            output_error_at_onset: curves.output_error[onset],
            output_error_final: *curves.output_error.last().unwrap_or(&0.0),
            prediction_relative_error_before: relative(&run.predicted_before),
            prediction_relative_error_final: relative(&run.predicted_after),
        }
    }

    fn named(&self) -> Vec<(String, f64)> {
        super::named(&[
            ("apical_before_target", self.apical_before_target),
            ("apical_peak", self.apical_peak),
            ("apical_final", self.apical_final),
            ("output_error_at_onset", self.output_error_at_onset),
            ("output_error_final", self.output_error_final),
            (
                "prediction_relative_error_before",
                self.prediction_relative_error_before,
            ),
            (
                "prediction_relative_error_final",
                self.prediction_relative_error_final,
            ),
        ])
    }

    fn summary(&self, run: &Run) -> String {
        format!(
            "Fig. 1 ({:?}, {} ms of training): the target appears at t = {} ms; the hidden \
             layer's mean |v_A| rises from {:.1e} to a peak of {:.3} and decays to {:.1e} as \
             W_up learns; the mean output-rate error falls from {:.3} to {:.4}, and the \
             network's own (un-nudged) prediction ends within {:.2} % of the target (it was \
             {:.0} % off).",
            run.sizes,
            run.train_ms,
            run.settle_ms,
            self.apical_before_target,
            self.apical_peak,
            self.apical_final,
            self.output_error_at_onset,
            self.output_error_final,
            100.0 * self.prediction_relative_error_final,
            100.0 * self.prediction_relative_error_before,
        )
    }
}

/// The recorded traces as curves over time.
struct Curves {
    t: Vec<f64>,
    apical: Vec<f64>,
    /// Mean |r_N - r_trgt| per sample.
    output_error: Vec<f64>,
    /// Index of the first sample with the target on.
    onset: usize,
}

impl Curves {
    fn of(run: &Run) -> Self {
        let t: Vec<f64> = run.traces.times().to_vec();
        let (rates, width) = run.traces.get(Probe::OutputRate).expect("recorded");
        let output_error = rates
            .chunks(width)
            .map(|row| {
                row.iter()
                    .zip(&run.target_rates)
                    .map(|(r, g)| f64::from((r - g).abs()))
                    .sum::<f64>()
                    / width as f64
            })
            .collect();
        Self {
            onset: t.iter().position(|&s| s >= run.settle_ms).unwrap_or(0),
            apical: run.traces.column(Probe::MeanAbsApical(1), 0),
            output_error,
            t,
        }
    }
}

/// Runs the experiment of the preset: the input alone, then the target with `W_up` learning.
fn simulate(device: &Device, quick: bool, preset: &str) -> Result<Run, FigureError> {
    let Preset {
        experiment: e,
        model,
    } = parse_preset("fig1", preset)?;
    let mut network = model.network;
    if quick {
        network.sizes = e.quick_sizes.clone();
    }
    let dynamics = model.dynamics;
    let dt = dynamics.dt;
    let phi = network.transfer;
    let (n_in, n_out) = (network.sizes[0], *network.sizes.last().expect("sizes"));

    let mut rng = seeded(e.seed);
    let x = upload(uniform(&mut rng, 1, n_in, 0.0, 1.0), 1, n_in, device);
    let target_rates = uniform(&mut rng, 1, n_out, e.target_low, e.target_high);
    let target = target_potential(phi, upload(target_rates.clone(), 1, n_out, device));

    let mut sim = Simulation::from_config(&network, dynamics, 1, device)?;
    let mut recorder = recorder(e.record_ms, dt);
    let steps = |ms: f64| (ms / dt).round() as usize;
    // The network's own prediction, without the target: the noise-free fixed point.
    let prediction = |sim: &Simulation| -> Result<Vec<f32>, FigureError> {
        Ok(host(phi.rate(sim.settled(&x, None)?.output)))
    };
    sim.run(&x, None, steps(e.settle_ms), Some(&mut recorder))?;
    let predicted_before = prediction(&sim)?;
    let train_ms = if quick { e.quick_train_ms } else { e.train_ms };
    sim.run(&x, Some(&target), steps(train_ms), Some(&mut recorder))?;
    Ok(Run {
        sizes: network.sizes.clone(),
        train_ms,
        settle_ms: e.settle_ms,
        target_rates,
        predicted_before,
        predicted_after: prediction(&sim)?,
        traces: recorder.finish(),
    })
}

pub(super) fn run(device: &Device, quick: bool, preset: &str) -> Result<FigureOutput, FigureError> {
    let run = simulate(device, quick, preset)?;
    let curves = Curves::of(&run);
    let numbers = Numbers::of(&run, &curves);
    Ok(FigureOutput {
        images: None,
        labels: Vec::new(),
        panels: panels(&run, &curves),
        columns: columns(&run, curves),
        summary: numbers.summary(&run),
        numbers: numbers.named(),
    })
}

fn panels(run: &Run, curves: &Curves) -> Vec<LineChart> {
    let (traces, t) = (&run.traces, &curves.t);
    let cells = run.target_rates.len().min(3);
    let mut rate_panel = LineChart::new("Output rates and targets", "time (ms)", "rate");
    for (j, &goal) in run.target_rates.iter().enumerate().take(cells) {
        let target_on = |s: f64| {
            if s >= run.settle_ms {
                f64::from(goal)
            } else {
                f64::NAN
            }
        };
        rate_panel = rate_panel
            .with_series(Series::new(
                format!("r_2[{j}]"),
                points(t, &traces.column(Probe::OutputRate, j)),
            ))
            .with_series(Series::new(
                format!("target[{j}]"),
                t.iter().map(|&s| (s, target_on(s))).collect(),
            ));
    }
    let interneuron = traces.column(Probe::InterneuronRate(1), 0);
    let output0 = traces.column(Probe::OutputRate, 0);
    vec![
        LineChart::new(
            "Apical error of the hidden layer",
            "time (ms)",
            "mean |v_A,1|",
        )
        .with_series(Series::new("mean |v_A|", points(t, &curves.apical))),
        rate_panel,
        LineChart::new("Interneuron tracks its partner", "time (ms)", "rate")
            .with_series(Series::new("output r_2[0]", points(t, &output0)))
            .with_series(Series::new("interneuron r_I[0]", points(t, &interneuron))),
    ]
}

fn columns(run: &Run, curves: Curves) -> Vec<(String, Vec<f64>)> {
    let n = curves.t.len();
    let mut columns = vec![
        ("time_ms".to_string(), curves.t),
        ("mean_abs_apical".to_string(), curves.apical),
        ("mean_abs_output_error".to_string(), curves.output_error),
        (
            "interneuron_rate_0".to_string(),
            run.traces.column(Probe::InterneuronRate(1), 0),
        ),
    ];
    for (j, &goal) in run.target_rates.iter().enumerate() {
        columns.push((
            format!("output_rate_{j}"),
            run.traces.column(Probe::OutputRate, j),
        ));
        columns.push((format!("target_rate_{j}"), vec![f64::from(goal); n]));
    }
    columns
}
