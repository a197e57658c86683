//! One writer per output directory: OS file locks (`flock`, released by the kernel however
//! the process ends) that `reel render` and `reel watch` take before writing anything.
//!
//! - `.reel.lock` is the directory lock. An unsharded `reel render` and `reel watch` take it
//!   exclusively and write who they are into it (`` `reel watch` (pid 1234 on node7) ``).
//! - The shards of one batch (`--shard K/N`) share the directory: each takes `.reel.lock`
//!   shared, then `.reel-K-of-N.lock` exclusively (writing who it is there), then checks that
//!   no running shard uses another N. So shards of one array job run side by side, and a
//!   second copy of a shard, a shard of another count, an unsharded render or a watch is
//!   refused while any of them runs, with the holders named.
//!
//! A lock can be probed by someone reading who holds it; a refused attempt is therefore
//! retried for [`RETRY`] before it counts as busy, so a probe is never mistaken for a holder.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::Shard;

/// The directory lock's file name.
pub const DIR_LOCK: &str = ".reel.lock";

/// How long a refused lock is tried again before it counts as held. Probes by runs that were
/// refused last microseconds; a real holder holds for the whole run.
pub const RETRY: Duration = Duration::from_millis(200);

/// Who wants the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The command, as the user would recognise it (`reel render`, `reel watch`).
    pub command: &'static str,
    /// The shard this run renders, if sharded.
    pub shard: Option<Shard>,
}

impl Claim {
    /// `` `reel render --shard 1/4` (pid 1234 on node7) ``: what goes into the lock file.
    fn holder_text(&self) -> String {
        let shard = self
            .shard
            .map(|s| format!(" --shard {s}"))
            .unwrap_or_default();
        format!(
            "`{}{shard}` (pid {} on {})",
            self.command,
            std::process::id(),
            crate::render::part::host_name()
        )
    }
}

/// Holds the lock until dropped.
#[derive(Debug)]
pub struct OutputLock {
    /// `.reel.lock`, held shared (shard) or exclusively.
    _dir: File,
    /// `.reel-K-of-N.lock` of a shard, held exclusively.
    _shard: Option<File>,
    /// Whether this run holds the directory alone (no shards beside it).
    exclusive: bool,
    /// The file naming this run as the holder.
    pub path: PathBuf,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds it.
    #[error(
        "another reel is writing to `{}`: {holders}; wait for it to finish or choose another output directory with -o",
        dir.display()
    )]
    Busy {
        /// The output directory.
        dir: PathBuf,
        /// Who holds it, as written in the lock files (`` `reel render` (pid 1234 on host) ``),
        /// comma separated.
        holders: String,
    },
    /// Shards of another count are running in the directory.
    #[error(
        "shards of another count are writing to `{}`: {holders}; every shard of one batch must use the same N (this is `--shard {ours}`)",
        dir.display()
    )]
    ShardCount {
        /// The output directory.
        dir: PathBuf,
        /// This run's shard.
        ours: Shard,
        /// The running shards of another count.
        holders: String,
    },
    /// A lock file could not be created, read, locked or written.
    #[error("cannot lock `{}`: {source}", path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// The lock file of shard `K/N`: `.reel-K-of-N.lock`.
pub fn shard_file_name(shard: Shard) -> String {
    format!(".reel-{}.lock", shard.tag())
}

impl OutputLock {
    /// Takes `dir`'s lock for `claim` without waiting (see the module docs), writing who this
    /// run is into its lock file.
    pub fn acquire(dir: &Path, claim: &Claim) -> Result<OutputLock, LockError> {
        let dir_path = dir.join(DIR_LOCK);
        let dir_file = open(&dir_path)?;
        let Some(shard) = claim.shard else {
            if !try_lock(&dir_file, true, &dir_path)? {
                return Err(busy(dir, &dir_path));
            }
            write_holder(&dir_file, &dir_path, claim)?;
            return Ok(OutputLock {
                _dir: dir_file,
                _shard: None,
                exclusive: true,
                path: dir_path,
            });
        };
        if !try_lock(&dir_file, false, &dir_path)? {
            // Held exclusively: its holder wrote itself into the file.
            return Err(LockError::Busy {
                dir: dir.to_path_buf(),
                holders: read_holder(&dir_path),
            });
        }
        let path = dir.join(shard_file_name(shard));
        let file = open(&path)?;
        if !try_lock(&file, true, &path)? {
            return Err(LockError::Busy {
                dir: dir.to_path_buf(),
                holders: read_holder(&path),
            });
        }
        write_holder(&file, &path, claim)?;
        let others = running_shards(dir, |s| s.count != shard.count);
        if !others.is_empty() {
            return Err(LockError::ShardCount {
                dir: dir.to_path_buf(),
                ours: shard,
                holders: others.join(", "),
            });
        }
        Ok(OutputLock {
            _dir: dir_file,
            _shard: Some(file),
            exclusive: false,
            path,
        })
    }

    /// Whether this run holds the directory alone (unsharded render, watch): then no other
    /// writer exists, and any `.part` file is a leftover.
    pub fn is_exclusive(&self) -> bool {
        self.exclusive
    }
}

fn open(path: &Path) -> Result<File, LockError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|source| LockError::Io {
            path: path.to_owned(),
            source,
        })
}

/// Tries to lock `file` for [`RETRY`]; `Ok(false)` when it stays held.
fn try_lock(file: &File, exclusive: bool, path: &Path) -> Result<bool, LockError> {
    let started = Instant::now();
    loop {
        let result = if exclusive {
            file.try_lock()
        } else {
            file.try_lock_shared()
        };
        match result {
            Ok(()) => return Ok(true),
            Err(TryLockError::WouldBlock) if started.elapsed() < RETRY => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(TryLockError::WouldBlock) => return Ok(false),
            Err(TryLockError::Error(source)) => {
                return Err(LockError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        }
    }
}

/// Replaces the lock file's text with this run's [`Claim::holder_text`].
fn write_holder(mut file: &File, path: &Path, claim: &Claim) -> Result<(), LockError> {
    let io = |source| LockError::Io {
        path: path.to_owned(),
        source,
    };
    file.set_len(0).map_err(io)?;
    file.rewind().map_err(io)?;
    writeln!(file, "{}", claim.holder_text()).map_err(io)?;
    file.flush().map_err(io)
}

/// The holder's text in a lock file, or `holder unknown`.
fn read_holder(path: &Path) -> String {
    let mut text = String::new();
    let _ = File::open(path).and_then(|mut f| f.read_to_string(&mut text));
    match text.trim() {
        "" => "holder unknown".to_string(),
        t => t.to_string(),
    }
}

/// The refusal of an exclusive claim on `.reel.lock`: an exclusive holder named in it, or the
/// shards sharing it.
fn busy(dir: &Path, dir_path: &Path) -> LockError {
    // Shards hold `.reel.lock` shared: a shared probe succeeds then, and they are named in
    // their own files. An exclusive holder refuses the probe and is named in `.reel.lock`.
    let probe = File::open(dir_path).ok();
    let shared = probe.as_ref().is_some_and(|f| f.try_lock_shared().is_ok());
    drop(probe);
    let holders = if shared {
        let shards = running_shards(dir, |_| true);
        if shards.is_empty() {
            "a sharded `reel render` that is starting or stopping".to_string()
        } else {
            shards.join(", ")
        }
    } else {
        read_holder(dir_path)
    };
    LockError::Busy {
        dir: dir.to_path_buf(),
        holders,
    }
}

/// The holders of the shard lock files in `dir` whose shard passes `pick` and that a running
/// shard holds (an exclusive lock refuses a shared probe).
fn running_shards(dir: &Path, pick: impl Fn(Shard) -> bool) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(Shard, String)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name();
            let shard = shard_of(name.to_str()?)?;
            pick(shard).then_some((shard, e.path()))
        })
        .filter_map(|(shard, path)| {
            let file = File::open(&path).ok()?;
            let held = matches!(file.try_lock_shared(), Err(TryLockError::WouldBlock));
            drop(file);
            held.then(|| (shard, read_holder(&path)))
        })
        .collect();
    found.sort_by_key(|(s, _)| (s.count, s.index));
    found.into_iter().map(|(_, h)| h).collect()
}

/// `.reel-K-of-N.lock` → shard `K/N`. Pure.
fn shard_of(name: &str) -> Option<Shard> {
    let tag = name.strip_prefix(".reel-")?.strip_suffix(".lock")?;
    let (k, n) = tag.split_once("-of-")?;
    Some(Shard {
        index: k.parse().ok()?,
        count: n.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(shard: Option<(usize, usize)>) -> Claim {
        Claim {
            command: "reel render",
            shard: shard.map(|(index, count)| Shard { index, count }),
        }
    }

    #[test]
    fn an_unsharded_holder_is_named_and_frees_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = OutputLock::acquire(dir.path(), &claim(None)).unwrap();
        assert!(first.is_exclusive());
        let watch = Claim {
            command: "reel watch",
            shard: None,
        };
        let err = OutputLock::acquire(dir.path(), &watch).unwrap_err();
        let msg = err.to_string();
        let pid = format!("`reel render` (pid {} on ", std::process::id());
        assert!(msg.contains(&pid), "{msg}");
        let err = OutputLock::acquire(dir.path(), &claim(Some((1, 2)))).unwrap_err();
        assert!(
            err.to_string().contains(&pid),
            "a shard is refused too: {err}"
        );
        drop(first);
        let watching = OutputLock::acquire(dir.path(), &watch).unwrap();
        let err = OutputLock::acquire(dir.path(), &claim(Some((0, 2)))).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("`reel watch` (pid"),
            "no shard beside a watch: {msg}"
        );
        drop(watching);
    }

    #[test]
    fn shards_of_one_count_share_the_directory_and_nobody_else_does() {
        let dir = tempfile::tempdir().unwrap();
        let a = OutputLock::acquire(dir.path(), &claim(Some((0, 2)))).unwrap();
        let b = OutputLock::acquire(dir.path(), &claim(Some((1, 2)))).unwrap();
        assert!(!a.is_exclusive());
        let twice = OutputLock::acquire(dir.path(), &claim(Some((1, 2)))).unwrap_err();
        assert!(
            twice.to_string().contains("`reel render --shard 1/2` (pid"),
            "{twice}"
        );
        let other = OutputLock::acquire(dir.path(), &claim(Some((0, 3)))).unwrap_err();
        assert!(matches!(other, LockError::ShardCount { .. }), "{other}");
        let msg = other.to_string();
        assert!(
            msg.contains("--shard 0/2") && msg.contains("--shard 1/2"),
            "{msg}"
        );
        let unsharded = OutputLock::acquire(dir.path(), &claim(None)).unwrap_err();
        let msg = unsharded.to_string();
        assert!(
            msg.contains("`reel render --shard 0/2` (pid") && msg.contains("--shard 1/2"),
            "{msg}"
        );
        drop((a, b));
        // The refused 0/3 left its lock file behind, unlocked: it does not count.
        assert!(OutputLock::acquire(dir.path(), &claim(Some((2, 4)))).is_ok());
    }

    #[test]
    fn io_errors_name_the_file_and_the_cause() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("not-here");
        let err = OutputLock::acquire(&missing, &claim(None)).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("not-here/.reel.lock") && msg.contains("No such file or directory"),
            "{msg}"
        );
    }

    #[test]
    fn shard_file_names_round_trip() {
        let s = Shard { index: 3, count: 8 };
        assert_eq!(shard_file_name(s), ".reel-3-of-8.lock");
        assert_eq!(shard_of(&shard_file_name(s)), Some(s));
        assert_eq!(shard_of(".reel.lock"), None);
        assert_eq!(shard_of(".reel-manifest-1-of-2.json"), None);
    }
}
