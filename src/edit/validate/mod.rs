//! `validate`: one row's Edit JSON → typed [`Edit`], with every problem reported.
//!
//! Three passes:
//! 1. the schema walk ([`walk`]): types, enums, ranges, patterns, required and unknown keys,
//!    `oneOf` branches; scalars are coerced (`"60"` → `60`), silently when the value came from a
//!    data cell and with a warning when it was written in the template. The walk only reads;
//!    coercions are patches applied to a copy, made only when there are any;
//! 2. checks beyond the schema ([`semantic`]): overlapping clips on a track (warning), unknown
//!    and duplicate aliases, even output sizes, an output size at all, clips ending past
//!    [`ValidateOptions::max_duration`], missing local files;
//! 3. serde into [`Edit`]. After a clean walk this cannot fail; if it does (a bug), the serde
//!    message becomes a diagnostic rather than a panic.
//!
//! Pure, except the optional file-existence check.

mod coerce;
mod kept;
mod names;
mod semantic;
mod walk;

use std::path::PathBuf;

use serde_json::Value;

pub use kept::{is_placeholder, validate_keeping_placeholders};
pub(crate) use semantic::too_long;

use crate::diagnostics::{Diagnostic, Severity, SourceResult, Warned};
use crate::edit::{Edit, Origins, schema};

/// The longest timeline reel accepts unless told otherwise (`--max-duration`): 4 hours. A
/// length from a data cell (`1e9` seconds) would otherwise plan and render for days; real
/// templated videos are seconds to minutes long.
pub const DEFAULT_MAX_DURATION: f64 = 4.0 * 3600.0;

/// What validation may look at beyond the document.
#[derive(Debug, Clone)]
pub struct ValidateOptions {
    /// Directory relative `src` paths are resolved against (the template's directory);
    /// `None` = the current directory.
    pub base_dir: Option<PathBuf>,
    /// Report local media, soundtrack and font files that do not exist. URLs (`http(s)://`,
    /// `alias://`, any `scheme://`) are never checked.
    pub check_files: bool,
    /// What a missing local file is: an error (`check`, `render`: the render would fail) or a
    /// warning (`build`: the Edit JSON is written anyway, the media may come later).
    pub missing_files: Severity,
    /// Seconds: a clip ending later is an error at its `start` or `length`.
    pub max_duration: f64,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            base_dir: None,
            check_files: false,
            missing_files: Severity::Error,
            max_duration: DEFAULT_MAX_DURATION,
        }
    }
}

/// Validates one Edit JSON document and reads it into the typed model.
///
/// Every diagnostic is labelled through `origins` (template span, plus the data cell when the
/// value came from a row). Errors are all reported at once in `Err`; warnings ride beside.
pub fn validate(
    edit: &Value,
    origins: &Origins,
    opts: &ValidateOptions,
) -> Warned<SourceResult<Edit>> {
    let mut walker = walk::Walker::new(schema::schema(), origins);
    walker.check_root(edit);
    let patched;
    let value = if walker.patches.is_empty() {
        edit
    } else {
        patched = apply(edit, &walker.patches);
        &patched
    };
    finish(value, walker.diags, origins, opts)
}

/// [`validate`] for an owned document, which also returns it with the coercions written in
/// (`"64"` from a CSV cell becomes `64`): the JSON `reel build` writes. Patches in place, so no
/// copy of the document is made.
pub fn validate_owned(
    mut edit: Value,
    origins: &Origins,
    opts: &ValidateOptions,
) -> Warned<SourceResult<(Edit, Value)>> {
    let mut walker = walk::Walker::new(schema::schema(), origins);
    walker.check_root(&edit);
    for (ptr, new) in std::mem::take(&mut walker.patches) {
        if let Some(slot) = edit.pointer_mut(&ptr) {
            *slot = new;
        }
    }
    finish(&edit, walker.diags, origins, opts).map(|r| r.map(|typed| (typed, edit)))
}

/// The semantic checks and the typed model, after the schema walk found `diags`.
fn finish(
    value: &Value,
    mut diags: Vec<Diagnostic>,
    origins: &Origins,
    opts: &ValidateOptions,
) -> Warned<SourceResult<Edit>> {
    let mut checks = semantic::Checks::new(origins);
    checks.run(value, opts);
    diags.append(&mut checks.diags);
    if !diags.iter().any(Diagnostic::is_error) {
        // Deserialising from `&Value` borrows instead of consuming: measurably cheaper.
        match <Edit as serde::Deserialize>::deserialize(value) {
            Ok(edit) => {
                return Warned {
                    output: Ok(edit),
                    warnings: diags,
                };
            }
            Err(e) => diags.push(model_mismatch(&e, origins)),
        }
    }
    let (errors, warnings) = diags.into_iter().partition(Diagnostic::is_error);
    Warned {
        output: Err(errors),
        warnings,
    }
}

/// A copy of `edit` with the walk's coercions written in.
fn apply(edit: &Value, patches: &[(String, Value)]) -> Value {
    let mut value = edit.clone();
    for (ptr, new) in patches {
        if let Some(slot) = value.pointer_mut(ptr) {
            *slot = new.clone();
        }
    }
    value
}

/// A document that passed the schema but not serde: a disagreement between the schema walk and
/// the model, i.e. a bug in reel, reported instead of panicking.
fn model_mismatch(e: &serde_json::Error, origins: &Origins) -> Diagnostic {
    let d = Diagnostic::error(format!(
        "internal error: the edit does not fit reel's model: {e}"
    ))
    .with_note("this is a bug in reel; please report it with the template");
    origins.label("", d, "in this document")
}

#[cfg(test)]
mod tests;
