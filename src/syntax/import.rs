//! `reel import`: Shotstack Edit JSON → idiomatic `.edit` text.
//!
//! The output round-trips: expanding it with an empty row and `--keep-merge` gives the input
//! back (numbers compared by value). Clips become one line each (`ASSET PRIMARY at START for
//! LENGTH` plus short properties), with nested or long properties in a `{ }` block; merge
//! fields become `merge NAME = value` and their `{{ NAME }}` placeholders stay; any other `{{`
//! is escaped (`\{{`) so it stays literal text. Keys the language cannot express (e.g.
//! `timeline.cache`) are listed in a comment at the top.

use std::fmt::Write as _;

use serde_json::{Map, Value as Json};

use crate::template::expand::{is_clip_key, is_enum_value, primary_key};

/// Longest value kept on a clip line; longer ones go into the block.
const LINE_VALUE_MAX: usize = 40;

/// Converts a Shotstack Edit document to `.edit` text.
pub fn import(edit: &Json) -> String {
    let mut p = Printer {
        out: String::new(),
        merge_names: merge_names(edit),
    };
    p.document(edit);
    p.out
}

/// The `find` names of the `merge` array.
fn merge_names(edit: &Json) -> Vec<String> {
    let entries = edit["merge"].as_array().into_iter().flatten();
    entries
        .filter_map(|m| m["find"].as_str().map(str::to_string))
        .collect()
}

/// Writes `.edit` text.
struct Printer {
    out: String,
    /// Merge field names: their placeholders stay, bare words equal to them are quoted.
    merge_names: Vec<String>,
}

impl Printer {
    fn document(&mut self, edit: &Json) {
        let empty = Map::new();
        let root = edit.as_object().unwrap_or(&empty);
        let timeline = root
            .get("timeline")
            .and_then(Json::as_object)
            .unwrap_or(&empty);
        self.unsupported(root, timeline);
        if let Some(o) = root.get("output").and_then(Json::as_object) {
            self.output(o);
        }
        if let Some(b) = timeline.get("background") {
            let _ = writeln!(self.out, "background {}", self.value(b, "background"));
        }
        for f in timeline
            .get("fonts")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let _ = writeln!(self.out, "font {}", self.value(&f["src"], "src"));
        }
        if let Some(s) = timeline.get("soundtrack").and_then(Json::as_object) {
            self.soundtrack(s);
        }
        for m in root
            .get("merge")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let name = m["find"].as_str().unwrap_or_default();
            let value = self.value(&m["replace"], "replace");
            let _ = writeln!(self.out, "merge {} = {value}", key_segment(name));
        }
        for t in timeline
            .get("tracks")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            self.track(t);
        }
    }

    /// A comment naming keys that have no `.edit` form.
    fn unsupported(&mut self, root: &Map<String, Json>, timeline: &Map<String, Json>) {
        let mut lost: Vec<String> = root
            .keys()
            .filter(|k| !matches!(k.as_str(), "timeline" | "output" | "merge"))
            .cloned()
            .collect();
        lost.extend(
            timeline
                .keys()
                .filter(|k| !matches!(k.as_str(), "background" | "fonts" | "soundtrack" | "tracks"))
                .map(|k| format!("timeline.{k}")),
        );
        if !lost.is_empty() {
            let _ = writeln!(self.out, "// not imported: {}", lost.join(", "));
        }
    }

    /// `output FORMAT [RESOLUTION | WxH] [key=value…]`.
    fn output(&mut self, o: &Map<String, Json>) {
        let mut line = String::from("output");
        let mut rest = o.clone();
        if let Some(f) = o
            .get("format")
            .and_then(Json::as_str)
            .filter(|f| is_ident(f))
        {
            let _ = write!(line, " {f}");
            rest.remove("format");
            let res = o.get("resolution").and_then(Json::as_str);
            if let Some(r) =
                res.filter(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_alphanumeric()))
            {
                let _ = write!(line, " {r}");
                rest.remove("resolution");
            } else if let Some((w, h)) = size(o.get("size")) {
                let _ = write!(line, " {w}x{h}");
                rest.remove("size");
            }
        }
        for (k, v) in flatten(&rest, &[]) {
            let _ = write!(line, " {}={}", k, self.value(v, last(&k)));
        }
        let _ = writeln!(self.out, "{line}");
    }

    /// `soundtrack SRC [key=value…]`.
    fn soundtrack(&mut self, s: &Map<String, Json>) {
        let mut rest = s.clone();
        let src = rest.remove("src").unwrap_or(Json::Null);
        let mut line = format!("soundtrack {}", self.value(&src, "src"));
        for (k, v) in flatten(&rest, &[]) {
            let _ = write!(line, " {}={}", k, self.value(v, last(&k)));
        }
        let _ = writeln!(self.out, "{line}");
    }

    fn track(&mut self, t: &Json) {
        self.out.push_str("\ntrack {\n");
        for c in t["clips"].as_array().into_iter().flatten() {
            self.clip(c);
        }
        self.out.push_str("}\n");
    }

    /// One clip line (and block).
    fn clip(&mut self, c: &Json) {
        let empty = Map::new();
        let clip = c.as_object().unwrap_or(&empty);
        let asset = clip
            .get("asset")
            .and_then(Json::as_object)
            .unwrap_or(&empty);
        let kind = asset
            .get("type")
            .and_then(Json::as_str)
            .unwrap_or("unknown");
        let primary = primary_key(kind);
        let mut line = format!("  {kind}");
        if let Some(p) = asset.get(primary) {
            let _ = write!(line, " {}", self.value(p, primary));
        }
        if let Some(s) = clip.get("start") {
            let _ = write!(line, " at {}", self.value(s, "start"));
        }
        if let Some(l) = clip.get("length") {
            let _ = write!(line, " for {}", self.value(l, "length"));
        }
        let mut props = self.clip_props(clip);
        props.extend(self.asset_props(asset, primary));
        let mut block = Vec::new();
        for (key, value, nested) in props {
            if nested || value.len() > LINE_VALUE_MAX || value.contains('\n') {
                block.push(format!("    {key} = {value}"));
            } else {
                let _ = write!(line, " {key}={value}");
            }
        }
        self.out.push_str(&line);
        if block.is_empty() {
            self.out.push('\n');
        } else {
            let _ = writeln!(self.out, " {{\n{}\n  }}", block.join("\n"));
        }
    }

    /// Clip-side properties: (dotted key, value text, came from a nested object).
    fn clip_props(&self, clip: &Map<String, Json>) -> Vec<(String, String, bool)> {
        let mut out = Vec::new();
        for (k, v) in clip {
            if matches!(k.as_str(), "asset" | "start" | "length") {
                continue;
            }
            let prefix = if is_clip_key(k) { "" } else { "clip." };
            if k == "transition"
                && let Some(t) = v.as_object()
                && t.len() == 2
                && t.get("in").is_some_and(Json::is_string)
                && t.get("in") == t.get("out")
            {
                out.push((k.clone(), self.value(&t["in"], "in"), false));
                continue;
            }
            self.push_flat(&mut out, prefix, k, v);
        }
        out
    }

    /// Asset-side properties (other than `type` and the primary field).
    fn asset_props(&self, asset: &Map<String, Json>, primary: &str) -> Vec<(String, String, bool)> {
        let mut out = Vec::new();
        for (k, v) in asset {
            if k == "type" || k == primary {
                continue;
            }
            let forced = is_clip_key(k) || k == "asset" || k == "clip";
            self.push_flat(&mut out, if forced { "asset." } else { "" }, k, v);
        }
        out
    }

    fn push_flat(&self, out: &mut Vec<(String, String, bool)>, prefix: &str, k: &str, v: &Json) {
        let head = format!("{prefix}{}", key_segment(k));
        match v.as_object() {
            Some(m) if !m.is_empty() => {
                for (sub, leaf) in flatten(m, &[]) {
                    let value = self.value(leaf, last(&sub));
                    out.push((format!("{head}.{sub}"), value, true));
                }
            }
            _ => {
                let value = self.value(v, k);
                let nested = v.is_array();
                out.push((head, value, nested));
            }
        }
    }

    /// A value as `.edit` text, in the position of property `key`.
    fn value(&self, v: &Json, key: &str) -> String {
        match v {
            Json::Null | Json::Bool(_) | Json::Number(_) => v.to_string(),
            Json::String(s) => self.string(s, key),
            Json::Array(items) => {
                let parts: Vec<String> = items.iter().map(|i| self.value(i, key)).collect();
                format!("[{}]", parts.join(", "))
            }
            Json::Object(m) => {
                let parts: Vec<String> = m
                    .iter()
                    .map(|(k, v)| format!("{}: {}", key_segment(k), self.value(v, k)))
                    .collect();
                format!("{{ {} }}", parts.join(", "))
            }
        }
    }

    /// A string: a bare enum word, a raw `"""` string for markup with quotes, or a quoted
    /// string.
    fn string(&self, s: &str, key: &str) -> String {
        let is_merge = self.merge_names.iter().any(|m| m == s);
        if is_ident(s) && is_enum_value(key, s) && !is_merge && !is_literal_word(s) {
            return s.to_string();
        }
        let markup = s.contains('\n')
            || matches!(key, "html" | "css" | "js")
            || (key == "src" && s.trim_start().starts_with('<'));
        let raw_ok = !s.contains("\"\"\"") && !s.ends_with('"') && !self.has_literal_braces(s);
        if markup && raw_ok && s.contains('"') {
            return format!("\"\"\"{s}\"\"\"");
        }
        self.quoted(s)
    }

    /// A `"…"` string: escapes, merge placeholders kept, any other `{{` escaped as `\{{`.
    fn quoted(&self, s: &str) -> String {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('"');
        let mut i = 0;
        while let Some(c) = s[i..].chars().next() {
            if s[i..].starts_with("{{") {
                match self.placeholder_len(&s[i..]) {
                    Some(len) => {
                        out.push_str(&s[i..i + len]);
                        i += len;
                    }
                    None => {
                        out.push_str("\\{");
                        i += 1;
                    }
                }
                continue;
            }
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                c if c.is_control() => {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
                c => out.push(c),
            }
            i += c.len_utf8();
        }
        out.push('"');
        out
    }

    /// The length of a `{{ NAME }}` merge placeholder at the start of `rest`.
    fn placeholder_len(&self, rest: &str) -> Option<usize> {
        let end = rest[2..].find("}}")?;
        let inner = &rest[2..2 + end];
        let known = self.merge_names.iter().any(|m| m == inner.trim());
        (known && !inner.contains('\n')).then_some(end + 4)
    }

    /// Whether `s` has a `{{` that is not a merge placeholder (and must stay literal).
    fn has_literal_braces(&self, s: &str) -> bool {
        s.match_indices("{{")
            .any(|(i, _)| self.placeholder_len(&s[i..]).is_none())
    }
}

/// Flattens nested objects to dotted keys (non-empty objects only; arrays stay whole).
fn flatten<'a>(m: &'a Map<String, Json>, prefix: &[String]) -> Vec<(String, &'a Json)> {
    let mut out = Vec::new();
    for (k, v) in m {
        let mut path = prefix.to_vec();
        path.push(key_segment(k));
        match v.as_object() {
            Some(sub) if !sub.is_empty() => out.extend(flatten(sub, &path)),
            _ => out.push((path.join("."), v)),
        }
    }
    out
}

/// The last segment of a dotted key (the enum context of its value).
fn last(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key).trim_matches('"')
}

/// A key segment: bare when it is a name, else quoted.
fn key_segment(k: &str) -> String {
    if is_ident(k) {
        k.to_string()
    } else {
        serde_json::to_string(k).unwrap_or_default()
    }
}

/// `true`, `false` and `null` read as literals, never as enum words.
fn is_literal_word(s: &str) -> bool {
    matches!(s, "true" | "false" | "null")
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `size: {width, height}` as integers, when that is all it holds.
fn size(v: Option<&Json>) -> Option<(u64, u64)> {
    let m = v?.as_object()?;
    if m.len() != 2 {
        return None;
    }
    Some((m.get("width")?.as_u64()?, m.get("height")?.as_u64()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_lines_blocks_and_merge() {
        let edit = serde_json::json!({
            "merge": [{"find": "NAME", "replace": "Ann"}],
            "timeline": {"tracks": [{"clips": [{
                "asset": {"type": "html", "html": "<p class=\"a\">{{ NAME }} {{x}}</p>", "position": "top"},
                "start": 0, "length": "end", "position": "center", "offset": {"x": 0.1},
                "transition": {"in": "fade", "out": "fade"}
            }]}]},
            "output": {"format": "mp4", "size": {"width": 640, "height": 480}, "fps": 25}
        });
        let text = import(&edit);
        let expected = "output mp4 640x480 fps=25\nmerge NAME = \"Ann\"\n\ntrack {\n  \
            html \"<p class=\\\"a\\\">{{ NAME }} \\{{x}}</p>\" at 0 for end position=center \
            transition=fade asset.position=top {\n    offset.x = 0.1\n  }\n}\n";
        assert_eq!(text, expected);
    }
}
