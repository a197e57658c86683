//! Where each value of an Edit JSON document came from.
//!
//! Expansion (of a `.edit` file or of Shotstack JSON) produces a plain `serde_json::Value` plus an
//! [`Origins`] table keyed by JSON pointer (`/timeline/tracks/0/clips/1/asset/src`). Validation
//! and later stages look a pointer up to label their diagnostics: the template span, and the data
//! cell when the value came from a row.

use crate::diagnostics::{CellPlace, Diagnostic, Span};

/// The source of one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The template text that produced the value (a `.edit` value, key or clip; a JSON value).
    pub span: Span,
    /// The data cell the value was read from, when it came (in whole or in part) from a row.
    pub cell: Option<CellRef>,
}

/// A data cell a value was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellRef {
    /// The cell's bytes in the data file.
    pub span: Span,
    /// How a spreadsheet user names it: `row 7, column "price"` (1-based row).
    pub describe: String,
    /// The 1-based row and the column's name.
    pub place: CellPlace,
}

impl CellRef {
    /// Labels `diag` at this cell: "from row 7, column \"price\"".
    pub fn label(&self, diag: Diagnostic) -> Diagnostic {
        diag.with_cell_label(
            self.span,
            self.place.clone(),
            format!("from {}", self.describe),
        )
    }
}

/// Origins of the values of one expanded document, by JSON pointer.
#[derive(Debug, Clone, Default)]
pub struct Origins {
    /// FxHash: the keys are short pointers hashed once per value of every row, where SipHash
    /// showed up at ~7% of `reel build`; nothing here is attacker-chosen.
    map: rustc_hash::FxHashMap<String, Origin>,
}

impl Origins {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes room for `additional` more pointers (expansion knows roughly how many a row has).
    pub fn reserve(&mut self, additional: usize) {
        self.map.reserve(additional);
    }

    /// Records the origin of the value at `pointer` (RFC 6901, e.g. `/output/fps`).
    pub fn insert(&mut self, pointer: impl Into<String>, origin: Origin) {
        self.map.insert(pointer.into(), origin);
    }

    /// The origin recorded for exactly `pointer`.
    pub fn get(&self, pointer: &str) -> Option<&Origin> {
        self.map.get(pointer)
    }

    /// The origin of `pointer` or of its nearest recorded ancestor (a clip, a track).
    pub fn nearest(&self, pointer: &str) -> Option<&Origin> {
        let mut p = pointer;
        loop {
            if let Some(o) = self.map.get(p) {
                return Some(o);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }

    /// Labels `diag` with where `pointer` came from: the template span (primary), then the data
    /// cell if any.
    pub fn label(&self, pointer: &str, diag: Diagnostic, message: impl Into<String>) -> Diagnostic {
        match self.nearest(pointer) {
            None => diag.with_note(format!("at {pointer}")),
            Some(o) => {
                let d = diag.with_label(o.span, message);
                match &o.cell {
                    Some(c) => c.label(d),
                    None => d,
                }
            }
        }
    }

    /// The pointers whose value came (in whole or in part) from a data cell, in no particular
    /// order: what a row changes (`compile::shared` keeps those clips out of a batch's shared
    /// base).
    pub fn row_pointers(&self) -> impl Iterator<Item = &str> {
        self.map
            .iter()
            .filter(|(_, o)| o.cell.is_some())
            .map(|(p, _)| p.as_str())
    }

    /// Number of recorded pointers.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Escapes one JSON pointer segment (`~` → `~0`, `/` → `~1`).
pub fn pointer_segment(key: &str) -> std::borrow::Cow<'_, str> {
    // Most keys (`timeline`, `clips`, `0`) need no escaping: don't allocate for them, this
    // runs for every value of every row.
    if key.contains(['~', '/']) {
        std::borrow::Cow::Owned(key.replace('~', "~0").replace('/', "~1"))
    } else {
        std::borrow::Cow::Borrowed(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::FileId;

    #[test]
    fn nearest_walks_up() {
        let mut o = Origins::new();
        let span = Span::new(FileId(0), 3..7);
        o.insert("/timeline/tracks/0/clips/1", Origin { span, cell: None });
        assert_eq!(
            o.nearest("/timeline/tracks/0/clips/1/asset/src")
                .unwrap()
                .span,
            span
        );
        assert!(o.nearest("/output").is_none());
    }
}
