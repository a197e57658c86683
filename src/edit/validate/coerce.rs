//! Coercion of scalars to the type the schema wants: `"60"` → `60`, `"true"` → `true`,
//! `1080` → `"1080"`, `60.0` → `60` for integers. Pure; the walker decides whether to warn.

use serde_json::Value;

use crate::edit::schema::Types;

/// What a coercion turned the value into, for the warning text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Coercion {
    /// A string holding a number became the number.
    StringToNumber,
    /// A string holding `true`/`false` became the boolean.
    StringToBool,
    /// A number or boolean became a string.
    ToString,
}

/// The value `v` becomes under `types`, if a lossless coercion exists.
pub(super) fn coerce(v: &Value, types: Types) -> Option<(Value, Coercion)> {
    match v {
        Value::String(s) => from_string(s.trim(), types),
        Value::Number(n) if types.has(Types::STRING) => {
            let text = n.as_f64().map_or_else(|| n.to_string(), super::names::num);
            Some((Value::String(text), Coercion::ToString))
        }
        Value::Bool(b) if types.has(Types::STRING) => {
            Some((Value::String(b.to_string()), Coercion::ToString))
        }
        _ => None,
    }
}

fn from_string(s: &str, types: Types) -> Option<(Value, Coercion)> {
    let numeric = types.has(Types::NUMBER) || types.has(Types::INTEGER);
    if numeric
        && let Some(f) = s.parse::<f64>().ok().filter(|f| f.is_finite())
        && (types.has(Types::NUMBER) || f.fract() == 0.0)
    {
        return Some((number(f), Coercion::StringToNumber));
    }
    if types.has(Types::BOOLEAN) {
        match s {
            "true" => return Some((Value::Bool(true), Coercion::StringToBool)),
            "false" => return Some((Value::Bool(false), Coercion::StringToBool)),
            _ => {}
        }
    }
    None
}

/// A JSON number: integral values as integers (so integer fields deserialise), others as f64.
pub(super) fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Value::from(f as i64)
    } else {
        Value::from(f)
    }
}

/// An integral float (`60.0`) as an integer, where the schema wants an integer (serde reads
/// integer fields only from integers).
pub(super) fn normalize_integer(v: &Value, types: Types) -> Option<Value> {
    match v {
        Value::Number(n)
            if n.is_f64() && types.has(Types::INTEGER) && !types.has(Types::NUMBER) =>
        {
            n.as_f64().map(number)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_become_numbers_and_booleans() {
        let (v, c) = coerce(&json!("60"), Types::INTEGER).unwrap();
        assert_eq!((v, c), (json!(60), Coercion::StringToNumber));
        assert_eq!(
            coerce(&json!(" 0.5 "), Types::NUMBER).unwrap().0,
            json!(0.5)
        );
        assert_eq!(
            coerce(&json!("true"), Types::BOOLEAN).unwrap().0,
            json!(true)
        );
        assert!(coerce(&json!("abc"), Types::NUMBER).is_none());
        assert!(coerce(&json!("60.5"), Types::INTEGER).is_none());
        assert!(coerce(&json!("NaN"), Types::NUMBER).is_none());
        assert!(coerce(&json!("yes"), Types::BOOLEAN).is_none());
    }

    #[test]
    fn numbers_become_strings_and_integers() {
        assert_eq!(
            coerce(&json!(1080), Types::STRING).unwrap().0,
            json!("1080")
        );
        assert!(coerce(&json!(5), Types::NUMBER).is_none());
        let v = normalize_integer(&json!(60.0), Types::INTEGER).unwrap();
        assert!(v.is_i64());
        assert!(normalize_integer(&json!(60), Types::INTEGER).is_none());
        assert!(normalize_integer(&json!(60.0), Types::NUMBER).is_none());
    }
}
