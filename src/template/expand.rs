//! Expansion: a `.edit` AST × one data [`Row`] → Shotstack Edit JSON with origins.
//!
//! Pure (no IO). minijinja evaluates `{{ }}` in strings and the expressions of `let`, `if` and
//! `for`; expressions are compiled once per source text and reused across rows (the cache
//! lives in [`ExpandContext`]). Bare names are variables when in scope, else enum values.
//! Every emitted value gets an [`Origin`] (template span, plus the data cell it was read
//! from). In markup fields (`html`, `css`, `js` of html assets, svg `src`) values of
//! expressions are HTML-escaped unless marked `| safe`. Does not validate against the schema:
//! that is `edit::validate`'s job.

mod build;
mod eval;
mod schema;
mod scope;

use std::collections::HashMap;

use minijinja::Environment;
use serde_json::Value as Json;

use crate::diagnostics::{Diagnostic, SourceResult, Span, Warned, suggest};
use crate::edit::Origins;
use crate::edit::origins::{CellRef, Origin};
use crate::syntax::ast::{Define, Document, Item, ItemKind};
use crate::template::{Expanded, Row};
pub(crate) use build::primary_key;
use eval::Exprs;
pub(crate) use schema::{is_clip_key, is_enum_value};
use scope::Scope;

self_cell::self_cell!(
    /// The environment and the expressions compiled against it.
    struct Compiled {
        owner: Environment<'static>,
        #[not_covariant]
        dependent: Exprs,
    }
);

/// What expansion needs besides the document and the row: the minijinja environment (with
/// reel's filters) and its cache of compiled expressions, and the `--keep-merge` switch.
///
/// Build one per run and share it across rows (and threads): each expression is compiled the
/// first time a row needs it.
pub struct ExpandContext {
    /// The environment and its expression cache.
    compiled: Compiled,
    /// Keep `merge` fields as `{{ NAME }}` placeholders and emit the `merge` array (for
    /// Shotstack's Templates API) instead of resolving them.
    keep_merge: bool,
    /// How many origins the last row recorded: the next row reserves that many up front, so
    /// the table does not grow step by step (that was about a quarter of expansion time).
    origins_hint: std::sync::atomic::AtomicUsize,
}

impl ExpandContext {
    /// A context over `env`. Use [`crate::template::env::environment`] (or
    /// [`ExpandContext::standard`]): its semi-strict undefined makes `if missing` false while
    /// printing or filtering an undefined value is an error. Whatever the environment, an
    /// expression whose result is undefined is reported as an error here.
    pub fn new(env: Environment<'static>, keep_merge: bool) -> Self {
        ExpandContext {
            compiled: Compiled::new(env, |env| Exprs::new(env)),
            keep_merge,
            origins_hint: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// A context over reel's standard environment (builtins plus `slug`, `seconds`,
    /// `basename`, `money`, `file_exists`).
    pub fn standard(keep_merge: bool) -> Self {
        Self::new(crate::template::env::environment(), keep_merge)
    }

    /// Whether merge fields are kept as placeholders.
    pub fn keep_merge(&self) -> bool {
        self.keep_merge
    }
}

impl std::fmt::Debug for ExpandContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExpandContext")
            .field("keep_merge", &self.keep_merge)
            .finish_non_exhaustive()
    }
}

/// Expands `doc` for one `row`: every error of the row is reported together.
pub fn expand(doc: &Document, row: &Row, ctx: &ExpandContext) -> Warned<SourceResult<Expanded>> {
    use std::sync::atomic::Ordering::Relaxed;
    let mut origins = Origins::new();
    origins.reserve(ctx.origins_hint.load(Relaxed));
    let expanded = ctx.compiled.with_dependent(|_, exprs| {
        let mut x = Expander {
            exprs,
            keep_merge: ctx.keep_merge,
            scope: Scope::new(row),
            errors: Vec::new(),
            origins,
            defines: HashMap::new(),
            offset: 0.0,
            depth: 0,
            markup: false,
            out: build::Out::default(),
        };
        x.collect_defines(&doc.items);
        x.top(&doc.items);
        x.finish()
    });
    if let Ok(e) = &expanded.output {
        ctx.origins_hint.store(e.origins.len(), Relaxed);
    }
    expanded
}

/// The state of one row's expansion.
pub(crate) struct Expander<'c, 'e, 'd, 'r> {
    /// Compiled expressions.
    exprs: &'c Exprs<'e>,
    /// `--keep-merge`.
    keep_merge: bool,
    /// Variables in scope.
    scope: Scope<'r>,
    /// Errors so far.
    errors: Vec<Diagnostic>,
    /// Origins of emitted values.
    origins: Origins,
    /// Components by name.
    defines: HashMap<&'d str, &'d Define>,
    /// Seconds added to clip starts inside `use … at`.
    offset: f64,
    /// Nesting of `use`, to stop a component that uses itself.
    depth: usize,
    /// Set while a markup field (`html`, `css`, `js`, svg `src`) is evaluated: values from
    /// expressions are escaped unless marked `| safe`.
    markup: bool,
    /// The document being built.
    out: build::Out,
}

impl<'d> Expander<'_, '_, 'd, '_> {
    /// Records where the value at `pointer` came from.
    fn record(&mut self, pointer: String, span: Span, cell: Option<CellRef>) {
        self.origins.insert(pointer, Origin { span, cell });
    }

    /// Finds every `define` (at the top level and in includes).
    fn collect_defines(&mut self, items: &'d [Item]) {
        for item in items {
            match &item.kind {
                ItemKind::Define(d) => {
                    if let Some(prev) = self.defines.insert(&d.name.name, d) {
                        self.errors.push(
                            Diagnostic::error(format!(
                                "component `{}` is defined twice",
                                d.name.name
                            ))
                            .with_label(d.name.span, "second definition")
                            .with_label(prev.name.span, "first definition"),
                        );
                    }
                }
                ItemKind::Include(inc) => self.collect_defines(&inc.items),
                _ => {}
            }
        }
    }

    /// Top-level statements.
    fn top(&mut self, items: &'d [Item]) {
        for item in items {
            match &item.kind {
                ItemKind::Output(o) => self.output(o, item.span),
                ItemKind::Background(v) => self.background(v, item.span),
                ItemKind::Font(v) => self.font(v, item.span),
                ItemKind::Soundtrack(s) => self.soundtrack(s, item.span),
                ItemKind::Name(v) => self.name(v, item.span),
                ItemKind::Let(l) => self.let_(l),
                ItemKind::Merge(m) => self.merge(m, item.span),
                ItemKind::Track(t) => self.track(t, item.span),
                ItemKind::If(_) | ItemKind::For(_) => {
                    self.control(item, &mut |x, items| x.top(items))
                }
                ItemKind::Include(inc) => self.top(&inc.items),
                ItemKind::Data(..) | ItemKind::UrlMap(..) | ItemKind::Define(_) => {}
                ItemKind::Clip(_) | ItemKind::Use(_) => {
                    unreachable!("the parser keeps clips inside tracks")
                }
            }
        }
    }

    /// `if` or `for` around `body`, which expands a block in a new frame.
    fn control(&mut self, item: &'d Item, body: &mut dyn FnMut(&mut Self, &'d [Item])) {
        match &item.kind {
            ItemKind::If(i) => {
                for b in &i.branches {
                    match self.condition(&b.cond) {
                        Some(true) => return self.block(&b.items, body),
                        Some(_) => {}
                        None => return,
                    }
                }
                if let Some(items) = &i.otherwise {
                    self.block(items, body);
                }
            }
            ItemKind::For(f) => self.for_loop(f, body),
            _ => unreachable!("control is only called for if/for"),
        }
    }

    fn block(&mut self, items: &'d [Item], body: &mut dyn FnMut(&mut Self, &'d [Item])) {
        self.scope.push();
        body(self, items);
        self.scope.pop();
    }

    /// `for [i,] x in EXPR { … }`.
    fn for_loop(
        &mut self,
        f: &'d crate::syntax::ast::For,
        body: &mut dyn FnMut(&mut Self, &'d [Item]),
    ) {
        let Some((list, cell)) = self.eval(&f.iter) else {
            return;
        };
        use minijinja::value::ValueKind as K;
        if matches!(list.kind(), K::String | K::Number | K::Bool) {
            let (what, help) = match list.kind() {
                K::String => (
                    "text",
                    "a `for` over text would loop over its letters: split it into a list, \
                     for example `for p in photos | split(\";\") { … }`",
                ),
                K::Number => (
                    "a number",
                    "to repeat a block N times write `for i in range(N) { … }`",
                ),
                _ => ("a boolean", "use `if` for a yes/no value"),
            };
            let shown = display_short(&list);
            let mut d = Diagnostic::error(format!("`for` needs a list, found {what}"))
                .with_label(f.iter.span, format!("this is {what} ({shown}), not a list"))
                .with_help(help);
            if let Some(c) = &cell {
                d = c.label(d);
            }
            self.errors.push(d);
            return;
        }
        let iter = match list.try_iter() {
            Ok(it) => it,
            Err(_) => {
                self.errors.push(
                    Diagnostic::error("`for` needs a list")
                        .with_label(
                            f.iter.span,
                            format!("this is a {}, not a list", list.kind()),
                        )
                        .with_help("split text into a list with `| split(\";\")`"),
                );
                return;
            }
        };
        for (i, v) in iter.enumerate() {
            self.scope.push();
            let var = |value| scope::Var {
                value,
                cell: cell.clone(),
                merge: false,
            };
            if let Some(index) = &f.index {
                self.scope
                    .define(&index.name, var(minijinja::Value::from(i)));
            }
            self.scope.define(&f.var.name, var(v));
            body(self, &f.items);
            self.scope.pop();
        }
    }

    /// The result: the Edit JSON, or every error.
    fn finish(self) -> Warned<SourceResult<Expanded>> {
        if !self.errors.is_empty() {
            return Warned::new(Err(self.errors));
        }
        let (edit, name) = self.out.into_json();
        Warned::new(Ok(Expanded {
            edit,
            origins: self.origins,
            name,
        }))
    }
}

/// Converts JSON to a minijinja value (for variables).
fn to_mj(j: &Json) -> minijinja::Value {
    use minijinja::Value as V;
    match j {
        Json::Null => V::from(()),
        Json::Bool(b) => V::from(*b),
        Json::String(s) => V::from(s.as_str()),
        Json::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => V::from(i),
            (_, Some(u)) => V::from(u),
            _ => V::from(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::Array(_) | Json::Object(_) => V::from(minijinja::value::Serde(j)),
    }
}

/// "did you mean" for a component name.
fn unknown_component(name: &str, span: Span, known: &HashMap<&str, &Define>) -> Diagnostic {
    let d = Diagnostic::error(format!("unknown component `{name}`"))
        .with_label(span, "no `define` with this name");
    match suggest(name, known.keys().copied()) {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d.with_help(format!("define it first: `define {name}(…) {{ … }}`")),
    }
}

/// A value for a message: text quoted and cut to 40 characters.
fn display_short(v: &minijinja::Value) -> String {
    match v.as_str() {
        Some(s) if s.chars().count() > 40 => {
            format!("{:?}…", s.chars().take(40).collect::<String>())
        }
        Some(s) => format!("{s:?}"),
        None => v.to_string(),
    }
}
