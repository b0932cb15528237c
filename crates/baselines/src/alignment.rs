//! How closely a rule follows backprop: angles between its updates and the true gradient on
//! the same batch and weights, and between its feedback and forward weights.

use burn::tensor::Tensor;
use dendritic::diagnostics::angle_degrees;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::learner::Learner;

/// Angles in degrees (0 = same direction, 90 = orthogonal).
#[derive(Debug, Clone, PartialEq)]
pub struct Alignment {
    /// Per layer (bottom to top): the angle between the rule's update and backprop's update
    /// `-∂L/∂W_l` (`None` where the layer did not learn or either is zero).
    pub update: Vec<Option<f64>>,
    /// `(layer, angle)` between each feedback matrix and the forward matrix it stands in for.
    pub feedback: Vec<(usize, f64)>,
}

/// Takes one training step of `learner` on the batch (at its configured rates) and measures
/// how its update aligns with backprop's gradient of the learner's own objective on the same
/// batch and pre-step weights (computed with Burn's autodiff on a copy of the forward
/// weights). The feedback angles are measured before the step. Reads a few scalars back to
/// the host.
pub fn measure(
    learner: &mut dyn Learner,
    input: Tensor<2>,
    target: Tensor<2>,
) -> Result<Alignment> {
    let feedback = feedback_angles(learner);
    let gradients = backprop_updates(learner, input.clone(), target.clone());
    let (_, updates) = learner.train_step_with_updates(input, target, 1.0)?;
    Ok(Alignment {
        update: angles(updates, gradients),
        feedback,
    })
}

/// What a training run logs each epoch to show that a rule works the way it claims, measured
/// on a fixed probe batch without changing the learner. Empty lists where the rule has no such
/// quantity (backprop has no feedback weights; only the microcircuit has apical dendrites).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    /// `(layer, angle in degrees)` between each feedback matrix and the forward matrix it
    /// stands in for (the microcircuit: `W_down_k` against `W_up_{k+1}ᵀ`).
    #[serde(default)]
    pub feedback: Vec<(usize, f64)>,
    /// Per layer, bottom to top: the angle in degrees between the update the rule would make
    /// on the probe batch and backprop's `-∂L/∂W_l` there (`None`: the layer does not learn).
    #[serde(default)]
    pub update: Vec<Option<f64>>,
    /// Mean `|v_A|` of each hidden layer with the target switched off.
    #[serde(default)]
    pub apical: Vec<f64>,
}

impl Probe {
    /// True when the rule reported nothing.
    pub fn is_empty(&self) -> bool {
        self.feedback.is_empty() && self.update.is_empty() && self.apical.is_empty()
    }
}

/// Measures a [`Probe`] of `learner` on one batch: its feedback angles,
/// [`Learner::probe_updates`] against backprop's gradient (Burn autodiff on a copy of the
/// forward weights), and [`Learner::apical_without_target`]. The learner is not changed.
pub fn probe(learner: &dyn Learner, input: Tensor<2>, target: Tensor<2>) -> Result<Probe> {
    let feedback = feedback_angles(learner);
    let updates = learner.probe_updates(input.clone(), target.clone())?;
    let update = if updates.is_empty() {
        Vec::new()
    } else {
        angles(
            updates,
            backprop_updates(learner, input.clone(), target.clone()),
        )
    };
    let apical = learner.apical_without_target(input)?;
    Ok(Probe {
        feedback,
        update,
        apical,
    })
}

/// Backprop's update `-∂L/∂W_l` of every layer of the learner's forward weights.
fn backprop_updates(learner: &dyn Learner, input: Tensor<2>, target: Tensor<2>) -> Vec<Tensor<2>> {
    let objective = learner.objective();
    let mlp = learner.feedforward();
    let device = mlp.layers[0].weight.val().device().autodiff();
    mlp.copy_to(&device)
        .weight_gradients(
            input.to_device(&device),
            target.to_device(&device),
            objective,
        )
        .into_iter()
        .map(|gradient| gradient.neg().inner())
        .collect()
}

/// Layer by layer, the angle between the rule's update and backprop's (finite ones only).
fn angles(updates: Vec<Option<Tensor<2>>>, backprop: Vec<Tensor<2>>) -> Vec<Option<f64>> {
    updates
        .into_iter()
        .zip(backprop)
        .map(|(update, gradient)| {
            update.and_then(|u| {
                let angle = angle_degrees(u, gradient);
                angle.is_finite().then_some(angle)
            })
        })
        .collect()
}

/// The angle between each feedback matrix and its forward counterpart.
pub fn feedback_angles(learner: &dyn Learner) -> Vec<(usize, f64)> {
    learner
        .feedback_pairs()
        .into_iter()
        .map(|pair| (pair.layer, angle_degrees(pair.feedback, pair.forward)))
        .collect()
}
