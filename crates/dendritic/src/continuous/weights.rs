//! The continuous-time side of [`Weights`]: the weight each low-pass rule changes, and the
//! continuous self-predicting state.

use burn::tensor::Tensor;

use super::plasticity::Rule;
use crate::config::MicrocircuitConfig;
pub use crate::weights::{HiddenWeights, OutputWeights, Weights};

impl Weights {
    /// The weight that `rule` changes, with its bias where it has one (`W_up`, `W_IP`).
    pub(crate) fn of_rule_mut(&mut self, rule: Rule) -> (&mut Tensor<2>, Option<&mut Tensor<2>>) {
        let n_hidden = self.hidden.len();
        match rule {
            Rule::Up(k) if k > n_hidden => (&mut self.output.w_up, self.output.b_up.as_mut()),
            Rule::Up(k) => {
                let h = &mut self.hidden[k - 1];
                (&mut h.w_up, h.b_up.as_mut())
            }
            Rule::Ip(k) => {
                let h = &mut self.hidden[k - 1];
                (&mut h.w_ip, h.b_ip.as_mut())
            }
            Rule::Pi(k) => (&mut self.hidden[k - 1].w_pi, None),
            Rule::Down(k) => (&mut self.hidden[k - 1].w_down, None),
        }
    }

    /// Puts every hidden layer in the self-predicting state of the continuous dynamics
    /// (REFERENCE §1): `W_PI_k = -W_down_k` and `W_IP_k = c_k W_up_{k+1}` (biases alike) with
    /// `c_k = a_{k+1} (g_lk + g_D) / g_D`, `a_{k+1}` the basal attenuation of layer `k+1`.
    /// With no target, each interneuron's settled potential then equals its partner's and
    /// apical potentials vanish.
    pub fn make_self_predicting(&mut self, config: &MicrocircuitConfig) {
        let n = self.hidden.len() + 1;
        let ratios: Vec<f64> = (1..n)
            .map(|k| self_predicting_ratio(config, k + 1 == n))
            .collect();
        let ups: Vec<(Tensor<2>, Option<Tensor<2>>)> = (2..=n)
            .map(|k| {
                let (w, b) = self.up(k);
                (w.clone(), b.clone())
            })
            .collect();
        for ((layer, ratio), (w_up_above, b_up_above)) in
            self.hidden.iter_mut().zip(ratios).zip(ups)
        {
            layer.w_ip = w_up_above.mul_scalar(ratio);
            if let (Some(b_ip), Some(b_up)) = (&mut layer.b_ip, b_up_above) {
                *b_ip = b_up.mul_scalar(ratio);
            }
            layer.w_pi = layer.w_down.clone().neg();
        }
    }
}

/// Basal attenuation `a = g_B / (g_lk + g_B + g_A)` of a hidden layer, `g_B / (g_lk + g_B)` of
/// the output layer: the settled somatic potential with a silent apical dendrite and no
/// nudging is `a v_B` (the `v̂_B` of Eq. 7).
pub fn basal_attenuation(config: &MicrocircuitConfig, output: bool) -> f64 {
    let g_a = if output { 0.0 } else { config.g_a };
    config.g_b / (config.g_lk + config.g_b + g_a)
}

/// Dendritic attenuation of interneurons, `g_D / (g_lk + g_D)` (the `v̂_I` of Eq. 8).
pub fn interneuron_attenuation(config: &MicrocircuitConfig) -> f64 {
    config.g_d / (config.g_lk + config.g_d)
}

/// The ratio `W_IP_k / W_up_{k+1}` of the continuous self-predicting state.
pub fn self_predicting_ratio(config: &MicrocircuitConfig, partner_is_output: bool) -> f64 {
    basal_attenuation(config, partner_is_output) / interneuron_attenuation(config)
}
