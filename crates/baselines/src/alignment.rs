//! How closely a rule follows backprop: angles between its updates and the true gradient on
//! the same batch and weights, and between its feedback and forward weights.

use burn::tensor::Tensor;
use dendritic::diagnostics::angle_degrees;

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

/// Takes one training step of `learner` on the batch and measures how its update aligns with
/// backprop's gradient of the learner's own objective on the same batch and pre-step weights
/// (computed with Burn's autodiff on a copy of the forward weights). The feedback angles are
/// measured before the step. Reads a few scalars back to the host.
pub fn measure(
    learner: &mut dyn Learner,
    input: Tensor<2>,
    target: Tensor<2>,
) -> Result<Alignment> {
    let feedback = feedback_angles(learner);
    let objective = learner.objective();
    let mlp = learner.feedforward();
    let device = mlp.layers[0].weight.val().device().autodiff();
    let gradients = mlp.copy_to(&device).weight_gradients(
        input.clone().to_device(&device),
        target.clone().to_device(&device),
        objective,
    );
    let (_, updates) = learner.train_step_with_updates(input, target)?;
    let update = updates
        .into_iter()
        .zip(gradients)
        .map(|(update, gradient)| {
            update.and_then(|u| {
                let angle = angle_degrees(u, gradient.neg().inner());
                angle.is_finite().then_some(angle)
            })
        })
        .collect();
    Ok(Alignment { update, feedback })
}

/// The angle between each feedback matrix and its forward counterpart.
pub fn feedback_angles(learner: &dyn Learner) -> Vec<(usize, f64)> {
    learner
        .feedback_pairs()
        .into_iter()
        .map(|pair| (pair.layer, angle_degrees(pair.feedback, pair.forward)))
        .collect()
}
