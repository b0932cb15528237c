//! One training step of the steady-state scheme on host buffers: the settling of
//! [`steady_state`](crate::steady_state) and the rules of [`plasticity`](crate::plasticity),
//! the same arithmetic in the same order, fused so that every plastic weight is updated in
//! place (`w += η/B · preᵀ post`) without a ΔW buffer.
//!
//! The step is a chain of sections, each split by columns over the team's threads: a
//! thread computes its columns of a layer's matrix products and then every element-wise
//! quantity of those columns (rates, potentials, the rules' postsynaptic factors), so the
//! threads meet once per layer and once for all updates. `tests/fast_path.rs` checks the
//! result against the tensor code.

use std::ops::Range;

use super::denormals::FlushToZero;
use super::kernels::{self, Mat, Simd};
use super::logistic::{logistic, logistic_difference, map};
use super::team::Team;
use crate::plasticity::EffectiveRates;

/// A weight matrix or bias of the network: read-only unless its group learns.
pub(crate) enum Weights<'a> {
    Fixed(&'a [f32]),
    Plastic(&'a mut [f32]),
}

impl Weights<'_> {
    fn read(&self) -> &[f32] {
        match self {
            Self::Fixed(w) => w,
            Self::Plastic(w) => w,
        }
    }
}

/// One weight layer: `w_up` (`[n_{k-1}, n_k]`) and its bias; for hidden layers also the
/// top-down, interneuron and lateral weights (see [`HiddenLayer`](crate::HiddenLayer)).
pub(crate) struct LayerWeights<'a> {
    pub w_up: Weights<'a>,
    pub b_up: Option<Weights<'a>>,
    pub hidden: Option<HiddenWeights<'a>>,
}

pub(crate) struct HiddenWeights<'a> {
    pub w_down: Weights<'a>,
    pub w_ip: Weights<'a>,
    pub b_ip: Option<Weights<'a>>,
    pub w_pi: Weights<'a>,
}

/// The mixing factors and effective learning rates of the step.
pub(crate) struct Coefficients {
    pub lambda_hidden: f64,
    pub lambda_output: f64,
    pub lambda_interneuron: f64,
    pub rates: EffectiveRates,
}

/// What every part of the step needs: the instruction set and the threads.
pub(crate) struct Cx<'a> {
    pub simd: Simd,
    pub team: Option<&'a Team>,
}

impl Cx<'_> {
    /// Runs `f` on column ranges that cover `0..n` ([`share`]s), one per thread of the team
    /// when the section's work (`work` multiply-adds) pays for the hand-off.
    fn columns(&self, n: usize, work: usize, f: &(impl Fn(Range<usize>) + Sync)) {
        match self.team {
            Some(team) if work >= 1 << 15 && n >= 64 => {
                let parts = team.size();
                team.run(&|i| {
                    let _ftz = FlushToZero::new();
                    f(share(n, i, parts))
                });
            }
            _ => f(0..n),
        }
    }

    /// Runs `f(i, shares)` for every share `i` of the team, one per thread.
    fn shares(&self, f: &(impl Fn(usize, usize) + Sync)) {
        match self.team {
            Some(team) => {
                let parts = team.size();
                team.run(&|i| {
                    let _ftz = FlushToZero::new();
                    f(i, parts)
                });
            }
            None => f(0, 1),
        }
    }
}

/// Share `i` of `parts` of the columns `0..n`, cut at multiples of 32 columns so that each
/// share uses whole vector chunks.
fn share(n: usize, i: usize, parts: usize) -> Range<usize> {
    let cut = |i: usize| (n * i / parts).next_multiple_of(32).min(n);
    cut(i)..cut(i + 1)
}

/// An `[m, n]` buffer of the step, written by the team, each thread in its own columns.
struct Grid {
    data: Vec<f32>,
    n: usize,
}

thread_local! {
    /// Buffers of earlier steps, reused so that a step allocates nothing: fresh allocations
    /// of this size are returned to the OS by the allocator and page-faulted (and zeroed)
    /// back in on the next step.
    static POOL: std::cell::RefCell<Vec<Vec<f32>>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Grid {
    fn new(m: usize, n: usize) -> Self {
        let mut data = POOL.with_borrow_mut(Vec::pop).unwrap_or_default();
        data.clear();
        data.resize(m * n, 0.0);
        Self { data, n }
    }

    fn from_vec(data: Vec<f32>, n: usize) -> Self {
        Self { data, n }
    }

    fn mat(&mut self) -> Mat {
        Mat::new(&mut self.data, self.n)
    }
}

/// Row `r`, columns `cols`, of a grid behind `mat`.
///
/// # Safety
/// In bounds, and during the section no other thread touches these columns and nothing else
/// borrows this part.
unsafe fn part<'a>(mat: Mat, r: usize, cols: &Range<usize>) -> &'a mut [f32] {
    // SAFETY: forwarded to the caller.
    unsafe { std::slice::from_raw_parts_mut(mat.ptr.add(r * mat.ld + cols.start), cols.len()) }
}

/// Presynaptic rates `[m, depth]` with the indices of the rows of a weight matrix they reach:
/// the columns of `a` that are not all zero (an input batch's blank pixels reach nothing).
struct Pre<'a> {
    a: &'a [f32],
    rows: Vec<u32>,
}

impl<'a> Pre<'a> {
    /// Every row (rates of a logistic unit are never exactly zero).
    fn dense(a: &'a [f32], m: usize) -> Self {
        Self {
            a,
            rows: (0..(a.len() / m) as u32).collect(),
        }
    }

    /// Only the rows whose presynaptic column has a non-zero entry: exactly the same sums,
    /// as the products left out are zero.
    fn sparse(a: &'a [f32], m: usize) -> Self {
        let depth = a.len() / m;
        let rows = (0..depth)
            .filter(|&k| (0..m).any(|r| a[r * depth + k] != 0.0))
            .map(|k| k as u32)
            .collect();
        Self { a, rows }
    }
}

/// Columns `cols` of `a · w` (`a`: `[m, depth]`, `w`: `[depth, n]`) into `out`.
fn product(cx: &Cx, out: Mat, pre: &Pre, m: usize, w: &[f32], n: usize, cols: &Range<usize>) {
    let depth = pre.a.len() / m;
    // SAFETY: `out` is m × n, `a` m × depth, `w` depth × n, rows < depth; the columns are
    // this thread's.
    unsafe {
        kernels::matmul(
            cx.simd,
            out,
            Mat::read(pre.a, depth),
            Mat::read(w, n),
            m,
            &pre.rows,
            cols.clone(),
        )
    }
}

/// Adds the bias to columns `cols` of every row of `out`.
fn add_bias(out: Mat, m: usize, b: Option<&Weights>, cols: &Range<usize>) {
    if let Some(b) = b {
        let b = &b.read()[cols.clone()];
        for r in 0..m {
            // SAFETY: this thread's columns.
            let row = unsafe { part(out, r, cols) };
            row.iter_mut().zip(b).for_each(|(v, b)| *v += b);
        }
    }
}

impl Drop for Grid {
    fn drop(&mut self) {
        let data = std::mem::take(&mut self.data);
        if data.capacity() > 0 {
            POOL.with_borrow_mut(|pool| pool.push(data));
        }
    }
}

/// `[m, k]` → `[k, m]`.
fn transpose(a: &[f32], m: usize) -> Vec<f32> {
    let k = a.len() / m;
    let mut out = vec![0.0f32; a.len()];
    for i in 0..m {
        for j in 0..k {
            out[j * m + i] = a[i * k + j];
        }
    }
    out
}

/// One plastic matrix (and bias) and its rule: the postsynaptic factor `[m, n]`, already
/// scaled by `η / B`, and the presynaptic rates, transposed, with the weight rows they reach.
struct Update<'a> {
    w: Mat,
    bias: Option<Mat>,
    post: &'a [f32],
    n: usize,
    pre_t: Vec<f32>,
    rows: Vec<u32>,
}

impl<'a> Update<'a> {
    /// The update of `w` (`[depth, n]`) by `pre` and `post`, and of its bias if that learns.
    fn new(w: &mut [f32], bias: &mut Option<Weights>, post: &'a Grid, pre: Pre, m: usize) -> Self {
        let n = post.n;
        let bias = match bias {
            Some(Weights::Plastic(b)) => Some(Mat::new(b, n)),
            _ => None,
        };
        Self {
            w: Mat::new(w, n),
            bias,
            post: &post.data,
            n,
            pre_t: transpose(pre.a, m),
            rows: pre.rows,
        }
    }
}

/// One step on a batch of `m` inputs `[m, n_0]` with somatic targets `[m, n_N]`: settle
/// (section 3.4), Eqs. 7-10 with the given rates, applied in place. `layers` holds layers
/// `1..=N`, `sizes` is `[n_0, .., n_N]`. Returns the feed-forward output potential `v_B,N`.
pub(crate) fn train_step(
    cx: &Cx,
    sizes: &[usize],
    layers: &mut [LayerWeights],
    c: &Coefficients,
    input: &[f32],
    u_target: &[f32],
    m: usize,
) -> Vec<f32> {
    let _ftz = FlushToZero::new();
    let simd = cx.simd;
    let hidden = layers.len() - 1;
    let width = |k: usize| sizes[k + 1];
    let (l_k, l_n, l_i) = (
        c.lambda_hidden as f32,
        c.lambda_output as f32,
        c.lambda_interneuron as f32,
    );
    let scale = |eta: f64| (eta / m as f64) as f32;

    // Step 1: bottom-up pass, u_k = v_B,k (rates φ(v_B,k)) and u_I,k = v_I,k. Layer k's
    // section computes its basal potentials and the dendrites of the interneurons below it
    // (both read the rates of layer k-1).
    let mut basal: Vec<Grid> = Vec::with_capacity(hidden + 1);
    let mut forward_rate: Vec<Grid> = Vec::with_capacity(hidden);
    let mut interneuron_dendrite: Vec<Grid> = Vec::with_capacity(hidden);
    // The input's blank pixels (all-zero columns of the batch) reach no weight row: the first
    // layer's product and update visit only the rows of pixels that are lit somewhere.
    let input_rows = Pre::sparse(input, m);
    for k in 0..=hidden {
        let n = width(k);
        let dense;
        let pre: &Pre = if k == 0 {
            &input_rows
        } else {
            dense = Pre::dense(&forward_rate[k - 1].data, m);
            &dense
        };
        let (mut v_b, mut rate, mut v_i) = (Grid::new(m, n), Grid::new(m, n), Grid::new(m, n));
        let (v_b_out, rate_out, v_i_out) = (v_b.mat(), rate.mat(), v_i.mat());
        let below = k
            .checked_sub(1)
            .map(|j| layers[j].hidden.as_ref().expect("hidden"));
        let layer = &layers[k];
        let work = m * pre.rows.len() * n * (1 + below.is_some() as usize);
        cx.columns(n, work, &|cols| {
            product(cx, v_b_out, pre, m, layer.w_up.read(), n, &cols);
            add_bias(v_b_out, m, layer.b_up.as_ref(), &cols);
            if k < hidden {
                for r in 0..m {
                    // SAFETY: this thread's columns of two distinct grids.
                    let (v, out) = unsafe { (part(v_b_out, r, &cols), part(rate_out, r, &cols)) };
                    map(
                        simd,
                        out,
                        #[inline(always)]
                        move |j| logistic(v[j]),
                    );
                }
            }
            if let Some(h) = below {
                product(cx, v_i_out, pre, m, h.w_ip.read(), n, &cols);
                add_bias(v_i_out, m, h.b_ip.as_ref(), &cols);
            }
        });
        if k > 0 {
            interneuron_dendrite.push(v_i);
        }
        if k < hidden {
            forward_rate.push(rate);
        }
        basal.push(v_b);
    }

    // Step 2: nudge the output, v + λ_N (u_trgt - v), and its rule (Eq. 7 with v̂_B = v_B,N).
    let n_out = width(hidden);
    let v_out = &basal[hidden].data;
    let mut u_out = vec![0.0f32; v_out.len()];
    map(
        simd,
        &mut u_out,
        #[inline(always)]
        |i| v_out[i] + (u_target[i] - v_out[i]) * l_n,
    );
    let mut r_out = vec![0.0f32; v_out.len()];
    map(
        simd,
        &mut r_out,
        #[inline(always)]
        |i| logistic(u_out[i]),
    );
    let eta = c.rates.up[hidden];
    let output_rule = (eta != 0.0).then(|| {
        let mut post = Grid::new(m, n_out);
        let s = scale(eta);
        map(
            simd,
            &mut post.data,
            #[inline(always)]
            |i| (r_out[i] - logistic(v_out[i])) * s,
        );
        post
    });

    // Step 3: top-down pass. Layer k's section settles its interneurons' partners above
    // first: the interneurons of layer k (width n_{k+1}) are nudged by u_{k+1}, so the
    // section of layer k+1 (or the output step) computes them; here the top hidden layer's
    // interneurons are settled from the output.
    let top = hidden - 1;
    let v_i_top = &interneuron_dendrite[top].data;
    let mut u_i_top = vec![0.0f32; v_i_top.len()];
    map(
        simd,
        &mut u_i_top,
        #[inline(always)]
        |j| v_i_top[j] + (u_out[j] - v_i_top[j]) * l_i,
    );
    let mut r_i_top = Grid::new(m, n_out);
    map(
        simd,
        &mut r_i_top.data,
        #[inline(always)]
        |j| logistic(u_i_top[j]),
    );
    let eta_ip_top = c.rates.ip[top];
    let mut ip_rules: Vec<Option<Grid>> = (0..hidden).map(|_| None).collect();
    ip_rules[top] = (eta_ip_top != 0.0).then(|| {
        let mut post = Grid::new(m, n_out);
        let (s, r_i) = (scale(eta_ip_top), &r_i_top.data);
        map(
            simd,
            &mut post.data,
            #[inline(always)]
            |j| (r_i[j] - logistic(v_i_top[j])) * s,
        );
        post
    });

    struct Settled {
        /// `r_{k+1}`: the presynaptic rates of Eq. 10.
        rate_above: Grid,
        interneuron_rate: Grid,
        up: Option<Grid>,
        pi: Option<Grid>,
        down: Option<Grid>,
    }
    let mut settled: Vec<Option<Settled>> = (0..hidden).map(|_| None).collect();
    let mut above_rate = Grid::from_vec(r_out, n_out);
    let mut interneuron_rate = r_i_top;
    for k in (0..hidden).rev() {
        let n = width(k);
        let h = layers[k].hidden.as_ref().expect("hidden layer");
        let (eta_up, eta_pi, eta_down) = (c.rates.up[k], c.rates.pi[k], c.rates.down[k]);
        let eta_ip_below = k.checked_sub(1).map_or(0.0, |j| c.rates.ip[j]);
        let mut grids: Vec<Grid> = (0..10).map(|_| Grid::new(m, n)).collect();
        let g: Vec<Mat> = grids.iter_mut().map(Grid::mat).collect();
        let [top_down, lateral, apical, soma, rate] = [g[0], g[1], g[2], g[3], g[4]];
        let [post_up, post_pi, post_down, r_i_below, post_ip] = [g[5], g[6], g[7], g[8], g[9]];
        let v_b = Mat::read(&basal[k].data, n);
        let v_i_below = (k > 0).then(|| Mat::read(&interneuron_dendrite[k - 1].data, n));
        let (r_above, r_i) = (
            Pre::dense(&above_rate.data, m),
            Pre::dense(&interneuron_rate.data, m),
        );
        cx.columns(n, 2 * m * r_above.rows.len() * n, &|cols| {
            product(cx, top_down, &r_above, m, h.w_down.read(), n, &cols);
            product(cx, lateral, &r_i, m, h.w_pi.read(), n, &cols);
            for r in 0..m {
                // SAFETY: this thread's columns; each grid is borrowed once.
                let (td, lat, v_a, vb, u, rate) = unsafe {
                    (
                        part(top_down, r, &cols),
                        part(lateral, r, &cols),
                        part(apical, r, &cols),
                        part(v_b, r, &cols),
                        part(soma, r, &cols),
                        part(rate, r, &cols),
                    )
                };
                // Eq. 4, then u_k = (1-λ_k) v_B,k + λ_k v_A,k.
                map(
                    simd,
                    v_a,
                    #[inline(always)]
                    |j| td[j] + lat[j],
                );
                map(
                    simd,
                    u,
                    #[inline(always)]
                    |j| vb[j] * (1.0 - l_k) + v_a[j] * l_k,
                );
                map(
                    simd,
                    rate,
                    #[inline(always)]
                    |j| logistic(u[j]),
                );
                if eta_up != 0.0 {
                    // Eq. 7: φ(u_k) - φ(v̂_B,k), v̂_B,k = (1-λ_k) v_B,k, from u_k - v̂_B,k =
                    // λ_k v_A,k without cancellation.
                    let (post, s) = (unsafe { part(post_up, r, &cols) }, scale(eta_up));
                    map(
                        simd,
                        post,
                        #[inline(always)]
                        |j| logistic_difference(rate[j], vb[j] * (1.0 - l_k), v_a[j] * l_k) * s,
                    );
                }
                if eta_pi != 0.0 {
                    // Eq. 9: 0 - v_A,k.
                    let (post, s) = (unsafe { part(post_pi, r, &cols) }, scale(eta_pi));
                    map(
                        simd,
                        post,
                        #[inline(always)]
                        |j| -v_a[j] * s,
                    );
                }
                if eta_down != 0.0 {
                    // Eq. 10: φ(u_k) - φ(W_down_k r_{k+1}).
                    let (post, s) = (unsafe { part(post_down, r, &cols) }, scale(eta_down));
                    map(
                        simd,
                        post,
                        #[inline(always)]
                        |j| (rate[j] - logistic(td[j])) * s,
                    );
                }
                if let Some(v_i) = v_i_below {
                    // The interneurons of layer k-1, nudged by u_k, and Eq. 8's factor.
                    let (v_i, r_i) = unsafe { (part(v_i, r, &cols), part(r_i_below, r, &cols)) };
                    map(
                        simd,
                        r_i,
                        #[inline(always)]
                        |j| logistic(v_i[j] + (u[j] - v_i[j]) * l_i),
                    );
                    if eta_ip_below != 0.0 {
                        let (post, s) = (unsafe { part(post_ip, r, &cols) }, scale(eta_ip_below));
                        map(
                            simd,
                            post,
                            #[inline(always)]
                            |j| (r_i[j] - logistic(v_i[j])) * s,
                        );
                    }
                }
            }
        });
        let [
            _,
            _,
            _,
            _,
            rate,
            post_up,
            post_pi,
            post_down,
            r_i_below,
            post_ip,
        ]: [Grid; 10] = grids
            .try_into()
            .unwrap_or_else(|_| unreachable!("ten grids"));
        if k > 0 && eta_ip_below != 0.0 {
            ip_rules[k - 1] = Some(post_ip);
        }
        let r_i_this = std::mem::replace(&mut interneuron_rate, r_i_below);
        let rate_above = std::mem::replace(&mut above_rate, rate);
        settled[k] = Some(Settled {
            rate_above,
            interneuron_rate: r_i_this,
            up: (eta_up != 0.0).then_some(post_up),
            pi: (eta_pi != 0.0).then_some(post_pi),
            down: (eta_down != 0.0).then_some(post_down),
        });
    }

    // Step 4: apply every rule in place, all in one section: each thread adds its columns
    // of every plastic matrix (Eq. 6's batch-summed outer products) and bias.
    let mut updates: Vec<Update> = Vec::new();
    for (k, layer) in layers.iter_mut().enumerate() {
        let post = if k == hidden {
            output_rule.as_ref()
        } else {
            settled[k].as_ref().and_then(|s| s.up.as_ref())
        };
        if let (Some(post), Weights::Plastic(w)) = (post, &mut layer.w_up) {
            let pre = if k == 0 {
                Pre {
                    a: input,
                    rows: input_rows.rows.clone(),
                }
            } else {
                Pre::dense(&forward_rate[k - 1].data, m)
            };
            updates.push(Update::new(w, &mut layer.b_up, post, pre, m));
        }
        if k < hidden {
            let s = settled[k].as_ref().expect("settled above");
            let h = layer.hidden.as_mut().expect("hidden layer");
            if let (Some(post), Weights::Plastic(w)) = (&ip_rules[k], &mut h.w_ip) {
                let pre = Pre::dense(&forward_rate[k].data, m);
                updates.push(Update::new(w, &mut h.b_ip, post, pre, m));
            }
            if let (Some(post), Weights::Plastic(w)) = (&s.pi, &mut h.w_pi) {
                let pre = Pre::dense(&s.interneuron_rate.data, m);
                updates.push(Update::new(w, &mut None, post, pre, m));
            }
            if let (Some(post), Weights::Plastic(w)) = (&s.down, &mut h.w_down) {
                let pre = Pre::dense(&s.rate_above.data, m);
                updates.push(Update::new(w, &mut None, post, pre, m));
            }
        }
    }
    cx.shares(&|i, shares| {
        for u in &updates {
            // Narrow matrices go to the first thread whole.
            let cols = if u.n >= 64 {
                share(u.n, i, shares)
            } else if i == 0 {
                0..u.n
            } else {
                continue;
            };
            let post = Mat::read(u.post, u.n);
            // SAFETY: `w` is depth × n, `pre_t` depth × m, `post` m × n; the columns are
            // this thread's.
            unsafe { kernels::add_outer(cx.simd, u.w, &u.pre_t, post, m, &u.rows, cols.clone()) };
            if let Some(b) = u.bias {
                // SAFETY: the bias is one row of n; these columns are this thread's.
                let b = unsafe { part(b, 0, &cols) };
                for row in u.post.chunks_exact(u.n) {
                    b.iter_mut()
                        .zip(&row[cols.clone()])
                        .for_each(|(b, p)| *b += p);
                }
            }
        }
    });
    let mut output = basal.pop().expect("output layer");
    std::mem::take(&mut output.data)
}
