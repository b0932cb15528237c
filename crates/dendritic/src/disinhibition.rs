//! Disinhibition: a per-layer gate on the interneurons' inhibition of the apical dendrites.
//!
//! In the normal regime the lateral interneurons (SST-like) cancel the top-down input at the
//! apical compartment, which then carries only errors. A disinhibitory signal (VIP-like cells
//! inhibiting those interneurons) scales their inhibition of layer `k` by a gate
//! `g_k ∈ [0, 1]`: `v_A,k = W_down_k r_{k+1} + g_k W_PI_k r_I,k` (Eq. 4 with the lateral term
//! gated). With `g_k = 1` nothing changes; with `g_k < 1` the apical compartment carries part
//! of the top-down prediction itself and pulls the soma towards what the layer above expects
//! (top-down attention). Design and reasoning: `docs/disinhibition.md`.
//!
//! ```
//! use burn::tensor::{Device, Distribution, Tensor};
//! use dendritic::MicrocircuitConfig;
//! use dendritic::disinhibition::Gates;
//!
//! let device = Device::default();
//! let net = MicrocircuitConfig::new(vec![8, 6, 4]).init(&device).unwrap();
//! let x = Tensor::<2>::random([3, 8], Distribution::Uniform(0.0, 1.0), &device);
//! // Interneurons of the hidden layer silenced: the apical dendrite sees the top-down input.
//! let state = net.settle_disinhibited(x, None, &Gates::new(vec![0.0])).unwrap();
//! let h = &state.hidden[0];
//! assert_eq!(h.apical.clone().into_data(), h.top_down.clone().into_data());
//! ```

use burn::tensor::Tensor;

use crate::error::{DendriticError, Result};

/// One gate per hidden layer (layer 1 first), each in `[0, 1]`: the factor on the
/// interneurons' inhibition of that layer's apical compartment.
#[derive(Debug, Clone, PartialEq)]
pub struct Gates(Vec<f64>);

impl Gates {
    /// Gates `g_1..g_{N-1}`.
    pub fn new(gates: Vec<f64>) -> Self {
        Self(gates)
    }

    /// Every gate open (`g = 1`: the normal regime) for `hidden` layers.
    pub fn open(hidden: usize) -> Self {
        Self(vec![1.0; hidden])
    }

    /// The same gate `g` on every one of `hidden` layers.
    pub fn uniform(hidden: usize, g: f64) -> Self {
        Self(vec![g; hidden])
    }

    /// The gate of hidden layer `k` (0-based).
    pub fn get(&self, k: usize) -> f64 {
        self.0[k]
    }

    /// The gates, layer 1 first.
    pub fn values(&self) -> &[f64] {
        &self.0
    }

    /// Checks one gate per hidden layer, each in `[0, 1]`.
    pub fn check(&self, hidden: usize) -> Result<()> {
        if self.0.len() != hidden {
            return Err(DendriticError::WrongListLength {
                name: "gates",
                expected: hidden,
                got: self.0.len(),
            });
        }
        for (layer, &g) in self.0.iter().enumerate() {
            if !(0.0..=1.0).contains(&g) {
                return Err(DendriticError::BadGate {
                    layer: layer + 1,
                    value: g,
                });
            }
        }
        Ok(())
    }

    /// `g_k · lateral`; the lateral term itself when there are no gates or `g_k = 1` (so an
    /// open gate costs nothing and changes no bit).
    pub(crate) fn scale(gates: Option<&Self>, k: usize, lateral: Tensor<2>) -> Tensor<2> {
        match gates.map(|g| g.get(k)) {
            Some(g) if g != 1.0 => lateral.mul_scalar(g),
            _ => lateral,
        }
    }
}
