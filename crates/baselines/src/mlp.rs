//! The feed-forward network every baseline trains: `u_l = h_{l-1} W_l + b_l`, `h_l = φ(u_l)`.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::{Device, Tensor};
use dendritic::random::{WeightSampler, upload};
use dendritic::{Microcircuit, Precision, Transfer};

use crate::error::BaselineError;
use crate::objective::{Objective, OutputError};
use crate::optimizer::Optimizer;

/// Sizes, rate function, output error and initialisation of a feed-forward network.
#[derive(Config, Debug, PartialEq)]
pub struct NetConfig {
    /// Layer sizes `[n_0, .., n_N]`.
    pub sizes: Vec<usize>,
    /// Rate function φ of the hidden layers (and of the output, except for cross-entropy).
    #[config(default = "Transfer::Logistic")]
    pub transfer: Transfer,
    /// Output error.
    #[config(default = "OutputError::Potential")]
    pub error: OutputError,
    /// Weights start in U(-s, s), `s = init_scale / sqrt(fan_in)`; biases at 0.
    #[config(default = 1.0)]
    pub init_scale: f64,
    /// Seed of the host RNG that draws the initial weights (and any fixed feedback).
    #[config(default = 0)]
    pub seed: u64,
    /// f32 or f64.
    #[config(default = "Precision::F32")]
    pub precision: Precision,
}

impl NetConfig {
    /// Checks sizes, scale and rate function.
    pub fn check(&self) -> crate::Result<()> {
        if self.sizes.len() < 2 || self.sizes.contains(&0) {
            return Err(BaselineError::BadConfig(format!(
                "sizes must list at least an input and an output layer, all non-zero, got {:?}",
                self.sizes
            )));
        }
        if !(self.init_scale.is_finite() && self.init_scale >= 0.0) {
            return Err(BaselineError::BadConfig(format!(
                "init_scale must be finite and >= 0, got {}",
                self.init_scale
            )));
        }
        self.transfer.check()?;
        Ok(())
    }

    /// The output error and rate function.
    pub fn objective(&self) -> Objective {
        Objective {
            transfer: self.transfer,
            error: self.error,
        }
    }

    /// Number of weight layers `N`.
    pub fn depth(&self) -> usize {
        self.sizes.len() - 1
    }

    /// Draws the network on `device` (gradients are tracked when `device` is an autodiff
    /// device).
    pub fn init(&self, device: &Device) -> crate::Result<Mlp> {
        self.check()?;
        let mut sampler = WeightSampler::new(self.seed, device, self.precision);
        let layers = self
            .sizes
            .windows(2)
            .map(|w| Linear {
                weight: Param::from_tensor(trainable(
                    sampler.uniform([w[0], w[1]], self.init_scale / (w[0] as f64).sqrt()),
                    device,
                )),
                bias: Some(Param::from_tensor(trainable(
                    upload(vec![0.0; w[1]], [w[1]], device, self.precision),
                    device,
                ))),
            })
            .collect();
        Ok(Mlp { layers })
    }
}

/// The weights of an MLP, layers 1..=N. Weights are `[n_in, n_out]` (Burn's `Linear`).
#[derive(Module, Debug)]
pub struct Mlp {
    /// Layers 1..=N.
    pub layers: Vec<Linear>,
}

/// Every layer's activity on one batch.
#[derive(Debug, Clone)]
pub struct Trace {
    /// `h_0 = x, h_1, .., h_{N-1}`: the presynaptic activity of layers 1..=N.
    pub rates: Vec<Tensor<2>>,
    /// `u_1, .., u_N`.
    pub potentials: Vec<Tensor<2>>,
}

impl Trace {
    /// Output potentials `u_N`.
    pub fn output(&self) -> Tensor<2> {
        self.potentials.last().expect("at least one layer").clone()
    }
}

impl Mlp {
    /// Number of weight layers `N`.
    pub fn depth(&self) -> usize {
        self.layers.len()
    }

    /// The forward pass, keeping every layer's potentials and rates.
    pub fn trace(&self, input: Tensor<2>, phi: Transfer) -> Trace {
        let depth = self.layers.len();
        let mut rates = Vec::with_capacity(depth);
        let mut potentials = Vec::with_capacity(depth);
        let mut h = input;
        for (l, layer) in self.layers.iter().enumerate() {
            let u = layer.forward(h.clone());
            rates.push(h.clone());
            if l + 1 < depth {
                h = phi.rate(u.clone());
            }
            potentials.push(u);
        }
        Trace { rates, potentials }
    }

    /// The prediction (`objective`'s output activity) for inputs `[batch, n_0]`.
    pub fn predict(&self, input: Tensor<2>, objective: Objective) -> Tensor<2> {
        objective.prediction(self.output(input, objective.transfer))
    }

    /// Output potentials `u_N` for inputs `[batch, n_0]`.
    pub fn output(&self, input: Tensor<2>, phi: Transfer) -> Tensor<2> {
        let depth = self.layers.len();
        let mut h = input;
        for (l, layer) in self.layers.iter().enumerate() {
            h = layer.forward(h);
            if l + 1 < depth {
                h = phi.rate(h);
            }
        }
        h
    }

    /// Layer `l` (1-based, as in the paper) applied to presynaptic activity `h`: `h W_l + b_l`.
    pub fn potential(&self, l: usize, h: Tensor<2>) -> Tensor<2> {
        self.layers[l - 1].forward(h)
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

    /// A copy on `device` that tracks gradients when `device` is an autodiff device.
    pub fn copy_to(&self, device: &Device) -> Self {
        let layers = self
            .layers
            .iter()
            .map(|layer| Linear {
                weight: Param::from_tensor(trainable(layer.weight.val().detach(), device)),
                bias: layer
                    .bias
                    .as_ref()
                    .map(|b| Param::from_tensor(trainable(b.val().detach(), device))),
            })
            .collect();
        Self { layers }
    }

    /// Backprop's gradient of the batch-mean loss with respect to every weight matrix
    /// (bottom to top) on one batch, through Burn's autodiff. `self` must live on an autodiff
    /// device (see [`Mlp::copy_to`]). `target` holds target *rates*, as everywhere. What is
    /// differentiated is the objective's surrogate ([`Objective::surrogate_loss`]): for
    /// [`OutputError::Potential`] that is `½ Σ sg(φ'(u_N)) (u_N − u_trgt)²` with
    /// `u_trgt = φ⁻¹(r_trgt)` and `sg` a stop-gradient, whose gradient is the paper's
    /// `e_N = φ'(u_N) (u_trgt − u_N)` (not the gradient of the reported `½ ‖u_trgt − u_N‖²`).
    pub fn weight_gradients(
        &self,
        input: Tensor<2>,
        target: Tensor<2>,
        objective: Objective,
    ) -> Vec<Tensor<2>> {
        let u_out = self.output(input, objective.transfer);
        let grads = objective.surrogate_loss(u_out, target).backward();
        self.layers
            .iter()
            .map(|l| {
                l.weight
                    .grad(&grads)
                    .expect("weight takes part in the loss")
            })
            .collect()
    }

    /// One optimiser step along the pseudo-gradients of the layers that learn.
    pub fn descend(&mut self, optim: &mut Optimizer, per_layer: Vec<Option<LayerGradient>>) {
        descend_layers(&mut self.layers, optim, per_layer);
    }
}

/// Optimiser step on a stack of `Linear` layers (parameter slots `2l` and `2l + 1`).
pub(crate) fn descend_layers(
    layers: &mut [Linear],
    optim: &mut Optimizer,
    per_layer: Vec<Option<LayerGradient>>,
) {
    for (l, (layer, g)) in layers.iter_mut().zip(per_layer).enumerate() {
        if let Some(g) = g {
            optim.update(2 * l, &mut layer.weight, g.weight);
            if let Some(bias) = &mut layer.bias {
                optim.update(2 * l + 1, bias, g.bias);
            }
        }
    }
}

/// A layer's (pseudo-)gradient: the direction an optimiser descends.
#[derive(Debug, Clone)]
pub struct LayerGradient {
    /// `∂L/∂W_l`, `[n_{l-1}, n_l]`.
    pub weight: Tensor<2>,
    /// `∂L/∂b_l`, `[n_l]`.
    pub bias: Tensor<1>,
}

impl LayerGradient {
    /// The batch-mean gradient of a layer from its presynaptic activity `h_{l-1}` and its
    /// per-sample delta `δ_l = ∂L/∂u_l`: `g_W = h_{l-1}ᵀ δ_l / B`, `g_b = mean(δ_l)`.
    pub fn from_delta(pre: Tensor<2>, delta: Tensor<2>) -> Self {
        let batch = delta.dims()[0] as f64;
        Self {
            weight: pre.transpose().matmul(delta.clone()).div_scalar(batch),
            bias: delta.mean_dim(0).squeeze_dim(0),
        }
    }
}

/// `t` on `device`, tracking gradients when `device` is an autodiff device.
pub(crate) fn trainable<const D: usize>(t: Tensor<D>, device: &Device) -> Tensor<D> {
    // Drop any autodiff association first: an updated autodiff weight is not a graph leaf,
    // and marking a non-leaf as tracked panics.
    let t = t.without_autodiff().to_device(&device.clone().inner());
    if device.is_autodiff() {
        t.autodiff().require_grad()
    } else {
        t
    }
}
