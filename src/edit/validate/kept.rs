//! Validation of a `--keep-merge` document: placeholders stay in the Edit JSON in any field.
//!
//! Shotstack fills placeholders when it renders, so `reel build --keep-merge` must write them
//! as they are, even where the schema wants a colour, a number or an enum value
//! (`"color": "{{ ACCENT }}"`, `"position": "POSITION_VAR"`). A value is a placeholder when it
//! holds `{{ NAME }}`, or is a whole upper-case name with an underscore (`VIDEO_URL_VAR`: the
//! convention of Shotstack's demos, whose client code replaces them).
//!
//! How: the document is validated once; every diagnostic whose primary place is a placeholder
//! value is dropped. A placeholder that was an error is replaced, in a copy, by its `merge`
//! default (`{{ ACCENT }}` with `ACCENT = "#22D3EE"`) or removed (the field's default), and
//! the copy is validated again for the typed [`Edit`]. The JSON returned holds the
//! placeholders as written.

use serde_json::Value;

use super::{ValidateOptions, validate, validate_owned};
use crate::diagnostics::{Diagnostic, SourceResult, Span, Warned};
use crate::edit::{Edit, Origins};

/// Whether a string is a placeholder kept by `--keep-merge`: it holds `{{ … }}`, or it is an
/// upper-case name with an underscore (`POSITION_VAR`).
pub fn is_placeholder(s: &str) -> bool {
    if let Some(open) = s.find("{{") {
        return s[open..].contains("}}");
    }
    let b = s.as_bytes();
    b.first().is_some_and(u8::is_ascii_uppercase)
        && s.contains('_')
        && !s.ends_with('_')
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
}

/// [`validate_owned`] for a document whose placeholders must survive (see the module docs).
pub fn validate_keeping_placeholders(
    edit: Value,
    origins: &Origins,
    opts: &ValidateOptions,
) -> Warned<SourceResult<(Edit, Value)>> {
    let mut leaves = Vec::new();
    collect(&edit, &mut String::new(), &mut leaves);
    // Only placeholders with a place of their own can be told apart in diagnostics.
    let spots: Vec<(String, Value, Span)> = leaves
        .into_iter()
        .filter_map(|(ptr, v)| origins.get(&ptr).map(|o| (ptr, v, o.span)))
        .collect();
    if spots.is_empty() {
        return validate_owned(edit, origins, opts);
    }
    let at_placeholder = |d: &Diagnostic| {
        d.span()
            .and_then(|s| spots.iter().position(|(_, _, sp)| *sp == s))
    };
    let first = validate(&edit, origins, opts);
    let diags = match &first.output {
        Ok(_) => first.warnings.iter().collect::<Vec<_>>(),
        Err(e) => e.iter().chain(&first.warnings).collect(),
    };
    let mut fixed: Vec<usize> = diags
        .iter()
        .filter(|d| d.is_error())
        .filter_map(|d| at_placeholder(d))
        .collect();
    fixed.sort_unstable();
    fixed.dedup();
    let defaults = merge_defaults(&edit);
    let mut probe = edit.clone();
    for &i in &fixed {
        let (ptr, value, _) = &spots[i];
        let default = value
            .as_str()
            .and_then(|s| whole_name(s))
            .and_then(|n| defaults.iter().find(|(k, _)| k == n))
            .map(|(_, v)| v.clone());
        match default {
            Some(v) => {
                if let Some(slot) = probe.pointer_mut(ptr) {
                    *slot = v;
                }
            }
            None => remove(&mut probe, ptr),
        }
    }
    drop(first);
    let second = validate_owned(probe, origins, opts);
    let keep = |d: &Diagnostic| at_placeholder(d).is_none();
    let warnings = second.warnings.into_iter().filter(keep).collect();
    let output = match second.output {
        Ok((typed, mut json)) => {
            for &i in &fixed {
                let (ptr, value, _) = &spots[i];
                put(&mut json, ptr, value.clone());
            }
            Ok((typed, json))
        }
        Err(errors) => Err(errors.into_iter().filter(keep).collect::<Vec<_>>()),
    };
    // Every error was at a placeholder, yet the typed model still failed: keep the errors
    // rather than report nothing.
    let output = match output {
        Err(e) if e.is_empty() => validate_owned(edit, origins, opts).output,
        other => other,
    };
    Warned { output, warnings }
}

/// `NAME` of a string that is exactly `{{ NAME }}`.
fn whole_name(s: &str) -> Option<&str> {
    let inner = s.trim().strip_prefix("{{")?.strip_suffix("}}")?.trim();
    (!inner.is_empty() && !inner.contains(['{', '}'])).then_some(inner)
}

/// The `merge` array's `find` → `replace` pairs.
fn merge_defaults(edit: &Value) -> Vec<(String, Value)> {
    let Some(list) = edit.get("merge").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|m| {
            let find = m.get("find")?.as_str()?.trim().to_string();
            Some((find, m.get("replace")?.clone()))
        })
        .collect()
}

/// Every placeholder string outside `merge`, with its pointer.
fn collect(v: &Value, ptr: &mut String, out: &mut Vec<(String, Value)>) {
    let len = ptr.len();
    match v {
        Value::String(s) if is_placeholder(s) => out.push((ptr.clone(), v.clone())),
        Value::Object(map) => {
            for (k, child) in map {
                if len == 0 && k == "merge" {
                    continue;
                }
                ptr.push('/');
                ptr.push_str(&crate::edit::origins::pointer_segment(k));
                collect(child, ptr, out);
                ptr.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                ptr.push('/');
                ptr.push_str(&i.to_string());
                collect(child, ptr, out);
                ptr.truncate(len);
            }
        }
        _ => {}
    }
}

/// Removes the member at `ptr` (an object key; array items are left alone).
fn remove(doc: &mut Value, ptr: &str) {
    let Some((parent, key)) = ptr.rsplit_once('/') else {
        return;
    };
    if let Some(Value::Object(map)) = doc.pointer_mut(parent) {
        map.remove(&key.replace("~1", "/").replace("~0", "~"));
    }
}

/// Writes `value` at `ptr`, adding the key to its object when it was removed.
fn put(doc: &mut Value, ptr: &str, value: Value) {
    if let Some(slot) = doc.pointer_mut(ptr) {
        *slot = value;
        return;
    }
    let Some((parent, key)) = ptr.rsplit_once('/') else {
        return;
    };
    if let Some(Value::Object(map)) = doc.pointer_mut(parent) {
        map.insert(key.replace("~1", "/").replace("~0", "~"), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_are_told_from_values() {
        for p in [
            "{{ACCENT}}",
            "{{ a }} px",
            "POSITION_VAR",
            "VIDEO_URL_VAR",
            "A_1",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        for v in [
            "#22D3EE",
            "center",
            "HD",
            "SALE",
            "_X",
            "X_",
            "{{ open",
            "Hello_world",
        ] {
            assert!(!is_placeholder(v), "{v}");
        }
    }

    #[test]
    fn typed_placeholders_survive_and_the_edit_takes_defaults() {
        let edit = json!({
            "merge": [{ "find": "ACCENT", "replace": "#22D3EE" }],
            "timeline": { "tracks": [{ "clips": [{
                "asset": { "type": "text", "text": "hi", "font": { "color": "{{ACCENT}}" } },
                "start": 0, "length": 1, "position": "POSITION_VAR"
            }] }] },
            "output": { "format": "mp4", "resolution": "sd" }
        });
        // Every value needs a place for the diagnostics to be matched: give each its own.
        let mut origins = Origins::new();
        let file = crate::diagnostics::SourceMap::new().add("t.json", "x".repeat(100));
        for (i, p) in [
            "/timeline/tracks/0/clips/0/asset/font/color",
            "/timeline/tracks/0/clips/0/position",
        ]
        .iter()
        .enumerate()
        {
            let span = Span::new(file, i * 10..i * 10 + 5);
            origins.insert(*p, crate::edit::origins::Origin { span, cell: None });
        }
        let w = validate_keeping_placeholders(edit.clone(), &origins, &ValidateOptions::default());
        assert!(w.warnings.is_empty(), "{:?}", w.warnings);
        let (typed, json) = w.output.expect("valid");
        assert_eq!(json, edit);
        let clip = &typed.timeline.tracks[0].clips[0];
        assert!(
            clip.position.is_none(),
            "the Edit takes the default position"
        );
    }
}
