//! How validation names places: `font.size` for a pointer into a clip's asset,
//! `output.size.width` elsewhere, "clip 2 on track 1" for a clip.

use serde_json::Value;

use crate::edit::schema;

/// The user-facing name of the value at a JSON pointer.
///
/// Inside a clip the path is relative to the clip and the `asset.` prefix is dropped, as a
/// `.edit` file writes asset keys on the clip (`font.size`), unless the key is also a clip
/// property (`asset.width`). Array indices are shown as `[i]`.
pub(super) fn display_path(ptr: &str) -> String {
    let segs: Vec<&str> = ptr.split('/').skip(1).collect();
    let rest: &[&str] = match segs.as_slice() {
        ["timeline", "tracks", t, "clips", c, rest @ ..] if is_index(t) && is_index(c) => {
            match rest {
                [] => return "clip".into(),
                ["asset"] => return "asset".into(),
                ["asset", key, ..] if !schema::clip_properties().contains(key) => &rest[1..],
                _ => rest,
            }
        }
        [] => return "edit".into(),
        _ => &segs,
    };
    join(rest)
}

fn join(segs: &[&str]) -> String {
    let mut out = String::new();
    for s in segs {
        if is_index(s) {
            out.push('[');
            out.push_str(s);
            out.push(']');
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&s.replace("~1", "/").replace("~0", "~"));
        }
    }
    out
}

fn is_index(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// "clip 2 on track 1" (1-based, first track = top layer).
pub(super) fn clip_name(track: usize, clip: usize) -> String {
    format!("clip {} on track {}", clip + 1, track + 1)
}

/// What an object at `ptr` is, for "missing `x` in …" and "not a property of …".
pub(super) fn object_name(ptr: &str) -> String {
    let segs: Vec<&str> = ptr.split('/').skip(1).collect();
    match segs.as_slice() {
        [] => "the edit".into(),
        ["timeline", "tracks", t, "clips", c] => match (t.parse(), c.parse()) {
            (Ok(t), Ok(c)) => clip_name(t, c),
            _ => format!("`{}`", display_path(ptr)),
        },
        ["timeline", "tracks", t] => format!("track {}", t.parse::<usize>().map_or(0, |t| t + 1)),
        _ => format!("`{}`", display_path(ptr)),
    }
}

/// A short rendering of a value for messages: `"abc"`, `12`, `true`, "a list", "an object".
pub(super) fn found(v: &Value) -> String {
    match v {
        Value::String(s) => {
            let mut short: String = s.chars().take(40).collect();
            if short.len() < s.len() {
                short.push('…');
            }
            format!("{short:?}")
        }
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
        other => other.to_string(),
    }
}

/// Formats a number without a trailing `.0`.
pub(super) fn num(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_clip() {
        let clip = "/timeline/tracks/0/clips/1";
        assert_eq!(
            display_path(&format!("{clip}/asset/font/size")),
            "font.size"
        );
        assert_eq!(display_path(&format!("{clip}/asset/width")), "asset.width");
        assert_eq!(display_path(&format!("{clip}/position")), "position");
        assert_eq!(
            display_path(&format!("{clip}/opacity/0/to")),
            "opacity[0].to"
        );
        assert_eq!(display_path(clip), "clip");
        assert_eq!(display_path("/output/size/width"), "output.size.width");
        assert_eq!(display_path("/a~1b"), "a/b");
        assert_eq!(display_path(""), "edit");
    }

    #[test]
    fn objects_and_values_are_named() {
        assert_eq!(
            object_name("/timeline/tracks/0/clips/1"),
            "clip 2 on track 1"
        );
        assert_eq!(object_name("/output"), "`output`");
        assert_eq!(object_name(""), "the edit");
        assert_eq!(found(&Value::from("abc")), "\"abc\"");
        assert_eq!(found(&Value::from(1.5)), "1.5");
        assert_eq!(num(640.0), "640");
    }
}
