//! Warnings that many rows give, for `check` and `render` alike: the first row's warning is
//! shown in full (with its clip and cell); the other rows giving the same warning are
//! collapsed into one closing warning, ``rows 3, 7 and 12 more: no font covers 'ꯀ'``.

use std::collections::HashMap;

use crate::diagnostics::{Diagnostic, Span};

/// What makes two rows' warnings "the same": the message and the primary (template) place.
/// The data cell (a second label) differs from row to row and is not part of it.
pub(crate) type Key = (String, Option<Span>);

/// The key of `d`.
pub(crate) fn key(d: &Diagnostic) -> Key {
    (d.message.clone(), d.span())
}

/// Rows per warning, in first-seen order.
#[derive(Debug, Default)]
pub(crate) struct Repeats {
    /// Key → index into `order`.
    index: HashMap<Key, usize>,
    /// Each warning's message and the rows (0-based data indices) that gave it, first first.
    order: Vec<(String, Vec<usize>)>,
}

impl Repeats {
    /// Records that row `row` gave `d`; true when no row gave it before (show it in full).
    /// The same warning twice in one row counts once.
    pub(crate) fn add(&mut self, row: usize, d: &Diagnostic) -> bool {
        let k = key(d);
        match self.index.get(&k) {
            Some(&i) => {
                let rows = &mut self.order[i].1;
                if !rows.contains(&row) {
                    rows.push(row);
                }
                false
            }
            None => {
                self.index.insert(k, self.order.len());
                self.order.push((d.message.clone(), vec![row]));
                true
            }
        }
    }

    /// One closing warning for each warning more than one row gave, naming the other rows in
    /// order (rows may arrive out of order from parallel workers; the first is the one shown).
    pub(crate) fn collapsed(self) -> Vec<Diagnostic> {
        self.order
            .into_iter()
            .filter(|(_, rows)| rows.len() > 1)
            .map(|(message, mut rows)| {
                rows[1..].sort_unstable();
                Diagnostic::warning(format!("{}: {message}", super::rows_phrase(&rows[1..])))
                    .with_note(format!("also in row {} above", rows[0] + 1))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::FileId;

    fn at(message: &str, start: usize) -> Diagnostic {
        Diagnostic::warning(message).with_label(Span::new(FileId(0), start..start + 1), "")
    }

    #[test]
    fn the_first_row_shows_and_the_others_collapse_in_order() {
        let mut r = Repeats::default();
        assert!(r.add(4, &at("no glyph", 1)));
        for row in [9, 2, 9, 30, 7] {
            assert!(!r.add(row, &at("no glyph", 1)));
        }
        // Another place or another message is another warning.
        assert!(r.add(4, &at("no glyph", 2)));
        assert!(r.add(5, &at("overflows", 1)));
        let out = r.collapsed();
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].message, "rows 3, 8 and 2 more: no glyph");
        assert_eq!(out[0].notes, ["also in row 5 above"]);
    }
}
