//! The Shotstack Edit model (serde, schema v1.18.3) and its validation.
//!
//! [`model`] is the typed document every later stage reads ([`Edit`] and friends); [`origins`]
//! maps JSON pointers back to template spans and data cells. [`json_eq`] compares two JSON
//! documents the way a round trip through the model should preserve them.

pub mod model;
pub mod origins;
pub mod schema;
mod validate;

pub use model::*;
pub use origins::Origins;
pub use validate::{ValidateOptions, validate};

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
