//! The crate's one error type.

use thiserror::Error;

/// Everything that can go wrong when building or driving a [`Microcircuit`](crate::Microcircuit).
#[derive(Debug, Error, Clone, PartialEq)]
pub enum DendriticError {
    /// A microcircuit needs an input layer, at least one hidden layer and an output layer.
    #[error("a microcircuit needs at least 3 layer sizes (input, hidden.., output), got {0}")]
    TooFewLayers(usize),
    /// A layer with no neurons.
    #[error("layer {layer} has size 0")]
    EmptyLayer {
        /// Index of the offending layer (0 = input).
        layer: usize,
    },
    /// A conductance that is negative or not finite.
    #[error("conductance {name} must be finite and >= 0, got {value}")]
    BadConductance {
        /// Which conductance (`g_lk`, `g_b`, ...).
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// A mixing factor (lambda) outside [0, 1].
    #[error("mixing factor {name} must lie in [0, 1], got {value}")]
    BadMixingFactor {
        /// Which mixing factor.
        name: &'static str,
        /// The value given (or derived from the conductances).
        value: f64,
    },
    /// A per-layer list (learning rates, plasticity flags) of the wrong length.
    #[error("{name} needs {expected} entries (one per layer it applies to), got {got}")]
    WrongListLength {
        /// Which list.
        name: &'static str,
        /// How many entries the layer sizes call for.
        expected: usize,
        /// How many were given.
        got: usize,
    },
    /// A learning rate that is negative or not finite.
    #[error("learning rate {name}[{index}] must be finite and >= 0, got {value}")]
    BadLearningRate {
        /// Which group of rates.
        name: &'static str,
        /// Layer index within the list.
        index: usize,
        /// The value given.
        value: f64,
    },
    /// An initialisation scale that is negative or not finite.
    #[error("init scale {name} must be finite and >= 0, got {value}")]
    BadInitScale {
        /// Which scale.
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// Transfer-function parameters that make no sense (e.g. gamma <= 0).
    #[error("transfer function: {0}")]
    BadTransfer(String),
    /// A disinhibition gate outside [0, 1] (see [`Gates`](crate::disinhibition::Gates)).
    #[error("the disinhibition gate of hidden layer {layer} must lie in [0, 1], got {value}")]
    BadGate {
        /// Hidden layer (1-based).
        layer: usize,
        /// The value given.
        value: f64,
    },
    /// A tensor whose shape does not fit the network.
    #[error("{what} has shape {got:?}, expected {expected:?}")]
    Shape {
        /// Which tensor.
        what: &'static str,
        /// The shape it should have (`0` where any size is fine).
        expected: Vec<usize>,
        /// The shape it has.
        got: Vec<usize>,
    },
    /// A continuous-time parameter out of range (see [`ContinuousConfig`](crate::ContinuousConfig)).
    #[error("continuous dynamics: {name} must be {requirement}, got {value}")]
    BadContinuousParameter {
        /// Which parameter.
        name: &'static str,
        /// The value given.
        value: f64,
        /// What it must satisfy.
        requirement: &'static str,
    },
    /// An Euler step too large for the fastest membrane time constant `1 / (g_lk + g_B + g_A)`
    /// (or the interneuron's or output cell's, whichever is fastest).
    #[error(
        "time step dt = {dt} ms is unstable: the fastest membrane time constant is {tau_min:.4} ms, \
         so dt must be at most {limit:.4} ms"
    )]
    UnstableTimeStep {
        /// The time step given.
        dt: f64,
        /// The fastest membrane time constant `1 / g_max`.
        tau_min: f64,
        /// The largest accepted time step.
        limit: f64,
    },
    /// The steady-state solver of the continuous dynamics did not converge.
    #[error("fixed point not reached after {iterations} iterations (last change {residual:e})")]
    NotConverged {
        /// Iterations run.
        iterations: usize,
        /// Largest potential change of the last iteration.
        residual: f64,
    },
    /// Replicas were asked for with none, or with networks that cannot share one stack.
    #[error("replicas: {0}")]
    Replicas(String),
}

/// Short for `Result<T, DendriticError>`.
pub type Result<T> = core::result::Result<T, DendriticError>;
