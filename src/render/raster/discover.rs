//! Font discovery beyond the bundled and named fonts: `--font-path` directories and the
//! system's fonts (fontconfig's directories, through fontdb), added to the font set on first
//! need so that a template using only bundled fonts never scans a directory.
//!
//! Only metadata is read while scanning: fontdb parses each file's name table from a memory
//! map; glyph data is paged in when a face is drawn.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cosmic_text::fontdb;

use super::family;
use super::fonts::{Face, FontOptions, FontState, Fonts, Origin};

/// What to discover, and whether it has been done.
#[derive(Debug, Clone)]
pub(crate) struct Discovery {
    options: FontOptions,
    done: bool,
}

impl Discovery {
    pub(crate) fn new(options: FontOptions) -> Discovery {
        Discovery {
            options,
            done: false,
        }
    }

    /// Whether discovery looks anywhere beyond the bundled and named fonts.
    pub(crate) fn searches(&self) -> bool {
        self.options.system || !self.options.paths.is_empty()
    }
}

/// One face of the font set, for `reel fonts` and the settings hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FontEntry {
    /// Family name embedded in the font.
    pub family: String,
    /// CSS weight.
    pub weight: u16,
    /// Italic or oblique.
    pub italic: bool,
    /// Where it comes from.
    pub origin: Origin,
    /// The file (path on disk, or the bundled/named file name).
    pub file: String,
    /// Face index inside a collection.
    pub index: u32,
}

impl Fonts {
    /// Every face of the font set (discovering `--font-path` and system fonts first), ordered
    /// by family, weight, style and origin.
    pub fn list(&self) -> Vec<FontEntry> {
        let mut state = self.lock();
        state.discover();
        let mut list: Vec<FontEntry> = state
            .faces
            .iter()
            .map(|f| FontEntry {
                family: f.family.clone(),
                weight: f.weight,
                italic: f.italic,
                origin: f.origin,
                file: f
                    .path
                    .as_ref()
                    .map_or_else(|| f.file.clone(), |p| p.display().to_string()),
                index: f.index,
            })
            .collect();
        list.sort_by(|a, b| {
            (
                family::key(&a.family),
                a.weight,
                a.italic,
                a.origin,
                &a.file,
                a.index,
            )
                .cmp(&(
                    family::key(&b.family),
                    b.weight,
                    b.italic,
                    b.origin,
                    &b.file,
                    b.index,
                ))
        });
        list
    }

    /// A digest of the whole font set for the render settings hash: named fonts by content
    /// ([`Fonts::user_fonts_digest`]) and [`Fonts::discovered_digest`].
    pub fn set_digest(&self) -> String {
        let mut hasher = blake3::Hasher::new();
        hasher.update(self.user_fonts_digest().as_bytes());
        hasher.update(self.discovered_digest().as_bytes());
        hasher.finalize().to_hex().to_string()
    }

    /// A digest of the discovered fonts (`--font-path`, system) by path, size and modification
    /// time (hashing every system font's bytes would take seconds), for layer cache keys and
    /// the settings hash: installing or removing a font changes it. Empty when nothing is
    /// searched; discovers on first call, then remembered.
    pub fn discovered_digest(&self) -> String {
        self.discovered
            .get_or_init(|| {
                let mut state = self.lock();
                if !state.discovery.searches() {
                    return String::new();
                }
                state.discover();
                let files: Vec<&Path> = state
                    .faces
                    .iter()
                    .filter_map(|f| f.path.as_deref())
                    .collect();
                super::font_use::files_digest(files)
            })
            .clone()
    }
}

impl FontState {
    /// Adds the `--font-path` fonts, then the system's, once. A discovered face with the same
    /// family, weight and style as one already in the set is left out, so bundled and named
    /// fonts win and the choice does not depend on what else is installed.
    pub(crate) fn discover(&mut self) {
        if self.discovery.done {
            return;
        }
        self.discovery.done = true;
        let options = self.discovery.options.clone();
        for dir in &options.paths {
            self.scan(Origin::Path, |db| {
                if dir.is_file() {
                    let _ = db.load_font_file(dir);
                } else {
                    db.load_fonts_dir(dir);
                }
            });
        }
        if options.system {
            self.scan(Origin::System, fontdb::Database::load_system_fonts);
        }
        self.fallback_cache.clear();
    }

    /// Runs `load` on the font database and adds the faces it found to the set.
    fn scan(&mut self, origin: Origin, load: impl FnOnce(&mut fontdb::Database)) {
        let before: HashSet<fontdb::ID> = self.system.db().faces().map(|f| f.id).collect();
        load(self.system.db_mut());
        let mut found: Vec<(PathBuf, u32, fontdb::ID)> = self
            .system
            .db()
            .faces()
            .filter(|f| !before.contains(&f.id))
            .filter_map(|f| match &f.source {
                fontdb::Source::File(p) => Some((p.clone(), f.index, f.id)),
                _ => None,
            })
            .collect();
        // Directory order is the file system's; sort so the set is the same on every run.
        found.sort();
        let mut seen: HashSet<(String, u16, bool)> = self
            .faces
            .iter()
            .map(|f| (f.key.clone(), f.weight, f.italic))
            .collect();
        for (path, index, id) in found {
            let Some(info) = self.system.db().face(id) else {
                continue;
            };
            let family = info
                .families
                .first()
                .map(|(name, _)| name.clone())
                .unwrap_or_default();
            let key = family::key(&family);
            let (weight, italic) = (info.weight.0, info.style != fontdb::Style::Normal);
            if family.is_empty() || !seen.insert((key.clone(), weight, italic)) {
                self.system.db_mut().remove_face(id);
                continue;
            }
            // SAFETY: the map is read-only; a font file rewritten while reel runs could show
            // changed bytes, which ttf-parser treats as untrusted input anyway (it bounds-checks
            // every read), as fontdb and cosmic-text do for the same maps.
            let Some((data, _)) = (unsafe { self.system.db_mut().make_shared_face_data(id) })
            else {
                self.system.db_mut().remove_face(id);
                continue;
            };
            let file = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            self.faces.push(Face {
                id,
                key,
                family,
                weight,
                italic,
                file,
                src_key: None,
                data: data as Arc<dyn AsRef<[u8]> + Send + Sync>,
                index,
                origin,
                path: Some(path),
            });
        }
    }
}

/// `REEL_FONT_PATHS`: directories separated as `PATH` is (`:` on Unix).
pub fn env_font_paths() -> Vec<PathBuf> {
    std::env::var_os("REEL_FONT_PATHS")
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_only_never_scans() {
        let fonts = Fonts::bundled();
        let n = fonts.lock().faces.len();
        assert_eq!(fonts.list().len(), n);
        assert!(fonts.list().iter().all(|f| f.origin == Origin::Bundled));
        assert_eq!(fonts.discovered_digest(), "");
    }

    /// A font file outside the bundled set: an installed Noto Sans Thai, or `None` (skip).
    fn installed_font() -> Option<PathBuf> {
        let system = Fonts::new(FontOptions::with_system(Vec::new()));
        let found = system
            .list()
            .into_iter()
            .find(|f| f.family == "Noto Sans Thai" && f.origin == Origin::System)
            .map(|f| PathBuf::from(f.file));
        if found.is_none() {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI: fonts-noto-core missing"
            );
            eprintln!("skipped: no Noto Sans Thai installed");
        }
        found
    }

    #[test]
    fn font_path_fonts_are_found_by_family_and_listed() {
        let Some(src) = installed_font() else { return };
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(&src, dir.path().join("Thai.ttf")).unwrap();
        let fonts = Fonts::new(FontOptions {
            paths: vec![dir.path().to_path_buf()],
            system: false,
        });
        // Nothing is scanned until a family or character needs it.
        assert!(!fonts.lock().discovery.done);
        let got = fonts.resolve("Noto Sans Thai", None);
        assert!(got.warnings.is_empty(), "{:?}", got.warnings);
        assert_eq!(got.output.file, "Thai.ttf");
        let thai: Vec<_> = fonts
            .list()
            .into_iter()
            .filter(|f| f.origin == Origin::Path)
            .collect();
        assert!(!thai.is_empty() && thai.iter().all(|f| f.family == "Noto Sans Thai"));
        assert_ne!(fonts.set_digest(), Fonts::bundled().set_digest());
        // Without the directory the family is unknown.
        let w = Fonts::bundled().resolve("Noto Sans Thai", None);
        assert_eq!(w.output.file, "DejaVuSans.ttf");
    }
}
