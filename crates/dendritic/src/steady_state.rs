//! The simplified two-step dynamics of section 3.4, for a whole batch at once.

use burn::tensor::Tensor;

use crate::disinhibition::Gates;
use crate::error::Result;
use crate::microcircuit::Microcircuit;
use crate::state::{HiddenState, OutputState, State};

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
        let config = &self.config;
        let phi = config.transfer;
        let (lambda_k, lambda_out, lambda_i) = (
            config.lambda_hidden(),
            config.lambda_output(),
            config.lambda_interneuron(),
        );

        let parallel = crate::parallel::host_threads(&input.device());

        // Step 1: bottom-up pass.
        let mut basal = Vec::with_capacity(self.hidden.len());
        let mut forward_rate = Vec::with_capacity(self.hidden.len());
        let mut interneuron_dendrite = Vec::with_capacity(self.hidden.len());
        let mut v_b = Self::basal(input.clone(), &self.hidden[0].w_up, &self.hidden[0].b_up);
        for (k, layer) in self.hidden.iter().enumerate() {
            let r_k = phi.rate(v_b.clone());
            // The interneurons and the next layer read the same rates: compute both at once.
            let (w_next, b_next) = match self.hidden.get(k + 1) {
                Some(next) => (&next.w_up, &next.b_up),
                None => (&self.output.w_up, &self.output.b_up),
            };
            let (v_i, v_b_next) = crate::parallel::join(
                parallel,
                || Self::basal(r_k.clone(), &layer.w_ip, &layer.b_ip),
                || Self::basal(r_k.clone(), w_next, b_next),
            );
            interneuron_dendrite.push(v_i);
            basal.push(v_b);
            forward_rate.push(r_k);
            v_b = v_b_next;
        }
        let v_b_out = v_b;

        // Step 2: nudge the output, written as v + λ (u_trgt - v) so that a target equal to
        // the prediction leaves it bit-for-bit unchanged.
        let u_out = match target {
            Some(t) => v_b_out.clone() + (t - v_b_out.clone()).mul_scalar(lambda_out),
            None => v_b_out.clone(),
        };
        let output = OutputState {
            basal: v_b_out,
            rate: phi.rate(u_out.clone()),
            soma: u_out,
        };

        // Step 3: top-down pass.
        let mut hidden: Vec<HiddenState> = Vec::with_capacity(self.hidden.len());
        let (mut u_above, mut r_above) = (output.soma.clone(), output.rate.clone());
        for (k, layer) in self.hidden.iter().enumerate().rev() {
            let v_i = interneuron_dendrite[k].clone();
            let u_i = v_i.clone() + (u_above - v_i.clone()).mul_scalar(lambda_i);
            let r_i = phi.rate(u_i.clone());
            let (top_down, lateral) = crate::parallel::join(
                parallel,
                || r_above.matmul(layer.w_down.val()),
                || r_i.clone().matmul(layer.w_pi.val()),
            );
            // Eq. 4; an open gate (1) leaves the sum exactly as it is.
            let apical = top_down.clone() + Gates::scale(gates, k, lateral);
            let v_b = basal[k].clone();
            let u = v_b.clone().mul_scalar(1.0 - lambda_k) + apical.clone().mul_scalar(lambda_k);
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
        Ok(State {
            input,
            hidden,
            output,
        })
    }

    /// Somatic target potentials `u_trgt = φ⁻¹(r_trgt)` for target rates `[batch, n_N]`
    /// (REFERENCE §1: targets are rates, e.g. 0.1/0.8 one-hot).
    pub fn target_potential(&self, target_rates: Tensor<2>) -> Tensor<2> {
        self.config.transfer.inverse(target_rates)
    }
}
