//! `microcircuits`: train, compare and evaluate the dendritic microcircuit and its baselines.
//! Each subcommand lives in its own file under `commands/`.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use commands::{Global, compare, eval, figure, list, serve, sweep, train};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Dendritic cortical microcircuits (Sacramento et al. 2018) and the learning rules they are
/// compared with: train one, compare several, evaluate a checkpoint.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    /// Backend device: flex (CPU, default), ndarray, wgpu, cuda (if compiled in), or
    /// remote:ws://HOST:PORT (a `microcircuits serve` elsewhere).
    #[arg(long, global = true)]
    device: Option<String>,
    /// File whose first line is the token of `serve` and of remote devices [default: the
    /// environment variable MICROCIRCUITS_REMOTE_TOKEN].
    #[arg(long, global = true, value_name = "FILE")]
    token_file: Option<std::path::PathBuf>,
    /// No progress output.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Train(train::TrainArgs),
    Compare(compare::CompareArgs),
    Sweep(sweep::SweepArgs),
    Eval(eval::EvalArgs),
    Serve(serve::ServeArgs),
    Figure(figure::FigureArgs),
    /// List the presets.
    List,
}

/// A remote device whose server went away fails the next read of a tensor with a panic inside
/// Burn; that is a lost device, not a bug, so it gets one line instead of a backtrace. The run
/// directory keeps its last checkpoint (with `--devices`, another device resumes the job).
fn quiet_remote_failures() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        let remote = [
            "Failed to read tensor",
            "remote session",
            "Remote response channel",
        ];
        if remote.iter().any(|m| payload.contains(m)) {
            let detail = payload.lines().last().unwrap_or(payload).trim();
            eprintln!(
                "error: a remote device stopped answering ({detail}); the run directory keeps \
                 its last checkpoint: run the command again (train --resume DIR) once the \
                 server is back"
            );
        } else {
            default_hook(info);
        }
    }));
}

fn main() -> ExitCode {
    // Output piped into a command that stops reading (`microcircuits list | head -1`) ends
    // the process quietly, as for other command-line tools, instead of a panic in `println!`.
    #[cfg(unix)]
    // SAFETY: restores the default disposition of one signal before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    quiet_remote_failures();
    let cli = Cli::parse();
    let global = Global {
        device: cli.device,
        token_file: cli.token_file,
        progress: !cli.quiet,
    };
    let result = match cli.command {
        Command::Train(args) => train::run(args, &global),
        Command::Compare(args) => compare::run(args, &global),
        Command::Sweep(args) => sweep::run(args, &global),
        Command::Eval(args) => eval::run(args, &global),
        Command::Serve(args) => serve::run(args, &global),
        Command::Figure(args) => figure::run(args, &global),
        Command::List => {
            list::run();
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the error and its causes, no backtrace; a cause that the message
            // already quotes is not repeated.
            let mut line = e.to_string();
            for cause in e.chain().skip(1) {
                let cause = cause.to_string();
                if !line.contains(&cause) {
                    line = format!("{line}: {cause}");
                }
            }
            eprintln!("error: {line}");
            ExitCode::FAILURE
        }
    }
}
