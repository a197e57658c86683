//! reel: a compiler for video templates.
//!
//! A `.edit` template (or any Shotstack Edit JSON) plus rows of data become one Shotstack Edit
//! JSON document per row, and each document becomes a video through one ffmpeg process:
//!
//! ```text
//!  .edit ──parse──▶ AST ──expand(row)──▶ Expanded ──validate──▶ Edit ──resolve──▶ Timeline ──compile──▶ RenderPlan ──run──▶ out.mp4
//!  .json ──────────spans─────────────────┘
//!  rows  ──load──▶ Row (with provenance) ┘
//! ```
//!
//! 1. [`syntax::parse`]: pest grammar (`grammar/edit.pest`) → spanned AST. Reads include files.
//! 2. [`template::expand`]: AST × [`template::Row`] → [`template::Expanded`] (Edit JSON plus
//!    the origin of every value). Pure; minijinja evaluates expressions.
//! 3. [`edit::validate`]: schema types, enums, ranges, coercion, "did you mean" → typed
//!    [`edit::Edit`]. Pure.
//! 4. [`render::resolve`]: `auto`/`end`/`alias://` timing, media probing, remote assets, fonts,
//!    rasterised text/shape/svg layers → [`render::Timeline`]. IO (cached).
//! 5. [`render::compile`]: Timeline → [`render::RenderPlan`] (inputs, one filtergraph, encoder
//!    args). Pure.
//! 6. [`render::run`]: spawns ffmpeg, reports progress, writes `NAME.part`, renames.
//!
//! [`batch`] runs rows as jobs; [`watch`] re-runs what a file change affects; [`cli`] is the
//! command line. Every user-facing problem is a [`diagnostics::Diagnostic`] with spans.

pub mod batch;
pub mod cli;
pub mod diagnostics;
pub mod edit;
pub mod lsp;
pub mod pipeline;
pub mod render;
pub mod syntax;
pub mod template;
pub mod watch;
