//! The schema walk: checks a JSON value against the [`schema`](crate::edit::schema) tree in one
//! read-only pass, collecting every problem as a labelled [`Diagnostic`] and every coercion as
//! a patch (pointer, new value), so a document that needs none is never copied.

use serde_json::{Map, Value};

use super::coerce::{self, Coercion};
use super::names::{display_path, found, num, object_name};
use crate::diagnostics::{Diagnostic, suggest};
use crate::edit::Origins;
use crate::edit::origins::pointer_segment;
use crate::edit::schema::{Node, NodeId, Pattern, Schema, Types};

/// Enum values are listed in a note only when there are at most this many (the 61 transitions
/// would bury the message).
const MAX_LISTED: usize = 12;

/// Walks one document; `ptr` is the JSON pointer of the value being checked.
pub(super) struct Walker<'a> {
    schema: &'static Schema,
    origins: &'a Origins,
    ptr: String,
    /// Everything found so far, errors and warnings, in document order.
    pub(super) diags: Vec<Diagnostic>,
    /// Coerced values to write back, by JSON pointer, in document order.
    pub(super) patches: Vec<(String, Value)>,
}

/// How a value fits a node's `type`.
enum Typed {
    /// As it is.
    Fits,
    /// After coercion to this value.
    Coerced(Value),
    /// Not at all (reported).
    Mismatch,
}

impl<'a> Walker<'a> {
    /// A walker labelling through `origins`.
    pub(super) fn new(schema: &'static Schema, origins: &'a Origins) -> Self {
        Walker {
            schema,
            origins,
            ptr: String::with_capacity(64),
            diags: Vec::new(),
            patches: Vec::new(),
        }
    }

    /// Checks a whole Edit document.
    pub(super) fn check_root(&mut self, value: &Value) {
        self.check(self.schema.root, value);
    }

    /// Checks `value` against `id`. Returns `false` when the value does not have the node's
    /// shape at this level (type, enum or pattern), which is how `oneOf` picks a branch.
    fn check(&mut self, id: NodeId, value: &Value) -> bool {
        let node = self.schema.get(id);
        if !node.alternatives.is_empty() {
            return self.alternatives(node, value);
        }
        let coerced;
        let value = match self.check_type(node, value) {
            Typed::Fits => value,
            Typed::Coerced(v) => {
                coerced = v;
                &coerced
            }
            Typed::Mismatch => return false,
        };
        if !self.check_enum(node, value) {
            return false;
        }
        match value {
            Value::Number(n) => {
                let f = n.as_f64().unwrap_or(0.0);
                if !self.check_integer_size(node, n) {
                    return true;
                }
                self.check_range(node, f);
            }
            Value::String(s) => return self.check_string(node, s),
            Value::Object(map) => self.check_object(node, map),
            Value::Array(items) => self.check_array(node, items),
            _ => {}
        }
        true
    }

    fn push(&mut self, diag: Diagnostic, label: impl Into<String>) {
        let d = self.origins.label(&self.ptr, diag, label);
        self.diags.push(d);
    }

    /// Runs `f` with `segment` appended to the pointer.
    fn at<R>(&mut self, segment: &str, f: impl FnOnce(&mut Self) -> R) -> R {
        let len = self.ptr.len();
        self.ptr.push('/');
        self.ptr.push_str(segment);
        let r = f(self);
        self.ptr.truncate(len);
        r
    }

    fn value_from_data(&self) -> bool {
        self.origins
            .nearest(&self.ptr)
            .is_some_and(|o| o.cell.is_some())
    }

    fn check_type(&mut self, node: &Node, value: &Value) -> Typed {
        if node.auto && value.as_str() == Some("auto") {
            return Typed::Fits;
        }
        if node.types.accepts(value) {
            if let Some(int) = coerce::normalize_integer(value, node.types) {
                self.patches.push((self.ptr.clone(), int));
            }
            return Typed::Fits;
        }
        if let Some((new, how)) = coerce::coerce(value, node.types) {
            if !self.value_from_data() {
                self.warn_coercion(value, &new, how);
            }
            self.patches.push((self.ptr.clone(), new.clone()));
            return Typed::Coerced(new);
        }
        let path = display_path(&self.ptr);
        let want = node.types.describe();
        let d = Diagnostic::error(format!("`{path}` must be {want}, found {}", found(value)));
        self.push(d, format!("expected {want}"));
        Typed::Mismatch
    }

    fn warn_coercion(&mut self, old: &Value, new: &Value, how: Coercion) {
        let path = display_path(&self.ptr);
        let (what, help) = match how {
            Coercion::StringToNumber => ("a number written as a string", format!("write {new}")),
            Coercion::StringToBool => ("a boolean written as a string", format!("write {new}")),
            Coercion::ToString => ("a string written without quotes", format!("write {new}")),
        };
        let d = Diagnostic::warning(format!("`{path}` is {what}")).with_help(help);
        self.push(d, format!("read {} as {new}", found(old)));
    }

    fn check_enum(&mut self, node: &Node, value: &Value) -> bool {
        let Some(values) = &node.enum_values else {
            return true;
        };
        let ok = values.iter().any(|e| match (e, value) {
            (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
            _ => e == value,
        });
        if ok {
            return true;
        }
        let path = display_path(&self.ptr);
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut d = Diagnostic::error(format!("`{text}` is not a valid `{path}`"));
        if let Some(s) = suggest(&text, node.enum_text.iter().map(String::as_str)) {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        d = with_choices(d, &node.enum_text);
        self.push(d, format!("unknown `{path}`"));
        false
    }

    /// Whole numbers must fit the model's 64-bit integers (the schema sets no bound on many).
    fn check_integer_size(&mut self, node: &Node, n: &serde_json::Number) -> bool {
        let integer_only = node.types.has(Types::INTEGER) && !node.types.has(Types::NUMBER);
        if !integer_only || n.is_i64() || n.as_f64().is_some_and(|f| f.abs() < 9.0e15) {
            return true;
        }
        let path = display_path(&self.ptr);
        let d = Diagnostic::error(format!("`{path}` is too large, found {n}"));
        self.push(d, "too large");
        false
    }

    fn check_range(&mut self, node: &Node, f: f64) {
        let below = node.minimum.is_some_and(|m| f < m);
        let above = node.maximum.is_some_and(|m| f > m);
        if !below && !above {
            return;
        }
        let path = display_path(&self.ptr);
        let bounds = match (node.minimum, node.maximum) {
            (Some(lo), Some(hi)) => format!("between {} and {}", num(lo), num(hi)),
            (Some(lo), None) => format!("at least {}", num(lo)),
            (None, Some(hi)) => format!("at most {}", num(hi)),
            (None, None) => unreachable!("a bound was crossed"),
        };
        let d = Diagnostic::error(format!("`{path}` must be {bounds}, found {}", num(f)));
        self.push(d, "out of range");
    }

    fn check_string(&mut self, node: &Node, s: &str) -> bool {
        if let Some(fits) = self.check_colour(node, s) {
            return fits;
        }
        let blank = node.pattern == Some(Pattern::NotBlank) && !Pattern::NotBlank.matches(s);
        if blank || node.min_length.is_some_and(|m| s.chars().count() < m) {
            let path = display_path(&self.ptr);
            self.push(Diagnostic::error(format!("`{path}` is empty")), "empty");
            return true;
        }
        if let Some(max) = node.max_length.filter(|m| s.len() > *m) {
            let path = display_path(&self.ptr);
            let d = Diagnostic::error(format!("`{path}` is too long (at most {max} characters)"));
            self.push(d, format!("{} characters", s.chars().count()));
        }
        match node.pattern {
            Some(p) if !p.matches(s) => {
                let (path, want) = (display_path(&self.ptr), p.describe());
                let d = Diagnostic::error(format!("`{path}` must be {want}, found {s:?}"));
                self.push(d, format!("expected {want}"));
                false
            }
            _ => true,
        }
    }

    /// Colour fields (`color`, `background` and hex-pattern fields): CSS names (`red`) and
    /// `#rgb` are normalised to `#rrggbb` (alpha first when not opaque, as Shotstack writes
    /// it), so `check` accepts exactly what `render` draws; anything render cannot read is an
    /// error here. `None` when this is not a colour field or the pattern check should go on.
    fn check_colour(&mut self, node: &Node, s: &str) -> Option<bool> {
        let key = self.ptr.rsplit('/').next().unwrap_or("");
        let hex_pattern = node.pattern == Some(Pattern::HexColor);
        if !(hex_pattern || matches!(key, "color" | "background")) {
            return None;
        }
        let t = s.trim();
        let hex = t
            .strip_prefix('#')
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
        match hex.map(str::len) {
            Some(3) if hex_pattern => {
                let long: String = t[1..].chars().flat_map(|c| [c, c]).collect();
                self.patches
                    .push((self.ptr.clone(), Value::String(format!("#{long}"))));
                return Some(true);
            }
            Some(3 | 6 | 8) => return None,
            _ => {}
        }
        if t.eq_ignore_ascii_case("transparent") && !hex_pattern {
            return None;
        }
        let named = t.bytes().all(|b| b.is_ascii_alphabetic());
        if let Some(c) = named
            .then(|| t.to_ascii_lowercase().parse::<svgtypes::Color>().ok())
            .flatten()
        {
            let hex = if c.alpha == 255 {
                format!("#{:02x}{:02x}{:02x}", c.red, c.green, c.blue)
            } else {
                format!("#{:02x}{:02x}{:02x}{:02x}", c.alpha, c.red, c.green, c.blue)
            };
            self.patches.push((self.ptr.clone(), Value::String(hex)));
            return Some(true);
        }
        let path = display_path(&self.ptr);
        let d = Diagnostic::error(format!("`{path}` must be a colour, found {t:?}")).with_help(
            "write `#rrggbb`, `#rgb`, `#aarrggbb` (alpha first), `transparent` or a CSS colour \
             name such as `red`",
        );
        self.push(d, "not a colour");
        Some(false)
    }

    fn check_object(&mut self, node: &'static Node, map: &Map<String, Value>) {
        for (key, v) in map {
            match node.property(key) {
                Some(child) => {
                    self.at(key, |w| w.check(child, v));
                }
                None if !node.additional => self.unknown_key(node, key),
                None => {}
            }
        }
        for req in &node.required {
            if !map.contains_key(req) {
                let what = self.object_name(node);
                let d = Diagnostic::error(format!("missing `{req}` in {what}"));
                self.push(d, format!("needs `{req}`"));
            }
        }
    }

    fn unknown_key(&mut self, node: &Node, key: &str) {
        let names = node.properties.iter().map(|(k, _)| k.as_str());
        let what = self.object_name(node);
        let mut d = Diagnostic::error(format!("unknown property `{key}` in {what}"));
        if let Some(help) = self.vocabulary_hint(node, key) {
            d = d.with_help(help);
        } else if node.properties.len() <= MAX_LISTED {
            let list: Vec<String> = names.map(|n| format!("`{n}`")).collect();
            d = d.with_note(format!("expected one of {}", list.join(", ")));
        }
        let seg = pointer_segment(key);
        self.at(&seg, |w| w.push(d, "unknown property"));
    }

    /// "did you mean …?" drawn from the whole vocabulary of the place: the object's own keys,
    /// the clip's keys when the object is an asset (in `.edit` both are written on the clip
    /// line), and one level of nested keys (`lineHeight` → `font.lineHeight`).
    fn vocabulary_hint(&self, node: &Node, key: &str) -> Option<String> {
        let own: Vec<&str> = node.properties.iter().map(|(k, _)| k.as_str()).collect();
        let is_asset = node.name.as_deref().is_some_and(|n| n.ends_with("Asset"));
        let clip: Vec<&str> = match self.schema.def("Clip").filter(|_| is_asset) {
            Some(c) => c
                .properties
                .iter()
                .map(|(k, _)| k.as_str())
                .filter(|k| *k != "asset" && !own.contains(k))
                .collect(),
            None => Vec::new(),
        };
        let mut nested: Vec<(String, &str)> = Vec::new();
        for (k, id) in &node.properties {
            let child = self.schema.get(*id);
            let subs = child.properties.iter().chain(
                child
                    .alternatives
                    .iter()
                    .flat_map(|a| self.schema.get(*a).properties.iter()),
            );
            for (sub, _) in subs {
                if !nested.iter().any(|(_, s)| s == sub) {
                    nested.push((format!("{k}.{sub}"), sub.as_str()));
                }
            }
        }
        // A nested key written without its parent is the likeliest meaning.
        if let Some((full, _)) = nested.iter().find(|(_, s)| s.eq_ignore_ascii_case(key)) {
            return Some(format!("did you mean `{full}`?"));
        }
        let near = |names: &[&str]| suggest(key, names.iter().copied()).map(str::to_string);
        let score = |s: &str| strsim::jaro_winkler(&key.to_lowercase(), &s.to_lowercase());
        let mut best: Option<(f64, String)> = None;
        let mut consider = |cand: Option<String>, text: &dyn Fn(&str) -> String, s: &str| {
            if let Some(c) = cand {
                let sc = score(s);
                if best.as_ref().is_none_or(|(b, _)| sc > *b) {
                    best = Some((sc, text(&c)));
                }
            }
        };
        let o = near(&own);
        consider(
            o.clone(),
            &|c| format!("did you mean `{c}`?"),
            o.as_deref().unwrap_or(""),
        );
        let c = near(&clip);
        consider(
            c.clone(),
            &|c| format!("did you mean `{c}`? (a clip property)"),
            c.as_deref().unwrap_or(""),
        );
        let subs: Vec<&str> = nested.iter().map(|(_, s)| *s).collect();
        if let Some(sub) = near(&subs) {
            let full = nested
                .iter()
                .find(|(_, s)| *s == sub)
                .map(|(f, _)| f.clone())
                .unwrap_or_default();
            consider(Some(full), &|c| format!("did you mean `{c}`?"), &sub);
        }
        best.map(|(_, t)| t)
    }

    /// "the `video` asset" for asset objects, else named by pointer ("clip 2 on track 1").
    fn object_name(&self, node: &Node) -> String {
        let is_asset = node.name.as_deref().is_some_and(|n| n.ends_with("Asset"));
        let kind = node.property("type").map(|t| &self.schema.get(t).enum_text);
        match kind.map(Vec::as_slice) {
            Some([kind]) if is_asset => format!("the `{kind}` asset"),
            _ => object_name(&self.ptr),
        }
    }

    fn check_array(&mut self, node: &Node, items: &[Value]) {
        if let Some(min) = node.min_items.filter(|m| items.len() < *m) {
            let path = display_path(&self.ptr);
            let d = Diagnostic::error(format!("`{path}` needs at least {min} item(s)"));
            self.push(d, format!("{} item(s)", items.len()));
        }
        let Some(item) = node.items else { return };
        for (i, v) in items.iter().enumerate() {
            let len = self.ptr.len();
            push_index(&mut self.ptr, i);
            self.check(item, v);
            self.ptr.truncate(len);
        }
    }
}

/// Adds "expected one of `a`, `b`" when the list is short.
pub(super) fn with_choices(d: Diagnostic, values: &[String]) -> Diagnostic {
    if values.is_empty() || values.len() > MAX_LISTED {
        return d;
    }
    let list: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    d.with_note(format!("expected one of {}", list.join(", ")))
}

/// Appends `/i` to a pointer.
fn push_index(ptr: &mut String, i: usize) {
    use std::fmt::Write;
    let _ = write!(ptr, "/{i}");
}

/// `oneOf` / `anyOf`: the asset union by its `type`, the rest by trying each branch.
impl Walker<'_> {
    fn alternatives(&mut self, node: &'static Node, value: &Value) -> bool {
        if let Some(tags) = &node.discriminator {
            return self.tagged(tags, value);
        }
        let (mark, patch_mark) = (self.diags.len(), self.patches.len());
        let mut best: Option<Vec<Diagnostic>> = None;
        // First the branches the value fits as it is, then those it fits after coercion.
        for exact in [true, false] {
            for &alt in &node.alternatives {
                if self.schema.get(alt).types.accepts(value) != exact {
                    continue;
                }
                let shaped = self.check(alt, value);
                if shaped && !self.diags[mark..].iter().any(Diagnostic::is_error) {
                    return true;
                }
                let errors = self.diags.split_off(mark);
                self.patches.truncate(patch_mark);
                if shaped && best.is_none() {
                    best = Some(errors);
                }
            }
        }
        match best {
            Some(errors) => {
                self.diags.extend(errors);
                true
            }
            None => {
                self.no_branch(node, value);
                false
            }
        }
    }

    fn no_branch(&mut self, node: &Node, value: &Value) {
        let wants: Vec<String> = node
            .alternatives
            .iter()
            .map(|&a| self.describe_branch(a))
            .collect();
        let want = wants.join(" or ");
        let path = display_path(&self.ptr);
        let d = Diagnostic::error(format!("`{path}` must be {want}, found {}", found(value)));
        self.push(d, format!("expected {want}"));
    }

    fn describe_branch(&self, id: NodeId) -> String {
        let node = self.schema.get(id);
        if let Some(p) = node.pattern {
            return p.describe().into();
        }
        if let [one] = node.enum_text.as_slice() {
            return format!("`{one}`");
        }
        let tweens = node
            .items
            .is_some_and(|i| self.schema.get(i).name.as_deref() == Some("Tween"));
        if tweens {
            return "a list of tweens".into();
        }
        node.types.describe()
    }

    fn tagged(&mut self, tags: &'static [(String, NodeId)], value: &Value) -> bool {
        let Value::Object(map) = value else {
            let d = Diagnostic::error(format!("asset must be an object, found {}", found(value)));
            self.push(d, "expected an object");
            return false;
        };
        let kind = match map.get("type") {
            Some(Value::String(k)) => k.as_str(),
            Some(other) => {
                let d = Diagnostic::error(format!(
                    "asset `type` must be a string, found {}",
                    found(other)
                ));
                self.at("type", |w| w.push(d, "expected an asset type"));
                return false;
            }
            None => {
                let d = Diagnostic::error("missing `type` in asset").with_note(kinds_note(tags));
                self.push(d, "needs `type`");
                return false;
            }
        };
        match tags.iter().find(|(k, _)| k == kind) {
            Some((_, id)) => self.check(*id, value),
            None => {
                let mut d = Diagnostic::error(format!("unknown asset type `{kind}`"));
                if let Some(s) = suggest(kind, tags.iter().map(|(k, _)| k.as_str())) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                let d = d.with_note(kinds_note(tags));
                self.at("type", |w| w.push(d, "unknown asset type"));
                false
            }
        }
    }
}

fn kinds_note(tags: &[(String, NodeId)]) -> String {
    let kinds: Vec<&str> = tags.iter().map(|(k, _)| k.as_str()).collect();
    format!("asset types: {}", kinds.join(", "))
}
