//! Backprop through Burn's autodiff: the reference every local rule is measured against.

use burn::config::Config;
use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor};

use crate::checkpoint::{load_module, save_module};
use crate::learner::{Checkpoint, Diagnose, Learner, StepStats, check_batch, timed};
use crate::mlp::{Mlp, NetConfig};
use crate::objective::Objective;
use burn::optim::ModuleOptimizer;

use crate::optimizer::OptimizerConfig;

/// Backprop: an MLP and an optimiser.
#[derive(Config, Debug, PartialEq)]
pub struct BpConfig {
    /// The network.
    pub net: NetConfig,
    /// Optimiser and learning rate.
    #[config(default = "OptimizerConfig::new()")]
    pub optim: OptimizerConfig,
}

/// An MLP trained by backprop (Burn autodiff) with a `burn::optim` optimiser.
pub struct Backprop {
    /// The weights, on an autodiff device.
    pub mlp: Mlp,
    config: BpConfig,
    optim: ModuleOptimizer,
    last: Vec<Option<Tensor<2>>>,
}

impl BpConfig {
    /// Checks the network and the optimiser.
    pub fn check(&self) -> crate::Result<()> {
        self.net.check()?;
        self.optim.check().map_err(|e| e.within("bp"))
    }

    /// Builds the network on `device` (made an autodiff device here).
    pub fn init(&self, device: &Device) -> crate::Result<Backprop> {
        self.check()?;
        let mlp = self.net.init(&device.clone().autodiff())?;
        Ok(Backprop {
            last: vec![None; mlp.depth()],
            mlp,
            config: self.clone(),
            optim: self.optim.build(),
        })
    }
}

impl Backprop {
    /// The configuration it was built from.
    pub fn config(&self) -> &BpConfig {
        &self.config
    }
}

impl Learner for Backprop {
    fn name(&self) -> &str {
        "bp"
    }

    fn train_step(
        &mut self,
        input: Tensor<2>,
        target: Tensor<2>,
        rate: f64,
    ) -> crate::Result<StepStats> {
        check_batch(&self.config.net.sizes, &input, &target)?;
        let objective = self.objective();
        let device = self.mlp.layers[0].weight.device();
        let (input, target) = (input.to_device(&device), target.to_device(&device));
        timed(|| {
            let u_out = self.mlp.output(input, objective.transfer);
            let loss = objective.loss(u_out.clone().detach(), target.clone());
            let grads = objective.surrogate_loss(u_out, target).backward();
            self.last = self
                .mlp
                .layers
                .iter()
                .map(|l| l.weight.grad(&grads).map(|g| g.neg()))
                .collect();
            let grads = GradientsParams::from_grads(grads, &self.mlp);
            let mlp = std::mem::replace(&mut self.mlp, Mlp { layers: Vec::new() });
            self.mlp = self.optim.step(self.config.optim.lr * rate, mlp, grads);
            Ok(loss)
        })
    }

    fn predict(&self, input: Tensor<2>) -> Tensor<2> {
        let u = self.mlp.output(input, self.config.net.transfer).detach();
        self.objective().prediction(u)
    }

    fn objective(&self) -> Objective {
        self.config.net.objective()
    }
}

impl Checkpoint for Backprop {
    fn save(&self, path: &std::path::Path) -> crate::Result<()> {
        save_module(&self.mlp.valid(), path)
    }

    fn load(&mut self, path: &std::path::Path) -> crate::Result<()> {
        let device = self.mlp.layers[0].weight.device();
        let plain = load_module(self.mlp.valid(), path)?;
        self.mlp = plain.copy_to(&device);
        self.optim = self.config.optim.build();
        Ok(())
    }
}

impl Diagnose for Backprop {
    fn feedforward(&self) -> Mlp {
        self.mlp
            .copy_to(&self.mlp.layers[0].weight.device().inner())
    }

    fn last_updates(&self) -> Vec<Option<Tensor<2>>> {
        self.last.clone()
    }
}
