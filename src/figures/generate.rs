//! Generation by disinhibition (issue 14; design in `docs/disinhibition.md`). The output of a
//! microcircuit with learned top-down weights is clamped to each class's target rates, the
//! interneurons' inhibition of the apical dendrites is scaled by the gate `g`, and the
//! top-down pathway settles: starting from a blank input, each iteration settles the network
//! on its current input estimate and replaces that estimate by the reconstruction `r̂_0` of
//! the hidden somatic rates. A backprop classifier, trained by the baselines crate on the same
//! digits, labels the ten images; the figure reports how often that label is the clamped class.

use burn::tensor::{Int, Tensor};
use dendritic::disinhibition::Gates;
use dendritic::random::upload;
use serde::Deserialize;

use super::topdown::{
    PathwayPreset, TopDown, check_seeds_and_gates, half_squared_error, images as host_images,
};
use super::{FigureError, FigureOptions, FigureOutput, parse_preset};
use crate::plot::ImageGrid;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Experiment {
    /// Network seeds; quick mode runs the first only.
    seeds: Vec<u64>,
    /// Gate values `g` compared (every hidden layer).
    gates: Vec<f64>,
    /// The control: settle-and-reconstruct iterations from a blank input at gate
    /// `loop_gate` (see [`settle_loop`]).
    loop_iterations: usize,
    loop_gate: f64,
}

impl Experiment {
    fn check(&self) -> Result<(), FigureError> {
        let gates = self.gates.iter().copied().chain([self.loop_gate]);
        check_seeds_and_gates("generate", &self.seeds, gates)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Preset {
    experiment: Experiment,
    pathway: PathwayPreset,
}

/// The ten imagined images (one per class, `[classes, n_0]`): the output clamped to each
/// class's target rates, no input, every gate at `gate` ([`Microcircuit::imagine`]), and the
/// first hidden layer's rates read out into pixel space by the reconstruction pathway.
///
/// [`Microcircuit::imagine`]: dendritic::Microcircuit::imagine
fn imagine(td: &TopDown, gate: f64) -> Result<Tensor<2>, FigureError> {
    let hidden_layers = td.net.hidden.len();
    let hidden = td
        .net
        .imagine(class_rates(td), &Gates::uniform(hidden_layers, gate))?;
    Ok(td.reconstruction.reconstruct(hidden[0].clone())?)
}

/// What the network perceives in `images`: each settled with no target and every gate at
/// `gate`, `iterations` times replaced by the reconstruction of its hidden rates. Started
/// from a blank input with the output clamped, this was the first design of generation; it
/// collapses to one blurred digit (`docs/disinhibition.md`) and is kept as a control row.
fn settle_loop(td: &TopDown, gate: f64, iterations: usize) -> Result<Tensor<2>, FigureError> {
    let rates = class_rates(td);
    let [classes, _] = rates.dims();
    let n_in = td.net.config().sizes[0];
    let blank = upload(
        vec![0.0; classes * n_in],
        [classes, n_in],
        &rates.device(),
        td.net.config().precision,
    );
    let target = td.net.target_potential(rates);
    let gates = Gates::uniform(td.net.hidden.len(), gate);
    let mut image = blank;
    for _ in 0..iterations.max(1) {
        let state = td
            .net
            .settle_disinhibited(image, Some(target.clone()), &gates)?;
        image = td
            .reconstruction
            .reconstruct(state.hidden[0].rate.clone())?;
    }
    Ok(image)
}

/// The target rates of every class, one row each (`high` on the diagonal), `[classes,
/// classes]` on the network's device.
fn class_rates(td: &TopDown) -> Tensor<2> {
    let classes = *td.net.config().sizes.last().expect("validated sizes");
    let (low, high) = td.targets;
    let rates = (0..classes * classes)
        .map(|i| {
            if i / classes == i % classes {
                high
            } else {
                low
            }
        })
        .collect();
    let device = td.net.hidden[0].w_up.val().device();
    upload(
        rates,
        [classes, classes],
        &device,
        td.net.config().precision,
    )
}

/// How the ten images of a row were made.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Method {
    /// [`imagine`] at this gate.
    Imagine(f64),
    /// The control, [`settle_loop`] at this gate.
    SettleLoop(f64),
}

impl Method {
    fn label(self) -> String {
        match self {
            Self::Imagine(g) => format!("imagined (g = {g})"),
            Self::SettleLoop(g) => format!("settle loop (g = {g})"),
        }
    }

    fn key(self) -> String {
        match self {
            Self::Imagine(g) => format!("imagined_g{g}"),
            Self::SettleLoop(g) => format!("settle_loop_g{g}"),
        }
    }
}

/// One (seed, method): the labels the classifier and the network itself give the ten images.
struct Row {
    seed: u64,
    method: Method,
    classifier: Vec<i64>,
    network: Vec<i64>,
    /// How different the ten images are: the mean over images of `½‖x_c − x̄‖²`, with `x̄`
    /// their mean (0 when every class gives the same picture).
    spread: f64,
}

fn labels(t: Tensor<1, Int>) -> Vec<i64> {
    t.into_data()
        .convert::<i64>()
        .try_into_vec::<i64>()
        .unwrap_or_default()
}

pub(super) fn run(options: &FigureOptions, preset: &str) -> Result<FigureOutput, FigureError> {
    let mut preset: Preset = parse_preset("generate", preset)?;
    if options.quick {
        preset.experiment.seeds.truncate(1);
    }
    let e = &preset.experiment;
    e.check()?;
    let data = preset.pathway.data(options)?;
    let mut rows = Vec::new();
    let mut grid = Vec::new();
    for &seed in &e.seeds {
        let td = preset.pathway.top_down(seed, &data, options)?;
        let classifier = preset.pathway.classifier(seed, &data, options)?;
        for method in methods(e) {
            let images = match method {
                Method::Imagine(g) => imagine(&td, g)?,
                Method::SettleLoop(g) => settle_loop(&td, g, e.loop_iterations)?,
            };
            if seed == e.seeds[0] {
                grid.push((method.label(), host_images(&images, usize::MAX)));
            }
            let mean = images.clone().mean_dim(0);
            rows.push(Row {
                seed,
                method,
                spread: half_squared_error(images.clone(), mean.expand(images.dims())),
                classifier: labels(classifier.classify(images.clone())),
                network: labels(td.net.classify(images)),
            });
        }
    }
    Ok(report(e, rows, grid))
}

/// Every row of the figure: imagery at each gate, then the control.
fn methods(e: &Experiment) -> Vec<Method> {
    e.gates
        .iter()
        .map(|&g| Method::Imagine(g))
        .chain([Method::SettleLoop(e.loop_gate)])
        .collect()
}

/// Fraction of images labelled as their clamped class (image `c` is class `c`).
fn hit_rate(rows: &[&Row], labels: fn(&Row) -> &Vec<i64>) -> f64 {
    let (mut hits, mut total) = (0, 0);
    for row in rows {
        for (class, &label) in labels(row).iter().enumerate() {
            hits += usize::from(label == class as i64);
            total += 1;
        }
    }
    hits as f64 / total.max(1) as f64
}

fn report(e: &Experiment, rows: Vec<Row>, grid: Vec<(String, Vec<Vec<f32>>)>) -> FigureOutput {
    let mut numbers = Vec::new();
    let mut summary = format!(
        "Generation by disinhibition: the output clamped to each class, no input, {} seeds; \
         share of the images a BP classifier labels as the clamped class",
        e.seeds.len()
    );
    for method in methods(e) {
        let of_method: Vec<&Row> = rows.iter().filter(|r| r.method == method).collect();
        let by_classifier = hit_rate(&of_method, |r| &r.classifier);
        let by_network = hit_rate(&of_method, |r| &r.network);
        let key = method.key();
        numbers.push((format!("{key}_classifier_agreement"), by_classifier));
        numbers.push((format!("{key}_network_agreement"), by_network));
        let spread =
            of_method.iter().map(|r| r.spread).sum::<f64>() / of_method.len().max(1) as f64;
        numbers.push((format!("{key}_class_spread"), spread));
        summary += &format!(
            "; {}: {:.0} % (the network itself: {:.0} %)",
            method.label(),
            100.0 * by_classifier,
            100.0 * by_network
        );
    }
    let mut seed = Vec::new();
    let mut method: Vec<String> = Vec::new();
    let mut class = Vec::new();
    let mut classifier = Vec::new();
    let mut network = Vec::new();
    for row in &rows {
        for (c, (&bp, &net)) in row.classifier.iter().zip(&row.network).enumerate() {
            seed.push(row.seed as f64);
            method.push(row.method.label());
            class.push(c as f64);
            classifier.push(bp as f64);
            network.push(net as f64);
        }
    }
    FigureOutput {
        panels: Vec::new(),
        images: Some(ImageGrid {
            width: 28,
            height: 28,
            rows: grid,
        }),
        labels: vec![("method".into(), method)],
        columns: vec![
            ("seed".into(), seed),
            ("clamped_class".into(), class),
            ("classifier_label".into(), classifier),
            ("network_label".into(), network),
        ],
        summary,
        numbers,
    }
}
