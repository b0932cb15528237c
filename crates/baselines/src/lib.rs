//! Learning rules the dendritic microcircuit is compared with, behind one [`Learner`] trait (with
//! its [`Checkpoint`] and [`Diagnose`] halves) that
//! the microcircuit implements too ([`DendriticLearner`]):
//!
//! | learner | rule | module |
//! | --- | --- | --- |
//! | `bp` | backprop through Burn's autodiff | [`bp`] |
//! | `fa` | feedback alignment (Lillicrap et al. 2016) | [`feedback_alignment`] |
//! | `dfa` | direct feedback alignment (Nøkland 2016) | [`feedback_alignment`] |
//! | `shallow` | only the output layer learns | [`feedback_alignment`] |
//! | `dtp` | difference target propagation (Lee et al. 2015) | [`target_prop`] |
//! | `drl` | DTP with the difference reconstruction loss (Meulemans et al. 2020) | [`target_prop`] |
//! | `ddtp` | direct DTP with linear feedback (Meulemans et al. 2020) | [`target_prop`] |
//!
//! [`alignment::measure`] gives, for any learner and batch, the angle between its update and
//! backprop's gradient, and between its feedback and forward weights.
//!
//! ```
//! use baselines::{FeedbackConfig, FeedbackRule, Learner, NetConfig, alignment};
//! use burn::tensor::{Device, Distribution, Tensor};
//!
//! let device = Device::default();
//! let net = NetConfig::new(vec![8, 6, 4]).with_seed(1);
//! let mut fa = FeedbackConfig::new(net, FeedbackRule::Fa).init(&device).unwrap();
//! let x = Tensor::<2>::random([10, 8], Distribution::Uniform(0.0, 1.0), &device);
//! let target = Tensor::<2>::full([10, 4], 0.8, &device);
//! let stats = fa.train_step(x.clone(), target.clone(), 1.0).unwrap(); // rate factor 1
//! assert!(stats.loss_value() > 0.0);
//! let angles = alignment::measure(&mut fa, x, target).unwrap();
//! assert_eq!(angles.update.len(), 2);
//! ```

pub mod alignment;
pub mod bp;
pub mod checkpoint;
pub mod dendritic_learner;
pub mod error;
pub mod feedback_alignment;
pub mod learner;
pub mod mlp;
pub mod objective;
pub mod optimizer;
pub mod target_prop;

pub use bp::{Backprop, BpConfig};
pub use dendritic_learner::DendriticLearner;
pub use error::{BaselineError, Result};
pub use feedback_alignment::{FeedbackConfig, FeedbackLearner, FeedbackNet, FeedbackRule};
pub use learner::{Checkpoint, Diagnose, FeedbackPair, Learner, StepStats};
pub use mlp::{LayerGradient, Mlp, NetConfig, Trace};
pub use objective::{Objective, OutputError};
pub use optimizer::{OptimizerConfig, OptimizerKind};
pub use target_prop::{TargetProp, TargetPropConfig, TargetRule};
