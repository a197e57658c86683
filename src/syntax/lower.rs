//! Lowering: pest pairs → spanned AST, one function per rule.
//!
//! Checks what the permissive grammar lets through: asset types, number and string tokens,
//! where each statement may appear. Every problem becomes a [`Diagnostic`]; siblings keep being
//! lowered so one run reports them all.

use pest::iterators::Pair;

use super::Rule;
use super::ast::*;
use super::lex::{self, Piece, TokenError};
use crate::diagnostics::{Diagnostic, FileId, SourceResult, Span, suggest};

/// The 16 Shotstack asset types.
pub const ASSET_TYPES: [&str; 16] = [
    "video",
    "image",
    "audio",
    "text",
    "rich-text",
    "title",
    "html",
    "html5",
    "svg",
    "shape",
    "luma",
    "caption",
    "rich-caption",
    "text-to-speech",
    "text-to-image",
    "image-to-video",
];

/// Statement keywords, for "did you mean" on unknown statements.
const KEYWORDS: [&str; 14] = [
    "output",
    "background",
    "font",
    "soundtrack",
    "data",
    "name",
    "let",
    "merge",
    "track",
    "if",
    "for",
    "include",
    "define",
    "use",
];

/// Where a block is, which decides the statements it may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// The file's top level: settings, tracks, control flow.
    Top,
    /// Inside a `track` or `define`: clips and control flow.
    Clips,
    /// Inside a clip's `{ }`: properties.
    Props,
}

/// Lowers pairs of one file.
pub(crate) struct Lower {
    /// The file the pairs were parsed from.
    pub(crate) file: FileId,
    /// Drop the statements that fail to lower instead of failing their block: what is left
    /// can still be expanded and validated (the errors are reported by a strict pass).
    pub(crate) recover: bool,
}

/// Gathers the results of siblings: all values, or all errors.
pub(crate) fn gather<T>(
    results: impl IntoIterator<Item = SourceResult<T>>,
) -> SourceResult<Vec<T>> {
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(v) => ok.push(v),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(ok)
    } else {
        Err(errors)
    }
}

/// Joins two results, keeping the errors of both.
fn both<A, B>(a: SourceResult<A>, b: SourceResult<B>) -> SourceResult<(A, B)> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(mut e), Err(f)) => {
            e.extend(f);
            Err(e)
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

impl Lower {
    /// The span of a pair.
    pub(crate) fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, s.start()..s.end())
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            span: self.span(&pair),
            name: pair.as_str().to_string(),
        }
    }

    /// `document`: the top-level statements.
    pub(crate) fn document(&self, pair: Pair<'_, Rule>) -> SourceResult<Vec<Item>> {
        self.body(pair, Place::Top)
    }

    /// The statements inside `pair` (a document or block), checked for `place`.
    pub(crate) fn body(&self, pair: Pair<'_, Rule>, place: Place) -> SourceResult<Vec<Item>> {
        let stmts = pair.into_inner().filter(|p| p.as_rule() != Rule::EOI);
        if self.recover {
            return Ok(stmts.filter_map(|p| self.stmt(p, place).ok()).collect());
        }
        gather(stmts.map(|p| self.stmt(p, place)))
    }

    fn block(&self, pair: Pair<'_, Rule>, place: Place) -> SourceResult<Vec<Item>> {
        self.body(pair, place)
    }

    /// One statement, checked for `place`.
    fn stmt(&self, pair: Pair<'_, Rule>, place: Place) -> SourceResult<Item> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        if rule == Rule::clip {
            // An unknown word is a typo first, misplaced second.
            let word = pair
                .clone()
                .into_inner()
                .next()
                .expect("grammar: clip has a word");
            asset_type(&self.ident(word))?;
        }
        placement(rule, place, span, &pair)?;
        let kind = match rule {
            Rule::output => ItemKind::Output(self.output(pair)?),
            Rule::background => ItemKind::Background(self.single(pair)?),
            Rule::font => ItemKind::Font(self.single(pair)?),
            Rule::soundtrack => ItemKind::Soundtrack(self.soundtrack(pair)?),
            Rule::data => {
                let (v, props) = self.data(pair)?;
                ItemKind::Data(v, props)
            }
            Rule::url_map => {
                let mut values = pair.into_inner().filter(|p| p.as_rule() == Rule::value);
                let prefix = self.value(values.next().expect("grammar: url-map prefix"))?;
                let dir = self.value(values.next().expect("grammar: url-map dir"))?;
                ItemKind::UrlMap(prefix, dir)
            }
            Rule::name => ItemKind::Name(self.single(pair)?),
            Rule::let_stmt => ItemKind::Let(self.let_stmt(pair)?),
            Rule::merge => ItemKind::Merge(self.merge(pair)?),
            Rule::track => ItemKind::Track(self.track(pair)?),
            Rule::if_stmt => ItemKind::If(self.if_stmt(pair, place)?),
            Rule::for_stmt => ItemKind::For(self.for_stmt(pair, place)?),
            Rule::include => ItemKind::Include(self.include(pair)?),
            Rule::define => ItemKind::Define(self.define(pair)?),
            Rule::use_stmt => ItemKind::Use(self.use_stmt(pair)?),
            Rule::clip => ItemKind::Clip(self.clip(pair)?),
            r => unreachable!("{r:?} as a statement outside a clip block"),
        };
        Ok(Item { kind, span })
    }

    /// `output FORMAT [RESOLUTION | WxH] [key=value…]`.
    fn output(&self, pair: Pair<'_, Rule>) -> SourceResult<Output> {
        let mut out = Output {
            format: None,
            resolution: None,
            size: None,
            props: Vec::new(),
        };
        let mut props = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::word => out.format = Some(self.ident(p)),
                Rule::resolution => out.resolution = Some(self.ident(p)),
                Rule::size => out.size = Some(self.size(p)?),
                Rule::prop => props.push(self.prop(p)),
                _ => {}
            }
        }
        out.props = gather(props)?;
        Ok(out)
    }

    /// `WxH`.
    fn size(&self, pair: Pair<'_, Rule>) -> SourceResult<Size> {
        let span = self.span(&pair);
        let (w, h) = pair.as_str().split_once('x').unwrap_or(("", ""));
        match (w.parse(), h.parse()) {
            (Ok(width), Ok(height)) => Ok(Size {
                width,
                height,
                span,
            }),
            _ => Err(vec![
                Diagnostic::error(format!("invalid size `{}`", pair.as_str()))
                    .with_label(span, "width or height is too large"),
            ]),
        }
    }

    /// A statement with one value (`background`, `font`, `data`, `name`).
    fn single(&self, pair: Pair<'_, Rule>) -> SourceResult<Value> {
        let value = pair.into_inner().find(|p| p.as_rule() == Rule::value);
        self.value(value.expect("grammar: statement has a value"))
    }

    /// `data PATH [rows=KEY]`: only `rows` may follow the path.
    fn data(&self, pair: Pair<'_, Rule>) -> SourceResult<(Value, Vec<Prop>)> {
        let mut src = None;
        let mut props = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::value => src = Some(self.value(p)),
                Rule::prop => props.push(self.prop(p).and_then(|pr| {
                    let ok = pr.key.segments == ["rows"]
                        && matches!(&pr.value.kind, ValueKind::Path(s) if s.len() == 1)
                            | matches!(&pr.value.kind, ValueKind::Str(p) if matches!(p.as_slice(), [Part::Lit(_)]));
                    if ok {
                        return Ok(pr);
                    }
                    Err(vec![
                        Diagnostic::error("`data` takes only `rows=\"KEY\"` after its path")
                            .with_label(pr.span, "not `rows=\"KEY\"`")
                            .with_help(
                                "name the JSON member that holds the rows, for example \
                                 `data \"matches.json\" rows=\"matches\"`",
                            ),
                    ])
                })),
                _ => {}
            }
        }
        both(src.expect("grammar: data has a path"), gather(props))
    }

    /// `soundtrack SRC [key=value…]`.
    fn soundtrack(&self, pair: Pair<'_, Rule>) -> SourceResult<Soundtrack> {
        let mut src = None;
        let mut props = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::value => src = Some(self.value(p)),
                Rule::prop => props.push(self.prop(p)),
                _ => {}
            }
        }
        let (src, props) = both(
            src.expect("grammar: soundtrack has a source"),
            gather(props),
        )?;
        Ok(Soundtrack { src, props })
    }

    /// `let NAME = VALUE | EXPR`.
    fn let_stmt(&self, pair: Pair<'_, Rule>) -> SourceResult<Let> {
        let mut inner = pair.into_inner().filter(|p| p.as_rule() != Rule::kw_let);
        let name = self.ident(inner.next().expect("grammar: let has a name"));
        let v = inner.next().expect("grammar: let has a value");
        let value = match v.as_rule() {
            Rule::expr => {
                let e = self.expr(v);
                Value {
                    span: e.span,
                    kind: ValueKind::Expr(e),
                }
            }
            _ => self.value(v)?,
        };
        Ok(Let { name, value })
    }

    /// `merge NAME = VALUE`.
    fn merge(&self, pair: Pair<'_, Rule>) -> SourceResult<Let> {
        let mut inner = pair.into_inner().filter(|p| p.as_rule() != Rule::kw_merge);
        let n = inner.next().expect("grammar: merge has a name");
        let span = self.span(&n);
        let name = match n.as_rule() {
            Rule::string => self.plain_string(n)?,
            _ => n.as_str().to_string(),
        };
        let value = self.value(inner.next().expect("grammar: merge has a value"))?;
        Ok(Let {
            name: Ident { name, span },
            value,
        })
    }

    /// `track [NAME] { … }`.
    fn track(&self, pair: Pair<'_, Rule>) -> SourceResult<Track> {
        let mut name = None;
        let mut items = Ok(Vec::new());
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::string => {
                    let span = self.span(&p);
                    name = Some(Ident {
                        name: self.plain_string(p)?,
                        span,
                    });
                }
                Rule::block => items = self.block(p, Place::Clips),
                _ => {}
            }
        }
        Ok(Track {
            name,
            items: items?,
        })
    }

    /// `if … { } else if … { } else { }`.
    fn if_stmt(&self, pair: Pair<'_, Rule>, place: Place) -> SourceResult<If> {
        let mut branches = Vec::new();
        let mut otherwise = None;
        let mut cond = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::cond => cond = Some(self.expr(p)),
                Rule::block => {
                    let c = cond.take().expect("grammar: condition before block");
                    branches.push(self.block(p, place).map(|items| Branch { cond: c, items }));
                }
                Rule::else_if => branches.extend(
                    self.if_stmt(p, place)
                        .map(|i| i.branches)
                        .map_or_else(|e| vec![Err(e)], |bs| bs.into_iter().map(Ok).collect()),
                ),
                Rule::else_block => {
                    let block = p.into_inner().find(|b| b.as_rule() == Rule::block);
                    otherwise = Some(self.block(block.expect("grammar: else block"), place));
                }
                _ => {}
            }
        }
        let (branches, otherwise) = both(gather(branches), otherwise.transpose())?;
        Ok(If {
            branches,
            otherwise,
        })
    }

    /// `for [i,] x in EXPR { … }`.
    fn for_stmt(&self, pair: Pair<'_, Rule>, place: Place) -> SourceResult<For> {
        let mut names = Vec::new();
        let mut iter = None;
        let mut items = Ok(Vec::new());
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => names.push(self.ident(p)),
                Rule::cond => iter = Some(self.expr(p)),
                Rule::block => items = self.block(p, place),
                _ => {}
            }
        }
        let var = names.pop().expect("grammar: for has a variable");
        Ok(For {
            index: names.pop(),
            var,
            iter: iter.expect("grammar: for has a list"),
            items: items?,
        })
    }

    /// `include "path"`.
    fn include(&self, pair: Pair<'_, Rule>) -> SourceResult<Include> {
        let value = self.single(pair)?;
        match &value.kind {
            ValueKind::Str(parts) => match parts.as_slice() {
                [Part::Lit(path)] => Ok(Include {
                    path: path.clone(),
                    path_span: value.span,
                    items: Vec::new(),
                }),
                _ => Err(vec![
                    Diagnostic::error("an included path cannot contain `{{ }}`")
                        .with_label(value.span, "includes are read before any data")
                        .with_help("write the path literally"),
                ]),
            },
            _ => Err(vec![
                Diagnostic::error("`include` takes a quoted path")
                    .with_label(value.span, "expected a string such as \"parts/intro.edit\""),
            ]),
        }
    }

    /// `define NAME(params) { clips }`.
    fn define(&self, pair: Pair<'_, Rule>) -> SourceResult<Define> {
        let mut idents = Vec::new();
        let mut items = Ok(Vec::new());
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => idents.push(self.ident(p)),
                Rule::block => items = self.block(p, Place::Clips),
                _ => {}
            }
        }
        let name = idents.remove(0);
        Ok(Define {
            name,
            params: idents,
            items: items?,
        })
    }

    /// `use NAME(args) [at START]`.
    fn use_stmt(&self, pair: Pair<'_, Rule>) -> SourceResult<Use> {
        let mut name = None;
        let mut args = Vec::new();
        let mut start = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::value => args.push(self.value(p)),
                Rule::at_clause => start = Some(self.clause(p)),
                _ => {}
            }
        }
        let (args, start) = both(gather(args), start.transpose())?;
        Ok(Use {
            name: name.expect("grammar: use has a name"),
            args,
            start,
        })
    }

    /// One clip.
    fn clip(&self, pair: Pair<'_, Rule>) -> SourceResult<Clip> {
        let mut inner = pair.into_inner();
        let asset = self.ident(inner.next().expect("grammar: clip has an asset type"));
        asset_type(&asset)?;
        let mut clip = Clip {
            asset,
            primary: None,
            start: None,
            length: None,
            props: Vec::new(),
        };
        let mut results: Vec<SourceResult<()>> = Vec::new();
        for p in inner {
            let r = match p.as_rule() {
                Rule::value => self.value(p).map(|v| clip.primary = Some(v)),
                Rule::at_clause => self.clip_time(p, &mut clip.start, "at"),
                Rule::for_clause => self.clip_time(p, &mut clip.length, "for"),
                Rule::prop => self.prop(p).map(|pr| clip.props.push(pr)),
                Rule::block => self.props_block(p).map(|ps| clip.props.extend(ps)),
                r => unreachable!("{r:?} in clip"),
            };
            results.push(r);
        }
        gather(results)?;
        Ok(clip)
    }

    /// A clip's `{ }` block: properties only.
    fn props_block(&self, pair: Pair<'_, Rule>) -> SourceResult<Vec<Prop>> {
        gather(pair.into_inner().map(|p| {
            let span = self.span(&p);
            placement(p.as_rule(), Place::Props, span, &p)?;
            self.prop(p)
        }))
    }

    /// `at`/`for` on a clip line, once each.
    fn clip_time(
        &self,
        p: Pair<'_, Rule>,
        slot: &mut Option<Value>,
        word: &str,
    ) -> SourceResult<()> {
        let span = self.span(&p);
        let v = self.clause(p)?;
        if let Some(prev) = slot {
            return Err(vec![
                Diagnostic::error(format!("`{word}` is given twice"))
                    .with_label(span, "second one here")
                    .with_label(prev.span, "first one here"),
            ]);
        }
        *slot = Some(v);
        Ok(())
    }

    /// `at X`, `for X`, `over X`: the value.
    fn clause(&self, pair: Pair<'_, Rule>) -> SourceResult<Value> {
        let v = pair.into_inner().find(|p| p.as_rule() == Rule::value);
        self.value(v.expect("grammar: clause has a value"))
    }

    /// `key=value`.
    pub(crate) fn prop(&self, pair: Pair<'_, Rule>) -> SourceResult<Prop> {
        let span = self.span(&pair);
        let pair_text = pair.as_str();
        let mut inner = pair.into_inner();
        let key = self.key(inner.next().expect("grammar: prop has a key"));
        let value = self.value(inner.next().expect("grammar: prop has a value"));
        let (key, value) = both(key, value)?;
        if let [word] = key.segments.as_slice()
            && matches!(word.as_str(), "for" | "at")
        {
            let src = &pair_text[pair_text.find('=').map_or(0, |i| i + 1)..];
            return Err(vec![
                Diagnostic::error(format!("`{word}` is a clause, not a property"))
                    .with_label(key.span, format!("`{word}` takes no `=`"))
                    .with_help(format!("write `{word} {}`", src.trim())),
            ]);
        }
        Ok(Prop { key, value, span })
    }

    /// A dotted key.
    fn key(&self, pair: Pair<'_, Rule>) -> SourceResult<Key> {
        let span = self.span(&pair);
        let segs = pair.into_inner().map(|s| match s.as_rule() {
            Rule::string => self.plain_string(s),
            _ => Ok(s.as_str().to_string()),
        });
        Ok(Key {
            segments: gather(segs)?,
            span,
        })
    }

    /// A string that must be literal (keys, names): no `{{ }}`.
    fn plain_string(&self, pair: Pair<'_, Rule>) -> SourceResult<String> {
        let span = self.span(&pair);
        match self.string(pair)? {
            ValueKind::Str(parts) => match parts.as_slice() {
                [Part::Lit(s)] => Ok(s.clone()),
                _ => Err(vec![
                    Diagnostic::error("a quoted name cannot contain `{{ }}`")
                        .with_label(span, "names are fixed text"),
                ]),
            },
            _ => unreachable!("string lowers to Str"),
        }
    }

    /// A minijinja expression (`let` value, `if`/`for` condition), trimmed.
    fn expr(&self, pair: Pair<'_, Rule>) -> Expr {
        let s = pair.as_span();
        let text = pair.as_str();
        let lead = text.len() - text.trim_start().len();
        let source = text.trim();
        let start = s.start() + lead;
        Expr {
            source: source.to_string(),
            span: Span::new(self.file, start..start + source.len()),
        }
    }

    /// A value.
    pub(crate) fn value(&self, pair: Pair<'_, Rule>) -> SourceResult<Value> {
        let span = self.span(&pair);
        let inner = pair.into_inner().next().expect("grammar: value has a kind");
        let kind = match inner.as_rule() {
            Rule::tween => ValueKind::Tween(gather(inner.into_inner().map(|s| self.segment(s)))?),
            Rule::array => ValueKind::Array(gather(inner.into_inner().map(|v| self.value(v)))?),
            Rule::object => ValueKind::Object(gather(inner.into_inner().map(|e| self.entry(e)))?),
            Rule::string | Rule::raw_string => self.string(inner)?,
            Rule::placeholder => self.placeholder(&inner)?,
            Rule::number => ValueKind::Number(
                lex::number(inner.as_str())
                    .map_err(|e| vec![self.token_error(e, span.start as usize)])?,
            ),
            Rule::path => path(inner.as_str()),
            Rule::unterminated | Rule::unterminated_raw => {
                return Err(vec![unterminated(span, &inner)]);
            }
            r => unreachable!("{r:?} as a value"),
        };
        Ok(Value { kind, span })
    }

    /// `key: value` in an object.
    fn entry(&self, pair: Pair<'_, Rule>) -> SourceResult<Entry> {
        let mut inner = pair.into_inner();
        let k = inner.next().expect("grammar: entry has a key");
        let key_span = self.span(&k);
        let key = match k.as_rule() {
            Rule::string => self.plain_string(k),
            _ => Ok(k.as_str().to_string()),
        };
        let value = self.value(inner.next().expect("grammar: entry has a value"));
        let (key, value) = both(key, value)?;
        Ok(Entry {
            key,
            key_span,
            value,
        })
    }

    /// One tween segment.
    fn segment(&self, pair: Pair<'_, Rule>) -> SourceResult<Segment> {
        let span = self.span(&pair);
        let mut values = Vec::new();
        let (mut over, mut at, mut props) = (None, None, Vec::new());
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::value => values.push(self.value(p)),
                Rule::over_clause => over = Some(self.clause(p)),
                Rule::at_clause => at = Some(self.clause(p)),
                Rule::prop => props.push(self.prop(p)),
                r => unreachable!("{r:?} in tween"),
            }
        }
        let ends = gather(values);
        let times = both(over.transpose(), at.transpose());
        let ((ends, (over, at)), props) = both(both(ends, times), gather(props))?;
        let [from, to]: [Value; 2] = ends.try_into().expect("grammar: tween has two ends");
        Ok(Segment {
            from,
            to,
            over,
            at,
            props,
            span,
        })
    }

    /// A `"…"` or `"""…"""` string.
    fn string(&self, pair: Pair<'_, Rule>) -> SourceResult<ValueKind> {
        let text = pair.as_str();
        let base = pair.as_span().start();
        let raw = pair.as_rule() == Rule::raw_string;
        let q = if raw { 3 } else { 1 };
        let body = &text[q..text.len() - q];
        let pieces = lex::string(body, q, raw).map_err(|es| {
            es.into_iter()
                .map(|e| self.token_error(e, base))
                .collect::<Vec<_>>()
        })?;
        let parts = pieces
            .into_iter()
            .map(|p| match p {
                Piece::Lit(s) => Part::Lit(s),
                Piece::Expr(source, r) => Part::Expr(Expr {
                    source,
                    span: Span::new(self.file, base + r.start..base + r.end),
                }),
                Piece::Tag(source, r) => Part::Tag(Expr {
                    source,
                    span: Span::new(self.file, base + r.start..base + r.end),
                }),
            })
            .collect();
        Ok(ValueKind::Str(parts))
    }

    /// A bare `{{ expr }}`: a string of one expression, so it keeps the expression's type.
    fn placeholder(&self, pair: &Pair<'_, Rule>) -> SourceResult<ValueKind> {
        let text = pair.as_str();
        let base = pair.as_span().start();
        let source = &text[2..text.len() - 2];
        if source.trim().is_empty() {
            return Err(vec![
                Diagnostic::error("empty `{{ }}`")
                    .with_label(self.span(pair), "nothing to evaluate here")
                    .with_help("write an expression such as `{{ scale | default(1) }}`"),
            ]);
        }
        Ok(ValueKind::Str(vec![Part::Expr(Expr {
            source: source.to_string(),
            span: Span::new(self.file, base + 2..base + text.len() - 2),
        })]))
    }

    fn token_error(&self, e: TokenError, base: usize) -> Diagnostic {
        let span = Span::new(self.file, base + e.range.start..base + e.range.end);
        let d = Diagnostic::error(e.message).with_label(span, e.label);
        match e.help {
            Some(h) => d.with_help(h),
            None => d,
        }
    }
}

/// A bare path: `true`, `false`, `null` or a name.
fn path(text: &str) -> ValueKind {
    match text {
        "true" => ValueKind::Bool(true),
        "false" => ValueKind::Bool(false),
        "null" => ValueKind::Null,
        _ => ValueKind::Path(text.split('.').map(str::to_string).collect()),
    }
}

fn unterminated(span: Span, pair: &Pair<'_, Rule>) -> Diagnostic {
    let raw = pair.as_rule() == Rule::unterminated_raw;
    let start = Span {
        end: span.start + if raw { 3 } else { 1 },
        ..span
    };
    let d = Diagnostic::error(if raw {
        "unterminated `\"\"\"` string"
    } else {
        "unterminated string"
    });
    if raw {
        d.with_label(start, "this `\"\"\"` is never closed")
            .with_help("end the text with `\"\"\"`")
    } else {
        d.with_label(start, "this string has no closing `\"` on its line")
            .with_help("close it with `\"`; for text over several lines use `\"\"\"…\"\"\"`")
    }
}

/// Checks an asset type; a typo of a keyword is reported as an unknown statement.
fn asset_type(asset: &Ident) -> SourceResult<()> {
    let name = asset.name.as_str();
    if ASSET_TYPES.contains(&name) {
        return Ok(());
    }
    let d = if let Some(k) = suggest(name, KEYWORDS) {
        Diagnostic::error(format!("unknown statement `{name}`"))
            .with_label(asset.span, "not a statement")
            .with_help(format!("did you mean `{k}`?"))
    } else {
        let d = Diagnostic::error(format!("unknown asset type `{name}`"))
            .with_label(asset.span, "not an asset type or statement");
        match suggest(name, ASSET_TYPES) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_note(format!("asset types are {}", ASSET_TYPES.join(", "))),
        }
    };
    Err(vec![d])
}

/// Checks that a statement may appear in `place`.
fn placement(rule: Rule, place: Place, span: Span, pair: &Pair<'_, Rule>) -> SourceResult<()> {
    let what = statement_name(rule, pair);
    let (ok, help) = match (place, rule) {
        (Place::Props, Rule::prop) => (true, ""),
        (Place::Props, _) => (false, "a clip's block holds only `key = value` properties"),
        (_, Rule::prop) => (
            false,
            "properties go on a clip line (`key=value`) or in its `{ }` block",
        ),
        (
            Place::Clips,
            Rule::clip | Rule::if_stmt | Rule::for_stmt | Rule::let_stmt | Rule::use_stmt,
        ) => (true, ""),
        (Place::Clips, _) => (false, "a track holds clips, `let`, `if`, `for` and `use`"),
        (Place::Top, Rule::clip | Rule::use_stmt) => {
            (false, "put clips inside a `track { … }` block")
        }
        (Place::Top, _) => (true, ""),
    };
    if ok {
        return Ok(());
    }
    Err(vec![
        Diagnostic::error(format!("{what} is not allowed here"))
            .with_label(span, "misplaced")
            .with_help(help),
    ])
}

/// How a statement is named in messages.
fn statement_name(rule: Rule, pair: &Pair<'_, Rule>) -> String {
    match rule {
        Rule::prop => "a property".into(),
        Rule::clip => "a clip".into(),
        Rule::let_stmt => "`let`".into(),
        Rule::if_stmt => "`if`".into(),
        Rule::for_stmt => "`for`".into(),
        Rule::use_stmt => "`use`".into(),
        _ => {
            let word = pair.as_str().split_whitespace().next().unwrap_or("");
            format!("`{word}`")
        }
    }
}
