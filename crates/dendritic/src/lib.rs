//! Dendritic cortical microcircuits (Sacramento, Costa, Bengio & Senn, NeurIPS 2018) as a
//! Burn [`Module`](burn::module::Module).
//!
//! Pyramidal cells have basal, apical and somatic compartments; lateral interneurons learn to
//! cancel top-down input so that apical dendrites carry only backpropagated errors; local
//! plasticity (Eqs. 7-10) then approximates backprop.
//!
//! ```
//! use burn::tensor::{Device, Distribution, Tensor};
//! use dendritic::{MicrocircuitConfig, diagnostics};
//!
//! let device = Device::default();
//! let mut net = MicrocircuitConfig::new(vec![8, 6, 4]).init(&device).unwrap();
//! let x = Tensor::<2>::random([10, 8], Distribution::Uniform(0.0, 1.0), &device);
//!
//! // Self-predicting start: with no target, apical dendrites are silent.
//! let state = net.settle(x.clone(), None).unwrap();
//! assert!(diagnostics::max_abs_apical(&state) < 1e-5);
//!
//! // One learning step towards target rates 0.8.
//! let target = net.target_potential(Tensor::full([10, 4], 0.8, &device));
//! net.train_step(x, target).unwrap();
//! ```

pub mod coefficient;
pub mod config;
pub mod continuous;
#[cfg(feature = "flex")]
pub mod cpu;
pub mod diagnostics;
pub mod disinhibition;
pub mod error;
pub mod microcircuit;
mod parallel;
pub mod plasticity;
pub mod random;
pub mod reconstruction;
pub mod replicas;
pub mod state;
pub mod steady_state;
pub mod transfer;
pub mod weights;

pub use config::{Init, MicrocircuitConfig, Precision, RateScaling};
pub use continuous::{ContinuousConfig, Nudging, Simulation};
pub use error::{DendriticError, Result};
pub use microcircuit::{HiddenLayer, Microcircuit, OutputLayer};
pub use plasticity::{EffectiveRates, HiddenUpdates, OutputUpdates, StepRates, Updates};
pub use replicas::Replicas;
pub use state::{HiddenState, OutputState, State};
pub use steady_state::Mixing;
pub use transfer::Transfer;
pub use weights::Weights;
