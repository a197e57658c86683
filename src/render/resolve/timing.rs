//! Smart-clip timing: `start: auto`, `length: auto | end`, `alias://NAME` (SEMANTICS §11). Pure.
//!
//! Each clip's start and length are nodes of a dependency graph (an `auto` start needs the
//! previous clip of its track, an alias needs the aliased clip, `end` needs the timeline end,
//! which needs every clip that does not itself depend on the end). The graph is evaluated with
//! an explicit stack, so long `auto` chains cannot overflow the thread's stack, and every cycle,
//! unknown alias and duplicate alias is reported, not just the first.

use std::collections::{HashMap, VecDeque};
use std::fmt;

use crate::edit::{Length, Start};

/// The timing inputs of one clip, in document order.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipTiming {
    /// Track index (clips of one track are consecutive or not; order within a track counts).
    pub track: usize,
    /// `clip.start`.
    pub start: Start,
    /// `clip.length`.
    pub length: Length,
    /// `clip.alias`.
    pub alias: Option<String>,
    /// What `length: auto` means for this clip (media duration − trim, or 3 s); `None` when the
    /// media could not be read (already reported), which silently fails an `auto` length.
    pub auto_length: Option<f64>,
}

/// A resolved start and length, seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timed {
    /// Start on the timeline.
    pub start: f64,
    /// Length (> 0).
    pub length: f64,
}

/// Which timing property a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// `start`.
    Start,
    /// `length`.
    Length,
    /// `alias`.
    Alias,
}

impl Field {
    /// The JSON key.
    pub fn key(self) -> &'static str {
        match self {
            Field::Start => "start",
            Field::Length => "length",
            Field::Alias => "alias",
        }
    }
}

/// A timing problem, located at a clip (index into the input) and one of its fields.
#[derive(Debug, Clone, PartialEq)]
pub enum TimingError {
    /// Two clips claim the same alias.
    DuplicateAlias {
        /// The alias.
        name: String,
        /// The second clip.
        clip: usize,
        /// The clip that claimed it first.
        first: usize,
    },
    /// `alias://NAME` names no clip.
    UnknownAlias {
        /// The alias.
        name: String,
        /// The referring clip.
        clip: usize,
        /// Where the reference is.
        field: Field,
        /// Close existing alias, if any.
        suggestion: Option<String>,
    },
    /// Properties that depend on each other in a loop, in dependency order.
    Cycle(Vec<(usize, Field)>),
    /// A start before 0.
    NegativeStart {
        /// The clip.
        clip: usize,
        /// The resolved start.
        start: f64,
    },
    /// A length of zero or less.
    EmptyLength {
        /// The clip.
        clip: usize,
        /// The resolved length.
        length: f64,
    },
}

impl TimingError {
    /// The clip and field to label.
    pub fn at(&self) -> (usize, Field) {
        match self {
            TimingError::DuplicateAlias { clip, .. } => (*clip, Field::Alias),
            TimingError::UnknownAlias { clip, field, .. } => (*clip, *field),
            TimingError::Cycle(chain) => chain[0],
            TimingError::NegativeStart { clip, .. } => (*clip, Field::Start),
            TimingError::EmptyLength { clip, .. } => (*clip, Field::Length),
        }
    }
}

impl fmt::Display for TimingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimingError::DuplicateAlias { name, .. } => {
                write!(f, "alias `{name}` is used by two clips")
            }
            TimingError::UnknownAlias { name, .. } => {
                write!(f, "no clip has the alias `{name}`")
            }
            TimingError::Cycle(_) => write!(f, "clip timing refers to itself in a loop"),
            TimingError::NegativeStart { start, .. } => {
                write!(f, "clip starts before the timeline: `start` is {start}")
            }
            TimingError::EmptyLength { length, .. } => {
                write!(f, "clip has no duration: `length` is {length}")
            }
        }
    }
}

/// A node of the dependency graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Start(usize),
    Length(usize),
    End,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    New,
    Active,
    Done(f64),
    Failed,
}

struct Graph<'a> {
    clips: &'a [ClipTiming],
    aliases: HashMap<&'a str, usize>,
    prev: Vec<Option<usize>>,
    errors: Vec<TimingError>,
}

/// Resolves every clip's start and length. Clips whose timing could not be resolved are `None`
/// in the first vector; the errors explain each (once).
pub fn resolve_timing(clips: &[ClipTiming]) -> (Vec<Option<Timed>>, Vec<TimingError>) {
    let mut g = Graph::new(clips);
    let end_deps = g.end_dependencies();
    let mut state = vec![State::New; clips.len() * 2 + 1];
    for i in 0..clips.len() {
        for node in [Node::Start(i), Node::Length(i)] {
            g.evaluate(node, &end_deps, &mut state);
        }
    }
    let timed = (0..clips.len())
        .map(|i| match (state[2 * i], state[2 * i + 1]) {
            (State::Done(start), State::Done(length)) => g.check(i, start, length),
            _ => None,
        })
        .collect();
    (timed, g.errors)
}

impl<'a> Graph<'a> {
    fn new(clips: &'a [ClipTiming]) -> Self {
        let mut errors = Vec::new();
        let mut aliases: HashMap<&str, usize> = HashMap::new();
        for (i, c) in clips.iter().enumerate() {
            let Some(name) = c.alias.as_deref() else {
                continue;
            };
            match aliases.get(name) {
                Some(&first) => errors.push(TimingError::DuplicateAlias {
                    name: name.to_string(),
                    clip: i,
                    first,
                }),
                None => {
                    aliases.insert(name, i);
                }
            }
        }
        let mut last_on_track: HashMap<usize, usize> = HashMap::new();
        let prev = clips
            .iter()
            .enumerate()
            .map(|(i, c)| last_on_track.insert(c.track, i))
            .collect();
        let mut g = Graph {
            clips,
            aliases,
            prev,
            errors,
        };
        g.report_unknown_aliases();
        g
    }

    fn report_unknown_aliases(&mut self) {
        for (i, c) in self.clips.iter().enumerate() {
            let refs = [
                (Field::Start, start_alias(&c.start)),
                (Field::Length, length_alias(&c.length)),
            ];
            for (field, name) in refs {
                if let Some(name) = name
                    && !self.aliases.contains_key(name)
                {
                    let suggestion =
                        crate::diagnostics::suggest(name, self.aliases.keys().copied());
                    self.errors.push(TimingError::UnknownAlias {
                        name: name.to_string(),
                        clip: i,
                        field,
                        suggestion: suggestion.map(String::from),
                    });
                }
            }
        }
    }

    /// Direct dependencies of `node`, without the timeline end's own (see `end_dependencies`).
    fn deps(&self, node: Node) -> Vec<Node> {
        match node {
            Node::Start(i) => match &self.clips[i].start {
                Start::Seconds(_) => vec![],
                Start::Auto => {
                    self.prev[i].map_or(vec![], |p| vec![Node::Start(p), Node::Length(p)])
                }
                Start::Alias(n) => self
                    .aliases
                    .get(n.as_str())
                    .map_or(vec![], |&a| vec![Node::Start(a)]),
            },
            Node::Length(i) => match &self.clips[i].length {
                Length::Seconds(_) | Length::Auto => vec![],
                Length::End => vec![Node::End, Node::Start(i)],
                Length::Alias(n) => self
                    .aliases
                    .get(n.as_str())
                    .map_or(vec![], |&a| vec![Node::Length(a)]),
            },
            Node::End => vec![],
        }
    }

    /// The clips the timeline end is computed from: every clip none of whose timing depends on
    /// the end itself (so `end` clips, clips after them and aliases of them are left out).
    fn end_dependencies(&self) -> Vec<Node> {
        let n = self.clips.len();
        let mut reverse: Vec<Vec<usize>> = vec![Vec::new(); 2 * n + 1];
        for i in 0..2 * n {
            for d in self.deps(node_of(i)) {
                reverse[index_of(d, n)].push(i);
            }
        }
        let mut reaches_end = vec![false; 2 * n + 1];
        let mut queue = VecDeque::from([2 * n]);
        while let Some(k) = queue.pop_front() {
            for &r in &reverse[k] {
                if !reaches_end[r] {
                    reaches_end[r] = true;
                    queue.push_back(r);
                }
            }
        }
        (0..n)
            .filter(|&i| !reaches_end[2 * i] && !reaches_end[2 * i + 1])
            .flat_map(|i| [Node::Start(i), Node::Length(i)])
            .collect()
    }

    /// Depth-first evaluation with an explicit stack; reports each cycle once.
    fn evaluate(&mut self, root: Node, end_deps: &[Node], state: &mut [State]) {
        let n = self.clips.len();
        if state[index_of(root, n)] != State::New {
            return;
        }
        state[index_of(root, n)] = State::Active;
        let mut stack: Vec<(Node, Vec<Node>, usize)> =
            vec![(root, self.deps_or_end(root, end_deps), 0)];
        let mut in_cycle = vec![false; state.len()];
        while let Some((node, deps, k)) = stack.last_mut() {
            if let Some(&d) = deps.get(*k) {
                *k += 1;
                let di = index_of(d, n);
                match state[di] {
                    State::New => {
                        state[di] = State::Active;
                        let dd = self.deps_or_end(d, end_deps);
                        stack.push((d, dd, 0));
                    }
                    State::Active => self.report_cycle(d, &stack, &mut in_cycle),
                    State::Done(_) | State::Failed => {}
                }
                continue;
            }
            let (node, deps) = (*node, std::mem::take(deps));
            stack.pop();
            let ni = index_of(node, n);
            let failed =
                in_cycle[ni] || deps.iter().any(|&d| state[index_of(d, n)] == State::Failed);
            state[ni] = match failed {
                true => State::Failed,
                false => self
                    .value(node, end_deps, state)
                    .map_or(State::Failed, State::Done),
            };
        }
    }

    fn deps_or_end(&self, node: Node, end_deps: &[Node]) -> Vec<Node> {
        match node {
            Node::End => end_deps.to_vec(),
            _ => self.deps(node),
        }
    }

    fn report_cycle(
        &mut self,
        to: Node,
        stack: &[(Node, Vec<Node>, usize)],
        in_cycle: &mut [bool],
    ) {
        let n = self.clips.len();
        let from = stack.iter().position(|(s, _, _)| *s == to).unwrap_or(0);
        let chain: Vec<(usize, Field)> = stack[from..]
            .iter()
            .filter_map(|(node, _, _)| match *node {
                Node::Start(i) => Some((i, Field::Start)),
                Node::Length(i) => Some((i, Field::Length)),
                Node::End => None,
            })
            .collect();
        let fresh = stack[from..]
            .iter()
            .all(|(s, _, _)| !in_cycle[index_of(*s, n)]);
        for (s, _, _) in &stack[from..] {
            in_cycle[index_of(*s, n)] = true;
        }
        if fresh && !chain.is_empty() {
            self.errors.push(TimingError::Cycle(chain));
        }
    }

    /// The value of `node` once its dependencies are done; `None` if it cannot be known.
    fn value(&self, node: Node, end_deps: &[Node], state: &[State]) -> Option<f64> {
        let n = self.clips.len();
        let get = |d: Node| match state[index_of(d, n)] {
            State::Done(v) => Some(v),
            _ => None,
        };
        match node {
            Node::Start(i) => match &self.clips[i].start {
                Start::Seconds(s) => Some(*s),
                Start::Auto => match self.prev[i] {
                    Some(p) => Some(get(Node::Start(p))? + get(Node::Length(p))?),
                    None => Some(0.0),
                },
                Start::Alias(a) => get(Node::Start(*self.aliases.get(a.as_str())?)),
            },
            Node::Length(i) => match &self.clips[i].length {
                Length::Seconds(s) => Some(*s),
                Length::Auto => self.clips[i].auto_length,
                Length::End => Some(get(Node::End)? - get(Node::Start(i))?),
                Length::Alias(a) => get(Node::Length(*self.aliases.get(a.as_str())?)),
            },
            Node::End => end_deps
                .chunks(2)
                .map(|pair| Some(get(pair[0])? + get(pair[1])?))
                .try_fold(0.0f64, |acc, end| Some(acc.max(end?))),
        }
    }

    fn check(&mut self, clip: usize, start: f64, length: f64) -> Option<Timed> {
        if start < 0.0 {
            self.errors.push(TimingError::NegativeStart { clip, start });
            return None;
        }
        if length <= 0.0 {
            self.errors.push(TimingError::EmptyLength { clip, length });
            return None;
        }
        Some(Timed { start, length })
    }
}

fn start_alias(s: &Start) -> Option<&str> {
    match s {
        Start::Alias(n) => Some(n),
        _ => None,
    }
}

fn length_alias(l: &Length) -> Option<&str> {
    match l {
        Length::Alias(n) => Some(n),
        _ => None,
    }
}

fn index_of(node: Node, n: usize) -> usize {
    match node {
        Node::Start(i) => 2 * i,
        Node::Length(i) => 2 * i + 1,
        Node::End => 2 * n,
    }
}

fn node_of(k: usize) -> Node {
    match k % 2 {
        0 => Node::Start(k / 2),
        _ => Node::Length(k / 2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clip(track: usize, start: Start, length: Length) -> ClipTiming {
        ClipTiming {
            track,
            start,
            length,
            alias: None,
            auto_length: Some(3.0),
        }
    }

    fn aliased(mut c: ClipTiming, name: &str) -> ClipTiming {
        c.alias = Some(name.into());
        c
    }

    fn times(clips: &[ClipTiming]) -> Vec<(f64, f64)> {
        let (timed, errors) = resolve_timing(clips);
        assert_eq!(errors, vec![]);
        timed
            .into_iter()
            .map(|t| t.map(|t| (t.start, t.length)).unwrap())
            .collect()
    }

    #[test]
    fn auto_start_follows_previous_clip_on_the_same_track() {
        let clips = [
            clip(0, Start::Auto, Length::Seconds(2.0)),
            clip(1, Start::Seconds(1.0), Length::Seconds(5.0)),
            clip(0, Start::Auto, Length::Auto),
            clip(0, Start::Auto, Length::Seconds(1.0)),
        ];
        assert_eq!(
            times(&clips),
            vec![(0.0, 2.0), (1.0, 5.0), (2.0, 3.0), (5.0, 1.0)]
        );
    }

    #[test]
    fn auto_length_uses_media_length() {
        let mut c = clip(0, Start::Seconds(0.5), Length::Auto);
        c.auto_length = Some(7.25);
        assert_eq!(times(&[c]), vec![(0.5, 7.25)]);
    }

    #[test]
    fn end_runs_to_the_end_of_the_other_clips() {
        let clips = [
            clip(0, Start::Seconds(1.0), Length::End),
            clip(1, Start::Seconds(0.0), Length::Seconds(4.0)),
            clip(2, Start::Seconds(2.0), Length::Seconds(4.0)),
            // After an `end` clip: depends on the end, so it does not extend it.
            clip(0, Start::Auto, Length::Seconds(1.0)),
        ];
        assert_eq!(
            times(&clips),
            vec![(1.0, 5.0), (0.0, 4.0), (2.0, 4.0), (6.0, 1.0)]
        );
    }

    #[test]
    fn aliases_copy_start_and_length_in_any_order() {
        let clips = [
            clip(0, Start::Alias("bg".into()), Length::Alias("bg".into())),
            aliased(
                clip(1, Start::Alias("v".into()), Length::Seconds(4.0)),
                "bg",
            ),
            aliased(clip(2, Start::Seconds(1.5), Length::Auto), "v"),
            clip(3, Start::Seconds(0.0), Length::Alias("v".into())),
        ];
        assert_eq!(
            times(&clips),
            vec![(1.5, 4.0), (1.5, 4.0), (1.5, 3.0), (0.0, 3.0)]
        );
    }

    #[test]
    fn alias_to_an_end_clip_is_an_end_clip() {
        let clips = [
            aliased(clip(0, Start::Seconds(0.0), Length::End), "all"),
            clip(1, Start::Seconds(0.0), Length::Alias("all".into())),
            clip(2, Start::Seconds(0.0), Length::Seconds(6.0)),
        ];
        assert_eq!(times(&clips), vec![(0.0, 6.0), (0.0, 6.0), (0.0, 6.0)]);
    }

    #[test]
    fn cycles_unknown_and_duplicate_aliases_are_all_reported() {
        let clips = [
            aliased(clip(0, Start::Alias("b".into()), Length::Seconds(1.0)), "a"),
            aliased(clip(1, Start::Alias("a".into()), Length::Seconds(1.0)), "b"),
            aliased(
                clip(2, Start::Seconds(0.0), Length::Alias("nope".into())),
                "a",
            ),
            clip(3, Start::Seconds(0.0), Length::Seconds(1.0)),
        ];
        let (timed, errors) = resolve_timing(&clips);
        assert_eq!(timed.iter().filter(|t| t.is_none()).count(), 3);
        assert_eq!(
            timed[3],
            Some(Timed {
                start: 0.0,
                length: 1.0
            })
        );
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(
            matches!(&errors[0], TimingError::DuplicateAlias { name, clip: 2, first: 0 } if name == "a")
        );
        assert!(matches!(
            &errors[1],
            TimingError::UnknownAlias {
                clip: 2,
                field: Field::Length,
                ..
            }
        ));
        assert_eq!(
            errors[2],
            TimingError::Cycle(vec![(0, Field::Start), (1, Field::Start)])
        );
    }

    #[test]
    fn self_alias_is_a_cycle() {
        let clips = [aliased(
            clip(0, Start::Seconds(0.0), Length::Alias("me".into())),
            "me",
        )];
        let (_, errors) = resolve_timing(&clips);
        assert_eq!(errors, vec![TimingError::Cycle(vec![(0, Field::Length)])]);
    }

    #[test]
    fn negative_and_empty_times_are_errors() {
        let clips = [
            clip(0, Start::Seconds(-1.0), Length::Seconds(1.0)),
            clip(1, Start::Seconds(0.0), Length::Seconds(0.0)),
            clip(2, Start::Seconds(0.0), Length::End),
        ];
        let (_, errors) = resolve_timing(&clips);
        assert!(matches!(
            errors[0],
            TimingError::NegativeStart { clip: 0, .. }
        ));
        assert!(matches!(
            errors[1],
            TimingError::EmptyLength { clip: 1, .. }
        ));
        // The end is max(-1 + 1, 0 + 0) = 0, so the `end` clip is empty too.
        assert!(matches!(
            errors[2],
            TimingError::EmptyLength { clip: 2, .. }
        ));
    }

    #[test]
    fn long_auto_chains_do_not_overflow() {
        let clips: Vec<_> = (0..50_000)
            .map(|_| clip(0, Start::Auto, Length::Seconds(0.5)))
            .collect();
        let (timed, errors) = resolve_timing(&clips);
        assert!(errors.is_empty());
        assert_eq!(timed[49_999].unwrap().start, 24_999.5);
    }

    #[test]
    fn unknown_media_length_fails_silently() {
        let mut c = clip(0, Start::Seconds(0.0), Length::Auto);
        c.auto_length = None;
        let (timed, errors) = resolve_timing(&[c]);
        assert_eq!((timed, errors), (vec![None], vec![]));
    }
}
