//! The paper's continuous-time experiments (Sacramento et al. 2018, Figs. 1, S1 and 2) and the
//! two disinhibition experiments (denoising and generation, `docs/disinhibition.md`), each
//! one call producing `<name>.png` and `<name>.csv` in an output folder.
//!
//! Parameters live in `presets/figures/<name>.toml` (compiled in); `quick` runs a short
//! miniature of the same experiment for tests.

mod denoise;
mod fig1;
mod fig2;
mod fig_s1;
mod generate;
mod topdown;

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

use crate::experiment::ExperimentError;
use crate::plot::{ImageGrid, LineChart, PlotError, write_image_grid, write_png};

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
    /// Denoising: corrupted MNIST digits classified feed-forward and after settling with the
    /// apical dendrites disinhibited (gate `g < 1`) and the input re-estimated from the
    /// top-down reconstruction; accuracy and reconstruction error against `g`.
    Denoise,
    /// Generation: the output clamped to each class, the apical dendrites disinhibited, the
    /// top-down pathway settled into pixel space; a BP classifier rates the ten images.
    Generate,
}

impl Figure {
    /// Every figure.
    pub const ALL: [Figure; 5] = [
        Figure::Fig1,
        Figure::FigS1,
        Figure::Fig2,
        Figure::Denoise,
        Figure::Generate,
    ];

    /// The name used on the command line and for the output files.
    pub fn name(self) -> &'static str {
        match self {
            Self::Fig1 => "fig1",
            Self::FigS1 => "figS1",
            Self::Fig2 => "fig2",
            Self::Denoise => "denoise",
            Self::Generate => "generate",
        }
    }

    /// The compiled-in parameters, `presets/figures/<name>.toml`.
    pub fn preset(self) -> &'static str {
        match self {
            Self::Fig1 => include_str!("../../presets/figures/fig1.toml"),
            Self::FigS1 => include_str!("../../presets/figures/figS1.toml"),
            Self::Fig2 => include_str!("../../presets/figures/fig2.toml"),
            Self::Denoise => include_str!("../../presets/figures/denoise.toml"),
            Self::Generate => include_str!("../../presets/figures/generate.toml"),
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
    #[error("unknown figure '{0}': expected fig1, figS1, fig2, denoise or generate")]
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
    /// Training or reusing a network the figure needs (data, run directory, learner).
    #[error(transparent)]
    Experiment(#[from] ExperimentError),
    /// A learner of the baselines crate refused its input.
    #[error(transparent)]
    Learner(#[from] baselines::BaselineError),
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
    /// The PNG written (for the digit figures, the picture of digits).
    pub png: PathBuf,
    /// A second PNG of curves, written by the digit figures (`<name>-curves.png`).
    pub curves_png: Option<PathBuf>,
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

/// How to run a figure.
#[derive(Debug, Clone)]
pub struct FigureOptions<'a> {
    /// Output folder (created if needed; the digit figures keep the networks they train in
    /// `runs/` under it and reuse them on the next call).
    pub out: PathBuf,
    /// A short miniature (seconds) instead of the full experiment (minutes).
    pub quick: bool,
    /// The device (the CLI's `--device`).
    pub device: &'a Device,
    /// The MNIST folder for the digit figures (default: the run presets' own).
    pub data_dir: Option<PathBuf>,
    /// Progress bars while the digit figures train their networks.
    pub progress: bool,
    /// Parameters to use instead of the compiled-in preset (a TOML file with every field of
    /// `presets/figures/<name>.toml`).
    pub preset: Option<PathBuf>,
}

impl<'a> FigureOptions<'a> {
    /// Quiet options for `out` on `device`: the full experiment, the presets' data folder.
    pub fn new(out: impl Into<PathBuf>, device: &'a Device) -> Self {
        Self {
            out: out.into(),
            quick: false,
            device,
            data_dir: None,
            progress: false,
            preset: None,
        }
    }

    /// The short miniature instead of the full experiment.
    pub fn quick(mut self, quick: bool) -> Self {
        self.quick = quick;
        self
    }
}

/// Runs `figure` and writes `<out>/<name>.png` and `<out>/<name>.csv` (the digit figures also
/// `<name>-curves.png` when they have curves).
pub fn run_figure(figure: Figure, options: &FigureOptions) -> Result<FigureReport, FigureError> {
    let out_dir = &options.out;
    fs::create_dir_all(out_dir).map_err(|source| FigureError::Io {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let start = Instant::now();
    let text = match &options.preset {
        Some(path) => fs::read_to_string(path).map_err(|source| FigureError::Io {
            path: path.clone(),
            source,
        })?,
        None => figure.preset().to_string(),
    };
    let (device, quick, preset) = (options.device, options.quick, text.as_str());
    let output = match figure {
        Figure::Fig1 => fig1::run(device, quick, preset)?,
        Figure::FigS1 => fig_s1::run(device, quick, preset)?,
        Figure::Fig2 => fig2::run(device, quick, preset)?,
        Figure::Denoise => denoise::run(options, preset)?,
        Figure::Generate => generate::run(options, preset)?,
    };
    let png = out_dir.join(format!("{}.png", figure.name()));
    let csv = out_dir.join(format!("{}.csv", figure.name()));
    let mut curves_png = None;
    match &output.images {
        Some(grid) => {
            write_image_grid(&png, grid)?;
            if !output.panels.is_empty() {
                let path = out_dir.join(format!("{}-curves.png", figure.name()));
                write_png(&path, &output.panels)?;
                curves_png = Some(path);
            }
        }
        None => write_png(&png, &output.panels)?,
    }
    write_csv(&csv, &output.labels, &output.columns)?;
    Ok(FigureReport {
        figure,
        png,
        curves_png,
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
    /// A picture of digits, drawn instead of the panels (which then go to `-curves.png`).
    images: Option<ImageGrid>,
    /// Text CSV columns (name, values), written before the numeric ones.
    labels: Vec<(String, Vec<String>)>,
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

fn write_csv(
    path: &Path,
    labels: &[(String, Vec<String>)],
    columns: &[(String, Vec<f64>)],
) -> Result<(), FigureError> {
    let io = |source| FigureError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut out = std::io::BufWriter::new(fs::File::create(path).map_err(io)?);
    let header: Vec<&str> = labels
        .iter()
        .map(|(n, _)| n.as_str())
        .chain(columns.iter().map(|(n, _)| n.as_str()))
        .collect();
    writeln!(out, "{}", header.join(",")).map_err(io)?;
    let rows = columns
        .iter()
        .map(|(_, v)| v.len())
        .chain(labels.iter().map(|(_, v)| v.len()))
        .max()
        .unwrap_or(0);
    for r in 0..rows {
        let line: Vec<String> = labels
            .iter()
            .map(|(_, v)| v.get(r).cloned().unwrap_or_default())
            .chain(
                columns
                    .iter()
                    .map(|(_, v)| v.get(r).map(|x| format!("{x}")).unwrap_or_default()),
            )
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
