//! Which rows a build renders again. The batch manifest ([`crate::batch::Manifest`]) decides
//! from the row's key (expanded Edit, template files, render settings) and the content hashes
//! of the files its last render read. Watch adds one rule: a row that read a file which was
//! just saved renders again even when the bytes hash the same (a `touch` is a request).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::batch::manifest::shorten;
use crate::batch::{FileHashes, Key, Manifest, Reason};

use super::deps::normalize;

/// Why the row writing `output` (file name in the output dir) from `key` must render, or
/// [`Reason::UpToDate`]. `saved` are the (normalised) files saved since the last build.
pub fn decide(
    manifest: &Manifest,
    output: &str,
    key: &Key,
    exists: bool,
    hashes: &FileHashes,
    saved: &BTreeSet<PathBuf>,
) -> Reason {
    match manifest.decide(output, key, exists, hashes) {
        Reason::UpToDate => match files_read(manifest, output).find(|f| saved.contains(f)) {
            Some(f) => Reason::AssetChanged(shorten(&f.display().to_string())),
            None => Reason::UpToDate,
        },
        other => other,
    }
}

/// The files (normalised) the last good render of `output` read; none if there is none. Font
/// facts (`reel:fonts/…`) are not files: the manifest checks them, nothing watches them.
pub fn files_read<'a>(manifest: &'a Manifest, output: &str) -> impl Iterator<Item = PathBuf> + 'a {
    manifest
        .get(output)
        .into_iter()
        .flat_map(move |e| manifest.files_of(e))
        .filter(|(p, _)| !crate::render::raster::is_fact(Path::new(p)))
        .map(|(p, _)| normalize(Path::new(p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_file_renders_the_rows_that_read_it_even_with_equal_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let (logo, font) = (root.join("logo.png"), root.join("font.ttf"));
        std::fs::write(&logo, "png").unwrap();
        std::fs::write(&font, "ttf").unwrap();
        let hashes = FileHashes::default();
        let key = Key {
            edit: blake3::hash(b"edit"),
            template: blake3::hash(b"t"),
            settings: blake3::hash(b"preview"),
        };
        let mut m = Manifest::default();
        let read = |p: &PathBuf| (p.display().to_string(), hashes.get(p).unwrap());
        m.insert("a.mp4", 0, key, vec![read(&logo)]);
        m.insert("b.mp4", 1, key, vec![read(&font)]);
        let saved: BTreeSet<PathBuf> = [logo.clone()].into();
        let none = BTreeSet::new();
        let table = [
            (
                "a.mp4",
                &saved,
                true,
                Reason::AssetChanged(logo.display().to_string()),
            ),
            ("b.mp4", &saved, true, Reason::UpToDate),
            ("a.mp4", &none, true, Reason::UpToDate),
            ("a.mp4", &saved, false, Reason::OutputMissing),
            ("c.mp4", &none, true, Reason::New),
        ];
        for (out, saved, exists, want) in table {
            assert_eq!(decide(&m, out, &key, exists, &hashes, saved), want, "{out}");
        }
        let other = Key {
            edit: blake3::hash(b"edit 2"),
            ..key
        };
        assert_eq!(
            decide(&m, "b.mp4", &other, true, &hashes, &none),
            Reason::DataChanged
        );
        assert_eq!(files_read(&m, "b.mp4").collect::<Vec<_>>(), [font]);
    }
}
