//! `reel summary DIR`: merge the `summary-K-of-N.json` files that the shards of one batch wrote
//! into one table and one `summary.json`. Also prints any batch summary for `reel render`.

use std::io::Write;
use std::path::Path;

use super::args::SummaryArgs;
use super::{Global, Status};
use crate::batch::summary::{self, Summary};

/// Rows listed in the table when the batch is small; bigger batches list only the rows that
/// did not render or skip cleanly.
const TABLE_ALL_ROWS_UP_TO: usize = 40;

/// Runs `reel summary`.
pub fn run(args: SummaryArgs, global: &Global) -> anyhow::Result<Status> {
    let summary::Merged {
        summary: merged,
        files,
        missing,
    } = match summary::merge_dir(&args.dir) {
        Ok(found) => found,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(Status::Failed);
        }
    };
    let path = args.dir.join(summary::file_name(None));
    merged.save(&path)?;
    eprintln!("merged {} shard summaries", files.len());
    if !missing.is_empty() {
        eprintln!(
            "warning: no summary yet from shard {} (not run, or still running): its rows are not listed",
            missing.join(", ")
        );
    }
    show(&merged, Some(&path), global);
    Ok(if missing.is_empty() {
        status_of(&merged)
    } else {
        Status::Failed
    })
}

/// Prints a batch summary: the table and totals on stderr, or with `--message-format json`
/// the whole summary as one JSON line on stdout ([`json_line`]) and nothing on stderr, which
/// then carries only JSON diagnostics.
pub fn show(summary: &Summary, written_to: Option<&Path>, global: &Global) {
    if global.json {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", json_line(summary));
        return;
    }
    let rows = summary.table_rows(TABLE_ALL_ROWS_UP_TO);
    let mut text = String::new();
    if !rows.is_empty() {
        text.push_str(&summary::table(&rows));
    }
    text.push_str(&format!(
        "{}{} in {:.1} s",
        if summary.interrupted {
            "interrupted: "
        } else {
            ""
        },
        summary.counts.describe(),
        summary.seconds
    ));
    if let Some(path) = written_to {
        text.push_str(&format!(" (summary: {})", path.display()));
    }
    eprintln!("{text}");
}

/// The summary as the last JSON line of a batch: `{"type": "summary", "reel": …, "counts": …,
/// "rows": […]}` (the `summary.json` fields after `type`).
pub fn json_line(summary: &Summary) -> serde_json::Value {
    let mut line = serde_json::Map::new();
    line.insert("type".into(), "summary".into());
    if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(summary) {
        line.extend(fields);
    }
    serde_json::Value::Object(line)
}

/// The exit status a summary calls for: 130 when interrupted, 1 when any row failed.
pub fn status_of(summary: &Summary) -> Status {
    if summary.interrupted {
        Status::Interrupted
    } else if summary.counts.failed > 0 {
        Status::Failed
    } else {
        Status::Ok
    }
}
