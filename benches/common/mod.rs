//! What the benches train on: real MNIST batches when the shared copy is present (so that a
//! bench measures what users run: sparse inputs, unsaturated units), otherwise a stand-in
//! with MNIST's statistics, saying so.

use burn::tensor::{Device, Tensor, TensorData};
use microcircuits::data::Dataset;
use microcircuits::data::mnist::shared_mnist_dir;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// `batch` training images `[batch, 784]` in [0, 1] and one-hot 0.1/0.8 target rates.
pub fn mnist_batch(device: &Device, batch: usize) -> (Tensor<2>, Tensor<2>) {
    let (images, labels) = match shared_mnist_dir().and_then(|d| Dataset::load_idx_dir(&d, 0).ok())
    {
        Some(data) => {
            let train = data.train.limit(batch);
            (train.images, train.labels)
        }
        None => {
            eprintln!(
                "shared MNIST not found (set MNIST_DIR): benching on a stand-in with its statistics"
            );
            stand_in(batch)
        }
    };
    let mut targets = vec![0.1f32; batch * 10];
    for (i, &l) in labels.iter().enumerate() {
        targets[i * 10 + l as usize] = 0.8;
    }
    (
        Tensor::from_data(TensorData::new(images, [batch, 784]), device),
        Tensor::from_data(TensorData::new(targets, [batch, 10]), device),
    )
}

/// Images with MNIST's statistics: a blank border, about 19 % of pixels lit, most of them
/// near 1.
fn stand_in(batch: usize) -> (Vec<f32>, Vec<u8>) {
    let mut rng = StdRng::seed_from_u64(9);
    let mut images = vec![0.0f32; batch * 784];
    for (i, px) in images.iter_mut().enumerate() {
        let (row, col) = ((i % 784) / 28, i % 28);
        if (4..24).contains(&row) && (4..24).contains(&col) && rng.random_bool(0.38) {
            *px = if rng.random_bool(0.6) {
                1.0
            } else {
                rng.random_range(0.0..1.0)
            };
        }
    }
    let labels = (0..batch).map(|_| rng.random_range(0..10u8)).collect();
    (images, labels)
}
