//! `reel fmt [--check] [FILES…]`: rewrites `.edit` files in the canonical layout of
//! [`crate::syntax::fmt`], or with `--check` prints a unified diff and fails.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::args::FmtArgs;
use super::{Global, Reporter, Status};
use crate::diagnostics::SourceMap;
use crate::syntax;

/// `reel fmt`.
pub fn run(args: FmtArgs, global: &Global) -> anyhow::Result<Status> {
    let reporter = Reporter::new(global);
    if args.files.is_empty() {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        let Some(formatted) = checked_format("<stdin>", &text, &reporter) else {
            return Ok(Status::Failed);
        };
        if args.check {
            if formatted != text {
                print_diff("<stdin>", &text, &formatted)?;
                return Ok(Status::Failed);
            }
            return Ok(Status::Ok);
        }
        std::io::stdout().write_all(formatted.as_bytes())?;
        return Ok(Status::Ok);
    }
    let mut files = Vec::new();
    for f in &args.files {
        collect(f, &mut files)?;
    }
    let mut ok = true;
    let mut changed = 0usize;
    for path in &files {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let Some(formatted) = checked_format(&path.display().to_string(), &text, &reporter) else {
            ok = false;
            continue;
        };
        if formatted == text {
            continue;
        }
        changed += 1;
        if args.check {
            print_diff(&path.display().to_string(), &text, &formatted)?;
            ok = false;
        } else {
            std::fs::write(path, formatted)
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    if !global.json {
        let verb = if args.check {
            "to reformat"
        } else {
            "reformatted"
        };
        eprintln!("{} file(s) checked, {changed} {verb}", files.len());
    }
    Ok(if ok { Status::Ok } else { Status::Failed })
}

/// `text` formatted, after checking that it parses (syntax errors are reported).
fn checked_format(name: &str, text: &str, reporter: &Reporter) -> Option<String> {
    let sources = SourceMap::new();
    let file = sources.add(name, text);
    if let Err(errors) = syntax::parse(&sources, file) {
        reporter.emit(&errors, &sources);
        return None;
    }
    syntax::fmt::format(text)
}

/// `path` itself, or every `.edit` file below it (sorted).
fn collect(path: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if !path.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("reading {}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "edit") {
            out.push(p);
        }
    }
    Ok(())
}

fn print_diff(name: &str, old: &str, new: &str) -> anyhow::Result<()> {
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff
        .unified_diff()
        .context_radius(2)
        .header(name, &format!("{name} (formatted)"))
        .to_string();
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(())
}
