//! [`ContinuousConfig`]: time step, pattern duration, plasticity and input filters, noise and
//! the nudging mode of the continuous-time dynamics (paper section 2), and their validation.

use burn::config::Config;
use serde::{Deserialize, Serialize};

use crate::config::MicrocircuitConfig;
use crate::error::DendriticError;

/// The largest `dt / τ_min` accepted, `τ_min` being the fastest membrane time constant. Euler
/// integration of `du/dt = -u/τ` diverges beyond 2 and oscillates beyond 1; half of that keeps
/// each step a small fraction of the fastest relaxation.
pub const MAX_STEP_RATIO: f64 = 0.5;

/// How the somatic teaching current of output cells (towards `u_trgt`) and of interneurons
/// (towards their partner cell one layer up) is delivered (paper section 2.1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Nudging {
    /// A current `i = g_som (u_trgt - u)`.
    Current,
    /// Balanced excitatory and inhibitory conductances,
    /// `i = g_exc (E_exc - u) + g_inh (E_inh - u)` with
    /// `g_exc = g_som (u_trgt - E_inh) / (E_exc - E_inh)` and
    /// `g_inh = -g_som (u_trgt - E_exc) / (E_exc - E_inh)` (Urbanczik & Senn 2014). Both
    /// conductances are clipped at 0, so a target inside `[E_inh, E_exc]` gives exactly the
    /// current form, and one outside saturates at the nearer reversal potential.
    Conductance {
        /// Excitatory reversal potential `E_exc`.
        e_exc: f64,
        /// Inhibitory reversal potential `E_inh`.
        e_inh: f64,
    },
}

/// Parameters of the continuous-time dynamics (Eqs. 1-2 integrated by Euler-Maruyama) and of
/// the low-pass filtered plasticity. Times are in milliseconds; conductances, transfer
/// function and learning rates come from the [`MicrocircuitConfig`].
///
/// Defaults are the values public re-implementations use (REFERENCE §3): `dt = 0.1`,
/// `t_pattern = 100`, `τ_w = 30`, `τ_0 = 3`, no noise.
#[derive(Config, Debug, PartialEq)]
pub struct ContinuousConfig {
    /// Euler time step `dt`.
    #[config(default = 0.1)]
    pub dt: f64,
    /// How long each pattern is presented.
    #[config(default = 100.0)]
    pub t_pattern: f64,
    /// Time constant `τ_w` of the low-pass filter on every plasticity term (0: unfiltered).
    #[config(default = 30.0)]
    pub tau_w: f64,
    /// Time constant `τ_0` of the low-pass filter on the input rates (0: no filter).
    #[config(default = 3.0)]
    pub tau_0: f64,
    /// Noise amplitude `σ` of Eqs. 1-2; each step adds `σ √dt ξ`, `ξ ~ N(0, 1)`.
    #[config(default = 0.0)]
    pub sigma: f64,
    /// How output cells and interneurons are nudged.
    #[config(default = "Nudging::Current")]
    pub nudging: Nudging,
    /// The low-pass filtered plasticity terms are updated every step and added to the weights
    /// every `apply_every` steps (scaled by `apply_every`); 1 is the exact Euler scheme.
    #[config(default = 1)]
    pub apply_every: usize,
    /// Seed of the host RNG that draws the noise.
    #[config(default = 0)]
    pub noise_seed: u64,
    /// Steps of noise drawn and uploaded at once.
    #[config(default = 500)]
    pub noise_chunk: usize,
}

impl ContinuousConfig {
    /// Euler steps per pattern, `round(t_pattern / dt)` (at least 1).
    pub fn steps_per_pattern(&self) -> usize {
        ((self.t_pattern / self.dt).round() as usize).max(1)
    }

    /// The fastest membrane time constant of the network: `1 / g_max`, with `g_max` the
    /// largest total conductance of a soma (hidden pyramidal `g_lk + g_B + g_A`, output
    /// `g_lk + g_B + g_som`, interneuron `g_lk + g_D + g_som`).
    pub fn fastest_time_constant(network: &MicrocircuitConfig) -> f64 {
        let g_max = [
            network.g_lk + network.g_b + network.g_a,
            network.g_lk + network.g_b + network.g_som,
            network.g_lk + network.g_d + network.g_som,
        ]
        .into_iter()
        .fold(0.0, f64::max);
        1.0 / g_max
    }

    /// Checks every field. Whether the time step is small enough depends on the network it
    /// will drive: [`Simulation::from_config`](crate::Simulation::from_config) and
    /// [`Simulation::new`](crate::Simulation::new) check that too
    /// ([`check_time_step`](Self::check_time_step)).
    pub fn check(&self) -> crate::error::Result<()> {
        let bad = |name: &'static str, value: f64, requirement: &'static str| {
            Err(DendriticError::BadContinuousParameter {
                name,
                value,
                requirement,
            })
        };
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return bad("dt", self.dt, "finite and > 0");
        }
        if !(self.t_pattern.is_finite() && self.t_pattern >= self.dt) {
            return bad("t_pattern", self.t_pattern, "finite and >= dt");
        }
        for (name, tau) in [("tau_w", self.tau_w), ("tau_0", self.tau_0)] {
            if !(tau.is_finite() && (tau == 0.0 || tau >= self.dt)) {
                return bad(name, tau, "0 (off) or finite and >= dt");
            }
        }
        if !(self.sigma.is_finite() && self.sigma >= 0.0) {
            return bad("sigma", self.sigma, "finite and >= 0");
        }
        if self.apply_every == 0 {
            return bad("apply_every", 0.0, ">= 1");
        }
        if self.noise_chunk == 0 {
            return bad("noise_chunk", 0.0, ">= 1");
        }
        if let Nudging::Conductance { e_exc, e_inh } = self.nudging
            && !(e_exc.is_finite() && e_inh.is_finite() && e_exc > e_inh)
        {
            return bad("e_exc - e_inh", e_exc - e_inh, "finite and > 0");
        }
        Ok(())
    }

    /// A time step that is not small against the fastest membrane time constant of `network`
    /// ([`MAX_STEP_RATIO`]) is refused with [`DendriticError::UnstableTimeStep`].
    pub fn check_time_step(&self, network: &MicrocircuitConfig) -> crate::error::Result<()> {
        let tau_min = Self::fastest_time_constant(network);
        if self.dt > MAX_STEP_RATIO * tau_min {
            return Err(DendriticError::UnstableTimeStep {
                dt: self.dt,
                tau_min,
                limit: MAX_STEP_RATIO * tau_min,
            });
        }
        Ok(())
    }
}
