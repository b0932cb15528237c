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
use crate::microcircuit::Microcircuit;

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
    pub(crate) fn scale<const D: usize>(
        gates: Option<&Self>,
        k: usize,
        lateral: Tensor<D>,
    ) -> Tensor<D> {
        match gates.map(|g| g.get(k)) {
            Some(g) if g != 1.0 => lateral.mul_scalar(g),
            _ => lateral,
        }
    }
}

impl Microcircuit {
    /// Imagery: the output clamped to `output_rates` (`[batch, n_N]`) with no input at all,
    /// so that the top-down pathway alone sets every hidden layer, from the top down
    /// (`docs/disinhibition.md`, "Generation"):
    ///
    /// - with no bottom-up drive the soma follows its apical compartment, `u_k = v_A,k`;
    /// - the interneurons of layer `k`, whose dendrites get no input either, follow their
    ///   partner cells in layer `k+1` (`u_I,k = u_{k+1}`, the λ_I = 1 limit of their nudging);
    /// - `v_A,k = W_down_k r_{k+1} + g_k W_PI_k φ(u_I,k)` (Eq. 4 with the lateral term gated).
    ///
    /// With `g = 0` layer `k` takes the top-down prediction `r_k = φ(W_down_k r_{k+1})` that
    /// Eq. 10 trains; with `g = 1` in the self-predicting state (`W_PI = -W_down`) the
    /// interneurons cancel it and `v_A = 0`: disinhibition is what lets the layer above be
    /// imagined. Returns the hidden rates `r_1..r_{N-1}` (layer 1 first).
    ///
    /// ```
    /// use burn::tensor::{Device, Distribution, Tensor};
    /// use dendritic::MicrocircuitConfig;
    /// use dendritic::disinhibition::Gates;
    ///
    /// let device = Device::default();
    /// let net = MicrocircuitConfig::new(vec![8, 6, 4]).init(&device).unwrap();
    /// let class = Tensor::<2>::random([1, 4], Distribution::Uniform(0.1, 0.8), &device);
    /// let rates = net.imagine(class, &Gates::new(vec![0.0])).unwrap();
    /// assert_eq!(rates[0].dims(), [1, 6]);
    /// ```
    pub fn imagine(&self, output_rates: Tensor<2>, gates: &Gates) -> Result<Vec<Tensor<2>>> {
        gates.check(self.hidden.len())?;
        let n_out = *self.config.sizes.last().expect("validated sizes");
        let [batch, width] = output_rates.dims();
        if width != n_out {
            return Err(DendriticError::Shape {
                what: "output rates",
                expected: vec![batch, n_out],
                got: vec![batch, width],
            });
        }
        let phi = self.config.transfer;
        let mut r_above = output_rates;
        let mut rates = Vec::with_capacity(self.hidden.len());
        for (k, layer) in self.hidden.iter().enumerate().rev() {
            let top_down = r_above.clone().matmul(layer.w_down.val());
            // The interneurons' rates are their partners' (u_I,k = u_{k+1}).
            let apical = match gates.get(k) {
                0.0 => top_down,
                g => top_down + r_above.matmul(layer.w_pi.val()).mul_scalar(g),
            };
            r_above = phi.rate(apical);
            rates.push(r_above.clone());
        }
        rates.reverse();
        Ok(rates)
    }
}
