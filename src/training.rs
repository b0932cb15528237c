//! The training loop shared by the CLI, the examples and the tests: any [`Learner`].

use baselines::{Learner, StepStats};
use burn::tensor::Tensor;

use crate::data::mnist::permutation;

/// One epoch of [`Learner::train_step`] over `inputs` `[n, n_0]` and target rates
/// `[n, n_N]`, in the order of a permutation seeded with `seed`, `batch` examples at a time
/// (a final partial batch is dropped). Each batch is gathered on the device, so no
/// epoch-sized copy is made. `on_batch` sees the index and statistics of every batch.
/// Returns the mean training loss over the epoch, left on the device.
pub fn train_epoch(
    learner: &mut dyn Learner,
    inputs: &Tensor<2>,
    targets: &Tensor<2>,
    batch: usize,
    seed: u64,
    mut on_batch: impl FnMut(usize, &StepStats),
) -> baselines::Result<Tensor<1>> {
    let n = inputs.dims()[0];
    let batches = n / batch.max(1);
    let order = permutation(n, seed, &inputs.device());
    let mut total: Option<Tensor<1>> = None;
    for b in 0..batches {
        let idx = order.clone().slice(b * batch..(b + 1) * batch);
        let stats = learner.train_step(
            inputs.clone().select(0, idx.clone()),
            targets.clone().select(0, idx),
        )?;
        total = Some(match total {
            Some(t) => t + stats.loss.clone(),
            None => stats.loss.clone(),
        });
        on_batch(b, &stats);
    }
    Ok(match total {
        Some(t) => t.div_scalar(batches as f64),
        None => Tensor::<1>::zeros([1], &inputs.device()),
    })
}
