//! The two matrix kernels of the CPU fast path, for the small batches of the paper's scheme:
//!
//! - [`matmul`]: `dst = a · w`, a batch of rates times a weight matrix (Eqs. 3-5);
//! - [`add_outer`]: `w += preᵀ · post`, the batch-summed outer product of a local rule (Eq. 6),
//!   written straight into the weights (no ΔW buffer).
//!
//! Both keep a block of up to [`ROWS`] batch rows by one column chunk of accumulators in
//! registers and stream the weight matrix once per block, so at batch 10 every weight is read
//! (or read and written) exactly once per call. They are plain Rust that LLVM vectorises;
//! [`Simd`] picks, once per process, the widest instruction set this CPU has (AVX-512, AVX2 +
//! FMA, or the portable baseline) and the same code is compiled for each.
//!
//! All matrices are row-major `f32` with a leading dimension (`ld*`, the distance between two
//! rows). Column ranges let two threads work on disjoint halves of the same matrices.

use std::ops::Range;
use std::sync::OnceLock;

/// Batch rows per register block: the paper's batch of 10 is one block.
pub(crate) const ROWS: usize = 10;

/// The instruction set the kernels run with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Simd {
    /// x86-64 AVX-512F (16-lane vectors, 32 registers).
    Avx512,
    /// x86-64 AVX2 with FMA (8-lane vectors, 16 registers).
    Avx2,
    /// Whatever the compile target guarantees (SSE2 on x86-64, NEON on aarch64).
    Portable,
}

impl Simd {
    /// The best instruction set of this CPU (detected once).
    pub fn detect() -> Self {
        static LEVEL: OnceLock<Simd> = OnceLock::new();
        *LEVEL.get_or_init(|| {
            #[cfg(target_arch = "x86_64")]
            {
                if std::is_x86_feature_detected!("avx512f") {
                    return Simd::Avx512;
                }
                if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                    return Simd::Avx2;
                }
            }
            Simd::Portable
        })
    }
}

/// A row-major matrix behind a raw pointer, so that two threads can write disjoint column
/// ranges of it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mat {
    pub ptr: *mut f32,
    /// Leading dimension: elements between the starts of two rows.
    pub ld: usize,
}

// SAFETY: a `Mat` is only a pointer; the fast path hands disjoint column ranges to different
// threads and keeps the buffers alive for the duration of the parallel call.
unsafe impl Send for Mat {}
unsafe impl Sync for Mat {}

impl Mat {
    pub fn new(data: &mut [f32], ld: usize) -> Self {
        Self {
            ptr: data.as_mut_ptr(),
            ld,
        }
    }

    /// A read-only matrix (the kernels never write through `a`/`w`/`pre`/`post`).
    pub fn read(data: &[f32], ld: usize) -> Self {
        Self {
            ptr: data.as_ptr() as *mut f32,
            ld,
        }
    }
}

/// `dst[i, j] = Σ_k a[i, k] w[k, j]` for rows `i < m`, columns `j ∈ cols`, and `k` over
/// `rows` (ascending): weight rows left out must be those whose `a[.., k]` is all zero, as for
/// the blank pixels of an input batch, whose products need not be read.
///
/// # Safety
/// `dst` must hold `m` rows, `a` `m` rows with every column in `rows`, `w` every row in `rows`; every column
/// in `cols` must be in bounds of `dst` and `w`; no other thread may touch `dst[.., cols]`.
pub(crate) unsafe fn matmul(
    simd: Simd,
    dst: Mat,
    a: Mat,
    w: Mat,
    m: usize,
    rows: &[u32],
    cols: Range<usize>,
) {
    // SAFETY: forwarded; the target features were detected at run time.
    unsafe {
        match simd {
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => matmul_avx512(dst, a, w, m, rows, cols),
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => matmul_avx2(dst, a, w, m, rows, cols),
            _ => matmul_impl::<8>(dst, a, w, m, rows, cols),
        }
    }
}

/// `w[k, j] += Σ_i pre_t[k, i] post[i, j]` for `k` in `rows` (ascending; the rows left out
/// must have an all-zero `pre_t[k, ..]`), `j ∈ cols`, `i < m`: the outer
/// products of `m` (presynaptic, postsynaptic) pairs added into `w`. `pre_t` is the
/// presynaptic batch transposed (`depth × m`, leading dimension `m`).
///
/// # Safety
/// As [`matmul`]: bounds hold and no other thread touches `w[.., cols]`.
pub(crate) unsafe fn add_outer(
    simd: Simd,
    w: Mat,
    pre_t: &[f32],
    post: Mat,
    m: usize,
    rows: &[u32],
    cols: Range<usize>,
) {
    debug_assert!(
        rows.last()
            .is_none_or(|&k| pre_t.len() >= (k as usize + 1) * m)
    );
    // SAFETY: forwarded; the target features were detected at run time.
    unsafe {
        match simd {
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => add_outer_avx512(w, pre_t, post, m, rows, cols),
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => add_outer_avx2(w, pre_t, post, m, rows, cols),
            _ => add_outer_impl::<8>(w, pre_t, post, m, rows, cols),
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn matmul_avx512(dst: Mat, a: Mat, w: Mat, m: usize, rows: &[u32], cols: Range<usize>) {
    // Two 16-lane vectors per row: 20 accumulators for a block of 10 rows.
    unsafe { matmul_impl::<32>(dst, a, w, m, rows, cols) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn matmul_avx2(dst: Mat, a: Mat, w: Mat, m: usize, rows: &[u32], cols: Range<usize>) {
    // One 8-lane vector per row: 10 accumulators of the 16 registers.
    unsafe { matmul_impl::<8>(dst, a, w, m, rows, cols) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn add_outer_avx512(
    w: Mat,
    pre_t: &[f32],
    post: Mat,
    m: usize,
    rows: &[u32],
    cols: Range<usize>,
) {
    unsafe { add_outer_impl::<16>(w, pre_t, post, m, rows, cols) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn add_outer_avx2(
    w: Mat,
    pre_t: &[f32],
    post: Mat,
    m: usize,
    rows: &[u32],
    cols: Range<usize>,
) {
    unsafe { add_outer_impl::<8>(w, pre_t, post, m, rows, cols) }
}

/// Loads `width ≤ C` columns of one row into a chunk, zero-padded.
#[inline(always)]
unsafe fn load<const C: usize>(p: *const f32, width: usize) -> [f32; C] {
    if width == C {
        // SAFETY: C elements are in bounds (caller).
        unsafe { *(p as *const [f32; C]) }
    } else {
        let mut chunk = [0.0; C];
        for (c, slot) in chunk.iter_mut().enumerate().take(width) {
            // SAFETY: c < width elements are in bounds (caller).
            *slot = unsafe { *p.add(c) };
        }
        chunk
    }
}

#[inline(always)]
unsafe fn store<const C: usize>(p: *mut f32, chunk: &[f32; C], width: usize) {
    if width == C {
        // SAFETY: C elements are in bounds (caller).
        unsafe { *(p as *mut [f32; C]) = *chunk };
    } else {
        for (c, value) in chunk.iter().enumerate().take(width) {
            // SAFETY: c < width elements are in bounds (caller).
            unsafe { *p.add(c) = *value };
        }
    }
}

/// How many weight rows ahead the kernels prefetch. They walk a column chunk down the rows
/// of `w` (a stride of one row per step), which the hardware prefetchers follow poorly once
/// the weights have dropped out of L2; asking for the rows a few steps ahead hides the L3
/// latency.
const PREFETCH: usize = 8;

/// Asks for the cache lines of one chunk of `C` floats.
#[inline(always)]
unsafe fn prefetch<const C: usize>(p: *const f32) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching never faults, whatever the address.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let p = p as *const i8;
        let mut offset = 0;
        while offset < C * 4 {
            _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(offset));
            offset += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// One register block of `R` rows × `C` columns of `dst = a · w`.
#[inline(always)]
unsafe fn matmul_block<const R: usize, const C: usize>(
    dst: Mat,
    a: Mat,
    w: Mat,
    rows: &[u32],
    col: usize,
    width: usize,
) {
    let mut acc = [[0.0f32; C]; R];
    // SAFETY (whole block): row and column indices are in bounds (caller).
    unsafe {
        for (i, &k) in rows.iter().enumerate() {
            let k = k as usize;
            if let Some(&ahead) = rows.get(i + PREFETCH) {
                prefetch::<C>(w.ptr.add(ahead as usize * w.ld + col));
            }
            let w_row = load::<C>(w.ptr.add(k * w.ld + col), width);
            for (r, row) in acc.iter_mut().enumerate() {
                let s = *a.ptr.add(r * a.ld + k);
                for c in 0..C {
                    row[c] = s.mul_add(w_row[c], row[c]);
                }
            }
        }
        for (r, row) in acc.iter().enumerate() {
            store::<C>(dst.ptr.add(r * dst.ld + col), row, width);
        }
    }
}

macro_rules! by_rows {
    ($rows:expr, $f:ident, $c:tt, $($arg:expr),*) => {
        match $rows {
            1 => $f::<1, $c>($($arg),*),
            2 => $f::<2, $c>($($arg),*),
            3 => $f::<3, $c>($($arg),*),
            4 => $f::<4, $c>($($arg),*),
            5 => $f::<5, $c>($($arg),*),
            6 => $f::<6, $c>($($arg),*),
            7 => $f::<7, $c>($($arg),*),
            8 => $f::<8, $c>($($arg),*),
            9 => $f::<9, $c>($($arg),*),
            _ => $f::<10, $c>($($arg),*),
        }
    };
}

#[inline(always)]
unsafe fn matmul_impl<const C: usize>(
    dst: Mat,
    a: Mat,
    w: Mat,
    m: usize,
    rows: &[u32],
    cols: Range<usize>,
) {
    for (col, width) in chunks::<C>(cols) {
        let mut row = 0;
        while row < m {
            let block = (m - row).min(ROWS);
            // SAFETY: the block's rows and columns are in bounds (caller).
            unsafe {
                let out = Mat {
                    ptr: dst.ptr.add(row * dst.ld),
                    ld: dst.ld,
                };
                let x = Mat {
                    ptr: a.ptr.add(row * a.ld),
                    ld: a.ld,
                };
                if width > NARROW {
                    by_rows!(block, matmul_block, C, out, x, w, rows, col, width);
                } else {
                    by_rows!(block, matmul_block, NARROW, out, x, w, rows, col, width);
                }
            }
            row += block;
        }
    }
}

/// The narrow chunk that finishes a column range: 8 lanes, the last one zero-padded.
const NARROW: usize = 8;

/// `(start, width)` of the column chunks of `cols`: whole chunks of `C`, then chunks of
/// [`NARROW`] (a partial chunk of `C` would run at a fraction of the speed).
fn chunks<const C: usize>(cols: Range<usize>) -> impl Iterator<Item = (usize, usize)> {
    let wide_end = cols.start + (cols.len() / C) * C;
    let wide = (cols.start..wide_end).step_by(C).map(|col| (col, C));
    let narrow = (wide_end..cols.end)
        .step_by(NARROW)
        .map(move |col| (col, (cols.end - col).min(NARROW)));
    wide.chain(narrow)
}

/// One chunk of `C` columns of `w += preᵀ post` for a block of `R ≤ ROWS` batch rows: the
/// block's postsynaptic chunk stays in registers while the chunk walks down the rows of `w`,
/// [`UNROLL`] rows at a time (independent sums, so the FMAs do not wait on each other). Each
/// row's change is summed over the batch first and added to `w` once, as `w + ΔW` would be
/// (adding each product to `w` directly would round at `w`'s scale every time).
#[inline(always)]
unsafe fn add_outer_block<const R: usize, const C: usize>(
    w: Mat,
    pre_t: *const f32,
    m: usize,
    post: Mat,
    rows: &[u32],
    col: usize,
    width: usize,
) {
    // SAFETY (whole block): indices are in bounds (caller).
    unsafe {
        let mut p = [[0.0f32; C]; R];
        for (r, row) in p.iter_mut().enumerate() {
            *row = load::<C>(post.ptr.add(r * post.ld + col), width);
        }
        let mut groups = rows.chunks_exact(UNROLL);
        for (g, group) in groups.by_ref().enumerate() {
            let ahead = rows.get((g + 1) * UNROLL + PREFETCH).copied();
            outer_rows::<R, C, UNROLL>(w, pre_t, m, &p, group, ahead, col, width);
        }
        for k in groups.remainder() {
            outer_rows::<R, C, 1>(w, pre_t, m, &p, std::slice::from_ref(k), None, col, width);
        }
    }
}

/// Weight rows updated together by [`add_outer_block`].
const UNROLL: usize = 4;

/// `w[k, col..] += Σ_r pre_t[k, r] p[r]` for the `U` weight rows `k` of `ks`; `ahead` is a
/// row to prefetch.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn outer_rows<const R: usize, const C: usize, const U: usize>(
    w: Mat,
    pre_t: *const f32,
    m: usize,
    p: &[[f32; C]; R],
    ks: &[u32],
    ahead: Option<u32>,
    col: usize,
    width: usize,
) {
    // SAFETY (whole block): indices are in bounds (caller).
    unsafe {
        if let Some(k) = ahead {
            prefetch::<C>(w.ptr.add(k as usize * w.ld + col));
        }
        // Each row's R presynaptic values are contiguous: load them as one array (indexing
        // them through `k` one by one makes LLVM emit gathers).
        let mut pre = [[0.0f32; R]; U];
        for (values, &k) in pre.iter_mut().zip(ks) {
            *values = *(pre_t.add(k as usize * m) as *const [f32; R]);
        }
        let mut delta = [[0.0f32; C]; U];
        for (r, row) in p.iter().enumerate() {
            for (d, values) in delta.iter_mut().zip(&pre) {
                let s = values[r];
                for c in 0..C {
                    d[c] = s.mul_add(row[c], d[c]);
                }
            }
        }
        for (d, &k) in delta.iter().zip(ks) {
            let target = w.ptr.add(k as usize * w.ld + col);
            let mut acc = load::<C>(target, width);
            for c in 0..C {
                acc[c] += d[c];
            }
            store::<C>(target, &acc, width);
        }
    }
}

/// The same for a batch larger than a register block: the batch is taken [`ROWS`] rows at a
/// time (postsynaptic chunk in registers), each block's share of a strip of `TILE` weight
/// rows summed into an L1-resident `strip`, and the strip added to `w` once.
#[inline(always)]
unsafe fn add_outer_tiled<const C: usize>(
    w: Mat,
    pre_t: *const f32,
    m: usize,
    post: Mat,
    rows: &[u32],
    col: usize,
    width: usize,
) {
    let mut strip = [[0.0f32; C]; TILE];
    for tile in rows.chunks(TILE) {
        let strip = &mut strip[..tile.len()];
        strip.iter_mut().for_each(|d| *d = [0.0; C]);
        let mut row = 0;
        while row < m {
            let block = (m - row).min(ROWS);
            // SAFETY: indices are in bounds (caller).
            unsafe {
                let p = Mat {
                    ptr: post.ptr.add(row * post.ld),
                    ld: post.ld,
                };
                by_rows!(
                    block,
                    strip_block,
                    C,
                    strip,
                    pre_t.add(row),
                    m,
                    p,
                    tile,
                    col,
                    width
                );
            }
            row += block;
        }
        for (d, &k) in strip.iter().zip(tile) {
            // SAFETY: row k is in bounds, columns too (caller).
            unsafe {
                let target = w.ptr.add(k as usize * w.ld + col);
                let mut acc = load::<C>(target, width);
                for c in 0..C {
                    acc[c] += d[c];
                }
                store::<C>(target, &acc, width);
            }
        }
    }
}

/// Weight rows per strip of batch-summed changes in [`add_outer_tiled`].
const TILE: usize = 64;

/// `strip[i] += Σ_r pre_t[tile[i], r] post[r, col..]` for one block of `R` batch rows.
#[inline(always)]
unsafe fn strip_block<const R: usize, const C: usize>(
    strip: &mut [[f32; C]],
    pre_t: *const f32,
    m: usize,
    post: Mat,
    tile: &[u32],
    col: usize,
    width: usize,
) {
    // SAFETY (whole block): indices are in bounds (caller).
    unsafe {
        let mut p = [[0.0f32; C]; R];
        for (r, row) in p.iter_mut().enumerate() {
            *row = load::<C>(post.ptr.add(r * post.ld + col), width);
        }
        let mut strips = strip.chunks_exact_mut(UNROLL);
        let mut ks = tile.chunks_exact(UNROLL);
        for (d, k) in strips.by_ref().zip(ks.by_ref()) {
            strip_rows::<R, C, UNROLL>(d, pre_t, m, &p, k);
        }
        for (d, k) in strips
            .into_remainder()
            .chunks_mut(1)
            .zip(ks.remainder().chunks(1))
        {
            strip_rows::<R, C, 1>(d, pre_t, m, &p, k);
        }
    }
}

/// `strip[u] += Σ_r pre_t[ks[u], r] p[r]` for `u < U` (independent sums).
#[inline(always)]
unsafe fn strip_rows<const R: usize, const C: usize, const U: usize>(
    strip: &mut [[f32; C]],
    pre_t: *const f32,
    m: usize,
    p: &[[f32; C]; R],
    ks: &[u32],
) {
    // SAFETY (whole block): indices are in bounds (caller).
    unsafe {
        let mut pre = [[0.0f32; R]; U];
        for (values, &k) in pre.iter_mut().zip(ks) {
            *values = *(pre_t.add(k as usize * m) as *const [f32; R]);
        }
        let mut delta = [[0.0f32; C]; U];
        for (d, s) in delta.iter_mut().zip(strip.iter()) {
            *d = *s;
        }
        for (r, row) in p.iter().enumerate() {
            for (d, values) in delta.iter_mut().zip(&pre) {
                let s = values[r];
                for c in 0..C {
                    d[c] = s.mul_add(row[c], d[c]);
                }
            }
        }
        for (s, d) in strip.iter_mut().zip(&delta) {
            *s = *d;
        }
    }
}

#[inline(always)]
unsafe fn add_outer_impl<const C: usize>(
    w: Mat,
    pre_t: &[f32],
    post: Mat,
    m: usize,
    rows: &[u32],
    cols: Range<usize>,
) {
    let pre_t = pre_t.as_ptr();
    for (col, width) in chunks::<C>(cols) {
        // SAFETY: the chunk's columns are in bounds (caller).
        unsafe {
            match (m <= ROWS, width > NARROW) {
                (true, true) => {
                    by_rows!(m, add_outer_block, C, w, pre_t, m, post, rows, col, width)
                }
                (true, false) => {
                    by_rows!(
                        m,
                        add_outer_block,
                        NARROW,
                        w,
                        pre_t,
                        m,
                        post,
                        rows,
                        col,
                        width
                    )
                }
                (false, true) => add_outer_tiled::<C>(w, pre_t, m, post, rows, col, width),
                (false, false) => add_outer_tiled::<NARROW>(w, pre_t, m, post, rows, col, width),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(a: &[f32], w: &[f32], m: usize, k: usize, n: usize) -> Vec<f64> {
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                out[i * n + j] = (0..k)
                    .map(|l| a[i * k + l] as f64 * w[l * n + j] as f64)
                    .sum();
            }
        }
        out
    }

    fn data(len: usize, seed: usize) -> Vec<f32> {
        (0..len)
            .map(|i| (((i * 7919 + seed * 104729) % 2003) as f32 / 2003.0) - 0.5)
            .collect()
    }

    fn levels() -> Vec<Simd> {
        let mut out = vec![Simd::Portable];
        if Simd::detect() != Simd::Portable {
            out.push(Simd::Avx2);
        }
        if Simd::detect() == Simd::Avx512 {
            out.push(Simd::Avx512);
        }
        out
    }

    #[test]
    fn matmul_matches_a_reference_product_for_every_shape_and_instruction_set() {
        for simd in levels() {
            for (m, k, n) in [
                (10, 37, 53),
                (1, 5, 3),
                (23, 16, 32),
                (10, 500, 10),
                (7, 3, 100),
            ] {
                let (a, w) = (data(m * k, 1), data(k * n, 2));
                let mut dst = data(m * n, 3);
                let want = reference(&a, &w, m, k, n);
                // Two column ranges, as two threads would split them.
                let mid = n / 2;
                let all: Vec<u32> = (0..k as u32).collect();
                unsafe {
                    let d = Mat::new(&mut dst, n);
                    matmul(simd, d, Mat::read(&a, k), Mat::read(&w, n), m, &all, 0..mid);
                    matmul(simd, d, Mat::read(&a, k), Mat::read(&w, n), m, &all, mid..n);
                }
                for i in 0..m {
                    for j in 0..n {
                        let (got, expected) = (dst[i * n + j] as f64, want[i * n + j]);
                        assert!(
                            (got - expected).abs() < 1e-4,
                            "{simd:?} {m}x{k}x{n} [{i},{j}]: {got} vs {expected}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn skipping_all_zero_presynaptic_rows_changes_nothing() {
        for simd in levels() {
            let (m, k, n) = (10, 40, 70);
            let mut a = data(m * k, 7);
            // Columns 3, 4, 17 and 30..40 of the batch are blank (like an image's border).
            let blank = |l: usize| l == 3 || l == 4 || l == 17 || l >= 30;
            for i in 0..m {
                (0..k)
                    .filter(|&l| blank(l))
                    .for_each(|l| a[i * k + l] = 0.0);
            }
            let all: Vec<u32> = (0..k as u32).collect();
            let some: Vec<u32> = (0..k as u32).filter(|&l| !blank(l as usize)).collect();
            let w = data(k * n, 8);
            let (mut dense, mut sparse) = (vec![0.0; m * n], vec![0.0; m * n]);
            let mut pre_t = vec![0.0; k * m];
            for i in 0..m {
                for l in 0..k {
                    pre_t[l * m + i] = a[i * k + l];
                }
            }
            let post = data(m * n, 9);
            let (mut w_dense, mut w_sparse) = (w.clone(), w.clone());
            unsafe {
                let (a, wm) = (Mat::read(&a, k), Mat::read(&w, n));
                matmul(simd, Mat::new(&mut dense, n), a, wm, m, &all, 0..n);
                matmul(simd, Mat::new(&mut sparse, n), a, wm, m, &some, 0..n);
                let p = Mat::read(&post, n);
                add_outer(simd, Mat::new(&mut w_dense, n), &pre_t, p, m, &all, 0..n);
                add_outer(simd, Mat::new(&mut w_sparse, n), &pre_t, p, m, &some, 0..n);
            }
            assert_eq!(dense, sparse, "{simd:?}");
            assert_eq!(w_dense, w_sparse, "{simd:?}");
        }
    }

    #[test]
    fn add_outer_adds_the_batch_sum_of_outer_products() {
        for simd in levels() {
            for (m, k, n) in [
                (10, 37, 53),
                (1, 5, 3),
                (23, 16, 32),
                (10, 500, 10),
                (4, 9, 70),
            ] {
                let (pre, post) = (data(m * k, 4), data(m * n, 5));
                let mut w = data(k * n, 6);
                let start = w.clone();
                let mut pre_t = vec![0.0; k * m];
                for i in 0..m {
                    for l in 0..k {
                        pre_t[l * m + i] = pre[i * k + l];
                    }
                }
                let all: Vec<u32> = (0..k as u32).collect();
                let mid = n / 2;
                unsafe {
                    let target = Mat::new(&mut w, n);
                    add_outer(simd, target, &pre_t, Mat::read(&post, n), m, &all, 0..mid);
                    add_outer(simd, target, &pre_t, Mat::read(&post, n), m, &all, mid..n);
                }
                for l in 0..k {
                    for j in 0..n {
                        let delta: f64 = (0..m)
                            .map(|i| pre[i * k + l] as f64 * post[i * n + j] as f64)
                            .sum();
                        let expected = start[l * n + j] as f64 + delta;
                        let got = w[l * n + j] as f64;
                        assert!(
                            (got - expected).abs() < 1e-4,
                            "{simd:?} {m}x{k}x{n}: {got} vs {expected}"
                        );
                    }
                }
            }
        }
    }
}
