//! The IO edge of the watch loop: a watcher thread feeding file changes, a worker thread
//! running builds, and the [`Machine`] deciding between them. Reactions are passed in as
//! closures (as mdBook's `rebuild_on_change` does), so this module knows nothing about
//! templates or ffmpeg.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::render::Cancel;

use super::classify::Plan;
use super::deps::Deps;
use super::machine::{Effect, Machine};
use super::watcher::{Changes, Watcher};

/// How often directories that did not exist are looked for again.
const RETRY_MISSING: Duration = Duration::from_millis(500);

/// What a build hands back to the loop.
#[derive(Debug, Clone, Default)]
pub struct Built {
    /// Every file the build read (normalised by the loop).
    pub deps: Deps,
    /// False when the build was cancelled or stopped before reading all of its inputs.
    pub complete: bool,
}

/// A message to the loop.
#[derive(Debug)]
enum Msg {
    /// The watcher saw changes.
    Changed(Changes),
    /// Build `id` ended.
    Done(u64, Built),
    /// Ctrl-C.
    Stop,
}

/// Ends a running [`Loop`] from another thread (the Ctrl-C handler).
#[derive(Debug, Clone)]
pub struct StopHandle(Sender<Msg>);

impl StopHandle {
    /// Cancels the build in flight and makes [`Loop::run`] return once it has wound down.
    pub fn stop(&self) {
        let _ = self.0.send(Msg::Stop);
    }
}

/// The watch loop: `update(deps) → wait → rebuild`, with the rebuild on a worker thread.
#[derive(Debug)]
pub struct Loop {
    /// For the watcher, the worker and [`StopHandle`]s.
    tx: Sender<Msg>,
    /// Everything the loop reacts to.
    rx: Receiver<Msg>,
}

impl Default for Loop {
    fn default() -> Self {
        Self::new()
    }
}

impl Loop {
    /// A loop that is not running yet.
    pub fn new() -> Loop {
        let (tx, rx) = mpsc::channel();
        Loop { tx, rx }
    }

    /// A handle that stops the loop.
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle(self.tx.clone())
    }

    /// Runs until stopped: builds everything once, then rebuilds what each change needs.
    /// `build(id, plan, cancel)` runs on a worker thread and must return promptly once
    /// `cancel` is set; `on_change` sees every batch of changes with the plan it implies.
    pub fn run<B, C>(
        self,
        poll: bool,
        initial: Deps,
        build: B,
        mut on_change: C,
    ) -> notify::Result<()>
    where
        B: FnMut(u64, &Plan, &Cancel) -> Built + Send + 'static,
        C: FnMut(&Changes, &Plan),
    {
        let tx = self.tx.clone();
        let watcher = Watcher::new(poll, move |c| {
            let _ = tx.send(Msg::Changed(c));
        })?;
        let (jobs, worker) = spawn_worker(build, self.tx.clone()).map_err(notify::Error::io)?;
        let mut edge = Edge {
            watcher,
            jobs,
            current: None,
        };
        let (mut machine, mut effects) = Machine::start(initial.normalized());
        while edge.apply(effects) {
            effects = match self.rx.recv_timeout(RETRY_MISSING) {
                Ok(Msg::Changed(changes)) => {
                    let paths = changes.paths.iter().map(|p| p.as_path());
                    on_change(&changes, &Plan::for_changes(paths, machine.deps()));
                    machine.changed(&changes.paths)
                }
                Ok(Msg::Done(id, built)) => {
                    machine.finished(id, built.deps.normalized(), built.complete)
                }
                Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => machine.stop(),
                Err(RecvTimeoutError::Timeout) => {
                    let appeared = edge.watcher.retry_missing();
                    if !appeared.is_empty() {
                        let changes = Changes {
                            paths: appeared,
                            seen: Instant::now(),
                        };
                        let _ = self.tx.send(Msg::Changed(changes));
                    }
                    Vec::new()
                }
            };
        }
        drop(edge);
        let _ = worker.join();
        Ok(())
    }
}

/// What carries out the machine's effects.
struct Edge {
    /// Follows the inputs.
    watcher: Watcher,
    /// To the worker thread.
    jobs: Sender<Job>,
    /// The build in flight and its cancel flag.
    current: Option<(u64, Cancel)>,
}

impl Edge {
    /// Carries out `effects`; false once the loop must exit.
    fn apply(&mut self, effects: Vec<Effect>) -> bool {
        for effect in effects {
            match effect {
                Effect::Start(id, plan) => {
                    let cancel = Cancel::new();
                    self.current = Some((id, cancel.clone()));
                    let _ = self.jobs.send((id, plan, cancel));
                }
                Effect::Cancel(id) => match &self.current {
                    Some((cur, cancel)) if *cur == id => cancel.cancel(),
                    _ => {}
                },
                Effect::Watch(deps) => self.watcher.update(&deps),
                Effect::Exit => return false,
            }
        }
        true
    }
}

/// A job for the worker.
type Job = (u64, Plan, Cancel);

/// Starts the worker thread that runs builds one at a time and reports each to the loop.
fn spawn_worker<B>(
    mut build: B,
    done: Sender<Msg>,
) -> std::io::Result<(Sender<Job>, JoinHandle<()>)>
where
    B: FnMut(u64, &Plan, &Cancel) -> Built + Send + 'static,
{
    let (jobs, rx) = mpsc::channel::<Job>();
    let handle = std::thread::Builder::new()
        .name("reel-watch-build".into())
        .spawn(move || {
            for (id, plan, cancel) in rx {
                let built = build(id, &plan, &cancel);
                if done.send(Msg::Done(id, built)).is_err() {
                    break;
                }
            }
        })?;
    Ok((jobs, handle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// What the fake build saw.
    #[derive(Debug)]
    enum Seen {
        Started(u64, Plan),
        Cancelled(u64),
        Finished(u64),
    }

    fn setup() -> (tempfile::TempDir, Deps) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("t.edit"), "a").unwrap();
        std::fs::write(root.join("rows.csv"), "a\n1\n").unwrap();
        let deps = Deps {
            template: [root.join("t.edit")].into(),
            data: Some(root.join("rows.csv")),
            assets: BTreeSet::new(),
            output_dir: root.join("out"),
        };
        (dir, deps)
    }

    fn next(rx: &Receiver<Seen>) -> Seen {
        rx.recv_timeout(Duration::from_secs(10))
            .expect("a build event")
    }

    /// A build that takes `slow` unless cancelled, reporting what happens.
    fn fake_build(
        deps: Deps,
        slow: Duration,
        tx: Sender<Seen>,
    ) -> impl FnMut(u64, &Plan, &Cancel) -> Built + Send + 'static {
        move |id, plan, cancel| {
            tx.send(Seen::Started(id, plan.clone())).unwrap();
            let until = Instant::now() + slow;
            while Instant::now() < until {
                if cancel.is_cancelled() {
                    tx.send(Seen::Cancelled(id)).unwrap();
                    return Built::default();
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            tx.send(Seen::Finished(id)).unwrap();
            Built {
                deps: deps.clone(),
                complete: true,
            }
        }
    }

    #[test]
    fn rebuilds_on_change_cancels_stale_builds_and_stops() {
        let (_dir, deps) = setup();
        let (tx, rx) = mpsc::channel();
        let l = Loop::new();
        let stop = l.stop_handle();
        let build = fake_build(deps.clone(), Duration::from_millis(300), tx);
        let d = deps.clone();
        let t = std::thread::spawn(move || l.run(false, d, build, |_, _| {}));
        assert!(matches!(next(&rx), Seen::Started(1, p) if p == Plan::full()));
        assert!(matches!(next(&rx), Seen::Finished(1)));
        std::fs::write(deps.data.as_ref().unwrap(), "a\n2\n").unwrap();
        let rows = Plan {
            rows: true,
            ..Plan::default()
        };
        assert!(matches!(next(&rx), Seen::Started(2, ref p) if *p == rows));
        // A newer change while build 2 runs cancels it; build 3 redoes both.
        std::fs::write(deps.template.first().unwrap(), "b").unwrap();
        assert!(matches!(next(&rx), Seen::Cancelled(2)));
        assert!(matches!(next(&rx), Seen::Started(3, p) if p == Plan::full()));
        stop.stop();
        assert!(matches!(next(&rx), Seen::Cancelled(3)));
        t.join().unwrap().unwrap();
    }

    #[test]
    fn own_outputs_never_trigger_a_build() {
        let (_dir, deps) = setup();
        let (tx, rx) = mpsc::channel();
        let l = Loop::new();
        let stop = l.stop_handle();
        let build = fake_build(deps.clone(), Duration::ZERO, tx);
        let d = deps.clone();
        let t = std::thread::spawn(move || l.run(false, d, build, |_, _| {}));
        assert!(matches!(next(&rx), Seen::Started(1, _)));
        assert!(matches!(next(&rx), Seen::Finished(1)));
        let root = deps.output_dir.parent().unwrap().to_path_buf();
        std::fs::create_dir_all(&deps.output_dir).unwrap();
        std::fs::write(deps.output_dir.join("a.mp4"), "v").unwrap();
        std::fs::write(root.join("a.mp4.part"), "v").unwrap();
        std::fs::write(root.join("notes.txt"), "v").unwrap();
        let quiet = rx.recv_timeout(Duration::from_millis(400));
        assert!(quiet.is_err(), "unexpected build: {quiet:?}");
        stop.stop();
        t.join().unwrap().unwrap();
    }
}
