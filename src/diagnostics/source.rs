//! The [`SourceMap`]: every input file of a run, by [`FileId`].
//!
//! Files are added either with their text (templates, which are parsed from memory) or lazily by
//! path (data files, which are streamed and only read whole if a diagnostic must show a cell).
//! The map is shared between threads (`&SourceMap` is enough to add a file).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, RwLock};

use super::Diagnostic;

/// Identifies one file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// One input file.
#[derive(Debug)]
pub struct SourceFile {
    /// Where it was read from (may be a pseudo path such as `<stdin>` or `<--set>`).
    pub path: PathBuf,
    /// The name diagnostics show: the path as the user wrote it.
    pub name: String,
    /// The text, read on first use for lazily added files. Invalid UTF-8 is replaced
    /// (lossy) here: loaders report invalid UTF-8 themselves, with the byte offset.
    text: OnceLock<Arc<str>>,
}

impl SourceFile {
    /// The file's text; for a lazily added file, read now (empty if unreadable).
    pub fn text(&self) -> &Arc<str> {
        self.text.get_or_init(|| match std::fs::read(&self.path) {
            Ok(bytes) => Arc::from(String::from_utf8_lossy(&bytes).as_ref()),
            Err(_) => Arc::from(""),
        })
    }

    /// 1-based (line, column) of a byte offset, column counted in characters.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let text = self.text();
        let offset = offset.min(text.len());
        let before = &text[..floor_char_boundary(text, offset)];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Every file a run has read, shared by all stages and threads.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: RwLock<Vec<Arc<SourceFile>>>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file whose text is already in memory.
    pub fn add(&self, path: impl Into<PathBuf>, text: impl Into<Arc<str>>) -> FileId {
        let path = path.into();
        let cell = OnceLock::new();
        let _ = cell.set(text.into());
        self.push(SourceFile {
            name: display_name(&path),
            path,
            text: cell,
        })
    }

    /// Adds a file by path only; its text is read when a diagnostic needs it.
    pub fn add_lazy(&self, path: impl Into<PathBuf>) -> FileId {
        let path = path.into();
        self.push(SourceFile {
            name: display_name(&path),
            path,
            text: OnceLock::new(),
        })
    }

    /// Reads a UTF-8 text file and adds it. Unreadable files and invalid UTF-8 become a
    /// diagnostic (with the byte offset of the first bad byte), never a panic.
    pub fn load(&self, path: &Path) -> Result<FileId, Diagnostic> {
        let bytes = std::fs::read(path).map_err(|e| {
            Diagnostic::error(format!(
                "cannot read `{}`: {}",
                path.display(),
                io_reason(&e)
            ))
        })?;
        match String::from_utf8(bytes) {
            Ok(text) => Ok(self.add(path, text)),
            Err(e) => {
                let offset = e.utf8_error().valid_up_to();
                let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
                let id = self.add(path, lossy);
                let span = super::Span::new(id, offset..offset + 1);
                Err(Diagnostic::error(format!(
                    "`{}` is not valid UTF-8 (first bad byte at offset {offset})",
                    path.display()
                ))
                .with_label(span, "invalid UTF-8 here")
                .with_help("save the file as UTF-8"))
            }
        }
    }

    /// The file behind `id`. Panics on an id from another map (a programming error).
    pub fn get(&self, id: FileId) -> Arc<SourceFile> {
        self.files.read().expect("source map poisoned")[id.0 as usize].clone()
    }

    /// Every file added so far, in order.
    pub fn files(&self) -> Vec<Arc<SourceFile>> {
        self.files.read().expect("source map poisoned").clone()
    }

    fn push(&self, file: SourceFile) -> FileId {
        let mut files = self.files.write().expect("source map poisoned");
        files.push(Arc::new(file));
        FileId((files.len() - 1) as u32)
    }
}

/// The message of an IO error without Rust's "(os error 2)" suffix.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let s = e.to_string();
            s.split(" (os error").next().unwrap_or(&s).to_string()
        }
    }
}

fn display_name(path: &Path) -> String {
    path.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars() {
        let map = SourceMap::new();
        let id = map.add("a.edit", "ab\nzoë x");
        assert_eq!(map.get(id).line_col(0), (1, 1));
        assert_eq!(map.get(id).line_col(3), (2, 1));
        assert_eq!(map.get(id).line_col(8), (2, 5));
    }

    #[test]
    fn invalid_utf8_is_a_diagnostic_with_offset() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.edit");
        std::fs::write(&p, b"ok\n\xff\xfe").unwrap();
        let map = SourceMap::new();
        let d = map.load(&p).unwrap_err();
        assert!(d.message.contains("offset 3"), "{}", d.message);
        assert_eq!(d.span().unwrap().range(), 3..4);
    }
}
