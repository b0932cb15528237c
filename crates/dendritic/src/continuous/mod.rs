//! The continuous-time microcircuit of the paper's section 2: somatic potentials follow
//! Eqs. 1-2 with the dendritic potentials of Eqs. 3-5, integrated by Euler-Maruyama with
//! noise; plasticity (Eqs. 7-10) runs at every step through a low-pass filter, with no
//! phases and never switched off.
//!
//! - [`config`]: [`ContinuousConfig`] (dt, `t_pattern`, `τ_w`, `τ_0`, σ, nudging mode);
//! - [`dynamics`]: the Euler step and the direct fixed-point solve;
//! - [`plasticity`]: the low-pass filtered rules;
//! - [`noise`]: seeded, chunked Gaussian noise;
//! - [`weights`]: the weights as plain tensors and the continuous self-predicting state;
//! - [`simulation`]: the [`Simulation`] driver and trace recording.

pub mod config;
pub mod dynamics;
pub mod noise;
pub mod plasticity;
pub mod simulation;
pub mod weights;

pub use config::{ContinuousConfig, MAX_STEP_RATIO, Nudging};
pub use dynamics::{Compartments, Membrane, Potentials};
pub use plasticity::LowPassPlasticity;
pub use simulation::{Probe, Recorder, Simulation, Traces, WeightGroup};
pub use weights::Weights;
