//! The one interface every learning rule implements, so that all of them run through the same
//! training loop, metrics and alignment diagnostics.

use std::path::Path;
use std::time::Instant;

use burn::tensor::{Int, Tensor};

use crate::error::{BaselineError, Result};
use crate::mlp::Mlp;
use crate::objective::Objective;

/// What one training step reports.
#[derive(Debug, Clone)]
pub struct StepStats {
    /// The batch-mean loss before the update, left on the device (read it with
    /// [`StepStats::loss_value`] only when reporting).
    pub loss: Tensor<1>,
    /// Host time the step took. On asynchronous (GPU) backends this is the time to queue the
    /// work unless something forced a sync.
    pub seconds: f64,
}

impl StepStats {
    /// The loss as a host number (a device-to-host read).
    pub fn loss_value(&self) -> f64 {
        self.loss.clone().into_scalar::<f64>()
    }
}

/// A feedback weight matrix and the forward matrix it is compared with (same shape), e.g.
/// FA's `B_{l+1}` and `W_{l+1}ᵀ`, or the microcircuit's `W_down_k` and `W_up_{k+1}ᵀ`.
#[derive(Debug, Clone)]
pub struct FeedbackPair {
    /// The layer (1-based) that receives the feedback.
    pub layer: usize,
    /// The feedback matrix.
    pub feedback: Tensor<2>,
    /// The forward matrix it would equal under exact weight transport.
    pub forward: Tensor<2>,
}

/// A learning rule with its network: train on batches of (input, target rates) and predict.
/// Every rule also saves and restores itself ([`Checkpoint`]) and exposes what the
/// alignment diagnostics read ([`Diagnose`]), so one `dyn Learner` does all three.
///
/// Inputs are `[batch, n_0]`, targets `[batch, n_N]` rates (one-hot 0.1/0.8 for classification
/// with the logistic function; cross-entropy learners use the target's largest entry).
pub trait Learner: Checkpoint + Diagnose {
    /// Short name (`bp`, `fa`, `dfa`, `dtp`, `drl`, `ddtp`, `shallow`, `dendritic`).
    fn name(&self) -> &str;

    /// One learning step on a batch, with every learning rate multiplied by `rate` (a
    /// schedule's current factor, as `burn::optim`'s step takes its learning rate; 1 is the
    /// configured rate).
    fn train_step(&mut self, input: Tensor<2>, target: Tensor<2>, rate: f64) -> Result<StepStats>;

    /// One learning step that also returns each layer's update, as
    /// [`last_updates`](Diagnose::last_updates) would after it. Rules whose fast step writes
    /// its updates straight into the weights (the microcircuit's) override this with a step
    /// that keeps them.
    fn train_step_with_updates(
        &mut self,
        input: Tensor<2>,
        target: Tensor<2>,
        rate: f64,
    ) -> Result<(StepStats, Vec<Option<Tensor<2>>>)> {
        let stats = self.train_step(input, target, rate)?;
        Ok((stats, self.last_updates()))
    }

    /// Output rates (or class probabilities) `[batch, n_N]`, without learning.
    fn predict(&self, input: Tensor<2>) -> Tensor<2>;

    /// Predicted classes `[batch]`: the largest output.
    fn classify(&self, input: Tensor<2>) -> Tensor<1, Int> {
        self.predict(input).argmax(1).squeeze_dim(1)
    }

    /// The output error and rate function the rule approximates descending.
    fn objective(&self) -> Objective;
}

/// Saving and restoring a learner (the run directory's checkpoints).
pub trait Checkpoint {
    /// Writes the weights to a burnpack file (atomically: temporary file, then rename).
    fn save(&self, path: &Path) -> Result<()>;

    /// Loads weights saved by [`Checkpoint::save`] from a learner of the same configuration.
    fn load(&mut self, path: &Path) -> Result<()>;

    /// Training steps taken, for rules whose noise is seeded per step (so a resumed run draws
    /// the same noise); 0 for the others.
    fn step_count(&self) -> u64 {
        0
    }

    /// Restores [`step_count`](Checkpoint::step_count) after loading a checkpoint.
    fn set_step_count(&mut self, _steps: u64) {}
}

/// What the alignment diagnostics ([`crate::alignment`]) read from a learner.
pub trait Diagnose {
    /// The forward weights as a plain MLP: the network backprop would train in its place.
    fn feedforward(&self) -> Mlp;

    /// Each layer's weight change direction from the last [`Learner::train_step`] (bottom to
    /// top; `None` for a layer that does not learn or before the first step): the rule's own
    /// update, before any optimiser rescaling — the negative of its pseudo-gradient.
    fn last_updates(&self) -> Vec<Option<Tensor<2>>>;

    /// Each layer's update the rule would make on this batch from the current weights, without
    /// learning (bottom to top, `None` for a layer that would not learn), for diagnostics on a
    /// fixed probe batch. Empty for rules that cannot compute it without a step.
    fn probe_updates(
        &self,
        _input: Tensor<2>,
        _target: Tensor<2>,
    ) -> Result<Vec<Option<Tensor<2>>>> {
        Ok(Vec::new())
    }

    /// Mean `|v_A|` of each hidden layer's apical dendrite with the target switched off (zero in
    /// the self-predicting state), for rules with apical compartments; empty for the others.
    fn apical_without_target(&self, _input: Tensor<2>) -> Result<Vec<f64>> {
        Ok(Vec::new())
    }

    /// Feedback matrices with the forward matrices they stand in for (empty when the rule
    /// has no feedback weights of that shape).
    fn feedback_pairs(&self) -> Vec<FeedbackPair> {
        Vec::new()
    }
}

/// Checks an (input, target) batch against layer sizes.
pub fn check_batch(sizes: &[usize], input: &Tensor<2>, target: &Tensor<2>) -> Result<()> {
    let [rows, cols] = input.dims();
    let n_in = sizes[0];
    let n_out = *sizes.last().expect("sizes checked at init");
    if cols != n_in {
        return Err(BaselineError::Shape {
            what: "input",
            got: vec![rows, cols],
            expected: n_in,
        });
    }
    let [t_rows, t_cols] = target.dims();
    if t_cols != n_out {
        return Err(BaselineError::Shape {
            what: "target",
            got: vec![t_rows, t_cols],
            expected: n_out,
        });
    }
    if rows != t_rows {
        return Err(BaselineError::BatchMismatch {
            input: rows,
            target: t_rows,
        });
    }
    Ok(())
}

/// Runs `step` and times it.
pub(crate) fn timed(step: impl FnOnce() -> Result<Tensor<1>>) -> Result<StepStats> {
    let start = Instant::now();
    let loss = step()?;
    Ok(StepStats {
        loss,
        seconds: start.elapsed().as_secs_f64(),
    })
}
