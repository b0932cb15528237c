//! The microcircuit behind the same [`Learner`] interface as the baselines.

use burn::tensor::Tensor;
use dendritic::{Microcircuit, Updates};

use crate::checkpoint::{load_module, save_module};
use crate::error::Result;
use crate::learner::{Checkpoint, Diagnose, FeedbackPair, Learner, StepStats, check_batch, timed};
use crate::mlp::Mlp;
use crate::objective::{Objective, OutputError};

/// A [`Microcircuit`] trained with the steady-state scheme (paper section 3.4) and Eqs. 7-10.
pub struct DendriticLearner {
    /// The microcircuit.
    pub net: Microcircuit,
    name: String,
    last: Option<Updates>,
}

impl DendriticLearner {
    /// Wraps a microcircuit; `name` labels it in tables (e.g. `dendritic-frozen-hidden`).
    pub fn new(net: Microcircuit, name: impl Into<String>) -> Self {
        Self {
            net,
            name: name.into(),
            last: None,
        }
    }
}

impl DendriticLearner {
    /// Settles with the target rates (as `u_trgt = φ⁻¹(r_trgt)`) and computes Eqs. 7-10 from
    /// that state, without applying them: the tensor-code step that keeps its updates.
    fn settle_and_plan(
        &self,
        input: Tensor<2>,
        target: Tensor<2>,
    ) -> Result<(dendritic::State, Updates)> {
        let u_target = self.net.target_potential(target);
        let state = self.net.settle(input, Some(u_target))?;
        let updates = self.net.plasticity(&state);
        Ok((state, updates))
    }
}

impl Learner for DendriticLearner {
    fn name(&self) -> &str {
        &self.name
    }

    /// Settles with the target (rates, turned into `u_trgt = φ⁻¹(r_trgt)`), applies Eqs. 7-10.
    /// The loss is `½ ‖u_trgt - u_N⁻‖²` of the feed-forward prediction `u_N⁻ = v_B,N`.
    fn train_step(&mut self, input: Tensor<2>, target: Tensor<2>, rate: f64) -> Result<StepStats> {
        self.net.set_rate_scale(rate);
        check_batch(&self.net.config().sizes, &input, &target)?;
        timed(|| {
            let u_target = self.net.target_potential(target);
            let basal = self.net.learn(input, u_target.clone())?;
            self.last = None;
            // The objective's potential-space loss, ½ ‖u_trgt - u_N⁻‖² per sample, from the
            // target potential already computed.
            let batch = basal.dims()[0] as f64;
            Ok((u_target - basal).square().sum().mul_scalar(0.5 / batch))
        })
    }

    /// The tensor-code step, which keeps its updates (the fused step of
    /// [`Microcircuit::learn`] writes them straight into the weights).
    fn train_step_with_updates(
        &mut self,
        input: Tensor<2>,
        target: Tensor<2>,
        rate: f64,
    ) -> Result<(StepStats, Vec<Option<Tensor<2>>>)> {
        self.net.set_rate_scale(rate);
        check_batch(&self.net.config().sizes, &input, &target)?;
        let objective = self.objective();
        let stats = timed(|| {
            let (state, updates) = self.settle_and_plan(input, target.clone())?;
            let loss = objective.loss(state.output.basal, target);
            self.net.apply(&updates);
            self.last = Some(updates);
            Ok(loss)
        })?;
        Ok((stats, self.last_updates()))
    }

    fn predict(&self, input: Tensor<2>) -> Tensor<2> {
        self.net.predict(input)
    }

    /// Potential-space error: in the self-predicting state with weak nudging the updates
    /// follow backprop of this error (paper section 3.1).
    fn objective(&self) -> Objective {
        Objective {
            transfer: self.net.config().transfer,
            error: OutputError::Potential,
        }
    }
}

impl Checkpoint for DendriticLearner {
    fn save(&self, path: &std::path::Path) -> Result<()> {
        save_module(&self.net, path)
    }

    fn load(&mut self, path: &std::path::Path) -> Result<()> {
        self.net = load_module(self.net.clone(), path)?;
        Ok(())
    }
}

impl Diagnose for DendriticLearner {
    /// `ΔW_up` of every layer (Eq. 7) from settling with the target, not applied.
    fn probe_updates(&self, input: Tensor<2>, target: Tensor<2>) -> Result<Vec<Option<Tensor<2>>>> {
        check_batch(&self.net.config().sizes, &input, &target)?;
        Ok(self.settle_and_plan(input, target)?.1.w_up())
    }

    /// Settles without a target and reads `mean |v_A,k|` per hidden layer.
    fn apical_without_target(&self, input: Tensor<2>) -> Result<Vec<f64>> {
        self.net.check_input(&input)?;
        let state = self.net.settle(input, None)?;
        Ok(dendritic::diagnostics::mean_abs_apical(&state))
    }

    fn feedforward(&self) -> Mlp {
        let device = self.net.output.w_up.val().device();
        Mlp::from_microcircuit(&self.net, &device)
    }

    /// `ΔW_up` of every layer (Eq. 7) from the last
    /// [`train_step_with_updates`](Learner::train_step_with_updates); `None` after a fused
    /// [`train_step`](Learner::train_step), which keeps no ΔW.
    fn last_updates(&self) -> Vec<Option<Tensor<2>>> {
        match &self.last {
            Some(updates) => updates.w_up(),
            None => vec![None; self.net.depth()],
        }
    }

    /// `W_down_k` against `W_up_{k+1}ᵀ` for every hidden layer `k`.
    fn feedback_pairs(&self) -> Vec<FeedbackPair> {
        dendritic::diagnostics::top_down_pairs(&self.net)
            .into_iter()
            .enumerate()
            .map(|(k, (feedback, forward))| FeedbackPair {
                layer: k + 1,
                feedback,
                forward,
            })
            .collect()
    }
}
