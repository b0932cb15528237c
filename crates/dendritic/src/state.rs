//! Compartment potentials and rates of a settled network, for a whole batch.

use burn::tensor::Tensor;

/// Potentials of hidden layer `k` and of its interneurons. Shapes: `[batch, n_k]` for the
/// pyramidal cells, `[batch, n_{k+1}]` for the interneurons.
#[derive(Debug, Clone)]
pub struct HiddenState {
    /// Basal potential `v_B,k = W_up_k r_{k-1}⁻` (Eq. 3).
    pub basal: Tensor<2>,
    /// Rates of the bottom-up pass, `φ(v_B,k)`: what layer `k+1` and the interneurons saw.
    pub forward_rate: Tensor<2>,
    /// Top-down part of the apical potential, `v_TD,k = W_down_k r_{k+1}` (Eq. 10's prediction).
    pub top_down: Tensor<2>,
    /// Apical potential `v_A,k = W_down_k r_{k+1} + W_PI_k r_I,k` (Eq. 4).
    pub apical: Tensor<2>,
    /// Somatic potential `u_k`.
    pub soma: Tensor<2>,
    /// Somatic rate `r_k = φ(u_k)`.
    pub rate: Tensor<2>,
    /// Interneuron dendritic potential `v_I,k = W_IP_k r_k⁻` (Eq. 5).
    pub interneuron_dendrite: Tensor<2>,
    /// Interneuron somatic potential `u_I,k`.
    pub interneuron: Tensor<2>,
    /// Interneuron rate `r_I,k = φ(u_I,k)`.
    pub interneuron_rate: Tensor<2>,
}

/// Potentials of the output layer `N`, `[batch, n_N]`.
#[derive(Debug, Clone)]
pub struct OutputState {
    /// Basal potential `v_B,N`, also the feed-forward prediction `u_N⁻`.
    pub basal: Tensor<2>,
    /// Somatic potential `u_N` (nudged towards the target when there is one).
    pub soma: Tensor<2>,
    /// Somatic rate `φ(u_N)`.
    pub rate: Tensor<2>,
}

/// Every compartment of a settled network for one batch.
#[derive(Debug, Clone)]
pub struct State {
    /// Input rates `r_0`, `[batch, n_0]`.
    pub input: Tensor<2>,
    /// Hidden layers `1..N-1`.
    pub hidden: Vec<HiddenState>,
    /// Output layer `N`.
    pub output: OutputState,
}

impl State {
    /// Batch size.
    pub fn batch_size(&self) -> usize {
        self.input.dims()[0]
    }

    /// Presynaptic rates that drove layer `k`'s basal dendrites (k = 1..=N): the input for
    /// `k = 1`, the bottom-up rates of layer `k-1` otherwise.
    pub fn presynaptic(&self, k: usize) -> &Tensor<2> {
        if k == 1 {
            &self.input
        } else {
            &self.hidden[k - 2].forward_rate
        }
    }
}
