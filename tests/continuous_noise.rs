//! Euler-Maruyama noise is seeded: the same seed gives identical traces, another seed
//! different ones.

mod common;

use burn::tensor::Device;
use common::input_rates;
use dendritic::continuous::{ContinuousConfig, Probe, Recorder, Simulation};
use dendritic::{MicrocircuitConfig, Precision};

fn traces(noise_seed: u64) -> Vec<f32> {
    let device = Device::default();
    let network = MicrocircuitConfig::new(vec![8, 6, 4])
        .with_g_a(0.8)
        .with_g_som(0.8)
        .with_eta_up(vec![0.01])
        .with_eta_ip(vec![0.01])
        .with_seed(4);
    let config = ContinuousConfig::new()
        .with_sigma(0.3)
        .with_noise_seed(noise_seed)
        .with_noise_chunk(64);
    let mut sim = Simulation::from_config(&network, config, 2, &device).unwrap();
    let x = input_rates(2, 8, 9, &device, Precision::F32);
    let mut recorder = Recorder::new(vec![Probe::OutputRate, Probe::Apical(1)], 5);
    sim.run(&x, None, 300, Some(&mut recorder)).unwrap();
    let traces = recorder.finish();
    let (out, _) = traces.get(Probe::OutputRate).unwrap();
    let (apical, _) = traces.get(Probe::Apical(1)).unwrap();
    out.iter().chain(apical).copied().collect()
}

#[test]
fn same_seed_gives_identical_traces_and_another_seed_differs() {
    let a = traces(1);
    let b = traces(1);
    let c = traces(2);
    assert_eq!(a, b);
    let diff = a
        .iter()
        .zip(&c)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert!(diff > 1e-3, "different seeds differ by only {diff}");
}
