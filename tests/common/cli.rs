//! Running the `microcircuits` binary and reading what it wrote.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the binary with `args` and extra environment variables.
pub fn cli_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_microcircuits"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs")
}

/// Runs the binary with `args`.
pub fn cli(args: &[&str]) -> Output {
    cli_env(args, &[])
}

/// What the run printed on stderr.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts that the run failed with one line on stderr that contains `needle`.
pub fn assert_fails_with(out: &Output, needle: &str) {
    let err = stderr(out);
    assert!(!out.status.success(), "should fail: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "expected '{needle}' in: {err}");
}

/// A fresh (absent) scratch path under the temporary folder, unique to this process.
pub fn scratch(kind: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "microcircuits-{kind}-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A run's `metrics.csv`.
pub fn metrics(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("metrics.csv")).unwrap()
}

/// The metrics without the wall-time column (the fifth).
pub fn without_times(csv: &str) -> Vec<String> {
    csv.lines()
        .map(|l| {
            let mut fields: Vec<&str> = l.split(',').collect();
            fields.remove(4);
            fields.join(",")
        })
        .collect()
}
