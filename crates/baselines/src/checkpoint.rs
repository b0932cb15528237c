//! Saving and loading a learner's weights: burnpack files written to a temporary name and
//! renamed, so a crash never leaves a torn checkpoint.

use std::path::Path;

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;

use crate::error::{BaselineError, Result};

/// Writes `module` to `path` atomically (temporary file, then rename). Weights that are not
/// all finite are refused with [`BaselineError::NonFinite`], so a diverged network never
/// replaces a good checkpoint.
pub fn save_module<M: Module>(module: &M, path: &Path) -> Result<()> {
    if !all_finite(module) {
        return Err(BaselineError::NonFinite {
            path: path.display().to_string(),
        });
    }
    let tmp = path.with_extension("tmp.bpk");
    let fail = |message: String| BaselineError::Checkpoint {
        path: path.display().to_string(),
        message,
    };
    module
        .clone()
        .save_file(&tmp)
        .map_err(|e| fail(e.to_string()))?;
    std::fs::rename(&tmp, path).map_err(|e| fail(e.to_string()))
}

/// Loads weights from `path` into `module` (which must have the same structure), reading
/// every tensor now so that the file may be replaced afterwards.
pub fn load_module<M: Module>(module: M, path: &Path) -> Result<M> {
    let module = module
        .try_load_file(path)
        .map_err(|e| BaselineError::Checkpoint {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
    module.visit(&mut Materialize);
    Ok(module)
}

/// Touches every float parameter (Burn loads burnpack tensors lazily).
struct Materialize;

impl ModuleVisitor for Materialize {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let _ = param.val();
    }
}

/// Whether every float parameter of `module` is finite (one scalar read per parameter).
pub fn all_finite<M: Module>(module: &M) -> bool {
    let mut check = Finite(true);
    module.visit(&mut check);
    check.0
}

struct Finite(bool);

impl ModuleVisitor for Finite {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if self.0 {
            self.0 = param.val().is_finite().all().into_scalar::<bool>();
        }
    }
}
