//! Fig. S1: from random weights and with no target, the interneuron synapses `W_IP` (Eq. 8)
//! and `W_PI` (Eq. 9) learn the self-predicting state: interneurons come to mimic their
//! partner cells one layer up, the lateral input cancels the top-down input, and the apical
//! potentials fall by orders of magnitude.

use burn::tensor::Device;
use dendritic::continuous::{Probe, Simulation, Traces};
use serde::Deserialize;

use super::{
    FigureError, FigureOutput, Model, parse_preset, points, recorder, seeded, uniform, upload,
};
use crate::plot::{LineChart, Series};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Experiment {
    /// Seed of the input patterns.
    seed: u64,
    /// Patterns presented (`t_pattern` each); `quick_patterns` in quick mode.
    patterns: usize,
    quick_patterns: usize,
    /// Independent input streams sharing the weights (each weight change is their mean).
    batch: usize,
    /// Recording resolution (ms).
    record_ms: f64,
    /// Input rates are drawn from U(low, high).
    input_low: f64,
    input_high: f64,
}

#[derive(Debug, Deserialize)]
struct Preset {
    experiment: Experiment,
    #[serde(flatten)]
    model: Model,
}

/// Mean of each consecutive block of `size` values.
fn block_means(values: &[f64], size: usize) -> Vec<f64> {
    values
        .chunks(size.max(1))
        .map(|c| c.iter().sum::<f64>() / c.len() as f64)
        .collect()
}

/// What the simulation recorded.
struct Run {
    sizes: Vec<usize>,
    streams: usize,
    patterns: usize,
    t_pattern: f64,
    traces: Traces,
}

/// Per-pattern curves.
struct Curves {
    time_s: Vec<f64>,
    /// Mean |v_A,1| per pattern.
    apical: Vec<f64>,
    /// Mean |r_I - r_2| per pattern.
    mismatch: Vec<f64>,
}

impl Curves {
    fn of(run: &Run) -> Self {
        let traces = &run.traces;
        let per_pattern = traces.times().len() / run.patterns;
        let apical = block_means(&traces.column(Probe::MeanAbsApical(1), 0), per_pattern);
        let (out, width) = traces.get(Probe::OutputRate).expect("recorded");
        let (inter, _) = traces.get(Probe::InterneuronRate(1)).expect("recorded");
        let mismatch_samples: Vec<f64> = out
            .chunks(width)
            .zip(inter.chunks(width))
            .map(|(o, i)| {
                o.iter()
                    .zip(i)
                    .map(|(a, b)| f64::from((a - b).abs()))
                    .sum::<f64>()
                    / width as f64
            })
            .collect();
        Self {
            time_s: (1..=apical.len())
                .map(|p| p as f64 * run.t_pattern / 1000.0)
                .collect(),
            apical,
            mismatch: block_means(&mismatch_samples, per_pattern),
        }
    }
}

/// The figure's key numbers.
struct Numbers {
    apical_first_pattern: f64,
    apical_last_pattern: f64,
    interneuron_mismatch_first: f64,
    interneuron_mismatch_last: f64,
}

impl Numbers {
    fn of(curves: &Curves) -> Self {
        let first = curves.apical[0];
        Self {
            apical_first_pattern: first,
            apical_last_pattern: *curves.apical.last().unwrap_or(&first),
            interneuron_mismatch_first: curves.mismatch[0],
            interneuron_mismatch_last: *curves.mismatch.last().unwrap_or(&0.0),
        }
    }

    fn apical_drop(&self) -> f64 {
        self.apical_first_pattern / self.apical_last_pattern
    }

    fn named(&self) -> Vec<(String, f64)> {
        super::named(&[
            ("apical_first_pattern", self.apical_first_pattern),
            ("apical_last_pattern", self.apical_last_pattern),
            ("apical_drop", self.apical_drop()),
            (
                "interneuron_mismatch_first",
                self.interneuron_mismatch_first,
            ),
            ("interneuron_mismatch_last", self.interneuron_mismatch_last),
        ])
    }

    fn summary(&self, run: &Run) -> String {
        format!(
            "Fig. S1 ({:?}, {} streams x {} patterns of {} ms, no target, only W_IP and W_PI \
             plastic): from random weights the mean |v_A| per pattern falls from {:.3} to \
             {:.2e} ({:.0}x) while the mean |r_I - r_2| between interneurons and their partner \
             output cells falls from {:.3} to {:.2e}: the self-predicting state emerges.",
            run.sizes,
            run.streams,
            run.patterns,
            run.t_pattern,
            self.apical_first_pattern,
            self.apical_last_pattern,
            self.apical_drop(),
            self.interneuron_mismatch_first,
            self.interneuron_mismatch_last,
        )
    }
}

/// Presents the preset's random patterns to the network with only W_IP and W_PI learning.
fn simulate(device: &Device, quick: bool, preset: &str) -> Result<Run, FigureError> {
    let Preset {
        experiment: e,
        model,
    } = parse_preset("figS1", preset)?;
    let network = model.network;
    let dynamics = model.dynamics;
    let n_in = network.sizes[0];
    let n_patterns = if quick { e.quick_patterns } else { e.patterns };
    let t_pattern = dynamics.t_pattern;
    let mut recorder = recorder(e.record_ms, dynamics.dt);

    let mut sim = Simulation::from_config(&network, dynamics, e.batch, device)?;
    let mut rng = seeded(e.seed);
    let patterns: Vec<_> = (0..n_patterns)
        .map(|_| {
            let x = uniform(&mut rng, e.batch, n_in, e.input_low, e.input_high);
            (upload(x, e.batch, n_in, device), None)
        })
        .collect();
    sim.present(patterns, Some(&mut recorder))?;
    Ok(Run {
        sizes: network.sizes.clone(),
        streams: e.batch,
        patterns: n_patterns,
        t_pattern,
        traces: recorder.finish(),
    })
}

pub(super) fn run(device: &Device, quick: bool, preset: &str) -> Result<FigureOutput, FigureError> {
    let run = simulate(device, quick, preset)?;
    let curves = Curves::of(&run);
    let numbers = Numbers::of(&curves);
    let panels = vec![
        LineChart::new(
            "Apical potentials fall silent",
            "time (s)",
            "mean |v_A,1| per pattern",
        )
        .with_series(Series::new(
            "mean |v_A|",
            points(&curves.time_s, &curves.apical),
        ))
        .log_y(),
        LineChart::new(
            "Interneurons learn to mimic the output cells",
            "time (s)",
            "mean |r_I - r_2|",
        )
        .with_series(Series::new(
            "mean |r_I - r_2|",
            points(&curves.time_s, &curves.mismatch),
        ))
        .log_y(),
    ];
    Ok(FigureOutput {
        images: None,
        labels: Vec::new(),
        panels,
        summary: numbers.summary(&run),
        numbers: numbers.named(),
        columns: vec![
            ("time_s".to_string(), curves.time_s),
            ("mean_abs_apical".to_string(), curves.apical),
            ("mean_abs_interneuron_mismatch".to_string(), curves.mismatch),
        ],
    })
}
