//! Which rows a build renders again: a row is stale when its expanded Edit (with reel's render
//! settings) hashes differently from its last good render, when its output file is gone, or
//! when a file it read (asset, font) was saved.
//!
//! [`RowCache`] keeps, per output file, the key of its last good render and the files that
//! render read. It lives in memory for the session; the batch manifest can stand behind the
//! same methods.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// A row's identity for rendering: blake3 of its expanded Edit JSON and the render settings.
pub type Key = blake3::Hash;

/// The key of one expanded Edit under `settings` (e.g. `preview=true frame=None`).
pub fn row_key(edit: &serde_json::Value, settings: &str) -> Key {
    let mut h = blake3::Hasher::new();
    h.update(settings.as_bytes());
    h.update(&[0]);
    h.update(edit.to_string().as_bytes());
    h.finalize()
}

/// Why a row is rendered again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Never rendered in this session (or its last render failed).
    New,
    /// Its expanded Edit or the render settings changed.
    Edited,
    /// A file it read (asset, font) was saved.
    Asset,
    /// Its output file is missing.
    Missing,
}

impl Reason {
    /// A short phrase for status lines.
    pub fn describe(self) -> &'static str {
        match self {
            Reason::New => "new",
            Reason::Edited => "edit changed",
            Reason::Asset => "asset changed",
            Reason::Missing => "output missing",
        }
    }
}

/// The last good render of one output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The row key it was rendered from.
    pub key: Key,
    /// The local files it read (normalised).
    pub files: BTreeSet<PathBuf>,
}

/// Last good render per output file.
#[derive(Debug, Default)]
pub struct RowCache {
    map: HashMap<PathBuf, Rendered>,
}

impl RowCache {
    /// Why the row writing `out` with `key` must be rendered, or `None` when it is up to date.
    /// `exists` says whether `out` is on disk; `saved` are the files changed since.
    pub fn stale(
        &self,
        out: &Path,
        key: &Key,
        exists: bool,
        saved: &BTreeSet<PathBuf>,
    ) -> Option<Reason> {
        let Some(last) = self.map.get(out) else {
            return Some(Reason::New);
        };
        if last.key != *key {
            Some(Reason::Edited)
        } else if !exists {
            Some(Reason::Missing)
        } else if !last.files.is_disjoint(saved) {
            Some(Reason::Asset)
        } else {
            None
        }
    }

    /// Records a good render.
    pub fn record(&mut self, out: PathBuf, rendered: Rendered) {
        self.map.insert(out, rendered);
    }

    /// Forgets an output (its render failed, so it is retried next time).
    pub fn forget(&mut self, out: &Path) {
        self.map.remove(out);
    }

    /// Every file the remembered renders read.
    pub fn files(&self) -> BTreeSet<PathBuf> {
        self.map
            .values()
            .flat_map(|r| r.files.iter().cloned())
            .collect()
    }

    /// Keeps only the outputs `keep` accepts (rows removed from the data are dropped, so their
    /// assets stop being watched).
    pub fn retain(&mut self, keep: impl Fn(&Path) -> bool) {
        self.map.retain(|p, _| keep(p));
    }
}

/// Parses a `--rows` list (`1-10,42`, 1-based, inclusive) into 0-based ranges.
pub fn parse_rows(spec: &str) -> Result<Vec<std::ops::RangeInclusive<usize>>, String> {
    let bad = || format!("bad row list `{spec}`: expected e.g. `1-10,42` (rows count from 1)");
    let mut out = Vec::new();
    for part in spec.split(',').map(str::trim) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let a: usize = a.trim().parse().map_err(|_| bad())?;
        let b: usize = b.trim().parse().map_err(|_| bad())?;
        if a == 0 || b < a {
            return Err(bad());
        }
        out.push(a - 1..=b - 1);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_change_with_the_edit_and_the_settings() {
        let a = json!({"timeline": {"tracks": []}, "output": {"format": "mp4"}});
        let b = json!({"timeline": {"tracks": [1]}, "output": {"format": "mp4"}});
        assert_eq!(row_key(&a, "preview"), row_key(&a.clone(), "preview"));
        assert_ne!(row_key(&a, "preview"), row_key(&b, "preview"));
        assert_ne!(row_key(&a, "preview"), row_key(&a, "full"));
    }

    #[test]
    fn staleness_table() {
        let (k1, k2) = (row_key(&json!(1), ""), row_key(&json!(2), ""));
        let logo = PathBuf::from("/p/logo.png");
        let mut cache = RowCache::default();
        let files = [logo.clone()].into();
        cache.record("/o/a.mp4".into(), Rendered { key: k1, files });
        let none = BTreeSet::new();
        let saved_logo: BTreeSet<_> = [logo].into();
        let saved_other: BTreeSet<_> = [PathBuf::from("/p/font.ttf")].into();
        let table = [
            ("/o/b.mp4", k1, true, &none, Some(Reason::New)),
            ("/o/a.mp4", k2, true, &none, Some(Reason::Edited)),
            ("/o/a.mp4", k1, false, &none, Some(Reason::Missing)),
            ("/o/a.mp4", k1, true, &saved_logo, Some(Reason::Asset)),
            ("/o/a.mp4", k1, true, &saved_other, None),
            ("/o/a.mp4", k1, true, &none, None),
        ];
        for (out, key, exists, saved, want) in table {
            let got = cache.stale(Path::new(out), &key, exists, saved);
            assert_eq!(got, want, "{out} {exists} {saved:?}");
        }
        cache.forget(Path::new("/o/a.mp4"));
        assert_eq!(
            cache.stale(Path::new("/o/a.mp4"), &k1, true, &none),
            Some(Reason::New)
        );
    }

    #[test]
    fn retain_drops_removed_rows_and_their_files() {
        let mut cache = RowCache::default();
        for (out, file) in [("/o/a.mp4", "/p/a.png"), ("/o/b.mp4", "/p/b.png")] {
            let files = [PathBuf::from(file)].into();
            cache.record(
                out.into(),
                Rendered {
                    key: row_key(&json!(0), ""),
                    files,
                },
            );
        }
        assert_eq!(cache.files().len(), 2);
        cache.retain(|p| p == Path::new("/o/a.mp4"));
        assert_eq!(cache.files(), [PathBuf::from("/p/a.png")].into());
    }

    #[test]
    fn row_lists() {
        assert_eq!(parse_rows("1-3").unwrap(), [0..=2]);
        assert_eq!(parse_rows("2, 5-6").unwrap(), [1..=1, 4..=5]);
        for bad in ["", "0", "3-1", "a", "1-", "1,,2"] {
            assert!(parse_rows(bad).is_err(), "{bad}");
        }
    }
}
