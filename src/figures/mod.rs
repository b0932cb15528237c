//! The paper's continuous-time experiments (Sacramento et al. 2018, Figs. 1, S1 and 2), each
//! one call producing `<name>.png` and `<name>.csv` in an output folder.
//!
//! Parameters live in `presets/figures/<name>.toml` (compiled in); `quick` runs a short
//! miniature of the same experiment for tests.

mod fig1;
mod fig2;
mod fig_s1;

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use burn::tensor::{Device, Tensor, TensorData};
use dendritic::DendriticError;
use dendritic::continuous::ContinuousConfig;
use dendritic::{MicrocircuitConfig, Transfer};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;

use crate::plot::{LineChart, PlotError, write_png};

/// One of the paper's continuous-time figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Figure {
    /// Fig. 1: a new target at the output of a self-predicting network; the apical error
    /// rises, then decays as `W_up` learns, and the output converges to the target.
    Fig1,
    /// Fig. S1: from random weights, with no target, `W_IP` and `W_PI` learn the
    /// self-predicting state (apical potentials fall by orders of magnitude).
    FigS1,
    /// Fig. 2: the 30-50-10 student learns the 30-20-10 teacher online, beating a shallow
    /// learner; `W_up_2` aligns with the fixed random `W_down_1`.
    Fig2,
}

impl Figure {
    /// Every figure.
    pub const ALL: [Figure; 3] = [Figure::Fig1, Figure::FigS1, Figure::Fig2];

    /// The name used on the command line and for the output files.
    pub fn name(self) -> &'static str {
        match self {
            Self::Fig1 => "fig1",
            Self::FigS1 => "figS1",
            Self::Fig2 => "fig2",
        }
    }
}

impl fmt::Display for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Figure {
    type Err = FigureError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| FigureError::Unknown(s.to_string()))
    }
}

/// What went wrong while producing a figure.
#[derive(Debug, thiserror::Error)]
pub enum FigureError {
    /// Not a figure name.
    #[error("unknown figure '{0}': expected fig1, figS1 or fig2")]
    Unknown(String),
    /// A compiled-in preset that does not parse.
    #[error("preset {name}: {message}")]
    Preset {
        /// The preset's name.
        name: &'static str,
        /// The parser's message.
        message: String,
    },
    /// The model refused its parameters or failed to settle.
    #[error(transparent)]
    Model(#[from] DendriticError),
    /// Writing an output file.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Drawing the PNG.
    #[error(transparent)]
    Plot(#[from] PlotError),
}

/// What a figure run produced.
#[derive(Debug, Clone)]
pub struct FigureReport {
    /// Which figure.
    pub figure: Figure,
    /// The PNG written.
    pub png: PathBuf,
    /// The CSV written.
    pub csv: PathBuf,
    /// One paragraph: what the run shows, with its key numbers.
    pub summary: String,
    /// Key numbers by name (e.g. `final_error`, `apical_drop`).
    pub numbers: Vec<(String, f64)>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl FigureReport {
    /// The key number called `name`.
    pub fn number(&self, name: &str) -> Option<f64> {
        self.numbers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }
}

/// Runs `figure` and writes `out_dir/<name>.png` and `out_dir/<name>.csv`. `quick` runs a
/// short miniature (seconds) instead of the full experiment (minutes), on `device` (the
/// CLI's `--device`).
pub fn run_figure(
    figure: Figure,
    out_dir: &Path,
    quick: bool,
    device: &Device,
) -> Result<FigureReport, FigureError> {
    fs::create_dir_all(out_dir).map_err(|source| FigureError::Io {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let start = Instant::now();
    let output = match figure {
        Figure::Fig1 => fig1::run(device, quick)?,
        Figure::FigS1 => fig_s1::run(device, quick)?,
        Figure::Fig2 => fig2::run(device, quick)?,
    };
    let png = out_dir.join(format!("{}.png", figure.name()));
    let csv = out_dir.join(format!("{}.csv", figure.name()));
    write_png(&png, &output.panels)?;
    write_csv(&csv, &output.columns)?;
    Ok(FigureReport {
        figure,
        png,
        csv,
        summary: output.summary,
        numbers: output.numbers,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// A figure's key numbers with their names, as [`FigureReport::numbers`] holds them.
fn named(numbers: &[(&str, f64)]) -> Vec<(String, f64)> {
    numbers
        .iter()
        .map(|&(name, value)| (name.to_string(), value))
        .collect()
}

/// What an experiment hands back to [`run_figure`].
struct FigureOutput {
    panels: Vec<LineChart>,
    /// CSV columns (name, values); shorter columns are padded with empty cells.
    columns: Vec<(String, Vec<f64>)>,
    summary: String,
    numbers: Vec<(String, f64)>,
}

/// The network and dynamics sections every preset has.
#[derive(Debug, Deserialize)]
struct Model {
    network: MicrocircuitConfig,
    dynamics: ContinuousConfig,
}

fn parse_preset<T: serde::de::DeserializeOwned>(
    name: &'static str,
    text: &str,
) -> Result<T, FigureError> {
    toml::from_str(text).map_err(|e| FigureError::Preset {
        name,
        message: e.to_string(),
    })
}

fn write_csv(path: &Path, columns: &[(String, Vec<f64>)]) -> Result<(), FigureError> {
    let io = |source| FigureError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut out = std::io::BufWriter::new(fs::File::create(path).map_err(io)?);
    let header: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
    writeln!(out, "{}", header.join(",")).map_err(io)?;
    let rows = columns.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
    for r in 0..rows {
        let line: Vec<String> = columns
            .iter()
            .map(|(_, v)| v.get(r).map(|x| format!("{x}")).unwrap_or_default())
            .collect();
        writeln!(out, "{}", line.join(",")).map_err(io)?;
    }
    out.flush().map_err(io)
}

/// Seeded uniform `[rows, cols]` values in `[lo, hi)` on the host.
fn uniform(rng: &mut StdRng, rows: usize, cols: usize, lo: f64, hi: f64) -> Vec<f32> {
    (0..rows * cols)
        .map(|_| rng.random_range(lo..hi) as f32)
        .collect()
}

fn upload(values: Vec<f32>, rows: usize, cols: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values, [rows, cols]), device)
}

/// The traces every figure records (hidden-layer mean |v_A|, output rates, the first
/// interneuron's rate), one sample every `record_ms`.
fn recorder(record_ms: f64, dt: f64) -> dendritic::continuous::Recorder {
    use dendritic::continuous::{Probe, Recorder};
    let every = ((record_ms / dt).round() as usize).max(1);
    Recorder::new(
        vec![
            Probe::MeanAbsApical(1),
            Probe::OutputRate,
            Probe::InterneuronRate(1),
        ],
        every,
    )
}

fn seeded(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// Somatic target potentials `φ⁻¹(r)` for target rates.
fn target_potential(phi: Transfer, rates: Tensor<2>) -> Tensor<2> {
    phi.inverse(rates)
}

/// Host copy of a tensor.
fn host(t: Tensor<2>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("float tensor")
}

/// Points `(x, y)` from two columns.
fn points(x: &[f64], y: &[f64]) -> Vec<(f64, f64)> {
    x.iter().copied().zip(y.iter().copied()).collect()
}
