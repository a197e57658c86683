//! What expansion needs to know of the Shotstack schema (`src/edit/schema.json`): which keys
//! belong to a Clip (the rest go to its asset) and the enum values of each property name, used
//! to tell an enum value (`fade`) from a variable.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use serde_json::Value as Json;

/// Facts read once from the schema.
struct Facts {
    /// Clip properties other than `asset`.
    clip_keys: BTreeSet<String>,
    /// Property name → enum values, across every definition.
    enums: HashMap<String, BTreeSet<String>>,
    /// Every property name of every definition.
    keys: BTreeSet<String>,
}

static FACTS: LazyLock<Facts> = LazyLock::new(|| {
    let schema: Json = serde_json::from_str(include_str!("../../edit/schema.json"))
        .expect("the bundled schema is valid JSON");
    let defs = &schema["$defs"];
    let clip_keys = defs["Clip"]["properties"]
        .as_object()
        .map(|m| m.keys().filter(|k| *k != "asset").cloned().collect())
        .unwrap_or_default();
    let mut enums: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut keys = BTreeSet::new();
    for def in defs.as_object().into_iter().flat_map(|m| m.values()) {
        for (name, prop) in def["properties"].as_object().into_iter().flatten() {
            keys.insert(name.clone());
            collect_enums(prop, enums.entry(name.clone()).or_default());
        }
    }
    // Timing words the schema spells as free strings.
    enums
        .entry("start".into())
        .or_default()
        .insert("auto".into());
    let length = enums.entry("length".into()).or_default();
    length.extend(["auto".to_string(), "end".to_string()]);
    enums.retain(|_, v| !v.is_empty());
    Facts {
        clip_keys,
        enums,
        keys,
    }
});

fn collect_enums(node: &Json, out: &mut BTreeSet<String>) {
    if let Some(values) = node["enum"].as_array() {
        out.extend(values.iter().filter_map(|v| v.as_str().map(str::to_string)));
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for sub in node[key].as_array().into_iter().flatten() {
            collect_enums(sub, out);
        }
    }
    if node["items"].is_object() {
        collect_enums(&node["items"], out);
    }
}

/// Whether `key` (a top-level property name) belongs to the Clip rather than its asset.
pub(crate) fn is_clip_key(key: &str) -> bool {
    FACTS.clip_keys.contains(key)
}

/// Whether some definition of the schema has a property named `key`.
pub(crate) fn is_known_key(key: &str) -> bool {
    FACTS.keys.contains(key)
}

/// Whether the property named `key` has enum values at all.
pub(crate) fn has_enum(key: &str) -> bool {
    FACTS.enums.contains_key(key)
}

/// Whether `value` is an enum value of the property named `key`.
pub(crate) fn is_enum_value(key: &str, value: &str) -> bool {
    FACTS.enums.get(key).is_some_and(|s| s.contains(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_facts() {
        for k in [
            "fit",
            "position",
            "offset",
            "transition",
            "alias",
            "start",
            "length",
        ] {
            assert!(is_clip_key(k), "{k}");
        }
        assert!(!is_clip_key("src") && !is_clip_key("asset"));
        assert!(is_enum_value("position", "topRight"));
        assert!(is_enum_value("in", "fade"));
        assert!(is_enum_value("easing", "easeInOut"));
        assert!(is_enum_value("length", "end"));
        assert!(is_enum_value("shape", "rectangle"));
        assert!(!is_enum_value("position", "fade"));
        assert!(!has_enum("src"));
        assert!(is_known_key("lineHeight") && is_known_key("opacity"));
        assert!(!is_known_key("positon"));
    }
}
