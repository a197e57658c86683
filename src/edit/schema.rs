//! The Shotstack JSON Schema (`schema.json`, v1.18.3), parsed once into a small tree that
//! validation walks, plus lookups other stages use (enum values, property names).
//!
//! Only the keywords the schema uses are modelled: `$ref`, `type`, `enum`, `properties`,
//! `required`, `additionalProperties`, `items`, `oneOf`/`anyOf`, `minimum`/`maximum`,
//! `minLength`/`maxLength`, `minItems`, `deprecated` and five fixed `pattern`s (checked by hand,
//! see `Pattern`). One deliberate narrowing: font `weight` (schema: any) must be a number or
//! a string, the two forms Shotstack documents and the model keeps. One deliberate widening,
//! [`REEL_FORMATS`]: `output.format` also accepts `webm` (validation warns that Shotstack's
//! API would reject it).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

/// The schema text, copied from `@shotstack/schemas` 1.18.3 (`dist/json-schema/edit.json`).
const SCHEMA_JSON: &str = include_str!("schema.json");

/// `output.format` values reel renders beyond Shotstack's enum (its API rejects them, so
/// validation warns where one is used; see docs/rendering.md).
pub const REEL_FORMATS: &[&str] = &["webm"];

/// Index of a node in the [`Schema`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NodeId(u32);

/// JSON types a node accepts, as bit flags (0 = any).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Types(u8);

impl Types {
    pub(crate) const ANY: Types = Types(0);
    pub(crate) const STRING: Types = Types(1);
    pub(crate) const NUMBER: Types = Types(2);
    pub(crate) const INTEGER: Types = Types(4);
    pub(crate) const BOOLEAN: Types = Types(8);
    pub(crate) const OBJECT: Types = Types(16);
    pub(crate) const ARRAY: Types = Types(32);
    pub(crate) const NULL: Types = Types(64);

    /// Whether any flag of `other` is set.
    pub(crate) fn has(self, other: Types) -> bool {
        self.0 & other.0 != 0
    }

    fn from_name(name: &str) -> Types {
        match name {
            "string" => Types::STRING,
            "number" => Types::NUMBER,
            "integer" => Types::INTEGER,
            "boolean" => Types::BOOLEAN,
            "object" => Types::OBJECT,
            "array" => Types::ARRAY,
            "null" => Types::NULL,
            _ => Types::ANY,
        }
    }

    /// Whether `v` has one of these types as it is (no coercion). An integral number is an
    /// integer, as in JSON Schema.
    pub(crate) fn accepts(self, v: &Value) -> bool {
        if self == Types::ANY {
            return true;
        }
        match v {
            Value::Null => self.has(Types::NULL),
            Value::Bool(_) => self.has(Types::BOOLEAN),
            Value::String(_) => self.has(Types::STRING),
            Value::Array(_) => self.has(Types::ARRAY),
            Value::Object(_) => self.has(Types::OBJECT),
            Value::Number(n) => {
                self.has(Types::NUMBER)
                    || (self.has(Types::INTEGER) && n.as_f64().is_some_and(|f| f.fract() == 0.0))
            }
        }
    }

    /// "a number", "a whole number", "text", "a number or text"…
    pub(crate) fn describe(self) -> String {
        let names: [(Types, &str); 7] = [
            (Types::NUMBER, "a number"),
            (Types::INTEGER, "a whole number"),
            (Types::STRING, "a string"),
            (Types::BOOLEAN, "`true` or `false`"),
            (Types::OBJECT, "an object"),
            (Types::ARRAY, "a list"),
            (Types::NULL, "null"),
        ];
        let mut parts: Vec<&str> = names
            .iter()
            .filter(|(t, _)| self.has(*t))
            .map(|(_, n)| *n)
            .collect();
        if self.has(Types::NUMBER) {
            parts.retain(|p| *p != "a whole number");
        }
        match parts.len() {
            0 => "any value".into(),
            _ => parts.join(" or "),
        }
    }
}

/// The `pattern`s the schema uses, matched by hand (no regex engine needed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pattern {
    /// `\S`: at least one non-space character.
    NotBlank,
    /// `^#[0-9a-fA-F]{6}$`.
    HexColor,
    /// `^[A-Za-z0-9_-]+$`.
    Alias,
    /// `^(auto|alias://[A-Za-z0-9_-]+)$`.
    Start,
    /// `^(auto|end|alias://[A-Za-z0-9_-]+)$`.
    Length,
}

impl Pattern {
    fn parse(p: &str) -> Option<Pattern> {
        Some(match p {
            "\\S" => Pattern::NotBlank,
            "^#[0-9a-fA-F]{6}$" | "^#[A-Fa-f0-9]{6}$" => Pattern::HexColor,
            "^[A-Za-z0-9_-]+$" => Pattern::Alias,
            "^(auto|alias://[A-Za-z0-9_-]+)$" => Pattern::Start,
            "^(auto|end|alias://[A-Za-z0-9_-]+)$" => Pattern::Length,
            _ => return None,
        })
    }

    /// Whether `s` matches.
    pub(crate) fn matches(self, s: &str) -> bool {
        use crate::edit::model::{Length, Start, is_alias};
        match self {
            Pattern::NotBlank => s.chars().any(|c| !c.is_whitespace()),
            Pattern::HexColor => {
                s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit())
            }
            Pattern::Alias => is_alias(s),
            Pattern::Start => Start::parse_keyword(s).is_some(),
            Pattern::Length => Length::parse_keyword(s).is_some(),
        }
    }

    /// What a matching string looks like, for messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Pattern::NotBlank => "a non-empty string",
            Pattern::HexColor => "a colour like `#ff6a00`",
            Pattern::Alias => "a name of letters, digits, `_` and `-`",
            Pattern::Start => "`auto` or `alias://NAME`",
            Pattern::Length => "`auto`, `end` or `alias://NAME`",
        }
    }
}

/// One schema node (a definition, a property's schema, a branch of `oneOf`).
#[derive(Debug, Default)]
pub(crate) struct Node {
    /// `$defs` name, for definitions.
    pub(crate) name: Option<String>,
    /// `$ref` target.
    pub(crate) reference: Option<NodeId>,
    /// `type`.
    pub(crate) types: Types,
    /// `enum`, as JSON values.
    pub(crate) enum_values: Option<Vec<Value>>,
    /// `enum`, spelled as text (`"topRight"`, `"23.976"`).
    pub(crate) enum_text: Vec<String>,
    /// `properties`, in schema order.
    pub(crate) properties: Vec<(String, NodeId)>,
    /// `required`.
    pub(crate) required: Vec<String>,
    /// `additionalProperties` (default true).
    pub(crate) additional: bool,
    /// `items`.
    pub(crate) items: Option<NodeId>,
    /// `oneOf` or `anyOf` branches.
    pub(crate) alternatives: Vec<NodeId>,
    /// For `oneOf` whose branches all fix `type` to one string: `type` value → branch.
    pub(crate) discriminator: Option<Vec<(String, NodeId)>>,
    /// `minimum`.
    pub(crate) minimum: Option<f64>,
    /// `maximum`.
    pub(crate) maximum: Option<f64>,
    /// `minLength`.
    pub(crate) min_length: Option<usize>,
    /// `maxLength`.
    pub(crate) max_length: Option<usize>,
    /// `minItems`.
    pub(crate) min_items: Option<usize>,
    /// `pattern`.
    pub(crate) pattern: Option<Pattern>,
    /// Also accepts the string `"auto"` (reel's `font.size = "auto"`).
    pub(crate) auto: bool,
}

impl Node {
    /// The schema of property `key`.
    pub(crate) fn property(&self, key: &str) -> Option<NodeId> {
        self.properties
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, id)| *id)
    }
}

/// The parsed schema: nodes plus `$defs` by name.
#[derive(Debug)]
pub(crate) struct Schema {
    nodes: Vec<Node>,
    /// The root (`Edit`).
    pub(crate) root: NodeId,
    defs: HashMap<String, NodeId>,
}

/// The schema, parsed on first use.
pub(crate) fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let value: Value = serde_json::from_str(SCHEMA_JSON).expect("embedded schema is JSON");
        Builder::default().build(&value)
    })
}

impl Schema {
    /// A node, following `$ref`s.
    pub(crate) fn get(&self, mut id: NodeId) -> &Node {
        loop {
            let node = &self.nodes[id.0 as usize];
            match node.reference {
                Some(r) => id = r,
                None => return node,
            }
        }
    }

    /// A `$defs` entry by name (`"Clip"`).
    pub(crate) fn def(&self, name: &str) -> Option<&Node> {
        self.defs.get(name).map(|id| self.get(*id))
    }

    /// The node at a dotted property path below `def` (`"transition.in"`), following refs.
    fn at_path(&self, def: &str, path: &str) -> Option<&Node> {
        let mut node = self.def(def)?;
        for key in path.split('.') {
            node = self.get(node.property(key)?);
        }
        Some(node)
    }
}

/// Builds nodes from the schema JSON; `$ref`s are resolved once every node exists.
#[derive(Default)]
struct Builder {
    nodes: Vec<Node>,
    by_pointer: HashMap<String, NodeId>,
    pending_refs: Vec<(NodeId, String)>,
}

impl Builder {
    fn build(mut self, root: &Value) -> Schema {
        let root_id = self.node(root, String::new());
        let mut defs = HashMap::new();
        if let Some(Value::Object(d)) = root.get("$defs") {
            for (name, v) in d {
                let id = self.node(v, format!("/$defs/{name}"));
                self.nodes[id.0 as usize].name = Some(name.clone());
                defs.insert(name.clone(), id);
            }
        }
        for (id, target) in std::mem::take(&mut self.pending_refs) {
            let to = *self.by_pointer.get(&target).expect("schema $ref resolves");
            self.nodes[id.0 as usize].reference = Some(to);
        }
        let mut schema = Schema {
            nodes: self.nodes,
            root: root_id,
            defs,
        };
        add_discriminators(&mut schema);
        narrow_font_weights(&mut schema);
        narrow_sizes(&mut schema);
        add_reel_formats(&mut schema);
        add_auto_font_sizes(&mut schema);
        schema
    }

    fn node(&mut self, v: &Value, pointer: String) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(Node {
            additional: true,
            ..Node::default()
        });
        self.by_pointer.insert(pointer.clone(), id);
        let Value::Object(o) = v else { return id };
        if let Some(Value::String(r)) = o.get("$ref") {
            let target = r.trim_start_matches('#').to_string();
            self.pending_refs.push((id, target));
        }
        let mut node = scalar_keywords(o);
        if let Some(Value::Object(props)) = o.get("properties") {
            for (k, pv) in props {
                let child = self.node(pv, format!("{pointer}/properties/{k}"));
                node.properties.push((k.clone(), child));
            }
        }
        if let Some(items) = o.get("items") {
            node.items = Some(self.node(items, format!("{pointer}/items")));
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(alts)) = o.get(key) {
                for (i, a) in alts.iter().enumerate() {
                    let child = self.node(a, format!("{pointer}/{key}/{i}"));
                    node.alternatives.push(child);
                }
            }
        }
        let reference = self.nodes[id.0 as usize].reference;
        self.nodes[id.0 as usize] = Node { reference, ..node };
        id
    }
}

/// The keywords of one schema object that hold no sub-schemas.
fn scalar_keywords(o: &Map<String, Value>) -> Node {
    let types = match o.get("type") {
        Some(Value::String(t)) => Types::from_name(t),
        Some(Value::Array(ts)) => Types(
            ts.iter()
                .filter_map(Value::as_str)
                .fold(0, |acc, t| acc | Types::from_name(t).0),
        ),
        _ => Types::ANY,
    };
    let enum_values = o.get("enum").and_then(Value::as_array).cloned();
    let enum_text = enum_values
        .iter()
        .flatten()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    let num = |k: &str| o.get(k).and_then(Value::as_f64);
    let size = |k: &str| o.get(k).and_then(Value::as_u64).map(|n| n as usize);
    Node {
        types,
        enum_values,
        enum_text,
        required: o
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default(),
        additional: o.get("additionalProperties") != Some(&Value::Bool(false)),
        minimum: num("minimum"),
        maximum: num("maximum"),
        min_length: size("minLength"),
        max_length: size("maxLength"),
        min_items: size("minItems"),
        pattern: o
            .get("pattern")
            .and_then(Value::as_str)
            .map(|p| Pattern::parse(p).unwrap_or_else(|| panic!("unsupported pattern {p}"))),
        ..Node::default()
    }
}

/// Marks `oneOf`s whose branches each fix `type` to one string (the Asset union).
fn add_discriminators(schema: &mut Schema) {
    for i in 0..schema.nodes.len() {
        let alts = &schema.nodes[i].alternatives;
        if alts.is_empty() {
            continue;
        }
        let tags: Option<Vec<(String, NodeId)>> = alts
            .iter()
            .map(|&alt| {
                let branch = schema.get(alt);
                let tag = schema.get(branch.property("type")?);
                match tag.enum_text.as_slice() {
                    [one] if tag.types == Types::STRING => Some((one.clone(), alt)),
                    _ => None,
                }
            })
            .collect();
        schema.nodes[i].discriminator = tags;
    }
}

/// `weight` is `{}` (any) in the schema; the model keeps a number or a string.
fn narrow_font_weights(schema: &mut Schema) {
    let ids: Vec<NodeId> = schema
        .nodes
        .iter()
        .flat_map(|n| n.properties.iter())
        .filter(|(k, _)| k == "weight")
        .map(|(_, id)| *id)
        .collect();
    for id in ids {
        let node = &mut schema.nodes[id.0 as usize];
        if node.types == Types::ANY && node.reference.is_none() {
            node.types = Types(Types::NUMBER.0 | Types::STRING.0);
        }
    }
}

/// Lower bounds the schema leaves out, for sizes, lengths and trims that cannot be negative
/// (`font.size = -20` drew nothing and said nothing; issue 15): (definition, property path,
/// minimum). Font sizes start at 1, as `RichTextFont.size` does in the schema.
const SIZE_MINIMUMS: &[(&str, &str, f64)] = &[
    ("TextFont", "size", 1.0),
    ("TextFont", "lineHeight", 0.0),
    ("CaptionFont", "size", 1.0),
    ("CaptionFont", "lineHeight", 0.0),
    ("CaptionFont", "strokeWidth", 0.0),
    ("CaptionBackground", "padding", 0.0),
    ("CaptionBackground", "borderRadius", 0.0),
    ("TextAsset", "width", 1.0),
    ("TextAsset", "height", 1.0),
    ("HtmlAsset", "width", 1.0),
    ("HtmlAsset", "height", 1.0),
    ("TextToImageAsset", "width", 1.0),
    ("TextToImageAsset", "height", 1.0),
    ("ShapeAsset", "width", 1.0),
    ("ShapeAsset", "height", 1.0),
    ("ShapeAsset", "stroke.width", 0.0),
    ("ShapeAsset", "rectangle.width", 0.0),
    ("ShapeAsset", "rectangle.height", 0.0),
    ("ShapeAsset", "rectangle.cornerRadius", 0.0),
    ("ShapeAsset", "circle.radius", 0.0),
    ("ShapeAsset", "line.length", 0.0),
    ("ShapeAsset", "line.thickness", 0.0),
    ("Clip", "scale", 0.0),
    ("VideoAsset", "trim", 0.0),
    ("AudioAsset", "trim", 0.0),
    ("LumaAsset", "trim", 0.0),
    ("CaptionAsset", "trim", 0.0),
    ("TextToSpeechAsset", "trim", 0.0),
];

/// Applies [`SIZE_MINIMUMS`]: to the property's node, or to the number branch of a `oneOf`
/// (`Clip.scale` is a number or a list of tweens), unless the schema already sets one.
fn narrow_sizes(schema: &mut Schema) {
    for &(def, path, min) in SIZE_MINIMUMS {
        let Some(mut id) = path_id(schema, def, path) else {
            debug_assert!(false, "{def}.{path} is not in the schema");
            continue;
        };
        while let Some(r) = schema.nodes[id.0 as usize].reference {
            id = r;
        }
        let mut targets = schema.nodes[id.0 as usize].alternatives.clone();
        targets.push(id);
        for t in targets {
            let node = &mut schema.nodes[t.0 as usize];
            if node.types.has(Types::NUMBER) || node.types.has(Types::INTEGER) {
                node.minimum.get_or_insert(min);
            }
        }
    }
}

/// The node id of a dotted property path below definition `def`.
fn path_id(schema: &Schema, def: &str, path: &str) -> Option<NodeId> {
    let mut id = *schema.defs.get(def)?;
    for key in path.split('.') {
        id = schema.get(id).property(key)?;
    }
    Some(id)
}

/// Font definitions whose `size` may be `"auto"` and which take `minSize` (reel extensions;
/// validation warns that Shotstack's API rejects them).
pub const AUTO_SIZE_FONTS: &[&str] = &["TextFont", "RichTextFont"];

/// Lets `size` also be the string `"auto"` and adds `minSize` (a number ≥ 1) to
/// [`AUTO_SIZE_FONTS`].
fn add_auto_font_sizes(schema: &mut Schema) {
    for def in AUTO_SIZE_FONTS {
        let Some(font) = schema.defs.get(*def).copied() else {
            continue;
        };
        if let Some(mut id) = schema.get(font).property("size") {
            while let Some(r) = schema.nodes[id.0 as usize].reference {
                id = r;
            }
            schema.nodes[id.0 as usize].auto = true;
        }
        let min = NodeId(schema.nodes.len() as u32);
        schema.nodes.push(Node {
            types: Types::NUMBER,
            minimum: Some(1.0),
            additional: true,
            ..Node::default()
        });
        schema.nodes[font.0 as usize]
            .properties
            .push(("minSize".to_string(), min));
    }
}

/// Appends [`REEL_FORMATS`] to `Output.format`'s enum.
fn add_reel_formats(schema: &mut Schema) {
    let Some(output) = schema.defs.get("Output").copied() else {
        return;
    };
    let Some(mut id) = schema.get(output).property("format") else {
        return;
    };
    while let Some(r) = schema.nodes[id.0 as usize].reference {
        id = r;
    }
    let node = &mut schema.nodes[id.0 as usize];
    for f in REEL_FORMATS {
        node.enum_values
            .get_or_insert_with(Vec::new)
            .push(Value::String((*f).to_owned()));
        node.enum_text.push((*f).to_owned());
    }
}

/// The allowed values of a property, spelled as in JSON (`"topRight"`; numbers as text,
/// `"23.976"`). `def` is a schema definition (`"Clip"`, `"Output"`, `"RichTextFont"`), `path`
/// a dotted property path below it (`"position"`, `"transition.in"`). When the property is a
/// `oneOf` with an enum branch (`active.stroke` = object or `"none"`), that branch's values.
pub fn enum_values(def: &str, path: &str) -> Option<&'static [String]> {
    let s = schema();
    let node = s.at_path(def, path)?;
    if !node.enum_text.is_empty() {
        return Some(&node.enum_text);
    }
    node.alternatives
        .iter()
        .map(|&a| s.get(a))
        .find(|n| !n.enum_text.is_empty())
        .map(|n| n.enum_text.as_slice())
}

/// The property names of a schema definition (`"Clip"`, `"Output"`, `"VideoAsset"`), in schema
/// order; `None` for an unknown definition.
pub fn property_names(def: &str) -> Option<Vec<&'static str>> {
    let node = schema().def(def)?;
    Some(node.properties.iter().map(|(k, _)| k.as_str()).collect())
}

/// The property names of a Clip (`id`, `asset`, `start`, … `alias`).
pub fn clip_properties() -> Vec<&'static str> {
    property_names("Clip").unwrap_or_default()
}

/// The schema definition name of an asset `type` (`"rich-text"` → `"RichTextAsset"`).
pub fn asset_def(kind: &str) -> Option<&'static str> {
    let s = schema();
    let asset = s.def("Asset")?;
    let (_, id) = asset
        .discriminator
        .as_ref()?
        .iter()
        .find(|(k, _)| k == kind)?;
    s.get(*id).name.as_deref()
}

/// The property names of an asset `type`, `type` included (`"video"` → `type`, `src`, …).
pub fn asset_properties(kind: &str) -> Option<Vec<&'static str>> {
    property_names(asset_def(kind)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::model::{Asset, Format, Position, TransitionKind};

    #[test]
    fn parses_every_definition_and_resolves_refs() {
        let s = schema();
        assert_eq!(s.defs.len(), 67);
        let clip = s.def("Clip").unwrap();
        let asset = s.get(clip.property("asset").unwrap());
        assert_eq!(asset.name.as_deref(), Some("Asset"));
        assert_eq!(asset.discriminator.as_ref().unwrap().len(), 16);
        assert!(!clip.additional);
        assert_eq!(clip.required, ["asset", "start", "length"]);
    }

    #[test]
    fn enum_values_match_the_model() {
        assert_eq!(enum_values("Clip", "position").unwrap(), Position::ALL);
        assert_eq!(
            enum_values("Clip", "transition.in").unwrap(),
            TransitionKind::ALL
        );
        assert_eq!(enum_values("Output", "fps").unwrap()[2], "23.976");
        assert_eq!(enum_values("Output", "format").unwrap(), Format::ALL);
        assert_eq!(
            enum_values("RichCaptionActive", "stroke").unwrap(),
            ["none"]
        );
        assert!(enum_values("Clip", "nope").is_none());
    }

    #[test]
    fn asset_kinds_match_the_model() {
        for kind in Asset::KINDS {
            let props = asset_properties(kind).unwrap_or_else(|| panic!("{kind}"));
            assert_eq!(props[0], "type", "{kind}");
        }
        assert_eq!(asset_def("rich-text"), Some("RichTextAsset"));
        assert!(clip_properties().contains(&"alias"));
    }

    #[test]
    fn patterns_match_by_hand() {
        assert!(Pattern::HexColor.matches("#a0B9ff"));
        assert!(!Pattern::HexColor.matches("#abc"));
        assert!(!Pattern::HexColor.matches("red"));
        assert!(Pattern::NotBlank.matches(" a "));
        assert!(!Pattern::NotBlank.matches("  "));
        assert!(Pattern::Start.matches("alias://intro-1"));
        assert!(!Pattern::Start.matches("end"));
        assert!(Pattern::Length.matches("end"));
        assert!(!Pattern::Length.matches("alias://"));
        assert!(!Pattern::Alias.matches("a b"));
    }

    #[test]
    fn font_weight_is_narrowed_to_number_or_string() {
        let s = schema();
        let font = s.def("RichTextFont").unwrap();
        let weight = s.get(font.property("weight").unwrap());
        assert!(weight.types.has(Types::NUMBER) && weight.types.has(Types::STRING));
        assert!(!weight.types.accepts(&Value::Bool(true)));
    }
}
