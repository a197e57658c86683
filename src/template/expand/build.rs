//! Building the Edit JSON: settings, tracks, clips (key routing between Clip and asset,
//! dotted keys, `transition=fade`), components, and their origins.

use serde_json::{Map, Value as Json};

use super::{Expander, schema, scope::Var, to_mj, unknown_component};
use crate::diagnostics::{Diagnostic, Span};
use crate::edit::origins::{CellRef, pointer_segment};
use crate::syntax::ast::{
    Clip, Item, ItemKind, Let, Output, Prop, Soundtrack, Track, Use, Value, ValueKind,
};
use crate::template::env::is_markup_field;

/// Deepest `use` nesting before it is taken for a component that uses itself.
const MAX_USE_DEPTH: usize = 32;

/// The parts of the Edit being built.
#[derive(Debug, Default)]
pub(crate) struct Out {
    /// `output`.
    output: Option<Map<String, Json>>,
    /// `timeline.background`.
    background: Option<Json>,
    /// `timeline.fonts`.
    fonts: Vec<Json>,
    /// `timeline.soundtrack`.
    soundtrack: Option<Map<String, Json>>,
    /// Clips of each track.
    tracks: Vec<Vec<Json>>,
    /// `merge` entries (with `--keep-merge`).
    merge: Vec<Json>,
    /// The rendered `name`.
    name: Option<String>,
    /// Set when any `merge` statement ran (so `--keep-merge` emits `merge`).
    has_merge: bool,
}

impl Out {
    /// The Edit JSON (`timeline`, `output`, `merge`) and the `name`.
    pub(crate) fn into_json(self) -> (Json, Option<String>) {
        let mut timeline = Map::new();
        if let Some(b) = self.background {
            timeline.insert("background".into(), b);
        }
        if !self.fonts.is_empty() {
            timeline.insert("fonts".into(), Json::Array(self.fonts));
        }
        if let Some(s) = self.soundtrack {
            timeline.insert("soundtrack".into(), Json::Object(s));
        }
        let tracks = self.tracks.into_iter().map(|clips| {
            let mut t = Map::new();
            t.insert("clips".into(), Json::Array(clips));
            Json::Object(t)
        });
        timeline.insert("tracks".into(), Json::Array(tracks.collect()));
        let mut root = Map::new();
        root.insert("timeline".into(), Json::Object(timeline));
        if let Some(o) = self.output {
            root.insert("output".into(), Json::Object(o));
        }
        if self.has_merge {
            root.insert("merge".into(), Json::Array(self.merge));
        }
        (Json::Object(root), self.name)
    }
}

/// Which object a clip property goes to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Clip,
    Asset,
}

/// The asset field a clip's primary value fills. `svg` fills `src`: Shotstack 1.18.3's
/// SvgAsset holds its markup in `src` (DESIGN §2.3 says `svg`; the schema wins).
pub(crate) fn primary_key(asset: &str) -> &'static str {
    match asset {
        "text" | "rich-text" | "title" | "text-to-speech" => "text",
        "html" | "html5" => "html",
        "shape" => "shape",
        "text-to-image" | "image-to-video" => "prompt",
        _ => "src",
    }
}

impl<'d> Expander<'_, '_, 'd, '_> {
    /// A value with its origin recorded at `pointer`.
    fn emit(&mut self, v: &Value, key: &str, pointer: &str) -> Option<Json> {
        let (j, cell) = self.value(v, key)?;
        self.record(pointer.to_string(), v.span, cell);
        Some(j)
    }

    /// `output FORMAT [RESOLUTION | WxH] [key=value…]`.
    pub(super) fn output(&mut self, o: &Output, span: Span) {
        if self.out.output.is_some() {
            return self.twice("output", span);
        }
        self.record("/output".into(), span, None);
        let mut map = Map::new();
        if let Some(f) = &o.format {
            map.insert("format".into(), Json::String(f.name.clone()));
            self.record("/output/format".into(), f.span, None);
        }
        if let Some(r) = &o.resolution {
            map.insert("resolution".into(), Json::String(r.name.clone()));
            self.record("/output/resolution".into(), r.span, None);
        }
        if let Some(s) = &o.size {
            let size = serde_json::json!({ "width": s.width, "height": s.height });
            map.insert("size".into(), size);
            self.record("/output/size".into(), s.span, None);
        }
        self.props_into(&mut map, &o.props, "/output");
        self.out.output = Some(map);
    }

    /// `key=value` properties into `map` (dotted keys nest), origins under `base`.
    fn props_into(&mut self, map: &mut Map<String, Json>, props: &[Prop], base: &str) {
        for p in props {
            let segs: Vec<&str> = p.key.segments.iter().map(String::as_str).collect();
            self.set_prop(map, &segs, p, base, props);
        }
    }

    /// Sets one property at `segs` inside `map`.
    fn set_prop(
        &mut self,
        map: &mut Map<String, Json>,
        segs: &[&str],
        p: &Prop,
        base: &str,
        earlier: &[Prop],
    ) {
        let last = segs.last().copied().unwrap_or_default();
        // `positon=center`: the key is the mistake, not the word; validation names the key.
        let unknown_word = match &p.value.kind {
            ValueKind::Path(w) if w.len() == 1 && !schema::is_known_key(last) => {
                self.scope.lookup(&w[0]).is_none().then(|| w[0].clone())
            }
            _ => None,
        };
        let found = match unknown_word {
            Some(w) => Some((Json::String(w), None)),
            None => self.value(&p.value, last),
        };
        let Some((value, cell)) = found else {
            return;
        };
        let pointer = segs.iter().fold(base.to_string(), |mut acc, s| {
            acc.push('/');
            acc.push_str(&pointer_segment(s));
            acc
        });
        if let Err(conflict) = set_path(map, segs, value) {
            // The earlier property that set the conflicting path (or something inside it).
            let first = earlier.iter().take_while(|e| e.span != p.span).find(|e| {
                let r = routed(&e.key.segments);
                r.starts_with(&conflict) || conflict.starts_with(r)
            });
            let d = Diagnostic::error(format!("`{}` is set twice", conflict.join(".")))
                .with_label(p.key.span, "set again here")
                .with_opt_label(first.map(|e| e.key.span), "first set here");
            self.errors.push(d);
            return;
        }
        self.record(pointer, p.value.span, cell);
    }

    /// `background COLOR`.
    pub(super) fn background(&mut self, v: &Value, span: Span) {
        if self.out.background.is_some() {
            return self.twice("background", span);
        }
        self.out.background = self.emit(v, "background", "/timeline/background");
    }

    /// `font PATH`.
    pub(super) fn font(&mut self, v: &Value, span: Span) {
        let i = self.out.fonts.len();
        self.record(format!("/timeline/fonts/{i}"), span, None);
        if let Some(src) = self.emit(v, "src", &format!("/timeline/fonts/{i}/src")) {
            self.out.fonts.push(serde_json::json!({ "src": src }));
        }
    }

    /// `soundtrack SRC [key=value…]`.
    pub(super) fn soundtrack(&mut self, s: &Soundtrack, span: Span) {
        if self.out.soundtrack.is_some() {
            return self.twice("soundtrack", span);
        }
        self.record("/timeline/soundtrack".into(), span, None);
        let mut map = Map::new();
        if let Some(src) = self.emit(&s.src, "src", "/timeline/soundtrack/src") {
            map.insert("src".into(), src);
        }
        self.props_into(&mut map, &s.props, "/timeline/soundtrack");
        self.out.soundtrack = Some(map);
    }

    /// `name TEMPLATE`.
    pub(super) fn name(&mut self, v: &Value, span: Span) {
        if self.out.name.is_some() {
            return self.twice("name", span);
        }
        if let Some((j, _)) = self.value(v, "name") {
            self.out.name = Some(match j {
                Json::String(s) => s,
                other => other.to_string(),
            });
        }
    }

    fn twice(&mut self, what: &str, span: Span) {
        self.errors.push(
            Diagnostic::error(format!("`{what}` is given twice"))
                .with_label(span, "second one here")
                .with_help(format!("keep one `{what}` statement")),
        );
    }

    /// `let NAME = VALUE`.
    pub(super) fn let_(&mut self, l: &Let) {
        let value = match &l.value.kind {
            crate::syntax::ast::ValueKind::Expr(e) => self.eval(e),
            _ => self.value(&l.value, "").map(|(j, c)| (to_mj(&j), c)),
        };
        // A failed `let` still defines the name, so later uses do not repeat the error.
        let (value, cell) = value.unwrap_or((minijinja::Value::from(()), None));
        let var = Var {
            value,
            cell,
            merge: false,
        };
        self.scope.define(&l.name.name, var);
    }

    /// `merge NAME = VALUE`: the row's value of `NAME` if it has one, else the default.
    pub(super) fn merge(&mut self, m: &Let, span: Span) {
        let name = m.name.name.as_str();
        let (value, cell) = match self.scope.column_cell(name) {
            Some(cell) => {
                let (v, _) = self.scope.lookup(name).expect("the row has this column");
                let json = serde_json::to_value(&v).unwrap_or(Json::Null);
                (json, cell.cloned())
            }
            None => match self.value(&m.value, "replace") {
                Some(v) => v,
                None => return,
            },
        };
        if self.keep_merge {
            let i = self.out.merge.len();
            self.record(format!("/merge/{i}"), span, None);
            self.record(format!("/merge/{i}/replace"), m.value.span, cell.clone());
            let entry = serde_json::json!({ "find": name, "replace": value });
            self.out.merge.push(entry);
        }
        self.out.has_merge |= self.keep_merge;
        let var = Var {
            value: to_mj(&value),
            cell,
            merge: true,
        };
        self.scope.define(name, var);
    }

    /// `track [NAME] { … }`.
    pub(super) fn track(&mut self, t: &'d Track, span: Span) {
        let index = self.out.tracks.len();
        self.out.tracks.push(Vec::new());
        self.record(format!("/timeline/tracks/{index}"), span, None);
        self.scope.push();
        self.clips(&t.items, index);
        self.scope.pop();
        // A track whose clips were all skipped by `if` (or a `for` over an empty list) is
        // left out: Shotstack rejects empty tracks, and an absent layer is what the author
        // meant. It is the last track, so no other pointer moves.
        if self.out.tracks[index].is_empty() {
            self.out.tracks.pop();
        }
    }

    /// The statements of a track (or component) into track `track`.
    fn clips(&mut self, items: &'d [Item], track: usize) {
        for item in items {
            match &item.kind {
                ItemKind::Clip(c) => self.clip(c, item.span, track),
                ItemKind::Let(l) => self.let_(l),
                ItemKind::Use(u) => self.use_(u, item.span, track),
                ItemKind::If(_) | ItemKind::For(_) => {
                    self.control(item, &mut |x, items| x.clips(items, track))
                }
                _ => unreachable!("the parser keeps only clip statements in tracks"),
            }
        }
    }

    /// One clip, appended to track `track`.
    fn clip(&mut self, c: &Clip, span: Span, track: usize) {
        let index = self.out.tracks[track].len();
        let base = format!("/timeline/tracks/{track}/clips/{index}");
        let errors_before = self.errors.len();
        let mut asset = Map::with_capacity(4);
        asset.insert("type".into(), Json::String(c.asset.name.clone()));
        let mut clip = Map::with_capacity(c.props.len() + 2);
        if let Some(p) = &c.primary {
            let key = primary_key(&c.asset.name);
            self.markup = is_markup_field(&c.asset.name, key);
            let v = self.emit(p, key, &format!("{base}/asset/{key}"));
            self.markup = false;
            if let Some(v) = v {
                asset.insert(key.into(), v);
            }
        }
        let start = match &c.start {
            Some(v) => self.emit(v, "start", &format!("{base}/start")),
            None => Some(Json::String("auto".into())),
        };
        if let Some(start) = start {
            clip.insert("start".into(), shift(start, self.offset));
        }
        if let Some(v) = &c.length
            && let Some(j) = self.emit(v, "length", &format!("{base}/length"))
        {
            clip.insert("length".into(), j);
        }
        for p in &c.props {
            self.clip_prop(p, &c.asset.name, (&mut asset, &mut clip), &base, &c.props);
        }
        if self.errors.len() > errors_before {
            return;
        }
        let mut out = Map::with_capacity(clip.len() + 1);
        out.insert("asset".into(), Json::Object(asset));
        out.extend(clip);
        self.record(base.clone(), span, None);
        self.record(format!("{base}/asset"), c.asset.span, None);
        self.out.tracks[track].push(Json::Object(out));
    }

    /// Routes one clip property to the clip or its asset.
    fn clip_prop(
        &mut self,
        p: &Prop,
        asset_type: &str,
        (asset, clip): (&mut Map<String, Json>, &mut Map<String, Json>),
        base: &str,
        earlier: &[Prop],
    ) {
        let segs: Vec<&str> = p.key.segments.iter().map(String::as_str).collect();
        let (side, segs) = match segs.as_slice() {
            ["asset", rest @ ..] if !rest.is_empty() => (Side::Asset, rest.to_vec()),
            ["clip", rest @ ..] if !rest.is_empty() => (Side::Clip, rest.to_vec()),
            [first, ..] if super::schema::is_clip_key(first) => (Side::Clip, segs.clone()),
            _ => (Side::Asset, segs.clone()),
        };
        let (map, base) = match side {
            Side::Clip => (clip, base.to_string()),
            Side::Asset => (asset, format!("{base}/asset")),
        };
        if side == Side::Clip && segs == ["transition"] && is_plain_value(&p.value) {
            // `transition=fade` is short for `transition.in=fade transition.out=fade`.
            for side in ["in", "out"] {
                self.set_prop(map, &["transition", side], p, &base, earlier);
            }
            return;
        }
        self.markup = side == Side::Asset
            && matches!(segs.as_slice(), [key] if is_markup_field(asset_type, key));
        self.set_prop(map, &segs, p, &base, earlier);
        self.markup = false;
    }

    /// `use NAME(args) [at START]`: the component's clips, shifted by START.
    fn use_(&mut self, u: &Use, span: Span, track: usize) {
        let Some(def) = self.defines.get(u.name.name.as_str()).copied() else {
            let d = unknown_component(&u.name.name, u.name.span, &self.defines);
            return self.errors.push(d);
        };
        if def.params.len() != u.args.len() {
            let d = Diagnostic::error(format!(
                "`{}` takes {} argument{}, but {} {} given",
                u.name.name,
                def.params.len(),
                if def.params.len() == 1 { "" } else { "s" },
                u.args.len(),
                if u.args.len() == 1 { "was" } else { "were" },
            ))
            .with_label(span, "called here")
            .with_label(def.name.span, "defined here");
            return self.errors.push(d);
        }
        if self.depth >= MAX_USE_DEPTH {
            let d = Diagnostic::error(format!("component `{}` nests too deeply", u.name.name))
                .with_label(span, "used here")
                .with_help("a component must not use itself");
            return self.errors.push(d);
        }
        let Some(start) = self.use_start(u) else {
            return;
        };
        let args: Vec<Option<(Json, Option<CellRef>)>> =
            u.args.iter().map(|a| self.value(a, "")).collect();
        self.scope.push();
        for (param, arg) in def.params.iter().zip(args) {
            let (value, cell) = arg.unwrap_or((Json::Null, None));
            let var = Var {
                value: to_mj(&value),
                cell,
                merge: false,
            };
            self.scope.define(&param.name, var);
        }
        let saved = self.offset;
        self.offset += start;
        self.depth += 1;
        self.clips(&def.items, track);
        self.depth -= 1;
        self.offset = saved;
        self.scope.pop();
    }

    /// The seconds of `use … at START` (0 when omitted).
    fn use_start(&mut self, u: &Use) -> Option<f64> {
        let Some(v) = &u.start else { return Some(0.0) };
        let (j, _) = self.value(v, "")?;
        match j.as_f64() {
            Some(s) => Some(s),
            None => {
                let d = Diagnostic::error("`use … at` takes a number of seconds")
                    .with_label(v.span, format!("this is {j}"));
                self.errors.push(d);
                None
            }
        }
    }
}

/// Whether a value is a single word or string (not an object or list), for `transition=…`.
fn is_plain_value(v: &Value) -> bool {
    use crate::syntax::ast::ValueKind;
    matches!(v.kind, ValueKind::Path(_) | ValueKind::Str(_))
}

/// A clip start moved by `offset` seconds (non-numeric starts stay as they are).
fn shift(start: Json, offset: f64) -> Json {
    match (&start, offset) {
        (_, 0.0) => start,
        (Json::Number(n), _) => seconds(n.as_f64().unwrap_or(0.0) + offset).unwrap_or(start),
        _ => start,
    }
}

/// Seconds as JSON: whole numbers stay integers (`10 + 0.5` → `10.5`, `1.0` → `1`).
pub(crate) fn seconds(v: f64) -> Option<Json> {
    let rounded = (v * 1e9).round() / 1e9;
    if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
        Some(Json::from(rounded as i64))
    } else {
        serde_json::Number::from_f64(rounded).map(Json::Number)
    }
}

/// Sets `value` at the dotted path `segs`, creating objects on the way. On conflict (the path
/// or a prefix of it already holds a value), returns that path.
fn set_path(map: &mut Map<String, Json>, segs: &[&str], value: Json) -> Result<(), Vec<String>> {
    let (last, init) = segs.split_last().expect("keys have a segment");
    let mut cur = map;
    for (i, seg) in init.iter().enumerate() {
        let slot = cur
            .entry(seg.to_string())
            .or_insert_with(|| Json::Object(Map::new()));
        cur = match slot {
            Json::Object(m) => m,
            _ => return Err(segs[..=i].iter().map(|s| s.to_string()).collect()),
        };
    }
    if cur.contains_key(*last) {
        return Err(segs.iter().map(|s| s.to_string()).collect());
    }
    cur.insert(last.to_string(), value);
    Ok(())
}

/// A clip property's key without a leading `asset.`/`clip.`.
fn routed(segs: &[String]) -> &[String] {
    match segs {
        [first, rest @ ..] if !rest.is_empty() && (first == "asset" || first == "clip") => rest,
        _ => segs,
    }
}
