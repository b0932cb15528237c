//! Seeded Gaussian noise for Euler-Maruyama: drawn on the host in chunks of many steps and
//! uploaded at once, so the same seed gives the same noise on every backend and in any
//! test order (Burn's device RNG is process-global), without an upload per step.

use burn::tensor::{DType, Device, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// The noise of one step, `σ √dt ξ`, for every soma: `[batch, n]` each.
#[derive(Debug, Clone)]
pub struct NoiseStep {
    /// Hidden pyramidal cells, layers `1..N-1`.
    pub hidden: Vec<Tensor<2>>,
    /// Interneurons of hidden layers `1..N-1`.
    pub interneuron: Vec<Tensor<2>>,
    /// Output cells.
    pub output: Tensor<2>,
}

/// A stream of [`NoiseStep`]s from a seeded host RNG.
#[derive(Debug)]
pub struct NoiseSource {
    rng: StdRng,
    amplitude: f64,
    batch: usize,
    /// Widths of the hidden layers (their interneurons are as wide as the layer above).
    sizes: Vec<usize>,
    chunk_steps: usize,
    device: Device,
    dtype: DType,
    /// One `[chunk_steps * batch, n]` tensor per soma group: hidden.., interneuron.., output.
    chunk: Vec<Tensor<2>>,
    position: usize,
}

impl NoiseSource {
    /// Noise of amplitude `amplitude` (= `σ √dt`) for a network of layer `sizes`, seeded by
    /// `seed`, drawn `chunk_steps` steps at a time.
    pub fn new(
        seed: u64,
        amplitude: f64,
        sizes: &[usize],
        batch: usize,
        chunk_steps: usize,
        device: &Device,
        dtype: DType,
    ) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            amplitude,
            batch,
            sizes: sizes.to_vec(),
            chunk_steps,
            device: device.clone(),
            dtype,
            chunk: Vec::new(),
            position: chunk_steps,
        }
    }

    /// Samples of `N(0, amplitude²)`.
    fn normals(&mut self, count: usize) -> Vec<f32> {
        crate::random::normals(&mut self.rng, count, self.amplitude)
            .into_iter()
            .map(|v| v as f32)
            .collect()
    }

    fn refill(&mut self) {
        let n = self.sizes.len() - 1;
        let widths: Vec<usize> = (1..n)
            .map(|k| self.sizes[k])
            .chain((1..n).map(|k| self.sizes[k + 1]))
            .chain([self.sizes[n]])
            .collect();
        let rows = self.chunk_steps * self.batch;
        self.chunk = widths
            .into_iter()
            .map(|width| {
                let values = self.normals(rows * width);
                Tensor::from_data(
                    TensorData::new(values, [rows, width]),
                    (&self.device, self.dtype),
                )
            })
            .collect();
        self.position = 0;
    }

    /// The next step's noise.
    pub fn next_step(&mut self) -> NoiseStep {
        if self.position == self.chunk_steps {
            self.refill();
        }
        let rows = self.position * self.batch..(self.position + 1) * self.batch;
        self.position += 1;
        let n_hidden = self.sizes.len() - 2;
        let mut groups: Vec<Tensor<2>> = self
            .chunk
            .iter()
            .map(|c| c.clone().slice([rows.clone()]))
            .collect();
        let output = groups.pop().expect("output noise");
        let interneuron = groups.split_off(n_hidden);
        NoiseStep {
            hidden: groups,
            interneuron,
            output,
        }
    }
}
