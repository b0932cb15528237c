//! Compartment potentials and rates of a settled network, for a whole batch.

use burn::tensor::Tensor;

/// Potentials of hidden layer `k` and of its interneurons. Shapes: `[batch, n_k]` for the
/// pyramidal cells, `[batch, n_{k+1}]` for the interneurons; with a leading replica dimension
/// (`[R, batch, n]`) for `D = 3` ([`Replicas`](crate::Replicas)).
#[derive(Debug, Clone)]
pub struct HiddenState<const D: usize = 2> {
    /// Basal potential `v_B,k = W_up_k r_{k-1}⁻` (Eq. 3).
    pub basal: Tensor<D>,
    /// Rates of the bottom-up pass, `φ(v_B,k)`: what layer `k+1` and the interneurons saw.
    pub forward_rate: Tensor<D>,
    /// Top-down part of the apical potential, `v_TD,k = W_down_k r_{k+1}` (Eq. 10's prediction).
    pub top_down: Tensor<D>,
    /// Apical potential `v_A,k = W_down_k r_{k+1} + W_PI_k r_I,k` (Eq. 4).
    pub apical: Tensor<D>,
    /// Somatic potential `u_k`.
    pub soma: Tensor<D>,
    /// Somatic rate `r_k = φ(u_k)`.
    pub rate: Tensor<D>,
    /// Interneuron dendritic potential `v_I,k = W_IP_k r_k⁻` (Eq. 5).
    pub interneuron_dendrite: Tensor<D>,
    /// Interneuron somatic potential `u_I,k`.
    pub interneuron: Tensor<D>,
    /// Interneuron rate `r_I,k = φ(u_I,k)`.
    pub interneuron_rate: Tensor<D>,
}

/// Potentials of the output layer `N`, `[batch, n_N]`.
#[derive(Debug, Clone)]
pub struct OutputState<const D: usize = 2> {
    /// Basal potential `v_B,N`, also the feed-forward prediction `u_N⁻`.
    pub basal: Tensor<D>,
    /// Somatic potential `u_N` (nudged towards the target when there is one).
    pub soma: Tensor<D>,
    /// Somatic rate `φ(u_N)`.
    pub rate: Tensor<D>,
}

/// Every compartment of a settled network for one batch (of `R` stacked networks for
/// `D = 3`).
#[derive(Debug, Clone)]
pub struct State<const D: usize = 2> {
    /// Input rates `r_0`, `[batch, n_0]`.
    pub input: Tensor<D>,
    /// Hidden layers `1..N-1`.
    pub hidden: Vec<HiddenState<D>>,
    /// Output layer `N`.
    pub output: OutputState<D>,
}

impl<const D: usize> State<D> {
    /// Batch size.
    pub fn batch_size(&self) -> usize {
        self.input.dims()[D - 2]
    }

    /// Presynaptic rates that drove layer `k`'s basal dendrites (k = 1..=N): the input for
    /// `k = 1`, the bottom-up rates of layer `k-1` otherwise.
    pub fn presynaptic(&self, k: usize) -> &Tensor<D> {
        if k == 1 {
            &self.input
        } else {
            &self.hidden[k - 2].forward_rate
        }
    }
}
