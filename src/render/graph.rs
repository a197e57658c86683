//! A typed ffmpeg filtergraph: chains of filters joined by labelled pads.
//!
//! [`FilterGraph`] hands out fresh [`Pad`] labels from a counter, stores filter arguments as
//! key/value pairs, and escapes them only when it is printed ([`Display`] produces the
//! `-filter_complex` string). Escaping follows ffmpeg's two levels ("Notes on filtergraph
//! escaping" in ffmpeg-filters(1)): an option value escapes `\ ' :` (and edge whitespace), then
//! the whole filter description escapes `\ ' [ ] , ;`. Nothing else in `render` builds filter
//! strings by hand. It does not know what the filters mean; `compile` decides that.

use std::fmt::{self, Display, Write as _};

/// A labelled link between two filters (`[p7]`), unique within its graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pad(u32);

impl Display for Pad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[p{}]", self.0)
    }
}

/// Which stream of an input file a chain reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Media {
    /// The first video stream (`[N:v:0]`).
    Video,
    /// The first audio stream (`[N:a:0]`).
    Audio,
}

/// The input of a chain: another chain's output or an input file's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Link {
    /// A pad produced inside the graph.
    Pad(Pad),
    /// Stream of input file `index` (0-based, in `-i` order).
    Input(usize, Media),
}

impl From<Pad> for Link {
    fn from(p: Pad) -> Link {
        Link::Pad(p)
    }
}

impl Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Link::Pad(p) => p.fmt(f),
            Link::Input(i, Media::Video) => write!(f, "[{i}:v:0]"),
            Link::Input(i, Media::Audio) => write!(f, "[{i}:a:0]"),
        }
    }
}

/// An argument value, already formatted but not yet escaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value(String);

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value(s)
    }
}

impl From<f64> for Value {
    /// Up to 6 decimals, trailing zeros dropped (`0.3`, `12`, `-0.000001`).
    fn from(v: f64) -> Value {
        Value(num(v))
    }
}

macro_rules! int_value {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value(v.to_string())
            }
        }
    )*};
}
int_value!(u32, i32, i64, u64, usize);

/// Formats a number for an ffmpeg argument or expression: at most 6 decimals, no trailing
/// zeros, never `-0`, never exponent notation.
pub fn num(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let mut s = format!("{v:.6}");
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    if s == "-0" { "0".to_owned() } else { s }
}

/// One filter: a name and its arguments in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    name: &'static str,
    id: Option<String>,
    args: Vec<(Option<&'static str>, Value)>,
}

impl Filter {
    /// A filter with no arguments.
    pub fn new(name: &'static str) -> Filter {
        Filter {
            name,
            id: None,
            args: Vec::new(),
        }
    }

    /// Names this instance (`lutyuv@fade3`) so `sendcmd` can address it.
    pub fn id(mut self, id: impl Into<String>) -> Filter {
        self.id = Some(id.into());
        self
    }

    /// Adds `key=value`.
    pub fn arg(mut self, key: &'static str, value: impl Into<Value>) -> Filter {
        self.args.push((Some(key), value.into()));
        self
    }

    /// Adds a positional value (`split=2`, `format=yuva420p`).
    pub fn pos(mut self, value: impl Into<Value>) -> Filter {
        self.args.push((None, value.into()));
        self
    }

    /// The filter's name.
    pub fn name(&self) -> &str {
        self.name
    }
}

/// Escapes an option value (first level): `\`, `'` and `:` get a backslash, and so does edge
/// whitespace, which ffmpeg would otherwise trim.
fn escape_value(v: &str, out: &mut String) {
    let last = v.chars().count().saturating_sub(1);
    for (i, c) in v.chars().enumerate() {
        let edge_space = c.is_whitespace() && (i == 0 || i == last);
        if matches!(c, '\\' | '\'' | ':') || edge_space {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Escapes a whole filter description (second level): `\ ' [ ] , ;` get a backslash.
fn escape_description(d: &str, out: &mut String) {
    for c in d.chars() {
        if matches!(c, '\\' | '\'' | '[' | ']' | ',' | ';') {
            out.push('\\');
        }
        out.push(c);
    }
}

impl Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut desc = String::new();
        for (i, (key, Value(v))) in self.args.iter().enumerate() {
            desc.push(if i == 0 { '=' } else { ':' });
            if let Some(k) = key {
                desc.push_str(k);
                desc.push('=');
            }
            escape_value(v, &mut desc);
        }
        let mut out = String::from(self.name);
        if let Some(id) = &self.id {
            out.push('@');
            out.push_str(id);
        }
        escape_description(&desc, &mut out);
        f.write_str(&out)
    }
}

/// A linear chain: input links, filters applied in order, output pads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    inputs: Vec<Link>,
    filters: Vec<Filter>,
    outputs: Vec<Pad>,
}

impl Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for i in &self.inputs {
            i.fmt(f)?;
        }
        for (n, filter) in self.filters.iter().enumerate() {
            if n > 0 {
                f.write_char(',')?;
            }
            filter.fmt(f)?;
        }
        for o in &self.outputs {
            o.fmt(f)?;
        }
        Ok(())
    }
}

/// A whole `-filter_complex` graph.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterGraph {
    chains: Vec<Chain>,
    next: u32,
    /// More consumers of a chain's only output: `(pad, its extra copies)`, printed as a
    /// `split` at the end of the chain (see [`FilterGraph::reuse`]).
    copies: Vec<(Pad, Vec<Pad>)>,
}

impl FilterGraph {
    /// An empty graph.
    pub fn new() -> FilterGraph {
        FilterGraph::default()
    }

    /// A fresh, unused pad label.
    pub fn pad(&mut self) -> Pad {
        self.next += 1;
        Pad(self.next)
    }

    /// Adds a chain from `inputs` through `filters` with one output pad, and returns that pad.
    pub fn chain(&mut self, inputs: &[Link], filters: Vec<Filter>) -> Pad {
        let out = self.pad();
        self.push(inputs, filters, vec![out]);
        out
    }

    /// Adds a chain with `n` output pads (for `split`, `asplit`).
    pub fn chain_n(&mut self, inputs: &[Link], filters: Vec<Filter>, n: usize) -> Vec<Pad> {
        let outs: Vec<Pad> = (0..n).map(|_| self.pad()).collect();
        self.push(inputs, filters, outs.clone());
        outs
    }

    /// Adds a chain whose outputs were allocated with [`FilterGraph::pad`].
    pub fn push(&mut self, inputs: &[Link], filters: Vec<Filter>, outputs: Vec<Pad>) {
        self.chains.push(Chain {
            inputs: inputs.to_vec(),
            filters,
            outputs,
        });
    }

    /// Splits `link` into `n` copies (`split` or `asplit`); `n == 1` returns it unchanged.
    pub fn split(&mut self, link: Link, media: Media, n: usize) -> Vec<Link> {
        if n <= 1 {
            return vec![link];
        }
        let name = match media {
            Media::Video => "split",
            Media::Audio => "asplit",
        };
        let pads = self.chain_n(&[link], vec![Filter::new(name).pos(n)], n);
        pads.into_iter().map(Link::Pad).collect()
    }

    /// Another copy of `pad`, the only output of a chain (a still picture prepared once and
    /// shown by many clips): the chain ends in a `split` when printed. A chain per use
    /// instead cost ffmpeg about half a megabyte each (3,000 clips of one image took 1.5 GB).
    pub fn reuse(&mut self, pad: Pad) -> Pad {
        let copy = self.pad();
        match self.copies.iter_mut().find(|(p, _)| *p == pad) {
            Some((_, extra)) => extra.push(copy),
            None => self.copies.push((pad, vec![copy])),
        }
        copy
    }

    /// The chains in order.
    pub fn chains(&self) -> &[Chain] {
        &self.chains
    }

    /// Whether the graph has no chains.
    pub fn is_empty(&self) -> bool {
        self.chains.is_empty()
    }

    /// One chain per line (`;` then a newline), for humans (`reel graph`) and snapshots.
    /// ffmpeg accepts this form too.
    pub fn to_pretty(&self) -> String {
        self.joined(";\n")
    }

    fn joined(&self, sep: &str) -> String {
        let copies: std::collections::HashMap<Pad, &Vec<Pad>> =
            self.copies.iter().map(|(p, e)| (*p, e)).collect();
        let mut s = String::new();
        for (i, c) in self.chains.iter().enumerate() {
            if i > 0 {
                s.push_str(sep);
            }
            match c.outputs.as_slice() {
                [out] if copies.contains_key(out) => {
                    let extra = copies[out];
                    let mut c = c.clone();
                    c.filters.push(Filter::new("split").pos(extra.len() + 1));
                    c.outputs.extend(extra.iter().copied());
                    let _ = write!(s, "{c}");
                }
                _ => {
                    let _ = write!(s, "{c}");
                }
            }
        }
        s
    }
}

impl Display for FilterGraph {
    /// The `-filter_complex` argument.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.joined(";"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(filter: Filter) -> String {
        filter.to_string()
    }

    #[test]
    fn escapes_both_levels() {
        // The example of ffmpeg-filters(1), "Notes on filtergraph escaping".
        let text = "this is a 'string': may contain one, or more, special characters";
        assert_eq!(
            show(Filter::new("drawtext").arg("text", text)),
            r"drawtext=text=this is a \\\'string\\\'\\: may contain one\, or more\, special characters"
        );
        let cases = [
            ("a:b", r"f=v=a\\:b"),
            ("a\\b", r"f=v=a\\\\b"),
            ("[0:v]", r"f=v=\[0\\:v\]"),
            ("x;y", r"f=v=x\;y"),
            (" pad ", r"f=v=\\ pad\\ "),
            ("plain", "f=v=plain"),
        ];
        for (value, want) in cases {
            assert_eq!(show(Filter::new("f").arg("v", value)), want, "{value:?}");
        }
    }

    #[test]
    fn expressions_keep_their_commas() {
        let f = Filter::new("overlay")
            .arg("x", "if(lt(t,1),0,W-w)")
            .arg("y", 0);
        assert_eq!(show(f), r"overlay=x=if(lt(t\,1)\,0\,W-w):y=0");
    }

    #[test]
    fn numbers() {
        assert_eq!(num(0.1 + 0.2), "0.3");
        assert_eq!(num(12.0), "12");
        assert_eq!(num(-0.0000001), "0");
        assert_eq!(num(-1.5), "-1.5");
        assert_eq!(num(f64::NAN), "0");
    }

    #[test]
    fn chains_and_pads() {
        let mut g = FilterGraph::new();
        let a = g.chain(
            &[Link::Input(0, Media::Video)],
            vec![
                Filter::new("fps").pos(25),
                Filter::new("format").pos("yuv420p"),
            ],
        );
        let parts = g.split(a.into(), Media::Video, 2);
        let out = g.chain(&parts, vec![Filter::new("overlay")]);
        assert_eq!(
            g.to_string(),
            "[0:v:0]fps=25,format=yuv420p[p1];[p1]split=2[p2][p3];[p2][p3]overlay[p4]"
        );
        assert_eq!(out.to_string(), "[p4]");
        assert_eq!(g.to_pretty().lines().count(), 3);
        assert_eq!(g.split(out.into(), Media::Audio, 1), vec![Link::Pad(out)]);
    }
}
