//! Evaluation: minijinja expressions (compiled once per source text and cached), strings with
//! `{{ }}`, bare names, and whole values → JSON.
//!
//! One pass only: only expressions written in the template are evaluated; text that comes out
//! of them (from data) is never looked at again.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::{Arc, RwLock};

use minijinja::value::Value as MjValue;
use minijinja::{Environment, ErrorKind, Expression};
use serde_json::Value as Json;

use super::Expander;
use super::schema;
use crate::diagnostics::{Diagnostic, Span, suggest};
use crate::edit::origins::CellRef;
use crate::syntax::ast::{Expr, Part, Segment, Value, ValueKind};
use crate::template::env::escape_markup;

/// Compiled expressions of one environment, keyed by source text.
pub(crate) struct Exprs<'e> {
    /// The environment expressions are compiled against.
    env: &'e Environment<'static>,
    /// Compiled expressions by source text.
    map: RwLock<HashMap<String, Arc<Compiled<'e>>>>,
}

/// One compiled expression, or why it does not compile.
type Compiled<'e> = Result<Program<'e>, CompileError>;

/// A compiled expression and the names it reads.
pub(crate) struct Program<'e> {
    /// The compiled expression.
    expr: Expression<'e, 'static>,
    /// `name` or `a.b.c`: evaluated by a direct lookup, without minijinja's VM.
    path: Option<Vec<String>>,
    /// Top-level variables the expression reads.
    vars: Vec<String>,
    /// Columns read as `row.NAME`.
    row_columns: Vec<String>,
}

/// A syntax error in an expression.
#[derive(Debug, Clone)]
pub(crate) struct CompileError {
    /// minijinja's description.
    message: String,
    /// Where in the expression, when known.
    range: Option<Range<usize>>,
}

impl<'e> Exprs<'e> {
    /// An empty cache over `env`.
    pub(crate) fn new(env: &'e Environment<'static>) -> Self {
        Exprs {
            env,
            map: RwLock::new(HashMap::new()),
        }
    }

    /// The compiled form of `source`, compiling it on first use.
    fn get(&self, source: &str) -> Arc<Compiled<'e>> {
        if let Some(c) = self.map.read().expect("expression cache").get(source) {
            return c.clone();
        }
        let compiled = Arc::new(self.compile(source));
        let mut map = self.map.write().expect("expression cache");
        map.entry(source.to_string()).or_insert(compiled).clone()
    }

    fn compile(&self, source: &str) -> Compiled<'e> {
        let expr = self
            .env
            .compile_expression_owned(source.to_string())
            .map_err(|e| CompileError {
                message: e.detail().unwrap_or("invalid expression").to_string(),
                range: e.range(),
            })?;
        let vars = expr.undeclared_variables(false).into_iter().collect();
        let row_columns = expr
            .undeclared_variables(true)
            .into_iter()
            .filter_map(|v| {
                let col = v.strip_prefix("row.")?;
                Some(col.split('.').next().unwrap_or(col).to_string())
            })
            .collect();
        Ok(Program {
            expr,
            path: simple_path(source),
            vars,
            row_columns,
        })
    }
}

/// A value with the data cell it came from.
pub(crate) type Valued<T> = (T, Option<CellRef>);

impl Expander<'_, '_, '_, '_> {
    /// Evaluates a minijinja expression in the current scope; an undefined result is an
    /// error.
    pub(crate) fn eval(&mut self, expr: &Expr) -> Option<Valued<MjValue>> {
        self.eval_with(expr, false)
    }

    /// Evaluates an `if` condition: an undefined result (a missing variable) is false.
    pub(crate) fn condition(&mut self, expr: &Expr) -> Option<bool> {
        self.eval_with(expr, true).map(|(v, _)| v.is_true())
    }

    fn eval_with(&mut self, expr: &Expr, allow_undefined: bool) -> Option<Valued<MjValue>> {
        let compiled = self.exprs.get(&expr.source);
        let program = match compiled.as_ref() {
            Ok(p) => p,
            Err(e) => {
                self.errors.push(syntax_error(expr, e));
                return None;
            }
        };
        let mut ctx = BTreeMap::new();
        let mut cell = None;
        for name in &program.vars {
            if let Some((v, c)) = self.scope.lookup(name) {
                cell = cell.or_else(|| c.cloned());
                ctx.insert(name.clone(), v);
            }
        }
        for col in &program.row_columns {
            if let Some(Some(c)) = self.scope.column_cell(col) {
                cell = cell.or_else(|| Some(c.clone()));
            }
        }
        let result = match &program.path {
            Some(path) => Ok(walk(&ctx, path)),
            None => program.expr.eval(MjValue::from_object(ctx)),
        };
        match result {
            Ok(v) if allow_undefined || !v.is_undefined() => Some((v, cell)),
            Ok(_) => {
                let d = with_cell(self.undefined(expr, program), cell.as_ref());
                self.errors.push(d);
                None
            }
            Err(e) if e.kind() == ErrorKind::UndefinedError => {
                let d = with_cell(self.undefined(expr, program), cell.as_ref());
                self.errors.push(d);
                None
            }
            Err(e) => {
                let d = Diagnostic::error(format!("cannot evaluate `{}`", expr.source.trim()))
                    .with_label(expr.span, e.detail().unwrap_or("failed here").to_string());
                self.errors.push(with_cell(d, cell.as_ref()));
                None
            }
        }
    }

    /// The diagnostic for an expression that read something undefined.
    fn undefined(&self, expr: &Expr, program: &Program<'_>) -> Diagnostic {
        let missing = program.vars.iter().find(|v| self.scope.lookup(v).is_none());
        if let Some(name) = missing {
            return self.undefined_variable(name, expr.span);
        }
        let columns: Vec<&str> = self.scope.columns().collect();
        if let Some(col) = program
            .row_columns
            .iter()
            .find(|c| !columns.contains(&c.as_str()))
        {
            let d = Diagnostic::error(format!("the data has no column `{col}`"))
                .with_label(expr.span, format!("reads `row.{col}`"));
            return with_columns(d, col, &columns);
        }
        Diagnostic::error(format!("`{}` is undefined", expr.source.trim()))
            .with_label(expr.span, "this evaluates to an undefined value")
            .with_help("use `| default(…)` for values that may be missing")
    }

    /// "undefined variable `name`" with a suggestion drawn from the scope and the columns.
    pub(crate) fn undefined_variable(&self, name: &str, span: Span) -> Diagnostic {
        let d = Diagnostic::error(format!("undefined variable `{name}`"))
            .with_label(span, "not a variable in scope nor a column of the data");
        let names = self.scope.names();
        let d = match suggest(name, names.iter().copied()) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(format!(
                "define it with `let {name} = …`, add a `{name}` column to the data, \
                 or quote it if you meant the text \"{name}\""
            )),
        };
        let columns: Vec<&str> = self.scope.columns().collect();
        with_columns(d, name, &columns)
    }

    /// A string: literal text and `{{ }}` parts. Exactly one expression keeps its type.
    pub(crate) fn text(&mut self, parts: &[Part]) -> Option<Valued<Json>> {
        if parts.iter().any(|p| matches!(p, Part::Tag(_))) {
            return self.template(parts);
        }
        if let [Part::Expr(e)] = parts {
            if let Some(kept) = self.kept_merge(e) {
                return Some((Json::String(kept), None));
            }
            let (v, cell) = self.eval(e)?;
            return Some((self.markup_json(&v, e.span)?, cell));
        }
        let mut out = String::new();
        let mut cell = None;
        let mut ok = true;
        for part in parts {
            match part {
                Part::Lit(s) => out.push_str(s),
                Part::Tag(_) => unreachable!("strings with tags are templates"),
                Part::Expr(e) => match (self.kept_merge(e), self.eval_unless_kept(e)) {
                    (Some(kept), _) => out.push_str(&kept),
                    (None, Some((v, c))) => {
                        cell = cell.or(c);
                        if self.markup && !v.is_safe() {
                            out.push_str(&escape_markup(&display(&v)));
                        } else {
                            out.push_str(&display(&v));
                        }
                    }
                    (None, None) => ok = false,
                },
            }
        }
        ok.then_some((Json::String(out), cell))
    }

    /// A string with `{% %}` tags, rendered as one minijinja template in the current scope.
    /// Literal text is wrapped in `{% raw %}` when it holds delimiters; in a markup field each
    /// `{{ }}` is escaped unless marked `| safe`.
    fn template(&mut self, parts: &[Part]) -> Option<Valued<Json>> {
        let mut source = String::new();
        // (offset in `source`, the part's expression) for mapping errors back.
        let mut map: Vec<(usize, &Expr)> = Vec::new();
        for part in parts {
            match part {
                Part::Lit(s) if s.contains("{{") || s.contains("{%") || s.contains("{#") => {
                    source.push_str("{% raw %}");
                    source.push_str(s);
                    source.push_str("{% endraw %}");
                }
                Part::Lit(s) => source.push_str(s),
                Part::Expr(e) => {
                    source.push_str("{{");
                    map.push((source.len(), e));
                    source.push_str(&e.source);
                    if self.markup {
                        source.push_str("|escape");
                    }
                    source.push_str("}}");
                }
                Part::Tag(e) => {
                    source.push_str("{%");
                    map.push((source.len(), e));
                    source.push_str(&e.source);
                    source.push_str("%}");
                }
            }
        }
        let whole = match (map.first(), map.last()) {
            (Some((_, a)), Some((_, b))) => Span {
                end: b.span.end,
                ..a.span
            },
            _ => return Some((Json::String(source), None)),
        };
        let at = |range: Option<Range<usize>>| -> Span {
            let Some(r) = range else { return whole };
            map.iter()
                .rev()
                .find(|(off, e)| *off <= r.start && r.start <= off + e.source.len())
                .map_or(whole, |(off, e)| {
                    let start = e.span.start as usize + (r.start - off);
                    let end =
                        (e.span.start as usize + (r.end - off).min(e.source.len())).max(start + 1);
                    Span::new(whole.file, start..end.min(e.span.end as usize).max(start))
                })
        };
        let tmpl = match self.exprs.env.template_from_str(&source) {
            Ok(t) => t,
            Err(e) => {
                let d = Diagnostic::error("syntax error in a `{% %}` template").with_label(
                    at(e.range()),
                    e.detail().unwrap_or("invalid here").to_string(),
                );
                self.errors.push(d);
                return None;
            }
        };
        let mut ctx = BTreeMap::new();
        let mut cell = None;
        let vars = tmpl.undeclared_variables(false);
        for name in &vars {
            if let Some((v, c)) = self.scope.lookup(name) {
                cell = cell.or_else(|| c.cloned());
                ctx.insert(name.clone(), v);
            }
        }
        match tmpl.render(MjValue::from_object(ctx)) {
            Ok(out) => Some((Json::String(out), cell)),
            Err(e) => {
                let missing = vars.iter().find(|v| self.scope.lookup(v).is_none());
                let d = match missing {
                    Some(name) if e.kind() == ErrorKind::UndefinedError => {
                        self.undefined_variable(name, at(e.range()))
                    }
                    _ => Diagnostic::error("cannot render this `{% %}` template").with_label(
                        at(e.range()),
                        e.detail().unwrap_or("failed here").to_string(),
                    ),
                };
                self.errors.push(d);
                None
            }
        }
    }

    /// A value as JSON; in a markup field, a string not marked `| safe` is escaped.
    fn markup_json(&mut self, v: &MjValue, span: Span) -> Option<Json> {
        match to_json(v, span, &mut self.errors)? {
            Json::String(s) if self.markup && !v.is_safe() => Some(Json::String(escape_markup(&s))),
            j => Some(j),
        }
    }

    fn eval_unless_kept(&mut self, e: &Expr) -> Option<Valued<MjValue>> {
        if self.kept_merge(e).is_some() {
            return None;
        }
        self.eval(e)
    }

    /// With `--keep-merge`, `{{ NAME }}` of a merge field stays as written.
    fn kept_merge(&self, e: &Expr) -> Option<String> {
        if !self.keep_merge {
            return None;
        }
        let var = self.scope.local(e.source.trim())?;
        var.merge.then(|| format!("{{{{{}}}}}", e.source))
    }

    /// A value in the position of property `key` (the last segment of its key, for enums).
    pub(crate) fn value(&mut self, v: &Value, key: &str) -> Option<Valued<Json>> {
        match &v.kind {
            ValueKind::Null => Some((Json::Null, None)),
            ValueKind::Bool(b) => Some((Json::Bool(*b), None)),
            ValueKind::Number(n) => Some((Json::Number(n.clone()), None)),
            ValueKind::Str(parts) => self.text(parts),
            ValueKind::Path(segs) => self.path(segs, v.span, key),
            ValueKind::Array(items) => self.array(items, key),
            ValueKind::Object(entries) => {
                let mut map = serde_json::Map::new();
                let mut cell = None;
                for e in entries {
                    if let Some((j, c)) = self.value(&e.value, &e.key) {
                        cell = cell.or(c);
                        map.insert(e.key.clone(), j);
                    }
                }
                Some((Json::Object(map), cell))
            }
            ValueKind::Tween(segments) => self.tween(segments),
            ValueKind::Expr(e) => {
                let (mv, cell) = self.eval(e)?;
                Some((self.markup_json(&mv, e.span)?, cell))
            }
        }
    }

    fn array(&mut self, items: &[Value], key: &str) -> Option<Valued<Json>> {
        let mut out = Vec::with_capacity(items.len());
        let mut cell = None;
        let mut ok = true;
        for item in items {
            match self.value(item, key) {
                Some((j, c)) => {
                    cell = cell.or(c);
                    out.push(j);
                }
                None => ok = false,
            }
        }
        ok.then_some((Json::Array(out), cell))
    }

    /// A bare name or dotted path: a variable if one is in scope, else an enum value of `key`.
    fn path(&mut self, segs: &[String], span: Span, key: &str) -> Option<Valued<Json>> {
        let first = segs[0].as_str();
        let is_enum = segs.len() == 1 && schema::is_enum_value(key, first);
        let Some((value, cell)) = self.scope.lookup(first) else {
            if is_enum || (segs.len() == 1 && schema::has_enum(key)) {
                return Some((Json::String(first.to_string()), None));
            }
            self.errors.push(self.undefined_variable(first, span));
            return None;
        };
        let cell = cell.cloned();
        if is_enum {
            self.errors.push(ambiguous(first, key, span));
            return None;
        }
        if self.keep_merge && segs.len() == 1 && self.scope.local(first).is_some_and(|v| v.merge) {
            return Some((Json::String(format!("{{{{ {first} }}}}")), None));
        }
        let mut v = value;
        for seg in &segs[1..] {
            v = match v.get_attr(seg) {
                Ok(next) if !next.is_undefined() => next,
                _ => {
                    let d = Diagnostic::error(format!("`{}` is undefined", segs.join(".")))
                        .with_label(span, format!("`{seg}` is not a field here"));
                    self.errors.push(d);
                    return None;
                }
            };
        }
        Some((self.markup_json(&v, span)?, cell))
    }

    /// `[a -> b over 1s …]` → Shotstack Tween objects.
    fn tween(&mut self, segments: &[Segment]) -> Option<Valued<Json>> {
        let mut out = Vec::new();
        let mut next_start = Some(0.0);
        let mut cell = None;
        for s in segments {
            let (obj, end, c) = self.segment(s, next_start)?;
            cell = cell.or(c);
            next_start = end;
            out.push(obj);
        }
        Some((Json::Array(out), cell))
    }

    /// One tween segment; also returns where it ends (when numeric).
    fn segment(
        &mut self,
        s: &Segment,
        auto_start: Option<f64>,
    ) -> Option<(Json, Option<f64>, Option<CellRef>)> {
        let (from, c1) = self.value(&s.from, "from")?;
        let (to, c2) = self.value(&s.to, "to")?;
        let start = match &s.at {
            Some(v) => self.value(v, "start")?.0,
            None => match auto_start.and_then(super::build::seconds) {
                Some(n) => n,
                None => {
                    self.errors.push(
                        Diagnostic::error("cannot tell where this tween segment starts")
                            .with_label(s.span, "the previous segment's end is not a number")
                            .with_help("write `at START` in this segment"),
                    );
                    return None;
                }
            },
        };
        let Some(over) = &s.over else {
            self.errors.push(
                Diagnostic::error("a tween segment needs `over LENGTH`")
                    .with_label(s.span, "how long does this change take?")
                    .with_help("for example `[0 -> 1 over 1s]`"),
            );
            return None;
        };
        let (length, _) = self.value(over, "length")?;
        let end = start.as_f64().zip(length.as_f64()).map(|(a, b)| a + b);
        let mut obj = serde_json::Map::new();
        obj.insert("from".into(), from);
        obj.insert("to".into(), to);
        obj.insert("start".into(), start);
        obj.insert("length".into(), length);
        for p in &s.props {
            let name = match p.key.dotted().as_str() {
                "ease" => "easing".to_string(),
                other => other.to_string(),
            };
            let (j, _) = self.value(&p.value, &name)?;
            if name == "easing" && !obj.contains_key("interpolation") {
                obj.insert("interpolation".into(), Json::String("bezier".into()));
            }
            obj.insert(name, j);
        }
        Some((Json::Object(obj), end, c1.or(c2)))
    }
}

/// `source` as a dotted path of plain names (`first`, `row.first`), if it is one.
fn simple_path(source: &str) -> Option<Vec<String>> {
    const WORDS: [&str; 13] = [
        "true", "false", "none", "True", "False", "None", "and", "or", "not", "in", "is", "if",
        "else",
    ];
    let segs: Vec<String> = source.trim().split('.').map(str::to_string).collect();
    let plain = |s: &String| {
        let mut c = s.chars();
        c.next()
            .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
            && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
            && !WORDS.contains(&s.as_str())
    };
    segs.iter().all(plain).then_some(segs)
}

/// Looks `path` up in the evaluation context: what minijinja would return for it.
fn walk(ctx: &BTreeMap<String, MjValue>, path: &[String]) -> MjValue {
    let Some(mut v) = ctx.get(&path[0]).cloned() else {
        return MjValue::UNDEFINED;
    };
    for seg in &path[1..] {
        v = match v.get_attr(seg) {
            Ok(next) if !next.is_undefined() => next,
            _ => return MjValue::UNDEFINED,
        };
    }
    v
}

/// A minijinja value as JSON.
pub(crate) fn to_json(v: &MjValue, span: Span, errors: &mut Vec<Diagnostic>) -> Option<Json> {
    match serde_json::to_value(v) {
        Ok(j) => Some(j),
        Err(e) => {
            errors.push(
                Diagnostic::error("this value cannot be written as JSON")
                    .with_label(span, e.to_string()),
            );
            None
        }
    }
}

/// A minijinja value as text inside a string: `none` is empty and booleans are `true`/`false` (as in JSON, not Python's `True`).
fn display(v: &MjValue) -> String {
    match v.as_str() {
        Some(s) => s.to_string(),
        None if v.is_none() => String::new(),
        None if v.kind() == minijinja::value::ValueKind::Bool => v.is_true().to_string(),
        None => v.to_string(),
    }
}

/// Adds a label at the data cell a failing value came from, naming its row and column.
fn with_cell(d: Diagnostic, cell: Option<&CellRef>) -> Diagnostic {
    match cell {
        Some(c) => c.label(d),
        None => d,
    }
}

fn syntax_error(expr: &Expr, e: &CompileError) -> Diagnostic {
    let len = expr.source.len();
    let span = match &e.range {
        Some(r) if r.start <= len => {
            let end = r.end.clamp(r.start, len).max((r.start + 1).min(len));
            Span::new(
                expr.span.file,
                expr.span.start as usize + r.start..expr.span.start as usize + end,
            )
        }
        _ => expr.span,
    };
    Diagnostic::error(format!(
        "syntax error in expression `{}`",
        expr.source.trim()
    ))
    .with_label(span, e.message.clone())
}

fn ambiguous(name: &str, key: &str, span: Span) -> Diagnostic {
    Diagnostic::error(format!("`{name}` is ambiguous here"))
        .with_label(span, format!("both a variable and a value of `{key}`"))
        .with_help(format!(
            "write \"{name}\" for the value, or \"{{{{ {name} }}}}\" for the variable"
        ))
}

fn with_columns(d: Diagnostic, missing: &str, columns: &[&str]) -> Diagnostic {
    if columns.is_empty() {
        return d.with_note(format!(
            "there is no data column `{missing}`: this row has no columns"
        ));
    }
    d.with_note(format!(
        "there is no data column `{missing}`; the columns are {}",
        columns
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_paths_skip_the_vm() {
        assert_eq!(simple_path(" first ").unwrap(), ["first"]);
        assert_eq!(simple_path("row.first").unwrap(), ["row", "first"]);
        for not in [
            "a | upper",
            "true",
            "a.",
            "1",
            "a + b",
            "row['x']",
            "not a",
            "a.none",
        ] {
            assert!(simple_path(not).is_none(), "{not}");
        }
    }
}
