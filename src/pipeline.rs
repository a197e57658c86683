//! Glue between stages for one row: load a template (`.edit` or Shotstack JSON) and its data,
//! expand and validate one row at a time, and render it.
//!
//! Every command, the batch runner and watch mode go through [`Project`] (template, data,
//! expansion, validation: no rendering) and [`Renderer`] (a project plus render settings,
//! fonts and cache: the [`batch::Source`] the batch engine drives). Rows are streamed, never
//! collected.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::batch::{self, Built, JobProgress, Rendered};
use crate::diagnostics::{Diagnostic, SourceMap, SourceResult, Warned};
use crate::edit::{self, Edit, Origins};
use crate::render::job::{RenderJob, render_edit};
use crate::render::raster::Fonts;
use crate::render::urlmap::UrlMap;
use crate::render::{Cancel, RenderOptions, cache::Cache};
use crate::syntax;
use crate::template::data::{self, DataOptions};
use crate::template::expand::{self, ExpandContext};
use crate::template::json::JsonTemplate;
use crate::template::{Cell, Expanded, Row, env};

/// A parsed template of either kind.
#[derive(Debug)]
pub enum Template {
    /// A `.edit` file (with its includes).
    Edit(syntax::ast::Document),
    /// A Shotstack Edit JSON file with `{{ NAME }}` placeholders.
    Json(JsonTemplate),
}

/// What [`Project::load`] needs besides the template path.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--data`: overrides the template's `data` statement.
    pub data: Option<PathBuf>,
    /// `--set key=value`, applied to every row.
    pub sets: Vec<String>,
    /// `--delimiter` for CSV.
    pub delimiter: Option<String>,
    /// `--keep-merge`: keep placeholders and emit a `merge` array.
    pub keep_merge: bool,
    /// Validation checks that local files exist.
    pub check_files: bool,
    /// A missing local file is a warning, not an error (`reel build`: the JSON is written
    /// anyway; the media may only exist where it is rendered).
    pub missing_files_warn: bool,
    /// `--url-map PREFIX=DIR`, before the template's own `url-map` statements.
    pub url_maps: Vec<(String, PathBuf)>,
    /// `--max-duration`: seconds; `None`: [`edit::DEFAULT_MAX_DURATION`].
    pub max_duration: Option<f64>,
    /// `--max-cell`: bytes; `None`: [`data::DEFAULT_MAX_CELL`].
    pub max_cell: Option<usize>,
    /// `--rows-key`: the JSON member holding the rows; overrides `data … rows=KEY`.
    pub rows_key: Option<String>,
}

/// A loaded template, its data source and everything needed to turn a row into an [`Edit`].
pub struct Project {
    /// Every input file of the run (template, includes, data).
    pub sources: Arc<SourceMap>,
    /// The template as given on the command line.
    pub template_path: PathBuf,
    /// Directory relative media paths resolve against (the template's).
    pub base_dir: PathBuf,
    /// The parsed template.
    pub template: Template,
    /// The data file, from `--data` or the template's `data` statement.
    pub data: Option<PathBuf>,
    /// Files the template itself read (the template and its includes).
    pub files: Vec<PathBuf>,
    /// `--url-map` then the template's `url-map` statements.
    pub url_map: UrlMap,
    data_options: DataOptions,
    sets: Vec<(String, serde_json::Value)>,
    check_files: bool,
    missing_files_warn: bool,
    keep_merge: bool,
    expand: ExpandContext,
    max_duration: f64,
    /// Warnings about the data file as a whole (a header with no rows), gathered at the end
    /// of each pass over the rows until [`Project::take_data_warnings`].
    data_warnings: Mutex<Vec<Diagnostic>>,
}

/// One row expanded and validated.
#[derive(Debug, Clone)]
pub struct BuiltRow {
    /// The typed Edit.
    pub edit: Edit,
    /// The Edit JSON as validated (data cells coerced to the schema's types), for
    /// `reel build` and manifests.
    pub json: serde_json::Value,
    /// Where each value came from.
    pub origins: Origins,
    /// The `name` statement's value for this row (unsanitised).
    pub name: Option<String>,
}

impl std::fmt::Debug for Project {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Project")
            .field("template_path", &self.template_path)
            .field("data", &self.data)
            .finish_non_exhaustive()
    }
}

/// The rows of a data file, streamed.
pub type RowIter<'a> = Box<dyn Iterator<Item = (usize, Result<Row, Diagnostic>)> + Send + 'a>;

impl Project {
    /// Reads and parses the template (and its includes), works out the data file. Errors are
    /// labelled in `sources`, which the caller prints them against.
    pub fn load(path: &Path, opts: &LoadOptions, sources: Arc<SourceMap>) -> SourceResult<Project> {
        match Project::load_recovering(path, None, opts, sources) {
            (Some(p), errors) if errors.is_empty() => Ok(p),
            (_, errors) => Err(errors),
        }
    }

    /// [`Project::load`] that carries on past syntax errors of a `.edit` template when the
    /// parser recovered ([`syntax::parse_recovering`]): the project of what parsed, with the
    /// errors, so that `reel check` and `reel lsp` also expand and validate the rest in the
    /// same run. `text`: the template's text when it is not the file's (an editor's unsaved
    /// buffer); includes and data are still read from disk.
    pub fn load_recovering(
        path: &Path,
        text: Option<&str>,
        opts: &LoadOptions,
        sources: Arc<SourceMap>,
    ) -> (Option<Project>, Vec<Diagnostic>) {
        let mut syntax_errors = Vec::new();
        let project = Project::load_with(path, text, opts, sources, &mut syntax_errors);
        match project {
            Ok(p) => (Some(p), syntax_errors),
            Err(more) => {
                syntax_errors.extend(more);
                (None, syntax_errors)
            }
        }
    }

    fn load_with(
        path: &Path,
        text: Option<&str>,
        opts: &LoadOptions,
        sources: Arc<SourceMap>,
        syntax_errors: &mut Vec<Diagnostic>,
    ) -> SourceResult<Project> {
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let mut url_maps = opts.url_maps.clone();
        let (template, files, template_data, template_rows) = if is_json {
            let t = JsonTemplate::load(&sources, path)?;
            (Template::Json(t), vec![path.to_path_buf()], None, None)
        } else {
            let (doc, errors) = syntax::load_recovering(&sources, path, text);
            syntax_errors.extend(errors);
            let Some(doc) = doc else {
                return Err(Vec::new());
            };
            let files = doc.files.clone();
            let data = doc.data.as_ref().map(|d| d.resolved.clone());
            url_maps.extend(
                doc.url_maps
                    .iter()
                    .map(|m| (m.prefix.clone(), m.dir.clone())),
            );
            let rows = doc.data.as_ref().and_then(|d| d.rows.clone());
            (Template::Edit(doc), files, data, rows)
        };
        let mut errors = Vec::new();
        let sets = opts
            .sets
            .iter()
            .filter_map(|s| data::parse_set(s).map_err(|e| errors.push(e)).ok())
            .collect();
        let mut data_options = DataOptions {
            max_cell: opts.max_cell,
            rows_key: opts.rows_key.clone().or(template_rows),
            ..DataOptions::default()
        };
        if let Some(d) = &opts.delimiter {
            match data::parse_delimiter(d) {
                Ok(b) => data_options.delimiter = Some(b),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Project {
            sources,
            template_path: path.to_path_buf(),
            base_dir: base_dir.clone(),
            template,
            data: opts.data.clone().or(template_data),
            files,
            url_map: UrlMap::new(url_maps),
            data_options,
            sets,
            check_files: opts.check_files,
            missing_files_warn: opts.missing_files_warn,
            keep_merge: opts.keep_merge,
            // `file_exists("…")` in a template looks beside the template, like media paths.
            expand: ExpandContext::new(env::environment_relative_to(&base_dir), opts.keep_merge),
            max_duration: opts.max_duration.unwrap_or(edit::DEFAULT_MAX_DURATION),
            data_warnings: Mutex::default(),
        })
    }

    /// Streams the rows of the data file (one empty row when there is none), with `--set`
    /// applied. A bad row is an `Err` for that row only.
    pub fn rows(&self) -> Result<RowIter<'_>, Diagnostic> {
        let Some(path) = &self.data else {
            let row = self.apply_sets(Row::default());
            return Ok(Box::new(std::iter::once((0, Ok(row)))));
        };
        let rows = data::open(path, &self.sources, &self.data_options)?;
        Ok(Box::new(Noting {
            rows,
            project: self,
            done: false,
        }))
    }

    /// Warnings about the data file as a whole (`has a header but no rows`) from the passes
    /// over the rows so far, each once; they are cleared.
    pub fn take_data_warnings(&self) -> Vec<Diagnostic> {
        let mut taken = self
            .data_warnings
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default();
        let mut seen = std::collections::HashSet::new();
        taken.retain(|d| seen.insert(d.clone()));
        taken
    }

    /// How many rows the data has (1 without data), counted without building them; `None`
    /// when the data cannot be read (the batch reports that itself).
    pub fn row_count(&self) -> Option<usize> {
        match &self.data {
            None => Some(1),
            Some(path) => data::count(path, &self.sources, &self.data_options).ok(),
        }
    }

    /// Expands one row (no validation): the Edit JSON and its origins.
    pub fn expand_row(&self, row: &Row) -> Warned<SourceResult<Expanded>> {
        match &self.template {
            Template::Edit(doc) => expand::expand(doc, row, &self.expand),
            Template::Json(t) => t.expand(row, self.keep_merge),
        }
    }

    /// Expands and validates one row.
    pub fn build_row(&self, row: &Row) -> Warned<SourceResult<BuiltRow>> {
        let Warned {
            output,
            mut warnings,
        } = self.expand_row(row);
        let expanded = match output {
            Ok(x) => x,
            Err(errors) => {
                return Warned {
                    output: Err(errors),
                    warnings,
                };
            }
        };
        let opts = edit::ValidateOptions {
            base_dir: Some(self.base_dir.clone()),
            check_files: self.check_files,
            missing_files: if self.missing_files_warn {
                crate::diagnostics::Severity::Warning
            } else {
                crate::diagnostics::Severity::Error
            },
            max_duration: self.max_duration,
        };
        let validated = if self.keep_merge {
            edit::validate_keeping_placeholders(expanded.edit, &expanded.origins, &opts)
        } else {
            edit::validate_owned(expanded.edit, &expanded.origins, &opts)
        };
        warnings.extend(validated.warnings);
        let output = validated.output.map(|(edit, json)| BuiltRow {
            json,
            edit,
            origins: expanded.origins,
            name: expanded.name,
        });
        Warned { output, warnings }
    }

    /// blake3 over the contents of the template and its includes: tells "template changed"
    /// from "data changed" in manifests.
    pub fn template_hash(&self) -> blake3::Hash {
        let mut h = blake3::Hasher::new();
        for f in &self.files {
            h.update(f.to_string_lossy().as_bytes());
            h.update(&std::fs::read(f).unwrap_or_default());
        }
        h.finalize()
    }

    fn apply_sets(&self, mut row: Row) -> Row {
        for (k, v) in &self.sets {
            row.set(
                k,
                Cell {
                    value: v.clone(),
                    origin: None,
                },
            );
        }
        row
    }
}

/// The rows of a data file with `--set` applied; at the end, the file's warnings are kept in
/// the project.
struct Noting<'a> {
    rows: data::Rows,
    project: &'a Project,
    done: bool,
}

impl Iterator for Noting<'_> {
    type Item = (usize, Result<Row, Diagnostic>);

    fn next(&mut self) -> Option<Self::Item> {
        match self.rows.next() {
            Some((i, r)) => Some((i, r.map(|row| self.project.apply_sets(row)))),
            None => {
                if !std::mem::replace(&mut self.done, true)
                    && let Ok(mut w) = self.project.data_warnings.lock()
                {
                    w.extend(self.rows.warnings().iter().cloned());
                }
                None
            }
        }
    }
}

/// A project with what rendering needs: the [`batch::Source`] that `reel render` and
/// `reel watch` drive.
pub struct Renderer<'a> {
    /// The template and data.
    pub project: &'a Project,
    /// Preview, threads, single frame.
    pub options: RenderOptions,
    /// Fonts shared by every job.
    pub fonts: &'a Fonts,
    /// Probe, download and layer cache.
    pub cache: Cache,
    /// The shared bases of the batch (`reel render`): rows draw their own clips on an
    /// intermediate holding what every row shares, when that pays; `None`: full graphs.
    pub bases: Option<&'a crate::render::shared::SharedBases>,
}

impl batch::Source for Renderer<'_> {
    type Row = Row;
    type Job = BuiltRow;

    fn rows(
        &self,
    ) -> SourceResult<Box<dyn Iterator<Item = (usize, Result<Row, Diagnostic>)> + '_>> {
        match self.project.rows() {
            Ok(rows) => Ok(rows),
            Err(e) => Err(vec![e]),
        }
    }

    fn build(&self, row: &Row) -> Warned<SourceResult<Built<BuiltRow>>> {
        let built = self.project.build_row(row);
        built.map(|r| {
            r.map(|b| Built {
                name: b.name.clone(),
                extension: extension(&b.edit, &self.options),
                edit_hash: blake3::hash(b.json.to_string().as_bytes()),
                job: b,
            })
        })
    }

    fn render(
        &self,
        job: BuiltRow,
        output: &Path,
        progress: &mut dyn FnMut(JobProgress),
        cancel: &Cancel,
    ) -> Warned<SourceResult<Rendered>> {
        let render_job = RenderJob {
            base_dir: self.project.base_dir.clone(),
            out_path: output.to_path_buf(),
            options: self.options.clone(),
            origins: Some(&job.origins),
            fonts: self.fonts,
            cache: self
                .cache
                .clone()
                .with_url_map(self.project.url_map.clone()),
            sources: Some(&self.project.sources),
        };
        let mut on_progress = |p: crate::render::run::Progress| {
            progress(JobProgress {
                done_seconds: p.done_seconds,
                total_seconds: p.total_seconds,
            })
        };
        let rendered = match self.bases {
            Some(bases) => crate::render::shared::render_edit_shared(
                &job.edit,
                &render_job,
                bases,
                &mut on_progress,
                cancel,
            ),
            None => render_edit(&job.edit, &render_job, &mut on_progress, cancel),
        };
        rendered.map(|r| {
            r.map(|outcome| Rendered {
                files_read: outcome.files,
            })
        })
    }

    /// `promo.edit:8:32: message (row 19, column "photo")`: the template place, and the data
    /// cell when a label names one, so a spreadsheet user finds the cell from summary.json.
    fn describe(&self, d: &Diagnostic) -> String {
        let Some(span) = d.span() else {
            return d.message.clone();
        };
        let file = self.project.sources.get(span.file);
        let (line, col) = file.line_col(span.start as usize);
        let cell = d
            .labels
            .iter()
            .skip(1)
            .find_map(|l| l.message.strip_prefix("from "));
        match cell {
            Some(cell) => format!("{}:{line}:{col}: {} ({cell})", file.name, d.message),
            None => format!("{}:{line}:{col}: {}", file.name, d.message),
        }
    }
}

/// blake3 of the render settings that change an output (not thread counts), with reel's
/// version: a new reel re-renders everything once.
pub fn settings_hash(options: &RenderOptions) -> blake3::Hash {
    let text = format!(
        "reel {} r{}.{} preview={} frame={:?}",
        env!("CARGO_PKG_VERSION"),
        crate::render::OUTPUT_REVISION,
        crate::render::resolve::layer::LAYER_REVISION,
        options.preview,
        options.frame
    );
    blake3::hash(text.as_bytes())
}

/// The output file extension for `edit` under `options` (a still with `--frame`).
pub fn extension(edit: &Edit, options: &RenderOptions) -> &'static str {
    // A still output format keeps its own extension; `--frame` on a video writes a PNG.
    if options.frame.is_some() && !edit.output.format.is_image() {
        return "png";
    }
    batch::name::extension(Some(edit.output.format.as_str()))
}
