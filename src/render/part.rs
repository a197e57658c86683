//! Partial output files: the `.part` name a render writes before it is verified and renamed,
//! and the clean-up of `.part` files whose writer died (kill -9, power loss).
//!
//! A name is unique per process and per call: `NAME.HOST-PID-N.part.EXT`, where `HOST` is
//! 8 hex digits of the blake3 of the host name (and pid namespace), `PID` the writer's
//! process id and `N` a counter, so two writers (two processes, two threads, two hosts on a
//! shared volume) never write one file. The real extension stays last so ffmpeg still picks the muxer. The name
//! says who wrote it, which lets the next run remove exactly the files of dead writers.
//! It does not decide when a run may clean up (the caller holds the output directory's lock).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counts `.part` names handed out by this process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh `.part` path beside `out`: `out.mp4` → `out.1a2b3c4d-4242-7.part.mp4`,
/// `out` → `out.1a2b3c4d-4242-7.part`. No two calls in any process return the same name.
pub fn part_path(out: &Path) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    part_path_of(out, host_tag(), std::process::id(), n)
}

/// [`part_path`] for a given owner. Pure.
fn part_path_of(out: &Path, host: &str, pid: u32, n: u64) -> PathBuf {
    let stem = out.file_stem().unwrap_or_default().to_string_lossy();
    let name = match out.extension() {
        Some(ext) => format!("{stem}.{host}-{pid}-{n}.part.{}", ext.to_string_lossy()),
        None => format!("{stem}.{host}-{pid}-{n}.part"),
    };
    out.with_file_name(name)
}

/// Who wrote a `.part` file, read back from its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// 8 hex digits of the blake3 of the writer's host name and pid namespace.
    pub host: String,
    /// The writer's process id (on that host).
    pub pid: u32,
}

/// The owner named in a `.part` file name made by [`part_path`]; `None` for any other name
/// (a user's `notes.part.txt` is never taken for a partial render). Pure.
pub fn owner(name: &OsStr) -> Option<Owner> {
    let name = name.to_str()?;
    let before = match name.rfind(".part.") {
        Some(i) => &name[..i],
        None => name.strip_suffix(".part")?,
    };
    let (_, tag) = before.rsplit_once('.')?;
    let mut parts = tag.split('-');
    let (host, pid, n) = (parts.next()?, parts.next()?, parts.next()?);
    let hex = host.len() == 8 && host.bytes().all(|b| b.is_ascii_hexdigit());
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if parts.next().is_some() || !hex || !digits(pid) || !digits(n) {
        return None;
    }
    Some(Owner {
        host: host.to_string(),
        pid: pid.parse().ok()?,
    })
}

/// A `.part` file removed by [`clean_stray`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    /// The file.
    pub path: PathBuf,
    /// Who had written it.
    pub owner: Owner,
}

/// Removes the `.part` files in `dir` (not below it) left by writers that are gone: those of
/// this host whose process no longer runs, and, when `exclusive` (the caller holds the
/// directory lock alone, so no other writer can exist), those of other hosts too. A file of a
/// live process is never removed. Returns what was removed; errors (a file that vanished, a
/// directory that cannot be read) are skipped: cleaning is best effort.
pub fn clean_stray(dir: &Path, exclusive: bool) -> Vec<Removed> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let Some(owner) = owner(&entry.file_name()) else {
            continue;
        };
        let ours = owner.host == host_tag();
        let stale = if ours {
            owner.pid != std::process::id() && !is_running(owner.pid)
        } else {
            exclusive
        };
        let path = entry.path();
        // A directory so named holds a render's segments (`render::segments`).
        let remove = |p: &Path| match (p.is_file(), p.is_dir()) {
            (true, _) => std::fs::remove_file(p).is_ok(),
            (false, true) => std::fs::remove_dir_all(p).is_ok(),
            _ => false,
        };
        if stale && remove(&path) {
            removed.push(Removed { path, owner });
        }
    }
    removed.sort_by(|a, b| a.path.cmp(&b.path));
    removed
}

/// Whether a process with this id exists on this host (a zombie counts as gone).
fn is_running(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        // No procfs (macOS): ask the kernel directly. EPERM means it exists.
        return signal_zero(pid);
    };
    // `pid (comm) S …`: the state follows the last `)` (comm may contain spaces and parens).
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next());
    !matches!(state, Some('Z' | 'X'))
}

#[cfg(unix)]
fn signal_zero(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn signal_zero(_pid: u32) -> bool {
    // Unknown: keep the file.
    true
}

/// This host's name (`/proc/sys/kernel/hostname`, `/etc/hostname`, `$HOSTNAME`), or
/// `this host`.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "this host".to_string())
}

/// 8 hex digits of the blake3 of [`host_name`] and this process's pid namespace, computed
/// once: the scope in which a pid means one process. Two containers that share a volume and a
/// host name (`docker --net=host`) but not their pids get different tags, so neither takes
/// the other's live writer for a dead one.
fn host_tag() -> &'static str {
    static TAG: OnceLock<String> = OnceLock::new();
    TAG.get_or_init(|| {
        let ns = std::fs::read_link("/proc/self/ns/pid").unwrap_or_default();
        let scope = format!("{}\0{}", host_name(), ns.display());
        blake3::hash(scope.as_bytes()).to_hex()[..8].to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_the_extension_and_name_their_owner() {
        let p = part_path_of(Path::new("/o/a.b.mp4"), "0123abcd", 42, 7);
        assert_eq!(p, PathBuf::from("/o/a.b.0123abcd-42-7.part.mp4"));
        let bare = part_path_of(Path::new("out"), "0123abcd", 42, 7);
        assert_eq!(bare, PathBuf::from("out.0123abcd-42-7.part"));
        for p in [&p, &bare] {
            let o = owner(p.file_name().unwrap()).unwrap();
            assert_eq!((o.host.as_str(), o.pid), ("0123abcd", 42));
        }
    }

    #[test]
    fn other_names_have_no_owner() {
        for name in [
            "a.mp4",
            "a.part.mp4",
            "notes.part.txt",
            "x.12-3.part.mp4",
            "x.0123abcd-4x-1.part.mp4",
            "x.0123abcd-4-1-2.part.mp4",
            "x.0123abcg-4-1.part.mp4",
            "0123abcd-4-1.part",
        ] {
            assert_eq!(owner(OsStr::new(name)), None, "{name}");
        }
    }

    #[test]
    fn each_call_gives_a_new_name() {
        let a = part_path(Path::new("o/x.mp4"));
        let b = part_path(Path::new("o/x.mp4"));
        assert_ne!(a, b);
        let o = owner(a.file_name().unwrap()).unwrap();
        assert_eq!(o.pid, std::process::id());
    }

    #[test]
    fn cleaning_removes_dead_writers_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("v.mp4");
        // A child that has exited (and been reaped) stands for a killed reel.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let tag = host_tag();
        let files = [
            part_path_of(&out, tag, dead, 0),
            part_path_of(&out, tag, std::process::id(), 1),
            part_path_of(&out, "ffffffff", dead, 2),
            dir.path().join("keep.part.mp4"),
        ];
        for f in &files {
            std::fs::write(f, b"x").unwrap();
        }
        let removed = clean_stray(dir.path(), false);
        assert_eq!(removed.len(), 1, "{removed:?}");
        assert_eq!(removed[0].path, files[0]);
        assert!(files[1].exists() && files[2].exists() && files[3].exists());
        let removed = clean_stray(dir.path(), true);
        assert_eq!(
            removed.len(),
            1,
            "another host's file once alone: {removed:?}"
        );
        assert!(files[1].exists() && files[3].exists());
        // A dead writer's segment directory goes with its files; a live writer's stays.
        let segs = dir.path().join("v.segments");
        let (gone, live) = (
            part_path_of(&segs, tag, dead, 3),
            part_path_of(&segs, tag, std::process::id(), 4),
        );
        for d in [&gone, &live] {
            std::fs::create_dir(d).unwrap();
            std::fs::write(d.join("part-0.mp4"), b"x").unwrap();
        }
        let removed = clean_stray(dir.path(), false);
        assert_eq!(removed.len(), 1, "{removed:?}");
        assert_eq!(removed[0].path, gone);
        assert!(!gone.exists() && live.join("part-0.mp4").exists());
    }
}
