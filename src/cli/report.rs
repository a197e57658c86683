//! Printing diagnostics to stderr, as ariadne text or JSON lines, with a count at the end.

use std::io::Write;
use std::sync::Mutex;

use crate::diagnostics::{self, Diagnostic, RenderConfig, SourceMap};

use super::Global;

/// Writes diagnostics to stderr in the chosen format and counts them. Shared between threads.
#[derive(Debug)]
pub struct Reporter {
    global: Global,
    counts: Mutex<(usize, usize)>,
}

impl Reporter {
    /// A reporter for these global settings.
    pub fn new(global: &Global) -> Self {
        Reporter {
            global: *global,
            counts: Mutex::new((0, 0)),
        }
    }

    /// Prints diagnostics (errors and warnings) now.
    pub fn emit(&self, diags: &[Diagnostic], sources: &SourceMap) {
        if diags.is_empty() {
            return;
        }
        {
            let mut c = self.counts.lock().expect("reporter poisoned");
            for d in diags {
                if d.is_error() {
                    c.0 += 1;
                } else {
                    c.1 += 1;
                }
            }
        }
        let text = if self.global.json {
            diags
                .iter()
                .map(|d| format!("{}\n", diagnostics::render_json(d, sources)))
                .collect::<String>()
        } else {
            diagnostics::render_text(
                diags,
                sources,
                RenderConfig {
                    color: self.global.color,
                },
            )
        };
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(text.as_bytes());
    }

    /// (errors, warnings) printed so far.
    pub fn counts(&self) -> (usize, usize) {
        *self.counts.lock().expect("reporter poisoned")
    }

    /// A closing line such as `2 errors, 1 warning`, or `None` when nothing was reported or
    /// the format is JSON.
    pub fn tally(&self) -> Option<String> {
        let (e, w) = self.counts();
        if self.global.json || (e == 0 && w == 0) {
            return None;
        }
        let plural = |n: usize, s: &str| format!("{n} {s}{}", if n == 1 { "" } else { "s" });
        Some(match (e, w) {
            (0, w) => plural(w, "warning"),
            (e, 0) => plural(e, "error"),
            (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
        })
    }

    /// The global settings.
    pub fn global(&self) -> &Global {
        &self.global
    }
}
