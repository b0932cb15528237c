//! Seeded Gaussian noise for Euler-Maruyama: drawn on the host in chunks of many steps and
//! uploaded at once, so the same seed gives the same noise on every backend and in any
//! test order (Burn's device RNG is process-global), without an upload per step. With more
//! than one thread available, the next chunk is drawn on a helper thread while the current
//! one is used (the same numbers, off the step's critical path).

use std::thread::JoinHandle;

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

/// One chunk of noise and the generator after drawing it.
#[derive(Debug)]
struct Chunk {
    rng: StdRng,
    values: Vec<Vec<f32>>,
}

impl Chunk {
    /// Draws `rows × width` samples per group into `buffers` (reused).
    fn draw(
        mut rng: StdRng,
        mut buffers: Vec<Vec<f32>>,
        widths: &[usize],
        rows: usize,
        amplitude: f64,
    ) -> Self {
        buffers.resize_with(widths.len(), Vec::new);
        for (values, width) in buffers.iter_mut().zip(widths) {
            values.clear();
            crate::random::push_normals(&mut rng, values, rows * width, amplitude);
        }
        Self {
            rng,
            values: buffers,
        }
    }
}

/// A stream of [`NoiseStep`]s from a seeded host RNG.
#[derive(Debug)]
pub struct NoiseSource {
    /// The generator, while no chunk is being drawn on a helper thread.
    rng: Option<StdRng>,
    /// The next chunk being drawn on a helper thread (which holds the generator).
    pending: Option<JoinHandle<Chunk>>,
    /// Buffers of a used chunk, to draw the next one into.
    spare: Vec<Vec<f32>>,
    amplitude: f64,
    batch: usize,
    /// Widths of the soma groups: hidden.., interneuron.. (as wide as the layer above),
    /// output.
    widths: Vec<usize>,
    chunk_steps: usize,
    device: Device,
    dtype: DType,
    /// One `[chunk_steps * batch, n]` row-major block per soma group: hidden..,
    /// interneuron.., output.
    values: Vec<Vec<f32>>,
    /// The same blocks as tensors, uploaded when the tensor code first asks for them.
    chunk: Option<Vec<Tensor<2>>>,
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
        let n = sizes.len() - 1;
        let widths = (1..n)
            .map(|k| sizes[k])
            .chain((1..n).map(|k| sizes[k + 1]))
            .chain([sizes[n]])
            .collect();
        Self {
            rng: Some(StdRng::seed_from_u64(seed)),
            pending: None,
            spare: Vec::new(),
            amplitude,
            batch,
            widths,
            chunk_steps,
            device: device.clone(),
            dtype,
            values: Vec::new(),
            chunk: None,
            position: chunk_steps,
        }
    }

    /// Draws the next chunk when the current one is used up; returns the row range of the
    /// next step and moves past it.
    fn advance(&mut self) -> std::ops::Range<usize> {
        if self.position == self.chunk_steps {
            let rows = self.chunk_steps * self.batch;
            let (widths, amplitude) = (self.widths.clone(), self.amplitude);
            let Chunk { rng, values } = match self.pending.take() {
                Some(drawing) => drawing.join().expect("the noise thread does not panic"),
                None => Chunk::draw(
                    self.rng.take().expect("held while nothing is drawn"),
                    std::mem::take(&mut self.spare),
                    &widths,
                    rows,
                    amplitude,
                ),
            };
            // The used buffers take the next chunk: no fresh pages per chunk.
            let used = std::mem::replace(&mut self.values, values);
            if crate::parallel::threads() > 1 {
                self.pending = Some(std::thread::spawn(move || {
                    Chunk::draw(rng, used, &widths, rows, amplitude)
                }));
            } else {
                (self.rng, self.spare) = (Some(rng), used);
            }
            self.chunk = None;
            self.position = 0;
        }
        let rows = self.position * self.batch..(self.position + 1) * self.batch;
        self.position += 1;
        rows
    }

    /// The next step's noise as host rows, `[batch, n]` row-major per soma group (hidden..,
    /// interneuron.., output): the same numbers [`next_step`](Self::next_step) would give.
    pub(crate) fn next_host(&mut self) -> Vec<&[f32]> {
        let rows = self.advance();
        self.widths
            .iter()
            .zip(&self.values)
            .map(|(width, values)| &values[rows.start * width..rows.end * width])
            .collect()
    }

    /// The next step's noise.
    pub fn next_step(&mut self) -> NoiseStep {
        let rows = self.advance();
        if self.chunk.is_none() {
            self.chunk = Some(
                self.widths
                    .iter()
                    .zip(&self.values)
                    .map(|(&width, values)| {
                        Tensor::from_data(
                            TensorData::new(values.clone(), [values.len() / width, width]),
                            (&self.device, self.dtype),
                        )
                    })
                    .collect(),
            );
        }
        let n_hidden = (self.widths.len() - 1) / 2;
        let mut groups: Vec<Tensor<2>> = self
            .chunk
            .iter()
            .flatten()
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
