//! The batch summary: one record per selected row (output, status, seconds, first diagnostic),
//! written as `summary.json` (`summary-K-of-N.json` for a shard) and shown as a table.
//!
//! Pure data plus atomic file IO; the CLI decides where the table is printed. `reel summary`
//! merges the per-shard files with [`merge_dir`].

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// What happened to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowStatus {
    /// Rendered now.
    Rendered,
    /// Up to date: not rendered again.
    Skipped,
    /// Bad data, a missing asset, an ffmpeg error…: recorded, the rest went on.
    Failed,
    /// Was rendering when the batch was interrupted; its partial file was removed.
    Cancelled,
    /// Never started because the batch was interrupted first.
    NotStarted,
}

/// One row's line in the summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowReport {
    /// 1-based row number, as a spreadsheet counts.
    pub row: usize,
    /// Output file, relative to the output directory (empty if the row failed before it had
    /// a name).
    pub output: String,
    /// What happened.
    pub status: RowStatus,
    /// Wall-clock seconds spent on the row (0 when skipped).
    pub seconds: f64,
    /// Why it rendered (`new`, `asset changed: …`) or why it was skipped (`up to date`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The first error, as text with its location, for failed rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The row's warnings (missing glyphs, fonts used instead, …), one message each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Counts by status. Serialised with the same spelling as [`RowStatus`] (`not-started`), so
/// every key of `counts` in `summary.json` is a `status` its rows can have.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Counts {
    /// Rows rendered now.
    pub rendered: usize,
    /// Rows up to date.
    pub skipped: usize,
    /// Rows that failed.
    pub failed: usize,
    /// Rows cancelled mid-render.
    pub cancelled: usize,
    /// Rows not started. (Summaries written before the spelling was unified said
    /// `not_started`; they are still read.)
    #[serde(alias = "not_started")]
    pub not_started: usize,
}

/// A whole batch (or shard) summary, as stored in `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// reel's version.
    pub reel: String,
    /// `K/N` when this was one shard of several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// Whether Ctrl-C / SIGTERM stopped the batch.
    pub interrupted: bool,
    /// Wall-clock seconds of the whole batch.
    pub seconds: f64,
    /// Counts by status.
    pub counts: Counts,
    /// One record per selected row, in row order.
    pub rows: Vec<RowReport>,
}

impl Counts {
    /// Counts the statuses of these rows.
    pub fn of(rows: &[RowReport]) -> Counts {
        let mut c = Counts::default();
        for r in rows {
            match r.status {
                RowStatus::Rendered => c.rendered += 1,
                RowStatus::Skipped => c.skipped += 1,
                RowStatus::Failed => c.failed += 1,
                RowStatus::Cancelled => c.cancelled += 1,
                RowStatus::NotStarted => c.not_started += 1,
            }
        }
        c
    }

    /// `28 rendered, 2 failed` style, leaving out zero counts.
    pub fn describe(&self) -> String {
        let parts = [
            (self.rendered, "rendered"),
            (self.skipped, "up to date"),
            (self.failed, "failed"),
            (self.cancelled, "cancelled"),
            (self.not_started, "not started"),
        ];
        let text: Vec<String> = parts
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, s)| format!("{n} {s}"))
            .collect();
        if text.is_empty() {
            "no rows selected".to_string()
        } else {
            text.join(", ")
        }
    }
}

impl Summary {
    /// A summary of these rows (sorted by row number here).
    pub fn new(
        mut rows: Vec<RowReport>,
        shard: Option<String>,
        interrupted: bool,
        seconds: f64,
    ) -> Self {
        rows.sort_by_key(|r| r.row);
        Summary {
            reel: env!("CARGO_PKG_VERSION").to_string(),
            shard,
            interrupted,
            seconds,
            counts: Counts::of(&rows),
            rows,
        }
    }

    /// Writes the summary as pretty JSON to `path`, atomically (temporary file + rename).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut tmp = tempfile::Builder::new()
            .prefix(".summary.tmp")
            .tempfile_in(dir)?;
        {
            let mut w = std::io::BufWriter::new(tmp.as_file_mut());
            serde_json::to_writer_pretty(&mut w, self)?;
            w.write_all(b"\n")?;
            w.flush()?;
        }
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }

    /// Reads a summary file.
    pub fn load(path: &Path) -> Result<Summary, String> {
        let text = std::fs::read(path).map_err(|e| e.to_string())?;
        serde_json::from_slice(&text).map_err(|e| e.to_string())
    }

    /// The rows worth a line in the table: failed, cancelled and not started always; every row
    /// when there are at most `all_up_to` of them.
    pub fn table_rows(&self, all_up_to: usize) -> Vec<&RowReport> {
        if self.rows.len() <= all_up_to {
            return self.rows.iter().collect();
        }
        self.rows
            .iter()
            .filter(|r| !matches!(r.status, RowStatus::Rendered | RowStatus::Skipped))
            .collect()
    }
}

/// The summary file a run writes: `summary.json`, or `summary-K-of-N.json` for a shard.
pub fn file_name(shard_tag: Option<&str>) -> String {
    match shard_tag {
        Some(tag) => format!("summary-{tag}.json"),
        None => "summary.json".to_string(),
    }
}

/// The shard summaries of a directory merged into one.
#[derive(Debug)]
pub struct Merged {
    /// Rows in row order, counts added up, seconds of the slowest shard.
    pub summary: Summary,
    /// The files read.
    pub files: Vec<PathBuf>,
    /// Shards (`K/N`) with no summary file: not run yet, or still running.
    pub missing: Vec<String>,
}

/// Reads every `summary-K-of-N.json` in `dir` and merges them. Files of different shard
/// counts (a stale earlier run) are an error: their rows would overlap.
pub fn merge_dir(dir: &Path) -> Result<Merged, String> {
    let listing =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
    let mut found: Vec<((usize, usize), PathBuf)> = listing
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| shard_of(&p).map(|s| (s, p)))
        .collect();
    found.sort();
    let Some(&((_, count), _)) = found.first() else {
        return Err(format!(
            "no `summary-K-of-N.json` files in `{}`",
            dir.display()
        ));
    };
    if let Some((_, other)) = found.iter().find(|((_, n), _)| *n != count) {
        return Err(format!(
            "`{}` belongs to a run with a different shard count than `{}`; remove the stale files",
            other.display(),
            found[0].1.display()
        ));
    }
    let mut rows = Vec::new();
    let (mut interrupted, mut seconds) = (false, 0f64);
    for (_, path) in &found {
        let s =
            Summary::load(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        interrupted |= s.interrupted;
        seconds = seconds.max(s.seconds);
        rows.extend(s.rows);
    }
    let missing = (0..count)
        .filter(|k| !found.iter().any(|((i, _), _)| i == k))
        .map(|k| format!("{k}/{count}"))
        .collect();
    let files = found.into_iter().map(|(_, p)| p).collect();
    let summary = Summary::new(rows, None, interrupted, seconds);
    Ok(Merged {
        summary,
        files,
        missing,
    })
}

/// `(K, N)` of a `summary-K-of-N.json` path.
fn shard_of(path: &Path) -> Option<(usize, usize)> {
    let name = path.file_name()?.to_str()?;
    let tag = name.strip_prefix("summary-")?.strip_suffix(".json")?;
    let (k, n) = tag.split_once("-of-")?;
    let num = |t: &str| {
        (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse::<usize>().ok())
            .flatten()
    };
    let (k, n) = (num(k)?, num(n)?);
    (k < n).then_some((k, n))
}

/// Widest output column of [`table`], in terminal columns; longer names are cut with `…`.
pub const OUTPUT_COLUMN_MAX: usize = 40;

/// Formats rows as an aligned text table (row, status, seconds, output, error or reason).
/// Columns are measured in terminal columns (a CJK character or an emoji takes two), and an
/// output name wider than [`OUTPUT_COLUMN_MAX`] is cut with `…` so the columns stay aligned.
pub fn table(rows: &[&RowReport]) -> String {
    let out_w = rows
        .iter()
        .map(|r| r.output.width())
        .max()
        .unwrap_or(0)
        .clamp(6, OUTPUT_COLUMN_MAX);
    let mut text = format!(
        "{:>6}  {:<11}  {:>7}  {}  {}\n",
        "row",
        "status",
        "seconds",
        fit("output", out_w),
        "detail"
    );
    for r in rows {
        let status = match r.status {
            RowStatus::Rendered => "rendered",
            RowStatus::Skipped => "up to date",
            RowStatus::Failed => "FAILED",
            RowStatus::Cancelled => "cancelled",
            RowStatus::NotStarted => "not started",
        };
        let detail = r.error.as_deref().or(r.reason.as_deref()).unwrap_or("");
        let detail = detail.lines().next().unwrap_or("");
        let line = format!(
            "{:>6}  {:<11}  {:>7.1}  {}  {}",
            r.row,
            status,
            r.seconds,
            fit(&r.output, out_w),
            detail
        );
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// `text` in exactly `width` terminal columns: padded with spaces, or cut to `width - 1`
/// columns plus `…` (never splitting a character; a wide one that does not fit is replaced by
/// padding).
pub fn fit(text: &str, width: usize) -> String {
    let full = text.width();
    if full <= width {
        return format!("{text}{}", " ".repeat(width - full));
    }
    let budget = width.saturating_sub(1);
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > budget {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
        used += 1;
    }
    out.push_str(&" ".repeat(width.saturating_sub(used)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(row: usize, status: RowStatus) -> RowReport {
        RowReport {
            row,
            output: format!("row-{row:04}.mp4"),
            status,
            seconds: 1.5,
            reason: None,
            error: (status == RowStatus::Failed).then(|| "bad".to_string()),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn shard_summaries_merge_in_row_order() {
        let dir = tempfile::tempdir().unwrap();
        let a = Summary::new(
            vec![report(4, RowStatus::Rendered), report(1, RowStatus::Failed)],
            Some("0/3".into()),
            false,
            3.0,
        );
        let b = Summary::new(
            vec![report(2, RowStatus::Skipped)],
            Some("1/3".into()),
            true,
            5.0,
        );
        a.save(&dir.path().join(file_name(Some("0-of-3")))).unwrap();
        b.save(&dir.path().join(file_name(Some("1-of-3")))).unwrap();
        std::fs::write(dir.path().join("summary.json"), "ignored: not a shard file").unwrap();
        let Merged {
            summary: merged,
            files,
            missing,
        } = merge_dir(dir.path()).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(missing, vec!["2/3".to_string()]);
        let rows: Vec<usize> = merged.rows.iter().map(|r| r.row).collect();
        assert_eq!(rows, vec![1, 2, 4]);
        assert_eq!(
            merged.counts,
            Counts {
                rendered: 1,
                skipped: 1,
                failed: 1,
                ..Counts::default()
            }
        );
        assert!(merged.interrupted);
        assert_eq!(merged.seconds, 5.0);
        assert_eq!(
            merged.counts.describe(),
            "1 rendered, 1 up to date, 1 failed"
        );
    }

    #[test]
    fn shard_file_names_are_recognised_exactly() {
        for (name, ok) in [
            ("summary-0-of-3.json", true),
            ("summary-12-of-100.json", true),
            ("summary.json", false),
            ("summary-a-of-3.json", false),
            ("summary-1-of-.json", false),
        ] {
            assert_eq!(shard_of(Path::new(name)).is_some(), ok, "{name}");
        }
        assert_eq!(shard_of(Path::new("summary-3-of-3.json")), None);
    }

    #[test]
    fn summaries_of_different_shard_counts_are_not_mixed() {
        let dir = tempfile::tempdir().unwrap();
        let s = Summary::new(vec![report(1, RowStatus::Rendered)], None, false, 1.0);
        s.save(&dir.path().join(file_name(Some("0-of-2")))).unwrap();
        s.save(&dir.path().join(file_name(Some("0-of-3")))).unwrap();
        let err = merge_dir(dir.path()).unwrap_err();
        assert!(err.contains("different shard count"), "{err}");
    }

    #[test]
    fn table_shows_failures_of_big_batches_only() {
        let rows: Vec<RowReport> = (1..=50)
            .map(|i| {
                report(
                    i,
                    if i == 7 {
                        RowStatus::Failed
                    } else {
                        RowStatus::Rendered
                    },
                )
            })
            .collect();
        let s = Summary::new(rows, None, false, 1.0);
        let shown = s.table_rows(40);
        assert_eq!(shown.len(), 1);
        let text = table(&shown);
        assert!(
            text.contains("FAILED") && text.contains("row-0007.mp4") && text.contains("bad"),
            "{text}"
        );
        assert_eq!(s.table_rows(100).len(), 50);
    }

    #[test]
    fn count_keys_are_the_row_statuses() {
        let all = [
            RowStatus::Rendered,
            RowStatus::Skipped,
            RowStatus::Failed,
            RowStatus::Cancelled,
            RowStatus::NotStarted,
        ];
        let rows: Vec<RowReport> = all
            .iter()
            .enumerate()
            .map(|(i, &s)| report(i + 1, s))
            .collect();
        let json = serde_json::to_value(Summary::new(rows, None, true, 1.0)).unwrap();
        let counts = json["counts"].as_object().unwrap();
        let statuses: Vec<String> = json["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap().to_string())
            .collect();
        let keys: Vec<&String> = counts.keys().collect();
        assert_eq!(keys, statuses.iter().collect::<Vec<_>>());
        assert!(counts.values().all(|n| n == 1), "{counts:?}");
        // A summary written before the spelling was unified still reads.
        let old: Counts = serde_json::from_str(
            r#"{"rendered":1,"skipped":0,"failed":0,"cancelled":0,"not_started":4}"#,
        )
        .unwrap();
        assert_eq!(old.not_started, 4);
    }

    #[test]
    fn fit_cuts_by_terminal_columns() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("abcdef", 5), "abcd…");
        // Wide characters take two columns and are never split.
        assert_eq!(fit("日本語の名前", 6), "日本… ");
        assert_eq!(fit("日本語", 6), "日本語");
        assert_eq!(fit("ab😀cd", 4), "ab… ");
        for text in ["a", "日本語の名前.mp4", "ab😀cd-e\u{301}f"] {
            for w in 1..12 {
                assert_eq!(fit(text, w).width(), w, "{text:?} in {w}");
            }
        }
    }

    #[test]
    fn table_keeps_columns_with_long_names() {
        let mut rows = vec![
            report(1, RowStatus::Rendered),
            report(2, RowStatus::Failed),
            report(3, RowStatus::NotStarted),
            report(4, RowStatus::Skipped),
        ];
        rows[0].output = format!("{}.mp4", "a-very-long-customer-name-".repeat(4));
        rows[1].output = "名前がとても長いお客様のビデオ-日本語-東京都.mp4".to_string();
        rows[2].output = "short.mp4".to_string();
        rows[3].output = "😀-party-invitation-for-the-whole-family-2026.mp4".to_string();
        for r in &mut rows {
            r.reason = Some("new".to_string());
        }
        let shown: Vec<&RowReport> = rows.iter().collect();
        let text = table(&shown);
        // The detail column starts at the same terminal column on every line.
        let detail = |r: &RowReport| r.error.clone().unwrap_or_else(|| "new".to_string());
        let starts: Vec<usize> = text
            .lines()
            .skip(1)
            .zip(&rows)
            .map(|(line, r)| line.width() - detail(r).width())
            .collect();
        assert!(starts.iter().all(|&s| s == starts[0]), "{starts:?}\n{text}");
        assert_eq!(text.matches('…').count(), 3, "{text}");
        insta::assert_snapshot!(text);
    }
}
