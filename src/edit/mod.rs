//! The Shotstack Edit model (serde, schema v1.18.3) and its validation.
//!
//! [`model`] is the typed document every later stage reads ([`Edit`] and friends); [`origins`]
//! maps JSON pointers back to template spans and data cells; [`schema`] is the embedded JSON
//! Schema as a tree plus lookups (enum values, property names); [`validate()`] turns one row's
//! Edit JSON into an [`Edit`], reporting every problem. [`json_eq`] compares two JSON documents
//! the way a round trip through the model preserves them.
//!
//! Decisions (and why):
//! - **Unknown keys** are errors: validation reports them with a "did you mean"; the model
//!   itself uses `deny_unknown_fields`, so even direct serde users never lose data silently.
//! - **Coercion**: a string where the schema wants a number/integer/boolean is read if it parses
//!   (`"60"`, `"true"`), and so is a number where a string is wanted (`1080` for `resolution`).
//!   Silent when the value came from a data cell (CSV cells are always strings); a warning when
//!   it was written in the template. An integral float (`60.0`) is accepted for an integer.
//! - **Font `weight`** is `any` in the schema, with the default `"400"` (a string), so
//!   `"600"` and `600` are both accepted without a warning (the SDK demo writes strings);
//!   anything else (a boolean, an object) is an error. [`FontWeight::value`] reads both.
//! - **Placeholders that are not enum values** (the watermark demo's `POSITION_VAR`, substituted
//!   by its own code) are errors listing the valid values: there is no sensible default.
//! - **Overlaps**: clips of one track that play at the same time *and* are placed alike (same
//!   `position`, `offset`, `width`, `height`) get a warning (Shotstack's drawing order is then
//!   undefined). Luma clips are exempt (they overlap the clip they mask by design) and so are
//!   clips placed apart, a layout Shotstack's own real-estate demo uses.
//! - **Output size**: `resolution` or `size` is required except for `mp3`; both `size` sides
//!   must be even (encoders and Shotstack require it).
//! - **Local files** are checked only when asked ([`ValidateOptions::check_files`]); anything
//!   with a `scheme://` (http, https, alias, s3…) or `data:` is not a local file; svg `src` is
//!   markup, not a path.

pub mod model;
pub mod origins;
pub mod schema;
mod validate;

pub use model::*;
pub use origins::Origins;
pub(crate) use validate::too_long;
pub use validate::{
    DEFAULT_MAX_DURATION, ValidateOptions, is_placeholder, validate, validate_keeping_placeholders,
    validate_owned,
};

/// Whether two JSON values are equal as data: numbers by value (`5` == `5.0`), objects as maps
/// (key order ignored), arrays element by element.
pub fn json_eq(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_eq_compares_numbers_by_value_and_ignores_key_order() {
        assert!(json_eq(
            &json!({"a": 5, "b": [1]}),
            &json!({"b": [1.0], "a": 5.0})
        ));
        assert!(!json_eq(&json!({"a": 5}), &json!({"a": 5.5})));
        assert!(!json_eq(&json!({"a": 5}), &json!({"a": 5, "b": null})));
        assert!(!json_eq(&json!([1, 2]), &json!([2, 1])));
        assert!(!json_eq(&json!("5"), &json!(5)));
    }
}
