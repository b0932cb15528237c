//! MNIST-style data sets in memory and on the device.

use std::path::Path;

use burn::tensor::{DType, Device, Int, Tensor, TensorData};
use dendritic::Precision;
use dendritic::random::upload;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::{DataError, idx};

/// One split on the host: images as rates in [0, 1] and their labels.
#[derive(Debug, Clone)]
pub struct Split {
    /// `len * dim` pixel rates in [0, 1], row-major.
    pub images: Vec<f32>,
    /// Class labels.
    pub labels: Vec<u8>,
    /// Values per image (784 for MNIST).
    pub dim: usize,
}

impl Split {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when the split holds no example.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The examples `range`.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Split {
        Split {
            images: self.images[range.start * self.dim..range.end * self.dim].to_vec(),
            labels: self.labels[range].to_vec(),
            dim: self.dim,
        }
    }

    /// Keeps at most the first `n` examples.
    pub fn limit(self, n: usize) -> Split {
        if n >= self.len() {
            self
        } else {
            self.slice(0..n)
        }
    }

    /// Uploads the split once: images `[len, dim]` and labels `[len]`.
    pub fn to_device(&self, device: &Device, precision: Precision) -> DeviceSplit {
        let n = self.len();
        let images = match precision {
            Precision::F32 => Tensor::from_data(
                TensorData::new(self.images.clone(), [n, self.dim]),
                (device, DType::F32),
            ),
            Precision::F64 => upload(
                self.images.iter().map(|&v| v as f64).collect(),
                [n, self.dim],
                device,
                precision,
            ),
        };
        let labels = Tensor::from_data(
            TensorData::new(self.labels.iter().map(|&l| l as i64).collect(), [n]),
            device,
        );
        DeviceSplit { images, labels }
    }

    /// One-hot target rates `[len, classes]`: `high` for the label, `low` elsewhere
    /// (the paper uses 0.1 / 0.8).
    /// Moves the split to `device` in f32; the image buffer becomes the tensor's storage on
    /// CPU backends (no copy, so the data set is held once).
    pub fn into_device(self, device: &Device) -> DeviceSplit {
        let n = self.len();
        let labels = Tensor::from_data(
            TensorData::new(self.labels.iter().map(|&l| l as i64).collect(), [n]),
            device,
        );
        let images = Tensor::from_data(
            TensorData::new(self.images, [n, self.dim]),
            (device, DType::F32),
        );
        DeviceSplit { images, labels }
    }

    pub fn target_rates(
        &self,
        classes: usize,
        low: f64,
        high: f64,
        device: &Device,
        precision: Precision,
    ) -> Tensor<2> {
        let mut values = vec![low; self.len() * classes];
        for (i, &l) in self.labels.iter().enumerate() {
            values[i * classes + l as usize] = high;
        }
        upload(values, [self.len(), classes], device, precision)
    }
}

/// A split living on the device.
#[derive(Debug, Clone)]
pub struct DeviceSplit {
    /// Images `[len, dim]`.
    pub images: Tensor<2>,
    /// Labels `[len]`.
    pub labels: Tensor<1, Int>,
}

impl DeviceSplit {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.dims()[0]
    }

    /// True when the split holds no example.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Classification error (fraction wrong) of `classify`, evaluated in chunks of `chunk`
    /// examples; one scalar is read back.
    pub fn error_rate(&self, chunk: usize, classify: impl Fn(Tensor<2>) -> Tensor<1, Int>) -> f64 {
        let n = self.len();
        let device = self.images.device();
        let mut correct = Tensor::<1, Int>::zeros([1], &device);
        for start in (0..n).step_by(chunk.max(1)) {
            let end = (start + chunk).min(n);
            let predicted = classify(self.images.clone().slice(start..end));
            let labels = self.labels.clone().slice(start..end);
            correct = correct + predicted.equal(labels).int().sum();
        }
        1.0 - correct.into_scalar::<i64>() as f64 / n as f64
    }
}

/// A seeded permutation of `0..n` for one epoch, as a device index tensor.
pub fn permutation(n: usize, seed: u64, device: &Device) -> Tensor<1, Int> {
    let mut order: Vec<i64> = (0..n as i64).collect();
    order.shuffle(&mut StdRng::seed_from_u64(seed));
    Tensor::from_data(TensorData::new(order, [n]), device)
}

/// The data orders of R replicas, one per row (`[R, n]`), for [`replica_batch`].
pub fn stack_orders(orders: Vec<Tensor<1, Int>>) -> Tensor<2, Int> {
    Tensor::stack(orders, 0)
}

/// Batch `b` (of size `batch`) of every replica, `[R, batch, n_features]`, from the rows of
/// `data` (`[n, n_features]`) in the orders `orders` (`[R, n]`): one gather for all replicas,
/// so a stacked step issues a fixed number of operations whatever R.
pub fn replica_batch(
    data: &Tensor<2>,
    orders: &Tensor<2, Int>,
    b: usize,
    batch: usize,
) -> Tensor<3> {
    let [r_count, _] = orders.dims();
    let features = data.dims()[1];
    let idx = orders
        .clone()
        .slice([0..r_count, b * batch..(b + 1) * batch])
        .reshape([r_count * batch]);
    data.clone()
        .select(0, idx)
        .reshape([r_count, batch, features])
}

/// Train / validation / test splits of an MNIST-style data set.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Training examples (the first 55,000 of the training file for MNIST).
    pub train: Split,
    /// Validation examples (the last 5,000 of the training file).
    pub validation: Split,
    /// The test file.
    pub test: Split,
    /// Number of classes.
    pub classes: usize,
}

impl Dataset {
    /// Loads the four standard IDX files (`train-images-idx3-ubyte[.gz]`, ...) from `dir` and
    /// holds out the last `validation` training examples (5,000 in the paper).
    pub fn load_idx_dir(dir: &Path, validation: usize) -> Result<Self, DataError> {
        let read = |images: &str, labels: &str| read_split(dir, images, labels);
        let full = read("train-images-idx3-ubyte", "train-labels-idx1-ubyte")?;
        let test = read("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")?;
        if full.dim != test.dim {
            return Err(DataError::Inconsistent(format!(
                "{}: training images have {} pixels, test images {}",
                dir.display(),
                full.dim,
                test.dim
            )));
        }
        if validation >= full.len() {
            return Err(DataError::Inconsistent(format!(
                "{}: cannot hold out {validation} of {} training images for validation",
                dir.display(),
                full.len()
            )));
        }
        // Split the training file in place (only the validation tail is copied).
        let cut = full.len() - validation;
        let mut train = full;
        let validation = Split {
            images: train.images.split_off(cut * train.dim),
            labels: train.labels.split_off(cut),
            dim: train.dim,
        };
        train.images.shrink_to_fit();
        Ok(Self {
            train,
            validation,
            test,
            classes: 10,
        })
    }
}

/// Only the test split of an IDX folder (`t10k-*`), e.g. to evaluate a checkpoint.
pub fn load_idx_test(dir: &Path) -> Result<Split, DataError> {
    read_split(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
}

/// One split from an images file and its labels file.
fn read_split(dir: &Path, images: &str, labels: &str) -> Result<Split, DataError> {
    let images = idx::read_images(&idx::find(dir, images)?)?;
    let labels_path = idx::find(dir, labels)?;
    let labels = idx::read_labels(&labels_path)?;
    if labels.len() != images.count {
        return Err(DataError::Inconsistent(format!(
            "{}: {} labels for {} images",
            labels_path.display(),
            labels.len(),
            images.count
        )));
    }
    if let Some(bad) = labels.iter().find(|&&l| l >= 10) {
        return Err(DataError::Inconsistent(format!(
            "{}: label {bad} is not a digit class 0-9",
            labels_path.display()
        )));
    }
    Ok(Split {
        images: images.pixels.iter().map(|&p| p as f32 / 255.0).collect(),
        labels,
        dim: images.rows * images.cols,
    })
}

/// The shared MNIST copy used by tests and examples, if present: `$MNIST_DIR`, else
/// `../shared/data/mnist` relative to the workspace root.
pub fn shared_mnist_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("MNIST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mnist"));
    idx::find(&dir, "train-images-idx3-ubyte").ok().map(|_| dir)
}
