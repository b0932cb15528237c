//! [`Replicas`]: `R` independent microcircuits trained as one tensor program, each with its
//! own seed and its own per-network scalars (learning rates, mixing factors, init scales).
//!
//! Weights are stacked on a leading replica dimension, `[R, n_in, n_out]`, batches are
//! `[R, batch, n]`, and every step runs the same settle and Eqs. 7-10 as one
//! [`Microcircuit`] ([`crate::steady_state`], [`crate::plasticity`], written once for any
//! rank) with batched matmuls, so `R` networks cost the operations of one. A scalar that
//! differs between replicas becomes a `[R, 1, 1]` tensor that broadcasts
//! ([`Coefficient`]); one that they share stays a plain scalar, so replica `r` computes
//! exactly what a single network with its config computes.
//!
//! ```
//! use burn::tensor::{Device, Distribution, Tensor};
//! use dendritic::{MicrocircuitConfig, Replicas};
//!
//! let device = Device::default();
//! let configs: Vec<_> = [0.1, 0.2, 0.4]
//!     .iter()
//!     .enumerate()
//!     .map(|(r, &eta)| {
//!         MicrocircuitConfig::new(vec![6, 5, 3])
//!             .with_seed(r as u64 + 1)
//!             .with_eta_up(vec![eta])
//!     })
//!     .collect();
//! let mut replicas = Replicas::new(configs, &device).unwrap();
//! let x = Tensor::<3>::random([3, 10, 6], Distribution::Uniform(0.0, 1.0), &device);
//! let target = replicas.target_potential(Tensor::full([3, 10, 3], 0.8, &device));
//! replicas.learn(x.clone(), target).unwrap();
//! assert_eq!(replicas.predict(x).dims(), [3, 10, 3]);
//! let second = replicas.replica(1); // a plain Microcircuit with seed 2 and η_up = 0.2
//! assert_eq!(second.config().seed, 2);
//! ```

use burn::tensor::{DType, Device, Tensor};

use crate::coefficient::Coefficient;
use crate::config::MicrocircuitConfig;
use crate::error::{DendriticError, Result};
use crate::microcircuit::Microcircuit;
use crate::plasticity::{StepRates, Updates, plasticity};
use crate::state::State;
use crate::steady_state::{Mixing, settle};
use crate::weights::Weights;

/// `R` microcircuits of the same sizes, transfer function, biases and precision, stacked.
#[derive(Debug, Clone)]
pub struct Replicas {
    weights: Weights<3>,
    configs: Vec<MicrocircuitConfig>,
    rate_scales: Vec<f64>,
    mixing: Mixing<3>,
    rates: StepRates<3>,
}

impl Replicas {
    /// Builds one network per config (each from its own seed, as
    /// [`MicrocircuitConfig::init`] does) and stacks them.
    pub fn new(configs: Vec<MicrocircuitConfig>, device: &Device) -> Result<Self> {
        let networks = configs
            .iter()
            .map(|c| c.init(device))
            .collect::<Result<Vec<_>>>()?;
        Self::from_networks(&networks)
    }

    /// Stacks existing networks (their weights are copied into the stack).
    pub fn from_networks(networks: &[Microcircuit]) -> Result<Self> {
        let first = networks
            .first()
            .ok_or_else(|| DendriticError::Replicas("no network to stack".into()))?
            .config();
        for (r, net) in networks.iter().enumerate().skip(1) {
            let c = net.config();
            if let Some(field) = first.stack_conflict(c) {
                return Err(DendriticError::Replicas(format!(
                    "replica {r} has another {field} than replica 0; replicas share sizes, \
                     transfer function, biases, precision and w_pi_free_phase"
                )));
            }
        }
        let weights = Weights::stack(
            &networks
                .iter()
                .map(Weights::from_network)
                .collect::<Vec<_>>(),
        );
        let configs: Vec<MicrocircuitConfig> =
            networks.iter().map(|n| n.config().clone()).collect();
        let device = weights.output.w_up.device();
        let dtype = first.precision.dtype();
        let each = |f: fn(&MicrocircuitConfig) -> f64| -> Coefficient<3> {
            Coefficient::of(&configs.iter().map(f).collect::<Vec<_>>(), &device, dtype)
        };
        let mixing = Mixing {
            hidden: each(MicrocircuitConfig::lambda_hidden),
            output: each(MicrocircuitConfig::lambda_output),
            interneuron: each(MicrocircuitConfig::lambda_interneuron),
        };
        let rate_scales: Vec<f64> = networks.iter().map(Microcircuit::rate_scale).collect();
        let rates = step_rates(&configs, &rate_scales, &device, dtype);
        Ok(Self {
            weights,
            configs,
            rate_scales,
            mixing,
            rates,
        })
    }

    /// Number of replicas `R`.
    pub fn len(&self) -> usize {
        self.configs.len()
    }

    /// Whether there are no replicas (never: construction refuses it).
    pub fn is_empty(&self) -> bool {
        self.configs.is_empty()
    }

    /// Every replica's configuration.
    pub fn configs(&self) -> &[MicrocircuitConfig] {
        &self.configs
    }

    /// The stacked weights, `[R, n_in, n_out]` (biases `[R, 1, n]`).
    pub fn weights(&self) -> &Weights<3> {
        &self.weights
    }

    /// Replica `r` as a plain [`Microcircuit`] (a copy of its weights, its config and its
    /// current rate factor), e.g. to save or evaluate it. Panics if `r >= len()`.
    pub fn replica(&self, r: usize) -> Microcircuit {
        let mut net = Microcircuit::from_weights(self.configs[r].clone(), self.weights.replica(r));
        net.set_rate_scale(self.rate_scales[r]);
        net
    }

    /// Every replica's factor on its learning rates from now on (a schedule's value per
    /// replica; see [`Microcircuit::set_rate_scale`]). `scales` has one entry per replica.
    pub fn set_rate_scales(&mut self, scales: &[f64]) -> Result<()> {
        if scales.len() != self.len() {
            return Err(DendriticError::Replicas(format!(
                "{} rate factors for {} replicas",
                scales.len(),
                self.len()
            )));
        }
        if scales != self.rate_scales.as_slice() {
            self.rate_scales = scales.to_vec();
            let device = self.weights.output.w_up.device();
            self.rates = step_rates(&self.configs, scales, &device, self.dtype());
        }
        Ok(())
    }

    fn dtype(&self) -> DType {
        self.configs[0].precision.dtype()
    }

    fn check(
        &self,
        what: &'static str,
        t: &Tensor<3>,
        width: usize,
        batch: Option<usize>,
    ) -> Result<()> {
        let dims = t.dims();
        let batch_ok = batch.is_none_or(|b| dims[1] == b) && dims[1] > 0;
        if dims[0] != self.len() || dims[2] != width || !batch_ok {
            return Err(DendriticError::Shape {
                what,
                expected: vec![self.len(), batch.unwrap_or(0), width],
                got: dims.to_vec(),
            });
        }
        Ok(())
    }

    fn sizes(&self) -> &[usize] {
        &self.configs[0].sizes
    }

    /// Settles every replica on its own batch: `input` `[R, batch, n_0]`, `target` somatic
    /// target potentials `[R, batch, n_N]` (section 3.4, as [`Microcircuit::settle`]).
    pub fn settle(&self, input: Tensor<3>, target: Option<Tensor<3>>) -> Result<State<3>> {
        self.check("input", &input, self.sizes()[0], None)?;
        let n_out = *self.sizes().last().expect("validated sizes");
        if let Some(t) = &target {
            self.check("target", t, n_out, Some(input.dims()[1]))?;
        }
        let phi = self.configs[0].transfer;
        Ok(settle(
            &self.weights,
            &self.mixing,
            phi,
            input,
            target,
            None,
        ))
    }

    /// Eqs. 7-10 of every replica for a settled stack, each with its own effective rates
    /// (as [`Microcircuit::plasticity`]).
    pub fn plasticity(&self, state: &State<3>) -> Updates<3> {
        self.plasticity_with_free(state, None)
    }

    /// [`plasticity`](Self::plasticity) with Eq. 9 from `free`, the stack settled with the
    /// target off (as [`Microcircuit::plasticity_with_free`]).
    pub fn plasticity_with_free(&self, state: &State<3>, free: Option<&State<3>>) -> Updates<3> {
        let config = &self.configs[0];
        plasticity(
            state,
            free,
            &self.rates,
            &self.mixing.hidden,
            config.transfer,
            config.bias,
        )
    }

    /// One learning step of every replica on its own batch: settle, Eqs. 7-10, apply.
    /// Returns each replica's feed-forward output potential `v_B,N` (before the update),
    /// `[R, batch, n_N]`.
    pub fn learn(&mut self, input: Tensor<3>, target: Tensor<3>) -> Result<Tensor<3>> {
        let free = if self
            .configs
            .iter()
            .any(MicrocircuitConfig::needs_free_phase)
        {
            Some(self.settle(input.clone(), None)?)
        } else {
            None
        };
        let state = self.settle(input, Some(target))?;
        let updates = self.plasticity_with_free(&state, free.as_ref());
        self.weights.add(&updates);
        Ok(state.output.basal)
    }

    /// Output rates of every replica's feed-forward pass, `[R, batch, n_N]`, for inputs
    /// `[R, batch, n_0]`. Panics on a wrong input width, as [`Microcircuit::predict`].
    pub fn predict(&self, input: Tensor<3>) -> Tensor<3> {
        let phi = self.configs[0].transfer;
        let u_out = self
            .weights
            .feedforward(input, phi)
            .pop()
            .expect("at least one layer");
        phi.rate(u_out)
    }

    /// Somatic target potentials `u_trgt = φ⁻¹(r_trgt)` for target rates `[R, batch, n_N]`.
    pub fn target_potential(&self, target_rates: Tensor<3>) -> Tensor<3> {
        self.configs[0].transfer.inverse(target_rates)
    }
}

/// Every replica's effective rates (after its rate scaling and factor), group by group and
/// layer by layer, as coefficients over the replicas.
fn step_rates(
    configs: &[MicrocircuitConfig],
    scales: &[f64],
    device: &Device,
    dtype: DType,
) -> StepRates<3> {
    let rates: Vec<_> = configs
        .iter()
        .zip(scales)
        .map(|(c, &s)| c.effective_rates().scaled(s))
        .collect();
    let column = |pick: fn(&crate::EffectiveRates) -> &Vec<f64>| -> Vec<Coefficient<3>> {
        (0..pick(&rates[0]).len())
            .map(|i| {
                let values: Vec<f64> = rates.iter().map(|r| pick(r)[i]).collect();
                Coefficient::of(&values, device, dtype)
            })
            .collect()
    };
    StepRates {
        up: column(|r| &r.up),
        ip: column(|r| &r.ip),
        pi: column(|r| &r.pi),
        down: column(|r| &r.down),
    }
}
