//! The command line contract: `train` writes config, CSV, JSON, PNG and a checkpoint; `eval`
//! reproduces the reported test error; `--resume` continues bit-identically; `compare` writes
//! the table and the plot; bad inputs give one-line errors and a non-zero exit.

mod common;

use std::path::{Path, PathBuf};

use common::cli::{assert_fails_with, cli, metrics, stderr, without_times};

fn scratch(name: &str) -> PathBuf {
    common::cli::scratch("cli", name)
}

fn mnist() -> Option<String> {
    let dir = microcircuits::data::mnist::shared_mnist_dir();
    if dir.is_none() {
        eprintln!("shared MNIST not found (set MNIST_DIR): skipping this CLI test");
    }
    dir.map(|d| d.display().to_string())
}

#[test]
fn train_writes_a_run_eval_reproduces_it_and_resume_is_exact() {
    let Some(data) = mnist() else { return };
    let root = scratch("train");
    let (one, two) = (root.join("one"), root.join("two"));
    let train = |out: &Path, epochs: &str| {
        cli(&[
            "-q",
            "train",
            "--preset",
            "paper-mnist-dtp",
            "--epochs",
            epochs,
            "--limit",
            "1000",
            "--data-dir",
            &data,
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let out = train(&one, "1");
    assert!(out.status.success(), "{}", stderr(&out));
    for file in [
        "config.toml",
        "metrics.csv",
        "metrics.json",
        "curves.png",
        "checkpoint/state.json",
        "checkpoint/model-e0001.bpk",
    ] {
        assert!(one.join(file).exists(), "{file} written");
    }

    // eval reproduces the reported test error exactly.
    let reported: f64 = metrics(&one)
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(3)
        .unwrap()
        .parse()
        .unwrap();
    let out = cli(&[
        "-q",
        "eval",
        "--checkpoint",
        one.to_str().unwrap(),
        "--data-dir",
        &data,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains(&format!("({reported})")),
        "eval printed {printed}, metrics say {reported}"
    );

    // Resuming after epoch 1 gives the metrics of an uninterrupted 2-epoch run.
    let out = cli(&[
        "-q",
        "train",
        "--resume",
        one.to_str().unwrap(),
        "--epochs",
        "2",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = train(&two, "2");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(without_times(&metrics(&one)), without_times(&metrics(&two)));
    assert_eq!(metrics(&two).lines().count(), 3);

    // A finished run is never overwritten.
    let out = train(&two, "2");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("already holds a run"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn compare_writes_the_table_and_the_plot() {
    let Some(data) = mnist() else { return };
    let out_dir = scratch("compare");
    // `compare` on the first 500 images into `out_dir`.
    let compare = |args: &[&str]| {
        let mut all = vec!["-q", "compare", "--limit", "500", "--data-dir", &data];
        all.extend_from_slice(args);
        all.extend(["--out", out_dir.to_str().unwrap()]);
        let out = cli(&all);
        assert!(out.status.success(), "{}", stderr(&out));
    };
    compare(&[
        "--preset",
        "paper-mnist",
        "--learners",
        "dendritic,bp",
        "--epochs",
        "1",
    ]);
    let csv = std::fs::read_to_string(out_dir.join("summary.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "learner,test_error_mean,test_error_std,seeds,epochs,epoch_seconds"
    );
    assert!(
        lines[1].starts_with("dendritic,") && lines[2].starts_with("bp,"),
        "{csv}"
    );
    assert!(out_dir.join("summary.md").exists() && out_dir.join("curves.png").exists());

    // A second piece merges its row into the same table; the Markdown shows the paper's
    // figures beside ours.
    compare(&["--learners", "fa", "--epochs", "1"]);
    let csv = std::fs::read_to_string(out_dir.join("summary.csv")).unwrap();
    let learners: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| &l[..l.find(',').unwrap()])
        .collect();
    assert_eq!(learners, ["dendritic", "bp", "fa"], "{csv}");
    let md = std::fs::read_to_string(out_dir.join("summary.md")).unwrap();
    assert!(
        md.contains("| dendritic |") && md.contains("| 1.96 |"),
        "{md}"
    );

    // More epochs extend a finished run from its checkpoint instead of starting over.
    let run = out_dir.join("runs/dendritic/seed1");
    let one_epoch = metrics(&run);
    // The microcircuit's run logs its mechanism on the probe batch; backprop's has nothing
    // to log.
    assert!(
        one_epoch.lines().next().unwrap().ends_with(
            "epoch_seconds,feedback_angle_1,feedback_angle_2,\
             update_angle_1,update_angle_2,update_angle_3,apical_1,apical_2"
        ),
        "{one_epoch}"
    );
    let angles: Vec<f64> = one_epoch
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .skip(5)
        .take(5)
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(
        angles.iter().all(|a| (0.0..=180.0).contains(a)),
        "{one_epoch}"
    );
    let bp = metrics(&out_dir.join("runs/bp/seed1"));
    assert!(
        bp.starts_with("epoch,train_loss,validation_error,test_error,epoch_seconds\n"),
        "{bp}"
    );
    compare(&["--learners", "dendritic", "--epochs", "2"]);
    let two_epochs = metrics(&run);
    assert_eq!(two_epochs.lines().count(), 3, "{two_epochs}");
    assert_eq!(
        without_times(&two_epochs)[..2],
        without_times(&one_epoch)[..],
        "{one_epoch}\n{two_epochs}"
    );

    // A second seed joins the row, and a later call without `--seeds` keeps it.
    compare(&["--learners", "dendritic", "--epochs", "2", "--seeds", "2"]);
    compare(&["--learners", "dendritic", "--epochs", "2"]);
    let csv = std::fs::read_to_string(out_dir.join("summary.csv")).unwrap();
    let dendritic = csv.lines().find(|l| l.starts_with("dendritic,")).unwrap();
    assert_eq!(dendritic.split(',').nth(3), Some("2"), "{csv}");
    std::fs::remove_dir_all(&out_dir).unwrap();
}

/// Fashion-MNIST through the same IDX path: the `fashion-mnist` comparison runs the
/// paper-MNIST presets on it.
#[test]
fn fashion_mnist_comparison_trains_on_the_shared_copy() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/fashion-mnist");
    if !dir.join("train-images-idx3-ubyte.gz").exists() {
        eprintln!(
            "shared Fashion-MNIST not found at {}: skipping",
            dir.display()
        );
        return;
    }
    let out_dir = scratch("fashion");
    let out = cli(&[
        "-q",
        "compare",
        "--preset",
        "fashion-mnist",
        "--learners",
        "fa",
        "--epochs",
        "1",
        "--limit",
        "2000",
        "--data-dir",
        dir.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let config = std::fs::read_to_string(out_dir.join("runs/fa/seed1/config.toml")).unwrap();
    assert!(config.contains("fashion-mnist"), "{config}");
    let csv = std::fs::read_to_string(out_dir.join("summary.csv")).unwrap();
    let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    let error: f64 = row[1].parse().unwrap();
    println!("Fashion-MNIST, fa, 1 epoch on 2,000 images: test error {error:.2} %");
    assert!(row[0] == "fa" && error < 50.0, "{csv}");
    std::fs::remove_dir_all(&out_dir).unwrap();
}

#[test]
fn bad_inputs_give_one_line_errors_and_a_non_zero_exit() {
    let root = scratch("errors");
    std::fs::create_dir_all(&root).unwrap();
    let check = |args: &[&str], needle: &str| assert_fails_with(&cli(args), needle);
    let out = root.join("run");
    let out = out.to_str().unwrap();

    // Missing data set.
    let empty = root.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    check(
        &[
            "train",
            "--preset",
            "paper-mnist-bp",
            "--data-dir",
            empty.to_str().unwrap(),
            "--out",
            out,
        ],
        "train-images-idx3-ubyte(.gz) not found",
    );
    // Corrupt data set file.
    let corrupt = root.join("corrupt");
    std::fs::create_dir_all(&corrupt).unwrap();
    std::fs::write(
        corrupt.join("train-images-idx3-ubyte"),
        [0u8, 0, 8, 3, 0, 0],
    )
    .unwrap();
    check(
        &[
            "train",
            "--preset",
            "paper-mnist-bp",
            "--data-dir",
            corrupt.to_str().unwrap(),
            "--out",
            out,
        ],
        "train-images-idx3-ubyte",
    );
    // Bad config values.
    let config = root.join("bad.toml");
    std::fs::write(
        &config,
        "name = \"x\"\nepochs = 1\n[task]\nkind = \"teacher\"\n[learner]\nkind = \"bp\"\n[learner.net]\nsizes = [30, 10]\n[learner.optim]\nlr = -1.0\n",
    )
    .unwrap();
    check(
        &["train", "--config", config.to_str().unwrap(), "--out", out],
        "learning rate",
    );
    std::fs::write(&config, "name = \"x\"\nepochs = 0\n[task]\nkind = \"teacher\"\n[learner]\nkind = \"bp\"\n[learner.net]\nsizes = [30, 10]\n").unwrap();
    check(
        &["train", "--config", config.to_str().unwrap(), "--out", out],
        "epochs must be at least 1",
    );
    check(
        &["train", "--preset", "nope", "--out", out],
        "unknown preset 'nope'",
    );
    // A corrupt gzip file: its cause is said once.
    let gz = root.join("gz");
    std::fs::create_dir_all(&gz).unwrap();
    std::fs::write(gz.join("train-images-idx3-ubyte.gz"), b"garbage").unwrap();
    let out_corrupt = cli(&[
        "train",
        "--preset",
        "paper-mnist-bp",
        "--data-dir",
        gz.to_str().unwrap(),
        "--out",
        out,
    ]);
    assert_fails_with(
        &out_corrupt,
        "train-images-idx3-ubyte.gz: unexpected end of file",
    );
    assert_eq!(
        stderr(&out_corrupt)
            .matches("unexpected end of file")
            .count(),
        1
    );
    let results = root.join("results");
    let results = results.to_str().unwrap();
    check(
        &["compare", "--learners", "dendritic,nope", "--out", results],
        "comparison 'paper-mnist': unknown learner 'nope' (known: dendritic, ",
    );
    check(
        &[
            "compare",
            "--learners",
            "bp",
            "--epochs",
            "0",
            "--out",
            results,
        ],
        "epochs must be at least 1",
    );
    // No seeds is refused (a usage error from clap), not read as one seed.
    let zero = cli(&[
        "compare",
        "--learners",
        "bp",
        "--seeds",
        "0",
        "--out",
        results,
    ]);
    assert!(!zero.status.success(), "{}", stderr(&zero));
    assert!(stderr(&zero).contains("--seeds"), "{}", stderr(&zero));
    // A checkpoint from an incompatible config.
    std::fs::write(&config, "name = \"x\"\nepochs = 1\n[task]\nkind = \"teacher\"\ntrain = 200\n[learner]\nkind = \"bp\"\n[learner.net]\nsizes = [30, 10]\n").unwrap();
    let ok = cli(&[
        "-q",
        "train",
        "--config",
        config.to_str().unwrap(),
        "--out",
        out,
    ]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let run_config = Path::new(out).join("config.toml");
    let text = std::fs::read_to_string(&run_config)
        .unwrap()
        .replace("30,\n    10,", "30,\n    12,");
    std::fs::write(&run_config, text).unwrap();
    check(&["eval", "--checkpoint", out], "model-e0001.bpk");
    std::fs::remove_dir_all(&root).unwrap();
}
