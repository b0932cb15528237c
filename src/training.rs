//! The training loop shared by the examples and tests.

use burn::tensor::Tensor;
use dendritic::Microcircuit;

use crate::data::mnist::permutation;

/// One epoch of [`Microcircuit::train_step`] over `inputs` `[n, n_0]` and somatic targets
/// `[n, n_N]`, in the order of a permutation seeded with `seed`, `batch` examples at a time
/// (a final partial batch is dropped). Each batch is gathered on the device, so no
/// epoch-sized copy is made. `on_batch` is called with the index of every batch done.
pub fn train_epoch(
    net: &mut Microcircuit,
    inputs: &Tensor<2>,
    targets: &Tensor<2>,
    batch: usize,
    seed: u64,
    mut on_batch: impl FnMut(usize),
) -> dendritic::Result<()> {
    let n = inputs.dims()[0];
    let order = permutation(n, seed, &inputs.device());
    for b in 0..n / batch.max(1) {
        let idx = order.clone().slice(b * batch..(b + 1) * batch);
        net.train_step(
            inputs.clone().select(0, idx.clone()),
            targets.clone().select(0, idx),
        )?;
        on_batch(b);
    }
    Ok(())
}
