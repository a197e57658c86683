//! The manifest's JSON file, streamed both ways: reading converts each entry as it is parsed
//! (no intermediate map of strings), writing serialises straight from the in-memory tables.
//!
//! ```json
//! { "reel": "0.1.0",
//!   "files": [["assets/photo.png", "<blake3 hex>"], …],
//!   "entries": { "jane.mp4": { "row": 0, "edit": "<hex>", "template": "<hex>",
//!                              "settings": "<hex>", "files": [0, 2], "time": 1764150000000 } } }
//! ```
//! `files` must come before `entries` (reel writes it so); `entries[].files` index into it.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use blake3::Hash;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Key, Manifest};

/// Errors writing a manifest.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be written.
    #[error("cannot write manifest `{path}`")]
    Io {
        /// The manifest file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// A blake3 hash read from / written as hex without allocating.
struct Hex(Hash);

impl<'de> Deserialize<'de> for Hex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Hex, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Hex;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a blake3 hash in hex")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Hex, E> {
                Hash::from_hex(s).map(Hex).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

impl Serialize for Hex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_hex())
    }
}

/// One entry as stored.
#[derive(Deserialize)]
struct DiskEntry {
    row: usize,
    edit: Hex,
    template: Hex,
    settings: Hex,
    files: Vec<u32>,
    time: u64,
}

/// Merges the manifest file at `path` into `m`.
pub(super) fn read_into(m: &mut Manifest, path: &Path) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut de = serde_json::Deserializer::from_reader(BufReader::new(file));
    TopSeed(m).deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())
}

/// The top-level object.
struct TopSeed<'a>(&'a mut Manifest);

impl<'de> DeserializeSeed<'de> for TopSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a reel manifest object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // Indices of this file's `files` table in the merged manifest's table.
        let mut ids: Vec<u32> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "files" => {
                    let files: Vec<(String, Hex)> = map.next_value()?;
                    ids = files
                        .into_iter()
                        .map(|(p, h)| self.0.files.intern((p, h.0)))
                        .collect();
                }
                "entries" => map.next_value_seed(EntriesSeed {
                    m: &mut *self.0,
                    ids: &ids,
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// The `entries` object, converted entry by entry.
struct EntriesSeed<'a> {
    m: &'a mut Manifest,
    ids: &'a [u32],
}

impl<'de> DeserializeSeed<'de> for EntriesSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EntriesSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("entries by output name")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some((name, e)) = map.next_entry::<String, DiskEntry>()? {
            let files = e
                .files
                .iter()
                .map(|&i| self.ids.get(i as usize).copied())
                .collect::<Option<Vec<u32>>>()
                .ok_or_else(|| de::Error::custom(format!("bad file index in entry `{name}`")))?;
            let key = Key {
                edit: e.edit.0,
                template: e.template.0,
                settings: e.settings.0,
            };
            self.m.merge_entry(name, key, e.row, files, e.time);
        }
        Ok(())
    }
}

/// Writes `m` to `path` atomically: temporary file in the same directory, flushed and synced,
/// then renamed over the old file.
pub(super) fn write(m: &Manifest, path: &Path) -> Result<(), ManifestError> {
    let io = |source| ManifestError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".reel-manifest.tmp")
        .tempfile_in(dir)
        .map_err(io)?;
    {
        let mut w = BufWriter::new(tmp.as_file_mut());
        serde_json::to_writer(&mut w, &Out::new(m)).map_err(|e| io(e.into()))?;
        w.flush().map_err(io)?;
    }
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// The manifest as written: only the files some entry still uses, renumbered, and entries
/// sorted by name (stable files diff well).
struct Out<'a> {
    m: &'a Manifest,
    /// Old file ids, in their new order.
    files: Vec<u32>,
    /// File-set id → the set's new file indices.
    sets: HashMap<u32, Vec<u32>>,
    /// Entry names, sorted.
    names: Vec<&'a String>,
}

impl<'a> Out<'a> {
    fn new(m: &'a Manifest) -> Out<'a> {
        let mut used: Vec<u32> = m
            .entries
            .values()
            .map(|e| e.files)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        used.sort_unstable();
        let mut files = Vec::new();
        let mut renumber: HashMap<u32, u32> = HashMap::new();
        let mut sets = HashMap::new();
        for set in used {
            let mut new = Vec::new();
            for &f in m.file_sets.get(set).iter() {
                let id = *renumber.entry(f).or_insert_with(|| {
                    files.push(f);
                    (files.len() - 1) as u32
                });
                new.push(id);
            }
            sets.insert(set, new);
        }
        let mut names: Vec<&String> = m.entries.keys().collect();
        names.sort_unstable();
        Out {
            m,
            files,
            sets,
            names,
        }
    }
}

impl Serialize for Out<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Manifest", 3)?;
        st.serialize_field("reel", env!("CARGO_PKG_VERSION"))?;
        let files: Vec<(&str, Hex)> = self
            .files
            .iter()
            .map(|&f| {
                let (p, h) = self.m.files.get(f);
                (p.as_str(), Hex(*h))
            })
            .collect();
        st.serialize_field("files", &files)?;
        st.serialize_field("entries", &EntriesOut(self))?;
        st.end()
    }
}

struct EntriesOut<'a, 'b>(&'b Out<'a>);

impl Serialize for EntriesOut<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let out = self.0;
        let mut map = s.serialize_map(Some(out.names.len()))?;
        for name in &out.names {
            let e = &out.m.entries[*name];
            map.serialize_entry(
                name,
                &EntryOut {
                    row: e.row,
                    edit: Hex(e.edit),
                    template: Hex(*out.m.hashes.get(e.template)),
                    settings: Hex(*out.m.hashes.get(e.settings)),
                    files: &out.sets[&e.files],
                    time: e.time,
                },
            )?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct EntryOut<'a> {
    row: usize,
    edit: Hex,
    template: Hex,
    settings: Hex,
    files: &'a [u32],
    time: u64,
}
