//! The simplified two-step dynamics of section 3.4, for a whole batch at once.

use burn::tensor::Tensor;

use crate::coefficient::Coefficient;
use crate::config::MicrocircuitConfig;
use crate::disinhibition::Gates;
use crate::error::Result;
use crate::microcircuit::Microcircuit;
use crate::state::{HiddenState, OutputState, State};
use crate::transfer::Transfer;
use crate::weights::Weights;

/// The mixing factors of the settle: `λ_k` (hidden layers), `λ_N` (output) and `λ_I`
/// (interneurons), for one network or one per replica.
#[derive(Debug, Clone)]
pub struct Mixing<const D: usize> {
    /// `λ_k` of every hidden layer.
    pub hidden: Coefficient<D>,
    /// `λ_N`, the output's nudging.
    pub output: Coefficient<D>,
    /// `λ_I`, the interneurons' nudging by their partners.
    pub interneuron: Coefficient<D>,
}

impl Mixing<2> {
    /// The mixing factors of one network.
    pub fn of(config: &MicrocircuitConfig) -> Self {
        Self {
            hidden: Coefficient::Same(config.lambda_hidden()),
            output: Coefficient::Same(config.lambda_output()),
            interneuron: Coefficient::Same(config.lambda_interneuron()),
        }
    }
}

impl Microcircuit {
    /// Settles the network on a batch (paper section 3.4, REFERENCE §1):
    ///
    /// 1. bottom-up, k = 1..N: `u_k = v_B,k`, interneurons `u_I,k = v_I,k`;
    /// 2. the output is nudged: `u_N = (1-λ_N) v_B,N + λ_N u_trgt` (no target: `u_N = v_B,N`);
    /// 3. top-down, k = N-1..1: `u_I,k = (1-λ_I) v_I,k + λ_I u_{k+1}`, then `v_A,k` (Eq. 4),
    ///    then `u_k = (1-λ_k) v_B,k + λ_k v_A,k`.
    ///
    /// `input`: rates `[batch, n_0]`; `target`: somatic target potentials `u_trgt`,
    /// `[batch, n_N]` (see [`target_potential`](Self::target_potential)).
    pub fn settle(&self, input: Tensor<2>, target: Option<Tensor<2>>) -> Result<State> {
        self.settle_gated(input, target, None)
    }

    /// [`settle`](Self::settle) with the interneurons' inhibition of each hidden layer's
    /// apical compartment scaled by its [`Gates`] value (disinhibition,
    /// [`crate::disinhibition`]): `v_A,k = W_down_k r_{k+1} + g_k W_PI_k r_I,k`.
    pub fn settle_disinhibited(
        &self,
        input: Tensor<2>,
        target: Option<Tensor<2>>,
        gates: &Gates,
    ) -> Result<State> {
        gates.check(self.hidden.len())?;
        self.settle_gated(input, target, Some(gates))
    }

    fn settle_gated(
        &self,
        input: Tensor<2>,
        target: Option<Tensor<2>>,
        gates: Option<&Gates>,
    ) -> Result<State> {
        self.check_input(&input)?;
        let batch = input.dims()[0];
        if let Some(t) = &target {
            self.check_target(t, batch)?;
        }
        let weights = Weights::from_network(self);
        let mixing = Mixing::of(&self.config);
        Ok(settle(
            &weights,
            &mixing,
            self.config.transfer,
            input,
            target,
            gates,
        ))
    }

    /// Somatic target potentials `u_trgt = φ⁻¹(r_trgt)` for target rates `[batch, n_N]`
    /// (REFERENCE §1: targets are rates, e.g. 0.1/0.8 one-hot).
    pub fn target_potential(&self, target_rates: Tensor<2>) -> Tensor<2> {
        self.config.transfer.inverse(target_rates)
    }
}

/// The settle of section 3.4 over plain weights of any rank: one network (`D = 2`,
/// [`Microcircuit::settle`]) or `R` stacked replicas (`D = 3`,
/// [`Replicas`](crate::Replicas)). Shapes are checked by the callers.
pub(crate) fn settle<const D: usize>(
    w: &Weights<D>,
    mixing: &Mixing<D>,
    phi: Transfer,
    input: Tensor<D>,
    target: Option<Tensor<D>>,
    gates: Option<&Gates>,
) -> State<D> {
    let parallel = crate::parallel::host_threads(&input.device());
    let hidden_count = w.hidden.len();

    // Step 1: bottom-up pass.
    let mut basal = Vec::with_capacity(hidden_count);
    let mut forward_rate = Vec::with_capacity(hidden_count);
    let mut interneuron_dendrite = Vec::with_capacity(hidden_count);
    let (w_first, b_first) = w.up(1);
    let mut v_b = Weights::basal(input.clone(), w_first, b_first);
    for (k, layer) in w.hidden.iter().enumerate() {
        let r_k = phi.rate(v_b.clone());
        // The interneurons and the next layer read the same rates: compute both at once.
        let (w_next, b_next) = w.up(k + 2);
        let (v_i, v_b_next) = crate::parallel::join(
            parallel,
            || Weights::basal(r_k.clone(), &layer.w_ip, &layer.b_ip),
            || Weights::basal(r_k.clone(), w_next, b_next),
        );
        interneuron_dendrite.push(v_i);
        basal.push(v_b);
        forward_rate.push(r_k);
        v_b = v_b_next;
    }
    let v_b_out = v_b;

    // Step 2: nudge the output, written as v + λ (u_trgt - v) so that a target equal to the
    // prediction leaves it bit-for-bit unchanged.
    let u_out = match target {
        Some(t) => v_b_out.clone() + mixing.output.scale(t - v_b_out.clone()),
        None => v_b_out.clone(),
    };
    let output = OutputState {
        basal: v_b_out,
        rate: phi.rate(u_out.clone()),
        soma: u_out,
    };

    // Step 3: top-down pass.
    let keep = mixing.hidden.map(|l| 1.0 - l);
    let mut hidden: Vec<HiddenState<D>> = Vec::with_capacity(hidden_count);
    let (mut u_above, mut r_above) = (output.soma.clone(), output.rate.clone());
    for (k, layer) in w.hidden.iter().enumerate().rev() {
        let v_i = interneuron_dendrite[k].clone();
        let u_i = v_i.clone() + mixing.interneuron.scale(u_above - v_i.clone());
        let r_i = phi.rate(u_i.clone());
        let (top_down, lateral) = crate::parallel::join(
            parallel,
            || r_above.matmul(layer.w_down.clone()),
            || r_i.clone().matmul(layer.w_pi.clone()),
        );
        // Eq. 4; an open gate (1) leaves the sum exactly as it is.
        let apical = top_down.clone() + Gates::scale(gates, k, lateral);
        let v_b = basal[k].clone();
        let u = keep.scale(v_b.clone()) + mixing.hidden.scale(apical.clone());
        let r_k = phi.rate(u.clone());
        (u_above, r_above) = (u.clone(), r_k.clone());
        hidden.push(HiddenState {
            basal: v_b,
            forward_rate: forward_rate[k].clone(),
            top_down,
            apical,
            soma: u,
            rate: r_k,
            interneuron_dendrite: v_i,
            interneuron: u_i,
            interneuron_rate: r_i,
        });
    }
    hidden.reverse();
    State {
        input,
        hidden,
        output,
    }
}
