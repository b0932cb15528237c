//! Plasticity, paper Eqs. 7-10, as explicit batch-averaged tensor code (no autodiff).

use burn::module::Param;
use burn::tensor::Tensor;
use rayon::prelude::*;

use crate::coefficient::Coefficient;
use crate::config::{MicrocircuitConfig, RateScaling};
use crate::error::Result;
use crate::microcircuit::{HiddenLayer, Microcircuit};
use crate::state::{HiddenState, State};
use crate::transfer::Transfer;

/// Weight changes of one hidden layer; `None` where the group does not learn.
/// Shapes match the [`Weights`] they change: matrices as the weights, bias changes as rows
/// `[1, n]` (`[R, 1, n]` for `D = 3` replicas).
#[derive(Debug, Clone)]
pub struct HiddenUpdates<const D: usize = 2> {
    /// ΔW_up_k (Eq. 7).
    pub w_up: Option<Tensor<D>>,
    /// Δ basal bias (Eq. 7 with a unit input).
    pub b_up: Option<Tensor<D>>,
    /// ΔW_IP_k (Eq. 8).
    pub w_ip: Option<Tensor<D>>,
    /// Δ interneuron bias (Eq. 8 with a unit input).
    pub b_ip: Option<Tensor<D>>,
    /// ΔW_PI_k (Eq. 9).
    pub w_pi: Option<Tensor<D>>,
    /// ΔW_down_k (Eq. 10).
    pub w_down: Option<Tensor<D>>,
}

/// Weight changes of the output layer.
#[derive(Debug, Clone)]
pub struct OutputUpdates<const D: usize = 2> {
    /// ΔW_up_N (Eq. 7).
    pub w_up: Option<Tensor<D>>,
    /// Δ output bias.
    pub b_up: Option<Tensor<D>>,
}

/// One plasticity step for the whole network, already multiplied by the learning rates.
#[derive(Debug, Clone)]
pub struct Updates<const D: usize = 2> {
    /// Hidden layers `1..N-1`.
    pub hidden: Vec<HiddenUpdates<D>>,
    /// Output layer `N`.
    pub output: OutputUpdates<D>,
}

impl<const D: usize> Updates<D> {
    /// ΔW_up of every layer 1..=N (where it learns), bottom to top.
    pub fn w_up(&self) -> Vec<Option<Tensor<D>>> {
        self.hidden
            .iter()
            .map(|h| h.w_up.clone())
            .chain([self.output.w_up.clone()])
            .collect()
    }
}

/// The effective learning rates of one step, after [`RateScaling`].
#[derive(Debug, Clone, PartialEq)]
pub struct EffectiveRates {
    /// Rate of W_up for layers 1..=N.
    pub up: Vec<f64>,
    /// Rate of W_IP for hidden layers.
    pub ip: Vec<f64>,
    /// Rate of W_PI for hidden layers.
    pub pi: Vec<f64>,
    /// Rate of W_down for hidden layers.
    pub down: Vec<f64>,
}

impl EffectiveRates {
    /// Every rate times `factor`.
    pub fn scaled(mut self, factor: f64) -> Self {
        for list in [&mut self.up, &mut self.ip, &mut self.pi, &mut self.down] {
            list.iter_mut().for_each(|eta| *eta *= factor);
        }
        self
    }
}

impl MicrocircuitConfig {
    /// Learning rates after rescaling by the inverse mixing factors (section 3.4).
    ///
    /// The teaching signal reaching layer `k` is diluted by every mixing factor on its way
    /// down: [`RateScaling::Path`] divides `η_up,k` by `λ_N ∏_{l=k}^{N-1} λ_l (1 - λ_I)`,
    /// [`RateScaling::Layer`] by the layer's own `λ`. Interneurons mirror the layer above
    /// (`W_IP_k ≈ a_k W_up_{k+1}`, a_k the [attenuation](Self::interneuron_attenuation)),
    /// and their error is diluted by `λ_I`; so under either scaling `η_IP,k` is multiplied by
    /// `a_k / λ_I` times the scale of `η_up,k+1`. With `η_IP,k = η_up,k+1`, `W_IP_k` then
    /// changes exactly as `a_k W_up_{k+1}` does and the self-predicting state is kept while
    /// the forward weights learn. A zero mixing factor disables the rescaling it would
    /// divide by.
    pub fn effective_rates(&self) -> EffectiveRates {
        let n = self.depth();
        let (l_k, l_n, l_i) = (
            self.lambda_hidden(),
            self.lambda_output(),
            self.lambda_interneuron(),
        );
        let inv = |x: f64| if x > 0.0 { 1.0 / x } else { 1.0 };
        let up_scale = |layer: usize| match self.rate_scaling {
            RateScaling::None => 1.0,
            RateScaling::Layer if layer == n => inv(l_n),
            RateScaling::Layer => inv(l_k),
            RateScaling::Path => inv(l_n * (l_k * (1.0 - l_i)).powi((n - layer) as i32)),
        };
        let ip_scale = |k: usize| match self.rate_scaling {
            RateScaling::None => 1.0,
            _ => self.interneuron_attenuation(k) * up_scale(k + 1) * inv(l_i),
        };
        let pick = Self::rate;
        EffectiveRates {
            up: (1..=n)
                .map(|k| pick(&self.eta_up, k - 1) * up_scale(k))
                .collect(),
            ip: (1..n)
                .map(|k| pick(&self.eta_ip, k - 1) * ip_scale(k))
                .collect(),
            pi: (1..n).map(|k| pick(&self.eta_pi, k - 1)).collect(),
            down: (1..n).map(|k| pick(&self.eta_down, k - 1)).collect(),
        }
    }
}

/// The effective learning rates of one step as [`Coefficient`]s: one network's, or one per
/// replica.
#[derive(Debug, Clone)]
pub struct StepRates<const D: usize> {
    /// Rate of W_up for layers 1..=N.
    pub up: Vec<Coefficient<D>>,
    /// Rate of W_IP for hidden layers.
    pub ip: Vec<Coefficient<D>>,
    /// Rate of W_PI for hidden layers.
    pub pi: Vec<Coefficient<D>>,
    /// Rate of W_down for hidden layers.
    pub down: Vec<Coefficient<D>>,
}

impl StepRates<2> {
    /// One network's rates.
    pub fn of(rates: &EffectiveRates) -> Self {
        let same = |list: &[f64]| list.iter().map(|&v| Coefficient::Same(v)).collect();
        Self {
            up: same(&rates.up),
            ip: same(&rates.ip),
            pi: same(&rates.pi),
            down: same(&rates.down),
        }
    }
}

/// `η / B · preᵀ post` and `η / B · Σ_batch post` (kept as a row): the batch average of a
/// local rule "post-synaptic factor × presynaptic rate" (Eq. 6). Nothing, not even the
/// postsynaptic factor, is computed when η = 0 for every network.
fn outer<const D: usize>(
    eta: &Coefficient<D>,
    pre: &Tensor<D>,
    post: impl FnOnce() -> Tensor<D>,
    with_bias: bool,
) -> (Option<Tensor<D>>, Option<Tensor<D>>) {
    if eta.is_zero() {
        return (None, None);
    }
    let batch = pre.dims()[D - 2] as f64;
    let post = eta.map(|e| e / batch).scale(post());
    let bias = with_bias.then(|| post.clone().sum_dim(D - 2));
    (Some(pre.clone().transpose().matmul(post)), bias)
}

/// Eqs. 7-10 for a settled batch of any rank (see [`Microcircuit::plasticity`]): one network
/// (`D = 2`) or `R` stacked replicas (`D = 3`, [`Replicas`](crate::Replicas)). Eq. 9 reads
/// `free` (the same batch settled with the target off) where it is given, `state` otherwise.
pub(crate) fn plasticity<const D: usize>(
    state: &State<D>,
    free: Option<&State<D>>,
    rates: &StepRates<D>,
    lambda_hidden: &Coefficient<D>,
    phi: Transfer,
    bias: bool,
) -> Updates<D> {
    let n = state.hidden.len() + 1;
    let keep = lambda_hidden.map(|l| 1.0 - l);

    let output = || {
        let (w_up, b_up) = outer(
            &rates.up[n - 1],
            state.presynaptic(n),
            || state.output.rate.clone() - phi.rate(state.output.basal.clone()),
            bias,
        );
        OutputUpdates { w_up, b_up }
    };

    // Layers are independent: on CPU backends, compute them on all cores.
    let parallel = crate::parallel::host_threads(&state.input.device());
    let layer = |(i, h): (usize, &HiddenState<D>)| {
        let k = i + 1;
        let (w_up, b_up) = outer(
            &rates.up[i],
            state.presynaptic(k),
            // φ(u_k) − φ(v̂_B,k) from u_k − v̂_B,k = λ_k v_A,k, without cancellation.
            || {
                phi.rate_difference(
                    h.rate.clone(),
                    keep.scale(h.basal.clone()),
                    lambda_hidden.scale(h.apical.clone()),
                )
            },
            bias,
        );
        let (w_ip, b_ip) = outer(
            &rates.ip[i],
            &h.forward_rate,
            || h.interneuron_rate.clone() - phi.rate(h.interneuron_dendrite.clone()),
            bias,
        );
        let lateral = free.map_or(h, |f| &f.hidden[i]);
        let (w_pi, _) = outer(
            &rates.pi[i],
            &lateral.interneuron_rate,
            || lateral.apical.clone().neg(),
            false,
        );
        let r_above = match state.hidden.get(k) {
            Some(above) => &above.rate,
            None => &state.output.rate,
        };
        let (w_down, _) = outer(
            &rates.down[i],
            r_above,
            || h.rate.clone() - phi.rate(h.top_down.clone()),
            false,
        );
        HiddenUpdates {
            w_up,
            b_up,
            w_ip,
            b_ip,
            w_pi,
            w_down,
        }
    };
    let hidden = || -> Vec<HiddenUpdates<D>> {
        if parallel {
            state.hidden.par_iter().enumerate().map(layer).collect()
        } else {
            state.hidden.iter().enumerate().map(layer).collect()
        }
    };
    let (hidden, output) = crate::parallel::join(parallel, hidden, output);
    Updates { hidden, output }
}

impl MicrocircuitConfig {
    /// Whether [`Microcircuit::learn`] trains networks of this config on `device` with the
    /// fused CPU step ([`crate::cpu`]: f32, logistic, flex) rather than the tensor code.
    pub fn fused_step_on(&self, device: &burn::tensor::Device) -> bool {
        #[cfg(feature = "flex")]
        {
            crate::cpu::fused_for(self, device)
        }
        #[cfg(not(feature = "flex"))]
        {
            let _ = device;
            false
        }
    }
}

impl Microcircuit {
    /// Eqs. 7-10 for a settled batch, averaged over the batch and multiplied by the
    /// [effective rates](MicrocircuitConfig::effective_rates):
    ///
    /// - Eq. 7: `ΔW_up_k ∝ (φ(u_k) - φ(v̂_B,k)) r_{k-1}ᵀ`, with `v̂_B,k = (1-λ_k) v_B,k` (what
    ///   `u_k` would be with a silent apical dendrite) and `v̂_B,N = v_B,N`;
    /// - Eq. 8: `ΔW_IP_k ∝ (φ(u_I,k) - φ(v_I,k)) r_kᵀ`;
    /// - Eq. 9: `ΔW_PI_k ∝ (0 - v_A,k) r_I,kᵀ`;
    /// - Eq. 10: `ΔW_down_k ∝ (φ(u_k) - φ(W_down_k r_{k+1})) r_{k+1}ᵀ`.
    ///
    /// Presynaptic rates are those that drove the dendrite being corrected, so each rule is
    /// the delta rule of that dendrite's prediction. With no target, a self-predicting
    /// network gets zero `W_up`, `W_IP` and `W_PI` updates (its apical dendrites are silent);
    /// `W_down` still learns by Eq. 10 unless its prediction of `r_k` from `r_{k+1}` is
    /// already exact. Eq. 7's `φ(u_k) - φ(v̂_B,k)` is computed from `u_k - v̂_B,k = λ_k v_A,k`
    /// ([`Transfer::rate_difference`](crate::Transfer::rate_difference)), so it keeps its
    /// precision at weak nudging. Bias changes are rows `[1, n]`.
    pub fn plasticity(&self, state: &State) -> Updates {
        self.plasticity_with_free(state, None)
    }

    /// [`plasticity`](Self::plasticity) with Eq. 9 computed from `free`, the same batch settled
    /// with the target off, where it is given (see
    /// [`w_pi_free_phase`](MicrocircuitConfig::w_pi_free_phase)).
    pub fn plasticity_with_free(&self, state: &State, free: Option<&State>) -> Updates {
        let config = &self.config;
        let rates = config.effective_rates().scaled(self.rate_scale);
        plasticity(
            state,
            free,
            &StepRates::of(&rates),
            &Coefficient::Same(config.lambda_hidden()),
            config.transfer,
            config.bias,
        )
    }

    /// Adds `updates` to the weights, in place.
    pub fn apply(&mut self, updates: &Updates) {
        let parallel = crate::parallel::host_threads(&self.output.w_up.val().device());
        let layer = |(layer, u): (&mut HiddenLayer, &HiddenUpdates)| {
            add_to(&mut layer.w_up, &u.w_up);
            add_to_opt(&mut layer.b_up, &u.b_up);
            add_to(&mut layer.w_ip, &u.w_ip);
            add_to_opt(&mut layer.b_ip, &u.b_ip);
            add_to(&mut layer.w_pi, &u.w_pi);
            add_to(&mut layer.w_down, &u.w_down);
        };
        let output = &mut self.output;
        let hidden = &mut self.hidden;
        crate::parallel::join(
            parallel,
            || {
                if parallel {
                    hidden.par_iter_mut().zip(&updates.hidden).for_each(layer);
                } else {
                    hidden.iter_mut().zip(&updates.hidden).for_each(layer);
                }
            },
            || {
                add_to(&mut output.w_up, &updates.output.w_up);
                add_to_opt(&mut output.b_up, &updates.output.b_up);
            },
        );
    }

    /// One learning step on a batch, the fast way: the same as [`train_step`](Self::train_step)
    /// but returns only the feed-forward output potential `u_N⁻ = v_B,N` (`[batch, n_N]`,
    /// before the update; e.g. for a loss). On the `flex` CPU backend in f32 with the logistic
    /// function it runs as one fused host computation ([`crate::cpu`]) that updates the
    /// weights in place; elsewhere it runs the tensor code below.
    pub fn learn(&mut self, input: Tensor<2>, target: Tensor<2>) -> Result<Tensor<2>> {
        self.check_input(&input)?;
        self.check_target(&target, input.dims()[0])?;
        #[cfg(feature = "flex")]
        if crate::cpu::applies(self, &input) {
            return Ok(crate::cpu::train_step(self, input, target));
        }
        Ok(self.train_step(input, target)?.output.basal)
    }

    /// One learning step on a batch: settle (section 3.4), Eqs. 7-10, apply, as tensor code
    /// on any backend. Returns the settled state (before the update) for diagnostics; use
    /// [`learn`](Self::learn) when only the training matters.
    pub fn train_step(&mut self, input: Tensor<2>, target: Tensor<2>) -> Result<State> {
        let free = if self.config.needs_free_phase() {
            Some(self.settle(input.clone(), None)?)
        } else {
            None
        };
        let state = self.settle(input, Some(target))?;
        let updates = self.plasticity_with_free(&state, free.as_ref());
        self.apply(&updates);
        Ok(state)
    }
}

/// `param += delta` without copying the weights: the parameter is moved out (leaving a cheap
/// placeholder that shares the delta's buffer) so the addition can reuse its buffer.
fn add_to<const D: usize>(param: &mut Param<Tensor<D>>, delta: &Option<Tensor<D>>) {
    if let Some(delta) = delta {
        let placeholder = Param::initialized(param.id, delta.clone());
        let owned = std::mem::replace(param, placeholder);
        *param = owned.map(|w| w + delta.clone());
    }
}

/// A bias `param += delta`, the delta a row `[1, n]`.
fn add_to_opt(param: &mut Option<Param<Tensor<1>>>, delta: &Option<Tensor<2>>) {
    if let Some(param) = param {
        add_to(param, &delta.clone().map(|row| row.squeeze_dim(0)));
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{MicrocircuitConfig, RateScaling};

    #[test]
    fn rescaled_interneuron_rates_co_track_the_layer_they_mirror() {
        let config = MicrocircuitConfig::new(vec![8, 6, 5, 4])
            .with_eta_up(vec![0.1])
            .with_eta_ip(vec![0.1]);
        let (l_k, l_i) = (config.lambda_hidden(), config.lambda_interneuron());
        for scaling in [RateScaling::Layer, RateScaling::Path] {
            let rates = config.clone().with_rate_scaling(scaling).effective_rates();
            for k in 1..config.depth() {
                // η_IP,k λ_I = a_k η_up,k+1 keeps W_IP_k = a_k W_up_{k+1} under learning.
                let lhs = rates.ip[k - 1] * l_i;
                let rhs = config.interneuron_attenuation(k) * rates.up[k];
                assert!(
                    (lhs - rhs).abs() < 1e-12 * rhs,
                    "{scaling:?}, layer {k}: {lhs} vs {rhs}"
                );
            }
        }
        let path = config
            .clone()
            .with_rate_scaling(RateScaling::Path)
            .effective_rates();
        let expected_bottom = 0.1 / (config.lambda_output() * (l_k * (1.0 - l_i)).powi(2));
        assert!((path.up[0] - expected_bottom).abs() < 1e-9);
        // A rate of 0 keeps its group fixed under every scaling.
        let frozen = config
            .with_eta_ip(vec![0.0])
            .with_rate_scaling(RateScaling::Path)
            .effective_rates();
        assert!(frozen.ip.iter().all(|&r| r == 0.0));
    }
}
