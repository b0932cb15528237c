//! The tasks a run can learn, uploaded to the device once.

use std::path::{Path, PathBuf};

use burn::tensor::{Device, Int, Tensor};
use dendritic::random::WeightSampler;
use dendritic::{Precision, Transfer};

use super::{ExperimentError, TaskConfig};
use crate::data::{Dataset, Split};

/// One split on the device.
#[derive(Debug, Clone)]
pub struct DeviceData {
    /// Inputs `[n, n_0]`.
    pub inputs: Tensor<2>,
    /// Target rates `[n, n_N]`.
    pub targets: Tensor<2>,
    /// Class labels `[n]` for classification tasks.
    pub labels: Option<Tensor<1, Int>>,
}

impl DeviceData {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.inputs.dims()[0]
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Classification error (fraction wrong) for classification tasks, else the mean squared
    /// error of the predicted rates; evaluated in chunks, one scalar read back.
    pub fn error(&self, predict: impl Fn(Tensor<2>) -> Tensor<2>) -> f64 {
        let n = self.len();
        let chunk = 1_000;
        let device = self.inputs.device();
        match &self.labels {
            Some(labels) => {
                let mut correct = Tensor::<1, Int>::zeros([1], &device);
                for start in (0..n).step_by(chunk) {
                    let end = (start + chunk).min(n);
                    let predicted = predict(self.inputs.clone().slice(start..end))
                        .argmax(1)
                        .squeeze_dim::<1>(1);
                    correct = correct
                        + predicted
                            .equal(labels.clone().slice(start..end))
                            .int()
                            .sum();
                }
                1.0 - correct.into_scalar::<i64>() as f64 / n as f64
            }
            None => {
                let mut total = Tensor::<1>::zeros([1], &device);
                for start in (0..n).step_by(chunk) {
                    let end = (start + chunk).min(n);
                    let predicted = predict(self.inputs.clone().slice(start..end));
                    let diff = predicted - self.targets.clone().slice(start..end);
                    total = total + diff.square().sum();
                }
                total.into_scalar::<f64>() / (n * self.targets.dims()[1]) as f64
            }
        }
    }
}

/// Training, validation and test data of a task.
#[derive(Debug, Clone)]
pub struct TaskData {
    /// Training split.
    pub train: DeviceData,
    /// Validation split (model selection).
    pub validation: DeviceData,
    /// Test split (reported at the best validation epoch).
    pub test: DeviceData,
    /// Input size `n_0`.
    pub inputs: usize,
    /// Output size `n_N`.
    pub outputs: usize,
    /// Whether the error is a classification error (else a mean squared error).
    pub classification: bool,
}

/// The default folder of an image task: `$MNIST_DIR` (MNIST only) or `../shared/data/<name>`.
fn default_dir(name: &str) -> PathBuf {
    if name == "mnist"
        && let Some(dir) = std::env::var_os("MNIST_DIR")
    {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(name)
}

impl super::RunConfig {
    /// Only the test split of the run's task (reads no training file), on `device`.
    pub fn load_test_data(&self, device: &Device) -> Result<DeviceData, ExperimentError> {
        let (low, high) = (self.target_low, self.target_high);
        let image_test = |name: &str, dir: &Option<PathBuf>| {
            let dir = dir.clone().unwrap_or_else(|| default_dir(name));
            let test = crate::data::mnist::load_idx_test(&dir)?;
            Ok(upload_split(test, 10, (low, high), device))
        };
        match &self.task {
            TaskConfig::Mnist { data_dir } => image_test("mnist", data_dir),
            TaskConfig::FashionMnist { data_dir } => image_test("fashion-mnist", data_dir),
            TaskConfig::Teacher { .. } => Ok(self.load_data(device)?.test),
        }
    }

    /// The run's data: its task, training limit and target rates, on `device`.
    pub fn load_data(&self, device: &Device) -> Result<TaskData, ExperimentError> {
        load_task(
            &self.task,
            self.limit,
            (self.target_low, self.target_high),
            device,
        )
    }
}

/// Loads (or generates) a task; `limit` keeps the first training examples.
pub fn load_task(
    task: &TaskConfig,
    limit: Option<usize>,
    (low, high): (f64, f64),
    device: &Device,
) -> Result<TaskData, ExperimentError> {
    let image_task = |name: &str, dir: &Option<PathBuf>| -> Result<TaskData, ExperimentError> {
        let dir = dir.clone().unwrap_or_else(|| default_dir(name));
        let data = load_images(name, &dir)?;
        let train = match limit {
            Some(n) => data.train.limit(n),
            None => data.train,
        };
        let classes = data.classes;
        let upload = |split| upload_split(split, classes, (low, high), device);
        Ok(TaskData {
            inputs: train.dim,
            outputs: classes,
            train: upload(train),
            validation: upload(data.validation),
            test: upload(data.test),
            classification: true,
        })
    };
    match task {
        TaskConfig::Mnist { data_dir } => image_task("mnist", data_dir),
        TaskConfig::FashionMnist { data_dir } => image_task("fashion-mnist", data_dir),
        TaskConfig::Teacher { train } => {
            let n = limit.map_or(*train, |l| l.min(*train));
            Ok(teacher_task(n, device))
        }
    }
}

/// A split on the device with its target rates (held once, not copied).
fn upload_split(
    split: Split,
    classes: usize,
    (low, high): (f64, f64),
    device: &Device,
) -> DeviceData {
    let targets = split.target_rates(classes, low, high, device, Precision::F32);
    let on_device = split.into_device(device);
    DeviceData {
        inputs: on_device.images,
        targets,
        labels: Some(on_device.labels),
    }
}

fn load_images(name: &str, dir: &Path) -> Result<Dataset, ExperimentError> {
    let local = Dataset::load_idx_dir(dir, 5_000);
    match local {
        Ok(data) => Ok(data),
        Err(crate::data::DataError::Missing { .. }) if cfg!(feature = "download") => {
            crate::data::download::fetch(name).map_err(ExperimentError::from)
        }
        Err(e @ crate::data::DataError::Missing { .. }) => Err(ExperimentError::Data(
            crate::data::DataError::Inconsistent(format!(
                "{e}; pass --data-dir with the four IDX files of {name}, or build with \
                 `--features download` to fetch them through burn-dataset"
            )),
        )),
        Err(e) => Err(e.into()),
    }
}

/// The paper's regression task (section 3.3): inputs U(-1, 1)^30, targets the rates of a
/// 30-20-10 teacher with weights U(-1, 1) and the soft-ReLU φ; 1,000 validation and 1,000 test
/// examples. The teacher and the inputs are fixed (seed 2018) whatever the run's seed.
pub fn teacher_task(train: usize, device: &Device) -> TaskData {
    let phi = Transfer::paper_soft_relu();
    let mut sampler = WeightSampler::new(2018, device, Precision::F32);
    let w1 = sampler.uniform([30, 20], 1.0);
    let w2 = sampler.uniform([20, 10], 1.0);
    let mut split = |n: usize| {
        let inputs = sampler.uniform([n, 30], 1.0);
        let targets = phi.rate(
            phi.rate(inputs.clone().matmul(w1.clone()))
                .matmul(w2.clone()),
        );
        DeviceData {
            inputs,
            targets,
            labels: None,
        }
    };
    let train = split(train);
    let validation = split(1_000);
    let test = split(1_000);
    TaskData {
        train,
        validation,
        test,
        inputs: 30,
        outputs: 10,
        classification: false,
    }
}
