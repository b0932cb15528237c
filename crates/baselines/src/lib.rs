//! Learning rules the dendritic microcircuit is compared with. So far: backprop through
//! Burn's autodiff ([`bp`]); feedback alignment and target propagation follow.

pub mod bp;

pub use bp::{Backprop, BpConfig, Mlp, OutputError};
