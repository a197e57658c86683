//! The command line: clap arguments → validated config → one function per command.
//!
//! Owns the exit codes (0 ok, 1 errors or failed rows, 2 bad usage, 130 interrupted), colour
//! and message-format decisions, and all terminal output. Library modules never print.

// These shadow the standard macros for every module of `cli`: the standard ones panic when
// stdout or stderr is closed (`reel render … 2>&1 | head -1`), and a panic in the batch's
// message loop used to deadlock the whole run (issue 15). A message nobody can read is dropped;
// the run goes on, saves its manifest and exits with its usual status.

/// `eprintln!` that ignores write errors (a closed stderr).
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `println!` that ignores write errors (a closed stdout).
macro_rules! println {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `print!` that ignores write errors (a closed stdout).
macro_rules! print {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

pub mod args;
pub mod check;
pub mod fmt;
pub mod fonts;
pub mod inspect;
pub mod progress;
pub mod render;
mod repeats;
mod report;
pub mod still;
mod studio;
pub mod summary;
pub mod watch;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

pub use args::Cli;
pub use report::Reporter;

/// Exit status of a command, mapped to the process exit code in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Everything worked (warnings allowed).
    Ok,
    /// Errors in the input, or some rows failed.
    Failed,
    /// Bad usage: arguments that make no sense.
    Usage,
    /// Stopped by Ctrl-C / SIGTERM.
    Interrupted,
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> ExitCode {
        ExitCode::from(match s {
            Status::Ok => 0,
            Status::Failed => 1,
            Status::Usage => 2,
            Status::Interrupted => 130,
        })
    }
}

/// Settings every command shares.
#[derive(Debug, Clone, Copy)]
pub struct Global {
    /// `--message-format json`.
    pub json: bool,
    /// Colour on stderr.
    pub color: bool,
}

impl Global {
    fn from_cli(cli: &Cli) -> Global {
        let color = match cli.color {
            args::ColorChoice::Always => true,
            args::ColorChoice::Never => false,
            args::ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stderr().is_terminal()
            }
        };
        Global {
            json: cli.message_format == args::MessageFormat::Json,
            color,
        }
    }
}

/// Runs the command line and decides the exit code (the only place that does).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let global = Global::from_cli(&cli);
    let result = dispatch(cli.command, &global);
    match result {
        Ok(status) => status.into(),
        // The reader of stdout went away (`reel build | head -1`): it has what it wanted.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // Infrastructure failure (IO, ffmpeg missing…): one line with its causes.
            let mut msg = format!("error: {e}");
            for cause in e.chain().skip(1) {
                msg.push_str(&format!("\n  caused by: {cause}"));
            }
            eprintln!("{msg}");
            ExitCode::from(1)
        }
    }
}

/// Whether `e` is, at its root, a write to a closed pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind())
                == Some(std::io::ErrorKind::BrokenPipe)
    })
}

fn dispatch(command: args::Command, global: &Global) -> anyhow::Result<Status> {
    match command {
        args::Command::Check(a) => check::check(a, global),
        args::Command::Build(a) => check::build(a, global),
        args::Command::Render(a) => render::run(a, global),
        args::Command::Summary(a) => summary::run(a, global),
        args::Command::Watch(a) => watch::run(a, global),
        args::Command::Still(a) => still::run(a, global),
        args::Command::Graph(a) => inspect::graph(a, global),
        args::Command::Import(a) => inspect::import(a, global),
        args::Command::Assets(a) => check::assets(a, global),
        args::Command::Probe(a) => inspect::probe(a, global),
        args::Command::Fmt(a) => fmt::run(a, global),
        args::Command::Fonts(a) => fonts::run(a),
        args::Command::Lsp => crate::lsp::run().map(|()| Status::Ok),
    }
}

/// `rows 3, 7 and 12 more` (1-based; two named, then a count).
pub(crate) fn rows_phrase(rows: &[usize]) -> String {
    const NAMED: usize = 2;
    let named: Vec<String> = rows
        .iter()
        .take(NAMED)
        .map(|r| (r + 1).to_string())
        .collect();
    match rows.len() {
        1 => format!("row {}", named[0]),
        n if n <= NAMED => format!("rows {}", named.join(" and ")),
        n => format!("rows {} and {} more", named.join(", "), n - NAMED),
    }
}
