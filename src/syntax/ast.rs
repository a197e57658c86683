//! The spanned AST of a `.edit` document.
//!
//! Every node owns a [`Span`] (never pest's borrowed span), so later stages can point at the
//! exact text that produced a value. The AST is what the author wrote, lightly normalised:
//! numbers and durations are parsed, strings are split into literal text and `{{ }}`
//! expressions, placement rules (clips inside tracks, properties inside clips) are checked.
//! Evaluation (variables, expressions, key routing) happens in `template::expand`.

use std::path::PathBuf;

use crate::diagnostics::{FileId, Span};

/// A parsed `.edit` file with its includes resolved.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file this document was parsed from.
    pub file: FileId,
    /// The statements, in order. `include` statements carry the included statements.
    pub items: Vec<Item>,
    /// Every file read to build this document (the file itself first, then includes), for
    /// watch mode.
    pub files: Vec<PathBuf>,
    /// The `data` statement, if any: the default data source.
    pub data: Option<DataSource>,
    /// The `url-map` statements, in order.
    pub url_maps: Vec<UrlMap>,
}

/// `url-map "PREFIX" "DIR"`: a `src` starting with PREFIX is read from DIR plus the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct UrlMap {
    /// The URL prefix (`https://cdn.example.com/`).
    pub prefix: String,
    /// The directory, resolved relative to the file that names it.
    pub dir: PathBuf,
    /// Where it is written.
    pub span: Span,
}

/// The default data source named by a `data` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSource {
    /// The path as written.
    pub path: String,
    /// The path resolved relative to the directory of the file that names it.
    pub resolved: PathBuf,
    /// Where it is written.
    pub span: Span,
    /// `rows=KEY`: the member of a JSON object that holds the rows (default `rows`).
    pub rows: Option<String>,
}

/// A name as written: a variable, parameter, component, asset type or format.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    /// The text.
    pub name: String,
    /// Where.
    pub span: Span,
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// What it is.
    pub kind: ItemKind,
    /// The whole statement.
    pub span: Span,
}

/// The statements of the language.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemKind {
    /// `output FORMAT [RESOLUTION | WxH] [key=value…]`.
    Output(Output),
    /// `background COLOR`.
    Background(Value),
    /// `font PATH_OR_URL`.
    Font(Value),
    /// `soundtrack SRC [key=value…]`.
    Soundtrack(Soundtrack),
    /// `data PATH [rows=KEY]` (also recorded in [`Document::data`]).
    Data(Value, Vec<Prop>),
    /// `url-map PREFIX DIR` (also recorded in [`Document::url_maps`]).
    UrlMap(Value, Value),
    /// `name TEMPLATE`.
    Name(Value),
    /// `let NAME = VALUE`.
    Let(Let),
    /// `merge NAME = VALUE`.
    Merge(Let),
    /// `track [NAME] { … }`.
    Track(Track),
    /// One clip.
    Clip(Clip),
    /// `if … { } else if … { } else { }`.
    If(If),
    /// `for [i,] x in EXPR { … }`.
    For(For),
    /// `include "other.edit"`.
    Include(Include),
    /// `define NAME(params) { clips }`.
    Define(Define),
    /// `use NAME(args) [at START]`.
    Use(Use),
}

/// The `output` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// `mp4`, `gif`, …
    pub format: Option<Ident>,
    /// A resolution preset (`hd`, `1080`).
    pub resolution: Option<Ident>,
    /// `WxH`.
    pub size: Option<Size>,
    /// Further `key=value` properties.
    pub props: Vec<Prop>,
}

/// `WxH` in `output`.
#[derive(Debug, Clone, PartialEq)]
pub struct Size {
    /// Width in pixels.
    pub width: u64,
    /// Height in pixels.
    pub height: u64,
    /// Where.
    pub span: Span,
}

/// The `soundtrack` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Soundtrack {
    /// The audio source.
    pub src: Value,
    /// `volume=…`, `effect=…`.
    pub props: Vec<Prop>,
}

/// `let NAME = VALUE` or `merge NAME = VALUE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Let {
    /// The variable (or merge field) name.
    pub name: Ident,
    /// Its value; for `let`, possibly a bare minijinja expression ([`ValueKind::Expr`]).
    pub value: Value,
}

/// A track.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    /// The optional name (documentation only: Shotstack tracks have no name).
    pub name: Option<Ident>,
    /// Clips and control flow.
    pub items: Vec<Item>,
}

/// One clip: `ASSET [PRIMARY] [at START] [for LENGTH] [key=value…] [{ … }]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Clip {
    /// The asset type (`video`, `rich-text`, …), checked against the known types.
    pub asset: Ident,
    /// The asset's main field (`src`, `text`, `html`, `svg`, `shape` or `prompt`).
    pub primary: Option<Value>,
    /// `at START`.
    pub start: Option<Value>,
    /// `for LENGTH`.
    pub length: Option<Value>,
    /// Properties from the line and then the block, in order.
    pub props: Vec<Prop>,
}

/// `key=value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Prop {
    /// The dotted key.
    pub key: Key,
    /// The value.
    pub value: Value,
    /// The whole property.
    pub span: Span,
}

/// A dotted key (`offset.x`, `asset.src`).
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The segments, unquoted.
    pub segments: Vec<String>,
    /// Where.
    pub span: Span,
}

impl Key {
    /// The key as written, segments joined by `.`.
    pub fn dotted(&self) -> String {
        self.segments.join(".")
    }
}

/// `if` with its `else if` branches and `else`.
#[derive(Debug, Clone, PartialEq)]
pub struct If {
    /// `if` and every `else if`, in order.
    pub branches: Vec<Branch>,
    /// The `else` block.
    pub otherwise: Option<Vec<Item>>,
}

/// One condition and its block.
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    /// The condition.
    pub cond: Expr,
    /// The block.
    pub items: Vec<Item>,
}

/// `for [index,] var in iter { … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct For {
    /// The 0-based index variable, if written.
    pub index: Option<Ident>,
    /// The element variable.
    pub var: Ident,
    /// The list expression.
    pub iter: Expr,
    /// The repeated block.
    pub items: Vec<Item>,
}

/// `include "path"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Include {
    /// The path as written.
    pub path: String,
    /// Where the path is written.
    pub path_span: Span,
    /// The included statements (filled by [`crate::syntax::load`]; empty after `parse`).
    pub items: Vec<Item>,
}

/// `define NAME(params) { clips }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Define {
    /// The component name.
    pub name: Ident,
    /// Parameter names.
    pub params: Vec<Ident>,
    /// Clips (with control flow) whose times are relative to `use … at`.
    pub items: Vec<Item>,
}

/// `use NAME(args) [at START]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Use {
    /// The component.
    pub name: Ident,
    /// Arguments, one per parameter.
    pub args: Vec<Value>,
    /// `at START` (0 when omitted).
    pub start: Option<Value>,
}

/// A minijinja expression as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// The source text (inside `{{ }}` for string parts, untrimmed).
    pub source: String,
    /// Where the source text is.
    pub span: Span,
}

/// A value.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// What it is.
    pub kind: ValueKind,
    /// Where.
    pub span: Span,
}

/// The kinds of value.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number; durations are already in seconds.
    Number(serde_json::Number),
    /// A string, split into literal text, `{{ }}` expressions and `{% %}` tags. A bare
    /// `{{ expr }}` value is a string of one expression.
    Str(Vec<Part>),
    /// A bare identifier or dotted path: a variable if one is in scope, else an enum value.
    Path(Vec<String>),
    /// `[a, b]`.
    Array(Vec<Value>),
    /// `{ key: value }`.
    Object(Vec<Entry>),
    /// `[0 -> 1 over 1s …]`.
    Tween(Vec<Segment>),
    /// A bare minijinja expression (only as a `let` value).
    Expr(Expr),
}

/// A piece of a string.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Literal text (escapes resolved).
    Lit(String),
    /// `{{ expr }}`.
    Expr(Expr),
    /// `{% tag %}` (`if`, `for`, `set`, …): the string is then rendered as a minijinja
    /// template, once per row.
    Tag(Expr),
}

/// `key: value` in an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key, unquoted.
    pub key: String,
    /// Where the key is.
    pub key_span: Span,
    /// The value.
    pub value: Value,
}

/// One tween segment: `FROM -> TO [over LENGTH] [at START] [key=value…]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// `from`.
    pub from: Value,
    /// `to`.
    pub to: Value,
    /// `over LENGTH`.
    pub over: Option<Value>,
    /// `at START` (default: where the previous segment ended, 0 for the first).
    pub at: Option<Value>,
    /// `ease=…` and other Tween keys.
    pub props: Vec<Prop>,
    /// The whole segment.
    pub span: Span,
}
