//! The [`Microcircuit`] module: the weights of every layer, initialisation, and the
//! feed-forward prediction.

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};

use crate::config::{Init, MicrocircuitConfig};
use crate::error::{DendriticError, Result};
use crate::random::{WeightSampler, upload};
use crate::weights::Weights;

/// One hidden layer `k` (0 < k < N): its pyramidal cells' bottom-up and top-down weights and
/// its lateral interneurons (one per pyramidal cell of layer `k+1`).
///
/// Weights use Burn's row convention (as [`burn::nn::Linear`]): a batch of rates `r` of shape
/// `[batch, n_in]` is mapped by `r.matmul(w)`, so every matrix is stored as the transpose of
/// the paper's. `W_down_k = W_up_{k+1}ᵀ` and `W_PI_k = -W_down_k` read the same in both.
#[derive(Module, Debug)]
pub struct HiddenLayer {
    /// Bottom-up weights onto the basal dendrites, `W_up_k`: `[n_{k-1}, n_k]` (Eq. 3).
    pub w_up: Param<Tensor<2>>,
    /// Plastic basal bias (the unit input of section 3.4): `[n_k]`.
    pub b_up: Option<Param<Tensor<1>>>,
    /// Top-down weights onto the apical dendrites, `W_down_k`: `[n_{k+1}, n_k]` (Eq. 4).
    pub w_down: Param<Tensor<2>>,
    /// Pyramidal-to-interneuron weights `W_IP_k`: `[n_k, n_{k+1}]` (Eq. 5).
    pub w_ip: Param<Tensor<2>>,
    /// Interneuron dendritic bias: `[n_{k+1}]`.
    pub b_ip: Option<Param<Tensor<1>>>,
    /// Interneuron-to-apical weights `W_PI_k`: `[n_{k+1}, n_k]` (Eq. 4).
    pub w_pi: Param<Tensor<2>>,
}

/// The output layer `N`: two-compartment pyramidal cells (basal and soma, no apical dendrite).
#[derive(Module, Debug)]
pub struct OutputLayer {
    /// Bottom-up weights `W_up_N`: `[n_{N-1}, n_N]`.
    pub w_up: Param<Tensor<2>>,
    /// Plastic basal bias: `[n_N]`.
    pub b_up: Option<Param<Tensor<1>>>,
}

/// A dendritic cortical microcircuit (Sacramento et al. 2018): only parameters; compartment
/// potentials live in [`State`](crate::State).
///
/// ```
/// use burn::tensor::{Device, Tensor, Distribution};
/// use dendritic::MicrocircuitConfig;
///
/// let device = Device::default();
/// let net = MicrocircuitConfig::new(vec![4, 3, 2]).init(&device).unwrap();
/// let x = Tensor::<2>::random([5, 4], Distribution::Uniform(0.0, 1.0), &device);
/// let rates = net.predict(x);
/// assert_eq!(rates.dims(), [5, 2]);
/// ```
#[derive(Module, Debug)]
pub struct Microcircuit {
    /// Hidden layers `1..N-1`.
    pub hidden: Vec<HiddenLayer>,
    /// Output layer `N`.
    pub output: OutputLayer,
    /// The configuration it was built from (not saved with the weights).
    #[module(skip)]
    pub(crate) config: MicrocircuitConfig,
    /// Factor on every learning rate (a schedule's current value; 1 at the start).
    #[module(skip)]
    pub(crate) rate_scale: f64,
}

impl MicrocircuitConfig {
    /// Validates the config and builds the network on `device`, drawing weights from a host
    /// RNG seeded with [`seed`](Self::seed).
    pub fn init(&self, device: &Device) -> Result<Microcircuit> {
        self.check()?;
        let mut sampler = WeightSampler::new(self.seed, device, self.precision);
        let n = self.depth();
        let sizes = &self.sizes;
        let fan = |k: usize| (sizes[k] as f64).sqrt();
        // Bottom-up weights first (so the same seed gives the same W_up under either init).
        let w_up: Vec<Tensor<2>> = (1..=n)
            .map(|k| sampler.uniform([sizes[k - 1], sizes[k]], self.init_scale_up / fan(k - 1)))
            .collect();
        let w_down: Vec<Tensor<2>> = (1..n)
            .map(|k| {
                if self.top_down_transposed {
                    w_up[k].clone().transpose()
                } else {
                    sampler.uniform([sizes[k + 1], sizes[k]], self.init_scale_down / fan(k + 1))
                }
            })
            .collect();
        let bias = |size: usize| {
            self.bias.then(|| {
                Param::from_tensor(upload(vec![0.0; size], [size], device, self.precision))
            })
        };
        let mut hidden = Vec::with_capacity(n - 1);
        for k in 1..n {
            let (w_ip, w_pi) = match self.init {
                Init::SelfPredicting => (
                    w_up[k].clone().mul_scalar(self.interneuron_attenuation(k)),
                    w_down[k - 1].clone().neg(),
                ),
                Init::Random => (
                    sampler.uniform([sizes[k], sizes[k + 1]], self.init_scale_ip / fan(k)),
                    sampler.uniform([sizes[k + 1], sizes[k]], self.init_scale_pi / fan(k + 1)),
                ),
            };
            hidden.push(HiddenLayer {
                w_up: Param::from_tensor(w_up[k - 1].clone()),
                b_up: bias(sizes[k]),
                w_down: Param::from_tensor(w_down[k - 1].clone()),
                w_ip: Param::from_tensor(w_ip),
                b_ip: bias(sizes[k + 1]),
                w_pi: Param::from_tensor(w_pi),
            });
        }
        let output = OutputLayer {
            w_up: Param::from_tensor(w_up[n - 1].clone()),
            b_up: bias(sizes[n]),
        };
        Ok(Microcircuit {
            hidden,
            output,
            config: self.clone(),
            rate_scale: 1.0,
        })
    }

    /// The factor `a` with `W_IP_k = a W_up_{k+1}` in the self-predicting state of the
    /// steady-state scheme: the interneuron's settled potential (`u_I = v_I`) must equal its
    /// partner's with no target, which is `(1 - λ_{k+1}) v_B,k+1` for a hidden partner and
    /// `v_B,N` for an output partner (REFERENCE §1).
    pub fn interneuron_attenuation(&self, k: usize) -> f64 {
        if k + 1 == self.depth() {
            1.0
        } else {
            1.0 - self.lambda_hidden()
        }
    }
}

impl Microcircuit {
    /// A network with the given weights (biases as rows `[1, n]`, present exactly when
    /// `config.bias`), e.g. one replica of a [`Replicas`](crate::Replicas) stack.
    pub fn from_weights(config: MicrocircuitConfig, weights: Weights) -> Self {
        let bias = |row: Option<Tensor<2>>| row.map(|b| Param::from_tensor(b.squeeze_dim(0)));
        let hidden = weights
            .hidden
            .into_iter()
            .map(|h| HiddenLayer {
                w_up: Param::from_tensor(h.w_up),
                b_up: bias(h.b_up),
                w_down: Param::from_tensor(h.w_down),
                w_ip: Param::from_tensor(h.w_ip),
                b_ip: bias(h.b_ip),
                w_pi: Param::from_tensor(h.w_pi),
            })
            .collect();
        Microcircuit {
            hidden,
            output: OutputLayer {
                w_up: Param::from_tensor(weights.output.w_up),
                b_up: bias(weights.output.b_up),
            },
            config,
            rate_scale: 1.0,
        }
    }

    /// Multiplies every learning rate of the config by `scale` from now on (a learning-rate
    /// schedule sets it once per epoch); `1` restores the configured rates.
    pub fn set_rate_scale(&mut self, scale: f64) {
        self.rate_scale = scale;
    }

    /// The current learning-rate factor (see [`Self::set_rate_scale`]).
    pub fn rate_scale(&self) -> f64 {
        self.rate_scale
    }

    /// The configuration this network was built from.
    pub fn config(&self) -> &MicrocircuitConfig {
        &self.config
    }

    /// Number of weight layers `N`.
    pub fn depth(&self) -> usize {
        self.hidden.len() + 1
    }

    /// Feed-forward somatic potentials `u_k⁻ = v_B,k` for k = 1..=N: the network with lateral
    /// and top-down weights removed (section 3.1). `input`: `[batch, n_0]`.
    pub fn feedforward(&self, input: Tensor<2>) -> Vec<Tensor<2>> {
        Weights::from_network(self).feedforward(input, self.config.transfer)
    }

    /// The feed-forward prediction: output rates `φ(u_N⁻)`, `[batch, n_N]`, for inputs
    /// `[batch, n_0]`. With no target a self-predicting network settles exactly here, so the
    /// module can be used like any Burn layer. Panics (as Burn layers do) on a wrong input
    /// width; use [`check_input`](Self::check_input) first for user data.
    pub fn predict(&self, input: Tensor<2>) -> Tensor<2> {
        let u_out = self.feedforward(input).pop().expect("at least one layer");
        self.config.transfer.rate(u_out)
    }

    /// Class predictions: the index of the most active output cell, `[batch]`.
    pub fn classify(&self, input: Tensor<2>) -> Tensor<1, burn::tensor::Int> {
        self.predict(input).argmax(1).squeeze_dim(1)
    }

    /// Checks that `input` is `[batch, n_0]` with batch > 0.
    pub fn check_input(&self, input: &Tensor<2>) -> Result<()> {
        check_shape("input", input.dims(), self.config.sizes[0])
    }

    /// Checks that a somatic target is `[batch, n_N]` for the given batch size.
    pub fn check_target(&self, target: &Tensor<2>, batch: usize) -> Result<()> {
        let n_out = *self.config.sizes.last().expect("validated sizes");
        let dims = target.dims();
        if dims != [batch, n_out] {
            return Err(DendriticError::Shape {
                what: "target",
                expected: vec![batch, n_out],
                got: dims.to_vec(),
            });
        }
        Ok(())
    }
}

fn check_shape(what: &'static str, dims: [usize; 2], width: usize) -> Result<()> {
    if dims[1] != width || dims[0] == 0 {
        return Err(DendriticError::Shape {
            what,
            expected: vec![0, width],
            got: dims.to_vec(),
        });
    }
    Ok(())
}
