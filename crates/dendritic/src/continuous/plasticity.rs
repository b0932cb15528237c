//! Plasticity of the continuous-time network: Eqs. 7-10 evaluated every step, low-pass
//! filtered with `τ_w` ("to dampen fluctuations", section 3.3) and added to the weights
//! every step, or every `n` steps; never switched off.

use burn::tensor::Tensor;

use super::config::ContinuousConfig;
use super::dynamics::{Compartments, Potentials, rates_of};
use super::weights::{Weights, basal_attenuation, interneuron_attenuation};
use crate::config::MicrocircuitConfig;
use crate::transfer::Transfer;

/// One low-pass filtered plasticity term and its bias, kept pre-multiplied by
/// `η dt n_apply` so that applying it is a single addition.
///
/// The filter `Δ̄ ← (1 - α) Δ̄ + α Δ` (α = dt/τ_w) is linear, so over a window of `n`
/// steps it equals `(1 - α)^n Δ̄ + Σ_s α (1 - α)^(n-1-s) Δ_s`: each step only stores its
/// presynaptic rates and its (weighted) postsynaptic factor, and the window's outer products
/// are summed by one matrix product when the window closes. With `n = 1` this is the plain
/// per-step filter; with `n > 1` the filtered term is exact at every window end and the
/// weights see it every `n` steps.
#[derive(Debug, Clone)]
pub(crate) struct Trace {
    /// `η dt n_apply / B · α`: the gain of one step's instantaneous term.
    pub(crate) gain: f64,
    /// Filtered weight change, shaped like the weight (`None` until the first window).
    pub(crate) weight: Option<Tensor<2>>,
    /// Filtered bias change `[1, n]`, when the layer has a bias.
    pub(crate) bias: Option<Tensor<2>>,
    pub(crate) with_bias: bool,
    /// Presynaptic rates of the open window, `[batch, n_pre]` each.
    pub(crate) pre: Vec<Tensor<2>>,
    /// Weighted postsynaptic factors of the open window, `[batch, n_post]` each.
    pub(crate) post: Vec<Tensor<2>>,
}

/// The weight a [`Trace`] changes, with the layer index (1-based, the paper's `k`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    /// `W_up_k` (Eq. 7), k = 1..=N.
    Up(usize),
    /// `W_IP_k` (Eq. 8).
    Ip(usize),
    /// `W_PI_k` (Eq. 9).
    Pi(usize),
    /// `W_down_k` (Eq. 10).
    Down(usize),
}

impl Trace {
    /// A trace for learning rate `eta`; `None` when `eta` is 0 (the group does not learn and
    /// costs nothing).
    fn new(eta: f64, step_gain: f64, with_bias: bool) -> Option<Self> {
        (eta > 0.0).then_some(Self {
            gain: eta * step_gain,
            weight: None,
            bias: None,
            with_bias,
            pre: Vec::new(),
            post: Vec::new(),
        })
    }

    /// Stores one step of Eq. 6's "postsynaptic factor × presynaptic rate", weighted by
    /// `age_decay = (1 - α)^(steps left in the window)`.
    fn push(&mut self, age_decay: f64, pre: &Tensor<2>, post: Tensor<2>) {
        self.pre.push(pre.clone());
        self.post.push(post.mul_scalar(self.gain * age_decay));
    }

    /// Closes the window: `Δ̄ ← decay Δ̄ + Σ_s preᵀ_s post_s` (batch-averaged by the gain).
    fn close(&mut self, decay: f64) {
        if self.pre.is_empty() {
            return;
        }
        let (pre, post) = if self.pre.len() == 1 {
            (self.pre.pop().expect("one"), self.post.pop().expect("one"))
        } else {
            (
                Tensor::cat(std::mem::take(&mut self.pre), 0),
                Tensor::cat(std::mem::take(&mut self.post), 0),
            )
        };
        let bias = self.with_bias.then(|| post.clone().sum_dim(0));
        let delta = pre.transpose().matmul(post);
        let filter = |old: Option<Tensor<2>>, new: Tensor<2>| match old {
            Some(old) if decay > 0.0 => old.mul_scalar(decay) + new,
            _ => new,
        };
        self.weight = Some(filter(self.weight.take(), delta));
        if let Some(bias) = bias {
            self.bias = Some(filter(self.bias.take(), bias));
        }
    }

    /// `W += trace` (and the bias).
    fn apply(&self, weight: &mut Tensor<2>, bias: Option<&mut Tensor<2>>) {
        if let Some(delta) = &self.weight {
            *weight = weight.clone() + delta.clone();
        }
        if let (Some(b), Some(delta)) = (bias, &self.bias) {
            *b = b.clone() + delta.clone();
        }
    }
}

/// Filtered traces of one hidden layer.
#[derive(Debug, Clone)]
struct HiddenTraces {
    up: Option<Trace>,
    ip: Option<Trace>,
    pi: Option<Trace>,
    down: Option<Trace>,
}

/// Low-pass filtered plasticity (Eqs. 7-10) of a whole network.
#[derive(Debug, Clone)]
pub struct LowPassPlasticity {
    phi: Transfer,
    /// `1 - dt/τ_w` (0 without a filter).
    decay: f64,
    /// `a_k = g_B / (g_lk + g_B + g_A)`: `v̂_B,k = a_k v_B,k` (Eq. 7, hidden layers).
    attenuation_hidden: f64,
    /// `a_N = g_B / (g_lk + g_B)` (Eq. 7, output layer).
    attenuation_output: f64,
    /// `g_D / (g_lk + g_D)`: `v̂_I = ... v_I` (Eq. 8).
    attenuation_interneuron: f64,
    hidden: Vec<HiddenTraces>,
    output: Option<Trace>,
    apply_every: usize,
    steps: usize,
}

impl LowPassPlasticity {
    /// Traces for `network` at batch size `batch`, with the learning rates, `plastic` flags
    /// and biases of its config (rates are used as given: no mixing-factor rescaling).
    pub fn new(network: &MicrocircuitConfig, continuous: &ContinuousConfig, batch: usize) -> Self {
        let alpha = if continuous.tau_w > 0.0 {
            continuous.dt / continuous.tau_w
        } else {
            1.0
        };
        let step_gain = alpha * continuous.dt * continuous.apply_every as f64 / batch as f64;
        let eta = MicrocircuitConfig::rate;
        let n = network.depth();
        let bias = network.bias;
        Self {
            phi: network.transfer,
            decay: 1.0 - alpha,
            attenuation_hidden: basal_attenuation(network, false),
            attenuation_output: basal_attenuation(network, true),
            attenuation_interneuron: interneuron_attenuation(network),
            hidden: (0..n - 1)
                .map(|i| HiddenTraces {
                    up: Trace::new(eta(&network.eta_up, i), step_gain, bias),
                    ip: Trace::new(eta(&network.eta_ip, i), step_gain, bias),
                    pi: Trace::new(eta(&network.eta_pi, i), step_gain, false),
                    down: Trace::new(eta(&network.eta_down, i), step_gain, false),
                })
                .collect(),
            output: Trace::new(eta(&network.eta_up, n - 1), step_gain, bias),
            apply_every: continuous.apply_every,
            steps: 0,
        }
    }

    /// Every trace with the weight it changes, in a fixed order.
    pub(crate) fn traces_mut(&mut self) -> Vec<(Rule, &mut Trace)> {
        let mut all = Vec::new();
        let n_hidden = self.hidden.len();
        for (i, h) in self.hidden.iter_mut().enumerate() {
            let k = i + 1;
            let rules = [Rule::Up(k), Rule::Ip(k), Rule::Pi(k), Rule::Down(k)];
            for (rule, t) in rules
                .into_iter()
                .zip([&mut h.up, &mut h.ip, &mut h.pi, &mut h.down])
            {
                if let Some(t) = t {
                    all.push((rule, t));
                }
            }
        }
        if let Some(t) = &mut self.output {
            all.push((Rule::Up(n_hidden + 1), t));
        }
        all
    }

    /// The filter's decay per step, `1 - dt/τ_w`.
    pub(crate) fn decay(&self) -> f64 {
        self.decay
    }

    /// The attenuations of Eqs. 7-8: hidden basal, output basal, interneuron dendrite.
    pub(crate) fn attenuations(&self) -> [f64; 3] {
        [
            self.attenuation_hidden,
            self.attenuation_output,
            self.attenuation_interneuron,
        ]
    }

    /// Steps per window, and steps taken so far.
    pub(crate) fn window(&self) -> (usize, usize) {
        (self.apply_every, self.steps)
    }

    /// Sets the steps taken (after a run of the CPU fast path).
    pub(crate) fn set_steps(&mut self, steps: usize) {
        self.steps = steps;
    }

    /// Whether any weight learns.
    pub fn is_active(&self) -> bool {
        self.output.is_some()
            || self
                .hidden
                .iter()
                .any(|h| h.up.is_some() || h.ip.is_some() || h.pi.is_some() || h.down.is_some())
    }

    /// One step: evaluates Eqs. 7-10 at the current potentials, passes them through the
    /// low-pass filter, and every `apply_every` steps adds the filtered terms to `w`:
    ///
    /// - Eq. 7: `dW_up_k ∝ (φ(u_k) - φ(v̂_B,k)) r_{k-1}ᵀ`, `v̂_B,k = a_k v_B,k`;
    /// - Eq. 8: `dW_IP_k ∝ (φ(u_I,k) - φ(v̂_I,k)) r_kᵀ`, `v̂_I = g_D/(g_lk+g_D) v_I`;
    /// - Eq. 9: `dW_PI_k ∝ (0 - v_A,k) r_I,kᵀ`;
    /// - Eq. 10: `dW_down_k ∝ (φ(u_k) - φ(v_TD,k)) r_{k+1}ᵀ`.
    pub fn step(&mut self, w: &mut Weights, p: &Potentials, c: &Compartments) {
        let n_hidden = self.hidden.len();
        // The dendritic predictions whose rates the rules compare with somatic rates, all
        // through φ in one pass.
        let mut predictions = Vec::new();
        for (i, traces) in self.hidden.iter().enumerate() {
            if traces.up.is_some() {
                predictions.push(c.basal[i].clone().mul_scalar(self.attenuation_hidden));
            }
            if traces.ip.is_some() {
                predictions.push(
                    c.interneuron_dendrite[i]
                        .clone()
                        .mul_scalar(self.attenuation_interneuron),
                );
            }
            if traces.down.is_some() {
                predictions.push(c.top_down[i].clone());
            }
        }
        if self.output.is_some() {
            predictions.push(
                c.basal[n_hidden]
                    .clone()
                    .mul_scalar(self.attenuation_output),
            );
        }
        if predictions.is_empty() && self.hidden.iter().all(|h| h.pi.is_none()) {
            return;
        }
        let mut predicted = if predictions.is_empty() {
            Vec::new()
        } else {
            rates_of(self.phi, predictions)
        }
        .into_iter();

        // Steps left in the window after this one: the filter will decay this term that often.
        let left = self.apply_every - 1 - self.steps % self.apply_every;
        let age = self.decay.powi(left as i32);
        for (i, traces) in self.hidden.iter_mut().enumerate() {
            let rate = &c.hidden_rate[i];
            if let Some(up) = &mut traces.up {
                let post = rate.clone() - predicted.next().expect("prediction");
                up.push(age, c.rate(p, i), post);
            }
            if let Some(ip) = &mut traces.ip {
                let post = c.interneuron_rate[i].clone() - predicted.next().expect("prediction");
                ip.push(age, rate, post);
            }
            if let Some(down) = &mut traces.down {
                let post = rate.clone() - predicted.next().expect("prediction");
                down.push(age, c.rate(p, i + 2), post);
            }
            if let Some(pi) = &mut traces.pi {
                pi.push(age, &c.interneuron_rate[i], c.apical[i].clone().neg());
            }
        }
        if let Some(out) = &mut self.output {
            let post = c.output_rate.clone() - predicted.next().expect("prediction");
            out.push(age, c.rate(p, n_hidden), post);
        }

        self.steps += 1;
        if self.steps.is_multiple_of(self.apply_every) {
            self.apply(w);
        }
    }

    fn apply(&mut self, w: &mut Weights) {
        let decay = self.decay.powi(self.apply_every as i32);
        for (rule, t) in self.traces_mut() {
            t.close(decay);
            let (weight, bias) = w.of_rule_mut(rule);
            t.apply(weight, bias);
        }
    }
}
