//! What a build tells the user: its diagnostics (each shown once, kept as text and HTML for
//! the `--serve` page) and its status line.

use std::collections::HashSet;

use super::{Event, Outcome};
use crate::diagnostics::{self, Diagnostic, RenderConfig, SourceMap, Span};
use crate::watch::studio;

/// The diagnostics of one build: shown once each (a template error repeats for every row),
/// and kept as plain text for the `--serve` page.
#[derive(Debug, Default)]
pub(super) struct Log {
    /// Plain-text rendering of what was shown.
    pub(super) text: String,
    /// The same as HTML, for the studio page.
    pub(super) html: String,
    /// (message, primary span) of each diagnostic shown.
    seen: HashSet<(String, Option<Span>)>,
}

impl Log {
    /// Shows the diagnostics not shown yet in this build.
    pub(super) fn show(
        &mut self,
        on_event: &mut impl FnMut(Event<'_>),
        diags: &[Diagnostic],
        sources: &SourceMap,
    ) {
        let fresh: Vec<Diagnostic> = diags
            .iter()
            .filter(|d| self.seen.insert((d.message.clone(), d.span())))
            .cloned()
            .collect();
        if !fresh.is_empty() {
            on_event(Event::Diagnostics(&fresh, sources));
            self.text.push_str(&plain_text(&fresh, sources));
            self.html
                .push_str(&studio::diagnostics_html(&fresh, sources));
        }
    }
}

/// Shows diagnostics, counts a failure and remembers where the first error is.
pub(super) fn report(
    on_event: &mut impl FnMut(Event<'_>),
    diags: &[Diagnostic],
    sources: &SourceMap,
    out: &mut Outcome,
    log: &mut Log,
) {
    log.show(on_event, diags, sources);
    if let Some(first) = diags.iter().find(|d| d.is_error()) {
        out.failed += 1;
        if out.first_error.is_none() {
            out.first_error = Some(locate(first, sources));
        }
    }
}

/// The first error's message, for a row marked failed.
pub(super) fn first_error(diags: &[Diagnostic]) -> Option<String> {
    diags
        .iter()
        .find(|d| d.is_error())
        .map(|d| d.message.clone())
}

fn plain_text(diags: &[Diagnostic], sources: &SourceMap) -> String {
    diagnostics::render_text(diags, sources, RenderConfig { color: false })
}

/// `error in promo.edit:12` for a diagnostic with a place, else `error: MESSAGE`.
pub fn locate(d: &Diagnostic, sources: &SourceMap) -> String {
    match d.span() {
        Some(span) => {
            let file = sources.get(span.file);
            let (line, _) = file.line_col(span.start as usize);
            format!("error in {}:{line}", file.name)
        }
        None => format!("error: {}", d.message),
    }
}

/// The status line without its time: `3 rows re-rendered in 0.8 s`, `error in promo.edit:12`.
pub fn status_text(o: &Outcome) -> String {
    let rows = |n: usize| format!("{n} row{}", if n == 1 { "" } else { "s" });
    let verb = if o.first { "rendered" } else { "re-rendered" };
    let secs = format!("in {:.1} s", o.seconds);
    if o.cancelled {
        return format!("cancelled after {} {secs}", rows(o.rendered));
    }
    match (&o.first_error, o.rendered, o.up_to_date) {
        (Some(err), 0, _) => err.clone(),
        (Some(err), n, _) => format!(
            "{err} ({} {verb}, {} failed) {secs}",
            rows(n),
            rows(o.failed)
        ),
        (None, 0, 0) => format!("no rows selected {secs}"),
        (None, 0, _) => format!("up to date {secs}"),
        (None, n, _) => format!("{} {verb} {secs}", rows(n)),
    }
}
