//! The incremental-render manifest: `.reel-manifest.json` in the output directory records, per
//! output file, what it was rendered from, so an unchanged row is skipped and a changed asset
//! re-renders exactly the rows that read it.
//!
//! An entry holds the blake3 of the row's expanded Edit JSON, of the template files, of the
//! render settings (with reel's version), and of every local file the render read (media,
//! fonts). Entries are added only after a successful render and the file is replaced
//! atomically (temporary file + rename, in [`disk`]), so a crash never leaves a half-written
//! manifest. Shards write `.reel-manifest-K-of-N.json`; loading merges every manifest in the
//! directory, newest entry per output winning, so a later unsharded run sees what the shards
//! rendered.
//!
//! Memory: a batch reads the same few assets, template and settings for every row, so those
//! are interned in small tables and an entry is about 60 bytes plus its name; 100,000 entries
//! stay near 15 MB.

mod disk;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use blake3::Hash;

pub use disk::ManifestError;

/// File-name prefix of every manifest in an output directory.
pub const PREFIX: &str = ".reel-manifest";

/// What an output was rendered from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 0-based row index it was rendered for.
    pub row: usize,
    /// blake3 of the expanded Edit JSON.
    pub edit: Hash,
    /// Template-files hash, as an index into the manifest's hash table.
    template: u32,
    /// Settings hash, as an index into the manifest's hash table.
    settings: u32,
    /// The files the render read, as an index into the manifest's file-set table.
    files: u32,
    /// When it was rendered (ms since the Unix epoch); the newest entry wins on merge.
    pub time: u64,
}

/// The hashes that decide whether a row is up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// blake3 of the expanded Edit JSON.
    pub edit: Hash,
    /// blake3 of the template files.
    pub template: Hash,
    /// blake3 of the render settings and reel's version.
    pub settings: Hash,
}

/// Why a row renders (or `UpToDate`: why it does not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// No record of this output.
    New,
    /// `--force`.
    Forced,
    /// Recorded, but the file is gone.
    OutputMissing,
    /// Preview/frame settings or reel's version changed.
    SettingsChanged,
    /// The template files changed and so did this row's Edit.
    TemplateChanged,
    /// The template is the same but this row's Edit changed: its data did.
    DataChanged,
    /// A file the last render read has different contents now.
    AssetChanged(String),
    /// A file the last render read is gone.
    AssetMissing(String),
    /// The discovered fonts it drew with, or could draw with, changed (a font fact:
    /// `reel:fonts/family/KEY` or `reel:fonts/set`).
    FontsChanged(String),
    /// Nothing changed: skipped.
    UpToDate,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::New => f.write_str("new"),
            Reason::Forced => f.write_str("forced"),
            Reason::OutputMissing => f.write_str("output missing"),
            Reason::SettingsChanged => f.write_str("settings changed"),
            Reason::TemplateChanged => f.write_str("template changed"),
            Reason::DataChanged => f.write_str("data changed"),
            Reason::AssetChanged(p) => write!(f, "asset changed: {p}"),
            Reason::AssetMissing(p) => write!(f, "asset missing: {p}"),
            Reason::FontsChanged(what) => write!(f, "fonts changed: {what}"),
            Reason::UpToDate => f.write_str("up to date"),
        }
    }
}

/// A table of distinct values, each stored once and referred to by index.
#[derive(Debug)]
struct Interner<T> {
    values: Vec<T>,
    ids: HashMap<T, u32>,
}

impl<T> Default for Interner<T> {
    fn default() -> Self {
        Interner {
            values: Vec::new(),
            ids: HashMap::new(),
        }
    }
}

impl<T: Clone + Eq + std::hash::Hash> Interner<T> {
    fn intern(&mut self, value: T) -> u32 {
        if let Some(&id) = self.ids.get(&value) {
            return id;
        }
        let id = self.values.len() as u32;
        self.values.push(value.clone());
        self.ids.insert(value, id);
        id
    }

    fn get(&self, id: u32) -> &T {
        &self.values[id as usize]
    }
}

/// Every manifest entry of an output directory, in memory.
#[derive(Debug, Default)]
pub struct Manifest {
    /// Distinct (path as recorded, content hash) pairs.
    files: Interner<(String, Hash)>,
    /// Distinct sets of files read by one render (indices into `files`).
    file_sets: Interner<Box<[u32]>>,
    /// Distinct template and settings hashes.
    hashes: Interner<Hash>,
    /// Entries by output file name.
    entries: HashMap<String, Entry>,
}

impl Manifest {
    /// Loads and merges every `.reel-manifest*.json` in `dir` (none yet: empty). Files that do
    /// not parse are skipped, each named in the returned warnings: the worst outcome is that
    /// their rows render again.
    pub fn load_dir(dir: &Path) -> (Manifest, Vec<String>) {
        let mut manifest = Manifest::default();
        let mut warnings = Vec::new();
        let Ok(listing) = std::fs::read_dir(dir) else {
            return (manifest, warnings);
        };
        let mut paths: Vec<PathBuf> = listing
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_manifest_name(p))
            .collect();
        paths.sort();
        for path in paths {
            if let Err(why) = disk::read_into(&mut manifest, &path) {
                warnings.push(format!(
                    "ignoring manifest `{}` ({why}); its rows will render again",
                    path.display()
                ));
            }
        }
        (manifest, warnings)
    }

    /// Adds an entry read from disk (file indices already resolved), keeping the newer one
    /// when the output is already known.
    fn merge_entry(&mut self, name: String, key: Key, row: usize, files: Vec<u32>, time: u64) {
        if self.entries.get(&name).is_some_and(|old| old.time > time) {
            return;
        }
        let entry = Entry {
            row,
            edit: key.edit,
            template: self.hashes.intern(key.template),
            settings: self.hashes.intern(key.settings),
            files: self.file_sets.intern(files.into_boxed_slice()),
            time,
        };
        self.entries.insert(name, entry);
    }

    /// The entry for an output file name.
    pub fn get(&self, output: &str) -> Option<&Entry> {
        self.entries.get(output)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The files an entry's render read, with their hashes then.
    pub fn files_of<'a>(&'a self, entry: &Entry) -> impl Iterator<Item = (&'a str, Hash)> + 'a {
        self.file_sets.get(entry.files).iter().map(|&i| {
            let (p, h) = self.files.get(i);
            (p.as_str(), *h)
        })
    }

    /// Records a successful render of `output` from `key`, having read `files`.
    pub fn insert(&mut self, output: &str, row: usize, key: Key, files: Vec<(String, Hash)>) {
        let ids = files.into_iter().map(|f| self.files.intern(f)).collect();
        self.merge_entry(output.to_string(), key, row, ids, now_ms());
    }

    /// Why `output` (which would be rendered from `key`) must render, or
    /// [`Reason::UpToDate`]. `exists` says whether the output file is there.
    pub fn decide(&self, output: &str, key: &Key, exists: bool, hashes: &FileHashes) -> Reason {
        let Some(entry) = self.entries.get(output) else {
            return Reason::New;
        };
        if !exists {
            return Reason::OutputMissing;
        }
        if *self.hashes.get(entry.settings) != key.settings {
            return Reason::SettingsChanged;
        }
        if entry.edit != key.edit {
            return if *self.hashes.get(entry.template) != key.template {
                Reason::TemplateChanged
            } else {
                Reason::DataChanged
            };
        }
        for (path, old) in self.files_of(entry) {
            let now = hashes.get(Path::new(path));
            if let Some(fact) = path.strip_prefix(crate::render::raster::FACT_PREFIX) {
                if now != Some(old) {
                    return Reason::FontsChanged(describe_fact(fact));
                }
                continue;
            }
            match now {
                None => return Reason::AssetMissing(shorten(path)),
                Some(now) if now != old => return Reason::AssetChanged(shorten(path)),
                Some(_) => {}
            }
        }
        Reason::UpToDate
    }

    /// Writes the whole manifest to `path` atomically: a temporary file in the same directory,
    /// flushed to disk, then renamed over the old one.
    pub fn save(&self, path: &Path) -> Result<(), ManifestError> {
        disk::write(self, path)
    }
}

/// The manifest file this run writes: `.reel-manifest.json`, or `.reel-manifest-K-of-N.json`
/// for a shard (so shards sharing a directory never write the same file).
pub fn own_file_name(shard_tag: Option<&str>) -> String {
    match shard_tag {
        Some(tag) => format!("{PREFIX}-{tag}.json"),
        None => format!("{PREFIX}.json"),
    }
}

fn is_manifest_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(".json"))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A font fact for people: `family roboto`, `a font was added or removed`.
fn describe_fact(fact: &str) -> String {
    match fact.strip_prefix("family/") {
        Some(key) => format!("the faces of family `{key}`"),
        None => "the font set (text fell back to another font)".into(),
    }
}

/// A path as users like to read it: relative to the current directory when inside it.
pub fn shorten(path: &str) -> String {
    let p = Path::new(path);
    std::env::current_dir()
        .ok()
        .and_then(|cwd| p.strip_prefix(cwd).ok().map(|r| r.display().to_string()))
        .unwrap_or_else(|| path.to_string())
}

/// Answers the current digest of a font fact (`reel:fonts/…`, see
/// [`crate::render::raster::FontUse`]) from the font set; none: a fact has no hash, so the
/// rows that recorded one render again.
#[derive(Clone, Default)]
pub struct Facts(Option<Arc<FactFn>>);

/// How [`Facts`] answers: the fact's name → its digest now.
type FactFn = dyn Fn(&str) -> Option<String> + Send + Sync;

impl Facts {
    /// Facts answered by `digest`.
    pub fn new(digest: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Facts {
        Facts(Some(Arc::new(digest)))
    }

    fn digest(&self, name: &str) -> Option<String> {
        self.0.as_ref().and_then(|f| f(name))
    }
}

impl fmt::Debug for Facts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Facts(..)"
        } else {
            "Facts(none)"
        })
    }
}

/// blake3 of files, each hashed at most once per run (a batch reads the same assets for
/// every row), and of font facts. Shared between worker threads.
#[derive(Debug, Default)]
pub struct FileHashes {
    /// Path → content hash (`None`: unreadable).
    cache: Mutex<HashMap<PathBuf, Option<Hash>>>,
    /// Answers font facts.
    facts: Facts,
}

impl FileHashes {
    /// Hashes files, and font facts with `facts`.
    pub fn with_facts(facts: Facts) -> FileHashes {
        FileHashes {
            facts,
            ..FileHashes::default()
        }
    }

    /// The content hash of `path` (of a font fact's digest), or `None` when it cannot be read.
    pub fn get(&self, path: &Path) -> Option<Hash> {
        if let Some(h) = self.cache.lock().expect("hash cache").get(path) {
            return *h;
        }
        let hash = if crate::render::raster::is_fact(path) {
            let digest = self.facts.digest(path.to_str().unwrap_or_default());
            digest.map(|d| blake3::hash(d.as_bytes()))
        } else {
            hash_file(path)
        };
        self.cache
            .lock()
            .expect("hash cache")
            .insert(path.to_path_buf(), hash);
        hash
    }

    /// Forgets every cached hash (watch mode, or before re-checking after a change).
    pub fn clear(&self) {
        self.cache.lock().expect("hash cache").clear();
    }
}

fn hash_file(path: &Path) -> Option<Hash> {
    let file = std::fs::File::open(path).ok()?;
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(file).ok()?;
    Some(hasher.finalize())
}

/// blake3 of several byte strings, each length-prefixed so `("ab","c")` ≠ `("a","bc")`.
pub fn hash_parts<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> Hash {
    let mut hasher = blake3::Hasher::new();
    for part in parts {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(edit: &str, template: &str, settings: &str) -> Key {
        Key {
            edit: hash_parts([edit.as_bytes()]),
            template: hash_parts([template.as_bytes()]),
            settings: hash_parts([settings.as_bytes()]),
        }
    }

    #[test]
    fn hash_parts_separates_fields() {
        assert_ne!(
            hash_parts([b"ab".as_slice(), b"c"]),
            hash_parts([b"a".as_slice(), b"bc"])
        );
        assert_eq!(hash_parts([b"x".as_slice()]), hash_parts([b"x".as_slice()]));
    }

    #[test]
    fn decide_names_what_changed() {
        let dir = tempfile::tempdir().unwrap();
        let asset = dir.path().join("photo.png");
        std::fs::write(&asset, b"one").unwrap();
        let hashes = FileHashes::default();
        let asset_str = asset.display().to_string();
        let mut m = Manifest::default();
        let k = key("edit", "tpl", "hd");
        m.insert(
            "a.mp4",
            0,
            k,
            vec![(asset_str.clone(), hashes.get(&asset).unwrap())],
        );

        assert_eq!(m.decide("b.mp4", &k, true, &hashes), Reason::New);
        assert_eq!(m.decide("a.mp4", &k, false, &hashes), Reason::OutputMissing);
        assert_eq!(m.decide("a.mp4", &k, true, &hashes), Reason::UpToDate);
        let preview = key("edit", "tpl", "preview");
        assert_eq!(
            m.decide("a.mp4", &preview, true, &hashes),
            Reason::SettingsChanged
        );
        let tpl = key("edit2", "tpl2", "hd");
        assert_eq!(
            m.decide("a.mp4", &tpl, true, &hashes),
            Reason::TemplateChanged
        );
        let data = key("edit2", "tpl", "hd");
        assert_eq!(m.decide("a.mp4", &data, true, &hashes), Reason::DataChanged);

        std::fs::write(&asset, b"two").unwrap();
        hashes.clear();
        let why = m.decide("a.mp4", &k, true, &hashes);
        assert!(
            matches!(&why, Reason::AssetChanged(p) if p.ends_with("photo.png")),
            "{why}"
        );
        std::fs::remove_file(&asset).unwrap();
        hashes.clear();
        let why = m.decide("a.mp4", &k, true, &hashes);
        assert!(matches!(why, Reason::AssetMissing(_)), "{why}");
    }

    #[test]
    fn decide_checks_font_facts_against_the_font_set() {
        let facts = Arc::new(Mutex::new(HashMap::from([
            ("reel:fonts/family/roboto".to_string(), "r1".to_string()),
            ("reel:fonts/set".to_string(), "s1".to_string()),
        ])));
        let current = {
            let facts = facts.clone();
            move || {
                let facts = facts.clone();
                FileHashes::with_facts(Facts::new(move |n| facts.lock().unwrap().get(n).cloned()))
            }
        };
        let hashes = current();
        let k = key("edit", "tpl", "hd");
        let fact = |name: &str| (name.to_string(), hashes.get(Path::new(name)).unwrap());
        let mut m = Manifest::default();
        m.insert("plain.png", 0, k, vec![fact("reel:fonts/family/roboto")]);
        let fell_back = vec![fact("reel:fonts/family/roboto"), fact("reel:fonts/set")];
        m.insert("box.png", 1, k, fell_back);
        let decide = |m: &Manifest, out: &str| m.decide(out, &k, true, &current());
        assert_eq!(decide(&m, "plain.png"), Reason::UpToDate);
        assert_eq!(decide(&m, "box.png"), Reason::UpToDate);

        // A font of another family: only the row that fell back renders.
        facts
            .lock()
            .unwrap()
            .insert("reel:fonts/set".into(), "s2".into());
        assert_eq!(decide(&m, "plain.png"), Reason::UpToDate);
        let why = decide(&m, "box.png");
        assert!(
            matches!(&why, Reason::FontsChanged(w) if w.contains("font set")),
            "{why}"
        );

        // A new face of the family both asked for.
        facts
            .lock()
            .unwrap()
            .insert("reel:fonts/family/roboto".into(), "r2".into());
        let why = decide(&m, "plain.png");
        assert!(
            matches!(&why, Reason::FontsChanged(w) if w.contains("`roboto`")),
            "{why}"
        );

        // Without a font set to ask, a fact is unknown: the row renders.
        assert!(matches!(
            m.decide("plain.png", &k, true, &FileHashes::default()),
            Reason::FontsChanged(_)
        ));
    }

    #[test]
    fn save_and_load_round_trip_and_newest_entry_wins() {
        let dir = tempfile::tempdir().unwrap();
        let hashes = FileHashes::default();
        let shared = (
            "assets/logo.png".to_string(),
            hash_parts([b"logo".as_slice()]),
        );
        let mut shard = Manifest::default();
        shard.insert("a.mp4", 0, key("old", "t", "s"), vec![shared.clone()]);
        shard
            .save(&dir.path().join(own_file_name(Some("0-of-2"))))
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let mut whole = Manifest::default();
        whole.insert("a.mp4", 0, key("new", "t", "s"), vec![shared.clone()]);
        whole.insert("b.mp4", 1, key("b", "t", "s"), vec![shared.clone()]);
        whole.save(&dir.path().join(own_file_name(None))).unwrap();
        std::fs::write(dir.path().join(".reel-manifest-9-of-9.json"), "{not json").unwrap();

        let (loaded, warnings) = Manifest::load_dir(dir.path());
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("9-of-9"));
        assert_eq!(loaded.len(), 2);
        assert_eq!(
            loaded.files.values.len(),
            1,
            "shared assets are stored once"
        );
        assert_eq!(loaded.file_sets.values.len(), 1);
        let a = loaded.get("a.mp4").unwrap();
        assert_eq!(a.edit, key("new", "t", "s").edit);
        let files: Vec<_> = loaded.files_of(a).collect();
        assert_eq!(files, vec![("assets/logo.png", shared.1)]);
        let k = key("new", "t", "s");
        assert_eq!(
            loaded.decide("a.mp4", &k, true, &hashes),
            Reason::AssetMissing("assets/logo.png".into())
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("tmp"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left behind");
    }
}
