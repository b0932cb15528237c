//! Quick (miniature) runs of the paper's figures: each writes its PNG and CSV and shows the
//! paper's effect.

use microcircuits::figures::{Figure, run_figure};

fn out_dir(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "microcircuits-figures-{name}-{}",
        std::process::id()
    ))
}

#[test]
fn fig1_quick_apical_error_rises_then_decays_and_output_reaches_target() {
    let dir = out_dir("fig1");
    let report = run_figure(Figure::Fig1, &dir, true).unwrap();
    eprintln!(
        "{}\n{:?} ({:.1} s)",
        report.summary, report.numbers, report.seconds
    );
    assert!(report.png.exists() && report.csv.exists());
    let n = |name| report.number(name).unwrap();
    assert!(n("apical_peak") > 10.0 * n("apical_before_target").max(1e-6));
    assert!(n("apical_final") < 0.1 * n("apical_peak"));
    assert!(n("prediction_relative_error_final") < 0.05);
    std::fs::remove_dir_all(&dir).unwrap();
}
