//! Font runs: which face draws each character of the text (the requested face, else the
//! fallback for the character), with a warning per fallback face.

use std::collections::HashSet;

use super::super::fallback::{Cjk, continues_cluster, is_emoji};
use super::super::fonts::{FontState, needs_glyph};
use crate::diagnostics::Diagnostic;

/// Splits `text` into runs of the face that draws them: `primary` where it has the glyph, else
/// the fallback for the character ([`super::fallback`]); marks, joiners and variation
/// selectors stay with the character before them, and a character after a zero-width joiner
/// stays in its face when it can, so clusters and emoji sequences shape as one. Returns a
/// warning per fallback face naming the characters.
pub(super) fn fallback_runs(
    state: &mut FontState,
    primary: usize,
    weight: Option<u16>,
    text: &str,
) -> (Vec<(std::ops::Range<usize>, usize)>, Vec<Diagnostic>) {
    let (data, index) = (
        state.faces[primary].data.clone(),
        state.faces[primary].index,
    );
    let parsed = ttf_parser::Face::parse((*data).as_ref(), index).ok();
    let primary_has =
        |c: char| !needs_glyph(c) || parsed.as_ref().is_some_and(|f| f.glyph_index(c).is_some());
    let bold = weight.unwrap_or(state.faces[primary].weight) >= 600;
    let italic = state.faces[primary].italic;
    let cjk = Cjk::of(text);
    let mut runs: Vec<(std::ops::Range<usize>, usize)> = Vec::new();
    let mut missing: Vec<(usize, Vec<char>)> = Vec::new();
    let mut noted: HashSet<(usize, char)> = HashSet::new();
    let mut chars = text.char_indices().peekable();
    let mut prev: Option<char> = None;
    let mut n = 0usize;
    while let Some((i, c)) = chars.next() {
        n += 1;
        if n.is_multiple_of(super::super::CANCEL_EVERY) && super::super::cancelled() {
            break;
        }
        let next = chars.peek().map(|&(_, n)| n);
        let emoji = is_emoji(c) || next == Some('\u{FE0F}');
        let last = runs.last().map(|r| r.1);
        let stay = last.filter(|&f| {
            (continues_cluster(c) || prev == Some('\u{200D}')) && state.has_glyph(f, c)
        });
        let face = if let Some(f) = stay {
            f
        } else if !needs_glyph(c) || (primary_has(c) && !emoji) {
            primary
        } else {
            let fb = state.fallback_for(c, bold, italic, cjk, emoji);
            if primary_has(c) {
                // An emoji the requested font also has: a colour emoji font draws it if any.
                fb.filter(|&f| state.faces[f].key.contains("emoji"))
                    .unwrap_or(primary)
            } else {
                let face = fb.unwrap_or(usize::MAX);
                if noted.insert((face, c)) {
                    note_missing(&mut missing, face, c);
                }
                fb.unwrap_or(primary)
            }
        };
        prev = Some(c);
        match runs.last_mut() {
            Some((r, f)) if *f == face => r.end = i + c.len_utf8(),
            _ => runs.push((i..i + c.len_utf8(), face)),
        }
    }
    let family = state.faces[primary].family.clone();
    let warnings = missing
        .into_iter()
        .map(|(fb, chars)| missing_warning(state, &family, fb, &chars));
    (runs, warnings.collect())
}

/// Adds `c` (not noted before) to the missing characters of fallback `face`.
fn note_missing(missing: &mut Vec<(usize, Vec<char>)>, face: usize, c: char) {
    match missing.iter_mut().find(|(f, _)| *f == face) {
        Some((_, chars)) => chars.push(c),
        None => missing.push((face, vec![c])),
    }
}

fn missing_warning(state: &FontState, family: &str, face: usize, chars: &[char]) -> Diagnostic {
    const SHOWN: usize = 5;
    let mut list: Vec<String> = chars
        .iter()
        .take(SHOWN)
        .map(|c| format!("'{c}' (U+{:04X})", *c as u32))
        .collect();
    if chars.len() > SHOWN {
        list.push(format!("and {} more", chars.len() - SHOWN));
    }
    let list = list.join(", ");
    match state.faces.get(face) {
        Some(fb) => Diagnostic::warning(format!(
            "font `{}` has no glyph for {list}; drawing {} with {}",
            family.trim(),
            if chars.len() == 1 { "it" } else { "them" },
            fb.family.trim()
        )),
        None => Diagnostic::warning(format!(
            "no {} font has a glyph for {list}; it is drawn as a box",
            if state.discovery.searches() {
                "bundled or installed"
            } else {
                "bundled"
            }
        ))
        .with_help(
            "install a font that covers it (Debian: fonts-noto-core, fonts-noto-cjk, \
             fonts-noto-color-emoji), pass `--font-path DIR`, or add it to `timeline.fonts`",
        ),
    }
}
