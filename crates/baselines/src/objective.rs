//! The output error every learner descends, and the quantities the rules need from it.

use burn::tensor::{Tensor, activation};
use dendritic::Transfer;
use serde::{Deserialize, Serialize};

/// Which output error a learner descends. Targets are always given as rates `[batch, n_N]`
/// (e.g. one-hot 0.1/0.8, as the microcircuit uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputError {
    /// The microcircuit's error in potential space: `∂L/∂u_N = -φ'(u_N) (u_trgt - u_N)`
    /// with `u_trgt = φ⁻¹(r_trgt)` (paper section 3.1, `e_N = D_N (u_trgt - u_N⁻)`).
    /// Its reported loss is `½ ‖u_trgt - u_N‖²`.
    #[default]
    Potential,
    /// Mean squared error on the rates, `½ ‖r_trgt - φ(u_N)‖²`.
    Mse,
    /// Softmax cross-entropy on the output potentials (the output layer is then linear);
    /// the class is the target's largest entry.
    CrossEntropy,
}

/// Output error, rate function and what they imply for the output layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Objective {
    /// Rate function φ of the hidden layers (and of the output, except for cross-entropy).
    pub transfer: Transfer,
    /// The output error.
    pub error: OutputError,
}

/// The output layer's activity and error on one batch.
#[derive(Debug, Clone)]
pub struct OutputSignal {
    /// Output activity `h_N`: `φ(u_N)`, or `u_N` itself for cross-entropy.
    pub activity: Tensor<2>,
    /// `∂L/∂h_N` per sample (not divided by the batch size).
    pub d_activity: Tensor<2>,
    /// `∂L/∂u_N = ∂L/∂h_N ⊙ ∂h_N/∂u_N` per sample: the output delta of backprop, FA and DFA.
    pub delta: Tensor<2>,
}

impl Objective {
    /// Output activity from output potentials `u_N`.
    pub fn activity(&self, u_out: Tensor<2>) -> Tensor<2> {
        match self.error {
            OutputError::CrossEntropy => u_out,
            _ => self.transfer.rate(u_out),
        }
    }

    /// Predicted class probabilities or rates, for reporting and argmax.
    pub fn prediction(&self, u_out: Tensor<2>) -> Tensor<2> {
        match self.error {
            OutputError::CrossEntropy => activation::softmax(u_out, 1),
            _ => self.transfer.rate(u_out),
        }
    }

    /// `∂h_N/∂u_N` (all ones for the linear cross-entropy output).
    pub fn activity_slope(&self, u_out: Tensor<2>) -> Tensor<2> {
        match self.error {
            OutputError::CrossEntropy => u_out.ones_like(),
            _ => self.transfer.derivative(u_out),
        }
    }

    /// Activity, `∂L/∂h_N` and `∂L/∂u_N` for output potentials and target rates.
    pub fn signal(&self, u_out: Tensor<2>, target: Tensor<2>) -> OutputSignal {
        let phi = self.transfer;
        match self.error {
            OutputError::Potential => {
                let slope = phi.derivative(u_out.clone());
                // δ = -φ'(u)(u_trgt - u), so ∂L/∂h = δ / φ'(u) = u - u_trgt.
                let d_activity = u_out.clone() - phi.inverse(target);
                OutputSignal {
                    activity: phi.rate(u_out),
                    delta: d_activity.clone() * slope,
                    d_activity,
                }
            }
            OutputError::Mse => {
                let activity = phi.rate(u_out.clone());
                let d_activity = activity.clone() - target;
                OutputSignal {
                    delta: d_activity.clone() * phi.derivative(u_out),
                    activity,
                    d_activity,
                }
            }
            OutputError::CrossEntropy => {
                let d_activity = activation::softmax(u_out.clone(), 1) - one_hot(target);
                OutputSignal {
                    activity: u_out,
                    delta: d_activity.clone(),
                    d_activity,
                }
            }
        }
    }

    /// The batch-mean loss (kept on the device).
    pub fn loss(&self, u_out: Tensor<2>, target: Tensor<2>) -> Tensor<1> {
        let batch = u_out.dims()[0] as f64;
        let per_batch = match self.error {
            OutputError::Potential => (self.transfer.inverse(target) - u_out)
                .square()
                .sum()
                .mul_scalar(0.5),
            OutputError::Mse => (target - self.transfer.rate(u_out))
                .square()
                .sum()
                .mul_scalar(0.5),
            OutputError::CrossEntropy => (activation::log_softmax(u_out, 1) * one_hot(target))
                .sum()
                .neg(),
        };
        per_batch.div_scalar(batch)
    }

    /// The loss as a differentiable function of `u_N` whose gradient is exactly the
    /// [`OutputSignal::delta`] (divided by the batch size): what autodiff backprop follows.
    pub fn surrogate_loss(&self, u_out: Tensor<2>, target: Tensor<2>) -> Tensor<1> {
        match self.error {
            // L = Σ sg(u - u_trgt) φ(u) / B has ∂L/∂u = φ'(u)(u - u_trgt) / B.
            OutputError::Potential => {
                let batch = u_out.dims()[0] as f64;
                let e = (u_out.clone() - self.transfer.inverse(target)).detach();
                (e * self.transfer.rate(u_out)).sum().div_scalar(batch)
            }
            _ => self.loss(u_out, target),
        }
    }
}

/// 1 at each row's largest entry, 0 elsewhere.
pub fn one_hot(target: Tensor<2>) -> Tensor<2> {
    let [batch, n] = target.dims();
    let top = target.clone().max_dim(1).expand([batch, n]);
    target.zeros_like().mask_fill(target.equal(top), 1.0)
}
