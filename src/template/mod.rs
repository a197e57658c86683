//! Templates meet data: rows with provenance ([`data`]), the minijinja environment with reel's
//! filters ([`env`]), expansion of a `.edit` AST per row ([`expand`]) and of Shotstack JSON with
//! `{{ NAME }}` placeholders ([`json`]).

pub mod data;
pub mod env;
pub mod expand;
pub mod json;
