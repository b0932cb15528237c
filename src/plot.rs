//! Line charts as PNG files (plotters), shared by the experiment reports and the figures.

use std::path::Path;

use plotters::prelude::*;

/// One named curve of a [`LineChart`].
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// (x, y) points in drawing order.
    pub points: Vec<(f64, f64)>,
    /// Drawn as dots, not a line, in the colour of the line series before it (e.g. every
    /// seed around the mean over seeds).
    pub markers: bool,
}

impl Series {
    /// A curve from its label and points.
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            label: label.into(),
            points,
            markers: false,
        }
    }

    /// Dots at `points`, in the colour of the line series added before it.
    pub fn markers(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            markers: true,
            ..Self::new(label, points)
        }
    }
}

/// One panel: a title, axis labels and curves, with an optional logarithmic y axis.
#[derive(Debug, Clone)]
pub struct LineChart {
    /// Panel title.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// Curves, drawn in order with a fixed palette.
    pub series: Vec<Series>,
    /// Logarithmic y axis (non-positive values are dropped).
    pub log_y: bool,
}

impl LineChart {
    /// An empty panel with linear axes.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            series: Vec::new(),
            log_y: false,
        }
    }

    /// Adds a curve.
    pub fn with_series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }

    /// Switches the y axis to a logarithmic scale.
    pub fn log_y(mut self) -> Self {
        self.log_y = true;
        self
    }
}

/// Error from drawing or writing a chart, with the file it concerns.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw {path}: {message}")]
pub struct PlotError {
    /// The PNG being written.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// Draws `panels` side by side (one row) into a PNG at `path`, 640 pixels wide each.
pub fn write_png(path: &Path, panels: &[LineChart]) -> Result<(), PlotError> {
    write_png_rows(path, &[panels.to_vec()])
}

/// Draws rows of panels into a PNG at `path`, each panel 640 × 480 pixels; a shorter row is
/// left-aligned.
pub fn write_png_rows(path: &Path, rows: &[Vec<LineChart>]) -> Result<(), PlotError> {
    let error = |message: String| PlotError {
        path: path.display().to_string(),
        message,
    };
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    if columns == 0 {
        return Err(error("no panels to draw".into()));
    }
    let size = (640 * columns as u32, 480 * rows.len() as u32);
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| error(e.to_string()))?;
    let areas = root.split_evenly((rows.len(), columns));
    for (r, row) in rows.iter().enumerate() {
        for (panel, area) in row.iter().zip(&areas[r * columns..]) {
            draw_panel(panel, area).map_err(error)?;
        }
    }
    root.present().map_err(|e| error(e.to_string()))
}

fn bounds(panel: &LineChart) -> Option<((f64, f64), (f64, f64))> {
    let points = panel
        .series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|(x, y)| x.is_finite() && y.is_finite() && (!panel.log_y || *y > 0.0));
    let mut x = (f64::INFINITY, f64::NEG_INFINITY);
    let mut y = (f64::INFINITY, f64::NEG_INFINITY);
    for &(px, py) in points {
        x = (x.0.min(px), x.1.max(px));
        y = (y.0.min(py), y.1.max(py));
    }
    if !x.0.is_finite() {
        return None;
    }
    let widen = |(lo, hi): (f64, f64), log: bool| {
        if hi > lo {
            (lo, hi)
        } else if log {
            (lo / 2.0, hi * 2.0)
        } else {
            (lo - 0.5, hi + 0.5)
        }
    };
    Some((widen(x, false), widen(y, panel.log_y)))
}

fn draw_panel(
    panel: &LineChart,
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
) -> Result<(), String> {
    let ((x0, x1), (y0, y1)) =
        bounds(panel).ok_or_else(|| format!("panel '{}' has no finite points", panel.title))?;
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(&panel.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60);
    let s = |e: &dyn std::fmt::Display| e.to_string();
    // Under one decade a log axis gets no tick labels from plotters: draw it linear.
    if panel.log_y && y1 >= 10.0 * y0 {
        let mut chart = builder
            .build_cartesian_2d(x0..x1, (y0..y1).log_scale())
            .map_err(|e| s(&e))?;
        draw_lines(&mut chart, panel, |y| y > 0.0)
    } else {
        let mut chart = builder
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| s(&e))?;
        draw_lines(&mut chart, panel, |_| true)
    }
}

/// Axes, one line per series (points with `keep(y)` only) and the legend.
fn draw_lines<'a, X, Y>(
    chart: &mut ChartContext<'a, BitMapBackend<'a>, Cartesian2d<X, Y>>,
    panel: &LineChart,
    keep: fn(f64) -> bool,
) -> Result<(), String>
where
    X: plotters::coord::ranged1d::Ranged<ValueType = f64>
        + plotters::coord::ranged1d::ValueFormatter<f64>,
    Y: plotters::coord::ranged1d::Ranged<ValueType = f64>
        + plotters::coord::ranged1d::ValueFormatter<f64>,
{
    let s = |e: &dyn std::fmt::Display| e.to_string();
    chart
        .configure_mesh()
        .x_desc(&panel.x_label)
        .y_desc(&panel.y_label)
        .draw()
        .map_err(|e| s(&e))?;
    let mut lines = 0usize;
    for series in &panel.series {
        if !series.markers {
            lines += 1;
        }
        let color = PALETTE[lines.saturating_sub(1) % PALETTE.len()];
        let points = series.points.iter().copied().filter(|&(_, y)| keep(y));
        if series.markers {
            let dot = move |p: (f64, f64)| Circle::new(p, 3, color.mix(0.6).filled());
            let drawn = chart.draw_series(points.map(dot)).map_err(|e| s(&e))?;
            if !series.label.is_empty() {
                drawn
                    .label(&series.label)
                    .legend(move |(x, y)| Circle::new((x + 10, y), 3, color.mix(0.6).filled()));
            }
            continue;
        }
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(|e| s(&e))?
            .label(&series.label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    legend(chart, panel)
}

fn legend<'a, X, Y>(
    chart: &mut ChartContext<'a, BitMapBackend<'a>, Cartesian2d<X, Y>>,
    panel: &LineChart,
) -> Result<(), String>
where
    X: plotters::coord::ranged1d::Ranged,
    Y: plotters::coord::ranged1d::Ranged,
{
    if panel.series.len() < 2 && panel.series.iter().all(|s| s.label.is_empty()) {
        return Ok(());
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| e.to_string())
}

/// Rows of grey-scale images (values in `[0, 1]`, row-major), each row with a label on its
/// left: digits as the denoising and generation figures show them.
#[derive(Debug, Clone)]
pub struct ImageGrid {
    /// Image width and height in pixels (e.g. 28 × 28).
    pub width: usize,
    /// Image height.
    pub height: usize,
    /// Labelled rows of images, drawn top to bottom.
    pub rows: Vec<(String, Vec<Vec<f32>>)>,
}

/// Screen pixels per image pixel, the gap between images and the label column's width.
const ZOOM: usize = 3;
const GAP: usize = 4;
const LABEL: usize = 170;

/// Draws `grid` into a PNG at `path`: black background, white strokes.
pub fn write_image_grid(path: &Path, grid: &ImageGrid) -> Result<(), PlotError> {
    let error = |message: String| PlotError {
        path: path.display().to_string(),
        message,
    };
    let columns = grid.rows.iter().map(|(_, r)| r.len()).max().unwrap_or(0);
    if columns == 0 {
        return Err(error("no images to draw".into()));
    }
    let (w, h) = (grid.width * ZOOM, grid.height * ZOOM);
    let size = (
        (LABEL + columns * (w + GAP) + GAP) as u32,
        (grid.rows.len() * (h + GAP) + GAP) as u32,
    );
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| error(e.to_string()))?;
    for (r, (label, images)) in grid.rows.iter().enumerate() {
        let top = (GAP + r * (h + GAP)) as i32;
        root.draw(&Text::new(
            label.as_str(),
            (6, top + h as i32 / 2 - 8),
            ("sans-serif", 15),
        ))
        .map_err(|e| error(e.to_string()))?;
        for (c, image) in images.iter().enumerate() {
            if image.len() != grid.width * grid.height {
                return Err(error(format!(
                    "image {c} of row '{label}' has {} pixels, not {} x {}",
                    image.len(),
                    grid.width,
                    grid.height
                )));
            }
            let left = (LABEL + c * (w + GAP)) as i32;
            for (i, &v) in image.iter().enumerate() {
                let grey = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
                let (x, y) = (
                    left + ((i % grid.width) * ZOOM) as i32,
                    top + ((i / grid.width) * ZOOM) as i32,
                );
                root.draw(&Rectangle::new(
                    [(x, y), (x + ZOOM as i32, y + ZOOM as i32)],
                    RGBColor(grey, grey, grey).filled(),
                ))
                .map_err(|e| error(e.to_string()))?;
            }
        }
    }
    root.present().map_err(|e| error(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_png_with_linear_and_log_panels() {
        let dir = std::env::temp_dir().join(format!("microcircuits-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("chart.png");
        let curve = |k: f64| {
            Series::new(
                format!("k = {k}"),
                (1..20).map(|i| (i as f64, k / i as f64)).collect(),
            )
        };
        let linear = LineChart::new("linear", "epoch", "error (%)")
            .with_series(curve(1.0))
            .with_series(curve(2.0));
        let log = LineChart::new("log", "step", "|v_A|")
            .with_series(curve(1.0))
            .log_y();
        write_png(&path, &[linear, log]).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        assert!(write_png(&path, &[]).is_err());
        let grid = ImageGrid {
            width: 2,
            height: 2,
            rows: vec![("clean".into(), vec![vec![0.0, 1.0, 0.5, 0.2]; 3])],
        };
        let digits = dir.join("digits.png");
        write_image_grid(&digits, &grid).unwrap();
        assert_eq!(&std::fs::read(&digits).unwrap()[1..4], b"PNG");
        let ragged = ImageGrid {
            rows: vec![("bad".into(), vec![vec![0.0; 3]])],
            ..grid
        };
        assert!(write_image_grid(&digits, &ragged).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
