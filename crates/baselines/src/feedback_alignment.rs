//! Feedback alignment (Lillicrap et al. 2016), direct feedback alignment (Nøkland 2016) and the
//! shallow learner: the error reaches hidden layers through fixed random matrices (or not at
//! all), and every update is computed explicitly, without autodiff.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};
use dendritic::random::WeightSampler;
use serde::{Deserialize, Serialize};

use crate::checkpoint::{load_module, save_module};
use crate::learner::{Checkpoint, Diagnose, FeedbackPair, Learner, StepStats, check_batch, timed};
use crate::mlp::{LayerGradient, Mlp, NetConfig};
use crate::objective::Objective;
use crate::optimizer::{Optimizer, OptimizerConfig};

/// How the output error reaches the hidden layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackRule {
    /// FA: `δ_l = (δ_{l+1} B_{l+1}) ⊙ φ'(u_l)`, `B_{l+1}` fixed random `[n_{l+1}, n_l]` (the
    /// shape of `W_{l+1}ᵀ`).
    Fa,
    /// DFA: `δ_l = (δ_N B_l) ⊙ φ'(u_l)`, `B_l` fixed random `[n_N, n_l]`.
    Dfa,
    /// Only the output layer learns; hidden layers keep their random weights.
    Shallow,
}

/// A network trained by a feedback-alignment rule.
#[derive(Config, Debug, PartialEq)]
pub struct FeedbackConfig {
    /// The network.
    pub net: NetConfig,
    /// FA, DFA or shallow.
    pub rule: FeedbackRule,
    /// Optimiser and learning rate.
    #[config(default = "OptimizerConfig::new()")]
    pub optim: OptimizerConfig,
    /// Feedback entries are U(-s, s) with `s = feedback_scale / sqrt(fan_in)` of the forward
    /// matrix they replace.
    #[config(default = 1.0)]
    pub feedback_scale: f64,
}

/// Forward weights and fixed feedback matrices.
#[derive(Module, Debug)]
pub struct FeedbackNet {
    /// The forward network.
    pub forward: Mlp,
    /// FA: `B_2..B_N` (`[n_l, n_{l-1}]`); DFA: `B_1..B_{N-1}` (`[n_N, n_l]`); shallow: none.
    pub feedback: Vec<Param<Tensor<2>>>,
}

/// The FA / DFA / shallow learner.
pub struct FeedbackLearner {
    /// Weights and feedback matrices.
    pub net: FeedbackNet,
    config: FeedbackConfig,
    optim: Optimizer,
    last: Vec<Option<Tensor<2>>>,
}

impl FeedbackConfig {
    /// Checks the network and the optimiser.
    pub fn check(&self) -> crate::Result<()> {
        self.net.check()?;
        self.optim.check().map_err(|e| e.within(self.name()))
    }

    /// Builds the network and draws the feedback matrices (seeded by `net.seed + 1`).
    pub fn init(&self, device: &Device) -> crate::Result<FeedbackLearner> {
        self.check()?;
        let forward = self.net.init(device)?;
        let sizes = &self.net.sizes;
        let n_out = *sizes.last().expect("validated");
        let mut sampler =
            WeightSampler::new(self.net.seed.wrapping_add(1), device, self.net.precision);
        let scale = |fan_in: usize| self.feedback_scale / (fan_in as f64).sqrt();
        let feedback = match self.rule {
            FeedbackRule::Fa => (2..sizes.len())
                .map(|l| sampler.uniform([sizes[l], sizes[l - 1]], scale(sizes[l - 1])))
                .collect(),
            FeedbackRule::Dfa => (1..sizes.len() - 1)
                .map(|l| sampler.uniform([n_out, sizes[l]], scale(sizes[l])))
                .collect(),
            FeedbackRule::Shallow => Vec::new(),
        };
        Ok(FeedbackLearner {
            last: vec![None; forward.depth()],
            net: FeedbackNet {
                forward,
                feedback: feedback.into_iter().map(Param::from_tensor).collect(),
            },
            config: self.clone(),
            optim: Optimizer::new(&self.optim),
        })
    }

    fn name(&self) -> &'static str {
        match self.rule {
            FeedbackRule::Fa => "fa",
            FeedbackRule::Dfa => "dfa",
            FeedbackRule::Shallow => "shallow",
        }
    }
}

impl FeedbackLearner {
    /// Replaces every feedback matrix by the forward matrix it stands in for — `W_{l+1}ᵀ` for
    /// FA, `W_Nᵀ` for DFA with one hidden layer — so that the rule computes backprop's update
    /// exactly (a check of the implementation). Only DFA nets with one hidden layer have such
    /// a counterpart; for deeper DFA nets this does nothing.
    pub fn set_feedback_to_forward_transposes(&mut self) {
        let weights = &self.net.forward.layers;
        let depth = weights.len();
        for (i, b) in self.net.feedback.iter_mut().enumerate() {
            let source = match self.config.rule {
                FeedbackRule::Fa => Some(i + 1),
                FeedbackRule::Dfa if depth == 2 => Some(1),
                _ => None,
            };
            if let Some(j) = source {
                *b = Param::from_tensor(weights[j].weight.val().transpose());
            }
        }
    }

    /// The configuration it was built from.
    pub fn config(&self) -> &FeedbackConfig {
        &self.config
    }

    /// Per-sample deltas `δ_l = ∂L/∂u_l` under the rule (`None` where the layer does not learn).
    fn deltas(&self, trace: &crate::mlp::Trace, delta_out: Tensor<2>) -> Vec<Option<Tensor<2>>> {
        let depth = trace.potentials.len();
        let phi = self.config.net.transfer;
        let mut deltas: Vec<Option<Tensor<2>>> = vec![None; depth];
        match self.config.rule {
            FeedbackRule::Fa => {
                let mut delta = delta_out.clone();
                for l in (1..depth).rev() {
                    // B_{l+1} is feedback[l - 1].
                    let b = self.net.feedback[l - 1].val();
                    delta = delta.matmul(b) * phi.derivative(trace.potentials[l - 1].clone());
                    deltas[l - 1] = Some(delta.clone());
                }
            }
            FeedbackRule::Dfa => {
                for l in 1..depth {
                    let b = self.net.feedback[l - 1].val();
                    deltas[l - 1] = Some(
                        delta_out.clone().matmul(b)
                            * phi.derivative(trace.potentials[l - 1].clone()),
                    );
                }
            }
            FeedbackRule::Shallow => {}
        }
        deltas[depth - 1] = Some(delta_out);
        deltas
    }
}

impl Learner for FeedbackLearner {
    fn name(&self) -> &str {
        self.config.name()
    }

    fn train_step(
        &mut self,
        input: Tensor<2>,
        target: Tensor<2>,
        rate: f64,
    ) -> crate::Result<StepStats> {
        self.optim.set_scale(rate);
        check_batch(&self.config.net.sizes, &input, &target)?;
        let objective = self.objective();
        timed(|| {
            let trace = self.net.forward.trace(input, objective.transfer);
            let u_out = trace.output();
            let loss = objective.loss(u_out.clone(), target.clone());
            let signal = objective.signal(u_out, target);
            let grads: Vec<Option<LayerGradient>> = self
                .deltas(&trace, signal.delta)
                .into_iter()
                .zip(trace.rates)
                .map(|(delta, pre)| delta.map(|d| LayerGradient::from_delta(pre, d)))
                .collect();
            self.last = grads
                .iter()
                .map(|g| g.as_ref().map(|g| g.weight.clone().neg()))
                .collect();
            self.net.forward.descend(&mut self.optim, grads);
            Ok(loss)
        })
    }

    fn predict(&self, input: Tensor<2>) -> Tensor<2> {
        self.net.forward.predict(input, self.objective())
    }

    fn objective(&self) -> Objective {
        self.config.net.objective()
    }
}

impl Checkpoint for FeedbackLearner {
    fn save(&self, path: &std::path::Path) -> crate::Result<()> {
        save_module(&self.net, path)
    }

    fn load(&mut self, path: &std::path::Path) -> crate::Result<()> {
        self.net = load_module(self.net.clone(), path)?;
        Ok(())
    }
}

impl Diagnose for FeedbackLearner {
    fn feedforward(&self) -> Mlp {
        self.net.forward.clone()
    }

    fn last_updates(&self) -> Vec<Option<Tensor<2>>> {
        self.last.clone()
    }

    fn feedback_pairs(&self) -> Vec<FeedbackPair> {
        match self.config.rule {
            FeedbackRule::Fa => self
                .net
                .feedback
                .iter()
                .enumerate()
                .map(|(i, b)| FeedbackPair {
                    layer: i + 1,
                    feedback: b.val(),
                    forward: self.net.forward.layers[i + 1].weight.val().transpose(),
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}
