//! Raw command-line arguments (clap derive). Turned into a validated config by each command
//! before any work starts; nothing else in the crate sees these types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// reel: compile video templates (.edit or Shotstack JSON) with rows of data into videos.
///
/// One template plus a CSV, JSON or JSONL file of rows gives one video per row, rendered
/// locally by ffmpeg. Start with `reel render examples/promo/promo.edit -o out/`.
#[derive(Debug, Parser)]
#[command(name = "reel", version, about, long_about = None, propagate_version = true)]
#[command(after_help = "Docs: docs/language.md (the .edit language), README.md (tour)")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,

    /// Diagnostics format on stderr: `human` (ariadne) or `json` (one object per line).
    #[arg(long, global = true, value_enum, default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,

    /// Colour: auto (only on a terminal, and never with NO_COLOR set), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse, expand every row and validate; print diagnostics only.
    Check(CheckArgs),
    /// Write one Shotstack Edit JSON per row (to a directory, or JSONL to stdout).
    Build(BuildArgs),
    /// Render every row to a video: skip up-to-date outputs, keep going past bad rows.
    Render(RenderArgs),
    /// Render, then re-render what each saved change affects.
    Watch(WatchArgs),
    /// Print the ffmpeg command and filtergraph for one row.
    Graph(GraphArgs),
    /// Turn a Shotstack Edit JSON file into a readable .edit template.
    Import(ImportArgs),
    /// Show duration, size and streams of a media file, as the renderer sees them.
    Probe(ProbeArgs),
    /// Merge the summary.json files of several shards in an output directory.
    Summary(SummaryArgs),
}

/// `--message-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    /// Human-readable reports with source excerpts.
    Human,
    /// One JSON object per diagnostic, per line.
    Json,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal unless NO_COLOR is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The template and its data: shared by every command that expands rows.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// The template: a .edit file or a Shotstack Edit JSON file.
    pub template: PathBuf,

    /// Rows of data: .csv, .json (array or {"rows": [...]}) or .jsonl. Overrides the
    /// template's own `data` statement.
    #[arg(short, long, value_name = "FILE")]
    pub data: Option<PathBuf>,

    /// Set a field for every row (repeatable): `--set brand=Acme`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,

    /// CSV field delimiter: `,` (default), `;`, `tab` or any single character.
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,

    /// Only these rows, 1-based as a spreadsheet counts: `1-10,42`.
    #[arg(long, value_name = "LIST")]
    pub rows: Option<String>,
}

/// `reel check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    /// Template and data.
    pub input: InputArgs,
}

/// `reel build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    /// Template and data.
    pub input: InputArgs,

    /// Write one NAME.json per row into this directory.
    #[arg(short, long, value_name = "DIR", conflicts_with = "jsonl")]
    pub output: Option<PathBuf>,

    /// Write one Edit per line to stdout (the default when no -o is given).
    #[arg(long)]
    pub jsonl: bool,

    /// Keep `{{ NAME }}` placeholders and emit a `merge` array (for Shotstack's Templates API).
    #[arg(long)]
    pub keep_merge: bool,
}

/// `reel render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    /// Template and data.
    pub input: InputArgs,

    /// Output directory (default: `out/` beside the current directory).
    #[arg(short, long, value_name = "DIR", default_value = "out")]
    pub output: PathBuf,

    /// Jobs at once (default: one per core, each ffmpeg single-threaded; `-j 1` gives one
    /// job all the cores).
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,

    /// Low resolution and a fast preset, for iterating.
    #[arg(long)]
    pub preview: bool,

    /// Render even rows whose output is up to date.
    #[arg(long)]
    pub force: bool,

    /// Render only rows where index % N == K (0-based K): `--shard 0/4`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,

    /// Show what would render and why, render nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `reel watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    #[command(flatten)]
    /// Template and data.
    pub input: InputArgs,

    /// Output directory.
    #[arg(short, long, value_name = "DIR", default_value = "out")]
    pub output: PathBuf,

    /// Low resolution and a fast preset.
    #[arg(long)]
    pub preview: bool,

    /// Render only a still frame at this time (seconds) per row: the fastest loop.
    #[arg(long, value_name = "SECONDS")]
    pub frame: Option<f64>,

    /// Poll for changes instead of OS notifications (network filesystems, containers).
    #[arg(long)]
    pub poll: bool,

    /// Serve a page on 127.0.0.1 that shows the latest renders and reloads itself.
    #[arg(long)]
    pub serve: bool,

    /// Port for --serve (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
}

/// `reel graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    /// Template and data.
    pub input: InputArgs,

    /// Which row (1-based).
    #[arg(long, default_value_t = 1)]
    pub row: usize,

    /// Show the preview-quality command.
    #[arg(long)]
    pub preview: bool,
}

/// `reel import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A Shotstack Edit JSON file.
    pub json: PathBuf,

    /// Write the .edit here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `reel probe`.
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// A media file (video, audio, image).
    pub file: PathBuf,
}

/// `reel summary`.
#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// The output directory the shards wrote into.
    pub dir: PathBuf,
}
