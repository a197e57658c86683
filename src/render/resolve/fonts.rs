//! `timeline.fonts` files added to the shared [`Fonts`] once, however many rows name them.
//!
//! Batch and watch share one `Fonts` across every resolve; adding a row's font files on each
//! call would load the same faces again and again (memory and matching time growing with the
//! row count). A process-wide memo remembers what each (contents, src) pair resolved to, and a
//! font is skipped only when the `Fonts` at hand already resolves that family and weight to that
//! very file, so a fresh `Fonts` still gets it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use crate::diagnostics::Diagnostic;
use crate::render::cache;
use crate::render::raster::{FontChoice, Fonts};

/// Adds the font file at `path` (named `src` in the template) unless `fonts` already has it.
/// Returns its content hash (for layer cache keys) and whether it was added now.
pub fn add_once(fonts: &Fonts, path: &Path, src: &str) -> Result<(String, bool), Diagnostic> {
    static ADDED: OnceLock<Mutex<HashMap<(String, String), FontChoice>>> = OnceLock::new();
    let hash = cache::hash_file_memo(path)
        .map_err(|e| {
            Diagnostic::error(format!("cannot read font file `{src}`")).with_note(e.to_string())
        })?
        .to_hex()
        .to_string();
    let key = (hash.clone(), src.to_string());
    let memo = ADDED.get_or_init(Mutex::default);
    let known = memo.lock().ok().and_then(|m| m.get(&key).cloned());
    if let Some(choice) = known {
        let now = fonts.resolve(&choice.family, Some(choice.weight)).output;
        if now.file == choice.file && now.family == choice.family {
            return Ok((hash, false));
        }
    }
    let choice = fonts.add_file(path, src)?;
    if let Ok(mut m) = memo.lock() {
        m.insert(key, choice);
    }
    Ok((hash, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled_ttf() -> std::path::PathBuf {
        let fonts = Path::new(env!("CARGO_MANIFEST_DIR")).join("fonts");
        std::fs::read_dir(fonts)
            .unwrap()
            .flat_map(|d| std::fs::read_dir(d.unwrap().path()).into_iter().flatten())
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "ttf"))
            .expect("a bundled ttf")
    }

    #[test]
    fn a_font_is_added_once_per_fonts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("brand.ttf");
        std::fs::copy(bundled_ttf(), &path).unwrap();
        let fonts = Fonts::bundled();
        let (hash, added) = add_once(&fonts, &path, "brand.ttf").unwrap();
        assert!(added);
        assert_eq!(hash, cache::hash_file(&path).unwrap().to_hex().to_string());
        assert!(!add_once(&fonts, &path, "brand.ttf").unwrap().1);
        // Another name for the same file registers that name too.
        assert!(add_once(&fonts, &path, "other-name.ttf").unwrap().1);
        // A fresh Fonts has not seen it.
        let fresh = Fonts::bundled();
        assert!(add_once(&fresh, &path, "brand.ttf").unwrap().1);
    }

    #[test]
    fn a_file_that_is_not_a_font_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fake.ttf");
        std::fs::write(&path, b"nope").unwrap();
        let err = add_once(&Fonts::bundled(), &path, "fake.ttf").unwrap_err();
        assert!(err.message.contains("not a font"), "{}", err.message);
    }
}
