//! Backprop through Burn's autodiff: the reference every local rule is measured against.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::optim::{GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::{Device, Tensor};
use dendritic::random::WeightSampler;
use dendritic::{Microcircuit, Precision, Transfer};
use serde::{Deserialize, Serialize};

/// Which output error backprop descends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputError {
    /// The microcircuit's error in potential space: `∂L/∂u_N = -φ'(u_N) (u_trgt - u_N)`
    /// with `u_trgt = φ⁻¹(r_trgt)` (paper section 3.1, `e_N = D_N (u_trgt - u_N⁻)`).
    #[default]
    Potential,
    /// Mean squared error on the rates, `½ ‖r_trgt - φ(u_N)‖²`.
    Mse,
}

/// A multilayer perceptron trained by backprop with SGD.
#[derive(Config, Debug)]
pub struct BpConfig {
    /// Layer sizes `[n_0, .., n_N]`.
    pub sizes: Vec<usize>,
    /// Rate function φ of every layer.
    #[config(default = "Transfer::Logistic")]
    pub transfer: Transfer,
    /// SGD learning rate.
    #[config(default = 0.1)]
    pub lr: f64,
    /// Output error.
    #[config(default = "OutputError::Potential")]
    pub error: OutputError,
    /// Weights start in U(-s, s), `s = init_scale / sqrt(fan_in)`; biases at 0.
    #[config(default = 1.0)]
    pub init_scale: f64,
    /// Seed of the host RNG that draws the initial weights.
    #[config(default = 0)]
    pub seed: u64,
    /// f32 or f64.
    #[config(default = "Precision::F32")]
    pub precision: Precision,
}

/// The weights of an MLP: `u_k = r_{k-1} W_k + b_k`, `r_k = φ(u_k)`.
#[derive(Module, Debug)]
pub struct Mlp {
    /// Layers 1..=N.
    pub layers: Vec<Linear>,
}

impl Mlp {
    /// Potentials `u_k` of every layer for inputs `[batch, n_0]`.
    pub fn potentials(&self, input: Tensor<2>, phi: Transfer) -> Vec<Tensor<2>> {
        let mut r = input;
        let mut out = Vec::with_capacity(self.layers.len());
        for (i, layer) in self.layers.iter().enumerate() {
            let u = layer.forward(r);
            if i + 1 < self.layers.len() {
                r = phi.rate(u.clone());
            } else {
                r = u.clone();
            }
            out.push(u);
        }
        out
    }

    /// The microcircuit's feed-forward network (its `W_up` and biases) as an MLP on `device`:
    /// the network backprop would train in its place (paper section 3.1).
    pub fn from_microcircuit(net: &Microcircuit, device: &Device) -> Self {
        let linear = |w: &Param<Tensor<2>>, b: &Option<Param<Tensor<1>>>| Linear {
            weight: Param::from_tensor(trainable(w.val(), device)),
            bias: b
                .as_ref()
                .map(|b| Param::from_tensor(trainable(b.val(), device))),
        };
        let mut layers: Vec<Linear> = net
            .hidden
            .iter()
            .map(|h| linear(&h.w_up, &h.b_up))
            .collect();
        layers.push(linear(&net.output.w_up, &net.output.b_up));
        Self { layers }
    }

    /// Gradients of the loss with respect to every weight matrix (bottom to top) on one batch.
    /// `self` must live on an autodiff device.
    pub fn weight_gradients(
        &self,
        input: Tensor<2>,
        target_rates: Tensor<2>,
        phi: Transfer,
        error: OutputError,
    ) -> Vec<Tensor<2>> {
        let grads = loss(self, input, target_rates, phi, error).backward();
        self.layers
            .iter()
            .map(|l| {
                l.weight
                    .grad(&grads)
                    .expect("weight takes part in the loss")
            })
            .collect()
    }
}

/// `t` on `device`, tracking gradients when `device` is an autodiff device.
fn trainable<const D: usize>(t: Tensor<D>, device: &Device) -> Tensor<D> {
    let t = t.to_device(device);
    if device.is_autodiff() {
        t.autodiff().require_grad()
    } else {
        t
    }
}

/// The batch-mean loss whose gradient backprop follows.
fn loss(
    mlp: &Mlp,
    input: Tensor<2>,
    target_rates: Tensor<2>,
    phi: Transfer,
    error: OutputError,
) -> Tensor<1> {
    let batch = input.dims()[0] as f64;
    let u_out = mlp
        .potentials(input, phi)
        .pop()
        .expect("at least one layer");
    let r_out = phi.rate(u_out.clone());
    match error {
        // L = -Σ sg(u_trgt - u_N) φ(u_N) / B has ∂L/∂u_N = -φ'(u_N)(u_trgt - u_N) / B.
        OutputError::Potential => {
            let e = (phi.inverse(target_rates) - u_out).detach();
            (e * r_out).sum().neg().div_scalar(batch)
        }
        OutputError::Mse => (target_rates - r_out)
            .square()
            .sum()
            .div_scalar(2.0 * batch),
    }
}

/// An MLP and its SGD optimiser on an autodiff device.
pub struct Backprop {
    /// The weights (on the autodiff device).
    pub mlp: Mlp,
    config: BpConfig,
    optim: ModuleOptimizer,
}

impl BpConfig {
    /// Builds the network on `device` (made an autodiff device here).
    pub fn init(&self, device: &Device) -> Backprop {
        let ad = device.clone().autodiff();
        let mut sampler = WeightSampler::new(self.seed, &ad, self.precision);
        let layers = self
            .sizes
            .windows(2)
            .map(|w| Linear {
                weight: Param::from_tensor(trainable(
                    sampler.uniform([w[0], w[1]], self.init_scale / (w[0] as f64).sqrt()),
                    &ad,
                )),
                bias: Some(Param::from_tensor(trainable(
                    dendritic::random::upload(vec![0.0; w[1]], [w[1]], &ad, self.precision),
                    &ad,
                ))),
            })
            .collect();
        Backprop {
            mlp: Mlp { layers },
            config: self.clone(),
            optim: SgdConfig::new().init(),
        }
    }
}

impl Backprop {
    /// One SGD step on a batch; returns the loss (left on the device).
    pub fn train_step(&mut self, input: Tensor<2>, target_rates: Tensor<2>) -> Tensor<1> {
        let loss = loss(
            &self.mlp,
            input,
            target_rates,
            self.config.transfer,
            self.config.error,
        );
        let grads = GradientsParams::from_grads(loss.backward(), &self.mlp);
        let mlp = std::mem::replace(&mut self.mlp, Mlp { layers: Vec::new() });
        self.mlp = self.optim.step(self.config.lr, mlp, grads);
        loss.detach()
    }

    /// Output rates `[batch, n_N]` (no gradient tracking).
    pub fn predict(&self, input: Tensor<2>) -> Tensor<2> {
        let mlp = self.mlp.valid();
        let u = mlp
            .potentials(input, self.config.transfer)
            .pop()
            .expect("layers");
        self.config.transfer.rate(u)
    }
}
