//! Variables in scope while one row is expanded: `let`s, loop variables and component
//! parameters (innermost first), merge fields, then the row's fields, `row`, `row_index` and
//! `row_number`.

use std::cell::OnceCell;
use std::collections::BTreeMap;

use minijinja::Value as MjValue;

use crate::edit::origins::CellRef;
use crate::template::Row;

/// One variable.
#[derive(Debug, Clone)]
pub(crate) struct Var {
    /// Its value.
    pub(crate) value: MjValue,
    /// The data cell it was computed from, if any.
    pub(crate) cell: Option<CellRef>,
    /// Whether it is a `merge` field (kept as `{{ NAME }}` with `--keep-merge`).
    pub(crate) merge: bool,
}

/// The variables visible at one point of the expansion.
pub(crate) struct Scope<'r> {
    /// Frames of local variables; the last frame is the innermost block.
    frames: Vec<Vec<(String, Var)>>,
    /// The row being expanded.
    row: &'r Row,
    /// The row's values, each converted on first use, in column order.
    fields: Vec<OnceCell<MjValue>>,
    /// `row` as a map, built on first use.
    row_map: OnceCell<MjValue>,
}

impl<'r> Scope<'r> {
    /// A scope over `row` with one empty frame.
    pub(crate) fn new(row: &'r Row) -> Self {
        Scope {
            frames: vec![Vec::new()],
            row,
            fields: vec![OnceCell::new(); row.fields.len()],
            row_map: OnceCell::new(),
        }
    }

    /// Opens a block.
    pub(crate) fn push(&mut self) {
        self.frames.push(Vec::new());
    }

    /// Closes the innermost block.
    pub(crate) fn pop(&mut self) {
        self.frames.pop();
    }

    /// Defines (or redefines) a variable in the innermost block.
    pub(crate) fn define(&mut self, name: &str, var: Var) {
        let frame = self.frames.last_mut().expect("scope has a frame");
        match frame.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => *v = var,
            None => frame.push((name.to_string(), var)),
        }
    }

    /// The local (or merge) variable `name`, innermost first.
    pub(crate) fn local(&self, name: &str) -> Option<&Var> {
        self.frames
            .iter()
            .rev()
            .flat_map(|f| f.iter().rev())
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// The value of `name` and the cell it came from: locals, then row fields, then `row`,
    /// `row_index`, `row_number`.
    pub(crate) fn lookup(&self, name: &str) -> Option<(MjValue, Option<&CellRef>)> {
        if let Some(v) = self.local(name) {
            return Some((v.value.clone(), v.cell.as_ref()));
        }
        if let Some(i) = self.row.fields.iter().position(|(k, _)| k == name) {
            return Some((self.field(i).clone(), self.row.fields[i].1.origin.as_ref()));
        }
        match name {
            "row" => Some((self.row_map().clone(), None)),
            "row_index" => Some((MjValue::from(self.row.index), None)),
            "row_number" => Some((MjValue::from(self.row.index + 1), None)),
            _ => None,
        }
    }

    /// The cell of row field `column`, if the row has that column.
    pub(crate) fn column_cell(&self, column: &str) -> Option<Option<&CellRef>> {
        self.row.get(column).map(|c| c.origin.as_ref())
    }

    /// The row's column names.
    pub(crate) fn columns(&self) -> impl Iterator<Item = &str> {
        self.row.fields.iter().map(|(k, _)| k.as_str())
    }

    /// Every name in scope (for "did you mean").
    pub(crate) fn names(&self) -> Vec<&str> {
        let locals = self.frames.iter().flatten().map(|(n, _)| n.as_str());
        let fixed = ["row", "row_index", "row_number"];
        locals.chain(self.columns()).chain(fixed).collect()
    }

    /// Field `i` as a minijinja value.
    fn field(&self, i: usize) -> &MjValue {
        self.fields[i].get_or_init(|| super::to_mj(&self.row.fields[i].1.value))
    }

    fn row_map(&self) -> &MjValue {
        self.row_map.get_or_init(|| {
            let map: BTreeMap<String, MjValue> = self
                .row
                .fields
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.clone(), self.field(i).clone()))
                .collect();
            MjValue::from_object(map)
        })
    }
}
