//! Optimisers shared by every baseline: the explicit rules hand their pseudo-gradients to the
//! same `burn::optim` optimisers that autodiff backprop uses.

use burn::config::Config;
use burn::module::Param;
use burn::optim::{AdamConfig, ModuleOptimizer, SgdConfig};
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
    pub fn validate(&self, what: &str) -> crate::Result<()> {
        if !(self.lr.is_finite() && self.lr >= 0.0) {
            return Err(BaselineError::BadConfig(format!(
                "{what} learning rate must be finite and >= 0, got {}",
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
                        "{what} Adam {name} must be in [0, 1), got {beta}"
                    )));
                }
            }
            if !(epsilon.is_finite() && epsilon > 0.0) {
                return Err(BaselineError::BadConfig(format!(
                    "{what} Adam epsilon must be finite and > 0, got {epsilon}"
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

/// The optimiser of the explicit (non-autodiff) rules: the same SGD and Adam updates as
/// `burn::optim`, applied to pseudo-gradients on plain (non-autodiff) parameters.
pub struct Optimizer {
    lr: f64,
    /// Factor on `lr` (a schedule's current value).
    scale: f64,
    kind: OptimizerKind,
    step: i32,
    /// Adam's first and second moments per parameter slot, flattened.
    moments: Vec<Option<(Tensor<1>, Tensor<1>)>>,
}

impl Optimizer {
    /// From its config.
    pub fn new(config: &OptimizerConfig) -> Self {
        Self {
            lr: config.lr,
            scale: 1.0,
            kind: config.kind,
            step: 0,
            moments: Vec::new(),
        }
    }

    /// Multiplies the learning rate by `scale` from now on (1 restores the configured rate).
    pub fn set_scale(&mut self, scale: f64) {
        self.scale = scale;
    }

    /// Starts an optimiser step (Adam's bias correction counts these).
    pub fn begin_step(&mut self) {
        self.step += 1;
    }

    /// Descends `grad` on the parameter in `slot` (a fixed index per parameter).
    pub fn update<const D: usize>(
        &mut self,
        slot: usize,
        param: &mut Param<Tensor<D>>,
        grad: Tensor<D>,
    ) {
        let step = match self.kind {
            OptimizerKind::Sgd => grad.mul_scalar(self.lr * self.scale),
            OptimizerKind::Adam {
                beta_1,
                beta_2,
                epsilon,
            } => {
                let shape = grad.shape();
                let g = grad.flatten::<1>(0, D - 1);
                if self.moments.len() <= slot {
                    self.moments.resize(slot + 1, None);
                }
                let (b1, b2) = (beta_1 as f64, beta_2 as f64);
                let (m, v) = match self.moments[slot].take() {
                    Some((m, v)) => (
                        m.mul_scalar(b1) + g.clone().mul_scalar(1.0 - b1),
                        v.mul_scalar(b2) + g.square().mul_scalar(1.0 - b2),
                    ),
                    None => (
                        g.clone().mul_scalar(1.0 - b1),
                        g.square().mul_scalar(1.0 - b2),
                    ),
                };
                let m_hat = m.clone().div_scalar(1.0 - b1.powi(self.step.max(1)));
                let v_hat = v.clone().div_scalar(1.0 - b2.powi(self.step.max(1)));
                self.moments[slot] = Some((m, v));
                (m_hat.mul_scalar(self.lr * self.scale) / v_hat.sqrt().add_scalar(epsilon as f64))
                    .reshape(shape)
            }
        };
        let placeholder = Param::initialized(param.id, step.clone());
        let owned = std::mem::replace(param, placeholder);
        *param = owned.map(|w| w - step);
    }
}
