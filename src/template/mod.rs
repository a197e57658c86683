//! Templates meet data: rows with provenance ([`data`]), the minijinja environment with reel's
//! filters ([`env`]), expansion of a `.edit` AST per row ([`expand`]) and of Shotstack JSON with
//! `{{ NAME }}` placeholders ([`json`]).
//!
//! Owns [`Row`] and [`Expanded`], the types that cross from here into validation.

pub mod data;
pub mod env;
pub mod expand;
pub mod json;
pub mod numfmt;

pub use expand::{ExpandContext, expand};

use crate::edit::Origins;
use crate::edit::origins::CellRef;

/// One row of data: named cells in file order. CSV cells are strings; JSON values keep their
/// types.
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// 0-based position in the data file (`row_index`); `row_number` is this + 1.
    pub index: usize,
    /// The cells, in column order.
    pub fields: Vec<(String, Cell)>,
}

/// One value of a row and where it was read from.
#[derive(Debug, Clone)]
pub struct Cell {
    /// The value (a string for CSV).
    pub value: serde_json::Value,
    /// The cell in its data file; `None` for values from `--set` or defaults.
    pub origin: Option<CellRef>,
}

impl Row {
    /// The cell named `key`.
    pub fn get(&self, key: &str) -> Option<&Cell> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, c)| c)
    }

    /// Sets (or adds) a field, as `--set key=value` does for every row.
    pub fn set(&mut self, key: &str, cell: Cell) {
        match self.fields.iter_mut().find(|(k, _)| k == key) {
            Some((_, c)) => *c = cell,
            None => self.fields.push((key.to_string(), cell)),
        }
    }
}

/// One row's Edit, before validation: Shotstack Edit JSON plus where each value came from.
#[derive(Debug, Clone)]
pub struct Expanded {
    /// The Edit JSON (`{timeline, output, merge?}`), merge fields resolved unless kept.
    pub edit: serde_json::Value,
    /// Origins of the values, by JSON pointer.
    pub origins: Origins,
    /// The output file stem from the `name` statement (unsanitised), if the template has one.
    pub name: Option<String>,
}
