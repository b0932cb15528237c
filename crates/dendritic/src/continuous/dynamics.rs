//! The continuous-time dynamics: dendritic potentials (Eqs. 3-5), somatic potentials
//! (Eqs. 1-2) integrated by Euler-Maruyama, and a direct solve of their fixed point.

use burn::tensor::Tensor;

use super::config::{ContinuousConfig, Nudging};
use super::noise::NoiseStep;
use super::weights::Weights;
use crate::config::MicrocircuitConfig;
use crate::disinhibition::Gates;
use crate::error::{DendriticError, Result};
use crate::transfer::Transfer;

/// The dynamical variables for a batch of independent input streams: somatic potentials and
/// the low-pass filtered input rates. Shapes are batch-first, `[batch, n]`.
#[derive(Debug, Clone)]
pub struct Potentials {
    /// Input rates `r_0` after the `τ_0` low-pass filter: `[batch, n_0]`.
    pub input: Tensor<2>,
    /// Pyramidal somatic potentials `u_k` of hidden layers `1..N-1`: `[batch, n_k]`.
    pub hidden: Vec<Tensor<2>>,
    /// Interneuron somatic potentials `u_I,k`: `[batch, n_{k+1}]`.
    pub interneuron: Vec<Tensor<2>>,
    /// Output somatic potentials `u_N`: `[batch, n_N]`.
    pub output: Tensor<2>,
}

impl Potentials {
    /// Every soma at rest (0), the input filter at 0.
    pub fn rest(sizes: &[usize], batch: usize, like: &Tensor<2>) -> Self {
        let zeros = |n: usize| Tensor::<2>::zeros([batch, n], (&like.device(), like.dtype()));
        let n = sizes.len() - 1;
        Self {
            input: zeros(sizes[0]),
            hidden: (1..n).map(|k| zeros(sizes[k])).collect(),
            interneuron: (1..n).map(|k| zeros(sizes[k + 1])).collect(),
            output: zeros(sizes[n]),
        }
    }

    /// Batch size.
    pub fn batch_size(&self) -> usize {
        self.output.dims()[0]
    }
}

/// What the dendrites and rates are at one instant, given the somatic potentials (Eqs. 3-5).
#[derive(Debug, Clone)]
pub struct Compartments {
    /// Hidden rates `r_k = φ(u_k)`: `[batch, n_k]`.
    pub hidden_rate: Vec<Tensor<2>>,
    /// Interneuron rates `r_I,k = φ(u_I,k)`: `[batch, n_{k+1}]`.
    pub interneuron_rate: Vec<Tensor<2>>,
    /// Output rates `r_N = φ(u_N)`: `[batch, n_N]`.
    pub output_rate: Tensor<2>,
    /// Basal potentials `v_B,k = W_up_k r_{k-1}` (Eq. 3) of layers `1..=N`.
    pub basal: Vec<Tensor<2>>,
    /// Top-down part of the apical potential, `v_TD,k = W_down_k r_{k+1}` (Eq. 10).
    pub top_down: Vec<Tensor<2>>,
    /// Apical potentials `v_A,k = W_down_k r_{k+1} + W_PI_k r_I,k` (Eq. 4).
    pub apical: Vec<Tensor<2>>,
    /// Interneuron dendritic potentials `v_I,k = W_IP_k r_k` (Eq. 5).
    pub interneuron_dendrite: Vec<Tensor<2>>,
}

impl Compartments {
    /// Rates of layer `k` (0..=N): the filtered input for `k = 0`.
    pub fn rate<'a>(&'a self, potentials: &'a Potentials, k: usize) -> &'a Tensor<2> {
        if k == 0 {
            &potentials.input
        } else if k <= self.hidden_rate.len() {
            &self.hidden_rate[k - 1]
        } else {
            &self.output_rate
        }
    }
}

/// `φ` of several tensors with the same batch size in one pass (one concatenation, one `φ`,
/// views back), so a step pays the per-op overhead of `φ` once.
pub(crate) fn rates_of(phi: Transfer, potentials: Vec<Tensor<2>>) -> Vec<Tensor<2>> {
    if potentials.len() == 1 {
        return potentials.into_iter().map(|u| phi.rate(u)).collect();
    }
    let widths: Vec<usize> = potentials.iter().map(|u| u.dims()[1]).collect();
    phi.rate(Tensor::cat(potentials, 1))
        .split_with_sizes(widths, 1)
}

/// `r W + b`.
fn linear(r: &Tensor<2>, w: &Tensor<2>, b: &Option<Tensor<2>>) -> Tensor<2> {
    let v = r.clone().matmul(w.clone());
    match b {
        Some(b) => v + b.clone(),
        None => v,
    }
}

/// The membrane: conductances, nudging mode, transfer function and time step of Eqs. 1-2.
#[derive(Debug, Clone)]
pub struct Membrane {
    /// Leak `g_lk`.
    pub g_lk: f64,
    /// Basal coupling `g_B`.
    pub g_b: f64,
    /// Apical coupling `g_A`.
    pub g_a: f64,
    /// Interneuron dendritic coupling `g_D`.
    pub g_d: f64,
    /// Nudging conductance `g_som`.
    pub g_som: f64,
    /// Current- or conductance-based nudging.
    pub nudging: Nudging,
    /// Rate function φ.
    pub phi: Transfer,
    /// Euler step `dt`.
    pub dt: f64,
    /// `dt / τ_0` of the input filter (1: no filter).
    pub input_gain: f64,
    /// Disinhibition gates on the interneurons' inhibition of each hidden layer's apical
    /// compartment (`None`: all open; see [`crate::disinhibition`]).
    pub gates: Option<Gates>,
}

impl Membrane {
    /// The membrane of `network` integrated as `continuous` says.
    pub fn new(network: &MicrocircuitConfig, continuous: &ContinuousConfig) -> Self {
        Self {
            g_lk: network.g_lk,
            g_b: network.g_b,
            g_a: network.g_a,
            g_d: network.g_d,
            g_som: network.g_som,
            nudging: continuous.nudging,
            phi: network.transfer,
            dt: continuous.dt,
            input_gain: if continuous.tau_0 > 0.0 {
                continuous.dt / continuous.tau_0
            } else {
                1.0
            },
            gates: None,
        }
    }

    /// Rates and dendritic potentials of every compartment (Eqs. 3-5) for the potentials `p`.
    pub fn compartments(&self, w: &Weights, p: &Potentials) -> Compartments {
        let n_hidden = p.hidden.len();
        let mut somas = p.hidden.clone();
        somas.push(p.output.clone());
        somas.extend(p.interneuron.iter().cloned());
        let mut rates = rates_of(self.phi, somas);
        let interneuron_rate = rates.split_off(n_hidden + 1);
        let output_rate = rates.pop().expect("output rate");
        let hidden_rate = rates;

        let below = |k: usize| -> &Tensor<2> {
            if k == 0 {
                &p.input
            } else {
                &hidden_rate[k - 1]
            }
        };
        let basal: Vec<Tensor<2>> = (1..=n_hidden + 1)
            .map(|k| {
                let (w_up, b_up) = w.up(k);
                linear(below(k - 1), w_up, b_up)
            })
            .collect();
        let mut top_down = Vec::with_capacity(n_hidden);
        let mut apical = Vec::with_capacity(n_hidden);
        let mut interneuron_dendrite = Vec::with_capacity(n_hidden);
        for (i, layer) in w.hidden.iter().enumerate() {
            let above = hidden_rate.get(i + 1).unwrap_or(&output_rate);
            let v_td = above.clone().matmul(layer.w_down.clone());
            let lateral = interneuron_rate[i].clone().matmul(layer.w_pi.clone());
            // Eq. 4, the lateral term scaled by the layer's disinhibition gate.
            apical.push(v_td.clone() + Gates::scale(self.gates.as_ref(), i, lateral));
            top_down.push(v_td);
            interneuron_dendrite.push(linear(&hidden_rate[i], &layer.w_ip, &layer.b_ip));
        }
        Compartments {
            hidden_rate,
            interneuron_rate,
            output_rate,
            basal,
            top_down,
            apical,
            interneuron_dendrite,
        }
    }

    /// The teaching current towards `target` of a soma at `u`: `g_som (u_trgt - u)`, or the
    /// balanced conductance form (section 2.1).
    pub fn teaching_current(&self, u: Tensor<2>, target: Tensor<2>) -> Tensor<2> {
        match self.nudging {
            Nudging::Current => (target - u).mul_scalar(self.g_som),
            Nudging::Conductance { .. } => {
                let (g, drive) = self.teaching_conductance(target);
                drive - g * u
            }
        }
    }

    /// The teaching input written as `i = drive - g u`: returns `(g, drive)`.
    pub fn teaching_conductance(&self, target: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        match self.nudging {
            Nudging::Current => (
                target.zeros_like().add_scalar(self.g_som),
                target.mul_scalar(self.g_som),
            ),
            Nudging::Conductance { e_exc, e_inh } => {
                let scale = self.g_som / (e_exc - e_inh);
                let g_exc = target
                    .clone()
                    .sub_scalar(e_inh)
                    .mul_scalar(scale)
                    .clamp_min(0.0);
                let g_inh = target.sub_scalar(e_exc).mul_scalar(-scale).clamp_min(0.0);
                let drive = g_exc.clone().mul_scalar(e_exc) + g_inh.clone().mul_scalar(e_inh);
                (g_exc + g_inh, drive)
            }
        }
    }

    /// One Euler-Maruyama step of Eqs. 1-2 from `p` (whose compartments are `c`):
    ///
    /// - hidden pyramidal cells (Eq. 1):
    ///   `u += dt (-g_lk u + g_B (v_B - u) + g_A (v_A - u)) + σ √dt ξ`;
    /// - output cells: no apical compartment, teaching current `i_N` towards `target`;
    /// - interneurons (Eq. 2): `u_I += dt (-g_lk u_I + g_D (v_I - u_I) + i_I) + σ √dt ξ`,
    ///   `i_I` nudging each one towards its partner `u_{k+1}`;
    /// - the input filter: `r_0 += dt/τ_0 (x - r_0)`.
    ///
    /// `noise` holds `σ √dt ξ` for every soma (`None`: σ = 0).
    pub fn euler_step(
        &self,
        p: Potentials,
        c: &Compartments,
        input: &Tensor<2>,
        target: Option<&Tensor<2>>,
        noise: Option<NoiseStep>,
    ) -> Potentials {
        let dt = self.dt;
        let (mut noise_hidden, mut noise_interneuron, noise_output) = match noise {
            Some(n) => (
                n.hidden.into_iter().map(Some).collect(),
                n.interneuron.into_iter().map(Some).collect(),
                Some(n.output),
            ),
            None => (vec![], vec![], None),
        };
        let add = |u: Tensor<2>, xi: Option<Tensor<2>>| match xi {
            Some(xi) => u + xi,
            None => u,
        };
        let n_hidden = p.hidden.len();
        noise_hidden.resize(n_hidden, None);
        noise_interneuron.resize(n_hidden, None);

        let decay_hidden = 1.0 - dt * (self.g_lk + self.g_b + self.g_a);
        let hidden: Vec<Tensor<2>> = p
            .hidden
            .iter()
            .zip(c.basal.iter().zip(&c.apical))
            .zip(noise_hidden)
            .map(|((u, (v_b, v_a)), xi)| {
                let u = u.clone().mul_scalar(decay_hidden)
                    + v_b.clone().mul_scalar(dt * self.g_b)
                    + v_a.clone().mul_scalar(dt * self.g_a);
                add(u, xi)
            })
            .collect();

        let decay_interneuron = 1.0 - dt * (self.g_lk + self.g_d);
        let interneuron: Vec<Tensor<2>> = p
            .interneuron
            .iter()
            .enumerate()
            .zip(noise_interneuron)
            .map(|((i, u_i), xi)| {
                let partner = p.hidden.get(i + 1).unwrap_or(&p.output);
                let teaching = self.teaching_current(u_i.clone(), partner.clone());
                let u = u_i.clone().mul_scalar(decay_interneuron)
                    + c.interneuron_dendrite[i].clone().mul_scalar(dt * self.g_d)
                    + teaching.mul_scalar(dt);
                add(u, xi)
            })
            .collect();

        let v_b_out = c.basal.last().expect("output basal");
        let mut output = p
            .output
            .clone()
            .mul_scalar(1.0 - dt * (self.g_lk + self.g_b))
            + v_b_out.clone().mul_scalar(dt * self.g_b);
        if let Some(target) = target {
            output = output
                + self
                    .teaching_current(p.output, target.clone())
                    .mul_scalar(dt);
        }
        let output = add(output, noise_output);

        let filtered = if self.input_gain >= 1.0 {
            input.clone()
        } else {
            p.input.clone() + (input.clone() - p.input).mul_scalar(self.input_gain)
        };
        Potentials {
            input: filtered,
            hidden,
            interneuron,
            output,
        }
    }

    /// Solves the fixed point of Eqs. 1-2 (`du/dt = 0`, no noise) directly, with the input
    /// held at `input`: every soma is set to its equilibrium `u* = Σ g_j E_j / Σ g_j`,
    ///
    /// - hidden: `u_k = (g_B v_B + g_A v_A) / (g_lk + g_B + g_A)`,
    /// - output: `u_N = (g_B v_B + drive) / (g_lk + g_B + g)` with the teaching `(g, drive)`,
    /// - interneurons: `u_I = (g_D v_I + drive) / (g_lk + g_D + g)` towards `u_{k+1}`,
    ///
    /// and the dendrites are recomputed, until no potential moves by more than `tolerance`
    /// times `1 + max |u|`.
    pub fn fixed_point(
        &self,
        w: &Weights,
        start: Potentials,
        input: &Tensor<2>,
        target: Option<&Tensor<2>>,
        tolerance: f64,
        max_iterations: usize,
    ) -> Result<Potentials> {
        let mut p = Potentials {
            input: input.clone(),
            ..start
        };
        let total_hidden = self.g_lk + self.g_b + self.g_a;
        let teaching = target.map(|t| self.teaching_conductance(t.clone()));
        let mut residual = f64::INFINITY;
        for iteration in 1..=max_iterations {
            let c = self.compartments(w, &p);
            let hidden: Vec<Tensor<2>> = c
                .basal
                .iter()
                .zip(&c.apical)
                .map(|(v_b, v_a)| {
                    (v_b.clone().mul_scalar(self.g_b) + v_a.clone().mul_scalar(self.g_a))
                        .div_scalar(total_hidden)
                })
                .collect();
            let interneuron: Vec<Tensor<2>> = c
                .interneuron_dendrite
                .iter()
                .enumerate()
                .map(|(i, v_i)| {
                    let partner = p.hidden.get(i + 1).unwrap_or(&p.output);
                    let (g, drive) = self.teaching_conductance(partner.clone());
                    (v_i.clone().mul_scalar(self.g_d) + drive) / g.add_scalar(self.g_lk + self.g_d)
                })
                .collect();
            let v_b_out = c.basal.last().expect("output basal").clone();
            let output = match &teaching {
                Some((g, drive)) => {
                    (v_b_out.mul_scalar(self.g_b) + drive.clone())
                        / g.clone().add_scalar(self.g_lk + self.g_b)
                }
                None => v_b_out.mul_scalar(self.g_b / (self.g_lk + self.g_b)),
            };
            let next = Potentials {
                input: input.clone(),
                hidden,
                interneuron,
                output,
            };
            if iteration % 10 == 0 || iteration == max_iterations {
                residual = max_change(&p, &next);
                if residual <= tolerance {
                    return Ok(next);
                }
            }
            p = next;
        }
        Err(DendriticError::NotConverged {
            iterations: max_iterations,
            residual,
        })
    }
}

/// The largest `|a - b|` over every soma, relative to `1 + max |b|` (one read-back).
pub(crate) fn max_change(a: &Potentials, b: &Potentials) -> f64 {
    let pairs = a
        .hidden
        .iter()
        .zip(&b.hidden)
        .chain(a.interneuron.iter().zip(&b.interneuron))
        .chain([(&a.output, &b.output)]);
    let (changes, sizes): (Vec<Tensor<1>>, Vec<Tensor<1>>) = pairs
        .map(|(x, y)| ((x.clone() - y.clone()).abs().max(), y.clone().abs().max()))
        .unzip();
    let change = Tensor::cat(changes, 0).max().reshape([1]);
    let size = Tensor::cat(sizes, 0).max().reshape([1]);
    let both = Tensor::cat(vec![change, size], 0)
        .into_data()
        .convert::<f64>();
    let both = both.as_slice::<f64>().expect("f64 data");
    both[0] / (1.0 + both[1])
}
