//! The dependency set of one build: every file it read, split by kind, and reel's output
//! directory (never a trigger). Paths are normalised so they compare equal to the paths the
//! OS reports in events.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

/// The files one build read, by kind, plus where reel writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deps {
    /// The template and every include it read.
    pub template: BTreeSet<PathBuf>,
    /// The data file, if any.
    pub data: Option<PathBuf>,
    /// Local assets and fonts any selected row read.
    pub assets: BTreeSet<PathBuf>,
    /// The output directory: changes inside it are reel's own.
    pub output_dir: PathBuf,
}

impl Deps {
    /// Every watched file, of every kind.
    pub fn files(&self) -> impl Iterator<Item = &Path> {
        self.template
            .iter()
            .chain(self.data.iter())
            .chain(self.assets.iter())
            .map(PathBuf::as_path)
    }

    /// The directories to watch: the parent of every file (so saves by rename and files that
    /// are deleted and come back are seen).
    pub fn directories(&self) -> BTreeSet<PathBuf> {
        self.files()
            .filter_map(|f| f.parent().map(Path::to_path_buf))
            .collect()
    }

    /// The same set with every path made absolute and its directory canonical.
    pub fn normalized(&self) -> Deps {
        let set = |s: &BTreeSet<PathBuf>| s.iter().map(|p| normalize(p)).collect();
        Deps {
            template: set(&self.template),
            data: self.data.as_deref().map(normalize),
            assets: set(&self.assets),
            output_dir: normalize(&self.output_dir),
        }
    }

    /// Adds every file of `other` (used when a cancelled or failed build saw only part of
    /// the inputs: the old ones stay watched).
    pub fn extend(&mut self, other: &Deps) {
        self.template.extend(other.template.iter().cloned());
        self.assets.extend(other.assets.iter().cloned());
        if self.data.is_none() {
            self.data.clone_from(&other.data);
        }
    }
}

/// An absolute path whose directory part is canonical (symlinks resolved) when it exists; the
/// file itself need not exist. Falls back to a lexically cleaned absolute path.
pub fn normalize(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let clean = lexical_clean(&absolute);
    if let Ok(canon) = clean.canonicalize() {
        return canon;
    }
    match (clean.parent(), clean.file_name()) {
        (Some(dir), Some(name)) => match dir.canonicalize() {
            Ok(dir) => dir.join(name),
            Err(_) => clean,
        },
        _ => clean,
    }
}

/// Removes `.` and resolves `..` without touching the filesystem.
fn lexical_clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_the_parents_of_all_files() {
        let deps = Deps {
            template: ["/p/a.edit", "/p/inc/b.edit"].map(PathBuf::from).into(),
            data: Some(PathBuf::from("/d/rows.csv")),
            assets: ["/p/logo.png"].map(PathBuf::from).into(),
            output_dir: PathBuf::from("/p/out"),
        };
        let dirs: Vec<_> = deps.directories().into_iter().collect();
        assert_eq!(dirs, ["/d", "/p", "/p/inc"].map(PathBuf::from));
    }

    #[test]
    fn normalize_makes_missing_files_comparable_to_event_paths() {
        let dir = tempfile::tempdir().unwrap();
        let canon = dir.path().canonicalize().unwrap();
        let missing = dir.path().join("sub/../gone.csv");
        assert_eq!(normalize(&missing), canon.join("gone.csv"));
        std::fs::write(canon.join("here.csv"), "a\n").unwrap();
        assert_eq!(
            normalize(&dir.path().join("./here.csv")),
            canon.join("here.csv")
        );
    }

    #[test]
    fn extend_keeps_old_inputs_watched() {
        let mut new = Deps {
            template: ["/p/a.edit"].map(PathBuf::from).into(),
            ..Deps::default()
        };
        let old = Deps {
            template: ["/p/a.edit", "/p/inc.edit"].map(PathBuf::from).into(),
            data: Some(PathBuf::from("/p/rows.csv")),
            assets: ["/p/logo.png"].map(PathBuf::from).into(),
            output_dir: PathBuf::from("/p/out"),
        };
        new.extend(&old);
        assert_eq!(new.files().count(), 4);
    }
}
