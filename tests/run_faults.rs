//! Nothing lost, nothing silently wrong: a run that diverges stops and names the step, a
//! non-finite network never replaces a good checkpoint, a kill at the worst moment of a commit
//! resumes exactly, two runs cannot share a directory, a changed weights file or an impossible
//! record is refused, and an epoch that would take no step is an error. All on the paper's
//! regression task (generated, no data files needed).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use baselines::DendriticLearner;
use burn::module::Param;
use burn::tensor::Device;
use common::cli::{assert_fails_with, cli_env as cli, stderr, without_times};
use dendritic::MicrocircuitConfig;
use microcircuits::experiment::{ExperimentError, RunDir};

fn scratch(name: &str) -> PathBuf {
    let dir = common::cli::scratch("faults", name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A small microcircuit on the teacher task; `eta` is every bottom-up learning rate.
fn config(dir: &Path, eta: &str, train: usize) -> PathBuf {
    let text = format!(
        "name = \"faults\"\nepochs = 3\nbatch = 10\n\n[task]\nkind = \"teacher\"\ntrain = {train}\n\n\
         [learner]\nkind = \"dendritic\"\nsizes = [30, 20, 10]\neta_up = [{eta}, {eta}]\n"
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn train(config: &Path, out: &Path, epochs: &str, env: &[(&str, &str)]) -> Output {
    cli(
        &[
            "-q",
            "train",
            "--config",
            config.to_str().unwrap(),
            "--epochs",
            epochs,
            "--out",
            out.to_str().unwrap(),
        ],
        env,
    )
}

fn resume(out: &Path, epochs: &str) -> Output {
    cli(
        &[
            "-q",
            "train",
            "--resume",
            out.to_str().unwrap(),
            "--epochs",
            epochs,
        ],
        &[],
    )
}

fn metrics(dir: &Path) -> Vec<String> {
    without_times(&common::cli::metrics(dir))
}

#[test]
fn a_diverging_run_stops_at_the_first_bad_step_and_exits_non_zero() {
    let dir = scratch("diverge");
    let out = train(&config(&dir, "1e30", 500), &dir.join("run"), "2", &[]);
    assert_fails_with(&out, "diverged in epoch 1 at step ");
    assert!(stderr(&out).contains("no checkpoint was written"));
    assert!(RunDir::new(dir.join("run")).checkpoint().unwrap().is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_non_finite_network_never_replaces_the_last_good_checkpoint() {
    let dir = scratch("non-finite");
    let device = Device::default();
    let net = MicrocircuitConfig::new(vec![6, 5, 3])
        .init(&device)
        .unwrap();
    let mut learner = DendriticLearner::new(net, "poisoned");
    let run = RunDir::new(dir.join("run"));
    run.commit(&learner, 1).unwrap();
    let good = learner.net.output.w_up.val();

    let nan = good.clone().mul_scalar(f64::NAN);
    learner.net.output.w_up = Param::from_tensor(nan);
    let refused = run.commit(&learner, 2).unwrap_err();
    assert!(
        matches!(
            refused,
            ExperimentError::Learner(baselines::BaselineError::NonFinite { .. })
        ),
        "{refused}"
    );
    assert_eq!(run.checkpoint().unwrap().unwrap().epoch, 1);

    let mut restored = DendriticLearner::new(
        MicrocircuitConfig::new(vec![6, 5, 3])
            .with_seed(99)
            .init(&device)
            .unwrap(),
        "restored",
    );
    run.restore(&mut restored, 1).unwrap();
    let back = restored.net.output.w_up.val();
    assert_eq!(
        back.into_data(),
        good.into_data(),
        "the good weights came back"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_kill_between_the_weights_and_the_record_resumes_exactly() {
    let dir = scratch("kill");
    let config = config(&dir, "0.5", 200);
    let (killed, whole) = (dir.join("killed"), dir.join("whole"));
    // Aborts while committing epoch 2: its weights are on disk, its record is not.
    let out = train(
        &config,
        &killed,
        "3",
        &[("MICROCIRCUITS_TEST_ABORT_BEFORE_COMMIT", "2")],
    );
    assert!(!out.status.success(), "the hook aborted the run");
    assert_eq!(
        RunDir::new(&killed).checkpoint().unwrap().unwrap().epoch,
        1,
        "the record still names epoch 1"
    );
    let out = resume(&killed, "3");
    assert!(out.status.success(), "{}", stderr(&out));
    let out = train(&config, &whole, "3", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(metrics(&killed), metrics(&whole));
    let files: Vec<_> = std::fs::read_dir(killed.join("checkpoint"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files.len(), 2, "one weights file and its record: {files:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn resuming_for_fewer_epochs_than_trained_is_refused_and_changes_nothing() {
    let dir = scratch("shorter");
    let run = dir.join("run");
    let out = train(&config(&dir, "0.5", 100), &run, "2", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let before = (
        metrics(&run),
        std::fs::read_to_string(run.join("config.toml")).unwrap(),
    );
    let out = resume(&run, "1");
    assert_fails_with(
        &out,
        "holds a run trained for 2 epochs, more than the 1 asked for",
    );
    let after = (
        metrics(&run),
        std::fs::read_to_string(run.join("config.toml")).unwrap(),
    );
    assert_eq!(before, after, "nothing was rewritten");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_second_run_into_a_directory_in_use_is_refused() {
    let dir = scratch("lock");
    let run = RunDir::new(dir.join("run"));
    let held = run.lock().unwrap();
    let out = train(&config(&dir, "0.5", 100), run.root(), "1", &[]);
    assert_fails_with(&out, "in use by another run");
    assert!(!run.holds_run(), "the refused run wrote nothing");
    drop(held);
    let out = train(&config(&dir, "0.5", 100), run.root(), "1", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_changed_weights_file_or_an_impossible_record_is_refused_and_nothing_is_rewritten() {
    let dir = scratch("corrupt");
    let out_dir = dir.join("run");
    let out = train(&config(&dir, "0.5", 100), &out_dir, "1", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let run = RunDir::new(&out_dir);
    let config_before = std::fs::read_to_string(run.config()).unwrap();

    // One flipped byte in the weights.
    let model = run.model().unwrap();
    let mut bytes = std::fs::read(&model).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&model, &bytes).unwrap();
    for out in [
        resume(&out_dir, "2"),
        cli(
            &["-q", "eval", "--checkpoint", out_dir.to_str().unwrap()],
            &[],
        ),
    ] {
        assert!(!out.status.success());
        assert!(stderr(&out).contains("corrupt"), "{}", stderr(&out));
    }
    assert_eq!(
        std::fs::read_to_string(run.config()).unwrap(),
        config_before,
        "a failed resume leaves config.toml as it was"
    );

    // A record claiming more epochs than the metrics hold.
    bytes[middle] ^= 0xff;
    std::fs::write(&model, &bytes).unwrap();
    let record = out_dir.join("checkpoint/state.json");
    let text = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, text.replace("\"epoch\": 1", "\"epoch\": 7")).unwrap();
    assert_fails_with(
        &resume(&out_dir, "8"),
        "records epoch 7, but the metrics hold 1 epochs",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_epoch_that_would_take_no_step_is_an_error() {
    let dir = scratch("empty");
    let out = train(&config(&dir, "0.5", 5), &dir.join("run"), "1", &[]);
    assert_fails_with(
        &out,
        "5 training examples (after the validation split) make no batch of 10",
    );
    assert!(!RunDir::new(dir.join("run")).holds_run());
    std::fs::remove_dir_all(&dir).unwrap();
}
