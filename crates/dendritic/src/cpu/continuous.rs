//! The CPU fast path of the continuous-time microcircuit: [`Simulation::run`] on flex in f32
//! keeps every weight, potential and plasticity trace in host buffers for the whole run and
//! computes each Euler step as one pass of register-blocked kernels ([`kernels`](super::kernels))
//! and vectorised rate functions ([`phi`](super::phi)), without a tensor operation per step.
//!
//! A step of the 30-50-10 network is about 70 small tensor operations in the reference code
//! ([`dynamics`](crate::continuous::dynamics), [`plasticity`](crate::continuous::plasticity)),
//! each a few microseconds of dispatch and allocation; here it is a dozen kernel calls on
//! buffers that stay in L1. The equations are the reference code's, in the same order and
//! with the same roundings where it matters; `tests/continuous_fast_path.rs` holds the two to
//! the same weights and potentials within 1e-5.
//!
//! [`Simulation::run`]: crate::continuous::Simulation::run

use burn::tensor::{DType, Device, Tensor, TensorData};

use super::denormals::FlushToZero;
use super::kernels::{self, Mat, Simd};
use super::logistic::map;
use super::phi::{map_rate, rates};
use crate::continuous::config::Nudging;
use crate::continuous::dynamics::{Compartments, Membrane, Potentials};
use crate::continuous::noise::NoiseSource;
use crate::continuous::plasticity::{LowPassPlasticity, Rule};
use crate::continuous::weights::Weights;
use crate::transfer::Transfer;

/// Whether the fast path runs simulations whose weights look like `like`: f32 on flex.
pub(crate) fn applies(like: &Tensor<2>) -> bool {
    like.dtype() == DType::F32 && like.device() == Device::flex()
}

fn host<const D: usize>(t: &Tensor<D>) -> Vec<f32> {
    t.clone()
        .into_data()
        .try_into_vec::<f32>()
        .expect("checked by `applies`: f32 tensors")
}

fn tensor(values: &[f32], shape: [usize; 2], device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values.to_vec(), shape), device)
}

/// One weight matrix (row-major `[rows, cols]`) and its optional bias row.
#[derive(Debug)]
struct Matrix {
    w: Vec<f32>,
    b: Option<Vec<f32>>,
    rows: usize,
    cols: usize,
}

impl Matrix {
    fn of(w: &Tensor<2>, b: Option<&Tensor<2>>) -> Self {
        let [rows, cols] = w.dims();
        Self {
            w: host(w),
            b: b.map(host),
            rows,
            cols,
        }
    }
}

/// A low-pass filtered plasticity trace on the host (see
/// [`LowPassPlasticity`](crate::continuous::LowPassPlasticity) for the scheme).
#[derive(Debug)]
struct Trace {
    rule: Rule,
    gain: f64,
    weight: Option<Vec<f32>>,
    bias: Option<Vec<f32>>,
    with_bias: bool,
    /// Presynaptic rates of the open window, row-major `[rows, n_pre]`.
    pre: Vec<f32>,
    /// Weighted postsynaptic factors of the open window, `[rows, n_post]`.
    post: Vec<f32>,
    n_pre: usize,
    n_post: usize,
}

/// `Δ̄ ← decay Δ̄ + preᵀ post` and `W += Δ̄` in one pass over the trace and the weight, for a
/// window of one row (one stream, plasticity applied every step; `pre` is `[n_pre]`, `post`
/// `[n_post]`, `trace` and `w` `[n_pre, n_post]`). Longer windows go through the
/// outer-product kernel.
fn filter_and_apply(
    simd: Simd,
    trace: &mut [f32],
    w: &mut [f32],
    pre: &[f32],
    post: &[f32],
    decay: f32,
) {
    #[inline(always)]
    fn body(trace: &mut [f32], w: &mut [f32], pre: &[f32], post: &[f32], decay: f32) {
        let n = post.len();
        for ((t_row, w_row), p) in trace
            .chunks_exact_mut(n)
            .zip(w.chunks_exact_mut(n))
            .zip(pre)
        {
            for ((t, w), q) in t_row.iter_mut().zip(w_row.iter_mut()).zip(post) {
                let d = *t * decay + p * q;
                *t = d;
                *w += d;
            }
        }
    }
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx2,fma")]
        unsafe fn avx512(t: &mut [f32], w: &mut [f32], p: &[f32], q: &[f32], d: f32) {
            body(t, w, p, q, d)
        }
        #[target_feature(enable = "avx2,fma")]
        unsafe fn avx2(t: &mut [f32], w: &mut [f32], p: &[f32], q: &[f32], d: f32) {
            body(t, w, p, q, d)
        }
        // SAFETY: the features were detected at run time.
        match simd {
            Simd::Avx512 => return unsafe { avx512(trace, w, pre, post, decay) },
            Simd::Avx2 => return unsafe { avx2(trace, w, pre, post, decay) },
            Simd::Portable => {}
        }
    }
    let _ = simd;
    body(trace, w, pre, post, decay)
}

/// Every state of a simulation that one Euler step reads or writes, in host buffers.
#[derive(Debug)]
pub(crate) struct Engine {
    simd: Simd,
    device: Device,
    phi: Transfer,
    batch: usize,
    /// `0..max n`: the kernels' list of weight rows to read (all of them).
    all_rows: Vec<u32>,
    // Eqs. 1-2 coefficients.
    decay_hidden: f32,
    decay_interneuron: f32,
    decay_output: f32,
    dt: f32,
    dt_g_b: f32,
    dt_g_a: f32,
    dt_g_d: f32,
    g_som: f32,
    nudging: Nudging,
    input_gain: f32,
    /// Disinhibition gate of each hidden layer (1: open).
    gates: Vec<f32>,
    // Weights: `up[k-1]` is `W_up_k`; `down`, `ip`, `pi` per hidden layer.
    up: Vec<Matrix>,
    down: Vec<Matrix>,
    ip: Vec<Matrix>,
    pi: Vec<Matrix>,
    // Potentials.
    input: Vec<f32>,
    u_hidden: Vec<Vec<f32>>,
    u_interneuron: Vec<Vec<f32>>,
    u_output: Vec<f32>,
    // The held input and target.
    x: Vec<f32>,
    target: Option<Vec<f32>>,
    // Compartments of the last step (at its start).
    hidden_rate: Vec<Vec<f32>>,
    interneuron_rate: Vec<Vec<f32>>,
    output_rate: Vec<f32>,
    basal: Vec<Vec<f32>>,
    top_down: Vec<Vec<f32>>,
    apical: Vec<Vec<f32>>,
    interneuron_dendrite: Vec<Vec<f32>>,
    // Plasticity.
    traces: Vec<Trace>,
    filter_decay: f64,
    attenuation: [f32; 3],
    apply_every: usize,
    plastic_steps: usize,
    pre_t: Vec<f32>,
}

impl Engine {
    /// Copies the state of a simulation into host buffers; the traces' open windows are moved
    /// out of `plasticity` (and back by [`finish`](Self::finish)).
    pub(crate) fn new(
        membrane: &Membrane,
        weights: &Weights,
        potentials: &Potentials,
        plasticity: Option<&mut LowPassPlasticity>,
        input: &Tensor<2>,
        target: Option<&Tensor<2>>,
    ) -> Self {
        let m = membrane;
        let batch = potentials.batch_size();
        let n_hidden = weights.hidden.len();
        let mut sizes = vec![weights.up(1).0.dims()[0]];
        sizes.extend((1..=n_hidden + 1).map(|k| weights.up(k).0.dims()[1]));
        let zeros = |n: usize| vec![0.0f32; batch * n];

        let mut traces = Vec::new();
        let (mut filter_decay, mut attenuation, mut apply_every, mut plastic_steps) =
            (0.0, [0.0; 3], 1, 0);
        if let Some(p) = plasticity {
            filter_decay = p.decay();
            attenuation = p.attenuations().map(|a| a as f32);
            (apply_every, plastic_steps) = p.window();
            for (rule, t) in p.traces_mut() {
                let (n_pre, n_post) = match rule {
                    Rule::Up(k) => (sizes[k - 1], sizes[k]),
                    Rule::Ip(k) => (sizes[k], sizes[k + 1]),
                    Rule::Pi(k) => (sizes[k + 1], sizes[k]),
                    Rule::Down(k) => (sizes[k + 1], sizes[k]),
                };
                let window = |parts: &mut Vec<Tensor<2>>| -> Vec<f32> {
                    std::mem::take(parts).iter().flat_map(host).collect()
                };
                traces.push(Trace {
                    rule,
                    gain: t.gain,
                    weight: t.weight.take().map(|w| host(&w)),
                    bias: t.bias.take().map(|b| host(&b)),
                    with_bias: t.with_bias,
                    pre: window(&mut t.pre),
                    post: window(&mut t.post),
                    n_pre,
                    n_post,
                });
            }
        }

        let max_width = sizes.iter().copied().max().unwrap_or(0);
        Self {
            simd: Simd::detect(),
            device: input.device(),
            phi: m.phi,
            batch,
            all_rows: (0..max_width as u32).collect(),
            decay_hidden: (1.0 - m.dt * (m.g_lk + m.g_b + m.g_a)) as f32,
            decay_interneuron: (1.0 - m.dt * (m.g_lk + m.g_d)) as f32,
            decay_output: (1.0 - m.dt * (m.g_lk + m.g_b)) as f32,
            dt: m.dt as f32,
            dt_g_b: (m.dt * m.g_b) as f32,
            dt_g_a: (m.dt * m.g_a) as f32,
            dt_g_d: (m.dt * m.g_d) as f32,
            g_som: m.g_som as f32,
            nudging: m.nudging,
            input_gain: m.input_gain as f32,
            gates: (0..n_hidden)
                .map(|k| m.gates.as_ref().map_or(1.0, |g| g.get(k) as f32))
                .collect(),
            up: (1..=n_hidden + 1)
                .map(|k| {
                    let (w, b) = weights.up(k);
                    Matrix::of(w, b.as_ref())
                })
                .collect(),
            down: weights
                .hidden
                .iter()
                .map(|h| Matrix::of(&h.w_down, None))
                .collect(),
            ip: weights
                .hidden
                .iter()
                .map(|h| Matrix::of(&h.w_ip, h.b_ip.as_ref()))
                .collect(),
            pi: weights
                .hidden
                .iter()
                .map(|h| Matrix::of(&h.w_pi, None))
                .collect(),
            input: host(&potentials.input),
            u_hidden: potentials.hidden.iter().map(host).collect(),
            u_interneuron: potentials.interneuron.iter().map(host).collect(),
            u_output: host(&potentials.output),
            x: host(input),
            target: target.map(host),
            hidden_rate: (1..=n_hidden).map(|k| zeros(sizes[k])).collect(),
            interneuron_rate: (1..=n_hidden).map(|k| zeros(sizes[k + 1])).collect(),
            output_rate: zeros(sizes[n_hidden + 1]),
            basal: (1..=n_hidden + 1).map(|k| zeros(sizes[k])).collect(),
            top_down: (1..=n_hidden).map(|k| zeros(sizes[k])).collect(),
            apical: (1..=n_hidden).map(|k| zeros(sizes[k])).collect(),
            interneuron_dendrite: (1..=n_hidden).map(|k| zeros(sizes[k + 1])).collect(),
            traces,
            filter_decay,
            attenuation,
            apply_every,
            plastic_steps,
            pre_t: Vec::new(),
        }
    }

    /// `dst = a · w (+ b)` for the batch.
    fn product(&self, dst: &mut [f32], a: &[f32], w: &Matrix) {
        // SAFETY: `a` is `[batch, w.rows]`, `dst` `[batch, w.cols]`, `w` `[rows, cols]`, all
        // dense; this thread alone touches them.
        unsafe {
            kernels::matmul(
                self.simd,
                Mat::new(dst, w.cols),
                Mat::read(a, w.rows),
                Mat::read(&w.w, w.cols),
                self.batch,
                &self.all_rows[..w.rows],
                0..w.cols,
            );
        }
        if let Some(b) = &w.b {
            for row in dst.chunks_exact_mut(w.cols) {
                row.iter_mut().zip(b).for_each(|(d, b)| *d += b);
            }
        }
    }

    /// Rates and dendritic potentials of every compartment (Eqs. 3-5) at the current
    /// potentials.
    fn compartments(&mut self) {
        let (simd, phi) = (self.simd, self.phi);
        for (r, u) in self.hidden_rate.iter_mut().zip(&self.u_hidden) {
            rates(simd, phi, r, u);
        }
        rates(simd, phi, &mut self.output_rate, &self.u_output);
        for (r, u) in self.interneuron_rate.iter_mut().zip(&self.u_interneuron) {
            rates(simd, phi, r, u);
        }
        let n_hidden = self.u_hidden.len();
        let mut scratch = std::mem::take(&mut self.basal);
        for (k, v_b) in scratch.iter_mut().enumerate() {
            self.product(v_b, self.rate(k), &self.up[k]);
        }
        self.basal = scratch;
        let (mut top_down, mut apical, mut v_i) = (
            std::mem::take(&mut self.top_down),
            std::mem::take(&mut self.apical),
            std::mem::take(&mut self.interneuron_dendrite),
        );
        for i in 0..n_hidden {
            self.product(&mut top_down[i], self.rate(i + 2), &self.down[i]);
            // v_A = W_down r_{k+1} + g W_PI r_I (Eq. 4, gated): the lateral part first.
            self.product(&mut apical[i], &self.interneuron_rate[i], &self.pi[i]);
            let g = self.gates[i];
            if g == 1.0 {
                apical[i]
                    .iter_mut()
                    .zip(&top_down[i])
                    .for_each(|(a, t)| *a += t);
            } else {
                apical[i]
                    .iter_mut()
                    .zip(&top_down[i])
                    .for_each(|(a, t)| *a = *a * g + t);
            }
            self.product(&mut v_i[i], &self.hidden_rate[i], &self.ip[i]);
        }
        (self.top_down, self.apical, self.interneuron_dendrite) = (top_down, apical, v_i);
    }

    /// Rates of layer `k` (0 = the filtered input).
    fn rate(&self, k: usize) -> &[f32] {
        if k == 0 {
            &self.input
        } else {
            self.hidden_rate.get(k - 1).unwrap_or(&self.output_rate)
        }
    }

    /// Eqs. 7-10 at the current compartments into each trace's window; closes the window
    /// and adds the filtered terms to the weights every `apply_every` steps.
    fn plasticity(&mut self) {
        if self.traces.is_empty() {
            return;
        }
        let (simd, phi) = (self.simd, self.phi);
        let [a_hidden, a_output, a_interneuron] = self.attenuation;
        let n_hidden = self.u_hidden.len();
        let left = self.apply_every - 1 - self.plastic_steps % self.apply_every;
        let age = self.filter_decay.powi(left as i32);
        let mut traces = std::mem::take(&mut self.traces);
        for t in &mut traces {
            let scale = (t.gain * age) as f32;
            let start = t.post.len();
            t.post.resize(start + self.batch * t.n_post, 0.0);
            let post = &mut t.post[start..];
            // Every input sliced to the output's length, so that the vectorised loops carry
            // no bounds checks.
            let n = post.len();
            let pre = match t.rule {
                // Eq. 7: (φ(u_k) - φ(a v_B,k)) r_{k-1}ᵀ.
                Rule::Up(k) => {
                    let (rate, v_b) = (&self.rate(k)[..n], &self.basal[k - 1][..n]);
                    let a = if k > n_hidden { a_output } else { a_hidden };
                    map_rate(
                        simd,
                        phi,
                        post,
                        #[inline(always)]
                        move |i| a * v_b[i],
                        #[inline(always)]
                        move |p, i| (rate[i] - p) * scale,
                    );
                    self.rate(k - 1)
                }
                // Eq. 8: (φ(u_I,k) - φ(a_I v_I,k)) r_kᵀ.
                Rule::Ip(k) => {
                    let (rate, v_i) = (
                        &self.interneuron_rate[k - 1][..n],
                        &self.interneuron_dendrite[k - 1][..n],
                    );
                    map_rate(
                        simd,
                        phi,
                        post,
                        #[inline(always)]
                        move |i| a_interneuron * v_i[i],
                        #[inline(always)]
                        move |p, i| (rate[i] - p) * scale,
                    );
                    self.rate(k)
                }
                // Eq. 9: (0 - v_A,k) r_I,kᵀ.
                Rule::Pi(k) => {
                    let v_a = &self.apical[k - 1][..n];
                    map(simd, post, move |i| -v_a[i] * scale);
                    &self.interneuron_rate[k - 1]
                }
                // Eq. 10: (φ(u_k) - φ(v_TD,k)) r_{k+1}ᵀ.
                Rule::Down(k) => {
                    let (rate, v_td) = (&self.rate(k)[..n], &self.top_down[k - 1][..n]);
                    map_rate(
                        simd,
                        phi,
                        post,
                        #[inline(always)]
                        move |i| v_td[i],
                        #[inline(always)]
                        move |p, i| (rate[i] - p) * scale,
                    );
                    self.rate(k + 1)
                }
            };
            t.pre.extend_from_slice(pre);
        }
        self.traces = traces;
        self.plastic_steps += 1;
        if self.plastic_steps.is_multiple_of(self.apply_every) {
            self.apply();
        }
    }

    /// Closes every window (`Δ̄ ← decay^n Δ̄ + Σ preᵀ post`) and adds `Δ̄` to its weight.
    fn apply(&mut self) {
        let decay = self.filter_decay.powi(self.apply_every as i32) as f32;
        let mut traces = std::mem::take(&mut self.traces);
        for t in &mut traces {
            let rows = t.pre.len() / t.n_pre;
            if rows == 0 {
                continue;
            }
            let size = t.n_pre * t.n_post;
            let mut delta = match t.weight.take() {
                Some(old) if decay > 0.0 => old,
                _ => vec![0.0; size],
            };
            let bias = t.with_bias.then(|| {
                let mut sum = vec![0.0f32; t.n_post];
                for row in t.post.chunks_exact(t.n_post) {
                    sum.iter_mut().zip(row).for_each(|(s, v)| *s += v);
                }
                match t.bias.take() {
                    Some(mut old) if decay > 0.0 => {
                        old.iter_mut()
                            .zip(&sum)
                            .for_each(|(o, s)| *o = *o * decay + s);
                        old
                    }
                    _ => sum,
                }
            });
            let simd = self.simd;
            if rows == 1 {
                // One stream, every step: filter and apply in one pass.
                let target = self.matrix_mut(t.rule);
                filter_and_apply(simd, &mut delta, &mut target.w, &t.pre, &t.post, decay);
            } else {
                // The window's presynaptic rates transposed, as the kernel reads them.
                self.pre_t.resize(t.n_pre * rows, 0.0);
                for (r, row) in t.pre.chunks_exact(t.n_pre).enumerate() {
                    for (j, v) in row.iter().enumerate() {
                        self.pre_t[j * rows + r] = *v;
                    }
                }
                if decay != 1.0 {
                    delta.iter_mut().for_each(|v| *v *= decay);
                }
                // SAFETY: `delta` is `[n_pre, n_post]`, `pre_t` `[n_pre, rows]`, `post`
                // `[rows, n_post]`; this thread alone touches them.
                unsafe {
                    kernels::add_outer(
                        simd,
                        Mat::new(&mut delta, t.n_post),
                        &self.pre_t,
                        Mat::read(&t.post, t.n_post),
                        rows,
                        &self.all_rows[..t.n_pre],
                        0..t.n_post,
                    );
                }
                let target = self.matrix_mut(t.rule);
                target.w.iter_mut().zip(&delta).for_each(|(w, d)| *w += d);
            }
            let target = self.matrix_mut(t.rule);
            if let (Some(b), Some(d)) = (target.b.as_mut(), bias.as_ref()) {
                b.iter_mut().zip(d).for_each(|(b, d)| *b += d);
            }
            t.bias = bias;
            t.pre.clear();
            t.post.clear();
            t.weight = Some(delta);
        }
        self.traces = traces;
    }

    /// The weight matrix that `rule` changes.
    fn matrix(&self, rule: Rule) -> &Matrix {
        match rule {
            Rule::Up(k) => &self.up[k - 1],
            Rule::Ip(k) => &self.ip[k - 1],
            Rule::Pi(k) => &self.pi[k - 1],
            Rule::Down(k) => &self.down[k - 1],
        }
    }

    fn matrix_mut(&mut self, rule: Rule) -> &mut Matrix {
        match rule {
            Rule::Up(k) => &mut self.up[k - 1],
            Rule::Ip(k) => &mut self.ip[k - 1],
            Rule::Pi(k) => &mut self.pi[k - 1],
            Rule::Down(k) => &mut self.down[k - 1],
        }
    }

    /// The teaching current `g_som (t - u)` (or the balanced conductance form) of one soma.
    #[inline(always)]
    fn teaching(nudging: Nudging, g_som: f32, u: f32, t: f32) -> f32 {
        match nudging {
            Nudging::Current => (t - u) * g_som,
            Nudging::Conductance { e_exc, e_inh } => {
                let (e_exc, e_inh) = (e_exc as f32, e_inh as f32);
                let scale = g_som / (e_exc - e_inh);
                let g_exc = ((t - e_inh) * scale).max(0.0);
                let g_inh = ((t - e_exc) * -scale).max(0.0);
                let drive = g_exc * e_exc + g_inh * e_inh;
                drive - (g_exc + g_inh) * u
            }
        }
    }

    /// One Euler-Maruyama step of Eqs. 1-2 from the compartments at its start
    /// ([`Membrane::euler_step`](crate::continuous::Membrane::euler_step)); `noise` holds
    /// `σ √dt ξ` per soma group (hidden.., interneuron.., output).
    fn euler(&mut self, noise: Option<Vec<&[f32]>>) {
        let n_hidden = self.u_hidden.len();
        let xi = |g: usize| noise.as_ref().map(|n| n[g]);
        let add = |u: &mut [f32], xi: Option<&[f32]>| {
            if let Some(xi) = xi {
                u.iter_mut().zip(xi).for_each(|(u, x)| *u += x);
            }
        };
        let (nudging, g_som, dt) = (self.nudging, self.g_som, self.dt);
        // Interneurons first: their teaching currents read the partners' old potentials.
        for i in 0..n_hidden {
            let partner = self.u_hidden.get(i + 1).unwrap_or(&self.u_output);
            let v_i = &self.interneuron_dendrite[i];
            let (decay, gain) = (self.decay_interneuron, self.dt_g_d);
            for ((u, p), v) in self.u_interneuron[i].iter_mut().zip(partner).zip(v_i) {
                let teaching = Self::teaching(nudging, g_som, *u, *p) * dt;
                *u = *u * decay + v * gain + teaching;
            }
            add(&mut self.u_interneuron[i], xi(n_hidden + i));
        }
        for i in 0..n_hidden {
            let (decay, g_b, g_a) = (self.decay_hidden, self.dt_g_b, self.dt_g_a);
            let (v_b, v_a) = (&self.basal[i], &self.apical[i]);
            for ((u, b), a) in self.u_hidden[i].iter_mut().zip(v_b).zip(v_a) {
                *u = *u * decay + b * g_b + a * g_a;
            }
            add(&mut self.u_hidden[i], xi(i));
        }
        let (decay, g_b) = (self.decay_output, self.dt_g_b);
        let v_b = &self.basal[n_hidden];
        match &self.target {
            Some(target) => {
                for ((u, b), t) in self.u_output.iter_mut().zip(v_b).zip(target) {
                    let teaching = Self::teaching(nudging, g_som, *u, *t) * dt;
                    *u = *u * decay + b * g_b + teaching;
                }
            }
            None => {
                for (u, b) in self.u_output.iter_mut().zip(v_b) {
                    *u = *u * decay + b * g_b;
                }
            }
        }
        add(&mut self.u_output, xi(2 * n_hidden));
        if self.input_gain >= 1.0 {
            self.input.copy_from_slice(&self.x);
        } else {
            let gain = self.input_gain;
            for (r, x) in self.input.iter_mut().zip(&self.x) {
                *r += (x - *r) * gain;
            }
        }
    }

    /// One step as [`Simulation::run`](crate::continuous::Simulation::run) takes it:
    /// compartments, plasticity (which may change the weights), then the Euler step from the
    /// compartments at the start.
    pub(crate) fn step(&mut self, noise: Option<&mut NoiseSource>) {
        let _ftz = FlushToZero::new();
        self.compartments();
        self.plasticity();
        self.euler(noise.map(NoiseSource::next_host));
    }

    /// A `[batch, n]` buffer as a tensor.
    fn batch_tensor(&self, values: &[f32]) -> Tensor<2> {
        tensor(
            values,
            [self.batch, values.len() / self.batch],
            &self.device,
        )
    }

    /// The current potentials as tensors.
    pub(crate) fn potentials(&self) -> Potentials {
        let t = |v: &Vec<f32>| self.batch_tensor(v);
        Potentials {
            input: t(&self.input),
            hidden: self.u_hidden.iter().map(t).collect(),
            interneuron: self.u_interneuron.iter().map(t).collect(),
            output: t(&self.u_output),
        }
    }

    /// The compartments at the start of the last step, as tensors.
    pub(crate) fn compartments_at_last_step(&self) -> Compartments {
        let t = |v: &Vec<f32>| self.batch_tensor(v);
        Compartments {
            hidden_rate: self.hidden_rate.iter().map(t).collect(),
            interneuron_rate: self.interneuron_rate.iter().map(t).collect(),
            output_rate: t(&self.output_rate),
            basal: self.basal.iter().map(t).collect(),
            top_down: self.top_down.iter().map(t).collect(),
            apical: self.apical.iter().map(t).collect(),
            interneuron_dendrite: self.interneuron_dendrite.iter().map(t).collect(),
        }
    }

    /// Writes the weights that learn back into `weights`.
    pub(crate) fn write_weights(&self, weights: &mut Weights) {
        let d = &self.device;
        for t in &self.traces {
            let m = self.matrix(t.rule);
            let (w, b) = weights.of_rule_mut(t.rule);
            *w = tensor(&m.w, [m.rows, m.cols], d);
            if let (Some(b), Some(host)) = (b, &m.b) {
                *b = tensor(host, [1, m.cols], d);
            }
        }
    }

    /// Writes everything back: the weights that learn, the potentials, and the traces (with
    /// any open window) into `plasticity`.
    pub(crate) fn finish(
        self,
        weights: &mut Weights,
        potentials: &mut Potentials,
        plasticity: Option<&mut LowPassPlasticity>,
    ) {
        self.write_weights(weights);
        *potentials = self.potentials();
        let d = &self.device;
        if let Some(p) = plasticity {
            p.set_steps(self.plastic_steps);
            for ((_, t), host) in p.traces_mut().into_iter().zip(self.traces) {
                let shape = |v: &[f32], n: usize| [v.len() / n, n];
                t.weight = host
                    .weight
                    .map(|w| tensor(&w, [host.n_pre, host.n_post], d));
                t.bias = host.bias.map(|b| tensor(&b, [1, host.n_post], d));
                if !host.pre.is_empty() {
                    t.pre = vec![tensor(&host.pre, shape(&host.pre, host.n_pre), d)];
                    t.post = vec![tensor(&host.post, shape(&host.post, host.n_post), d)];
                }
            }
        }
    }
}
