//! Fig. 1: a self-predicting network (1 hidden layer) meets a new target. The output is
//! nudged, the interneurons no longer cancel the top-down input, an apical error appears in
//! the hidden layer; `W_up` learns until the network predicts the target by itself and the
//! apical compartments fall silent again.

use burn::tensor::Device;
use dendritic::continuous::{Probe, Simulation};
use serde::Deserialize;

use super::{
    FigureError, FigureOutput, Model, host, parse_preset, points, recorder, seeded,
    target_potential, uniform, upload,
};
use crate::plot::{LineChart, Series};

const PRESET: &str = include_str!("../../presets/figures/fig1.toml");

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

pub(super) fn run(device: &Device, quick: bool) -> Result<FigureOutput, FigureError> {
    let Preset {
        experiment: e,
        model,
    } = parse_preset("fig1", PRESET)?;
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
    sim.run(&x, None, steps(e.settle_ms), Some(&mut recorder))?;
    let before = host(sim.settled(&x, None)?.output);
    let train_ms = if quick { e.quick_train_ms } else { e.train_ms };
    sim.run(&x, Some(&target), steps(train_ms), Some(&mut recorder))?;
    // The network's own prediction, without the target: the noise-free fixed point.
    let free = sim.settled(&x, None)?;
    let predicted: Vec<f32> = host(phi.rate(free.output));
    let before: Vec<f32> = host(phi.rate(upload(before, 1, n_out, device)));
    let traces = recorder.finish();

    let t: Vec<f64> = traces.times().to_vec();
    let apical = traces.column(Probe::MeanAbsApical(1), 0);
    let (rates, width) = traces.get(Probe::OutputRate).expect("recorded");
    let output_error: Vec<f64> = rates
        .chunks(width)
        .map(|row| {
            row.iter()
                .zip(&target_rates)
                .map(|(r, g)| f64::from((r - g).abs()))
                .sum::<f64>()
                / width as f64
        })
        .collect();
    let relative = |rates: &[f32]| {
        rates
            .iter()
            .zip(&target_rates)
            .map(|(r, g)| f64::from((r - g).abs() / g))
            .fold(0.0, f64::max)
    };
    let onset = t.iter().position(|&s| s >= e.settle_ms).unwrap_or(0);
    let apical_peak = apical[onset..].iter().copied().fold(0.0, f64::max);
    let apical_final = *apical.last().unwrap_or(&0.0);
    let numbers = vec![
        (
            "apical_before_target".to_string(),
            apical[..onset.max(1)].iter().copied().fold(0.0, f64::max),
        ),
        ("apical_peak".to_string(), apical_peak),
        ("apical_final".to_string(), apical_final),
        ("output_error_at_onset".to_string(), output_error[onset]),
        (
            "output_error_final".to_string(),
            *output_error.last().unwrap_or(&0.0),
        ),
        (
            "prediction_relative_error_before".to_string(),
            relative(&before),
        ),
        (
            "prediction_relative_error_final".to_string(),
            relative(&predicted),
        ),
    ];
    let summary = format!(
        "Fig. 1 ({:?}, {} ms of training): the target appears at t = {} ms; the hidden \
         layer's mean |v_A| rises from {:.1e} to a peak of {:.3} and decays to {:.1e} as W_up \
         learns; the mean output-rate error falls from {:.3} to {:.4}, and the network's own \
         (un-nudged) prediction ends within {:.2} % of the target (it was {:.0} % off).",
        network.sizes,
        train_ms,
        e.settle_ms,
        numbers[0].1,
        apical_peak,
        apical_final,
        output_error[onset],
        numbers[4].1,
        100.0 * numbers[6].1,
        100.0 * numbers[5].1,
    );

    let cells = width.min(3);
    let mut rate_panel = LineChart::new("Output rates and targets", "time (ms)", "rate");
    for (j, &goal) in target_rates.iter().enumerate().take(cells) {
        rate_panel = rate_panel
            .with_series(Series::new(
                format!("r_2[{j}]"),
                points(&t, &traces.column(Probe::OutputRate, j)),
            ))
            .with_series(Series::new(
                format!("target[{j}]"),
                t.iter()
                    .map(|&s| {
                        (
                            s,
                            if s >= e.settle_ms {
                                f64::from(goal)
                            } else {
                                f64::NAN
                            },
                        )
                    })
                    .collect(),
            ));
    }
    let interneuron = traces.column(Probe::InterneuronRate(1), 0);
    let output0 = traces.column(Probe::OutputRate, 0);
    let panels = vec![
        LineChart::new(
            "Apical error of the hidden layer",
            "time (ms)",
            "mean |v_A,1|",
        )
        .with_series(Series::new("mean |v_A|", points(&t, &apical))),
        rate_panel,
        LineChart::new("Interneuron tracks its partner", "time (ms)", "rate")
            .with_series(Series::new("output r_2[0]", points(&t, &output0)))
            .with_series(Series::new("interneuron r_I[0]", points(&t, &interneuron))),
    ];
    let mut columns = vec![
        ("time_ms".to_string(), t.clone()),
        ("mean_abs_apical".to_string(), apical),
        ("mean_abs_output_error".to_string(), output_error),
        ("interneuron_rate_0".to_string(), interneuron),
    ];
    for (j, &goal) in target_rates.iter().enumerate().take(width) {
        columns.push((
            format!("output_rate_{j}"),
            traces.column(Probe::OutputRate, j),
        ));
        columns.push((format!("target_rate_{j}"), vec![f64::from(goal); t.len()]));
    }
    Ok(FigureOutput {
        panels,
        columns,
        summary,
        numbers,
    })
}
