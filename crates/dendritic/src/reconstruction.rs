//! The top-down pathway into pixel space: weights `W_rec` from the first hidden layer to the
//! input that learn, by Eq. 10's local rule one level further down, to predict the input rates
//! `r_0` from the hidden rates `r_1`. The input layer has no dendrites of its own, so the
//! prediction is read out as rates, `r̂_0 = φ(r_1 W_rec + b_rec)` with the logistic φ (input
//! rates are pixel intensities in [0, 1]); it lets the top-down pathway of a network with
//! learned top-down weights reach pixel space and be looked at (`docs/disinhibition.md`).
//!
//! ```
//! use burn::tensor::{Device, Distribution, Tensor};
//! use dendritic::reconstruction::ReconstructionConfig;
//!
//! let device = Device::default();
//! let mut rec = ReconstructionConfig::new(8, 5).with_eta(0.5).init(&device).unwrap();
//! let r_0 = Tensor::<2>::random([4, 8], Distribution::Uniform(0.0, 1.0), &device);
//! let r_1 = Tensor::<2>::random([4, 5], Distribution::Uniform(0.0, 1.0), &device);
//! let first = rec.learn(r_1.clone(), r_0.clone()).unwrap().into_scalar::<f32>();
//! for _ in 0..50 {
//!     rec.learn(r_1.clone(), r_0.clone()).unwrap();
//! }
//! assert!(rec.loss(r_1, r_0).unwrap().into_scalar::<f32>() < first);
//! ```

use burn::config::Config;
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};

use crate::config::Precision;
use crate::error::DendriticError;
use crate::random::{WeightSampler, upload};
use crate::transfer::Transfer;

/// Sizes, learning rate and initialisation of a [`Reconstruction`].
#[derive(Config, Debug, PartialEq)]
pub struct ReconstructionConfig {
    /// Input width `n_0` (what is reconstructed).
    pub n_input: usize,
    /// Width `n_1` of the first hidden layer (what it is reconstructed from).
    pub n_hidden: usize,
    /// Learning rate `η_rec` of Eq. 10's rule (per sample; the batch is averaged).
    #[config(default = 0.1)]
    pub eta: f64,
    /// `W_rec ~ U(-s, s) / √n_1`.
    #[config(default = 1.0)]
    pub init_scale: f64,
    /// Seed of the initial weights.
    #[config(default = 0)]
    pub seed: u64,
    /// Floating-point precision.
    #[config(default = "Precision::F32")]
    pub precision: Precision,
}

impl ReconstructionConfig {
    /// Builds the pathway on `device`: `W_rec` drawn at random, `b_rec` 0.
    pub fn init(&self, device: &Device) -> crate::error::Result<Reconstruction> {
        if self.n_input == 0 || self.n_hidden == 0 {
            return Err(DendriticError::EmptyLayer {
                layer: if self.n_input == 0 { 0 } else { 1 },
            });
        }
        if !(self.eta.is_finite() && self.eta >= 0.0) {
            return Err(DendriticError::BadLearningRate {
                name: "eta_rec",
                index: 0,
                value: self.eta,
            });
        }
        if !(self.init_scale.is_finite() && self.init_scale >= 0.0) {
            return Err(DendriticError::BadInitScale {
                name: "init_scale_rec",
                value: self.init_scale,
            });
        }
        let mut sampler = WeightSampler::new(self.seed, device, self.precision);
        let scale = self.init_scale / (self.n_hidden as f64).sqrt();
        Ok(Reconstruction {
            w_rec: Param::from_tensor(sampler.uniform([self.n_hidden, self.n_input], scale)),
            b_rec: Param::from_tensor(upload(
                vec![0.0; self.n_input],
                [self.n_input],
                device,
                self.precision,
            )),
            eta: self.eta,
        })
    }
}

/// The input-reconstruction pathway (see the module docs).
#[derive(Module, Debug)]
pub struct Reconstruction {
    /// `W_rec`: `[n_1, n_0]` (row convention, as `W_down`).
    pub w_rec: Param<Tensor<2>>,
    /// Bias `b_rec`: `[n_0]`.
    pub b_rec: Param<Tensor<1>>,
    /// Learning rate.
    #[module(skip)]
    eta: f64,
}

impl Reconstruction {
    fn check(&self, r_1: &Tensor<2>, r_0: Option<&Tensor<2>>) -> crate::error::Result<()> {
        let [n_1, n_0] = self.w_rec.val().dims();
        let batch = r_1.dims()[0].max(1);
        let shape = |what, t: &Tensor<2>, n: usize| {
            if t.dims() == [batch, n] {
                Ok(())
            } else {
                Err(DendriticError::Shape {
                    what,
                    expected: vec![batch, n],
                    got: t.dims().to_vec(),
                })
            }
        };
        shape("r_1", r_1, n_1)?;
        r_0.map_or(Ok(()), |r_0| shape("r_0", r_0, n_0))
    }

    /// The predicted input rates `r̂_0 = φ(r_1 W_rec + b_rec)`, `[batch, n_0]`.
    pub fn reconstruct(&self, r_1: Tensor<2>) -> crate::error::Result<Tensor<2>> {
        self.check(&r_1, None)?;
        Ok(self.predict(r_1))
    }

    fn predict(&self, r_1: Tensor<2>) -> Tensor<2> {
        let v = r_1.matmul(self.w_rec.val()) + self.b_rec.val().unsqueeze::<2>();
        Transfer::Logistic.rate(v)
    }

    /// The reconstruction loss `½ ‖r_0 - r̂_0‖²` per sample, averaged over the batch.
    pub fn loss(&self, r_1: Tensor<2>, r_0: Tensor<2>) -> crate::error::Result<Tensor<1>> {
        self.check(&r_1, Some(&r_0))?;
        let batch = r_1.dims()[0] as f64;
        Ok((r_0 - self.predict(r_1))
            .square()
            .sum()
            .mul_scalar(0.5 / batch))
    }

    /// One step of Eq. 10's rule one level down, averaged over the batch:
    /// `ΔW_rec = η r_1ᵀ (r_0 - r̂_0) / B`, `Δb_rec = η Σ (r_0 - r̂_0) / B`. Returns the loss
    /// before the step.
    pub fn learn(&mut self, r_1: Tensor<2>, r_0: Tensor<2>) -> crate::error::Result<Tensor<1>> {
        self.check(&r_1, Some(&r_0))?;
        let batch = r_1.dims()[0] as f64;
        let error = r_0 - self.predict(r_1.clone());
        let loss = error.clone().square().sum().mul_scalar(0.5 / batch);
        let gain = self.eta / batch;
        let dw = r_1.transpose().matmul(error.clone()).mul_scalar(gain);
        let db = error.sum_dim(0).squeeze_dim::<1>(0).mul_scalar(gain);
        self.w_rec = Param::initialized(self.w_rec.id, self.w_rec.val() + dw);
        self.b_rec = Param::initialized(self.b_rec.id, self.b_rec.val() + db);
        Ok(loss)
    }
}
