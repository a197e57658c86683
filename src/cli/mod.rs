//! The command line: clap arguments → validated config → one function per command.
//!
//! Owns the exit codes (0 ok, 1 errors or failed rows, 2 bad usage, 130 interrupted), colour
//! and message-format decisions, and all terminal output. Library modules never print.

pub mod args;

use std::process::ExitCode;

use clap::Parser;

pub use args::Cli;

/// Runs the command line and decides the exit code (the only place that does).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        _ => ExitCode::from(2),
    }
}
