//! A vectorisable logistic function for the CPU fast path.
//!
//! `φ(u) = 1 / (1 + e^{-u})` with `e^{-u}` evaluated in f64 and rounded to f32: as accurate
//! as the scalar `f32` evaluation of Burn's backends (within two roundings). `e^x` is
//! computed by range reduction `x = n ln 2 + r`, `|r| ≤ ln 2 / 2`, a degree-9 Taylor
//! polynomial for `e^r` (relative error below 1e-11) and `2^n` assembled from exponent bits:
//! straight-line arithmetic without table look-ups or branches, which LLVM turns into vector
//! code. The argument is clamped to `|x| ≤ 87.3`, so every rate is a normal float (a
//! saturated unit gives about 1.2e-38, never a subnormal, which is slow on some CPUs).

const LOG2_E: f64 = std::f64::consts::LOG2_E;
const LN_2: f64 = std::f64::consts::LN_2;
/// Adding 1.5 · 2^52 rounds to the nearest integer and leaves it in the low mantissa bits.
const ROUND: f64 = 6_755_399_441_055_744.0;

/// `e^x` for `|x| ≤ 87.3` (clamped).
#[inline(always)]
pub(crate) fn exp(x: f64) -> f64 {
    let x = x.clamp(-87.3, 87.3);
    let shifted = x * LOG2_E + ROUND;
    let n = shifted - ROUND;
    let r = x - n * LN_2;
    let mut p: f64 = 1.0 / 362_880.0;
    for d in [40_320.0, 5_040.0, 720.0, 120.0, 24.0, 6.0, 2.0, 1.0, 1.0] {
        p = p.mul_add(r, 1.0 / d);
    }
    // n ∈ [-126, 126]: its two's complement sits in the low bits of `shifted`.
    let n_bits = shifted.to_bits().wrapping_sub(ROUND.to_bits());
    let scale = f64::from_bits(n_bits.wrapping_add(1023) << 52);
    p * scale
}

/// `φ(u) = 1 / (1 + e^{-u})`: `e^{-u}` in f64, rounded once, the rest in f32 (an f64
/// division costs four times an f32 one in vector code).
#[inline(always)]
pub(crate) fn logistic(u: f32) -> f32 {
    1.0 / (1.0 + exp(-(u as f64)) as f32)
}

/// `φ(a) − φ(b)` from `φ(a)`, `b` and `d = a − b`: `σ(a) (1 − σ(b)) (1 − e^{−d})`, the form of
/// [`Transfer::rate_difference`](crate::Transfer::rate_difference), which does not subtract two
/// nearly equal rates. `1 − e^{−d}` is taken in f64 (its series below `|d| = 1e-4`).
#[inline(always)]
pub(crate) fn logistic_difference(rate_a: f32, b: f32, d: f32) -> f32 {
    let d = d as f64;
    let series = d * (1.0 - 0.5 * d * (1.0 - d / 3.0));
    let direct = 1.0 - exp(-d);
    let one_minus_exp = if d.abs() < 1e-4 { series } else { direct };
    (rate_a as f64 * (1.0 - logistic(b) as f64) * one_minus_exp) as f32
}

use super::kernels::Simd;

/// Applies `f` to every element, compiled for the CPU's widest vectors.
#[inline(always)]
pub(crate) fn map(simd: Simd, out: &mut [f32], f: impl Fn(usize) -> f32) {
    #[inline(always)]
    fn body(out: &mut [f32], f: impl Fn(usize) -> f32) {
        for (i, o) in out.iter_mut().enumerate() {
            *o = f(i);
        }
    }
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx2,fma")]
        unsafe fn avx512(out: &mut [f32], f: impl Fn(usize) -> f32) {
            body(out, f)
        }
        #[target_feature(enable = "avx2,fma")]
        unsafe fn avx2(out: &mut [f32], f: impl Fn(usize) -> f32) {
            body(out, f)
        }
        // SAFETY: the features were detected at run time.
        match simd {
            Simd::Avx512 => return unsafe { avx512(out, f) },
            Simd::Avx2 => return unsafe { avx2(out, f) },
            Simd::Portable => {}
        }
    }
    let _ = simd;
    body(out, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logistic_is_within_two_ulp_and_never_subnormal() {
        let (mut u, mut exact_hits, mut total) = (-120.0f32, 0, 0);
        while u < 120.0 {
            let got = logistic(u);
            assert!(got.is_normal(), "φ({u}) = {got} is not a normal float");
            let exact = 1.0 / (1.0 + (-(u as f64)).exp());
            if exact > 2e-38 {
                let rounded = exact as f32;
                let ulp = (rounded.to_bits() as i64 - got.to_bits() as i64).abs();
                assert!(ulp <= 2, "φ({u}) = {got}, exact {exact}");
                exact_hits += (ulp == 0) as usize;
                total += 1;
            }
            u += 0.0137;
        }
        // Most values are the correctly rounded result.
        assert!(
            exact_hits * 10 >= total * 8,
            "{exact_hits} of {total} correctly rounded"
        );
        assert_eq!(logistic(0.0), 0.5);
    }

    #[test]
    fn map_agrees_on_every_instruction_set() {
        let input: Vec<f32> = (0..1000).map(|i| (i as f32 - 500.0) * 0.05).collect();
        let mut portable = vec![0.0; input.len()];
        map(Simd::Portable, &mut portable, |i| logistic(input[i]));
        let mut best = vec![0.0; input.len()];
        map(Simd::detect(), &mut best, |i| logistic(input[i]));
        assert_eq!(portable, best);
    }
}
