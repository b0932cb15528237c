//! `microcircuits serve` and `--device remote:ws://…` on loopback: work done through two
//! servers gives the table a local run gives, a client with a wrong token is refused (and the
//! server says so), and a server killed mid-run leaves a checkpoint that a rerun completes.

#![cfg(feature = "remote")]

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::cli::{assert_fails_with, cli, metrics, scratch, stderr, without_times};

const TOKEN: &str = "loopback-test-token";

/// A `serve` process on 127.0.0.1 (a free port), killed when dropped. Its output is drained
/// into `log` (a closed pipe would end it with SIGPIPE at its next log line).
struct Server {
    child: Child,
    url: String,
    log: Arc<Mutex<String>>,
    drains: Vec<std::thread::JoinHandle<()>>,
}

fn drain(
    from: impl Read + Send + 'static,
    log: &Arc<Mutex<String>>,
) -> std::thread::JoinHandle<()> {
    let log = Arc::clone(log);
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { return };
            let mut log = log.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    })
}

impl Server {
    fn start(token_file: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_microcircuits"))
            .args(["serve", "--port", "0", "--token-file"])
            .arg(token_file)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let url = line
            .trim()
            .strip_prefix("serving ")
            .unwrap_or_else(|| panic!("serve printed '{line}'"))
            .to_string();
        assert!(url.starts_with("ws://127.0.0.1:"), "{url}");
        let log = Arc::new(Mutex::new(String::new()));
        let drains = vec![
            drain(stdout, &log),
            drain(child.stderr.take().unwrap(), &log),
        ];
        Self {
            child,
            url,
            log,
            drains,
        }
    }

    fn device(&self) -> String {
        format!("remote:{}", self.url)
    }

    /// Kills the server and returns what it logged.
    fn kill(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for d in self.drains.drain(..) {
            let _ = d.join();
        }
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn token_file(dir: &Path, token: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(format!("token-{token}"));
    std::fs::write(&path, format!("{token}\n")).unwrap();
    path
}

/// A small feedback-alignment run on the teacher task (no data files; plain tensor ops, so a
/// remote flex device runs exactly what a local one runs).
fn fa_config(dir: &Path, epochs: usize, train: usize) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("fa.toml");
    std::fs::write(
        &path,
        format!(
            "name = \"fa\"\nepochs = {epochs}\nbatch = 10\n[task]\nkind = \"teacher\"\n\
             train = {train}\n[learner]\nkind = \"feedback\"\nrule = \"fa\"\n[learner.net]\n\
             sizes = [30, 20, 10]\n[learner.optim]\nlr = 0.05\nkind = {{ kind = \"sgd\" }}\n"
        ),
    )
    .unwrap();
    path
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_client_without_the_right_token_is_refused_and_the_server_logs_it() {
    let root = scratch("remote", "token");
    let server = Server::start(&token_file(&root, TOKEN));
    let config = fa_config(&root, 1, 100);
    let wrong = token_file(&root, "not-the-token");
    let train = |token: Option<&Path>| {
        let device = server.device();
        let mut args = vec!["-q", "--device", &device];
        if let Some(t) = token {
            args.extend(["--token-file", s(t)]);
        }
        let out = root.join("run");
        let _ = std::fs::remove_dir_all(&out);
        args.extend(["train", "--config", s(&config), "--out", s(&out)]);
        common::cli::cli_env(&args, &[("MICROCIRCUITS_REMOTE_TOKEN", "")])
    };
    assert_fails_with(&train(Some(&wrong)), "refused the token");
    assert_fails_with(&train(None), "needs a token");
    let ok = train(Some(&token_file(&root, TOKEN)));
    assert!(ok.status.success(), "{}", stderr(&ok));
    let log = server.kill();
    assert!(
        log.contains("serve: refused a session: WebSocket client 127.0.0.1:")
            && log.contains("wrong token"),
        "server log: {log}"
    );
    assert!(
        log.contains("session opened for WebSocket client 127.0.0.1:"),
        "{log}"
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_sweep_over_two_servers_writes_the_runs_of_a_local_sweep() {
    let root = scratch("remote", "sweep");
    let tokens = token_file(&root, TOKEN);
    let (a, b) = (Server::start(&tokens), Server::start(&tokens));
    let config = fa_config(&root, 2, 300);
    let sweep = |out: &Path, devices: Option<String>| {
        let mut args: Vec<String> = ["-q", "--token-file", s(&tokens), "sweep", "--preset"]
            .map(String::from)
            .to_vec();
        args.push(s(&config).into());
        for a in [
            "--seeds",
            "1..2",
            "--set",
            "lr_decay=[1.0,0.8]",
            "--out",
            s(out),
        ] {
            args.push(a.into());
        }
        if let Some(d) = devices {
            args.extend(["--devices".into(), d]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = cli(&args);
        assert!(out.status.success(), "{}", stderr(&out));
    };
    let (local, remote) = (root.join("local"), root.join("remote"));
    sweep(&local, None);
    sweep(&remote, Some(format!("{},{}", a.device(), b.device())));
    // sweep.csv without the mean epoch time (the column before the status).
    let table = |dir: &Path| {
        std::fs::read_to_string(dir.join("sweep.csv"))
            .unwrap()
            .lines()
            .map(|l| {
                let mut f: Vec<&str> = l.split(',').collect();
                f.remove(f.len() - 2);
                f.join(",")
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(table(&local).len(), 5, "{:?}", table(&local));
    assert_eq!(table(&local), table(&remote));
    // Every run's metrics, epoch by epoch.
    for point in std::fs::read_dir(local.join("runs")).unwrap() {
        let point = point.unwrap().file_name();
        for seed in ["seed1", "seed2"] {
            let run = |d: &Path| metrics(&d.join("runs").join(&point).join(seed));
            assert_eq!(without_times(&run(&local)), without_times(&run(&remote)));
        }
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_compare_over_two_servers_gives_the_local_table() {
    let Some(data) = microcircuits::data::mnist::shared_mnist_dir() else {
        eprintln!("shared MNIST not found (set MNIST_DIR): skipping this test");
        return;
    };
    let root = scratch("remote", "compare");
    let tokens = token_file(&root, TOKEN);
    let (a, b) = (Server::start(&tokens), Server::start(&tokens));
    let devices = format!("{},{}", a.device(), b.device());
    let compare = |out: &Path, devices: Option<&str>| {
        let mut args = vec!["-q", "--token-file", s(&tokens), "compare"];
        args.extend(["--learners", "bp,fa", "--seeds", "2", "--epochs", "1"]);
        args.extend(["--limit", "200", "--data-dir", data.to_str().unwrap()]);
        args.extend(["--out", s(out)]);
        if let Some(d) = devices {
            args.extend(["--devices", d]);
        }
        let out = cli(&args);
        assert!(out.status.success(), "{}", stderr(&out));
    };
    let (local, remote) = (root.join("local"), root.join("remote"));
    compare(&local, None);
    compare(&remote, Some(&devices));
    // summary.csv without the epoch time (the last column).
    let table = |dir: &Path| {
        std::fs::read_to_string(dir.join("summary.csv"))
            .unwrap()
            .lines()
            .map(|l| l.rsplit_once(',').unwrap().0.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(table(&local).len(), 3, "{:?}", table(&local));
    assert_eq!(table(&local), table(&remote));
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_sweep_that_loses_one_of_two_servers_finishes_on_the_other() {
    let root = scratch("remote", "lose");
    let tokens = token_file(&root, TOKEN);
    let config = fa_config(&root, 30, 2000);
    let sweep = |out: &Path, devices: Option<String>| {
        let mut args: Vec<String> = ["-q", "--token-file", s(&tokens), "sweep", "--preset"]
            .map(String::from)
            .to_vec();
        args.push(s(&config).into());
        for a in ["--set", "lr_decay=[1.0,0.9]", "--out", s(out)] {
            args.push(a.into());
        }
        if let Some(d) = devices {
            args.extend(["--devices".into(), d]);
        }
        Command::new(env!("CARGO_BIN_EXE_microcircuits"))
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (local, remote) = (root.join("local"), root.join("remote"));
    let out = sweep(&local, None).wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let (a, b) = (Server::start(&tokens), Server::start(&tokens));
    let client = sweep(&remote, Some(format!("{},{}", a.device(), b.device())));
    // Both runs start at once, one per server; kill one server two epochs in.
    let start = Instant::now();
    let epochs = |dir: &Path| {
        std::fs::read_to_string(dir.join("metrics.csv"))
            .map(|m| m.lines().count().saturating_sub(1))
            .unwrap_or(0)
    };
    let runs = || -> Vec<PathBuf> {
        std::fs::read_dir(remote.join("runs"))
            .map(|d| d.map(|e| e.unwrap().path().join("seed1")).collect())
            .unwrap_or_default()
    };
    while runs().iter().all(|r| epochs(r) < 2) {
        assert!(start.elapsed() < Duration::from_secs(120), "no epoch done");
        std::thread::sleep(Duration::from_millis(20));
    }
    a.kill();
    let out = client.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the job goes back on the list"),
        "{}",
        stderr(&out)
    );
    drop(b);
    for point in std::fs::read_dir(local.join("runs")).unwrap() {
        let point = point.unwrap().file_name();
        let run = |d: &Path| metrics(&d.join("runs").join(&point).join("seed1"));
        assert_eq!(without_times(&run(&local)), without_times(&run(&remote)));
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_server_killed_mid_run_leaves_a_checkpoint_that_a_rerun_completes() {
    let root = scratch("remote", "kill");
    let tokens = token_file(&root, TOKEN);
    let config = fa_config(&root, 40, 2000);
    let (local, remote) = (root.join("local"), root.join("remote"));
    let out = cli(&["-q", "train", "--config", s(&config), "--out", s(&local)]);
    assert!(out.status.success(), "{}", stderr(&out));

    let server = Server::start(&tokens);
    let device = server.device();
    let mut client = Command::new(env!("CARGO_BIN_EXE_microcircuits"))
        .args(["-q", "--device", &device, "--token-file", s(&tokens)])
        .args(["train", "--config", s(&config), "--out", s(&remote)])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let epochs_done = || {
        std::fs::read_to_string(remote.join("metrics.csv"))
            .map(|m| m.lines().count().saturating_sub(1))
            .unwrap_or(0)
    };
    let start = Instant::now();
    while epochs_done() < 2 {
        assert!(start.elapsed() < Duration::from_secs(120), "no epoch done");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill();
    // The client notices that its device is gone and stops (it must not hang).
    let start = Instant::now();
    let status = loop {
        if let Some(status) = client.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = client.kill();
            panic!("the client hung after its server was killed");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    let kept = epochs_done();
    assert!((2..40).contains(&kept), "{kept} epochs kept");

    let server = Server::start(&tokens);
    let device = server.device();
    let out = cli(&[
        "-q",
        "--device",
        &device,
        "--token-file",
        s(&tokens),
        "train",
        "--resume",
        s(&remote),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        without_times(&metrics(&local)),
        without_times(&metrics(&remote))
    );
    let _ = std::fs::remove_dir_all(&root);
}
