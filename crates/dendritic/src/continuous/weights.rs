//! The weights as plain tensors for the step loop, copied out of and back into a
//! [`Microcircuit`], and the continuous-time self-predicting state.

use burn::module::Param;
use burn::tensor::Tensor;

use super::plasticity::Rule;
use crate::config::MicrocircuitConfig;
use crate::microcircuit::Microcircuit;

/// Weights of hidden layer `k` (row convention, as in [`HiddenLayer`](crate::HiddenLayer)).
#[derive(Debug, Clone)]
pub struct HiddenWeights {
    /// `W_up_k`: `[n_{k-1}, n_k]`.
    pub w_up: Tensor<2>,
    /// Basal bias: `[1, n_k]`.
    pub b_up: Option<Tensor<2>>,
    /// `W_down_k`: `[n_{k+1}, n_k]`.
    pub w_down: Tensor<2>,
    /// `W_IP_k`: `[n_k, n_{k+1}]`.
    pub w_ip: Tensor<2>,
    /// Interneuron dendritic bias: `[1, n_{k+1}]`.
    pub b_ip: Option<Tensor<2>>,
    /// `W_PI_k`: `[n_{k+1}, n_k]`.
    pub w_pi: Tensor<2>,
}

/// Weights of the output layer.
#[derive(Debug, Clone)]
pub struct OutputWeights {
    /// `W_up_N`: `[n_{N-1}, n_N]`.
    pub w_up: Tensor<2>,
    /// Basal bias: `[1, n_N]`.
    pub b_up: Option<Tensor<2>>,
}

/// Every weight of a microcircuit, without the [`Param`] wrapping: the step loop reads and
/// adds to them many thousand times per second.
#[derive(Debug, Clone)]
pub struct Weights {
    /// Hidden layers `1..N-1`.
    pub hidden: Vec<HiddenWeights>,
    /// Output layer `N`.
    pub output: OutputWeights,
}

fn row(bias: &Option<Param<Tensor<1>>>) -> Option<Tensor<2>> {
    bias.as_ref().map(|b| b.val().unsqueeze::<2>())
}

fn write(param: &mut Param<Tensor<2>>, value: &Tensor<2>) {
    *param = Param::initialized(param.id, value.clone());
}

fn write_row(param: &mut Option<Param<Tensor<1>>>, value: &Option<Tensor<2>>) {
    if let (Some(param), Some(value)) = (param, value) {
        *param = Param::initialized(param.id, value.clone().squeeze_dim(0));
    }
}

impl Weights {
    /// Copies the weights of `network`.
    pub fn from_network(network: &Microcircuit) -> Self {
        Self {
            hidden: network
                .hidden
                .iter()
                .map(|h| HiddenWeights {
                    w_up: h.w_up.val(),
                    b_up: row(&h.b_up),
                    w_down: h.w_down.val(),
                    w_ip: h.w_ip.val(),
                    b_ip: row(&h.b_ip),
                    w_pi: h.w_pi.val(),
                })
                .collect(),
            output: OutputWeights {
                w_up: network.output.w_up.val(),
                b_up: row(&network.output.b_up),
            },
        }
    }

    /// Writes these weights into `network` (keeping its parameter ids).
    pub fn write_to(&self, network: &mut Microcircuit) {
        for (layer, w) in network.hidden.iter_mut().zip(&self.hidden) {
            write(&mut layer.w_up, &w.w_up);
            write_row(&mut layer.b_up, &w.b_up);
            write(&mut layer.w_down, &w.w_down);
            write(&mut layer.w_ip, &w.w_ip);
            write_row(&mut layer.b_ip, &w.b_ip);
            write(&mut layer.w_pi, &w.w_pi);
        }
        write(&mut network.output.w_up, &self.output.w_up);
        write_row(&mut network.output.b_up, &self.output.b_up);
    }

    /// `W_up` and bias of layer `k` (1..=N).
    pub(crate) fn up(&self, k: usize) -> (&Tensor<2>, &Option<Tensor<2>>) {
        match self.hidden.get(k - 1) {
            Some(h) => (&h.w_up, &h.b_up),
            None => (&self.output.w_up, &self.output.b_up),
        }
    }

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
