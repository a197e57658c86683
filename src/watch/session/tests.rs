//! Session tests with a fake pipeline: rows are `(name, value, asset)`, "rendering" writes the
//! value to the output file and reads the asset.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::*;
use crate::batch::{self, JobProgress, RowSet};
use crate::diagnostics::{SourceResult, Span, Warned};

type Rows = Arc<Mutex<Vec<(String, String, PathBuf)>>>;

struct Fake {
    rows: Rows,
    template: PathBuf,
    sources: SourceMap,
}

impl Fake {
    fn new(rows: Rows, template: PathBuf) -> Fake {
        let sources = SourceMap::new();
        sources.add("rows.csv", "name,value\nx,bad\n");
        Fake {
            rows,
            template,
            sources,
        }
    }
}

impl Source for Fake {
    type Row = (String, String, PathBuf);
    type Job = (String, PathBuf);

    fn rows(
        &self,
    ) -> SourceResult<Box<dyn Iterator<Item = (usize, Result<Self::Row, Diagnostic>)> + '_>> {
        let rows = self.rows.lock().unwrap().clone();
        Ok(Box::new(rows.into_iter().map(Ok).enumerate()))
    }

    fn build(&self, row: &Self::Row) -> Warned<SourceResult<batch::Built<Self::Job>>> {
        let (name, value, asset) = row.clone();
        if value == "bad" {
            let file = crate::diagnostics::FileId(0);
            let d = Diagnostic::error("bad value").with_label(Span::new(file, 13..16), "here");
            return Warned::new(Err(vec![d]));
        }
        Warned::new(Ok(batch::Built {
            name: Some(name),
            extension: "mp4",
            edit_hash: blake3::hash(value.as_bytes()),
            job: (value, asset),
        }))
    }

    fn render(
        &self,
        job: Self::Job,
        output: &Path,
        _progress: &mut dyn FnMut(JobProgress),
        cancel: &Cancel,
    ) -> Warned<SourceResult<batch::Rendered>> {
        if cancel.is_cancelled() {
            return Warned::new(Err(vec![Diagnostic::error("cancelled")]));
        }
        std::fs::write(output, &job.0).unwrap();
        Warned::new(Ok(batch::Rendered {
            files_read: vec![job.1],
        }))
    }
}

impl Project for Fake {
    fn inputs(&self) -> Inputs {
        Inputs {
            template: vec![self.template.clone()],
            data: None,
        }
    }

    fn sources(&self) -> &SourceMap {
        &self.sources
    }

    fn template_hash(&self) -> blake3::Hash {
        blake3::hash(&std::fs::read(&self.template).unwrap_or_default())
    }

    fn row_values(&self, row: &Self::Row) -> Vec<(String, String)> {
        vec![
            ("name".into(), row.0.clone()),
            ("value".into(), row.1.clone()),
        ]
    }
}

struct World {
    _dir: tempfile::TempDir,
    root: PathBuf,
    rows: Rows,
    broken: Arc<Mutex<bool>>,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir(root.join("out")).unwrap();
    std::fs::write(root.join("t.edit"), "template").unwrap();
    let mut rows = Vec::new();
    for (name, value) in [("a", "1"), ("b", "2"), ("c", "3")] {
        let asset = root.join(format!("{name}.png"));
        std::fs::write(&asset, name).unwrap();
        rows.push((name.to_string(), value.to_string(), asset));
    }
    World {
        _dir: dir,
        root,
        rows: Arc::new(Mutex::new(rows)),
        broken: Arc::new(Mutex::new(false)),
    }
}

/// What the session reported: rendered file names and status lines.
type Events = Arc<Mutex<Vec<String>>>;

/// A session over the fake, and what it reports.
type Fixture = (
    Session<Fake, Box<dyn FnMut() -> Result<Fake, LoadFailure>>, Box<dyn FnMut(Event<'_>)>>,
    Events,
);

fn session(w: &World, rows: Option<&str>) -> Fixture {
    session_with(w, rows, None)
}

fn session_with(w: &World, rows: Option<&str>, gallery: Option<Arc<Mutex<Gallery>>>) -> Fixture {
    let settings = Settings {
        out_dir: w.root.join("out"),
        selection: Selection {
            rows: rows.map(|r| RowSet::parse(r).unwrap()),
            shard: None,
        },
        settings: blake3::hash(b"preview"),
        jobs: 1,
        facts: Default::default(),
    };
    let (data, broken, template) = (w.rows.clone(), w.broken.clone(), w.root.join("t.edit"));
    let load = move || {
        if *broken.lock().unwrap() {
            let sources = SourceMap::new();
            let file = sources.add("t.edit", "line one\ntrack {{\n");
            let d = Diagnostic::error("unexpected `{`").with_label(Span::new(file, 16..17), "");
            return Err(LoadFailure {
                diagnostics: vec![d],
                sources: Arc::new(sources),
                inputs: Inputs {
                    template: vec![template.clone()],
                    data: None,
                },
            });
        }
        Ok(Fake::new(data.clone(), template.clone()))
    };
    let log: Events = Arc::default();
    let l = log.clone();
    let on_event = move |e: Event<'_>| match e {
        Event::Rendered { path, .. } => {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            l.lock().unwrap().push(name);
        }
        Event::Finished(o) => l.lock().unwrap().push(status_text(o)),
        _ => {}
    };
    let load: Box<dyn FnMut() -> Result<Fake, LoadFailure>> = Box::new(load);
    let on_event: Box<dyn FnMut(Event<'_>)> = Box::new(on_event);
    (Session::new(settings, load, on_event, gallery), log)
}

fn rows_plan() -> Plan {
    Plan {
        rows: true,
        ..Plan::default()
    }
}

/// Names rendered since the last call, and the status (without its duration).
fn take(log: &Events) -> (Vec<String>, String) {
    let mut all: Vec<String> = log.lock().unwrap().drain(..).collect();
    let status = all.pop().unwrap();
    let status = match status.rsplit_once(" in ") {
        Some((head, secs)) if secs.ends_with(" s") => head.to_string(),
        _ => status,
    };
    (all, status)
}

#[test]
fn renders_selected_rows_once_then_only_what_changed() {
    let w = world();
    let (mut s, log) = session(&w, Some("1-2"));
    let built = s.build(&Plan::full(), &Cancel::new());
    assert_eq!(
        take(&log),
        (
            vec!["a.mp4".into(), "b.mp4".into()],
            "2 rows rendered".into()
        )
    );
    assert!(built.complete);
    let assets: Vec<_> = built.deps.assets.iter().cloned().collect();
    assert_eq!(assets, [w.root.join("a.png"), w.root.join("b.png")]);
    s.build(&rows_plan(), &Cancel::new());
    assert_eq!(take(&log), (vec![], "up to date".into()));
    w.rows.lock().unwrap()[1].1 = "22".into();
    w.rows.lock().unwrap()[2].1 = "33".into(); // not selected
    s.build(&rows_plan(), &Cancel::new());
    assert_eq!(
        take(&log),
        (vec!["b.mp4".into()], "1 row re-rendered".into())
    );
    assert_eq!(
        std::fs::read_to_string(w.root.join("out/b.mp4")).unwrap(),
        "22"
    );
}

#[test]
fn a_saved_asset_rerenders_only_its_rows() {
    let w = world();
    let (mut s, log) = session(&w, None);
    s.build(&Plan::full(), &Cancel::new());
    take(&log);
    let plan = Plan {
        assets: [w.root.join("c.png")].into(),
        ..Plan::default()
    };
    s.build(&plan, &Cancel::new());
    assert_eq!(
        take(&log),
        (vec!["c.mp4".into()], "1 row re-rendered".into())
    );
}

#[test]
fn load_errors_keep_outputs_and_the_template_watched() {
    let w = world();
    let (mut s, log) = session(&w, Some("1"));
    s.build(&Plan::full(), &Cancel::new());
    take(&log);
    *w.broken.lock().unwrap() = true;
    let built = s.build(&Plan::full(), &Cancel::new());
    assert_eq!(take(&log), (vec![], "error in t.edit:2".into()));
    assert!(built.deps.template.contains(&w.root.join("t.edit")));
    assert!(
        built.deps.assets.contains(&w.root.join("a.png")),
        "assets stay watched"
    );
    assert_eq!(
        std::fs::read_to_string(w.root.join("out/a.mp4")).unwrap(),
        "1"
    );
    *w.broken.lock().unwrap() = false;
    s.build(&Plan::full(), &Cancel::new());
    assert_eq!(take(&log), (vec![], "up to date".into()));
}

#[test]
fn a_bad_row_fails_alone() {
    let w = world();
    let (mut s, log) = session(&w, None);
    w.rows.lock().unwrap()[1].1 = "bad".into();
    s.build(&Plan::full(), &Cancel::new());
    let (names, status) = take(&log);
    assert_eq!(names, ["a.mp4", "c.mp4"]);
    assert_eq!(
        status,
        "error in rows.csv:2 (2 rows rendered, 1 row failed)"
    );
}

#[test]
fn a_cancelled_build_is_incomplete_and_renders_nothing_more() {
    let w = world();
    let (mut s, log) = session(&w, None);
    let cancel = Cancel::new();
    cancel.cancel();
    let built = s.build(&Plan::full(), &cancel);
    assert!(!built.complete);
    assert_eq!(take(&log), (vec![], "cancelled after 0 rows".into()));
    s.build(&Plan::full(), &Cancel::new());
    assert_eq!(take(&log).0.len(), 3);
}

#[test]
fn status_lines() {
    let o = |rendered, failed, up_to_date, first_error: Option<&str>| Outcome {
        rendered,
        failed,
        up_to_date,
        first_error: first_error.map(String::from),
        seconds: 0.84,
        ..Outcome::default()
    };
    let table = [
        (o(3, 0, 0, None), "3 rows re-rendered in 0.8 s"),
        (o(1, 0, 2, None), "1 row re-rendered in 0.8 s"),
        (o(0, 0, 2, None), "up to date in 0.8 s"),
        (
            o(0, 1, 0, Some("error in promo.edit:12")),
            "error in promo.edit:12",
        ),
        (
            o(0, 1, 0, Some("error: ffmpeg failed")),
            "error: ffmpeg failed",
        ),
        (
            o(2, 1, 0, Some("error in rows.csv:4")),
            "error in rows.csv:4 (2 rows re-rendered, 1 row failed) in 0.8 s",
        ),
        (o(0, 0, 0, None), "no rows selected in 0.8 s"),
    ];
    for (outcome, want) in table {
        assert_eq!(status_text(&outcome), want);
    }
    let first = Outcome {
        first: true,
        ..o(2, 0, 0, None)
    };
    assert_eq!(status_text(&first), "2 rows rendered in 0.8 s");
}

#[test]
fn the_same_diagnostic_for_several_rows_is_shown_once() {
    let w = world();
    let settings = Settings {
        out_dir: w.root.join("out"),
        selection: Selection::default(),
        settings: blake3::hash(b"preview"),
        jobs: 1,
        facts: Default::default(),
    };
    let (data, template) = (w.rows.clone(), w.root.join("t.edit"));
    let load = move || Ok(Fake::new(data.clone(), template.clone()));
    let shown = Arc::new(Mutex::new(0));
    let s2 = shown.clone();
    let on_event = move |e: Event<'_>| {
        if let Event::Diagnostics(d, _) = e {
            *s2.lock().unwrap() += d.len();
        }
    };
    for row in w.rows.lock().unwrap().iter_mut() {
        row.1 = "bad".into();
    }
    let mut s = Session::new(settings, load, on_event, None);
    s.build(&Plan::full(), &Cancel::new());
    assert_eq!(
        *shown.lock().unwrap(),
        1,
        "three rows, one diagnostic shown"
    );
    s.build(&rows_plan(), &Cancel::new());
    assert_eq!(*shown.lock().unwrap(), 2, "shown again in the next build");
}

#[test]
fn the_page_gets_each_rows_data_state_and_reason() {
    let w = world();
    let gallery = Arc::new(Mutex::new(Gallery::default()));
    let (mut s, _log) = session_with(&w, None, Some(gallery.clone()));
    let rows = |g: &Arc<Mutex<Gallery>>| -> Vec<(usize, RowState, Option<String>, Option<String>)> {
        let g = g.lock().unwrap();
        assert!(!g.building);
        g.rows
            .iter()
            .map(|r| (r.row, r.state, r.reason.clone(), r.error.clone()))
            .collect()
    };
    let new = || Some("new".to_string());
    s.build(&Plan::full(), &Cancel::new());
    let first = gallery.lock().unwrap().revision;
    assert_eq!(
        rows(&gallery),
        [
            (1, RowState::Rendered, new(), None),
            (2, RowState::Rendered, new(), None),
            (3, RowState::Rendered, new(), None),
        ]
    );
    assert_eq!(
        gallery.lock().unwrap().rows[1].values,
        [("name".into(), "b".into()), ("value".into(), "2".into())]
    );
    // A data change names the column; rows it does not touch keep why they last rendered.
    w.rows.lock().unwrap()[1].1 = "22".into();
    w.rows.lock().unwrap()[2].1 = "bad".into();
    s.build(&rows_plan(), &Cancel::new());
    let g = rows(&gallery);
    assert_eq!(g[0], (1, RowState::UpToDate, new(), None));
    assert_eq!(
        g[1],
        (2, RowState::Rendered, Some("value changed".into()), None)
    );
    assert_eq!(g[2], (3, RowState::Failed, None, Some("bad value".into())));
    let html = gallery.lock().unwrap().diagnostics_html.clone();
    assert!(
        html.contains("rows.csv:2:3") && html.contains("<mark>bad</mark>"),
        "{html}"
    );
    assert!(
        gallery.lock().unwrap().revision > first + 2,
        "each change is a revision"
    );
    // A template that does not load: every row is marked failed.
    *w.broken.lock().unwrap() = true;
    s.build(&Plan::full(), &Cancel::new());
    let g = rows(&gallery);
    assert!(g.iter().all(|r| r.1 == RowState::Failed), "{g:?}");
    assert_eq!(g[0].3.as_deref(), Some("unexpected `{`"));
}
