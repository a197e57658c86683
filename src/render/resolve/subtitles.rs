//! SRT and WebVTT subtitle files → timed cues. Pure: the caller reads the file.
//!
//! Tolerant of what real files contain: a byte order mark, CRLF or CR line ends, `,` or `.`
//! before the milliseconds, WebVTT times without hours, cue settings after the end time,
//! WebVTT header, `NOTE`, `STYLE` and `REGION` blocks, cue identifiers, several lines of text
//! per cue, and a missing blank line between two cues. Markup is removed from the text:
//! `<i>`, `<b>`, `<font …>`, WebVTT `<c.x>`, `<v Name>` and `<00:00:01.000>` tags, and
//! `{\an8}`-style override codes; WebVTT's `&amp;`, `&lt;`, `&gt;`, `&nbsp;` are decoded.
//!
//! A timestamp that cannot be read, a cue that ends before it starts, or text where a timing
//! line is expected is an error labelled at its place in the file (every one is reported).
//! It does not time cues against a clip: that is `captions`.

use std::ops::Range;

use crate::diagnostics::{Diagnostic, FileId, SourceResult, Span};

/// One subtitle cue, times in seconds from the start of the file's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Cue {
    /// When the cue appears.
    pub start: f64,
    /// When it disappears (after `start`).
    pub end: f64,
    /// The text without markup; lines joined with `\n`; never empty.
    pub text: String,
}

/// Parses an SRT or WebVTT file (WebVTT when it starts with `WEBVTT`). Spans point into
/// `text` as `file`. Cues come in file order; cues with no text or no duration are left out.
pub fn parse(text: &str, file: FileId) -> SourceResult<Vec<Cue>> {
    let mut p = Parser {
        file,
        vtt: false,
        cues: Vec::new(),
        errors: Vec::new(),
    };
    p.run(text);
    if p.errors.is_empty() {
        Ok(p.cues)
    } else {
        Err(p.errors)
    }
}

/// What the line-by-line parser is in the middle of.
enum State<'t> {
    /// Between cues.
    Idle {
        /// A line seen before a timing line (a cue identifier), with its byte range.
        id: Option<Range<usize>>,
    },
    /// Inside a block that is not a cue (WebVTT header, `NOTE`, `STYLE`, `REGION`) or after
    /// a broken timing line: skipped up to the next blank line.
    Skip,
    /// Collecting the text lines of a cue.
    Text {
        /// Start and end in seconds.
        times: (f64, f64),
        /// The lines so far.
        lines: Vec<&'t str>,
    },
}

struct Parser {
    file: FileId,
    vtt: bool,
    cues: Vec<Cue>,
    errors: Vec<Diagnostic>,
}

impl Parser {
    fn run(&mut self, text: &str) {
        let body_start = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let mut state = State::Idle { id: None };
        for (n, (at, line)) in lines(text, body_start).enumerate() {
            if n == 0 && line.starts_with("WEBVTT") {
                self.vtt = true;
                state = State::Skip;
                continue;
            }
            state = self.step(state, at, line);
        }
        if let State::Text { times, lines } = state {
            self.finish(times, &lines);
        }
    }

    /// Feeds one line (starting at byte `at`) to the state machine.
    fn step<'t>(&mut self, state: State<'t>, at: usize, line: &'t str) -> State<'t> {
        let blank = line.trim().is_empty();
        match state {
            State::Skip if blank => State::Idle { id: None },
            State::Skip => State::Skip,
            State::Text { times, lines } if blank => {
                self.finish(times, &lines);
                State::Idle { id: None }
            }
            State::Text { times, mut lines } => {
                // A timing line inside a cue's text: the blank line before the next cue is
                // missing. The line before it, if only digits, was that cue's SRT number.
                if line.contains("-->")
                    && let Ok(next) = timing(line, at, self.file)
                {
                    if lines.len() > 1 && lines.last().is_some_and(|l| is_number(l)) {
                        lines.pop();
                    }
                    self.finish(times, &lines);
                    return State::Text {
                        times: next,
                        lines: Vec::new(),
                    };
                }
                lines.push(line);
                State::Text { times, lines }
            }
            State::Idle { .. } if blank => State::Idle { id: None },
            State::Idle { id } => self.start_block(id, at, line),
        }
    }

    /// The first lines of a block: an identifier, a timing line, or a WebVTT non-cue block.
    fn start_block<'t>(&mut self, id: Option<Range<usize>>, at: usize, line: &'t str) -> State<'t> {
        if self.vtt && id.is_none() && ["NOTE", "STYLE", "REGION"].iter().any(|k| keyword(line, k))
        {
            return State::Skip;
        }
        if line.contains("-->") {
            return match timing(line, at, self.file) {
                Ok(times) => State::Text {
                    times,
                    lines: Vec::new(),
                },
                Err(ds) => {
                    self.errors.extend(ds);
                    State::Skip
                }
            };
        }
        match id {
            None => State::Idle {
                id: Some(at..at + line.len()),
            },
            Some(first) => {
                let span = Span::new(self.file, at..at + line.trim_end().len());
                let d = Diagnostic::error("expected a cue timing line")
                    .with_label(span, "expected `00:00:01,000 --> 00:00:04,000` here")
                    .with_label(Span::new(self.file, first), "after this cue number")
                    .with_help("separate cues with a blank line");
                self.errors.push(d);
                State::Skip
            }
        }
    }

    /// Adds a cue with the cleaned `lines`, unless it has no text or no duration.
    fn finish(&mut self, (start, end): (f64, f64), lines: &[&str]) {
        let text: Vec<String> = lines
            .iter()
            .map(|l| clean(l, self.vtt))
            .filter(|l| !l.is_empty())
            .collect();
        if !text.is_empty() && end > start {
            self.cues.push(Cue {
                start,
                end,
                text: text.join("\n"),
            });
        }
    }
}

/// Lines of `text` from byte `from`, as (byte offset, line without its `\n`, `\r\n` or `\r`).
fn lines(text: &str, from: usize) -> impl Iterator<Item = (usize, &str)> {
    let mut at = from;
    std::iter::from_fn(move || {
        if at >= text.len() {
            return None;
        }
        let rest = &text[at..];
        let (len, eol) = match rest.find(['\n', '\r']) {
            None => (rest.len(), 0),
            Some(i) if rest[i..].starts_with("\r\n") => (i, 2),
            Some(i) => (i, 1),
        };
        let line = (at, &rest[..len]);
        at += len + eol;
        Some(line)
    })
}

/// Whether `line` is the WebVTT block keyword `word` (alone or followed by a space or tab).
fn keyword(line: &str, word: &str) -> bool {
    line.strip_prefix(word)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

fn is_number(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())
}

/// Reads `START --> END [settings]` (the line starts at byte `at`).
fn timing(line: &str, at: usize, file: FileId) -> Result<(f64, f64), Vec<Diagnostic>> {
    let arrow = line.find("-->").unwrap_or(line.len());
    let (left, right) = (&line[..arrow], line.get(arrow + 3..).unwrap_or(""));
    let start = token(left.trim(), at + offset_in(line, left.trim()));
    let right = right.trim_start();
    let end_text = right.split([' ', '\t']).next().unwrap_or("");
    let end = token(end_text, at + offset_in(line, right));
    let read = |(text, range): (&str, Range<usize>), which: &str| {
        timestamp(text).ok_or_else(|| {
            let span = Span::new(file, range.clone());
            let msg = if text.is_empty() {
                format!("a cue timing line has no {which} time")
            } else {
                format!("malformed subtitle timestamp `{text}`")
            };
            let at_arrow = Span::new(file, at + arrow..at + (arrow + 3).min(line.len()));
            Diagnostic::error(msg)
                .with_label(
                    if text.is_empty() { at_arrow } else { span },
                    "expected `hh:mm:ss,mmm` or `mm:ss.mmm`",
                )
                .with_note("cue times look like `00:01:02,500` (SRT) or `01:02.500` (WebVTT)")
        })
    };
    match (read(start, "start"), read(end, "end")) {
        (Ok(s), Ok(e)) if e < s => {
            let span = Span::new(file, at..at + line.trim_end().len());
            Err(vec![
                Diagnostic::error("a subtitle cue ends before it starts")
                    .with_label(span, format!("from {} to {}", clock(s), clock(e))),
            ])
        }
        (Ok(s), Ok(e)) => Ok((s, e)),
        (s, e) => Err(s.err().into_iter().chain(e.err()).collect()),
    }
}

/// `(text, byte range)` of a token beginning at byte `at`.
fn token(text: &str, at: usize) -> (&str, Range<usize>) {
    (text, at..at + text.len())
}

/// Byte offset of `part` (a subslice of `line`) in `line`.
fn offset_in(line: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(line.as_ptr() as usize)
}

/// Seconds of `hh:mm:ss,mmm`, `hh:mm:ss.mmm` or `mm:ss.mmm` (hours of any length, 1–2 digit
/// minutes and seconds below 60, 1–9 fraction digits or none).
pub fn timestamp(text: &str) -> Option<f64> {
    let digits = |s: &str, max: usize| {
        (!s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    let parts: Vec<&str> = text.split(':').collect();
    let (h, m, s) = match parts[..] {
        [m, s] => (0, m, s),
        [h, m, s] => (digits(h, 9)?, m, s),
        _ => return None,
    };
    let m = digits(m, 2).filter(|&m| m < 60)?;
    let (secs, frac) = match s.find([',', '.']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let secs = digits(secs, 2).filter(|&s| s < 60)?;
    let frac = match frac {
        None => 0.0,
        Some(f) => digits(f, 9)? as f64 / 10f64.powi(f.len() as i32),
    };
    Some((h * 3600 + m * 60 + secs) as f64 + frac)
}

/// `h:mm:ss.mmm` for messages.
fn clock(t: f64) -> String {
    let ms = (t * 1000.0).round() as u64;
    format!(
        "{}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// One line of cue text without markup, trimmed.
fn clean(line: &str, vtt: bool) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        let next = rest[c.len_utf8()..].chars().next();
        let tag_end = match (c, next) {
            ('<', Some(n)) if n.is_ascii_alphanumeric() || n == '/' => rest.find('>'),
            ('{', Some('\\')) => rest.find('}'),
            _ => None,
        };
        if let Some(end) = tag_end {
            rest = &rest[end + 1..];
            continue;
        }
        if vtt && c == '&' {
            let entity = [
                ("&amp;", "&"),
                ("&lt;", "<"),
                ("&gt;", ">"),
                ("&nbsp;", "\u{a0}"),
                ("&lrm;", "\u{200e}"),
                ("&rlm;", "\u{200f}"),
            ]
            .into_iter()
            .find(|(e, _)| rest.starts_with(e));
            if let Some((e, ch)) = entity {
                out.push_str(ch);
                rest = &rest[e.len()..];
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cues(text: &str) -> Vec<(f64, f64, String)> {
        parse(text, FileId(0))
            .unwrap_or_else(|e| panic!("{e:#?}"))
            .into_iter()
            .map(|c| (c.start, c.end, c.text))
            .collect()
    }

    fn errors(text: &str) -> Vec<(String, Range<usize>)> {
        parse(text, FileId(0))
            .unwrap_err()
            .into_iter()
            .map(|d| (d.message.clone(), d.span().unwrap().range()))
            .collect()
    }

    fn cue(start: f64, end: f64, text: &str) -> (f64, f64, String) {
        (start, end, text.to_string())
    }

    #[test]
    fn srt_basics() {
        let srt = "1\n00:00:01,000 --> 00:00:02,500\nHello\nworld\n\n2\n00:00:03,000 --> 00:00:04,000\nBye\n";
        assert_eq!(
            cues(srt),
            [cue(1.0, 2.5, "Hello\nworld"), cue(3.0, 4.0, "Bye")]
        );
    }

    #[test]
    fn bom_crlf_cr_and_no_trailing_newline() {
        let srt = "\u{feff}1\r\n00:00:01,000 --> 00:00:02,000\r\nA\r\n\r\n2\r00:00:02,000 --> 00:00:03,000\rB";
        assert_eq!(cues(srt), [cue(1.0, 2.0, "A"), cue(2.0, 3.0, "B")]);
    }

    #[test]
    fn timestamps() {
        let cases = [
            ("00:00:01,000", Some(1.0)),
            ("00:00:01.250", Some(1.25)),
            ("01:02:03,004", Some(3723.004)),
            ("02:03.5", Some(123.5)),
            ("123:00:00.000", Some(442_800.0)),
            ("00:00:07", Some(7.0)),
            ("0:0:7.1", Some(7.1)),
            ("00:60:00,000", None),
            ("00:00:60,000", None),
            ("00:00:1x,000", None),
            ("00:00:01,", None),
            ("1.5", None),
            ("", None),
            ("::", None),
            ("00:00:00:00:01", None),
        ];
        for (text, want) in cases {
            let got = timestamp(text);
            match (got, want) {
                (Some(g), Some(w)) => assert!((g - w).abs() < 1e-9, "{text}: {g}"),
                _ => assert_eq!(got, want, "{text}"),
            }
        }
    }

    #[test]
    fn vtt_header_notes_styles_ids_settings_and_short_times() {
        let vtt = "WEBVTT - a title\nKind: captions\n\nNOTE this is\na comment\n\nSTYLE\n::cue { color: red }\n\nintro\n00:01.000 --> 00:02.000 align:start position:10%\n<v Roger>Hi &amp; <i>bye</i></v>\n\n00:00:03.000 --> 00:00:04.000\nNOTE is text here\n";
        assert_eq!(
            cues(vtt),
            [
                cue(1.0, 2.0, "Hi & bye"),
                cue(3.0, 4.0, "NOTE is text here")
            ]
        );
    }

    #[test]
    fn markup_is_stripped() {
        let srt = "1\n00:00:00,000 --> 00:00:01,000\n{\\an8}<font color=\"#ff0\">Top</font> <b>bold</b>\n<c.yellow.bg_blue>Karaoke</c> <00:00:00.500>word\n\n";
        assert_eq!(cues(srt), [cue(0.0, 1.0, "Top bold\nKaraoke word")]);
        // Not tags: a lone `<`, `< b>`, `{no backslash}`; SRT keeps entities literally.
        let srt = "1\n00:00:00,000 --> 00:00:01,000\n1 < 2 and x <3 {curly} &amp;\n";
        assert_eq!(cues(srt), [cue(0.0, 1.0, "1 < 2 and x <3 {curly} &amp;")]);
    }

    #[test]
    fn empty_and_zero_length_cues_are_left_out() {
        let srt = "1\n00:00:01,000 --> 00:00:02,000\n<i></i>\n\n2\n00:00:02,000 --> 00:00:02,000\nX\n\n3\n00:00:03,000 --> 00:00:04,000\n\n4\n00:00:05,000 --> 00:00:06,000\nok\n";
        assert_eq!(cues(srt), [cue(5.0, 6.0, "ok")]);
        assert_eq!(cues(""), []);
        assert_eq!(cues("WEBVTT\n"), []);
        assert_eq!(cues("\u{feff}"), []);
    }

    #[test]
    fn a_missing_blank_line_starts_the_next_cue() {
        let srt = "1\n00:00:01,000 --> 00:00:02,000\nOne\n2\n00:00:02,000 --> 00:00:03,000\nTwo\n";
        assert_eq!(cues(srt), [cue(1.0, 2.0, "One"), cue(2.0, 3.0, "Two")]);
    }

    #[test]
    fn malformed_timestamps_are_errors_at_the_token() {
        let srt = "1\n00:00:01;000 --> 00:00:02,000\nA\n\n2\n00:00:03,000 --> 00:00:04,00x\nB\n";
        let e = errors(srt);
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(e[0].0, "malformed subtitle timestamp `00:00:01;000`");
        assert_eq!(&srt[e[0].1.clone()], "00:00:01;000");
        assert_eq!(&srt[e[1].1.clone()], "00:00:04,00x");
        let e = errors("1\n00:00:01,000 -->\nA\n");
        assert_eq!(e[0].0, "a cue timing line has no end time");
        let e = errors("1\n --> 00:00:01,000\nA\n");
        assert_eq!(e[0].0, "a cue timing line has no start time");
    }

    #[test]
    fn a_cue_ending_before_it_starts_is_an_error() {
        let srt = "1\n00:00:05,000 --> 00:00:03,000\nA\n";
        let d = &parse(srt, FileId(0)).unwrap_err()[0];
        assert_eq!(d.message, "a subtitle cue ends before it starts");
        assert_eq!(d.labels[0].message, "from 0:00:05.000 to 0:00:03.000");
        assert_eq!(
            &srt[d.span().unwrap().range()],
            "00:00:05,000 --> 00:00:03,000"
        );
    }

    #[test]
    fn text_where_a_timing_line_belongs_is_an_error_and_parsing_goes_on() {
        let srt = "1\nHello\n\n2\n00:00:01,000 --> 00:00:02,000\nA\n\n3\n00:00:0x,000 --> 00:00:04,000\nB\n";
        let e = errors(srt);
        assert_eq!(e[0].0, "expected a cue timing line");
        assert_eq!(&srt[e[0].1.clone()], "Hello");
        assert_eq!(e[1].0, "malformed subtitle timestamp `00:00:0x,000`");
        assert_eq!(e.len(), 2);
    }

    #[test]
    fn spans_count_bytes_after_a_bom_and_multibyte_text() {
        let srt = "\u{feff}1\r\nüü:00:01,000 --> 00:00:02,000\r\nA\r\n";
        let e = errors(srt);
        assert_eq!(&srt[e[0].1.clone()], "üü:00:01,000");
    }

    proptest! {
        #[test]
        fn never_panics(text in "\\PC*") {
            let _ = parse(&text, FileId(0));
        }

        #[test]
        fn never_panics_on_subtitle_shaped_text(
            lines in prop::collection::vec(
                prop_oneof![
                    Just(String::new()),
                    Just("WEBVTT".to_string()),
                    Just("NOTE x".to_string()),
                    "[0-9]{1,3}",
                    "[0-9:.,]{0,14} ?-->[ 0-9:.,a-z%]{0,24}",
                    "[<>{}\\\\/&;a-zé ]{0,12}",
                ],
                0..30,
            ),
            eol in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
        ) {
            let text = lines.join(eol);
            if let Err(ds) = parse(&text, FileId(0)) {
                for d in ds {
                    let r = d.span().unwrap().range();
                    prop_assert!(r.end <= text.len() && text.is_char_boundary(r.start));
                }
            }
        }

        #[test]
        fn written_srt_reads_back(
            cues_in in prop::collection::vec((0u64..10_000_000, 1u64..100_000, "[a-zA-Z0-9 ,.!?é]{1,20}"), 0..20),
        ) {
            let mut srt = String::new();
            let mut want = Vec::new();
            for (i, (start, len, text)) in cues_in.iter().enumerate() {
                let text = text.trim();
                let stamp = |ms: u64| format!(
                    "{:02}:{:02}:{:02},{:03}",
                    ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000
                );
                srt += &format!("{}\n{} --> {}\n{text}\n\n", i + 1, stamp(*start), stamp(start + len));
                if !text.is_empty() {
                    want.push((*start, start + len, text.to_string()));
                }
            }
            let got = parse(&srt, FileId(0)).unwrap();
            prop_assert_eq!(got.len(), want.len());
            for (g, (s, e, t)) in got.iter().zip(want) {
                prop_assert!((g.start - s as f64 / 1000.0).abs() < 1e-6);
                prop_assert!((g.end - e as f64 / 1000.0).abs() < 1e-6);
                prop_assert_eq!(&g.text, &t);
            }
        }
    }
}
