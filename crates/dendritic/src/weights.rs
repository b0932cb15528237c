//! The weights as plain tensors, without the [`Param`] wrapping: one network (`D = 2`,
//! matrices `[n_in, n_out]`, biases as rows `[1, n]`) or `R` replicas stacked on a leading
//! dimension (`D = 3`, `[R, n_in, n_out]` and `[R, 1, n]`). The steady-state settle and
//! Eqs. 7-10 are written once over these, for any rank ([`crate::steady_state`],
//! [`crate::plasticity`]); the continuous-time step loop reads and adds to them many
//! thousand times per second.

use burn::module::Param;
use burn::tensor::Tensor;

use crate::microcircuit::Microcircuit;
use crate::plasticity::Updates;
use crate::transfer::Transfer;

/// Weights of hidden layer `k` (row convention, as in [`HiddenLayer`](crate::HiddenLayer));
/// shapes for `D = 2`, with a leading replica dimension for `D = 3`.
#[derive(Debug, Clone)]
pub struct HiddenWeights<const D: usize = 2> {
    /// `W_up_k`: `[n_{k-1}, n_k]`.
    pub w_up: Tensor<D>,
    /// Basal bias: `[1, n_k]`.
    pub b_up: Option<Tensor<D>>,
    /// `W_down_k`: `[n_{k+1}, n_k]`.
    pub w_down: Tensor<D>,
    /// `W_IP_k`: `[n_k, n_{k+1}]`.
    pub w_ip: Tensor<D>,
    /// Interneuron dendritic bias: `[1, n_{k+1}]`.
    pub b_ip: Option<Tensor<D>>,
    /// `W_PI_k`: `[n_{k+1}, n_k]`.
    pub w_pi: Tensor<D>,
}

/// Weights of the output layer.
#[derive(Debug, Clone)]
pub struct OutputWeights<const D: usize = 2> {
    /// `W_up_N`: `[n_{N-1}, n_N]`.
    pub w_up: Tensor<D>,
    /// Basal bias: `[1, n_N]`.
    pub b_up: Option<Tensor<D>>,
}

/// Every weight of a microcircuit (`D = 2`) or of a stack of replicas (`D = 3`).
#[derive(Debug, Clone)]
pub struct Weights<const D: usize = 2> {
    /// Hidden layers `1..N-1`.
    pub hidden: Vec<HiddenWeights<D>>,
    /// Output layer `N`.
    pub output: OutputWeights<D>,
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

/// `w + Δw` where a group learned.
fn add<const D: usize>(w: &mut Tensor<D>, delta: &Option<Tensor<D>>) {
    if let Some(delta) = delta {
        *w = w.clone() + delta.clone();
    }
}

fn add_opt<const D: usize>(w: &mut Option<Tensor<D>>, delta: &Option<Tensor<D>>) {
    if let Some(w) = w {
        add(w, delta);
    }
}

impl<const D: usize> Weights<D> {
    /// Number of weight layers `N`.
    pub fn depth(&self) -> usize {
        self.hidden.len() + 1
    }

    /// `W_up` and bias of layer `k` (1..=N).
    pub(crate) fn up(&self, k: usize) -> (&Tensor<D>, &Option<Tensor<D>>) {
        match self.hidden.get(k - 1) {
            Some(h) => (&h.w_up, &h.b_up),
            None => (&self.output.w_up, &self.output.b_up),
        }
    }

    /// Basal potential `v_B = r W_up + b` of a dendrite given its presynaptic rates (Eq. 3).
    pub(crate) fn basal(r: Tensor<D>, w: &Tensor<D>, b: &Option<Tensor<D>>) -> Tensor<D> {
        let v = r.matmul(w.clone());
        match b {
            Some(b) => v + b.clone(),
            None => v,
        }
    }

    /// Feed-forward somatic potentials `u_k⁻ = v_B,k` for k = 1..=N (section 3.1): lateral
    /// and top-down weights removed. `input`: `[batch, n_0]` (`[R, batch, n_0]`).
    pub fn feedforward(&self, input: Tensor<D>, phi: Transfer) -> Vec<Tensor<D>> {
        let mut potentials = Vec::with_capacity(self.depth());
        let mut r = input;
        for k in 1..=self.depth() {
            let (w, b) = self.up(k);
            let u = Self::basal(r, w, b);
            r = phi.rate(u.clone());
            potentials.push(u);
        }
        potentials
    }

    /// Adds a plasticity step (Eqs. 7-10, already scaled by the rates) to the weights.
    pub fn add(&mut self, updates: &Updates<D>) {
        for (w, u) in self.hidden.iter_mut().zip(&updates.hidden) {
            add(&mut w.w_up, &u.w_up);
            add_opt(&mut w.b_up, &u.b_up);
            add(&mut w.w_ip, &u.w_ip);
            add_opt(&mut w.b_ip, &u.b_ip);
            add(&mut w.w_pi, &u.w_pi);
            add(&mut w.w_down, &u.w_down);
        }
        add(&mut self.output.w_up, &updates.output.w_up);
        add_opt(&mut self.output.b_up, &updates.output.b_up);
    }
}

impl Weights<2> {
    /// The weights of `network` (tensor handles, not copies of the data).
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
}

impl Weights<3> {
    /// `R` networks' weights stacked on a new leading dimension (every network must have
    /// the same sizes and the same biases; [`Replicas`](crate::Replicas) checks that).
    pub fn stack(networks: &[Weights<2>]) -> Self {
        let stack = |pick: &dyn Fn(&Weights<2>) -> Tensor<2>| -> Tensor<3> {
            Tensor::stack(networks.iter().map(pick).collect(), 0)
        };
        let stack_opt = |pick: &dyn Fn(&Weights<2>) -> Option<Tensor<2>>| -> Option<Tensor<3>> {
            let rows: Option<Vec<Tensor<2>>> = networks.iter().map(pick).collect();
            rows.map(|rows| Tensor::stack(rows, 0))
        };
        let hidden = (0..networks[0].hidden.len())
            .map(|i| HiddenWeights {
                w_up: stack(&|w| w.hidden[i].w_up.clone()),
                b_up: stack_opt(&|w| w.hidden[i].b_up.clone()),
                w_down: stack(&|w| w.hidden[i].w_down.clone()),
                w_ip: stack(&|w| w.hidden[i].w_ip.clone()),
                b_ip: stack_opt(&|w| w.hidden[i].b_ip.clone()),
                w_pi: stack(&|w| w.hidden[i].w_pi.clone()),
            })
            .collect();
        Self {
            hidden,
            output: OutputWeights {
                w_up: stack(&|w| w.output.w_up.clone()),
                b_up: stack_opt(&|w| w.output.b_up.clone()),
            },
        }
    }

    /// The weights of replica `r` alone.
    pub fn replica(&self, r: usize) -> Weights<2> {
        let one = |t: &Tensor<3>| -> Tensor<2> { t.clone().slice(r..r + 1).squeeze_dim(0) };
        let one_opt = |t: &Option<Tensor<3>>| t.as_ref().map(one);
        Weights {
            hidden: self
                .hidden
                .iter()
                .map(|h| HiddenWeights {
                    w_up: one(&h.w_up),
                    b_up: one_opt(&h.b_up),
                    w_down: one(&h.w_down),
                    w_ip: one(&h.w_ip),
                    b_ip: one_opt(&h.b_ip),
                    w_pi: one(&h.w_pi),
                })
                .collect(),
            output: OutputWeights {
                w_up: one(&self.output.w_up),
                b_up: one_opt(&self.output.b_up),
            },
        }
    }
}
