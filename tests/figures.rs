//! Quick (miniature) runs of the paper's figures: each writes its PNG and CSV and shows the
//! paper's effect.

use burn::tensor::Device;
use microcircuits::figures::{Figure, FigureOptions, run_figure};

fn out_dir(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "microcircuits-figures-{name}-{}",
        std::process::id()
    ))
}

#[test]
fn fig1_quick_apical_error_rises_then_decays_and_output_reaches_target() {
    let dir = out_dir("fig1");
    let report = run_figure(
        Figure::Fig1,
        &FigureOptions::new(&dir, &Device::default()).quick(true),
    )
    .unwrap();
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

#[test]
fn fig_s1_quick_self_predicting_state_emerges_from_random_weights() {
    let dir = out_dir("figS1");
    let report = run_figure(
        Figure::FigS1,
        &FigureOptions::new(&dir, &Device::default()).quick(true),
    )
    .unwrap();
    eprintln!(
        "{}\n{:?} ({:.1} s)",
        report.summary, report.numbers, report.seconds
    );
    assert!(report.png.exists() && report.csv.exists());
    let drop = report.number("apical_drop").unwrap();
    assert!(drop >= 10.0, "mean |v_A| fell only {drop}x");
    assert!(
        report.number("interneuron_mismatch_last").unwrap()
            < 0.5 * report.number("interneuron_mismatch_first").unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fig2_quick_student_beats_shallow_learner_and_aligns_with_feedback() {
    let dir = out_dir("fig2");
    let report = run_figure(
        Figure::Fig2,
        &FigureOptions::new(&dir, &Device::default()).quick(true),
    )
    .unwrap();
    eprintln!(
        "{}\n{:?} ({:.1} s)",
        report.summary, report.numbers, report.seconds
    );
    assert!(report.png.exists() && report.csv.exists());
    let csv = std::fs::read_to_string(&report.csv).unwrap();
    assert!(csv.starts_with("patterns,test_error"));
    let n = |name| report.number(name).unwrap();
    // Seeded run (1 920 examples in 32 streams): measured 0.051 against 0.067 for the shallow
    // learner and 0.071 for the mean target, angle 85.6° -> 63.5°.
    assert!(n("test_error_final") < 0.85 * n("shallow_test_error_final"));
    assert!(n("test_error_final") < 0.8 * n("test_error_mean_predictor"));
    assert!(n("angle_final") < n("angle_initial") - 10.0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn figure_names_round_trip() {
    for figure in Figure::ALL {
        assert_eq!(figure.to_string().parse::<Figure>().unwrap(), figure);
    }
    assert!("fig3".parse::<Figure>().is_err());
}

fn shared_mnist() -> Option<std::path::PathBuf> {
    let dir = microcircuits::data::mnist::shared_mnist_dir();
    if dir.is_none() {
        eprintln!("shared MNIST not found (set MNIST_DIR): skipping this figure test");
    }
    dir
}

#[test]
fn generate_quick_disinhibition_lets_the_clamped_class_reach_pixel_space() {
    let Some(data) = shared_mnist() else { return };
    let dir = out_dir("generate");
    let device = Device::default();
    let mut options = FigureOptions::new(&dir, &device).quick(true);
    options.data_dir = Some(data);
    let report = run_figure(Figure::Generate, &options).unwrap();
    eprintln!(
        "{}\n{:?} ({:.1} s)",
        report.summary, report.numbers, report.seconds
    );
    assert!(report.png.exists() && report.csv.exists());
    let csv = std::fs::read_to_string(&report.csv).unwrap();
    assert!(csv.starts_with("method,seed,clamped_class,classifier_label,network_label"));
    // One seed in quick mode, ten classes, three gates and the control.
    assert_eq!(csv.lines().count(), 1 + 10 * 4);
    let n = |name: &str| report.number(name).unwrap();
    // Inhibited, the interneurons cancel the top-down input and the ten classes give (nearly)
    // one picture; disinhibited, they differ. Measured (seed 1, 10,000 images, 2 epochs):
    // see the test's output.
    assert!(
        n("imagined_g0_class_spread") > 4.0 * n("imagined_g1_class_spread"),
        "spread closed {} open {}",
        n("imagined_g0_class_spread"),
        n("imagined_g1_class_spread")
    );
    // The networks were kept: a second call reuses them and gives the same numbers.
    let again = run_figure(Figure::Generate, &options).unwrap();
    assert_eq!(again.numbers, report.numbers);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn denoise_quick_writes_digits_and_accuracy_against_the_gate() {
    let Some(data) = shared_mnist() else { return };
    let dir = out_dir("denoise");
    let device = Device::default();
    let mut options = FigureOptions::new(&dir, &device).quick(true);
    options.data_dir = Some(data);
    let report = run_figure(Figure::Denoise, &options).unwrap();
    eprintln!(
        "{}\n{:?} ({:.1} s)",
        report.summary, report.numbers, report.seconds
    );
    assert!(report.png.exists() && report.csv.exists());
    assert!(report.curves_png.as_ref().is_some_and(|p| p.exists()));
    let csv = std::fs::read_to_string(&report.csv).unwrap();
    assert!(csv.starts_with("corruption,gate,seed,accuracy,reconstruction_error"));
    // Two corruptions × (feed-forward + five gates), one seed.
    assert_eq!(csv.lines().count(), 1 + 2 * 6);
    let n = |name: &str| report.number(name).unwrap();
    assert!(
        n("clean_accuracy") > 0.6,
        "clean accuracy {}",
        n("clean_accuracy")
    );
    // Corruption costs accuracy, and the reconstruction rule lowered its loss while training.
    assert!(n("occlusion_feedforward_accuracy") < n("clean_accuracy"));
    assert!(n("reconstruction_loss_last_pass") < n("reconstruction_loss_first_pass"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_figure_preset_file_replaces_the_built_in_one_and_bad_values_are_refused() {
    let dir = out_dir("preset");
    std::fs::create_dir_all(&dir).unwrap();
    let device = Device::default();
    let path = dir.join("generate.toml");
    let text = Figure::Generate
        .preset()
        .replace("gates = [1.0, 0.5, 0.0]", "gates = [1.0, 1.5]");
    std::fs::write(&path, text).unwrap();
    let mut options = FigureOptions::new(&dir, &device).quick(true);
    options.preset = Some(path.clone());
    let err = run_figure(Figure::Generate, &options)
        .unwrap_err()
        .to_string();
    assert!(err.contains("gate 1.5 is not in [0, 1]"), "{err}");
    std::fs::write(&path, "[experiment]\nseedz = [1]\n").unwrap();
    let err = run_figure(Figure::Generate, &options)
        .unwrap_err()
        .to_string();
    assert!(err.contains("seedz"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
