//! One `reel render` per output directory (per shard): an OS file lock on `.reel.lock`
//! (`File::try_lock`), released when the process ends however it ends. The file holds the
//! owner's pid and host so a second run can say who has it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Holds the lock until dropped.
#[derive(Debug)]
pub struct OutputLock {
    /// The locked file (the lock lives as long as this handle).
    _file: File,
    /// Its path.
    pub path: PathBuf,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error(
        "another `reel render` is writing to `{dir}` ({holder}); wait for it to finish or choose another output directory with -o"
    )]
    Busy {
        /// The output directory.
        dir: PathBuf,
        /// Who holds it, as written in the lock file (`pid 1234 on host`), or "unknown".
        holder: String,
    },
    /// The lock file could not be created or locked.
    #[error("cannot lock `{path}`")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// The lock file name: `.reel.lock`, or `.reel-K-of-N.lock` for a shard (shards of one batch
/// may share a directory).
pub fn file_name(shard_tag: Option<&str>) -> String {
    match shard_tag {
        Some(tag) => format!(".reel-{tag}.lock"),
        None => ".reel.lock".to_string(),
    }
}

impl OutputLock {
    /// Takes the lock `name` in `dir` without waiting, and writes this process's pid and host
    /// into it.
    pub fn acquire(dir: &Path, name: &str) -> Result<OutputLock, LockError> {
        let path = dir.join(name);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(LockError::Busy {
                    dir: dir.to_path_buf(),
                    holder: if holder.is_empty() {
                        "holder unknown".to_string()
                    } else {
                        holder.to_string()
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "pid {} on {}", std::process::id(), host()).map_err(io)?;
        Ok(OutputLock { _file: file, path })
    }
}

fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "this host".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_names_the_holder_and_frees_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = OutputLock::acquire(dir.path(), &file_name(None)).unwrap();
        let err = OutputLock::acquire(dir.path(), &file_name(None)).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        assert!(matches!(err, LockError::Busy { .. }));
        let shard = OutputLock::acquire(dir.path(), &file_name(Some("1-of-2")));
        assert!(shard.is_ok(), "a shard has its own lock");
        drop(first);
        assert!(OutputLock::acquire(dir.path(), &file_name(None)).is_ok());
    }
}
