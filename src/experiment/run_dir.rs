//! A run directory: its layout, its lock, and its checkpoint commit. Everything that knows a
//! file name of a run lives here.
//!
//! ```text
//! DIR/config.toml                 the resolved configuration
//! DIR/metrics.csv, metrics.json   every epoch so far
//! DIR/curves.png                  the plot of the metrics
//! DIR/checkpoint/state.json       the commit record: epoch, step count, weights file, CRC-32
//! DIR/checkpoint/model-e0007.bpk  the weights that record names
//! DIR/run.lock                    locked while a process trains in DIR
//! ```
//!
//! A checkpoint is committed by writing a new weights file next to the old one and then
//! replacing `state.json` (one rename). A process killed at any moment leaves either the old
//! record with its weights or the new record with its weights, never a mix; the CRC-32 in the
//! record catches a weights file changed afterwards.

use std::fs::File;
use std::path::{Path, PathBuf};

use baselines::Learner;
use serde::{Deserialize, Serialize};

use super::run::RunSummary;
use super::{ExperimentError, RunConfig};

/// The commit record of a checkpoint (`checkpoint/state.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Epochs trained.
    pub epoch: usize,
    /// The learner's step count ([`Learner::step_count`]).
    pub step_count: u64,
    /// The weights file, in the checkpoint folder (`model.bpk` in runs written before the
    /// commit record named it).
    #[serde(default = "legacy_model")]
    pub model: String,
    /// CRC-32 of the weights file (absent in runs written before checksums).
    #[serde(default)]
    pub crc32: Option<u32>,
}

fn legacy_model() -> String {
    "model.bpk".into()
}

/// The files of one run.
#[derive(Debug, Clone)]
pub struct RunDir {
    root: PathBuf,
}

/// Holds a run directory's lock until dropped (an advisory lock, released by the operating
/// system also when the process is killed).
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

/// Test-only: abort the process when committing this epoch, after its weights file is written
/// and before its record is (the worst moment for a kill); `tests/` use it.
const CRASH_HOOK: &str = "MICROCIRCUITS_TEST_ABORT_BEFORE_COMMIT";

impl RunDir {
    /// The run in `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Seed `seed` of `learner` in a comparison's results folder: `out/runs/<learner>/seed<k>`.
    pub fn of_seed(out: &Path, learner: &str, seed: u64) -> Self {
        Self::new(out.join("runs").join(learner).join(format!("seed{seed}")))
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// `config.toml`: the resolved configuration.
    pub fn config(&self) -> PathBuf {
        self.root.join("config.toml")
    }
    /// `metrics.csv`.
    pub fn csv(&self) -> PathBuf {
        self.root.join("metrics.csv")
    }
    /// `metrics.json`.
    pub fn json(&self) -> PathBuf {
        self.root.join("metrics.json")
    }
    /// `curves.png`.
    pub fn png(&self) -> PathBuf {
        self.root.join("curves.png")
    }
    fn checkpoint_dir(&self) -> PathBuf {
        self.root.join("checkpoint")
    }
    fn record(&self) -> PathBuf {
        self.checkpoint_dir().join("state.json")
    }

    /// Whether a run was started here (a configuration, metrics or a checkpoint exist).
    pub fn holds_run(&self) -> bool {
        self.config().exists() || self.csv().exists() || self.record().exists()
    }

    /// Whether the run here was started with `config` and never finished an epoch (only its
    /// configuration was written: killed during its first epoch, or a sweep's stack that
    /// had not begun), so that starting it afresh loses nothing.
    pub fn never_trained(&self, config: &RunConfig) -> bool {
        !self.csv().exists()
            && !self.record().exists()
            && self.load_config().is_ok_and(|saved| saved.same_run(config))
    }

    /// Creates the directory and takes its lock, or fails at once when another process holds
    /// it (two runs started into the same `--out`).
    pub fn lock(&self) -> Result<RunLock, ExperimentError> {
        std::fs::create_dir_all(&self.root).map_err(io(&self.root))?;
        let path = self.root.join("run.lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io(&path))?;
        match file.try_lock() {
            Ok(()) => Ok(RunLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => {
                Err(ExperimentError::Locked(self.root.clone()))
            }
            Err(std::fs::TryLockError::Error(e)) => Err(io(&path)(e)),
        }
    }

    /// The saved configuration.
    pub fn load_config(&self) -> Result<RunConfig, ExperimentError> {
        RunConfig::load(&self.config())
    }

    /// Writes the configuration.
    pub fn save_config(&self, config: &RunConfig) -> Result<(), ExperimentError> {
        write_atomic(&self.config(), config.to_toml().as_bytes())
    }

    /// The metrics of every epoch so far.
    pub fn summary(&self) -> Result<RunSummary, ExperimentError> {
        read_json(&self.json())
    }

    /// The last committed checkpoint, if any.
    pub fn checkpoint(&self) -> Result<Option<Checkpoint>, ExperimentError> {
        if !self.record().exists() {
            return Ok(None);
        }
        read_json(&self.record()).map(Some)
    }

    /// The last committed checkpoint, or the error that there is none.
    fn committed(&self) -> Result<Checkpoint, ExperimentError> {
        self.checkpoint()?
            .ok_or_else(|| ExperimentError::Checkpoint {
                path: self.record(),
                message: "no checkpoint here (has the run finished an epoch?)".into(),
            })
    }

    /// The weights file of the last committed checkpoint.
    pub fn model(&self) -> Result<PathBuf, ExperimentError> {
        Ok(self.checkpoint_dir().join(self.committed()?.model))
    }

    /// Saves the learner's weights after `epoch` and commits them with one rename of the
    /// record; then removes the weights of earlier commits. Non-finite weights are refused
    /// (the previous checkpoint stays).
    pub fn commit(&self, learner: &dyn Learner, epoch: usize) -> Result<(), ExperimentError> {
        let name = format!("model-e{epoch:04}.bpk");
        let dir = self.checkpoint_dir();
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let path = dir.join(&name);
        learner.save(&path)?;
        let crc32 = crc32(&path)?;
        if std::env::var(CRASH_HOOK).is_ok_and(|e| e == epoch.to_string()) {
            std::process::abort();
        }
        let record = Checkpoint {
            epoch,
            step_count: learner.step_count(),
            model: name.clone(),
            crc32: Some(crc32),
        };
        write_atomic(
            &self.record(),
            serde_json::to_string_pretty(&record)
                .expect("plain data")
                .as_bytes(),
        )?;
        // Weights no record names any more (a commit a kill interrupted leaves one too).
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))?.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            if file.ends_with(".bpk") && file != name {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(())
    }

    /// Loads the last committed checkpoint into `learner`, checking the weights against the
    /// record's CRC-32 and the epoch against the metrics (`epochs` saved so far).
    pub fn restore(
        &self,
        learner: &mut dyn Learner,
        epochs: usize,
    ) -> Result<Checkpoint, ExperimentError> {
        let checkpoint = self.committed()?;
        let model = self.checkpoint_dir().join(&checkpoint.model);
        let bad = |path: &Path, message: String| ExperimentError::Checkpoint {
            path: path.to_path_buf(),
            message,
        };
        if checkpoint.epoch == 0 || checkpoint.epoch > epochs {
            return Err(bad(
                &self.record(),
                format!(
                    "records epoch {}, but the metrics hold {epochs} epochs",
                    checkpoint.epoch
                ),
            ));
        }
        if let Some(expected) = checkpoint.crc32 {
            let found = crc32(&model)?;
            if found != expected {
                return Err(bad(
                    &model,
                    format!(
                        "corrupt: its CRC-32 is {found:08x}, the checkpoint record says {expected:08x}"
                    ),
                ));
            }
        }
        learner.load(&model)?;
        learner.set_step_count(checkpoint.step_count);
        Ok(checkpoint)
    }

    /// The run's metrics if it already covers `config.epochs` with the same configuration.
    pub fn finished(&self, config: &RunConfig) -> Option<RunSummary> {
        let saved = self.load_config().ok()?;
        if !saved.same_run(config) {
            return None;
        }
        let summary = self.summary().ok()?;
        (summary.epochs.len() >= config.epochs).then_some(summary)
    }

    /// A run started with the same configuration but fewer epochs is the same run, made
    /// longer: its saved configuration takes the new length, so it resumes from its last
    /// checkpoint. Nothing is written when the configurations differ otherwise.
    pub fn extend(&self, config: &RunConfig) -> Result<(), ExperimentError> {
        let Ok(mut saved) = self.load_config() else {
            return Ok(());
        };
        if saved.epochs < config.epochs {
            saved.epochs = config.epochs;
            if saved.same_run(config) {
                self.save_config(&saved)?;
            }
        }
        Ok(())
    }
}

/// CRC-32 of a file's bytes.
fn crc32(path: &Path) -> Result<u32, ExperimentError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    Ok(crc32fast::hash(&bytes))
}

pub(crate) fn io(path: &Path) -> impl Fn(std::io::Error) -> ExperimentError + '_ {
    move |e| ExperimentError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Writes `text` to `path` through a temporary file and a rename.
pub fn write_atomic(path: &Path, text: &[u8]) -> Result<(), ExperimentError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ExperimentError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    serde_json::from_str(&text).map_err(|e| ExperimentError::Checkpoint {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}
