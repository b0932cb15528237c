//! A scalar of the equations (a mixing factor, a learning rate) for one network, or one value
//! per replica when `R` networks are stacked ([`Replicas`](crate::Replicas)).

use burn::tensor::{DType, Device, Tensor, TensorData};

/// A per-network scalar of the steady-state equations, multiplied into rank-`D` tensors.
#[derive(Debug, Clone)]
pub enum Coefficient<const D: usize> {
    /// The same value for every network (also: the one network, `D = 2`).
    Same(f64),
    /// One value per replica: `values[r]`, held as a `[R, 1, …, 1]` tensor that broadcasts
    /// over the batch and the cells.
    PerReplica {
        /// The host values, one per replica.
        values: Vec<f64>,
        /// The same values on the device (boxed: a tensor is much larger than an `f64`).
        tensor: Box<Tensor<D>>,
    },
}

impl<const D: usize> Coefficient<D> {
    /// `values[r]` for replica `r`: [`Same`](Self::Same) when they are all equal (so the
    /// arithmetic is the single network's `mul_scalar`), else a broadcast tensor.
    pub fn of(values: &[f64], device: &Device, dtype: DType) -> Self {
        match values {
            [first, rest @ ..] if rest.iter().all(|v| v == first) => Self::Same(*first),
            [] => Self::Same(0.0),
            _ => {
                let mut shape = [1usize; D];
                shape[0] = values.len();
                let tensor =
                    Tensor::from_data(TensorData::new(values.to_vec(), shape), (device, dtype));
                Self::PerReplica {
                    values: values.to_vec(),
                    tensor: Box::new(tensor),
                }
            }
        }
    }

    /// Whether every network's value is 0 (a weight group that does not learn).
    pub fn is_zero(&self) -> bool {
        match self {
            Self::Same(v) => *v == 0.0,
            Self::PerReplica { values, .. } => values.iter().all(|&v| v == 0.0),
        }
    }

    /// `f` of every network's value.
    pub fn map(&self, f: impl Fn(f64) -> f64) -> Self {
        match self {
            Self::Same(v) => Self::Same(f(*v)),
            Self::PerReplica { values, tensor } => {
                let mapped: Vec<f64> = values.iter().map(|&v| f(v)).collect();
                Self::of(&mapped, &tensor.device(), tensor.dtype())
            }
        }
    }

    /// `t` times each network's value.
    pub fn scale(&self, t: Tensor<D>) -> Tensor<D> {
        match self {
            Self::Same(v) => t.mul_scalar(*v),
            Self::PerReplica { tensor, .. } => t * (**tensor).clone(),
        }
    }
}
