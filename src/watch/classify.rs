//! Change classification: which kind of input a changed path is, and what a set of changes
//! asks the next build to do (zola's `ChangeKind`, reduced to what reel can act on).
//!
//! Pure: paths are compared as given, so callers normalise them first ([`super::deps`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::deps::Deps;

/// What kind of input a changed path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// The template or one of its includes: every selected row is expanded again.
    Template,
    /// The data file: rows are expanded again, only rows whose Edit changed are rendered.
    Data,
    /// A local asset or font: only the rows that read it are rendered again.
    Asset,
    /// Something reel wrote itself (output dir, `.part` file, manifest): never a trigger.
    Output,
    /// Not an input of the last build (a neighbour in a watched directory, an editor's swap
    /// file).
    Unrelated,
}

/// Classifies one changed path against the files the last build read.
pub fn classify(path: &Path, deps: &Deps) -> ChangeKind {
    if is_own_output(path, deps) {
        ChangeKind::Output
    } else if deps.template.contains(path) {
        ChangeKind::Template
    } else if deps.data.as_deref() == Some(path) {
        ChangeKind::Data
    } else if deps.assets.contains(path) {
        ChangeKind::Asset
    } else {
        ChangeKind::Unrelated
    }
}

/// Whether `path` is one of reel's own outputs: anything inside the output directory (videos,
/// stills, the manifest, the lock) or a partial render (`NAME.HOST-PID-N.part.mp4`, `….part`)
/// wherever it is.
fn is_own_output(path: &Path, deps: &Deps) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    path.starts_with(&deps.output_dir) || name.ends_with(".part") || name.contains(".part.")
}

/// What the next build must do, accumulated over any number of changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Load the template again (a template or include changed, or first build).
    pub reload: bool,
    /// Read and expand the rows again (implied by `reload`).
    pub rows: bool,
    /// Changed assets: the rows that read them are rendered even if their Edit is unchanged.
    pub assets: BTreeSet<PathBuf>,
}

impl Plan {
    /// The first build: everything.
    pub fn full() -> Plan {
        Plan {
            reload: true,
            rows: true,
            assets: BTreeSet::new(),
        }
    }

    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        !self.reload && !self.rows && self.assets.is_empty()
    }

    /// Adds the work of `other` to this plan.
    pub fn merge(&mut self, other: Plan) {
        self.reload |= other.reload;
        self.rows |= other.rows;
        self.assets.extend(other.assets);
    }

    /// The plan for a batch of changed paths (unrelated and own paths ignored).
    pub fn for_changes<'a>(paths: impl IntoIterator<Item = &'a Path>, deps: &Deps) -> Plan {
        let mut plan = Plan::default();
        for path in paths {
            match classify(path, deps) {
                ChangeKind::Template => {
                    plan.reload = true;
                    plan.rows = true;
                }
                ChangeKind::Data => plan.rows = true,
                ChangeKind::Asset => {
                    plan.assets.insert(path.to_path_buf());
                }
                ChangeKind::Output | ChangeKind::Unrelated => {}
            }
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deps() -> Deps {
        Deps {
            template: ["/p/promo.edit", "/p/parts/intro.edit"]
                .map(PathBuf::from)
                .into(),
            data: Some(PathBuf::from("/p/customers.csv")),
            assets: ["/p/logo.png", "/p/fonts/Inter.ttf"]
                .map(PathBuf::from)
                .into(),
            output_dir: PathBuf::from("/p/out"),
        }
    }

    #[test]
    fn classifies_each_kind_of_path() {
        let table = [
            ("/p/promo.edit", ChangeKind::Template),
            ("/p/parts/intro.edit", ChangeKind::Template),
            ("/p/customers.csv", ChangeKind::Data),
            ("/p/logo.png", ChangeKind::Asset),
            ("/p/fonts/Inter.ttf", ChangeKind::Asset),
            ("/p/out/ann.mp4", ChangeKind::Output),
            ("/p/out/ann.mp4.part", ChangeKind::Output),
            ("/p/ann.part", ChangeKind::Output),
            ("/p/ann.part.mp4", ChangeKind::Output),
            ("/p/parts.csv", ChangeKind::Unrelated),
            ("/p/out/manifest.json", ChangeKind::Output),
            ("/p/.promo.edit.swp", ChangeKind::Unrelated),
            ("/p/promo.edit~", ChangeKind::Unrelated),
            ("/p/other.csv", ChangeKind::Unrelated),
            ("/elsewhere/promo.edit", ChangeKind::Unrelated),
        ];
        let deps = deps();
        for (path, want) in table {
            assert_eq!(classify(Path::new(path), &deps), want, "{path}");
        }
    }

    #[test]
    fn an_input_inside_the_output_dir_is_still_output() {
        let mut deps = deps();
        deps.assets.insert(PathBuf::from("/p/out/logo.png"));
        assert_eq!(
            classify(Path::new("/p/out/logo.png"), &deps),
            ChangeKind::Output
        );
    }

    #[test]
    fn plans_for_batches_of_changes() {
        let deps = deps();
        let assets = |v: &[&str]| v.iter().map(PathBuf::from).collect::<BTreeSet<_>>();
        let table: [(&[&str], Plan); 6] = [
            (&[], Plan::default()),
            (&["/p/out/a.mp4", "/p/x.tmp"], Plan::default()),
            (&["/p/parts/intro.edit"], Plan::full()),
            (
                &["/p/customers.csv"],
                Plan {
                    rows: true,
                    ..Plan::default()
                },
            ),
            (
                &["/p/logo.png", "/p/out/b.mp4"],
                Plan {
                    assets: assets(&["/p/logo.png"]),
                    ..Plan::default()
                },
            ),
            (
                &["/p/logo.png", "/p/customers.csv", "/p/promo.edit"],
                Plan {
                    reload: true,
                    rows: true,
                    assets: assets(&["/p/logo.png"]),
                },
            ),
        ];
        for (paths, want) in table {
            let got = Plan::for_changes(paths.iter().map(Path::new), &deps);
            assert_eq!(got, want, "{paths:?}");
        }
    }

    #[test]
    fn merging_unions_the_work() {
        let mut plan = Plan::for_changes([Path::new("/p/logo.png")], &deps());
        assert!(!plan.is_empty());
        plan.merge(Plan::for_changes([Path::new("/p/customers.csv")], &deps()));
        assert!(plan.rows && !plan.reload && plan.assets.len() == 1);
        plan.merge(Plan::full());
        assert!(plan.reload && plan.rows && plan.assets.len() == 1);
    }
}
