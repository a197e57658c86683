//! What `reel render` says about a running batch, as numbers that stay true: rows *finished*
//! (not handed out), rows in flight, and an ETA from a smoothed rate of finished rows.
//!
//! Pure state and formatting: time comes in as seconds since the render pass started, so tests
//! drive it without a clock. [`super::render::Ui`] feeds it the batch events and prints its
//! bar message, plain lines (stderr is not a terminal) or JSON lines (`--message-format json`).

use serde_json::{Value, json};

use crate::batch::{RowReport, RowStatus};

/// Weight of the newest interval in the smoothed seconds per row, once [`ETA_WARMUP`] rows
/// have finished: about the last 10 rows count. Before that every interval weighs the same
/// (a plain average), so the first estimate is not one interval's accident. Measured on a
/// steady 2-job batch, finishes come in pairs (intervals alternate near 0 and near 2× the
/// mean): with 0.1 the estimate moves by about ±5 %, where the cumulative rate of the whole
/// run is steady but slow to follow a batch that speeds up or slows down.
pub const ETA_WEIGHT: f64 = 0.1;

/// Rows averaged plainly before [`ETA_WEIGHT`] takes over (`1 / ETA_WEIGHT`).
pub const ETA_WARMUP: usize = 10;

/// The progress of the render pass of one batch.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// Rows this run renders (not up to date, not failed while planning).
    pub total: usize,
    /// Rows of the render pass that finished with a result: rendered or failed. (A cancelled
    /// row has none: it renders again on the next run.)
    pub done: usize,
    /// Of `done`: rendered.
    pub rendered: usize,
    /// Of `done`: failed.
    pub failed: usize,
    /// Stopped by Ctrl-C / SIGTERM while rendering (not in `done`).
    pub cancelled: usize,
    /// Rows up to date (decided by the plan, not rendered).
    pub up_to_date: usize,
    /// Rows that failed while planning (bad data, invalid Edit, name collisions).
    pub failed_in_plan: usize,
    /// Worker slots rendering a row now.
    busy: Vec<bool>,
    /// Ctrl-C / SIGTERM seen.
    pub interrupted: bool,
    /// Smoothed seconds between finished rows, once one finished.
    per_row: Option<f64>,
    /// When the last row finished (seconds since the render pass started).
    last: f64,
}

impl Progress {
    /// Progress of a batch rendered by `jobs` workers.
    pub fn new(jobs: usize) -> Progress {
        Progress {
            busy: vec![false; jobs],
            ..Progress::default()
        }
    }

    /// The plan is known; the render pass starts at time 0.
    pub fn planned(&mut self, to_render: usize, up_to_date: usize, failed: usize) {
        self.total = to_render;
        self.up_to_date = up_to_date;
        self.failed_in_plan = failed;
    }

    /// A worker took a row.
    pub fn started(&mut self, slot: usize) {
        if let Some(b) = self.busy.get_mut(slot) {
            *b = true;
        }
    }

    /// A row left its worker at `now` (seconds since the render pass started). Rendered and
    /// failed rows are done; a cancelled row is counted apart; rows that never started (the
    /// batch was interrupted) are only in the summary. Returns whether the row is worth a
    /// line (it was rendering).
    pub fn finished(&mut self, slot: Option<usize>, status: RowStatus, now: f64) -> bool {
        if let Some(b) = slot.and_then(|s| self.busy.get_mut(s)) {
            *b = false;
        }
        match status {
            RowStatus::Rendered => self.rendered += 1,
            RowStatus::Failed => self.failed += 1,
            RowStatus::Cancelled => {
                self.cancelled += 1;
                return true;
            }
            RowStatus::Skipped | RowStatus::NotStarted => return false,
        }
        self.done += 1;
        if !self.interrupted {
            // Rows that end after the interrupt do not tell the batch's pace.
            let interval = (now - self.last).max(0.0);
            let weight = (1.0 / self.done as f64).max(ETA_WEIGHT);
            self.per_row = Some(match self.per_row {
                None => interval,
                Some(p) => p + weight * (interval - p),
            });
        }
        self.last = now;
        true
    }

    /// Rows being rendered now.
    pub fn in_flight(&self) -> usize {
        self.busy.iter().filter(|b| **b).count()
    }

    /// Seconds until every row is done, at `now`: the rows not yet done times the smoothed
    /// seconds per row, less the time since the last row finished. `None` before the first
    /// row finished (nothing to go on) and once interrupted.
    pub fn eta(&self, now: f64) -> Option<f64> {
        if self.interrupted {
            return None;
        }
        let per_row = self.per_row?;
        let left = self.total.saturating_sub(self.done) as f64;
        Some((left * per_row - (now - self.last)).max(0.0))
    }

    /// Rows rendered per minute so far.
    pub fn per_minute(&self, now: f64) -> f64 {
        if now > 0.0 {
            self.rendered as f64 * 60.0 / now
        } else {
            0.0
        }
    }

    /// The overall bar's message: `2 in flight · 3 rendered · 1 failed · 12.0 videos/min ·
    /// ETA 1m 05s`, led by `interrupted: stopping…` after Ctrl-C.
    pub fn message(&self, now: f64) -> String {
        let mut parts = Vec::new();
        if self.interrupted && self.in_flight() > 0 {
            parts.push(format!(
                "interrupted: stopping {} running",
                self.in_flight()
            ));
        } else if self.interrupted {
            parts.push("interrupted".to_string());
        } else {
            parts.push(format!("{} in flight", self.in_flight()));
        }
        parts.push(format!("{} rendered", self.rendered));
        parts.push(format!("{} failed", self.failed + self.failed_in_plan));
        if self.up_to_date > 0 {
            parts.push(format!("{} up to date", self.up_to_date));
        }
        if self.cancelled > 0 {
            parts.push(format!("{} cancelled", self.cancelled));
        }
        parts.push(format!("{:.1} videos/min", self.per_minute(now)));
        if let Some(eta) = self.eta(now) {
            parts.push(format!("ETA {}", duration(eta)));
        }
        parts.join(" · ")
    }

    /// The overall bar's state as a line: `[15/28] interrupted · 15 rendered · …`.
    pub fn bar_line(&self, now: f64) -> String {
        format!("[{}/{}] {}", self.done, self.total, self.message(now))
    }

    /// A plain line for a finished row: `[3/28] row 3 → card-3.mp4: rendered in 1.2 s ·
    /// 2 in flight · ETA 25 s`.
    pub fn line(&self, report: &RowReport, now: f64) -> String {
        let mut text = format!("[{}/{}] {}", self.done, self.total, row_line(report));
        if self.in_flight() > 0 {
            text.push_str(&format!(" · {} in flight", self.in_flight()));
        }
        if let Some(eta) = self.eta(now) {
            text.push_str(&format!(" · ETA {}", duration(eta)));
        }
        text
    }

    /// The plain line printed once when Ctrl-C / SIGTERM is seen.
    pub fn interrupted_line(&self) -> String {
        format!(
            "interrupted: {} of {} rows done, stopping {} running; the rest are not started",
            self.done,
            self.total,
            self.in_flight()
        )
    }

    /// The JSON line of a finished row (`"type": "progress"`, see `docs/batch.md`).
    pub fn json_row(&self, report: &RowReport, now: f64) -> Value {
        let mut line = self.json_counts("progress", now);
        let fields = [
            ("row", json!(report.row)),
            ("output", json!(report.output)),
            ("status", json!(report.status)),
            ("seconds", json!(round(report.seconds))),
        ];
        for (k, v) in fields {
            line[k] = v;
        }
        if let Some(error) = &report.error {
            line["error"] = json!(error);
        }
        line
    }

    /// A JSON line of the counts only: `"type"` is `"interrupted"` or the caller's.
    pub fn json_counts(&self, kind: &str, now: f64) -> Value {
        json!({
            "type": kind,
            "done": self.done,
            "total": self.total,
            "in_flight": self.in_flight(),
            "rendered": self.rendered,
            "failed": self.failed,
            "cancelled": self.cancelled,
            "elapsed_seconds": round(now),
            "eta_seconds": self.eta(now).map(round),
        })
    }
}

/// Seconds to milliseconds' precision, for JSON.
fn round(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

/// `45 s`, `1m 05s`, `2h 03m`; rounded up, so a row still to come never shows as `0 s`.
pub fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).ceil() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
    }
}

/// `row 3 → row-0003.mp4: rendered in 1.2 s` and the like (plain output and logs).
pub fn row_line(r: &RowReport) -> String {
    let out = if r.output.is_empty() {
        String::new()
    } else {
        format!(" → {}", r.output)
    };
    match r.status {
        RowStatus::Rendered => format!("row {}{out}: rendered in {:.1} s", r.row, r.seconds),
        RowStatus::Skipped => format!("row {}{out}: up to date", r.row),
        RowStatus::Failed => format!(
            "row {}{out}: FAILED: {}",
            r.row,
            r.error.as_deref().unwrap_or("")
        ),
        RowStatus::Cancelled => format!("row {}{out}: cancelled", r.row),
        RowStatus::NotStarted => format!("row {}{out}: not started", r.row),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(row: usize, status: RowStatus) -> RowReport {
        RowReport {
            row,
            output: format!("card-{row}.mp4"),
            status,
            seconds: 2.0,
            reason: Some("new".into()),
            error: (status == RowStatus::Failed).then(|| "bad".to_string()),
            warnings: Vec::new(),
        }
    }

    /// Two workers, each row 2 s: finishes come in pairs, every 2 s.
    fn steady(progress: &mut Progress, rows: usize) -> Vec<f64> {
        let mut etas = Vec::new();
        for i in 0..rows {
            let now = 2.0 * (i / 2 + 1) as f64;
            progress.started(i % 2);
            progress.finished(Some(i % 2), RowStatus::Rendered, now);
            etas.push(progress.eta(now).unwrap());
        }
        etas
    }

    #[test]
    fn counts_finished_rows_and_rows_in_flight_separately() {
        let mut p = Progress::new(2);
        p.planned(5, 0, 0);
        p.started(0);
        p.started(1);
        assert_eq!((p.done, p.in_flight()), (0, 2));
        assert_eq!(p.eta(1.0), None, "no ETA before a row finished");
        assert!(!p.message(1.0).contains("ETA"), "{}", p.message(1.0));
        p.finished(Some(0), RowStatus::Rendered, 2.0);
        assert_eq!((p.done, p.in_flight()), (1, 1));
        assert!(p.message(2.0).contains("ETA"), "{}", p.message(2.0));
    }

    #[test]
    fn eta_is_steady_on_a_steady_batch() {
        let mut p = Progress::new(2);
        p.planned(100, 0, 0);
        let etas = steady(&mut p, 60);
        // Truth: (100 - done) rows at 1 s per row.
        for (i, eta) in etas.iter().enumerate().skip(ETA_WARMUP) {
            let truth = (100 - (i + 1)) as f64;
            assert!(
                (eta - truth).abs() <= 0.1 * truth + 1.0,
                "after {} rows: ETA {eta:.1} s, truth {truth} s",
                i + 1
            );
        }
        // Between finishes the ETA counts down rather than standing still.
        assert!(p.eta(60.5).unwrap() < p.eta(60.0).unwrap());
    }

    #[test]
    fn interrupt_keeps_the_real_counts() {
        let mut p = Progress::new(2);
        p.planned(5, 0, 0);
        p.started(0);
        p.started(1);
        p.finished(Some(0), RowStatus::Rendered, 2.0);
        p.started(0);
        p.interrupted = true;
        assert!(p.finished(Some(0), RowStatus::Cancelled, 2.5));
        assert!(p.finished(Some(1), RowStatus::Cancelled, 2.5));
        // The rows never started do not count as done.
        assert!(!p.finished(None, RowStatus::NotStarted, 2.5));
        assert!(!p.finished(None, RowStatus::NotStarted, 2.5));
        assert_eq!((p.done, p.cancelled, p.total, p.in_flight()), (1, 2, 5, 0));
        assert_eq!(p.eta(3.0), None);
        assert!(
            p.message(3.0).starts_with("interrupted"),
            "{}",
            p.message(3.0)
        );
    }

    #[test]
    fn json_lines_carry_the_counts() {
        let mut p = Progress::new(1);
        p.planned(3, 0, 0);
        p.started(0);
        p.finished(Some(0), RowStatus::Failed, 1.0);
        let line = p.json_row(&report(2, RowStatus::Failed), 1.0);
        assert_eq!(line["type"], "progress");
        assert_eq!(line["status"], "failed");
        assert_eq!(
            (line["done"].as_u64(), line["total"].as_u64()),
            (Some(1), Some(3))
        );
        assert_eq!(line["error"], "bad");
        assert_eq!(line["eta_seconds"], 2.0);
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(0.0), "0 s");
        assert_eq!(duration(0.3), "1 s");
        assert_eq!(duration(4.4), "5 s");
        assert_eq!(duration(64.2), "1m 05s");
        assert_eq!(duration(7380.0), "2h 03m");
    }
}
