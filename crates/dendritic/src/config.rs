//! [`MicrocircuitConfig`]: layer sizes, conductances, transfer function, learning rates,
//! initialisation, and their validation.

use burn::config::Config;
use burn::tensor::DType;
use serde::{Deserialize, Serialize};

use crate::error::DendriticError;
use crate::transfer::Transfer;

/// How the network starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Init {
    /// Random `W_up` and `W_down`, then interneurons built to cancel top-down input exactly:
    /// `W_PI = -W_down`, `W_IP` = the upper `W_up` times the attenuation ratio (REFERENCE §1).
    #[default]
    SelfPredicting,
    /// Every weight group drawn independently at random (the self-predicting state must then
    /// be learned, paper Fig. S1).
    Random,
}

/// How learning rates make up for the teaching signal being diluted by the mixing factors
/// (the paper's "rescaling by the inverse mixing factor", section 3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateScaling {
    /// Use the rates as given (the default).
    #[default]
    None,
    /// Divide each layer's rate by its own mixing factor: `λ_N` for the output, `λ_k` for
    /// hidden layer `k`, `λ_I` for interneurons.
    Layer,
    /// Divide by the whole chain of mixing factors the error passed through on its way down
    /// (`λ_N ∏_{l=k}^{N-1} λ_l (1 - λ_I)` for hidden layer `k`), which makes every update the
    /// size of backprop's in the weak-nudging limit.
    Path,
}

/// Floating-point precision of every tensor the microcircuit creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// 32-bit floats: the fast default.
    #[default]
    F32,
    /// 64-bit floats: for checks at very weak nudging, where the apical sum (top-down minus
    /// lateral inhibition) cancels to rounding noise in f32.
    F64,
}

impl Precision {
    /// The Burn dtype.
    pub fn dtype(self) -> DType {
        match self {
            Self::F32 => DType::F32,
            Self::F64 => DType::F64,
        }
    }
}

/// Everything that defines a microcircuit. Defaults are the paper's steady-state MNIST
/// setting (section 3.4 and REFERENCE §3): `g_A = 0.471`, `g_som = 0.12`, so
/// `λ_hidden ≈ 0.30` and `λ_out ≈ λ_I ≈ 0.10`.
///
/// ```
/// use dendritic::MicrocircuitConfig;
/// let config = MicrocircuitConfig::new(vec![784, 500, 500, 10]).with_eta_up(vec![0.1]);
/// config.check().unwrap();
/// assert!((config.lambda_hidden() - 0.2998).abs() < 1e-3);
/// ```
#[derive(Config, Debug, PartialEq)]
pub struct MicrocircuitConfig {
    /// Layer sizes `[n_0 (input), n_1, .., n_{N-1} (hidden), n_N (output)]`.
    pub sizes: Vec<usize>,
    /// Leak conductance `g_lk`.
    #[config(default = 0.1)]
    pub g_lk: f64,
    /// Basal-to-soma coupling `g_B`.
    #[config(default = 1.0)]
    pub g_b: f64,
    /// Apical-to-soma coupling `g_A` (sets `λ_hidden = g_A / (g_lk + g_B + g_A)`).
    #[config(default = 0.471)]
    pub g_a: f64,
    /// Interneuron dendrite-to-soma coupling `g_D`.
    #[config(default = 1.0)]
    pub g_d: f64,
    /// Somatic nudging conductance `g_som` of output cells and interneurons.
    #[config(default = 0.12)]
    pub g_som: f64,
    /// Overrides the hidden-layer mixing factor `λ_k` derived from the conductances.
    #[config(default = "None")]
    pub lambda_hidden: Option<f64>,
    /// Overrides the output nudging factor `λ_N = g_som / (g_lk + g_B + g_som)`.
    #[config(default = "None")]
    pub lambda_output: Option<f64>,
    /// Overrides the interneuron nudging factor `λ_I = g_som / (g_lk + g_D + g_som)`.
    #[config(default = "None")]
    pub lambda_interneuron: Option<f64>,
    /// The rate function φ.
    #[config(default = "Transfer::Logistic")]
    pub transfer: Transfer,
    /// Learning rates of `W_up` (Eq. 7), one per layer 1..=N, or one for all. A rate of 0
    /// keeps that layer's weights fixed; a group whose rates are all 0 costs nothing per step.
    #[config(default = "vec![0.1]")]
    pub eta_up: Vec<f64>,
    /// Learning rates of `W_IP` (Eq. 8), one per hidden layer, or one for all.
    #[config(default = "vec![0.1]")]
    pub eta_ip: Vec<f64>,
    /// Learning rates of `W_PI` (Eq. 9), one per hidden layer, or one for all (default 0:
    /// fixed, the paper's MNIST setting).
    #[config(default = "vec![0.0]")]
    pub eta_pi: Vec<f64>,
    /// Learning rates of `W_down` (Eq. 10), one per hidden layer, or one for all (default 0:
    /// fixed top-down weights).
    #[config(default = "vec![0.0]")]
    pub eta_down: Vec<f64>,
    /// Eq. 9 (`W_PI`) learns from the state settled with the target off instead of the
    /// nudged one, so the interneurons learn to cancel the top-down input and not the error
    /// it carries (default false, as the paper's scheme). Costs one more settle per step and
    /// runs the tensor code, not the fused CPU step.
    #[config(default = false)]
    pub w_pi_free_phase: bool,
    /// How rates are rescaled by the inverse mixing factors (default: used as given, as in
    /// every shipped preset).
    #[config(default = "RateScaling::None")]
    pub rate_scaling: RateScaling,
    /// Initial state: self-predicting by construction, or random.
    #[config(default = "Init::SelfPredicting")]
    pub init: Init,
    /// `W_up` is drawn from U(-s, s) with s = `init_scale_up / sqrt(n_{k-1})`.
    #[config(default = 1.0)]
    pub init_scale_up: f64,
    /// `W_down` is drawn from U(-s, s) with s = `init_scale_down / sqrt(n_{k+1})`.
    #[config(default = 1.0)]
    pub init_scale_down: f64,
    /// Start with `W_down_k = W_up_{k+1}ᵀ` (exact backprop in the weak-nudging limit, paper
    /// section 3.1) instead of random top-down weights (feedback alignment, section 3.3).
    #[config(default = false)]
    pub top_down_transposed: bool,
    /// Under [`Init::Random`], `W_IP` is drawn from U(-s, s), s = `init_scale_ip / sqrt(n_k)`.
    #[config(default = 1.0)]
    pub init_scale_ip: f64,
    /// Under [`Init::Random`], `W_PI` is drawn from U(-s, s), s = `init_scale_pi / sqrt(n_{k+1})`.
    #[config(default = 1.0)]
    pub init_scale_pi: f64,
    /// Plastic biases (a unit input with a plastic weight) on pyramidal cells and interneurons.
    #[config(default = true)]
    pub bias: bool,
    /// Seed of the host RNG that draws the initial weights (same seed, same weights on
    /// every backend).
    #[config(default = 0)]
    pub seed: u64,
    /// f32 (default) or f64.
    #[config(default = "Precision::F32")]
    pub precision: Precision,
}

impl MicrocircuitConfig {
    /// Number of weight layers `N` (output layer index).
    pub fn depth(&self) -> usize {
        self.sizes.len().saturating_sub(1)
    }

    /// Hidden-layer mixing factor `λ_k = g_A / (g_lk + g_B + g_A)` (or the override).
    pub fn lambda_hidden(&self) -> f64 {
        self.lambda_hidden
            .unwrap_or(self.g_a / (self.g_lk + self.g_b + self.g_a))
    }

    /// Output nudging factor `λ_N = g_som / (g_lk + g_B + g_som)` (or the override).
    pub fn lambda_output(&self) -> f64 {
        self.lambda_output
            .unwrap_or(self.g_som / (self.g_lk + self.g_b + self.g_som))
    }

    /// Interneuron nudging factor `λ_I = g_som / (g_lk + g_D + g_som)` (or the override).
    pub fn lambda_interneuron(&self) -> f64 {
        self.lambda_interneuron
            .unwrap_or(self.g_som / (self.g_lk + self.g_d + self.g_som))
    }

    /// Sets all three mixing factors to `lambda` (a convenience for weak-nudging studies).
    pub fn with_all_mixing(self, lambda: f64) -> Self {
        self.with_lambda_hidden(Some(lambda))
            .with_lambda_output(Some(lambda))
            .with_lambda_interneuron(Some(lambda))
    }

    /// Whether a learning step also settles its batch with the target off: Eq. 9 reads that
    /// state ([`w_pi_free_phase`](Self::w_pi_free_phase)) and some `W_PI` learns.
    pub fn needs_free_phase(&self) -> bool {
        self.w_pi_free_phase && self.eta_pi.iter().any(|&r| r > 0.0)
    }

    /// The first field that keeps networks of `self` and `other` out of one
    /// [`Replicas`](crate::Replicas) stack (sizes, transfer, bias, precision or
    /// `w_pi_free_phase`), or `None` when they stack.
    pub fn stack_conflict(&self, other: &Self) -> Option<&'static str> {
        [
            ("sizes", self.sizes != other.sizes),
            ("transfer", self.transfer != other.transfer),
            ("bias", self.bias != other.bias),
            ("precision", self.precision != other.precision),
            (
                "w_pi_free_phase",
                self.w_pi_free_phase != other.w_pi_free_phase,
            ),
        ]
        .into_iter()
        .find_map(|(field, differs)| differs.then_some(field))
    }

    /// The rate of `group` at `layer` (0-based), broadcasting a one-element list.
    pub(crate) fn rate(list: &[f64], layer: usize) -> f64 {
        if list.len() == 1 {
            list[0]
        } else {
            list[layer]
        }
    }

    /// Checks every field; the error names the first problem found.
    pub fn check(&self) -> crate::error::Result<()> {
        if self.sizes.len() < 3 {
            return Err(DendriticError::TooFewLayers(self.sizes.len()));
        }
        if let Some(layer) = self.sizes.iter().position(|&n| n == 0) {
            return Err(DendriticError::EmptyLayer { layer });
        }
        for (name, value) in [
            ("g_lk", self.g_lk),
            ("g_b", self.g_b),
            ("g_a", self.g_a),
            ("g_d", self.g_d),
            ("g_som", self.g_som),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(DendriticError::BadConductance { name, value });
            }
        }
        for (name, value) in [
            ("lambda_hidden", self.lambda_hidden()),
            ("lambda_output", self.lambda_output()),
            ("lambda_interneuron", self.lambda_interneuron()),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(DendriticError::BadMixingFactor { name, value });
            }
        }
        self.transfer.check()?;
        let n = self.depth();
        for (name, list, expected) in [
            ("eta_up", &self.eta_up, n),
            ("eta_ip", &self.eta_ip, n - 1),
            ("eta_pi", &self.eta_pi, n - 1),
            ("eta_down", &self.eta_down, n - 1),
        ] {
            if list.len() != expected && list.len() != 1 {
                return Err(DendriticError::WrongListLength {
                    name,
                    expected,
                    got: list.len(),
                });
            }
            if let Some((index, &value)) = list
                .iter()
                .enumerate()
                .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
            {
                return Err(DendriticError::BadLearningRate { name, index, value });
            }
        }
        for (name, value) in [
            ("init_scale_up", self.init_scale_up),
            ("init_scale_down", self.init_scale_down),
            ("init_scale_ip", self.init_scale_ip),
            ("init_scale_pi", self.init_scale_pi),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(DendriticError::BadInitScale { name, value });
            }
        }
        Ok(())
    }
}
