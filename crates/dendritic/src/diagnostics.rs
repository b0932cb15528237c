//! Diagnostics: apical errors and angles between update or weight matrices.
//!
//! These read values back to the host; call them to report, not inside a training loop.

use burn::tensor::Tensor;

use crate::microcircuit::Microcircuit;
use crate::state::State;

/// Mean `|v_A,k|` of every hidden layer, bottom to top: how far each layer is from the
/// self-predicting state (0 there, with no target).
pub fn mean_abs_apical(state: &State) -> Vec<f64> {
    state
        .hidden
        .iter()
        .map(|h| scalar(h.apical.clone().abs().mean()))
        .collect()
}

/// Largest `|v_A,k|` over all hidden layers, cells and batch entries.
pub fn max_abs_apical(state: &State) -> f64 {
    state
        .hidden
        .iter()
        .map(|h| scalar(h.apical.clone().abs().max()))
        .fold(0.0, f64::max)
}

/// The angle in degrees between two tensors of the same shape, flattened:
/// `θ = arccos(⟨a, b⟩ / (‖a‖ ‖b‖))` (REFERENCE §4). `NaN` when either is all zeros.
pub fn angle_degrees<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f64 {
    let dot = scalar((a.clone() * b.clone()).sum());
    let na = scalar(a.square().sum()).sqrt();
    let nb = scalar(b.square().sum()).sqrt();
    (dot / (na * nb)).clamp(-1.0, 1.0).acos().to_degrees()
}

/// Weight alignment of every hidden layer: the angle between `W_down_k` and `W_up_{k+1}ᵀ`
/// (about 45° under feedback alignment, paper section 3.3).
pub fn weight_alignment(net: &Microcircuit) -> Vec<f64> {
    top_down_pairs(net)
        .into_iter()
        .map(|(w_down, w_up_t)| angle_degrees(w_down, w_up_t))
        .collect()
}

/// For every hidden layer `k` (bottom to top), `(W_down_k, W_up_{k+1}ᵀ)`: the top-down
/// weights and the forward weights they would equal under exact weight transport.
pub fn top_down_pairs(net: &Microcircuit) -> Vec<(Tensor<2>, Tensor<2>)> {
    let ups = net
        .hidden
        .iter()
        .skip(1)
        .map(|h| h.w_up.val())
        .chain([net.output.w_up.val()]);
    net.hidden
        .iter()
        .zip(ups)
        .map(|(h, w_up_above)| (h.w_down.val(), w_up_above.transpose()))
        .collect()
}

fn scalar(t: Tensor<1>) -> f64 {
    t.into_scalar::<f64>()
}
