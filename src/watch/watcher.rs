//! The file watcher: notify + notify-debouncer-full over the *parent directories* of the
//! inputs, so editors that save by writing a temporary file and renaming it over the original,
//! and files deleted and created again, are followed. `--poll` swaps in notify's
//! `PollWatcher` for filesystems without change notifications.
//!
//! Mark and sweep as in typst-kit's watcher: [`Watcher::update`] watches directories that are
//! new, unwatches those no longer needed, and remembers directories that do not exist yet so
//! [`Watcher::retry_missing`] can pick them up when they appear.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use notify_debouncer_full::notify::{
    self, EventKind, PollWatcher, RecommendedWatcher, RecursiveMode,
    event::{AccessKind, AccessMode},
};
use notify_debouncer_full::{
    DebounceEventResult, Debouncer, NoCache, RecommendedCache, new_debouncer_opt,
};

use super::deps::Deps;

/// How long the debouncer waits for a burst of events (an editor's save) to settle.
pub const DEBOUNCE: Duration = Duration::from_millis(30);
/// How often the debouncer checks for settled events.
const TICK: Duration = Duration::from_millis(5);
/// How often `--poll` scans the watched directories.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// A batch of changed paths and when the first of them was seen.
#[derive(Debug, Clone)]
pub struct Changes {
    /// Paths of files created, modified, removed or renamed (both names of a rename).
    pub paths: Vec<PathBuf>,
    /// When the OS (or the poller) first reported one of them.
    pub seen: Instant,
}

/// The notify back end in use.
enum Backend {
    /// OS notifications (inotify, FSEvents, ReadDirectoryChangesW).
    Native(Debouncer<RecommendedWatcher, RecommendedCache>),
    /// `--poll`.
    Poll(Debouncer<PollWatcher, NoCache>),
}

/// Watches the parent directories of a dependency set and reports changed paths.
pub struct Watcher {
    /// The debounced notify watcher.
    backend: Backend,
    /// Directories watched now.
    watched: BTreeSet<PathBuf>,
    /// Directories wanted that do not exist (yet).
    missing: BTreeSet<PathBuf>,
    /// The files of the current dependency set.
    files: BTreeSet<PathBuf>,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher")
            .field("watched", &self.watched)
            .field("missing", &self.missing)
            .finish_non_exhaustive()
    }
}

impl Watcher {
    /// Starts a watcher (OS notifications, or polling with `poll`) that calls `on_change`
    /// from its own thread with each debounced batch of changes.
    pub fn new(
        poll: bool,
        on_change: impl Fn(Changes) + Send + 'static,
    ) -> notify::Result<Watcher> {
        let handler = move |result: DebounceEventResult| {
            if let Some(changes) = changes_of(result) {
                on_change(changes);
            }
        };
        let backend = if poll {
            // The poller compares mtimes in whole seconds: hash contents too, or a second save
            // within the same second would be missed. This reads every file in the watched
            // directories on each scan, the price of `--poll`.
            let config = notify::Config::default()
                .with_poll_interval(POLL_INTERVAL)
                .with_compare_contents(true);
            Backend::Poll(new_debouncer_opt(
                DEBOUNCE,
                Some(TICK),
                handler,
                NoCache,
                config,
            )?)
        } else {
            Backend::Native(new_debouncer_opt(
                DEBOUNCE,
                Some(TICK),
                handler,
                RecommendedCache::new(),
                notify::Config::default(),
            )?)
        };
        Ok(Watcher {
            backend,
            watched: BTreeSet::new(),
            missing: BTreeSet::new(),
            files: BTreeSet::new(),
        })
    }

    /// Watches exactly the directories `deps` needs: marks new ones, sweeps old ones.
    pub fn update(&mut self, deps: &Deps) {
        let wanted = deps.directories();
        let stale: Vec<PathBuf> = self.watched.difference(&wanted).cloned().collect();
        for dir in stale {
            let _ = self.unwatch(&dir);
            self.watched.remove(&dir);
        }
        self.missing.retain(|d| wanted.contains(d));
        for dir in wanted {
            if !self.watched.contains(&dir) && self.watch(&dir).is_err() {
                self.missing.insert(dir);
            }
        }
        self.files = deps.files().map(PathBuf::from).collect();
    }

    /// Tries again to watch directories that did not exist. Returns the watched files inside
    /// the ones that now exist (they appeared without an event we could see).
    pub fn retry_missing(&mut self) -> Vec<PathBuf> {
        let found: Vec<PathBuf> = self
            .missing
            .iter()
            .filter(|d| d.is_dir())
            .cloned()
            .collect();
        let mut appeared = Vec::new();
        for dir in found {
            if self.watch(&dir).is_ok() {
                self.missing.remove(&dir);
                let inside = self.files.iter().filter(|f| f.parent() == Some(&dir));
                appeared.extend(inside.filter(|f| f.exists()).cloned());
            }
        }
        appeared
    }

    fn watch(&mut self, dir: &PathBuf) -> notify::Result<()> {
        match &mut self.backend {
            Backend::Native(d) => d.watch(dir, RecursiveMode::NonRecursive)?,
            Backend::Poll(d) => d.watch(dir, RecursiveMode::NonRecursive)?,
        }
        self.watched.insert(dir.clone());
        Ok(())
    }

    fn unwatch(&mut self, dir: &PathBuf) -> notify::Result<()> {
        match &mut self.backend {
            Backend::Native(d) => d.unwatch(dir),
            Backend::Poll(d) => d.unwatch(dir),
        }
    }
}

/// The changed paths of one debounced batch; `None` for errors and for events that are only
/// reads (opening a file, closing it unchanged).
fn changes_of(result: DebounceEventResult) -> Option<Changes> {
    let events = result.ok()?;
    let mut paths = Vec::new();
    let mut seen: Option<Instant> = None;
    for ev in events {
        if !is_write(&ev.event.kind) {
            continue;
        }
        seen = Some(seen.map_or(ev.time, |s| s.min(ev.time)));
        paths.extend(ev.event.paths.iter().cloned());
    }
    Some(Changes { paths, seen: seen? })
}

/// Whether an event can mean a file's contents changed.
fn is_write(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn deps_for(files: &[PathBuf], out: PathBuf) -> Deps {
        Deps {
            template: files.iter().cloned().collect(),
            output_dir: out,
            ..Deps::default()
        }
        .normalized()
    }

    /// Waits for a batch that mentions `want`.
    fn wait_for(rx: &mpsc::Receiver<Changes>, want: &std::path::Path) -> bool {
        let until = Instant::now() + Duration::from_secs(10);
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(c) if c.paths.iter().any(|p| p == want) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
        false
    }

    fn follows_rename_and_recreation(poll: bool) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.edit");
        std::fs::write(&file, "a").unwrap();
        let deps = deps_for(std::slice::from_ref(&file), dir.path().join("out"));
        let file = deps.template.first().unwrap().clone();
        let (tx, rx) = mpsc::channel();
        let mut w = Watcher::new(poll, move |c| tx.send(c).unwrap()).unwrap();
        w.update(&deps);
        // An editor's save: write a temporary file, rename it over the original.
        let tmp = file.with_extension("tmp");
        std::fs::write(&tmp, "bb").unwrap();
        std::fs::rename(&tmp, &file).unwrap();
        assert!(wait_for(&rx, &file), "rename over the file not seen");
        std::fs::remove_file(&file).unwrap();
        assert!(wait_for(&rx, &file), "deletion not seen");
        std::fs::write(&file, "ccc").unwrap();
        assert!(wait_for(&rx, &file), "recreation not seen");
    }

    #[test]
    fn native_watcher_follows_rename_and_recreation() {
        follows_rename_and_recreation(false);
    }

    #[test]
    fn poll_watcher_follows_rename_and_recreation() {
        follows_rename_and_recreation(true);
    }

    #[test]
    fn sweeps_directories_no_longer_needed_and_retries_missing_ones() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let later = root.join("later");
        let file = later.join("inc.edit");
        let mut w = Watcher::new(false, |_| {}).unwrap();
        w.update(&deps_for(
            &[root.join("a.edit"), file.clone()],
            root.join("out"),
        ));
        assert!(w.watched.contains(&root) && w.missing.contains(&later));
        assert_eq!(w.retry_missing(), Vec::<PathBuf>::new());
        std::fs::create_dir(&later).unwrap();
        std::fs::write(&file, "x").unwrap();
        assert_eq!(w.retry_missing(), std::slice::from_ref(&file));
        w.update(&deps_for(&[file], root.join("out")));
        assert!(!w.watched.contains(&root) && w.watched.contains(&later));
    }
}
