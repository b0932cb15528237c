//! The [`Simulation`] driver: presents input patterns (and targets) to the continuous-time
//! network for `t_pattern` each, with plasticity always on, and records chosen traces into
//! device tensors that are read back in chunks, never once per step.

use burn::tensor::{Device, Tensor};

use super::config::ContinuousConfig;
use super::dynamics::{Compartments, Membrane, Potentials};
use super::noise::NoiseSource;
use super::plasticity::LowPassPlasticity;
use super::weights::Weights;
use crate::config::{Init, MicrocircuitConfig};
use crate::disinhibition::Gates;
use crate::error::{DendriticError, Result};
use crate::microcircuit::Microcircuit;

/// A weight group, for [`Probe::WeightNorm`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WeightGroup {
    /// `W_up_k` (k = 1..=N).
    Up,
    /// `W_down_k` (hidden k).
    Down,
    /// `W_IP_k` (hidden k).
    Ip,
    /// `W_PI_k` (hidden k).
    Pi,
}

/// A quantity to record. Layer indices are the paper's: 1..N-1 hidden, N output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Probe {
    /// Filtered input rates `r_0`, `[batch · n_0]` per sample.
    InputRate,
    /// Somatic rates `φ(u_k)` of hidden layer `k`.
    HiddenRate(usize),
    /// Rates `φ(u_I,k)` of the interneurons of hidden layer `k`.
    InterneuronRate(usize),
    /// Output rates `φ(u_N)`.
    OutputRate,
    /// Somatic potentials `u_N` of the output cells.
    OutputPotential,
    /// Apical potentials `v_A,k` of hidden layer `k`.
    Apical(usize),
    /// Mean `|v_A,k|` over cells and batch (one number per sample).
    MeanAbsApical(usize),
    /// Frobenius norm of a weight matrix of layer `k` (one number per sample).
    WeightNorm(WeightGroup, usize),
}

/// Samples kept on the device before a read-back.
const FLUSH_EVERY: usize = 256;

/// Records [`Probe`]s every `every` steps. Samples stay on the device and are read back
/// [`FLUSH_EVERY`] at a time, one concatenated tensor per probe.
#[derive(Debug)]
pub struct Recorder {
    probes: Vec<Probe>,
    every: usize,
    pending: Vec<Vec<Tensor<2>>>,
    values: Vec<Vec<f32>>,
    widths: Vec<usize>,
    times: Vec<f64>,
}

impl Recorder {
    /// Records `probes` every `every` steps (at least 1).
    pub fn new(probes: Vec<Probe>, every: usize) -> Self {
        let n = probes.len();
        Self {
            probes,
            every: every.max(1),
            pending: vec![Vec::new(); n],
            values: vec![Vec::new(); n],
            widths: vec![0; n],
            times: Vec::new(),
        }
    }

    /// Whether the step numbered `step` (from 0) is recorded.
    fn due(&self, step: u64) -> bool {
        step.is_multiple_of(self.every as u64)
    }

    /// Whether a probe reads the weights.
    #[cfg_attr(not(feature = "flex"), allow(dead_code))]
    fn reads_weights(&self) -> bool {
        self.probes
            .iter()
            .any(|p| matches!(p, Probe::WeightNorm(..)))
    }

    fn record(&mut self, time: f64, w: &Weights, p: &Potentials, c: &Compartments) {
        self.times.push(time);
        for (i, probe) in self.probes.iter().enumerate() {
            let sample = probe_value(*probe, w, p, c);
            let [b, n] = sample.dims();
            self.widths[i] = b * n;
            self.pending[i].push(sample.reshape([1, b * n]));
        }
        if self.pending.first().is_some_and(|p| p.len() >= FLUSH_EVERY) {
            self.flush();
        }
    }

    fn flush(&mut self) {
        for (pending, values) in self.pending.iter_mut().zip(&mut self.values) {
            if pending.is_empty() {
                continue;
            }
            let block = Tensor::cat(std::mem::take(pending), 0);
            let data = block.into_data().convert::<f32>();
            values.extend(data.as_slice::<f32>().expect("f32 data"));
        }
    }

    /// Reads back what is left and returns the traces.
    pub fn finish(mut self) -> Traces {
        self.flush();
        Traces {
            probes: self.probes,
            widths: self.widths,
            values: self.values,
            times: self.times,
        }
    }
}

fn probe_value(probe: Probe, w: &Weights, p: &Potentials, c: &Compartments) -> Tensor<2> {
    let scalar = |t: Tensor<1>| t.reshape([1, 1]);
    match probe {
        Probe::InputRate => p.input.clone(),
        Probe::HiddenRate(k) => c.hidden_rate[k - 1].clone(),
        Probe::InterneuronRate(k) => c.interneuron_rate[k - 1].clone(),
        Probe::OutputRate => c.output_rate.clone(),
        Probe::OutputPotential => p.output.clone(),
        Probe::Apical(k) => c.apical[k - 1].clone(),
        Probe::MeanAbsApical(k) => scalar(c.apical[k - 1].clone().abs().mean()),
        Probe::WeightNorm(group, k) => {
            let m = match group {
                WeightGroup::Up => w.up(k).0,
                WeightGroup::Down => &w.hidden[k - 1].w_down,
                WeightGroup::Ip => &w.hidden[k - 1].w_ip,
                WeightGroup::Pi => &w.hidden[k - 1].w_pi,
            };
            scalar(m.clone().square().sum().sqrt())
        }
    }
}

/// Recorded traces: for each probe, one row of `width` values per sample.
#[derive(Debug, Clone)]
pub struct Traces {
    probes: Vec<Probe>,
    widths: Vec<usize>,
    values: Vec<Vec<f32>>,
    times: Vec<f64>,
}

impl Traces {
    /// Simulated time (ms) of every sample.
    pub fn times(&self) -> &[f64] {
        &self.times
    }

    /// The samples of `probe`, row-major `[samples, width]`, with the width (batch × cells).
    pub fn get(&self, probe: Probe) -> Option<(&[f32], usize)> {
        let i = self.probes.iter().position(|p| *p == probe)?;
        Some((&self.values[i], self.widths[i]))
    }

    /// Column `j` of `probe` over time (e.g. one cell of batch entry 0).
    pub fn column(&self, probe: Probe, j: usize) -> Vec<f64> {
        match self.get(probe) {
            Some((values, width)) if j < width => {
                values.chunks(width).map(|row| f64::from(row[j])).collect()
            }
            _ => Vec::new(),
        }
    }
}

/// The continuous-time microcircuit: weights, somatic potentials, filtered plasticity and
/// noise for a batch of independent input streams sharing the weights (batch 1 is the paper's
/// online case).
///
/// ```
/// use burn::tensor::{Device, Tensor};
/// use dendritic::continuous::{ContinuousConfig, Probe, Recorder, Simulation};
/// use dendritic::MicrocircuitConfig;
///
/// let device = Device::default();
/// let network = MicrocircuitConfig::new(vec![4, 3, 2]).with_eta_up(vec![0.01]);
/// let mut sim = Simulation::from_config(&network, ContinuousConfig::new(), 1, &device).unwrap();
/// let x = Tensor::<2>::from_floats([[0.2, 0.8, 0.5, 0.1]], &device);
/// let mut recorder = Recorder::new(vec![Probe::OutputRate, Probe::MeanAbsApical(1)], 10);
/// sim.run(&x, None, 200, Some(&mut recorder)).unwrap();
/// let traces = recorder.finish();
/// assert_eq!(traces.times().len(), 20);
/// ```
#[derive(Debug)]
pub struct Simulation {
    network: Microcircuit,
    config: ContinuousConfig,
    membrane: Membrane,
    weights: Weights,
    potentials: Potentials,
    plasticity: Option<LowPassPlasticity>,
    noise: Option<NoiseSource>,
    steps: u64,
    fast_path: bool,
}

impl Simulation {
    /// Builds the network of `network` on `device` and a simulation of `batch` streams. Under
    /// [`Init::SelfPredicting`] the interneurons are set up for the continuous dynamics
    /// ([`Weights::make_self_predicting`]): the core's steady-state construction uses other
    /// attenuation factors.
    pub fn from_config(
        network: &MicrocircuitConfig,
        config: ContinuousConfig,
        batch: usize,
        device: &Device,
    ) -> Result<Self> {
        config.check()?;
        config.check_time_step(network)?;
        let mut net = network.init(device)?;
        if network.init == Init::SelfPredicting {
            let mut weights = Weights::from_network(&net);
            weights.make_self_predicting(network);
            weights.write_to(&mut net);
        }
        Self::new(net, config, batch)
    }

    /// A simulation of `batch` streams driven by `network`'s weights, all somas at rest.
    pub fn new(network: Microcircuit, config: ContinuousConfig, batch: usize) -> Result<Self> {
        let net_config = network.config().clone();
        net_config.check()?;
        config.check()?;
        config.check_time_step(&net_config)?;
        if batch == 0 {
            return Err(DendriticError::BadContinuousParameter {
                name: "batch",
                value: 0.0,
                requirement: ">= 1",
            });
        }
        let weights = Weights::from_network(&network);
        let like = &weights.output.w_up;
        let potentials = Potentials::rest(&net_config.sizes, batch, like);
        let plasticity = Some(LowPassPlasticity::new(&net_config, &config, batch))
            .filter(LowPassPlasticity::is_active);
        let noise = (config.sigma > 0.0).then(|| {
            NoiseSource::new(
                config.noise_seed,
                config.sigma * config.dt.sqrt(),
                &net_config.sizes,
                batch,
                config.noise_chunk,
                &like.device(),
                like.dtype(),
            )
        });
        Ok(Self {
            membrane: Membrane::new(&net_config, &config),
            network,
            config,
            weights,
            potentials,
            plasticity,
            noise,
            steps: 0,
            fast_path: true,
        })
    }

    /// Runs the reference tensor code even where the CPU fast path applies (flex, f32;
    /// [`crate::cpu`]): for comparisons and checks. On by default; the two agree within
    /// 1e-5 (`tests/continuous_fast_path.rs`).
    pub fn with_fast_path(mut self, enabled: bool) -> Self {
        self.fast_path = enabled;
        self
    }

    /// Sets the disinhibition gates of every hidden layer ([`crate::disinhibition`]): the
    /// interneurons' inhibition of the apical compartments is scaled by them from the next
    /// step on. Plasticity stays on (switch it off with rates of 0 when the gates serve
    /// inference only).
    pub fn set_gates(&mut self, gates: Gates) -> Result<()> {
        gates.check(self.weights.hidden.len())?;
        self.membrane.gates = Some(gates);
        Ok(())
    }

    /// The continuous-time parameters.
    pub fn config(&self) -> &ContinuousConfig {
        &self.config
    }

    /// The network's configuration.
    pub fn network_config(&self) -> &MicrocircuitConfig {
        self.network.config()
    }

    /// The current weights.
    pub fn weights(&self) -> &Weights {
        &self.weights
    }

    /// The current somatic potentials.
    pub fn potentials(&self) -> &Potentials {
        &self.potentials
    }

    /// Rates and dendritic potentials at the current potentials.
    pub fn compartments(&self) -> Compartments {
        self.membrane.compartments(&self.weights, &self.potentials)
    }

    /// The membrane parameters.
    pub fn membrane(&self) -> &Membrane {
        &self.membrane
    }

    /// Simulated time in ms.
    pub fn time(&self) -> f64 {
        self.steps as f64 * self.config.dt
    }

    /// Euler steps taken.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The network with the current weights (a copy).
    pub fn network(&self) -> Microcircuit {
        let mut net = self.network.clone();
        self.weights.write_to(&mut net);
        net
    }

    /// Puts every soma back at rest and the input filter at 0 (weights and plasticity traces
    /// are kept).
    pub fn reset_potentials(&mut self) {
        let sizes = self.network.config().sizes.clone();
        let batch = self.potentials.batch_size();
        self.potentials = Potentials::rest(&sizes, batch, &self.weights.output.w_up);
    }

    fn check(&self, input: &Tensor<2>, target: Option<&Tensor<2>>) -> Result<()> {
        let batch = self.potentials.batch_size();
        let sizes = &self.network.config().sizes;
        let expect = |what: &'static str, t: &Tensor<2>, n: usize| {
            if t.dims() != [batch, n] {
                return Err(DendriticError::Shape {
                    what,
                    expected: vec![batch, n],
                    got: t.dims().to_vec(),
                });
            }
            Ok(())
        };
        expect("input", input, sizes[0])?;
        if let Some(t) = target {
            expect("target", t, sizes[sizes.len() - 1])?;
        }
        Ok(())
    }

    /// One Euler step with plasticity; returns the compartments at the start of the step.
    fn advance(&mut self, input: &Tensor<2>, target: Option<&Tensor<2>>) -> Compartments {
        let c = self.membrane.compartments(&self.weights, &self.potentials);
        if let Some(plasticity) = &mut self.plasticity {
            plasticity.step(&mut self.weights, &self.potentials, &c);
        }
        let noise = self.noise.as_mut().map(NoiseSource::next_step);
        let p = std::mem::replace(
            &mut self.potentials,
            Potentials {
                input: input.clone(),
                hidden: Vec::new(),
                interneuron: Vec::new(),
                output: input.clone(),
            },
        );
        self.potentials = self.membrane.euler_step(p, &c, input, target, noise);
        self.steps += 1;
        c
    }

    /// Runs `steps` Euler steps with `input` rates `[batch, n_0]` and an optional somatic
    /// `target` `[batch, n_N]` held fixed, recording into `recorder` when given.
    pub fn run(
        &mut self,
        input: &Tensor<2>,
        target: Option<&Tensor<2>>,
        steps: usize,
        mut recorder: Option<&mut Recorder>,
    ) -> Result<()> {
        self.check(input, target)?;
        #[cfg(feature = "flex")]
        if self.fast_path && crate::cpu::continuous::applies(&self.weights.output.w_up) {
            self.run_on_host(input, target, steps, recorder);
            return Ok(());
        }
        for _ in 0..steps {
            let due = recorder.as_ref().is_some_and(|r| r.due(self.steps));
            let time = self.time();
            let c = self.advance(input, target);
            if due && let Some(r) = recorder.as_deref_mut() {
                // The compartments are those at the start of the step, the weights after it.
                let p = self.potentials.clone();
                r.record(time, &self.weights, &p, &c);
            }
        }
        Ok(())
    }

    /// [`run`](Self::run) on the CPU fast path ([`crate::cpu::continuous`]): the same steps
    /// on host buffers, written back to the tensors at the end (and at each recording).
    #[cfg(feature = "flex")]
    fn run_on_host(
        &mut self,
        input: &Tensor<2>,
        target: Option<&Tensor<2>>,
        steps: usize,
        mut recorder: Option<&mut Recorder>,
    ) {
        let mut engine = crate::cpu::continuous::Engine::new(
            &self.membrane,
            &self.weights,
            &self.potentials,
            self.plasticity.as_mut(),
            input,
            target,
        );
        for _ in 0..steps {
            let due = recorder.as_ref().is_some_and(|r| r.due(self.steps));
            let time = self.time();
            engine.step(self.noise.as_mut());
            self.steps += 1;
            if due && let Some(r) = recorder.as_deref_mut() {
                if r.reads_weights() {
                    engine.write_weights(&mut self.weights);
                }
                let (p, c) = (engine.potentials(), engine.compartments_at_last_step());
                r.record(time, &self.weights, &p, &c);
            }
        }
        engine.finish(
            &mut self.weights,
            &mut self.potentials,
            self.plasticity.as_mut(),
        );
    }

    /// Presents each `(input, target)` pattern for `t_pattern` (plasticity on throughout).
    pub fn present<I>(&mut self, patterns: I, mut recorder: Option<&mut Recorder>) -> Result<()>
    where
        I: IntoIterator<Item = (Tensor<2>, Option<Tensor<2>>)>,
    {
        let steps = self.config.steps_per_pattern();
        for (input, target) in patterns {
            self.run(&input, target.as_ref(), steps, recorder.as_deref_mut())?;
        }
        Ok(())
    }

    /// Moves every soma (and the input filter) to the noise-free fixed point for a constant
    /// `input` and `target` ([`settled`](Self::settled)), as if they had been presented for
    /// a long time with frozen weights.
    pub fn settle_at(&mut self, input: &Tensor<2>, target: Option<&Tensor<2>>) -> Result<()> {
        self.check(input, target)?;
        self.potentials = self.settled(input, target)?;
        Ok(())
    }

    /// The noise-free fixed point of the dynamics for a constant `input` (and `target`),
    /// with the current weights, solved directly ([`Membrane::fixed_point`]). Does not change
    /// the simulation.
    pub fn settled(&self, input: &Tensor<2>, target: Option<&Tensor<2>>) -> Result<Potentials> {
        let sizes = &self.network.config().sizes;
        let start = Potentials::rest(sizes, input.dims()[0], &self.weights.output.w_up);
        // Converged when no potential moves by more than a few units of rounding.
        let tolerance = match input.dtype() {
            burn::tensor::DType::F64 => 1e-12,
            _ => 1e-6,
        };
        self.membrane
            .fixed_point(&self.weights, start, input, target, tolerance, 20_000)
    }
}
