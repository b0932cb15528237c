//! Optimisers shared by every baseline: the explicit rules hand their pseudo-gradients to the
//! same `burn::optim` optimisers that autodiff backprop uses (their per-tensor
//! [`burn::optim::Optimizer::step`]; no optimiser is written here).

use burn::config::Config;
use burn::module::Param;
use std::any::Any;

use burn::optim::{Adam, AdamConfig, ModuleOptimizer, Sgd, SgdConfig};
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::error::BaselineError;

/// Which `burn::optim` optimiser updates the weights.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OptimizerKind {
    /// Plain stochastic gradient descent, `W ← W - lr g`.
    #[default]
    Sgd,
    /// Adam (Kingma & Ba 2015).
    Adam {
        /// First-moment decay.
        beta_1: f32,
        /// Second-moment decay.
        beta_2: f32,
        /// Numerical floor of the denominator.
        epsilon: f32,
    },
}

impl OptimizerKind {
    /// Adam with the usual constants (0.9, 0.999, 1e-8).
    pub fn adam() -> Self {
        Self::Adam {
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-8,
        }
    }
}

/// Optimiser and learning rate.
#[derive(Config, Debug, PartialEq)]
pub struct OptimizerConfig {
    /// Learning rate.
    #[config(default = 0.1)]
    pub lr: f64,
    /// The optimiser.
    #[config(default = "OptimizerKind::Sgd")]
    pub kind: OptimizerKind,
}

impl OptimizerConfig {
    /// Checks the learning rate and, for Adam, `beta_1`, `beta_2` in [0, 1) and `epsilon > 0`.
    pub fn check(&self) -> crate::Result<()> {
        if !(self.lr.is_finite() && self.lr >= 0.0) {
            return Err(BaselineError::BadConfig(format!(
                "learning rate must be finite and >= 0, got {}",
                self.lr
            )));
        }
        if let OptimizerKind::Adam {
            beta_1,
            beta_2,
            epsilon,
        } = self.kind
        {
            for (name, beta) in [("beta_1", beta_1), ("beta_2", beta_2)] {
                if !(0.0..1.0).contains(&beta) {
                    return Err(BaselineError::BadConfig(format!(
                        "Adam {name} must be in [0, 1), got {beta}"
                    )));
                }
            }
            if !(epsilon.is_finite() && epsilon > 0.0) {
                return Err(BaselineError::BadConfig(format!(
                    "Adam epsilon must be finite and > 0, got {epsilon}"
                )));
            }
        }
        Ok(())
    }

    /// A fresh optimiser (no state yet).
    pub fn build(&self) -> ModuleOptimizer {
        match self.kind {
            OptimizerKind::Sgd => SgdConfig::new().init(),
            OptimizerKind::Adam {
                beta_1,
                beta_2,
                epsilon,
            } => AdamConfig::new()
                .with_beta_1(beta_1)
                .with_beta_2(beta_2)
                .with_epsilon(epsilon)
                .init(),
        }
    }
}

/// The `burn::optim` optimiser behind an [`Optimizer`].
#[derive(Clone)]
enum Rule {
    Sgd(Sgd),
    Adam(Adam),
}

/// The optimiser of the explicit (non-autodiff) rules: `burn::optim`'s own SGD and Adam
/// ([`burn::optim::Optimizer::step`] on one tensor at a time), applied to pseudo-gradients on
/// plain (non-autodiff) parameters, with one state per parameter slot.
pub struct Optimizer {
    lr: f64,
    /// Factor on `lr` (a schedule's current value).
    scale: f64,
    rule: Rule,
    /// The optimiser's state per parameter slot (Adam's moments and step count), typed by
    /// the rank of the parameter it belongs to.
    states: Vec<Option<Box<dyn Any + Send + Sync>>>,
}

impl Optimizer {
    /// From its config.
    pub fn new(config: &OptimizerConfig) -> Self {
        let rule = match config.kind {
            OptimizerKind::Sgd => Rule::Sgd(SgdConfig::new().build()),
            OptimizerKind::Adam {
                beta_1,
                beta_2,
                epsilon,
            } => Rule::Adam(
                AdamConfig::new()
                    .with_beta_1(beta_1)
                    .with_beta_2(beta_2)
                    .with_epsilon(epsilon)
                    .build(),
            ),
        };
        Self {
            lr: config.lr,
            scale: 1.0,
            rule,
            states: Vec::new(),
        }
    }

    /// Multiplies the learning rate by `scale` from now on (1 restores the configured rate).
    pub fn set_scale(&mut self, scale: f64) {
        self.scale = scale;
    }

    /// Descends `grad` on the parameter in `slot` (a fixed index per parameter).
    pub fn update<const D: usize>(
        &mut self,
        slot: usize,
        param: &mut Param<Tensor<D>>,
        grad: Tensor<D>,
    ) {
        if self.states.len() <= slot {
            self.states.resize_with(slot + 1, || None);
        }
        let lr = self.lr * self.scale;
        let state = &mut self.states[slot];
        let placeholder = Param::initialized(param.id, grad.clone());
        let owned = std::mem::replace(param, placeholder);
        *param = match &self.rule {
            Rule::Sgd(sgd) => owned.map(|w| step(sgd, lr, w, grad, state)),
            Rule::Adam(adam) => owned.map(|w| step(adam, lr, w, grad, state)),
        };
    }
}

/// One step of `optim` on `tensor`, with the slot's state (created on the first step).
fn step<O: burn::optim::Optimizer, const D: usize>(
    optim: &O,
    lr: f64,
    tensor: Tensor<D>,
    grad: Tensor<D>,
    slot: &mut Option<Box<dyn Any + Send + Sync>>,
) -> Tensor<D> {
    let state = slot.take().map(|s| {
        *s.downcast::<O::State<D>>()
            .expect("a parameter slot always holds a parameter of the same rank")
    });
    let (tensor, state) = optim.step(lr, tensor, grad, state);
    *slot = state.map(|s| Box::new(s) as Box<dyn Any + Send + Sync>);
    tensor
}
