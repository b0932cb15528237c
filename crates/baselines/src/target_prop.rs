//! Target propagation: difference target propagation (DTP, Lee et al. 2015), DTP with the
//! difference reconstruction loss (DRL) and direct DTP with linear output-to-layer feedback
//! (DDTP-linear), both from Meulemans et al. 2020 (arXiv:2006.14331).
//!
//! Every layer gets a target `ĥ_l`; its weights descend the local loss `½ ‖h_l - ĥ_l‖² / β`
//! with the presynaptic activity held fixed (dividing by the output step β makes the learning
//! rate comparable to backprop's). Feedback weights learn to invert the forward pass from
//! noise-corrupted activity. All updates are explicit; no autodiff.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::{Device, Tensor};
use dendritic::Precision;
use dendritic::random::{WeightSampler, upload};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use crate::checkpoint::{load_module, save_module};
use crate::error::BaselineError;
use crate::learner::{Checkpoint, Diagnose, FeedbackPair, Learner, StepStats, check_batch, timed};
use crate::mlp::{LayerGradient, Mlp, NetConfig, Trace, descend_layers};
use crate::objective::Objective;
use crate::optimizer::{Optimizer, OptimizerConfig};

/// Which target-propagation variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetRule {
    /// DTP: layer-wise inverses `g_l(h) = φ(h V_l + c_l)` trained to reconstruct a corrupted
    /// `h_{l-1}` from `f_l(h_{l-1} + ε)`; targets `ĥ_{l-1} = h_{l-1} + g_l(ĥ_l) - g_l(h_l)`.
    Dtp,
    /// DTP-DRL: the same targets; the inverses are trained with the difference reconstruction
    /// loss: corrupt `h_{l-1}`, propagate to the output and back down with the
    /// difference-corrected inverses, and reconstruct the corruption.
    Drl,
    /// DDTP-linear: direct linear feedback `g_l(h_N) = h_N Q_l` from the output to every
    /// hidden layer, `ĥ_l = h_l + (ĥ_N - h_N) Q_l`, with `Q_l` trained by the difference
    /// reconstruction loss.
    DirectLinear,
}

impl TargetRule {
    /// The learner name: `dtp`, `drl` or `ddtp`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Dtp => "dtp",
            Self::Drl => "drl",
            Self::DirectLinear => "ddtp",
        }
    }
}

/// A network trained by target propagation.
#[derive(Config, Debug, PartialEq)]
pub struct TargetPropConfig {
    /// The network.
    pub net: NetConfig,
    /// DTP, DRL or DDTP-linear.
    pub rule: TargetRule,
    /// Optimiser of the forward weights.
    #[config(default = "OptimizerConfig::new()")]
    pub optim: OptimizerConfig,
    /// Optimiser of the feedback weights.
    #[config(default = "OptimizerConfig::new().with_lr(0.01)")]
    pub feedback_optim: OptimizerConfig,
    /// Output target step: `ĥ_N = h_N - β ∂L/∂h_N`.
    #[config(default = 0.1)]
    pub beta: f64,
    /// Standard deviation σ of the corruption used to train the feedback weights.
    #[config(default = 0.1)]
    pub noise: f64,
    /// Feedback updates per training batch (before the forward update).
    #[config(default = 1)]
    pub feedback_steps: usize,
    /// Feedback weights start in U(-s, s), `s = feedback_scale / sqrt(fan_in)`.
    #[config(default = 1.0)]
    pub feedback_scale: f64,
}

/// Feedback weights: DTP/DRL `V_2..V_N` (weights `[n_l, n_{l-1}]`, biases `c_l`); DDTP-linear
/// `Q_1..Q_{N-1}` (`[n_N, n_l]`, no bias).
#[derive(Module, Debug)]
pub struct Feedback {
    /// The feedback layers, bottom to top.
    pub layers: Vec<Linear>,
}

/// Forward and feedback weights.
#[derive(Module, Debug)]
pub struct TargetPropNet {
    /// The forward network.
    pub forward: Mlp,
    /// The feedback network.
    pub feedback: Feedback,
}

/// The DTP / DRL / DDTP-linear learner.
pub struct TargetProp {
    /// Forward and feedback weights.
    pub net: TargetPropNet,
    config: TargetPropConfig,
    optim: Optimizer,
    feedback_optim: Optimizer,
    steps: u64,
    last: Vec<Option<Tensor<2>>>,
}

impl TargetPropConfig {
    /// Checks the network, both optimisers and the rule's scalars.
    pub fn check(&self) -> crate::Result<()> {
        self.net.check()?;
        self.optim.check().map_err(|e| e.within(self.rule.name()))?;
        self.feedback_optim
            .check()
            .map_err(|e| e.within("feedback"))?;
        for (what, v) in [
            ("beta", self.beta),
            ("noise", self.noise),
            ("feedback_scale", self.feedback_scale),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(BaselineError::BadConfig(format!(
                    "{what} must be finite and > 0, got {v}"
                )));
            }
        }
        Ok(())
    }

    /// Builds the network and draws the feedback weights (seeded by `net.seed + 2`).
    pub fn init(&self, device: &Device) -> crate::Result<TargetProp> {
        self.check()?;
        let forward = self.net.init(device)?;
        let sizes = &self.net.sizes;
        let n_out = *sizes.last().expect("validated");
        let precision = self.net.precision;
        let mut sampler = WeightSampler::new(self.net.seed.wrapping_add(2), device, precision);
        let scale = |fan_in: usize| self.feedback_scale / (fan_in as f64).sqrt();
        let layers = match self.rule {
            TargetRule::Dtp | TargetRule::Drl => (2..sizes.len())
                .map(|l| Linear {
                    weight: Param::from_tensor(
                        sampler.uniform([sizes[l], sizes[l - 1]], scale(sizes[l])),
                    ),
                    bias: Some(Param::from_tensor(upload(
                        vec![0.0; sizes[l - 1]],
                        [sizes[l - 1]],
                        device,
                        precision,
                    ))),
                })
                .collect(),
            TargetRule::DirectLinear => (1..sizes.len() - 1)
                .map(|l| Linear {
                    weight: Param::from_tensor(sampler.uniform([n_out, sizes[l]], scale(n_out))),
                    bias: None,
                })
                .collect(),
        };
        Ok(TargetProp {
            last: vec![None; forward.depth()],
            net: TargetPropNet {
                forward,
                feedback: Feedback { layers },
            },
            config: self.clone(),
            optim: Optimizer::new(&self.optim),
            feedback_optim: Optimizer::new(&self.feedback_optim),
            steps: 0,
        })
    }
}

impl TargetProp {
    /// The configuration it was built from.
    pub fn config(&self) -> &TargetPropConfig {
        &self.config
    }

    fn depth(&self) -> usize {
        self.net.forward.depth()
    }

    /// Activity `h_l = f_l(h_{l-1})` of layer `l` (1-based); the output uses the objective's
    /// output activity.
    fn f(&self, l: usize, pre: Tensor<2>) -> Tensor<2> {
        let u = self.net.forward.potential(l, pre);
        if l == self.depth() {
            self.config.net.objective().activity(u)
        } else {
            self.config.net.transfer.rate(u)
        }
    }

    /// Feedback of layer `l`: DTP/DRL `g_l(h_l) = φ(h_l V_l + c_l)` (towards `h_{l-1}`);
    /// DDTP-linear `g_l(h_N) = h_N Q_l` (towards `h_l`).
    fn g(&self, l: usize, h: Tensor<2>) -> Tensor<2> {
        match self.config.rule {
            TargetRule::Dtp | TargetRule::Drl => self
                .config
                .net
                .transfer
                .rate(self.net.feedback.layers[l - 2].forward(h)),
            TargetRule::DirectLinear => self.net.feedback.layers[l - 1].forward(h),
        }
    }

    /// `h_1 .. h_N` from a trace.
    fn activities(&self, trace: &Trace) -> Vec<Tensor<2>> {
        let mut h: Vec<Tensor<2>> = trace.rates[1..].to_vec();
        h.push(self.config.net.objective().activity(trace.output()));
        h
    }

    /// Targets `ĥ_1 .. ĥ_N` for a batch (paper equations in [`TargetRule`]).
    pub fn targets(&self, input: Tensor<2>, target: Tensor<2>) -> Vec<Tensor<2>> {
        let objective = self.config.net.objective();
        let trace = self.net.forward.trace(input, objective.transfer);
        let h = self.activities(&trace);
        self.targets_from(&h, objective.signal(trace.output(), target).d_activity)
    }

    fn targets_from(&self, h: &[Tensor<2>], d_out: Tensor<2>) -> Vec<Tensor<2>> {
        let depth = h.len();
        let mut targets = vec![h[depth - 1].clone() - d_out.mul_scalar(self.config.beta)];
        match self.config.rule {
            TargetRule::Dtp | TargetRule::Drl => {
                for l in (2..=depth).rev() {
                    let above = targets.last().expect("output target").clone();
                    let below = h[l - 2].clone() + self.g(l, above) - self.g(l, h[l - 1].clone());
                    targets.push(below);
                }
                targets.reverse();
            }
            TargetRule::DirectLinear => {
                let step = targets[0].clone() - h[depth - 1].clone();
                let mut all: Vec<Tensor<2>> = (1..depth)
                    .map(|l| h[l - 1].clone() + self.g(l, step.clone()))
                    .collect();
                all.push(targets[0].clone());
                targets = all;
            }
        }
        targets
    }

    /// Corruption `σ ξ`, drawn from a generator seeded by the config seed and the step count
    /// (so a run can be resumed exactly).
    fn noise(&self, like: &Tensor<2>, salt: u64) -> Tensor<2> {
        let [rows, cols] = like.dims();
        let seed = self
            .config
            .net
            .seed
            .wrapping_add(3)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ self.steps.wrapping_mul(0xD1B5_4A32_D192_ED03)
            ^ salt;
        let mut rng = StdRng::seed_from_u64(seed);
        let values = dendritic::random::normals(&mut rng, rows * cols, self.config.noise);
        let precision = match like.dtype() {
            burn::tensor::DType::F64 => Precision::F64,
            _ => Precision::F32,
        };
        upload(values, [rows, cols], &like.device(), precision)
    }

    /// The reconstruction loss of the feedback weights on a batch and its gradients (bottom to
    /// top), without updating anything.
    fn feedback_gradients(&self, h: &[Tensor<2>]) -> (Tensor<1>, Vec<LayerGradient>) {
        self.feedback_gradients_of(self.config.rule, h)
    }

    /// The difference reconstruction loss (Meulemans et al. 2020) of the current feedback
    /// weights on a batch, whatever the rule that trains them: DRL descends it, DTP's layer-wise
    /// inverses do not. Not defined for DDTP-linear (its feedback has other shapes): `None`.
    pub fn difference_reconstruction_loss(&self, input: Tensor<2>) -> Option<Tensor<1>> {
        if self.config.rule == TargetRule::DirectLinear {
            return None;
        }
        let trace = self.net.forward.trace(input, self.config.net.transfer);
        let h = self.activities(&trace);
        Some(self.feedback_gradients_of(TargetRule::Drl, &h).0)
    }

    /// [`feedback_gradients`](Self::feedback_gradients) with the loss of `rule`.
    fn feedback_gradients_of(
        &self,
        rule: TargetRule,
        h: &[Tensor<2>],
    ) -> (Tensor<1>, Vec<LayerGradient>) {
        let depth = h.len();
        let phi = self.config.net.transfer;
        let sigma2 = self.config.noise * self.config.noise;
        let mut loss: Option<Tensor<1>> = None;
        let mut add = |term: Tensor<1>| {
            loss = Some(match loss.take() {
                Some(total) => total + term,
                None => term,
            })
        };
        let mut grads = Vec::new();
        match rule {
            TargetRule::Dtp => {
                for l in 2..=depth {
                    // Reconstruct a corrupted h_{l-1} from f_l of it.
                    let pre = h[l - 2].clone();
                    let corrupted = pre.clone() + self.noise(&pre, l as u64);
                    let z = self.f(l, corrupted.clone());
                    let a = self.net.feedback.layers[l - 2].forward(z.clone());
                    let err = phi.rate(a.clone()) - corrupted;
                    add(half_mean_square(err.clone()));
                    grads.push(LayerGradient::from_delta(z, err * phi.derivative(a)));
                }
            }
            TargetRule::Drl => {
                for l in 2..=depth {
                    let pre = h[l - 2].clone();
                    let corrupted = pre.clone() + self.noise(&pre, l as u64);
                    // Up to the output ...
                    let mut z = corrupted.clone();
                    for m in l..=depth {
                        z = self.f(m, z);
                    }
                    // ... and back down to layer l with the difference-corrected inverses.
                    for m in ((l + 1)..=depth).rev() {
                        z = h[m - 2].clone() + self.g(m, z) - self.g(m, h[m - 1].clone());
                    }
                    let layer = &self.net.feedback.layers[l - 2];
                    let a_rec = layer.forward(z.clone());
                    let a_ref = layer.forward(h[l - 1].clone());
                    let err = pre + phi.rate(a_rec.clone()) - phi.rate(a_ref.clone()) - corrupted;
                    add(half_mean_square(err.clone()).div_scalar(sigma2));
                    let up = LayerGradient::from_delta(z, err.clone() * phi.derivative(a_rec));
                    let down =
                        LayerGradient::from_delta(h[l - 1].clone(), err * phi.derivative(a_ref));
                    grads.push(LayerGradient {
                        weight: (up.weight - down.weight).div_scalar(sigma2),
                        bias: (up.bias - down.bias).div_scalar(sigma2),
                    });
                }
            }
            TargetRule::DirectLinear => {
                for l in 1..depth {
                    let corrupted = h[l - 1].clone() + self.noise(&h[l - 1], l as u64);
                    let mut z = corrupted.clone();
                    for m in (l + 1)..=depth {
                        z = self.f(m, z);
                    }
                    let step = z - h[depth - 1].clone();
                    let err = h[l - 1].clone() + self.g(l, step.clone()) - corrupted;
                    add(half_mean_square(err.clone()).div_scalar(sigma2));
                    let g = LayerGradient::from_delta(step, err);
                    grads.push(LayerGradient {
                        weight: g.weight.div_scalar(sigma2),
                        bias: g.bias,
                    });
                }
            }
        }
        let loss = loss.unwrap_or_else(|| h[0].clone().sum().mul_scalar(0.0));
        (loss, grads)
    }

    /// One feedback update on a batch; returns the reconstruction loss before it. Used inside
    /// [`Learner::train_step`]; call it alone to pre-train the inverses.
    pub fn train_feedback(&mut self, input: Tensor<2>) -> Tensor<1> {
        let trace = self.net.forward.trace(input, self.config.net.transfer);
        let h = self.activities(&trace);
        let loss = self.feedback_step(&h);
        self.steps += 1;
        loss
    }

    fn feedback_step(&mut self, h: &[Tensor<2>]) -> Tensor<1> {
        let (loss, grads) = self.feedback_gradients(h);
        descend_layers(
            &mut self.net.feedback.layers,
            &mut self.feedback_optim,
            grads.into_iter().map(Some).collect(),
        );
        loss
    }
}

fn half_mean_square(err: Tensor<2>) -> Tensor<1> {
    let batch = err.dims()[0] as f64;
    err.square().sum().div_scalar(2.0 * batch)
}

impl Learner for TargetProp {
    fn name(&self) -> &str {
        self.config.rule.name()
    }

    fn train_step(
        &mut self,
        input: Tensor<2>,
        target: Tensor<2>,
        rate: f64,
    ) -> crate::Result<StepStats> {
        self.optim.set_scale(rate);
        self.feedback_optim.set_scale(rate);
        check_batch(&self.config.net.sizes, &input, &target)?;
        let objective = self.config.net.objective();
        timed(|| {
            let trace = self.net.forward.trace(input, objective.transfer);
            let h = self.activities(&trace);
            for _ in 0..self.config.feedback_steps {
                self.feedback_step(&h);
            }
            let u_out = trace.output();
            let loss = objective.loss(u_out.clone(), target.clone());
            let signal = objective.signal(u_out, target);
            let targets = self.targets_from(&h, signal.d_activity);
            let depth = h.len();
            let beta = self.config.beta;
            let grads: Vec<Option<LayerGradient>> = (1..=depth)
                .map(|l| {
                    let u = trace.potentials[l - 1].clone();
                    let slope = if l == depth {
                        objective.activity_slope(u)
                    } else {
                        objective.transfer.derivative(u)
                    };
                    let delta =
                        (h[l - 1].clone() - targets[l - 1].clone()).div_scalar(beta) * slope;
                    Some(LayerGradient::from_delta(trace.rates[l - 1].clone(), delta))
                })
                .collect();
            self.last = grads
                .iter()
                .map(|g| g.as_ref().map(|g| g.weight.clone().neg()))
                .collect();
            self.net.forward.descend(&mut self.optim, grads);
            self.steps += 1;
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

impl Checkpoint for TargetProp {
    fn save(&self, path: &std::path::Path) -> crate::Result<()> {
        save_module(&self.net, path)
    }

    fn load(&mut self, path: &std::path::Path) -> crate::Result<()> {
        self.net = load_module(self.net.clone(), path)?;
        Ok(())
    }

    fn step_count(&self) -> u64 {
        self.steps
    }

    fn set_step_count(&mut self, steps: u64) {
        self.steps = steps;
    }
}

impl Diagnose for TargetProp {
    fn feedforward(&self) -> Mlp {
        self.net.forward.clone()
    }

    fn last_updates(&self) -> Vec<Option<Tensor<2>>> {
        self.last.clone()
    }

    fn feedback_pairs(&self) -> Vec<FeedbackPair> {
        match self.config.rule {
            TargetRule::Dtp | TargetRule::Drl => self
                .net
                .feedback
                .layers
                .iter()
                .enumerate()
                .map(|(i, v)| FeedbackPair {
                    layer: i + 1,
                    feedback: v.weight.val(),
                    forward: self.net.forward.layers[i + 1].weight.val().transpose(),
                })
                .collect(),
            TargetRule::DirectLinear => Vec::new(),
        }
    }
}
