//! Neuronal transfer functions φ (rate = φ(potential)), their derivatives and inverses.

use burn::tensor::{Tensor, activation};
use serde::{Deserialize, Serialize};

use crate::error::{DendriticError, Result};

/// The rate function φ of the paper (section 2.1), applied element-wise.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Transfer {
    /// φ(u) = 1 / (1 + exp(-u)), used for MNIST (section 3.4).
    #[default]
    Logistic,
    /// φ(u) = γ log(1 + exp(β (u - θ))), the paper's soft rectifier (section 3.3 uses
    /// γ = 0.1, β = 1, θ = 3).
    SoftRelu {
        /// Output scale γ.
        gamma: f64,
        /// Sharpness β.
        beta: f64,
        /// Threshold θ.
        theta: f64,
    },
    /// φ(u) = tanh(u): invertible and odd, used by the target-propagation baselines.
    Tanh,
}

impl Transfer {
    /// The paper's soft-ReLU of section 3.3: γ = 0.1, β = 1, θ = 3.
    pub fn paper_soft_relu() -> Self {
        Self::SoftRelu {
            gamma: 0.1,
            beta: 1.0,
            theta: 3.0,
        }
    }

    /// Checks the parameters.
    pub fn check(&self) -> Result<()> {
        if let Self::SoftRelu { gamma, beta, theta } = *self
            && !(gamma > 0.0
                && beta > 0.0
                && gamma.is_finite()
                && beta.is_finite()
                && theta.is_finite())
        {
            return Err(DendriticError::BadTransfer(format!(
                "soft-ReLU needs finite gamma > 0 and beta > 0, got gamma {gamma}, beta {beta}, theta {theta}"
            )));
        }
        Ok(())
    }

    /// φ(u), element-wise.
    pub fn rate<const D: usize>(&self, u: Tensor<D>) -> Tensor<D> {
        match *self {
            Self::Logistic => activation::sigmoid(u),
            // burn's softplus(x, β) = log(1 + exp(β x)) / β, hence the factor γ β.
            Self::SoftRelu { gamma, beta, theta } => {
                activation::softplus(u.sub_scalar(theta), beta).mul_scalar(gamma * beta)
            }
            Self::Tanh => u.tanh(),
        }
    }

    /// `φ(a) − φ(b)`, element-wise, from `φ(a)`, `b` and the difference `d = a − b` known
    /// exactly in potentials, in a form that does not subtract two nearly equal rates (for
    /// `a ≈ b` the direct difference keeps only the rounding noise of the rates):
    ///
    /// - logistic: `σ(a) (1 − σ(b)) (1 − e^{−d})`, with `1 − e^{−d} = tanh(d/2) (1 + e^{−d})`;
    /// - tanh: `tanh(d) (1 − tanh(a) tanh(b))`;
    /// - soft-ReLU: `γ log1p(σ(β(b − θ)) (e^{βd} − 1))`, with `e^x − 1 = tanh(x/2) (1 + e^x)`.
    pub fn rate_difference<const D: usize>(
        &self,
        rate_a: Tensor<D>,
        b: Tensor<D>,
        d: Tensor<D>,
    ) -> Tensor<D> {
        match *self {
            Self::Logistic => {
                let one_minus_exp =
                    d.clone().mul_scalar(0.5).tanh() * d.neg().exp().add_scalar(1.0);
                rate_a * activation::sigmoid(b.neg()) * one_minus_exp
            }
            Self::Tanh => d.tanh() * (rate_a * b.tanh()).neg().add_scalar(1.0),
            Self::SoftRelu { gamma, beta, theta } => {
                let x = d.mul_scalar(beta);
                let expm1 = x.clone().mul_scalar(0.5).tanh() * x.exp().add_scalar(1.0);
                (activation::sigmoid(b.sub_scalar(theta).mul_scalar(beta)) * expm1)
                    .log1p()
                    .mul_scalar(gamma)
            }
        }
    }

    /// φ'(u), element-wise.
    pub fn derivative<const D: usize>(&self, u: Tensor<D>) -> Tensor<D> {
        match *self {
            Self::Logistic => {
                let s = activation::sigmoid(u);
                s.clone() * s.neg().add_scalar(1.0)
            }
            Self::SoftRelu { gamma, beta, theta } => {
                activation::sigmoid(u.sub_scalar(theta).mul_scalar(beta)).mul_scalar(gamma * beta)
            }
            Self::Tanh => u.tanh().square().neg().add_scalar(1.0),
        }
    }

    /// φ⁻¹(r), element-wise: the somatic potential whose rate is `r` (used to turn target
    /// rates into target potentials, `u_trgt = φ⁻¹(r_trgt)`).
    pub fn inverse<const D: usize>(&self, r: Tensor<D>) -> Tensor<D> {
        match *self {
            // logit(r) = log(r) - log(1 - r)
            Self::Logistic => r.clone().log() - r.neg().add_scalar(1.0).log(),
            // u = θ + log(exp(r / γ) - 1) / β
            Self::SoftRelu { gamma, beta, theta } => r
                .div_scalar(gamma)
                .exp()
                .sub_scalar(1.0)
                .log()
                .div_scalar(beta)
                .add_scalar(theta),
            // atanh(r) = ½ (log(1 + r) - log(1 - r))
            Self::Tanh => (r.clone().log1p() - r.neg().log1p()).mul_scalar(0.5),
        }
    }

    /// φ(u) for one host value.
    pub fn rate_scalar(&self, u: f64) -> f64 {
        match *self {
            Self::Logistic => 1.0 / (1.0 + (-u).exp()),
            Self::SoftRelu { gamma, beta, theta } => {
                let z = beta * (u - theta);
                // log(1 + e^z) without overflow.
                gamma * (z.max(0.0) + (-z.abs()).exp().ln_1p())
            }
            Self::Tanh => u.tanh(),
        }
    }

    /// φ⁻¹(r) for one host value; `None` where `r` is outside φ's range.
    pub fn inverse_scalar(&self, r: f64) -> Option<f64> {
        let u = match *self {
            Self::Logistic if r > 0.0 && r < 1.0 => (r / (1.0 - r)).ln(),
            Self::SoftRelu { gamma, beta, theta } if r > 0.0 => {
                theta + (r / gamma).exp_m1().ln() / beta
            }
            Self::Tanh if r > -1.0 && r < 1.0 => r.atanh(),
            _ => return None,
        };
        u.is_finite().then_some(u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    fn host(t: Tensor<1>) -> Vec<f64> {
        t.to_data().convert::<f64>().try_into_vec::<f64>().unwrap()
    }

    #[test]
    fn rate_difference_is_the_difference_of_rates_and_keeps_tiny_ones() {
        let device = Device::default();
        let f64s = |v: Vec<f64>| {
            let n = v.len();
            Tensor::<1>::from_data(TensorData::new(v, [n]), (&device, burn::tensor::DType::F64))
        };
        let b = [-3.0, -0.5, 0.0, 0.7, 2.5, 3.5];
        for phi in [
            Transfer::Logistic,
            Transfer::paper_soft_relu(),
            Transfer::Tanh,
        ] {
            for d in [0.8, -0.3, 1e-13] {
                let a: Vec<f64> = b.iter().map(|b| b + d).collect();
                let rate_a = phi.rate(f64s(a.clone()));
                let got = host(phi.rate_difference(rate_a, f64s(b.to_vec()), f64s(vec![d; 6])));
                for i in 0..b.len() {
                    // d φ'(b) to second order is the exact difference for tiny d.
                    let exact = if d.abs() < 1e-9 {
                        let slope = host(phi.derivative(f64s(vec![b[i]])))[0];
                        d * slope
                    } else {
                        phi.rate_scalar(a[i]) - phi.rate_scalar(b[i])
                    };
                    assert!(
                        (got[i] - exact).abs() <= 1e-12 * exact.abs().max(1e-300) + 1e-15 * d.abs(),
                        "{phi:?}, b {}, d {d}: {} against {exact}",
                        b[i],
                        got[i]
                    );
                }
            }
        }
    }

    #[test]
    fn inverse_undoes_rate_and_derivative_matches_finite_differences() {
        let device = Device::default();
        let u = [-3.0, -0.5, 0.0, 0.7, 2.5, 3.5];
        for phi in [
            Transfer::Logistic,
            Transfer::paper_soft_relu(),
            Transfer::Tanh,
        ] {
            let t = Tensor::<1>::from_data(
                TensorData::new(u.to_vec(), [u.len()]),
                (&device, burn::tensor::DType::F64),
            );
            let back = host(phi.inverse(phi.rate(t.clone())));
            let rates = host(phi.rate(t.clone()));
            let slopes = host(phi.derivative(t));
            for i in 0..u.len() {
                assert!(
                    (back[i] - u[i]).abs() < 1e-9,
                    "{phi:?}: φ⁻¹(φ({})) = {}",
                    u[i],
                    back[i]
                );
                assert!((rates[i] - phi.rate_scalar(u[i])).abs() < 1e-12);
                let h = 1e-6;
                let fd = (phi.rate_scalar(u[i] + h) - phi.rate_scalar(u[i] - h)) / (2.0 * h);
                assert!(
                    (slopes[i] - fd).abs() < 1e-7,
                    "{phi:?}: φ'({}) = {} vs {fd}",
                    u[i],
                    slopes[i]
                );
                assert_eq!(
                    phi.inverse_scalar(rates[i])
                        .map(|v| (v - u[i]).abs() < 1e-9),
                    Some(true)
                );
            }
        }
        assert_eq!(Transfer::Logistic.inverse_scalar(1.0), None);
    }
}
