//! The first pass: build every selected row once and decide its fate (render and why, up to
//! date, failed), keeping only the output name and the decision per row (never the Edit), and
//! find rows whose outputs collide before anything renders.

use std::time::Instant;

use super::summary::Counts;
use super::{
    BatchError, Built, Config, Event, FileHashes, Key, Manifest, Reason, RowReport, RowStatus,
    Source, Summary,
};
use crate::diagnostics::{Diagnostic, Warned};
use crate::render::Cancel;

/// What the planner needs besides the source.
#[derive(Debug)]
pub struct Context<'a> {
    /// The batch settings.
    pub config: &'a Config,
    /// Last renders, for the up-to-date check.
    pub manifest: &'a Manifest,
    /// Asset hashes, cached for the run.
    pub hashes: &'a FileHashes,
    /// Stops planning early.
    pub cancel: &'a Cancel,
}

/// One selected row's decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// 0-based row index.
    pub index: usize,
    /// Output file name (empty when the row failed before it had one).
    pub output: Box<str>,
    /// What happens to it.
    pub state: State,
}

/// The fate of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// Renders, for this reason.
    Render(Reason),
    /// Up to date: skipped.
    UpToDate,
    /// Failed already (bad data, invalid Edit, colliding name): the first error as text.
    Failed(String),
}

/// Every selected row's decision, in row order.
#[derive(Debug, Default)]
pub struct Plan {
    /// The selected rows.
    pub items: Vec<Item>,
}

impl Plan {
    /// Rows that will render.
    pub fn to_render(&self) -> usize {
        self.items
            .iter()
            .filter(|i| matches!(i.state, State::Render(_)))
            .count()
    }

    /// Rows up to date.
    pub fn up_to_date(&self) -> usize {
        self.items
            .iter()
            .filter(|i| i.state == State::UpToDate)
            .count()
    }

    /// Rows that failed while planning.
    pub fn failed(&self) -> usize {
        self.items
            .iter()
            .filter(|i| matches!(i.state, State::Failed(_)))
            .count()
    }

    /// Summary records of the rows the plan settled (up to date, failed).
    pub fn reports(&self) -> Vec<RowReport> {
        let report = |i: &Item, status, reason: Option<String>, error: Option<String>| RowReport {
            row: i.index + 1,
            output: i.output.to_string(),
            status,
            seconds: 0.0,
            reason,
            error,
            warnings: Vec::new(),
        };
        self.items
            .iter()
            .filter_map(|i| match &i.state {
                State::UpToDate => Some(report(
                    i,
                    RowStatus::Skipped,
                    Some("up to date".into()),
                    None,
                )),
                State::Failed(e) => Some(report(i, RowStatus::Failed, None, Some(e.clone()))),
                State::Render(_) => None,
            })
            .collect()
    }

    /// The dry-run summary: counts only (the plan itself lists the rows), rows that would
    /// render counted as not started.
    pub fn summary(&self, shard: Option<String>, interrupted: bool, started: Instant) -> Summary {
        let mut summary = Summary::new(
            Vec::new(),
            shard,
            interrupted,
            started.elapsed().as_secs_f64(),
        );
        summary.counts = Counts {
            skipped: self.up_to_date(),
            failed: self.failed(),
            not_started: self.to_render(),
            ..Counts::default()
        };
        summary
    }
}

/// Builds every selected row once and decides what happens to it.
pub fn plan<S: Source>(
    source: &S,
    ctx: &Context<'_>,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<Plan, BatchError> {
    let rows = source.rows().map_err(BatchError::Rows)?;
    let selection = &ctx.config.selection;
    let mut items = Vec::new();
    for (index, row) in rows {
        if ctx.cancel.is_cancelled() || selection.exhausted(index) {
            break;
        }
        if selection.contains(index) {
            items.push(plan_row(source, ctx, index, row, on_event));
        }
    }
    mark_collisions(&mut items, on_event);
    Ok(Plan { items })
}

fn plan_row<S: Source>(
    source: &S,
    ctx: &Context<'_>,
    index: usize,
    row: Result<S::Row, Diagnostic>,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Item {
    let failed = |error: String| Item {
        index,
        output: "".into(),
        state: State::Failed(error),
    };
    let row = match row {
        Ok(row) => row,
        Err(d) => {
            on_event(Event::Diagnostics {
                index,
                diagnostics: std::slice::from_ref(&d),
            });
            return failed(source.describe(&d));
        }
    };
    let Warned {
        output,
        mut warnings,
    } = source.build(&row);
    let built = match output {
        Ok(built) => built,
        Err(mut errors) => {
            let first = errors
                .first()
                .map(|d| source.describe(d))
                .unwrap_or_default();
            errors.append(&mut warnings);
            on_event(Event::Diagnostics {
                index,
                diagnostics: &errors,
            });
            return failed(first);
        }
    };
    if !warnings.is_empty() {
        on_event(Event::Diagnostics {
            index,
            diagnostics: &warnings,
        });
    }
    decide(ctx, index, &built)
}

/// The fate of a row that built: its output name and whether (and why) it renders.
fn decide<J>(ctx: &Context<'_>, index: usize, built: &Built<J>) -> Item {
    let output = super::name::file_name(built.name.as_deref(), index, built.extension);
    let config = ctx.config;
    let key = Key {
        edit: built.edit_hash,
        template: config.template_hash,
        settings: config.settings_hash,
    };
    let exists = config.out_dir.join(&output).is_file();
    let state = match ctx.manifest.decide(&output, &key, exists, ctx.hashes) {
        Reason::UpToDate if config.force => State::Render(Reason::Forced),
        Reason::UpToDate => State::UpToDate,
        reason => State::Render(reason),
    };
    Item {
        index,
        output: output.into(),
        state,
    }
}

/// Marks every row whose output name another selected row also has as failed, naming both.
/// Names are compared case-insensitively: on macOS and Windows `Jane.mp4` and `jane.mp4` are
/// the same file.
fn mark_collisions(items: &mut [Item], on_event: &mut dyn FnMut(Event<'_>)) {
    let mut order: Vec<usize> = (0..items.len())
        .filter(|&i| !items[i].output.is_empty())
        .collect();
    order.sort_by_cached_key(|&i| (items[i].output.to_lowercase(), items[i].index));
    let groups: Vec<Vec<usize>> = order
        .chunk_by(|&a, &b| items[a].output.to_lowercase() == items[b].output.to_lowercase())
        .filter(|g| g.len() > 1)
        .map(<[usize]>::to_vec)
        .collect();
    for group in groups {
        let rows: Vec<String> = group
            .iter()
            .map(|&i| (items[i].index + 1).to_string())
            .collect();
        let first = group[0];
        for &i in &group {
            let others: Vec<&str> = group
                .iter()
                .zip(&rows)
                .filter(|&(&j, _)| j != i)
                .map(|(_, r)| r.as_str())
                .collect();
            let message = format!(
                "rows {} and {} have the same output `{}`",
                rows[group.iter().position(|&j| j == i).unwrap_or(0)],
                others.join(", "),
                items[first].output
            );
            let diag = Diagnostic::error(message.clone()).with_help(
                "make the template's `name` unique per row, e.g. add `-{{ row_number }}`",
            );
            on_event(Event::Diagnostics {
                index: items[i].index,
                diagnostics: std::slice::from_ref(&diag),
            });
            items[i].state = State::Failed(message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(index: usize, output: &str) -> Item {
        Item {
            index,
            output: output.into(),
            state: State::Render(Reason::New),
        }
    }

    #[test]
    fn collisions_fail_every_row_involved_and_name_the_others() {
        let mut items = vec![
            item(2, "jane.mp4"),
            item(5, "bob.mp4"),
            item(8, "Jane.mp4"),
            item(9, ""),
        ];
        let mut seen = Vec::new();
        mark_collisions(&mut items, &mut |e| {
            if let Event::Diagnostics { index, diagnostics } = e {
                seen.push((index, diagnostics[0].message.clone()));
            }
        });
        assert_eq!(items[1].state, State::Render(Reason::New));
        assert_eq!(items[3].state, State::Render(Reason::New));
        assert_eq!(
            items[0].state,
            State::Failed("rows 3 and 9 have the same output `jane.mp4`".into())
        );
        assert_eq!(
            items[2].state,
            State::Failed("rows 9 and 3 have the same output `jane.mp4`".into())
        );
        assert_eq!(seen.len(), 2);
    }
}
