//! What the two disinhibition figures (`denoise`, `generate`) share: a microcircuit with
//! learned top-down weights trained on MNIST, the input-reconstruction pathway trained on its
//! hidden rates, and a backprop classifier to rate pictures with. Networks are trained into
//! run directories under the figure's output folder (`runs/<learner>/seed<k>`, the layout of
//! `train` and `compare`), so a second call reuses them and `eval` reads them.

use std::rc::Rc;

use baselines::{DendriticLearner, Learner};
use burn::tensor::{Int, Tensor};
use dendritic::Microcircuit;
use dendritic::disinhibition::Gates;
use dendritic::reconstruction::{Reconstruction, ReconstructionConfig};
use serde::Deserialize;

use super::{FigureError, FigureOptions};
use crate::data::mnist::permutation;
use crate::experiment::presets::run_preset;
use crate::experiment::task::TaskData;
use crate::experiment::{LearnerSpec, RunConfig, RunDir, train_or_reuse};

/// The `[pathway]` section of the denoise and generate presets.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PathwayPreset {
    /// Run preset of the microcircuit (one whose `W_down` learns by Eq. 10).
    network: String,
    /// Its training epochs (`quick_network_epochs` in quick mode).
    network_epochs: usize,
    quick_network_epochs: usize,
    /// Run preset of the backprop classifier that rates generated images, and its epochs.
    classifier: String,
    classifier_epochs: usize,
    /// Training images used in quick mode (all 55,000 otherwise).
    quick_limit: usize,
    /// The reconstruction's rate `η_rec`, initial scale, passes over the training images and
    /// batch size (`quick_reconstruction_epochs` in quick mode).
    reconstruction_eta: f64,
    reconstruction_init_scale: f64,
    reconstruction_epochs: usize,
    quick_reconstruction_epochs: usize,
    reconstruction_batch: usize,
}

/// A trained microcircuit with its reconstruction pathway, for one seed.
pub(super) struct TopDown {
    pub net: Microcircuit,
    pub reconstruction: Reconstruction,
    /// Target rates (low, high) the network was trained with.
    pub targets: (f64, f64),
    /// Reconstruction loss `½‖r_0 − r̂_0‖²` on the training images, per pass.
    pub reconstruction_loss: Vec<f64>,
}

impl PathwayPreset {
    fn run_config(
        &self,
        preset: &str,
        epochs: usize,
        seed: u64,
        options: &FigureOptions,
    ) -> Result<RunConfig, FigureError> {
        let mut config = run_preset(preset)?;
        config.task = config
            .task
            .clone()
            .with_data_dir(options.data_dir.as_deref());
        config.seed = seed;
        config.epochs = epochs;
        if options.quick {
            config.limit = Some(self.quick_limit);
        }
        config.check()?;
        Ok(config)
    }

    /// MNIST as the network's preset loads it (quick mode: the first `quick_limit` images).
    pub fn data(&self, options: &FigureOptions) -> Result<Rc<TaskData>, FigureError> {
        let config = self.run_config(&self.network, 1, 1, options)?;
        Ok(Rc::new(config.load_data(options.device)?))
    }

    /// The microcircuit of `seed`, trained (or reused) in `out/runs/<name>/seed<seed>`, and
    /// its reconstruction pathway trained on the training images.
    pub fn top_down(
        &self,
        seed: u64,
        data: &Rc<TaskData>,
        options: &FigureOptions,
    ) -> Result<TopDown, FigureError> {
        let epochs = if options.quick {
            self.quick_network_epochs
        } else {
            self.network_epochs
        };
        let config = self.run_config(&self.network, epochs, seed, options)?;
        let LearnerSpec::Dendritic(network) = &config.learner else {
            return Err(FigureError::Preset {
                name: "pathway",
                message: format!("'{}' is not a microcircuit preset", self.network),
            });
        };
        let mut learner = DendriticLearner::new(network.init(options.device)?, &config.name);
        trained(&config, &mut learner, data, options)?;
        let net = learner.net;
        let (reconstruction, reconstruction_loss) =
            self.train_reconstruction(&net, seed, data, options)?;
        Ok(TopDown {
            net,
            reconstruction,
            targets: (config.target_low, config.target_high),
            reconstruction_loss,
        })
    }

    /// The backprop classifier of `seed`, trained (or reused) like the network.
    pub fn classifier(
        &self,
        seed: u64,
        data: &Rc<TaskData>,
        options: &FigureOptions,
    ) -> Result<Box<dyn Learner>, FigureError> {
        let config = self.run_config(&self.classifier, self.classifier_epochs, seed, options)?;
        let mut learner = config.learner.build(&config.name, options.device)?;
        trained(&config, learner.as_mut(), data, options)?;
        Ok(learner)
    }

    /// Eq. 10's rule one level down on the hidden somatic rates of the settled network (no
    /// target, gates open): `reconstruction_epochs` passes over the training images.
    fn train_reconstruction(
        &self,
        net: &Microcircuit,
        seed: u64,
        data: &TaskData,
        options: &FigureOptions,
    ) -> Result<(Reconstruction, Vec<f64>), FigureError> {
        let sizes = &net.config().sizes;
        let mut reconstruction = ReconstructionConfig::new(sizes[0], sizes[1])
            .with_eta(self.reconstruction_eta)
            .with_init_scale(self.reconstruction_init_scale)
            .with_seed(seed)
            .with_precision(net.config().precision)
            .init(options.device)?;
        let epochs = if options.quick {
            self.quick_reconstruction_epochs
        } else {
            self.reconstruction_epochs
        };
        let inputs = &data.train.inputs;
        let batch = self.reconstruction_batch.max(1);
        let batches = inputs.dims()[0] / batch;
        let mut losses = Vec::with_capacity(epochs);
        for epoch in 0..epochs {
            let order = permutation(inputs.dims()[0], seed * 1000 + epoch as u64, options.device);
            let mut total = Tensor::<1>::zeros([1], options.device);
            for b in 0..batches {
                let idx = order.clone().slice(b * batch..(b + 1) * batch);
                let x = inputs.clone().select(0, idx);
                let r_1 = hidden_rate(net, x.clone(), 1.0)?;
                total = total + reconstruction.learn(r_1, x)?;
            }
            losses.push(total.into_scalar::<f64>() / batches.max(1) as f64);
        }
        Ok((reconstruction, losses))
    }
}

/// What both disinhibition presets must hold: at least one seed, every gate in `[0, 1]`.
pub(super) fn check_seeds_and_gates(
    figure: &'static str,
    seeds: &[u64],
    gates: impl IntoIterator<Item = f64>,
) -> Result<(), FigureError> {
    let bad = |message: String| FigureError::Preset {
        name: figure,
        message,
    };
    if seeds.is_empty() {
        return Err(bad("`seeds` is empty".into()));
    }
    match gates.into_iter().find(|g| !(0.0..=1.0).contains(g)) {
        Some(g) => Err(bad(format!("gate {g} is not in [0, 1]"))),
        None => Ok(()),
    }
}

/// Trains `config` into `learner` (or reuses its finished run) in the figure's output folder.
fn trained(
    config: &RunConfig,
    learner: &mut dyn Learner,
    data: &Rc<TaskData>,
    options: &FigureOptions,
) -> Result<(), FigureError> {
    let dir = RunDir::of_seed(&options.out, &config.name, config.seed);
    let summary = train_or_reuse(
        config,
        &dir,
        || Ok(Rc::clone(data)),
        options.device,
        options.progress,
    )?;
    dir.restore(learner, summary.epochs.len())?;
    Ok(())
}

/// Somatic rates of hidden layer 1 after settling `input` with no target and every gate at
/// `gate`.
pub(super) fn hidden_rate(
    net: &Microcircuit,
    input: Tensor<2>,
    gate: f64,
) -> Result<Tensor<2>, FigureError> {
    let gates = Gates::uniform(net.config().sizes.len() - 2, gate);
    let state = net.settle_disinhibited(input, None, &gates)?;
    Ok(state.hidden[0].rate.clone())
}

/// Fraction of `predicted` rows whose most active unit is the label.
pub(super) fn accuracy(predicted: Tensor<2>, labels: &Tensor<1, Int>) -> f64 {
    let n = labels.dims()[0].max(1);
    let hits = predicted
        .argmax(1)
        .squeeze_dim::<1>(1)
        .equal(labels.clone())
        .int()
        .sum()
        .into_scalar::<i64>();
    hits as f64 / n as f64
}

/// The first `n` rows of `t` (`[images, pixels]`) on the host, one image each.
pub(super) fn images(t: &Tensor<2>, n: usize) -> Vec<Vec<f32>> {
    let [rows, pixels] = t.dims();
    let values = super::host(t.clone().slice(0..n.min(rows)));
    values.chunks(pixels.max(1)).map(<[f32]>::to_vec).collect()
}

/// Mean over images of `½‖a − b‖²`.
pub(super) fn half_squared_error(a: Tensor<2>, b: Tensor<2>) -> f64 {
    let n = a.dims()[0].max(1) as f64;
    (a - b).square().sum().into_scalar::<f64>() * 0.5 / n
}
