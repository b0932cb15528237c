//! `microcircuits sweep`: a grid × seeds as stacked replicas writes the same runs (within
//! float noise) as training them one after another, in `train`'s layout (eval reads them),
//! resumes after a kill to exactly the uninterrupted result, and refuses bad settings with
//! one line.

mod common;

use std::path::{Path, PathBuf};

use common::cli::{assert_fails_with, cli, cli_env, metrics, scratch, stderr, without_times};

/// A small microcircuit on the teacher task (no data files needed).
fn config(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("tiny.toml");
    std::fs::write(
        &path,
        "name = \"tiny\"\nepochs = 3\nbatch = 10\n[task]\nkind = \"teacher\"\ntrain = 400\n\
         [learner]\nkind = \"dendritic\"\nsizes = [30, 12, 10]\nlambda_output = 0.5\n\
         eta_up = [0.05]\neta_ip = [0.05]\n",
    )
    .unwrap();
    path
}

fn sweep(config: &Path, out: &Path, engine: &str, env: &[(&str, &str)]) -> std::process::Output {
    cli_env(
        &[
            "--quiet",
            "sweep",
            "--preset",
            config.to_str().unwrap(),
            "--seeds",
            "1..2",
            "--set",
            "eta_up=[0.05, [0.1, 0.02]]",
            "--set",
            "lr_decay=[1.0, 0.8]",
            "--replicas",
            "3",
            "--engine",
            engine,
            "--out",
            out.to_str().unwrap(),
        ],
        env,
    )
}

const POINTS: [&str; 4] = [
    "eta_up-0.05_lr_decay-1.0",
    "eta_up-0.05_lr_decay-0.8",
    "eta_up-0.1-0.02_lr_decay-1.0",
    "eta_up-0.1-0.02_lr_decay-0.8",
];

fn run_dirs(out: &Path) -> Vec<PathBuf> {
    POINTS
        .iter()
        .flat_map(|p| (1..=2).map(move |s| out.join("runs").join(p).join(format!("seed{s}"))))
        .collect()
}

/// Every number of a metrics file but the wall time, row by row.
fn numbers(csv: &str) -> Vec<Vec<f64>> {
    without_times(csv)
        .iter()
        .skip(1)
        .map(|l| l.split(',').filter_map(|v| v.parse().ok()).collect())
        .collect()
}

#[test]
fn stacked_replicas_write_the_runs_that_training_each_writes() {
    let root = scratch("sweep", "engines");
    let config = config(&root);
    let (stacked, each) = (root.join("stacked"), root.join("each"));
    let out = sweep(&config, &stacked, "stacked", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = sweep(&config, &each, "each", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    for (a, b) in run_dirs(&stacked).iter().zip(run_dirs(&each)) {
        let (x, y) = (numbers(&metrics(a)), numbers(&metrics(&b)));
        assert_eq!(x.len(), 3, "{}: three epochs", a.display());
        for (row_x, row_y) in x.iter().zip(&y) {
            assert_eq!(row_x.len(), row_y.len());
            for (column, (p, q)) in row_x.iter().zip(row_y).enumerate() {
                // Epoch, loss and errors to 1e-4; the probe's angles and potentials are
                // written rounded (to 3 and 6 decimals), so one rounding step more.
                let scale = p.abs().max(q.abs()).max(1e-3);
                let tol = if column < 4 {
                    1e-4 * scale
                } else {
                    1e-3 * scale + 2e-3
                };
                assert!((p - q).abs() <= tol, "{}: {p} vs {q}", a.display());
            }
        }
    }
    // Different points learned differently (the grid is not one run four times).
    let firsts: Vec<f64> = run_dirs(&stacked)
        .iter()
        .step_by(2)
        .map(|d| numbers(&metrics(d))[2][1])
        .collect();
    assert!(firsts.windows(2).all(|w| w[0] != w[1]), "{firsts:?}");
    // The table and the plot; every run is a run `eval` reads.
    let csv = std::fs::read_to_string(stacked.join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 8, "{csv}");
    assert!(csv.starts_with("eta_up,lr_decay,seed,best_epoch"), "{csv}");
    assert!(csv.contains("\"0.1,0.02\",0.8,2,"), "{csv}");
    let md = std::fs::read_to_string(stacked.join("sweep.md")).unwrap();
    assert_eq!(md.matches("| 2 |").count(), 4, "{md}");
    assert!(stacked.join("sweep.png").exists());
    let dir = &run_dirs(&stacked)[0];
    let out = cli(&["eval", "--checkpoint", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_stacked_sweep_over_what_cannot_share_a_stack_trains_it_in_separate_stacks() {
    let root = scratch("sweep", "unstackable");
    let config = config(&root);
    let out = root.join("out");
    let run = cli(&[
        "--quiet",
        "sweep",
        "--preset",
        config.to_str().unwrap(),
        "--seeds",
        "1..2",
        "--set",
        "sizes=[[30, 12, 10], [30, 8, 10]]",
        "--set",
        "w_pi_free_phase=[false, true]",
        "--set",
        "eta_pi=[0.05]",
        "--engine",
        "stacked",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 8, "{csv}");
    // The free phase changed what W_PI learned, so the two points differ.
    let point = |free: &str| {
        let dir = out
            .join("runs")
            .join(format!("sizes-30-12-10_w_pi_free_phase-{free}_eta_pi-0.05"))
            .join("seed1");
        numbers(&metrics(&dir))
    };
    let (a, b) = (point("false"), point("true"));
    assert_eq!(a.len(), 3);
    assert_ne!(a, b);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_killed_stacked_sweep_resumes_to_the_uninterrupted_result() {
    let root = scratch("sweep", "resume");
    let config = config(&root);
    let (whole, killed) = (root.join("whole"), root.join("killed"));
    let out = sweep(&config, &whole, "stacked", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Killed while committing epoch 2 of the first run: its weights written, no record.
    let out = sweep(
        &config,
        &killed,
        "stacked",
        &[("MICROCIRCUITS_TEST_ABORT_BEFORE_COMMIT", "2")],
    );
    assert!(!out.status.success(), "the hook aborts the sweep");
    assert!(!killed.join("sweep.csv").exists());
    let out = sweep(&config, &killed, "stacked", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    for (a, b) in run_dirs(&whole).iter().zip(run_dirs(&killed)) {
        assert_eq!(
            without_times(&metrics(a)),
            without_times(&metrics(&b)),
            "{}",
            b.display()
        );
    }
    // A finished sweep is reused: the rerun trains nothing and writes the same table.
    let before = std::fs::read_to_string(killed.join("sweep.csv")).unwrap();
    let out = sweep(&config, &killed, "stacked", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(killed.join("sweep.csv")).unwrap(),
        before
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn bad_sweep_settings_give_one_line_errors_and_a_non_zero_exit() {
    let root = scratch("sweep", "errors");
    let config = config(&root);
    let config = config.to_str().unwrap();
    let out = root.join("out");
    let out = out.to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["sweep", "--preset", config, "--out", out];
        args.extend_from_slice(extra);
        cli(&args)
    };
    assert_fails_with(&run(&["--set", "eta_upp=[1, 2]"]), "eta_up");
    assert_fails_with(&run(&["--set", "eta_up"]), "expected KEY=VALUES");
    assert_fails_with(&run(&["--set", "eta_up=[0.1,"]), "not a TOML value");
    assert_fails_with(&run(&["--set", "eta_up=[-1.0]"]), "eta_up");
    assert_fails_with(&run(&["--seeds", "4..2"]), "--seeds 4..2");
    assert_fails_with(&run(&["--replicas", "0"]), "--replicas");
    assert_fails_with(
        &cli(&["sweep", "--preset", "paper-mnist-nope", "--out", out]),
        "paper-mnist-nope",
    );
    assert!(!Path::new(out).join("sweep.csv").exists());
    let _ = std::fs::remove_dir_all(&root);
}
