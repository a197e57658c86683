//! The watch loop's state machine, pure: it is fed file changes, finished builds and a stop
//! request, and answers with effects for the IO edge ([`super::runner`]) to carry out.
//!
//! One build runs at a time. A change that arrives while a build runs cancels it; the
//! cancelled build's work and the new change are merged and started as soon as the cancelled
//! build has wound down (its ffmpeg killed, `.part` removed).

use std::path::PathBuf;

use super::classify::Plan;
use super::deps::Deps;

/// Something the IO edge must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Start build `id` with this plan on the worker.
    Start(u64, Plan),
    /// Cancel build `id` (it will still report [`Machine::finished`]).
    Cancel(u64),
    /// Watch exactly these inputs from now on.
    Watch(Deps),
    /// Leave the loop.
    Exit,
}

/// The build in flight.
#[derive(Debug)]
struct Running {
    /// Its number.
    id: u64,
    /// What it was asked to do (redone if it is cancelled).
    plan: Plan,
    /// Whether a cancel was already sent.
    cancelled: bool,
}

/// State of the watch loop.
#[derive(Debug, Default)]
pub struct Machine {
    /// The inputs watched now (what the last complete build read).
    deps: Deps,
    /// The build in flight, if any.
    running: Option<Running>,
    /// Work asked for since the running build started.
    pending: Plan,
    /// The last build number handed out.
    next_id: u64,
    /// Ctrl-C seen: exit once the running build has wound down.
    stopping: bool,
}

impl Machine {
    /// A machine watching `deps` (initially just the inputs named on the command line), and
    /// the effects that start the first, full build.
    pub fn start(deps: Deps) -> (Machine, Vec<Effect>) {
        let mut m = Machine {
            deps: deps.clone(),
            ..Machine::default()
        };
        let start = m.launch(Plan::full());
        (m, vec![Effect::Watch(deps), start])
    }

    /// The inputs currently watched.
    pub fn deps(&self) -> &Deps {
        &self.deps
    }

    /// Files changed on disk.
    pub fn changed(&mut self, paths: &[PathBuf]) -> Vec<Effect> {
        let plan = Plan::for_changes(paths.iter().map(PathBuf::as_path), &self.deps);
        if plan.is_empty() || self.stopping {
            return Vec::new();
        }
        self.pending.merge(plan);
        match &mut self.running {
            Some(r) if !r.cancelled => {
                r.cancelled = true;
                vec![Effect::Cancel(r.id)]
            }
            Some(_) => Vec::new(),
            None => vec![self.launch_pending()],
        }
    }

    /// Build `id` ended. `deps` is what it read; `complete` is false when it was cancelled
    /// before reading everything (then the previous inputs stay watched too and its work is
    /// redone).
    pub fn finished(&mut self, id: u64, deps: Deps, complete: bool) -> Vec<Effect> {
        let Some(running) = self.running.take_if(|r| r.id == id) else {
            return Vec::new();
        };
        let mut deps = deps;
        if !complete {
            deps.extend(&self.deps);
            self.pending.merge(running.plan);
        }
        let mut effects = Vec::new();
        if deps != self.deps {
            self.deps = deps;
            effects.push(Effect::Watch(self.deps.clone()));
        }
        if self.stopping {
            effects.push(Effect::Exit);
        } else if !self.pending.is_empty() {
            effects.push(self.launch_pending());
        }
        effects
    }

    /// Ctrl-C: cancel the build in flight and exit once it has wound down.
    pub fn stop(&mut self) -> Vec<Effect> {
        self.stopping = true;
        match &mut self.running {
            Some(r) => {
                r.cancelled = true;
                vec![Effect::Cancel(r.id)]
            }
            None => vec![Effect::Exit],
        }
    }

    fn launch_pending(&mut self) -> Effect {
        let plan = std::mem::take(&mut self.pending);
        self.launch(plan)
    }

    fn launch(&mut self, plan: Plan) -> Effect {
        self.next_id += 1;
        self.running = Some(Running {
            id: self.next_id,
            plan: plan.clone(),
            cancelled: false,
        });
        Effect::Start(self.next_id, plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deps() -> Deps {
        Deps {
            template: [PathBuf::from("/p/t.edit")].into(),
            data: Some(PathBuf::from("/p/rows.csv")),
            assets: [PathBuf::from("/p/logo.png")].into(),
            output_dir: PathBuf::from("/p/out"),
        }
    }

    fn rows_plan() -> Plan {
        Plan {
            rows: true,
            ..Plan::default()
        }
    }

    fn paths(v: &[&str]) -> Vec<PathBuf> {
        v.iter().map(PathBuf::from).collect()
    }

    #[test]
    fn starts_with_a_full_build_and_idles_after_it() {
        let (mut m, fx) = Machine::start(deps());
        assert_eq!(fx, [Effect::Watch(deps()), Effect::Start(1, Plan::full())]);
        assert_eq!(m.finished(1, deps(), true), []);
        assert_eq!(m.changed(&paths(&["/p/out/a.mp4", "/p/notes.txt"])), []);
    }

    #[test]
    fn a_change_while_idle_starts_a_build_for_it() {
        let (mut m, _) = Machine::start(deps());
        m.finished(1, deps(), true);
        assert_eq!(
            m.changed(&paths(&["/p/rows.csv"])),
            [Effect::Start(2, rows_plan())]
        );
    }

    #[test]
    fn a_change_during_a_build_cancels_it_then_redoes_both() {
        let (mut m, _) = Machine::start(deps());
        m.finished(1, deps(), true);
        m.changed(&paths(&["/p/logo.png"]));
        assert_eq!(m.changed(&paths(&["/p/rows.csv"])), [Effect::Cancel(2)]);
        // A third change while the cancel is under way asks for nothing more yet.
        assert_eq!(m.changed(&paths(&["/p/rows.csv"])), []);
        let fx = m.finished(2, deps(), false);
        let mut want = rows_plan();
        want.assets.insert(PathBuf::from("/p/logo.png"));
        assert_eq!(fx, [Effect::Start(3, want)]);
    }

    #[test]
    fn new_inputs_are_watched_after_a_complete_build() {
        let (mut m, _) = Machine::start(deps());
        let mut more = deps();
        more.assets.insert(PathBuf::from("/p/font.ttf"));
        more.assets.remove(&PathBuf::from("/p/logo.png"));
        assert_eq!(m.finished(1, more.clone(), true), [Effect::Watch(more)]);
        // The dropped asset no longer triggers anything (sweep).
        assert_eq!(m.changed(&paths(&["/p/logo.png"])), []);
    }

    #[test]
    fn an_incomplete_build_keeps_the_old_inputs_watched() {
        let (mut m, _) = Machine::start(deps());
        let partial = Deps {
            template: [PathBuf::from("/p/t.edit")].into(),
            output_dir: PathBuf::from("/p/out"),
            ..Deps::default()
        };
        let fx = m.finished(1, partial, false);
        assert_eq!(fx, [Effect::Start(2, Plan::full())]);
        assert_eq!(m.deps(), &deps());
    }

    #[test]
    fn stop_cancels_the_running_build_and_exits_after_it() {
        let (mut m, _) = Machine::start(deps());
        assert_eq!(m.stop(), [Effect::Cancel(1)]);
        assert_eq!(m.changed(&paths(&["/p/t.edit"])), []);
        assert_eq!(m.finished(1, deps(), false), [Effect::Exit]);
    }

    #[test]
    fn stop_while_idle_exits_now_and_stale_reports_are_ignored() {
        let (mut m, _) = Machine::start(deps());
        assert_eq!(m.finished(7, deps(), true), []);
        m.finished(1, deps(), true);
        assert_eq!(m.stop(), [Effect::Exit]);
    }
}
