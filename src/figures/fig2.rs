//! Fig. 2: online nonlinear regression (paper section 3.3). A 30-50-10 student (10
//! interneurons, soft-ReLU, fixed random top-down weights, noise on, random start) learns
//! the 30-20-10 teacher `r_trgt = φ(k_21 W_21 φ(k_10 W_10 r_0))`; its noise-free test
//! error is compared with a shallow learner (only the output weights learn), and the angle
//! between `W_up_2ᵀ` and the fixed `W_down_1` falls (feedback alignment).

use burn::module::Param;
use burn::tensor::{Device, Tensor};
use dendritic::continuous::Simulation;
use dendritic::diagnostics::angle_degrees;
use dendritic::{MicrocircuitConfig, Transfer};
use serde::Deserialize;

use super::{
    FigureError, FigureOutput, Model, parse_preset, points, seeded, target_potential, uniform,
    upload,
};
use crate::plot::{LineChart, Series};

/// The smallest target rate turned into a somatic target potential.
const MIN_TARGET_RATE: f64 = 1e-3;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Experiment {
    /// Seed of the teacher, the training stream and the test set.
    seed: u64,
    /// Teacher layer sizes (30-20-10) and its gains `k_10`, `k_21`.
    teacher_sizes: Vec<usize>,
    k_10: f64,
    k_21: f64,
    /// Presentations (`t_pattern` each) per stream; `quick_patterns` in quick mode.
    patterns: usize,
    quick_patterns: usize,
    /// Independent input streams simulated side by side, sharing the weights (each weight
    /// change is the batch mean): `batch × patterns` teaching examples in all.
    batch: usize,
    /// `W_up_2` is drawn as the network's `init_scale_up` says, then multiplied by this.
    output_init_scale: f64,
    /// Held-out test patterns, evaluated noise-free every `eval_every` training patterns.
    test_patterns: usize,
    eval_every: usize,
    /// Smoothing factor of the exponential moving average of the test error.
    ema: f64,
}

#[derive(Debug, Deserialize)]
struct Preset {
    experiment: Experiment,
    #[serde(flatten)]
    model: Model,
}

/// The teacher network: fixed U(-1, 1) weights, rates `φ(k W r)`.
struct Teacher {
    w_10: Tensor<2>,
    w_21: Tensor<2>,
    k_10: f64,
    k_21: f64,
    phi: Transfer,
}

impl Teacher {
    fn rates(&self, input: Tensor<2>) -> Tensor<2> {
        let hidden = self
            .phi
            .rate(input.matmul(self.w_10.clone()).mul_scalar(self.k_10));
        self.phi
            .rate(hidden.matmul(self.w_21.clone()).mul_scalar(self.k_21))
    }
}

/// One learner's curves.
struct Curves {
    test_error: Vec<f64>,
    angle: Vec<f64>,
}

/// Mean over the test set of the noise-free `‖r_2 - r_trgt‖²`.
fn test_error(
    sim: &Simulation,
    phi: Transfer,
    inputs: &Tensor<2>,
    targets: &Tensor<2>,
) -> Result<f64, FigureError> {
    let settled = sim.settled(inputs, None)?;
    let sse = (phi.rate(settled.output) - targets.clone())
        .square()
        .sum_dim(1)
        .mean();
    Ok(sse.into_scalar::<f64>())
}

/// The teaching stream and the test set both learners see.
struct Task {
    /// `(input, target potential)` of each presentation, `[batch, n]` each.
    stream: Vec<(Tensor<2>, Tensor<2>)>,
    test_inputs: Tensor<2>,
    test_targets: Tensor<2>,
    /// Presentations between two evaluations.
    eval_every: usize,
    /// Streams side by side.
    batch: usize,
    /// Factor on the drawn `W_up_2`.
    output_init_scale: f64,
}

/// Trains `network` on the task's stream, evaluating every `eval_every` presentations.
fn train(
    network: &MicrocircuitConfig,
    model: &Model,
    task: &Task,
    device: &Device,
) -> Result<Curves, FigureError> {
    let phi = network.transfer;
    let mut net = network.init(device)?;
    let w_up_2 = net.output.w_up.val().mul_scalar(task.output_init_scale);
    net.output.w_up = Param::initialized(net.output.w_up.id, w_up_2);
    let mut sim = Simulation::new(net, model.dynamics.clone(), task.batch)?;
    let steps = sim.config().steps_per_pattern();
    let evaluate = |sim: &Simulation| test_error(sim, phi, &task.test_inputs, &task.test_targets);
    let alignment = |sim: &Simulation| {
        let w = sim.weights();
        angle_degrees(
            w.hidden[0].w_down.clone(),
            w.output.w_up.clone().transpose(),
        )
    };
    let mut curves = Curves {
        test_error: vec![evaluate(&sim)?],
        angle: vec![alignment(&sim)],
    };
    for (i, (x, u_trgt)) in task.stream.iter().enumerate() {
        sim.run(x, Some(u_trgt), steps, None)?;
        if (i + 1) % task.eval_every == 0 {
            curves.test_error.push(evaluate(&sim)?);
            curves.angle.push(alignment(&sim));
        }
    }
    Ok(curves)
}

/// The figure's key numbers.
struct Numbers {
    test_error_initial: f64,
    /// Final EMA of the microcircuit's and the shallow learner's test error.
    test_error_final: f64,
    shallow_test_error_final: f64,
    angle_initial: f64,
    angle_final: f64,
    angle_min: f64,
    /// The error of the best constant output (the mean test target).
    test_error_mean_predictor: f64,
}

impl Numbers {
    fn named(&self) -> Vec<(String, f64)> {
        super::named(&[
            ("test_error_initial", self.test_error_initial),
            ("test_error_final", self.test_error_final),
            ("shallow_test_error_final", self.shallow_test_error_final),
            ("angle_initial", self.angle_initial),
            ("angle_final", self.angle_final),
            ("angle_min", self.angle_min),
            ("test_error_mean_predictor", self.test_error_mean_predictor),
        ])
    }
}

fn ema(values: &[f64], alpha: f64) -> Vec<f64> {
    let mut state = values.first().copied().unwrap_or(0.0);
    values
        .iter()
        .map(|&v| {
            state += alpha * (v - state);
            state
        })
        .collect()
}

pub(super) fn run(device: &Device, quick: bool, preset: &str) -> Result<FigureOutput, FigureError> {
    let preset: Preset = parse_preset("fig2", preset)?;
    let e = preset.experiment;
    let model = preset.model;
    let network = model.network.clone();
    let phi = network.transfer;
    let n_in = network.sizes[0];
    let ts = &e.teacher_sizes;

    let mut rng = seeded(e.seed);
    let teacher = Teacher {
        w_10: upload(
            uniform(&mut rng, ts[0], ts[1], -1.0, 1.0),
            ts[0],
            ts[1],
            device,
        ),
        w_21: upload(
            uniform(&mut rng, ts[1], ts[2], -1.0, 1.0),
            ts[1],
            ts[2],
            device,
        ),
        k_10: e.k_10,
        k_21: e.k_21,
        phi,
    };
    let test_inputs = upload(
        uniform(&mut rng, e.test_patterns, n_in, -1.0, 1.0),
        e.test_patterns,
        n_in,
        device,
    );
    let test_targets = teacher.rates(test_inputs.clone());
    let n_patterns = if quick { e.quick_patterns } else { e.patterns };
    let stream: Vec<(Tensor<2>, Tensor<2>)> = (0..n_patterns)
        .map(|_| {
            let x = upload(
                uniform(&mut rng, e.batch, n_in, -1.0, 1.0),
                e.batch,
                n_in,
                device,
            );
            // Floor the rates before φ⁻¹: a silent teacher cell (rate ~1e-10) has no finite
            // soft-ReLU potential in f32.
            let target = target_potential(phi, teacher.rates(x.clone()).clamp_min(MIN_TARGET_RATE));
            (x, target)
        })
        .collect();

    // The shallow learner: same network, only the hidden-to-output weights learn.
    let mut shallow_network = network.clone();
    let eta_up_2 = network
        .eta_up
        .get(1)
        .or(network.eta_up.first())
        .copied()
        .unwrap_or(0.0);
    shallow_network.eta_up = vec![0.0, eta_up_2];
    let eval_every = if quick {
        e.eval_every.min(n_patterns.max(1))
    } else {
        e.eval_every
    };
    let task = Task {
        stream,
        test_inputs,
        test_targets,
        eval_every,
        batch: e.batch,
        output_init_scale: e.output_init_scale,
    };
    let run = |net: &MicrocircuitConfig| train(net, &model, &task, device);
    let (full, shallow) = std::thread::scope(|s| {
        let full = s.spawn(|| run(&network));
        let shallow = run(&shallow_network);
        (full.join().expect("training thread"), shallow)
    });
    let (full, shallow) = (full?, shallow?);

    let x: Vec<f64> = (0..full.test_error.len())
        .map(|i| (i * eval_every * e.batch) as f64)
        .collect();
    let full_ema = ema(&full.test_error, e.ema);
    let shallow_ema = ema(&shallow.test_error, e.ema);
    let last = |v: &[f64]| *v.last().unwrap_or(&f64::NAN);
    // The error of the best constant output (the mean test target): what learning only the
    // mean rate of each output cell reaches.
    let targets = &task.test_targets;
    let mean_predictor = (targets.clone() - targets.clone().mean_dim(0))
        .square()
        .sum_dim(1)
        .mean()
        .into_scalar::<f64>();
    let numbers = Numbers {
        test_error_initial: full.test_error[0],
        test_error_final: last(&full_ema),
        shallow_test_error_final: last(&shallow_ema),
        angle_initial: full.angle[0],
        angle_final: last(&full.angle),
        angle_min: full.angle.iter().copied().fold(f64::INFINITY, f64::min),
        test_error_mean_predictor: mean_predictor,
    };
    let summary = format!(
        "Fig. 2 ({:?} student of a {:?} teacher, {} streams x {} patterns of {} ms online, \
         σ = {}): the \
         noise-free test error (mean ‖r_2 - r_trgt‖² over {} unseen patterns, EMA) falls \
         from {:.4} to {:.4}, against {:.4} for the shallow learner that trains only W_up_2; \
         the angle between W_up_2ᵀ and the fixed random W_down_1 goes from {:.1}° to {:.1}°. \
         (Predicting the mean target scores {:.4}.)",
        network.sizes,
        ts,
        e.batch,
        n_patterns,
        model.dynamics.t_pattern,
        model.dynamics.sigma,
        e.test_patterns,
        numbers.test_error_initial,
        numbers.test_error_final,
        numbers.shallow_test_error_final,
        numbers.angle_initial,
        numbers.angle_final,
        numbers.test_error_mean_predictor,
    );
    let panels = vec![
        LineChart::new(
            "Test error (noise-free, EMA)",
            "training patterns",
            "‖r_2 - r_trgt‖²",
        )
        .with_series(Series::new("microcircuit", points(&x, &full_ema)))
        .with_series(Series::new("shallow learner", points(&x, &shallow_ema)))
        .with_series(Series::new(
            "mean target (constant output)",
            x.iter().map(|&p| (p, mean_predictor)).collect(),
        )),
        LineChart::new(
            "Feedback alignment",
            "training patterns",
            "∠(W_up_2ᵀ, W_down_1) (°)",
        )
        .with_series(Series::new("angle", points(&x, &full.angle))),
    ];
    let columns = vec![
        ("patterns".to_string(), x),
        ("test_error".to_string(), full.test_error),
        ("test_error_ema".to_string(), full_ema),
        ("shallow_test_error".to_string(), shallow.test_error),
        ("shallow_test_error_ema".to_string(), shallow_ema),
        ("angle_deg".to_string(), full.angle),
    ];
    Ok(FigureOutput {
        images: None,
        labels: Vec::new(),
        panels,
        columns,
        summary,
        numbers: numbers.named(),
    })
}
