//! What a text layer's look depends on in the discovered font set (`--font-path`, system
//! fonts), so that installing a font re-renders only the rows it changes.
//!
//! A layer records, as "facts" beside the files it read: the discovered font files it drew
//! with (content-hashed like any asset), one fact per family it requested (the faces of that
//! family: a new face can change the pick), and, when some text fell back to another family
//! or drew a missing-glyph box, the whole discovered set (any new font may cover it). Bundled
//! fonts are fixed by reel's version; named fonts (`timeline.fonts`) by the Edit and their files.

use std::path::{Path, PathBuf};

use super::fonts::{FontState, Fonts};

/// The prefix of a fact's name among the files a render read.
pub const FACT_PREFIX: &str = "reel:fonts/";

/// What one layer's drawing depended on in the font set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FontUse {
    /// Discovered font files it drew with.
    pub files: Vec<PathBuf>,
    /// [`super::family::key`]s of the families it requested.
    pub families: Vec<String>,
    /// Some text fell back to another face or drew a missing-glyph box.
    pub fell_back: bool,
}

impl FontUse {
    /// The files and facts to record for the manifest: font files as paths, then
    /// `reel:fonts/family/KEY` per requested family and `reel:fonts/set` after a fallback.
    pub fn reads(&self) -> Vec<PathBuf> {
        let mut out = self.files.clone();
        out.extend(
            self.families
                .iter()
                .map(|k| PathBuf::from(format!("{FACT_PREFIX}family/{k}"))),
        );
        if self.fell_back {
            out.push(PathBuf::from(format!("{FACT_PREFIX}set")));
        }
        out
    }
}

/// Whether `path` names a font fact rather than a file.
pub fn is_fact(path: &Path) -> bool {
    path.to_str().is_some_and(|p| p.starts_with(FACT_PREFIX))
}

impl Fonts {
    /// The current digest of a fact named by [`FontUse::reads`] (`None`: not a fact). The set
    /// is discovered first; a family no discovered face has gets the digest of no files.
    pub fn fact_digest(&self, name: &str) -> Option<String> {
        let fact = name.strip_prefix(FACT_PREFIX)?;
        if fact == "set" {
            return Some(self.discovered_digest());
        }
        let key = fact.strip_prefix("family/")?;
        let mut state = self.lock();
        if state.discovery.searches() {
            state.discover();
        }
        Some(family_digest(&state, key))
    }
}

/// Digest of the discovered faces of family `key` (paths, sizes, modification times).
fn family_digest(state: &FontState, key: &str) -> String {
    let files: Vec<&Path> = state
        .faces
        .iter()
        .filter(|f| f.key == key)
        .filter_map(|f| f.path.as_deref())
        .collect();
    files_digest(files)
}

/// Digest of font files by path, size and modification time (hashing every system font's
/// bytes would take seconds), in path order.
pub(crate) fn files_digest(mut files: Vec<&Path>) -> String {
    files.sort();
    files.dedup();
    let mut hasher = blake3::Hasher::new();
    for path in files {
        hasher.update(path.as_os_str().as_encoded_bytes());
        if let Ok(meta) = std::fs::metadata(path) {
            hasher.update(&meta.len().to_le_bytes());
            let mtime = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            hasher.update(&mtime.to_le_bytes());
        }
        hasher.update(b"\0");
    }
    hasher.finalize().to_hex().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_name_files_then_families_then_the_set_after_a_fallback() {
        let mut used = FontUse {
            files: vec![PathBuf::from("/f/Foo.ttf")],
            families: vec!["foo".into()],
            fell_back: false,
        };
        let names = |u: &FontUse| -> Vec<String> {
            u.reads().iter().map(|p| p.display().to_string()).collect()
        };
        assert_eq!(names(&used), ["/f/Foo.ttf", "reel:fonts/family/foo"]);
        used.fell_back = true;
        assert_eq!(
            names(&used),
            ["/f/Foo.ttf", "reel:fonts/family/foo", "reel:fonts/set"]
        );
        assert!(is_fact(Path::new("reel:fonts/set")));
        assert!(!is_fact(Path::new("/f/Foo.ttf")));
    }

    #[test]
    fn fact_digests_follow_the_faces_of_a_family() {
        let dir = tempfile::tempdir().unwrap();
        let fonts = |dir: &Path| {
            Fonts::new(super::super::FontOptions {
                system: false,
                paths: vec![dir.to_path_buf()],
            })
        };
        let fact = |f: &Fonts, name: &str| f.fact_digest(name).unwrap();
        let before = fonts(dir.path());
        let (test, other, set) = (
            fact(&before, "reel:fonts/family/reelcolrtest"),
            fact(&before, "reel:fonts/family/notosans"),
            fact(&before, "reel:fonts/set"),
        );
        assert_eq!(before.fact_digest("/some/file.ttf"), None);
        std::fs::copy(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/fonts/reel-colr-test.ttf"
            ),
            dir.path().join("colr.ttf"),
        )
        .unwrap();
        let after = fonts(dir.path());
        assert_ne!(fact(&after, "reel:fonts/family/reelcolrtest"), test);
        assert_eq!(
            fact(&after, "reel:fonts/family/notosans"),
            other,
            "a face of another family leaves the family's digest alone"
        );
        assert_ne!(fact(&after, "reel:fonts/set"), set);
    }
}
