//! Raw command-line arguments (clap derive). Turned into a validated config by each command
//! before any work starts; nothing else in the crate sees these types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// reel: compile video templates (.edit or Shotstack JSON) with rows of data into videos.
///
/// One template plus a CSV, JSON or JSONL file of rows gives one video per row, rendered
/// locally by ffmpeg. Start with `reel render examples/product-promo/promo.edit -o out/`.
#[derive(Debug, Parser)]
#[command(name = "reel", version, about, long_about = None, propagate_version = true)]
#[command(after_help = "Docs: docs/language.md (the .edit language), README.md (tour)")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,

    /// Diagnostics format on stderr: `human` (ariadne) or `json` (one object per line).
    #[arg(long, global = true, value_enum, default_value_t = MessageFormat::Human,
          hide_possible_values = true)]
    pub message_format: MessageFormat,

    /// Colour: auto (only on a terminal, and never with NO_COLOR set), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto,
          hide_possible_values = true)]
    pub color: ColorChoice,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse, expand every row and validate; print diagnostics only.
    #[command(
        after_help = "Examples:\n  reel check promo.edit                  every row of the template's own data\n  reel check promo.edit -d shop.csv      another data file\n  reel check doc.json --fetch            also ask each remote URL (HEAD, bounded time)"
    )]
    Check(CheckArgs),
    /// Write one Shotstack Edit JSON per row (to a directory, or JSONL to stdout).
    #[command(
        after_help = "Examples:\n  reel build promo.edit -o json/         one Shotstack Edit JSON per row\n  reel build promo.edit --jsonl | head   JSON lines on stdout\n  reel build promo.edit --keep-merge     Shotstack merge fields instead of data"
    )]
    Build(BuildArgs),
    /// Render every row to a video: skip up-to-date outputs, keep going past bad rows.
    #[command(
        after_help = "Examples:\n  reel render promo.edit -o out/         every row; unchanged rows are skipped\n  reel render promo.edit --rows 1-3 --preview   a quick look at three rows\n  reel render doc.json --url-map https://cdn.example.com/=media   remote media from a folder\n  reel render promo.edit --shard 2/4     the second quarter of the rows (clusters)"
    )]
    Render(RenderArgs),
    /// Render, then re-render what each saved change affects.
    #[command(
        after_help = "Examples:\n  reel watch promo.edit --preview        re-render what each save affects, small and fast\n  reel watch promo.edit --frame 2.5      one still per row at 2.5 s on every save\n  reel watch promo.edit --serve          a page at http://127.0.0.1:PORT with the renders"
    )]
    Watch(WatchArgs),
    /// Render one frame of one row to a PNG, full quality, seeking every input.
    #[command(
        after_help = "Examples:\n  reel still promo.edit --at 2.5 -o frame.png\n  reel still promo.edit --at 4 --row 3 -d shop.csv -o row3.png"
    )]
    Still(StillArgs),
    /// Print the ffmpeg command and filtergraph for one row.
    #[command(
        after_help = "Examples:\n  reel graph promo.edit                  the command for row 1\n  reel graph promo.edit --row 3 --at 2   the command `reel still` would run"
    )]
    Graph(GraphArgs),
    /// List every remote media URL with its cache file and state (cached, missing, mapped).
    #[command(
        after_help = "Examples:\n  reel assets doc.json                   what a render would download\n  reel assets doc.json --url-map https://cdn.example.com/=media --json"
    )]
    Assets(AssetsArgs),
    /// Turn a Shotstack Edit JSON file into a readable .edit template.
    #[command(
        after_help = "Examples:\n  reel import doc.json > doc.edit        then `reel build doc.edit` gives the same JSON"
    )]
    Import(ImportArgs),
    /// Show duration, size and streams of a media file, as the renderer sees them.
    #[command(after_help = "Examples:\n  reel probe clip.mp4")]
    Probe(ProbeArgs),
    /// Merge the summary.json files of several shards in an output directory.
    #[command(
        after_help = "Examples:\n  reel summary out/                      after `--shard K/N` runs into out/"
    )]
    Summary(SummaryArgs),
    /// Lay out .edit files canonically (indentation, blank lines); comments are kept.
    ///
    /// Examples: `reel fmt templates/` rewrites every .edit below templates/;
    /// `reel fmt --check promo.edit` prints a diff and exits 1 if it is not formatted.
    Fmt(FmtArgs),
    /// List the fonts text can use: families, styles and files.
    #[command(
        after_help = "Examples:\n  reel fonts                             every family text can use\n  reel fonts noto --json                 matching faces as JSON lines"
    )]
    Fonts(FontsArgs),
    /// Run the language server on stdin/stdout (for editors: see docs/editors.md).
    #[command(
        after_help = "Examples:\n  reel lsp                               started by an editor's LSP client, not by hand"
    )]
    Lsp,
}

/// `reel fmt`.
#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Do not write: print a diff and exit 1 if a file is not formatted.
    #[arg(long)]
    pub check: bool,

    /// Files or directories (every .edit below them); none: stdin to stdout.
    pub files: Vec<PathBuf>,
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

    /// Read media whose `src` starts with PREFIX from DIR instead (repeatable; before the
    /// template's `url-map` statements): `--url-map https://cdn.example.com/=media`.
    #[arg(long = "url-map", value_name = "PREFIX=DIR",
          value_parser = crate::render::urlmap::UrlMap::parse_arg)]
    pub url_map: Vec<(String, PathBuf)>,

    /// JSON data: the member holding the rows, for `{"matches": [...]}` (default `rows`).
    #[arg(long, value_name = "KEY")]
    pub rows_key: Option<String>,

    /// Only these rows, 1-based as a spreadsheet counts: `1-10,42`.
    #[arg(long, value_name = "LIST")]
    pub rows: Option<String>,

    /// Longest timeline accepted: a clip ending later is an error at its cell. Seconds, or
    /// with a unit: `90s`, `30m`, `4h`.
    #[arg(long, value_name = "TIME", default_value = "4h", env = "REEL_MAX_DURATION",
          value_parser = parse_seconds)]
    pub max_duration: f64,

    /// Largest data cell: a bigger one is an error at the cell. Bytes, or with a unit: `500k`,
    /// `1MiB`.
    #[arg(long, value_name = "SIZE", default_value = "1MiB", env = "REEL_MAX_CELL",
          value_parser = parse_bytes)]
    pub max_cell: u64,

    /// Where fonts come from.
    #[command(flatten)]
    pub fonts: FontArgs,
}

/// The font set: bundled, named (`timeline.fonts`), `--font-path` and system fonts.
#[derive(Debug, Clone, Args)]
pub struct FontArgs {
    /// Also use the fonts in this directory (repeatable; searched before system fonts). The
    /// env variable `REEL_FONT_PATHS` adds directories separated by `:`.
    #[arg(long = "font-path", value_name = "DIR")]
    pub font_paths: Vec<PathBuf>,

    /// Use only bundled, named and `--font-path` fonts: the same renders on every machine.
    #[arg(long)]
    pub ignore_system_fonts: bool,
}

impl FontArgs {
    /// The font options these flags (and `REEL_FONT_PATHS`) give.
    pub fn options(&self) -> crate::render::raster::FontOptions {
        let mut paths = self.font_paths.clone();
        paths.extend(crate::render::raster::env_font_paths());
        crate::render::raster::FontOptions {
            paths,
            system: !self.ignore_system_fonts,
        }
    }

    /// The font set these flags give.
    pub fn fonts(&self) -> crate::render::raster::Fonts {
        crate::render::raster::Fonts::new(self.options())
    }
}

/// `reel fonts`.
#[derive(Debug, Args)]
pub struct FontsArgs {
    /// Where fonts come from.
    #[command(flatten)]
    pub fonts: FontArgs,

    /// One JSON object per face, per line.
    #[arg(long)]
    pub json: bool,

    /// Only families whose name contains this (case-insensitive).
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,
}

/// Limits of downloads (`http(s)://` assets) and of the download cache.
#[derive(Debug, Clone, Args)]
pub struct NetArgs {
    /// Seconds allowed to connect to a server.
    #[arg(long, value_name = "TIME", default_value = "15s", env = "REEL_CONNECT_TIMEOUT",
          value_parser = parse_seconds)]
    pub connect_timeout: f64,

    /// A download that receives less than 1 KiB in this long fails (a server that stopped
    /// answering, or drips); also the time allowed for the response headers.
    #[arg(long, value_name = "TIME", default_value = "30s", env = "REEL_IDLE_TIMEOUT",
          value_parser = parse_seconds)]
    pub idle_timeout: f64,

    /// Time allowed for one whole download.
    #[arg(long, value_name = "TIME", default_value = "30m", env = "REEL_DOWNLOAD_TIMEOUT",
          value_parser = parse_seconds)]
    pub download_timeout: f64,

    /// Largest file downloaded: a bigger one is an error at the clip.
    #[arg(long, value_name = "SIZE", default_value = "2GiB", env = "REEL_MAX_DOWNLOAD",
          value_parser = parse_bytes)]
    pub max_download: u64,

    /// Size the download cache is trimmed to, least recently used files first.
    #[arg(long, value_name = "SIZE", default_value = "10GiB", env = "REEL_CACHE_SIZE",
          value_parser = parse_bytes)]
    pub cache_size: u64,
}

impl NetArgs {
    /// The limits these flags give.
    pub fn limits(&self) -> crate::render::fetch::FetchLimits {
        let secs = std::time::Duration::from_secs_f64;
        crate::render::fetch::FetchLimits {
            connect_timeout: secs(self.connect_timeout),
            idle_timeout: secs(self.idle_timeout),
            total_timeout: secs(self.download_timeout),
            max_bytes: self.max_download,
            cache_bytes: self.cache_size,
        }
    }

    /// The user's cache with these limits.
    pub fn cache(&self) -> crate::render::cache::Cache {
        crate::render::cache::Cache::user().with_limits(self.limits())
    }
}

/// A time: seconds (`90`, `1.5`), or a number with `ms`, `s`, `m` or `h`. Positive.
pub fn parse_seconds(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (number, unit) = split_unit(t);
    let scale = match unit.to_ascii_lowercase().as_str() {
        "" | "s" => 1.0,
        "ms" => 0.001,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        other => return Err(format!("unknown unit `{other}`: use s, m or h")),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a time (examples: 90, 30s, 5m, 4h)"))?;
    let seconds = value * scale;
    if seconds.is_finite() && seconds > 0.0 {
        Ok(seconds)
    } else {
        Err(format!("`{text}` must be more than zero"))
    }
}

/// A size: bytes (`1048576`), or a number with `k`, `M`, `G` (powers of 1000) or `KiB`, `MiB`,
/// `GiB` (powers of 1024); a trailing `B` is allowed. Positive.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (number, unit) = split_unit(t);
    let unit = unit.strip_suffix(['B', 'b']).unwrap_or(unit);
    let scale: f64 = match unit {
        "" => 1.0,
        "k" | "K" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "unknown unit `{other}`: use k, M, G, KiB, MiB or GiB"
            ));
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (examples: 500k, 1MiB, 2GiB)"))?;
    let bytes = value * scale;
    if bytes.is_finite() && bytes >= 1.0 {
        Ok(bytes.min(u64::MAX as f64) as u64)
    } else {
        Err(format!("`{text}` must be at least one byte"))
    }
}

/// `"1.5GiB"` → (`"1.5"`, `"GiB"`).
fn split_unit(text: &str) -> (&str, &str) {
    let at = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    (text[..at].trim(), text[at..].trim())
}

/// `reel check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    /// Template and data.
    pub input: InputArgs,

    /// Also check that every remote media URL answers (HEAD, else a one-byte GET), within the
    /// connect and idle timeouts; an unreachable URL is an error at its clip.
    #[arg(long)]
    pub fetch: bool,

    #[command(flatten)]
    /// Download limits (`--fetch` uses the connect and idle timeouts).
    pub net: NetArgs,
}

/// `reel assets`.
#[derive(Debug, Args)]
pub struct AssetsArgs {
    #[command(flatten)]
    /// Template and data.
    pub input: InputArgs,

    /// One JSON array of `{url, state, path, exists, pointer}` on stdout.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    /// Download limits (the cache's place).
    pub net: NetArgs,
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

    /// Split each video into N segments of about equal cost rendered at once and joined by
    /// stream copy (default: half the cores with `-j 1` on more than 2 cores, else off; 1 =
    /// off).
    #[arg(long, value_name = "N")]
    pub segments: Option<usize>,

    #[command(flatten)]
    /// Download limits.
    pub net: NetArgs,
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
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true, value_parser = seconds)]
    pub frame: Option<f64>,

    /// Rows rendered at once (default: half the cores, at least 1).
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(usize))]
    pub jobs: Option<usize>,

    /// Poll for changes instead of OS notifications (network filesystems, containers).
    #[arg(long)]
    pub poll: bool,

    /// Serve a page on 127.0.0.1 that shows the latest renders and reloads itself.
    #[arg(long)]
    pub serve: bool,

    /// Port for --serve (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    #[command(flatten)]
    /// Download limits.
    pub net: NetArgs,
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

    /// Show the command of `reel still --at SECONDS` (one frame, inputs seeked).
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true, value_parser = seconds)]
    pub at: Option<f64>,

    #[command(flatten)]
    /// Download limits.
    pub net: NetArgs,
}

/// `reel still`.
#[derive(Debug, Args)]
pub struct StillArgs {
    #[command(flatten)]
    /// Template and data.
    pub input: InputArgs,

    /// The moment to show: timeline seconds (`5`, `2.48`).
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true, value_parser = seconds)]
    pub at: f64,

    /// Which row (1-based).
    #[arg(long, default_value_t = 1)]
    pub row: usize,

    /// The PNG to write.
    #[arg(short, long, value_name = "FILE.png", default_value = "still.png")]
    pub output: PathBuf,

    #[command(flatten)]
    /// Download limits.
    pub net: NetArgs,
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

/// A time on the video's clock for `--at`/`--frame`: finite seconds, 0 or more. Negative numbers
/// reach it (rather than clap's "unexpected argument '-1'") so the message says what is wrong.
fn seconds(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Ok(_) => Err("a time in seconds, 0 or more".into()),
        Err(_) => Err("not a number of seconds (e.g. 2.5)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_sizes() {
        assert_eq!(parse_seconds("90"), Ok(90.0));
        assert_eq!(parse_seconds("4h"), Ok(14400.0));
        assert_eq!(parse_seconds("1.5 m"), Ok(90.0));
        assert_eq!(parse_seconds("250ms"), Ok(0.25));
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("5 days").is_err());
        assert_eq!(parse_bytes("1MiB"), Ok(1 << 20));
        assert_eq!(parse_bytes("500k"), Ok(500_000));
        assert_eq!(parse_bytes("2GiB"), Ok(2 << 30));
        assert_eq!(parse_bytes("4096"), Ok(4096));
        assert!(parse_bytes("0").is_err());
        assert!(parse_bytes("3 parsecs").is_err());
    }

    #[test]
    fn a_moment_is_zero_or_more_seconds() {
        assert_eq!(seconds("0"), Ok(0.0));
        assert_eq!(seconds(" 2.5 "), Ok(2.5));
        assert!(seconds("-1").is_err());
        assert!(seconds("inf").is_err());
        assert!(seconds("NaN").is_err());
        assert!(seconds("5s").is_err());
    }
}
