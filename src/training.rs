//! The training loop shared by the CLI, the examples and the tests: any [`Learner`].

use baselines::{Learner, StepStats};
use burn::tensor::Tensor;

use crate::data::mnist::permutation;

/// Batches between two checks that the training loss is still finite (one scalar read back).
const CHECK_EVERY: usize = 250;

/// Why an epoch stopped.
#[derive(Debug, thiserror::Error)]
pub enum EpochError {
    /// A step failed (bad shapes, ...).
    #[error(transparent)]
    Learner(#[from] baselines::BaselineError),
    /// The training loss became NaN or infinite: the weights have diverged.
    #[error("the training loss became {loss} at step {step}")]
    Diverged {
        /// The first step (from 1) whose loss was not finite.
        step: usize,
        /// That loss.
        loss: f64,
    },
}

/// One epoch of [`Learner::train_step`] over `inputs` `[n, n_0]` and target rates
/// `[n, n_N]`, in the order of a permutation seeded with `seed`, `batch` examples at a time
/// (a final partial batch is dropped), every learning rate multiplied by `rate` (the
/// schedule's factor for this epoch). Each batch is gathered on the device, so no
/// epoch-sized copy is made. `on_batch` sees the index and statistics of every batch.
/// Returns the mean training loss over the epoch, left on the device.
///
/// Every few hundred batches, and at the end, the running loss is read back: the epoch
/// stops with [`EpochError::Diverged`] at the first non-finite loss, naming its step.
pub fn train_epoch(
    learner: &mut dyn Learner,
    inputs: &Tensor<2>,
    targets: &Tensor<2>,
    batch: usize,
    seed: u64,
    rate: f64,
    mut on_batch: impl FnMut(usize, &StepStats),
) -> Result<Tensor<1>, EpochError> {
    let n = inputs.dims()[0];
    let batches = n / batch.max(1);
    let order = permutation(n, seed, &inputs.device());
    let mut total: Option<Tensor<1>> = None;
    // The losses since the last check, to find the first bad step when a check fails.
    let mut window: Vec<Tensor<1>> = Vec::with_capacity(CHECK_EVERY);
    for b in 0..batches {
        let idx = order.clone().slice(b * batch..(b + 1) * batch);
        let stats = learner.train_step(
            inputs.clone().select(0, idx.clone()),
            targets.clone().select(0, idx),
            rate,
        )?;
        total = Some(match total {
            Some(t) => t + stats.loss.clone(),
            None => stats.loss.clone(),
        });
        window.push(stats.loss.clone());
        on_batch(b, &stats);
        if window.len() == CHECK_EVERY || b + 1 == batches {
            let sum = total
                .clone()
                .expect("a step was taken")
                .into_scalar::<f64>();
            if !sum.is_finite() {
                let first = b + 1 - window.len();
                let losses = Tensor::cat(window, 0).into_data().convert::<f64>();
                let (i, loss) = losses
                    .try_to_vec::<f64>()
                    .ok()
                    .and_then(|l| l.into_iter().enumerate().find(|(_, v)| !v.is_finite()))
                    .unwrap_or((0, sum));
                return Err(EpochError::Diverged {
                    step: first + i + 1,
                    loss,
                });
            }
            window = Vec::with_capacity(CHECK_EVERY);
        }
    }
    Ok(match total {
        Some(t) => t.div_scalar(batches as f64),
        None => Tensor::<1>::zeros([1], &inputs.device()),
    })
}
