//! Every transfer function φ of [`Transfer`] as straight-line f32 code for the CPU fast
//! paths, vectorised by [`map`]: the logistic of [`logistic`](super::logistic), the soft
//! rectifier `γ log(1 + e^{β(u-θ)})` and `tanh`, each through the same branch-free `e^x`
//! (f64, rounded once), within a few ulp of the scalar functions Burn's backends use.

use super::kernels::Simd;
use super::logistic::{exp, logistic, map};
use crate::transfer::Transfer;

/// `log(1 + y)` for `y ∈ [0, 1]`: `2 atanh(s)`, `s = y / (2 + y) ≤ 1/3`, by its series up to
/// `s^17` (relative error below 1e-9).
#[inline(always)]
fn ln_1p_unit(y: f64) -> f64 {
    let s = y / (2.0 + y);
    let s2 = s * s;
    let mut p: f64 = 1.0 / 17.0;
    for d in [15.0, 13.0, 11.0, 9.0, 7.0, 5.0, 3.0, 1.0] {
        p = p.mul_add(s2, 1.0 / d);
    }
    2.0 * s * p
}

/// `γ log(1 + e^z)`, `z = β (u - θ)`, as `γ (max(z, 0) + log(1 + e^{-|z|}))`.
#[inline(always)]
fn soft_relu(gamma: f64, beta: f64, theta: f64, u: f32) -> f32 {
    let z = beta * (u as f64 - theta);
    (gamma * (z.max(0.0) + ln_1p_unit(exp(-z.abs())))) as f32
}

/// `tanh u = sign(u) (1 - e^{-2|u|}) / (1 + e^{-2|u|})`.
#[inline(always)]
fn tanh(u: f32) -> f32 {
    let e = exp(-2.0 * (u as f64).abs());
    ((1.0 - e) / (1.0 + e)).copysign(u as f64) as f32
}

/// `out[i] = f(φ(arg(i)), i)` for every `i`: φ of a computed argument, combined with
/// anything else at the same index (e.g. a rate difference), in one vectorised pass.
#[inline(always)]
pub(crate) fn map_rate(
    simd: Simd,
    phi: Transfer,
    out: &mut [f32],
    arg: impl Fn(usize) -> f32,
    f: impl Fn(f32, usize) -> f32,
) {
    // The closures are inlined into `map`'s target-feature bodies (otherwise `mul_add`
    // becomes a call to the software `fma`).
    match phi {
        Transfer::Logistic => map(
            simd,
            out,
            #[inline(always)]
            move |i| f(logistic(arg(i)), i),
        ),
        Transfer::SoftRelu { gamma, beta, theta } => map(
            simd,
            out,
            #[inline(always)]
            move |i| f(soft_relu(gamma, beta, theta, arg(i)), i),
        ),
        Transfer::Tanh => map(
            simd,
            out,
            #[inline(always)]
            move |i| f(tanh(arg(i)), i),
        ),
    }
}

/// `out = φ(u)`.
pub(crate) fn rates(simd: Simd, phi: Transfer, out: &mut [f32], u: &[f32]) {
    let u = &u[..out.len()];
    map_rate(
        simd,
        phi,
        out,
        #[inline(always)]
        move |i| u[i],
        #[inline(always)]
        move |r, _| r,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_transfer_matches_its_scalar_form_within_a_few_ulp() {
        let u: Vec<f32> = (0..4001).map(|i| (i as f32 - 2000.0) * 0.01).collect();
        for phi in [
            Transfer::Logistic,
            Transfer::paper_soft_relu(),
            Transfer::Tanh,
        ] {
            let mut got = vec![0.0; u.len()];
            rates(Simd::detect(), phi, &mut got, &u);
            for (g, &x) in got.iter().zip(&u) {
                let exact = phi.rate_scalar(x as f64);
                let tolerance = 4.0 * f32::EPSILON as f64 * exact.abs() + 1e-30;
                assert!(
                    (*g as f64 - exact).abs() <= tolerance,
                    "{phi:?}({x}) = {g}, exact {exact}"
                );
            }
        }
    }

    #[test]
    fn the_portable_and_the_widest_instruction_set_agree() {
        let u: Vec<f32> = (0..999).map(|i| (i as f32 - 500.0) * 0.03).collect();
        for phi in [
            Transfer::Logistic,
            Transfer::paper_soft_relu(),
            Transfer::Tanh,
        ] {
            let mut portable = vec![0.0; u.len()];
            rates(Simd::Portable, phi, &mut portable, &u);
            let mut best = vec![0.0; u.len()];
            rates(Simd::detect(), phi, &mut best, &u);
            assert_eq!(portable, best, "{phi:?}");
        }
    }
}
