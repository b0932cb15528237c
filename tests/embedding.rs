//! The microcircuit drops into a user's own Burn model and is saved and loaded with it.

mod common;

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor};
use common::{input_rates, max_abs_diff, target_rates};
use dendritic::{Microcircuit, MicrocircuitConfig, Precision};

/// A user's model: a dendritic feature extractor followed by a linear read-out.
#[derive(Module, Debug)]
struct UserModel {
    cortex: Microcircuit,
    readout: Linear,
}

impl UserModel {
    fn new(seed: u64, device: &Device) -> Self {
        Self {
            cortex: MicrocircuitConfig::new(vec![12, 8, 6])
                .with_seed(seed)
                .init(device)
                .unwrap(),
            readout: LinearConfig::new(6, 3).init(device),
        }
    }

    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.readout.forward(self.cortex.predict(x))
    }
}

#[test]
fn a_user_model_with_a_microcircuit_saves_and_loads_with_identical_predictions() {
    let device = Device::default();
    let mut model = UserModel::new(1, &device);
    // Learn a little so the saved weights are not the initial ones.
    let x = input_rates(10, 12, 5, &device, Precision::F32);
    let target = model
        .cortex
        .target_potential(target_rates(10, 6, 6, &device, Precision::F32));
    for _ in 0..5 {
        model.cortex.train_step(x.clone(), target.clone()).unwrap();
    }
    let before = model.forward(x.clone());

    let path = std::env::temp_dir().join(format!("dendritic-embedding-{}.bpk", std::process::id()));
    model.clone().save_file(&path).unwrap();
    let fresh = UserModel::new(2, &device);
    assert!(
        max_abs_diff(fresh.forward(x.clone()), before.clone()) > 1e-3,
        "fresh model differs"
    );
    // Burn reads the weights lazily from the file: keep it until the model has been used.
    let loaded = fresh.load_file(&path);
    let after = loaded.forward(x.clone());
    let params = loaded.cortex.num_params();
    std::fs::remove_file(&path).ok();

    assert_eq!(max_abs_diff(after, before), 0.0);
    assert_eq!(params, model.cortex.num_params());
}
