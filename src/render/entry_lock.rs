//! One maker per cache entry: a lock per entry inside the process and a file lock across
//! processes (shards sharing a cache), both given up when the run is cancelled. Downloads and
//! shared bases use it, so two rows or two shards asking for the same entry make it once.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, TryLockError};
use std::time::{Duration, SystemTime};

use super::Cancel;

/// How often a waiting maker looks at the cancel flag.
const POLL: Duration = Duration::from_millis(50);

/// Runs `work` as the only maker of the cache entry `entry`, in this process and across
/// processes (`lock_file` is that entry's lock file, kept beside the cache). Waits while
/// another thread or process holds it; returns `on_cancel()` when `cancel` is set meanwhile.
/// Without a usable lock file (a read-only cache) only threads are kept apart: then two
/// processes may both make the entry, each renaming a complete file into place.
pub fn exclusively<T, E>(
    entry: &Path,
    lock_file: &Path,
    cancel: &Cancel,
    on_cancel: impl Fn() -> E,
    work: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    let slot = in_flight(entry);
    let _thread = lock_slot(&slot, cancel).ok_or_else(&on_cancel)?;
    // Released on exit, even on kill -9.
    let _process = lock_across_processes(lock_file, cancel).ok_or_else(&on_cancel)?;
    work()
}

/// Marks a cache file as just used: eviction goes by modification time.
pub fn mark_used(path: &Path) {
    let _ = fs::File::options()
        .append(true)
        .open(path)
        .and_then(|f| f.set_modified(SystemTime::now()));
}

/// The in-process lock of one entry.
fn in_flight(path: &Path) -> Arc<Mutex<()>> {
    static SLOTS: OnceLock<Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>> = OnceLock::new();
    let mut slots = SLOTS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // Slots nobody holds are dropped, so the table stays as small as the work running.
    slots.retain(|_, slot| Arc::strong_count(slot) > 1);
    slots.entry(path.to_owned()).or_default().clone()
}

/// Takes `slot`; `None` when `cancel` is set while another thread holds it.
fn lock_slot<'a>(slot: &'a Mutex<()>, cancel: &Cancel) -> Option<std::sync::MutexGuard<'a, ()>> {
    loop {
        match slot.try_lock() {
            Ok(guard) => return Some(guard),
            Err(TryLockError::Poisoned(p)) => return Some(p.into_inner()),
            Err(TryLockError::WouldBlock) if cancel.is_cancelled() => return None,
            Err(TryLockError::WouldBlock) => std::thread::sleep(POLL),
        }
    }
}

/// Takes the file lock at `lock`: `Some(None)` when no lock file can be made, `None` when
/// `cancel` is set while another process holds it.
fn lock_across_processes(lock: &Path, cancel: &Cancel) -> Option<Option<fs::File>> {
    let open = || {
        if let Some(dir) = lock.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(lock)
    };
    let Ok(file) = open() else {
        return Some(None);
    };
    loop {
        match file.try_lock() {
            Ok(()) => return Some(Some(file)),
            Err(fs::TryLockError::WouldBlock) if cancel.is_cancelled() => return None,
            Err(fs::TryLockError::WouldBlock) => std::thread::sleep(POLL),
            Err(fs::TryLockError::Error(_)) => return Some(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiting_maker_gives_up_when_cancelled() {
        let dir = tempfile::tempdir().unwrap();
        let (entry, lock) = (dir.path().join("e"), dir.path().join("locks/e.lock"));
        let cancel = Cancel::new();
        let inner = exclusively(
            &entry,
            &lock,
            &cancel,
            || "cancelled",
            || {
                let waiting = Cancel::new();
                waiting.cancel();
                // Same entry, same process: it is held, and the waiter is cancelled.
                exclusively(&entry, &lock, &waiting, || "cancelled", || Ok("made twice"))
            },
        );
        assert_eq!(inner, Err("cancelled"));
        // Released afterwards.
        assert_eq!(
            exclusively(&entry, &lock, &cancel, || "cancelled", || Ok::<_, &str>(1)),
            Ok(1)
        );
    }
}
