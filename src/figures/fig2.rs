//! Fig. S1 placeholder.
use super::{FigureError, FigureOutput};
use burn::tensor::Device;
pub(super) fn run(_device: &Device, _quick: bool) -> Result<FigureOutput, FigureError> {
    todo!()
}
