//! The font collection: bundled fonts embedded in the binary, fonts the user adds through
//! `timeline.fonts`, and (found lazily, see [`super::discover`]) `--font-path` directories and
//! the system's fonts; family/weight resolution.
//!
//! Owns the cosmic-text `FontSystem` (built once, behind a mutex, reused by every layer). Does
//! not lay out or draw text: that is [`super::text`]; per-character fallback is
//! [`super::fallback`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use cosmic_text::{FontSystem, fontdb};

use super::family::{self, Generic};
use crate::diagnostics::{Diagnostic, Warned};

/// Font bytes shared between fontdb and our coverage checks.
pub(crate) type FontBytes = Arc<dyn AsRef<[u8]> + Send + Sync>;

macro_rules! bundled {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/fonts/", $path)))),*]
    };
}

/// Every bundled font file: path under `fonts/` and its bytes.
const BUNDLED: &[(&str, &[u8])] = bundled![
    "dejavu-sans/DejaVuSans.ttf",
    "dejavu-sans/DejaVuSans-Bold.ttf",
    "open-sans/OpenSans-Regular.ttf",
    "open-sans/OpenSans-Bold.ttf",
    "montserrat/Montserrat-Regular.ttf",
    "montserrat/Montserrat-Bold.ttf",
    "roboto/Roboto-Regular.ttf",
    "roboto/Roboto-Bold.ttf",
    "work-sans/WorkSans-Regular.ttf",
    "work-sans/WorkSans-Bold.ttf",
    "arapey/Arapey-Regular.ttf",
    "bebas-neue/BebasNeue-Regular.ttf",
    "dancing-script/DancingScript-Regular.otf",
    "jetbrains-mono/JetBrainsMono-Regular.ttf",
    "clear-sans/ClearSans-Regular.ttf",
    "didact-gothic/DidactGothic-Regular.ttf",
    "permanent-marker/PermanentMarker-Regular.ttf",
    "sue-ellen-francisco/SueEllenFrancisco-Regular.ttf",
];

/// The fallback family for unknown names and missing glyphs.
pub(crate) const FALLBACK_FAMILY: &str = "DejaVu Sans";
/// Shotstack's default family, used when none is given.
pub(crate) const DEFAULT_FAMILY: &str = "Open Sans";

/// One font face that text can be drawn with.
#[derive(Clone)]
pub(crate) struct Face {
    /// fontdb's id, which cosmic-text reports on each laid-out glyph.
    pub(crate) id: fontdb::ID,
    /// The family name as embedded in the font (what cosmic-text matches on).
    pub(crate) family: String,
    /// [`family::key`] of `family`.
    pub(crate) key: String,
    /// CSS weight, 1..1000.
    pub(crate) weight: u16,
    /// Italic or oblique.
    pub(crate) italic: bool,
    /// File name for messages (`Montserrat-Bold.ttf`).
    pub(crate) file: String,
    /// [`family::key`] of the base name of the `timeline.fonts[].src` it came from.
    pub(crate) src_key: Option<String>,
    /// The font bytes (uncompressed sfnt).
    pub(crate) data: FontBytes,
    /// The face index inside `data` (collections).
    pub(crate) index: u32,
    /// Where the face comes from.
    pub(crate) origin: Origin,
    /// The file on disk (`--font-path` and system fonts).
    pub(crate) path: Option<PathBuf>,
}

/// Where a face in the font set comes from, in order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// Embedded in reel.
    Bundled,
    /// Named by the template (`timeline.fonts`, `font` statements).
    Named,
    /// Found in a `--font-path` directory.
    Path,
    /// Installed on the system (fontconfig's directories).
    System,
}

impl Origin {
    /// The name used in `reel fonts`.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Bundled => "bundled",
            Origin::Named => "named",
            Origin::Path => "font-path",
            Origin::System => "system",
        }
    }
}

/// Where fonts beyond the bundled and named ones come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FontOptions {
    /// `--font-path` directories (or files), searched before the system's fonts.
    pub paths: Vec<PathBuf>,
    /// Use the system's fonts (off with `--ignore-system-fonts`).
    pub system: bool,
}

impl FontOptions {
    /// The system's fonts plus `paths`.
    pub fn with_system(paths: Vec<PathBuf>) -> FontOptions {
        FontOptions {
            paths,
            system: true,
        }
    }
}

impl Face {
    /// Parses the face for glyph lookups and outlines.
    pub(crate) fn parse(&self) -> Option<ttf_parser::Face<'_>> {
        ttf_parser::Face::parse((*self.data).as_ref(), self.index).ok()
    }
}

/// The font chosen for a family request (public view of a resolved face).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FontChoice {
    /// Family name embedded in the font.
    pub family: String,
    /// The face's weight.
    pub weight: u16,
    /// The font's file name.
    pub file: String,
}

/// Fonts available to text layers: the bundled set plus user fonts.
///
/// Build it once ([`Fonts::bundled`]) and share it: the cosmic-text font system inside is
/// expensive to build and is reused, behind a mutex, by every text layer.
pub struct Fonts {
    /// The font system and face list, locked while text is shaped.
    state: Mutex<FontState>,
    /// The bundled fonts for resvg (another fontdb version), built on first use.
    svg_db: OnceLock<Arc<resvg::usvg::fontdb::Database>>,
    /// Digest of the discovered (`--font-path`, system) files, computed once.
    pub(crate) discovered: OnceLock<String>,
}

/// The mutable inside of [`Fonts`].
pub(crate) struct FontState {
    /// cosmic-text's font system; its database holds exactly `faces`.
    pub(crate) system: FontSystem,
    /// Every face, bundled first.
    pub(crate) faces: Vec<Face>,
    /// Base-name key of a `timeline.fonts` src that could not be loaded → family it names.
    aliases: HashMap<String, String>,
    /// What to discover beyond bundled and named fonts, and whether that has been done.
    pub(crate) discovery: super::discover::Discovery,
    /// Per-character fallback choices (see [`super::fallback`]); cleared when faces change.
    pub(crate) fallback_cache: HashMap<super::fallback::Key, Option<usize>>,
}

impl Fonts {
    /// The bundled fonts only (embedded in the binary; works from any directory): the same
    /// result on every machine.
    pub fn bundled() -> Fonts {
        Fonts::new(FontOptions::default())
    }

    /// The bundled fonts plus what `options` adds; directories are scanned on first need (a
    /// family or character the bundled and named fonts do not have), metadata only.
    pub fn new(options: FontOptions) -> Fonts {
        let db = fontdb::Database::new();
        let system = FontSystem::new_with_locale_and_db("en-US".into(), db);
        let mut state = FontState {
            system,
            faces: Vec::new(),
            aliases: HashMap::new(),
            discovery: super::discover::Discovery::new(options),
            fallback_cache: HashMap::new(),
        };
        for (path, bytes) in BUNDLED {
            let file = path.rsplit('/').next().unwrap_or(path);
            // Bundled files are checked by tests; a failure here would be a packaging bug.
            state.load(Arc::new(*bytes), file, None);
        }
        for face in &mut state.faces {
            face.origin = Origin::Bundled;
        }
        Fonts {
            state: Mutex::new(state),
            svg_db: OnceLock::new(),
            discovered: OnceLock::new(),
        }
    }

    /// The bundled fonts as resvg's font database, for `<text>` in svg assets.
    pub(crate) fn svg_fontdb(&self) -> Arc<resvg::usvg::fontdb::Database> {
        let db = self.svg_db.get_or_init(|| {
            let mut db = resvg::usvg::fontdb::Database::new();
            for (_, bytes) in BUNDLED {
                db.load_font_source(resvg::usvg::fontdb::Source::Binary(Arc::new(*bytes)));
            }
            db.set_sans_serif_family(DEFAULT_FAMILY);
            db.set_serif_family("Arapey");
            db.set_monospace_family("JetBrains Mono");
            db.set_cursive_family("Dancing Script");
            Arc::new(db)
        });
        db.clone()
    }

    /// Adds a user font file (ttf, otf, woff, woff2) that `timeline.fonts[].src` named; `src`
    /// is that original value (URL or path), whose base name templates may use as a family.
    pub fn add_file(&self, path: &Path, src: &str) -> Result<FontChoice, Diagnostic> {
        let bytes = std::fs::read(path).map_err(|e| {
            Diagnostic::error(format!("cannot read font file `{}`", path.display()))
                .with_note(e.to_string())
        })?;
        self.add_bytes(bytes, &file_name(path), src)
    }

    /// Adds a user font from its bytes (see [`Fonts::add_file`]); `name` names it in messages.
    pub fn add_bytes(
        &self,
        bytes: Vec<u8>,
        name: &str,
        src: &str,
    ) -> Result<FontChoice, Diagnostic> {
        let sfnt = super::woff::decode(bytes, name)?;
        let mut state = self.lock();
        let ids = state.load(Arc::new(sfnt), name, Some(family::key(&base_name(src))));
        match ids.first().and_then(|&id| face_by_id(&state.faces, id)) {
            Some(face) => Ok(choice(face)),
            None => Err(Diagnostic::error(format!("`{name}` is not a font file"))
                .with_note("expected a TrueType, OpenType, WOFF or WOFF2 font")),
        }
    }

    /// Records a `timeline.fonts[].src` that could not be fetched, so a template naming its
    /// base name still finds the family a Google Fonts URL names (`/s/montserrat/` → Montserrat).
    pub fn add_missing_src(&self, src: &str) {
        if let Some(fam) = google_family(src) {
            let mut state = self.lock();
            state.aliases.insert(family::key(&base_name(src)), fam);
        }
    }

    /// A digest of the user fonts added so far (their `src` base names and bytes), for cache
    /// keys: a cached layer is valid while the asset, its box, the canvas, reel's version and
    /// this digest are unchanged.
    pub fn user_fonts_digest(&self) -> String {
        let state = self.lock();
        let mut hasher = blake3::Hasher::new();
        let mut seen = std::collections::HashSet::new();
        for face in state.faces.iter().filter(|f| f.src_key.is_some()) {
            // Faces of one collection share their bytes; hash each file once.
            if seen.insert(Arc::as_ptr(&face.data) as *const u8) {
                hasher.update(face.src_key.as_deref().unwrap_or("").as_bytes());
                hasher.update((*face.data).as_ref());
            }
        }
        hasher.finalize().to_hex().to_string()
    }

    /// Which font `family` at `weight` resolves to, with the warnings that choice produces.
    pub fn resolve(&self, family: &str, weight: Option<u16>) -> Warned<FontChoice> {
        let mut state = self.lock();
        let w = state.choose(family, weight, "");
        w.map(|i| choice(&state.faces[i]))
    }

    /// Locks the state for layout.
    pub(crate) fn lock(&self) -> MutexGuard<'_, FontState> {
        // A panic while holding the lock leaves nothing half-written that matters here.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn choice(face: &Face) -> FontChoice {
    FontChoice {
        family: face.family.clone(),
        weight: face.weight,
        file: face.file.clone(),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// The base name of a URL or path without query or extension:
/// `https://x/s/montserrat/v31/JTUS.ttf?a=1` → `JTUS`.
fn base_name(src: &str) -> String {
    let no_query = src.split(['?', '#']).next().unwrap_or(src);
    let last = no_query.rsplit(['/', '\\']).next().unwrap_or(no_query);
    match last.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_string(),
        _ => last.to_string(),
    }
}

/// The family a Google Fonts URL names in its path (`fonts.gstatic.com/s/montserrat/v31/…`).
fn google_family(src: &str) -> Option<String> {
    if !src.contains("fonts.gstatic.com") && !src.contains("fonts.googleapis.com") {
        return None;
    }
    let mut parts = src.split('/');
    parts.find(|p| *p == "s")?;
    parts.next().filter(|s| !s.is_empty()).map(str::to_string)
}

impl FontState {
    /// Loads every face in `data` into fontdb and our face list; returns their ids. A user
    /// face (with `src_key`) replaces a bundled face of the same family, weight and style, so
    /// a template's own copy of a bundled family is the one drawn.
    fn load(&mut self, data: FontBytes, file: &str, src_key: Option<String>) -> Vec<fontdb::ID> {
        let ids = self
            .system
            .db_mut()
            .load_font_source(fontdb::Source::Binary(data.clone()));
        for &id in &ids {
            let Some(info) = self.system.db().face(id) else {
                continue;
            };
            let family = info
                .families
                .first()
                .map(|(name, _)| name.clone())
                .unwrap_or_else(|| file.to_string());
            let face = Face {
                id,
                key: family::key(&family),
                family,
                weight: info.weight.0,
                italic: info.style != fontdb::Style::Normal,
                file: file.to_string(),
                src_key: src_key.clone(),
                data: data.clone(),
                index: info.index,
                origin: Origin::Named,
                path: None,
            };
            if src_key.is_some() {
                self.remove_bundled_like(&face);
            }
            self.faces.push(face);
        }
        self.fallback_cache.clear();
        ids.to_vec()
    }

    fn remove_bundled_like(&mut self, face: &Face) {
        let same = |f: &Face| {
            f.src_key.is_none()
                && f.key == face.key
                && f.weight == face.weight
                && f.italic == face.italic
        };
        let gone: Vec<fontdb::ID> = self
            .faces
            .iter()
            .filter(|f| same(f))
            .map(|f| f.id)
            .collect();
        for id in gone {
            self.system.db_mut().remove_face(id);
        }
        self.faces.retain(|f| !same(f));
    }

    /// The DejaVu Sans face for missing glyphs: Bold for bold text, else Regular.
    pub(crate) fn fallback_face(&self, bold: bool) -> usize {
        self.pick(
            &family::key(FALLBACK_FAMILY),
            if bold { 700 } else { 400 },
            false,
        )
    }

    pub(crate) fn has_family(&self, key: &str) -> bool {
        self.faces.iter().any(|f| f.key == key)
    }

    /// Resolves a family name and weight to a face index, per the README's rules. `text` is
    /// the text to draw (the `serif` generic checks Arapey's coverage against it).
    pub(crate) fn choose(
        &mut self,
        family: &str,
        weight: Option<u16>,
        text: &str,
    ) -> Warned<usize> {
        let tidied = family::tidy(family);
        let tidied = if tidied.is_empty() {
            DEFAULT_FAMILY.to_string()
        } else {
            tidied
        };
        if let Some(g) = family::generic(&tidied) {
            return Warned::new(self.generic(g, weight, text));
        }
        let key = family::key(&tidied);
        if let Some(i) = self
            .faces
            .iter()
            .position(|f| f.src_key.as_deref() == Some(&key))
        {
            return Warned::new(i);
        }
        let named = self.aliases.get(&key).cloned().unwrap_or(tidied);
        let mut req = family::split(&named);
        if !self.has_family(&req.key) && !self.has_family(&family::key(&named)) {
            // Neither bundled nor named: look in `--font-path` and the system's fonts.
            self.discover();
        }
        if self.has_family(&family::key(&named)) {
            req.key = family::key(&named);
            req.display = named.clone();
            req.suffix_weight = None;
            req.italic = false;
        }
        let wanted = family::requested_weight(weight, req.suffix_weight);
        if !self.has_family(&req.key) {
            let i = self.pick(&family::key(FALLBACK_FAMILY), wanted, false);
            let warning = Diagnostic::warning(format!(
                "font family `{}` is not bundled{}; using {FALLBACK_FAMILY}",
                req.display,
                if self.discovery.searches() {
                    " or installed"
                } else {
                    ""
                }
            ))
            .with_help(
                "add the font file to `timeline.fonts` (ttf, otf, woff or woff2), or install it",
            );
            return Warned {
                output: i,
                warnings: vec![warning],
            };
        }
        self.pick_warned(&named, &req, wanted)
    }

    /// Picks the face of a known family, warning when weight or style differ.
    fn pick_warned(&self, named: &str, req: &family::FamilyRequest, wanted: u16) -> Warned<usize> {
        let i = self.pick(&req.key, wanted, req.italic);
        let face = &self.faces[i];
        let mut warnings = Vec::new();
        if face.weight != wanted {
            warnings.push(Diagnostic::warning(format!(
                "font `{named}` ({wanted}) is not available; using `{}` ({})",
                face.file, face.weight
            )));
        }
        if req.italic && !face.italic {
            warnings.push(Diagnostic::warning(format!(
                "italic `{}` is not available; drawing it upright",
                req.display
            )));
        }
        Warned {
            output: i,
            warnings,
        }
    }

    /// The nearest-weight face of family `key` (which must exist), matching `italic` if it can.
    pub(crate) fn pick(&self, key: &str, wanted: u16, italic: bool) -> usize {
        let of_family: Vec<usize> = (0..self.faces.len())
            .filter(|&i| self.faces[i].key == key)
            .collect();
        let styled: Vec<usize> = of_family
            .iter()
            .copied()
            .filter(|&i| self.faces[i].italic == italic)
            .collect();
        let pool = if styled.is_empty() { of_family } else { styled };
        let weights: Vec<u16> = pool.iter().map(|&i| self.faces[i].weight).collect();
        match family::nearest_weight(wanted, &weights) {
            Some(j) => pool[j],
            None => 0, // the bundled DejaVu Sans is always face 0
        }
    }

    fn generic(&self, g: Generic, weight: Option<u16>, text: &str) -> usize {
        let wanted = weight.unwrap_or(400);
        let fam = match g {
            Generic::SansSerif => FALLBACK_FAMILY,
            Generic::Serif => {
                let arapey = self.pick(&family::key("Arapey"), wanted, false);
                if self.covers(arapey, text) {
                    return arapey;
                }
                FALLBACK_FAMILY
            }
            Generic::Monospace => "JetBrains Mono",
            Generic::Cursive => "Dancing Script",
        };
        self.pick(&family::key(fam), wanted, false)
    }

    fn covers(&self, face: usize, text: &str) -> bool {
        match self.faces[face].parse() {
            Some(f) => text
                .chars()
                .all(|c| !needs_glyph(c) || f.glyph_index(c).is_some()),
            None => false,
        }
    }
}

/// The face with fontdb id `id` in `faces`.
pub(crate) fn face_by_id(faces: &[Face], id: fontdb::ID) -> Option<&Face> {
    faces.iter().find(|f| f.id == id)
}

/// Whether `c` is drawn with a glyph (line breaks and other controls are not).
pub(crate) fn needs_glyph(c: char) -> bool {
    !c.is_control()
        && !matches!(
            c,
            '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{E0000}'..='\u{E007F}'
                | '\u{E0100}'..='\u{E01EF}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(fonts: &Fonts, family: &str, weight: Option<u16>) -> (String, Vec<String>) {
        let w = fonts.resolve(family, weight);
        let msgs = w.warnings.iter().map(|d| d.message.clone()).collect();
        (w.output.file, msgs)
    }

    #[test]
    fn bundled_fonts_all_load_with_their_families() {
        let fonts = Fonts::bundled();
        let state = fonts.lock();
        assert_eq!(state.faces.len(), BUNDLED.len());
        assert_eq!(state.faces[0].family, FALLBACK_FAMILY);
        let sue = state
            .faces
            .iter()
            .find(|f| f.file.starts_with("SueEllen"))
            .unwrap();
        assert_eq!(sue.key, "sueellenfrancisco");
    }

    #[test]
    fn family_names_resolve_as_the_readme_says() {
        let fonts = Fonts::bundled();
        let cases: &[(&str, Option<u16>, &str, usize)] = &[
            ("Open Sans", None, "OpenSans-Regular.ttf", 0),
            ("Open Sans Bold", None, "OpenSans-Bold.ttf", 0),
            ("OpenSans", None, "OpenSans-Regular.ttf", 0),
            ("open-sans", Some(700), "OpenSans-Bold.ttf", 0),
            ("\"Roboto\"", None, "Roboto-Regular.ttf", 0),
            ("Montserrat ExtraBold", None, "Montserrat-Bold.ttf", 1),
            ("Montserrat Bold", Some(400), "Montserrat-Regular.ttf", 0),
            ("Work Sans", Some(600), "WorkSans-Bold.ttf", 1),
            ("Manrope", None, "DejaVuSans.ttf", 1),
            ("Manrope Light", Some(800), "DejaVuSans-Bold.ttf", 1),
            ("", None, "OpenSans-Regular.ttf", 0),
            ("sans-serif", None, "DejaVuSans.ttf", 0),
            ("monospace", None, "JetBrainsMono-Regular.ttf", 0),
            ("cursive", None, "DancingScript-Regular.otf", 0),
            (
                "Sue Ellen Francisco",
                None,
                "SueEllenFrancisco-Regular.ttf",
                0,
            ),
            ("Roboto Italic", None, "Roboto-Regular.ttf", 1),
            ("MovLette", None, "DejaVuSans.ttf", 1),
        ];
        for (family, weight, file, n_warnings) in cases {
            let (got, warnings) = resolve(&fonts, family, *weight);
            assert_eq!(
                (got.as_str(), warnings.len()),
                (*file, *n_warnings),
                "{family:?} {weight:?}: {warnings:?}"
            );
        }
    }

    #[test]
    fn warnings_name_the_substitute() {
        let fonts = Fonts::bundled();
        let (_, w) = resolve(&fonts, "Montserrat ExtraBold", None);
        assert_eq!(
            w,
            [
                "font `Montserrat ExtraBold` (800) is not available; using `Montserrat-Bold.ttf` (700)"
            ]
        );
        let (_, w) = resolve(&fonts, "Manrope", None);
        assert_eq!(
            w,
            ["font family `Manrope` is not bundled; using DejaVu Sans"]
        );
    }

    #[test]
    fn weights_100_to_900_pick_regular_or_bold() {
        let fonts = Fonts::bundled();
        for weight in (100..=900).step_by(100) {
            let (file, _) = resolve(&fonts, "Roboto", Some(weight));
            let expected = if weight <= 500 {
                "Roboto-Regular.ttf"
            } else {
                "Roboto-Bold.ttf"
            };
            assert_eq!(file, expected, "weight {weight}");
        }
    }

    #[test]
    fn serif_uses_arapey_only_when_it_covers_the_text() {
        let fonts = Fonts::bundled();
        let mut state = fonts.lock();
        let latin = state.choose("serif", None, "Café").output;
        assert_eq!(state.faces[latin].file, "Arapey-Regular.ttf");
        let cyrillic = state.choose("serif", None, "Привет").output;
        assert_eq!(state.faces[cyrillic].file, "DejaVuSans.ttf");
    }

    #[test]
    fn src_base_names_and_google_urls() {
        assert_eq!(
            base_name("https://fonts.gstatic.com/s/montserrat/v31/JTUS.ttf?x=1"),
            "JTUS"
        );
        assert_eq!(base_name("./fonts/My-Font.woff2"), "My-Font");
        assert_eq!(
            google_family("https://fonts.gstatic.com/s/montserrat/v31/JTUS.ttf").as_deref(),
            Some("montserrat")
        );
        let fonts = Fonts::bundled();
        fonts.add_missing_src(
            "https://fonts.gstatic.com/s/montserrat/v31/JTUSjIg1_i6t8kCHKm45xW5rygbi49c.ttf",
        );
        let (file, warnings) = resolve(&fonts, "JTUSjIg1_i6t8kCHKm45xW5rygbi49c", None);
        assert_eq!(
            (file.as_str(), warnings.len()),
            ("Montserrat-Regular.ttf", 0)
        );
    }

    #[test]
    fn user_fonts_are_found_by_family_and_by_src_base_name() {
        let fonts = Fonts::bundled();
        let bytes = BUNDLED
            .iter()
            .find(|(p, _)| p.contains("Arapey"))
            .unwrap()
            .1
            .to_vec();
        let added = fonts
            .add_bytes(bytes, "Fancy.ttf", "https://example.com/f/Fancy.ttf")
            .unwrap();
        assert_eq!(added.family, "Arapey");
        assert_eq!(resolve(&fonts, "Fancy", None).0, "Fancy.ttf");
    }

    #[test]
    fn woff2_files_load_from_disk() {
        let fonts = Fonts::bundled();
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/raster/arapey.woff2");
        let added = fonts
            .add_file(&path, "https://cdn.example/brand-serif.woff2")
            .unwrap();
        assert_eq!(
            (added.family.as_str(), added.file.as_str()),
            ("Arapey", "arapey.woff2")
        );
        assert_eq!(resolve(&fonts, "brand-serif", None).0, "arapey.woff2");
        // The user's copy replaces the bundled face of the same family and weight.
        assert_eq!(resolve(&fonts, "Arapey", None).0, "arapey.woff2");
        let state = fonts.lock();
        assert_eq!(state.faces.iter().filter(|f| f.key == "arapey").count(), 1);
        assert_eq!(
            state
                .system
                .db()
                .faces()
                .filter(|f| f.families[0].0 == "Arapey")
                .count(),
            1
        );
    }

    #[test]
    fn user_font_digest_changes_when_fonts_are_added() {
        let fonts = Fonts::bundled();
        let empty = fonts.user_fonts_digest();
        assert_eq!(empty, Fonts::bundled().user_fonts_digest());
        let bytes = BUNDLED[2].1.to_vec();
        fonts.add_bytes(bytes, "a.ttf", "a.ttf").unwrap();
        assert_ne!(fonts.user_fonts_digest(), empty);
    }

    #[test]
    fn a_file_that_is_not_a_font_is_an_error_naming_it() {
        let fonts = Fonts::bundled();
        let err = fonts
            .add_bytes(b"<html>not found</html>".to_vec(), "brand.ttf", "brand.ttf")
            .unwrap_err();
        assert!(err.message.contains("`brand.ttf`"), "{}", err.message);
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.otf");
        let err = fonts.add_file(&missing, "nope.otf").unwrap_err();
        assert!(err.message.contains("nope.otf"), "{}", err.message);
    }
}
