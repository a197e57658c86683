//! `reel fonts`: the font set text layers draw from (bundled, `--font-path`, system), one line
//! per face, or one JSON object per face with `--json`.

use std::io::Write;

use super::Status;
use super::args::FontsArgs;

/// Lists the font set.
pub fn run(args: FontsArgs) -> anyhow::Result<Status> {
    let fonts = args.fonts.fonts();
    let filter = args.filter.as_deref().map(str::to_lowercase);
    let list: Vec<_> = fonts
        .list()
        .into_iter()
        .filter(|f| {
            filter
                .as_deref()
                .is_none_or(|q| f.family.to_lowercase().contains(q))
        })
        .collect();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        for f in &list {
            let v = serde_json::json!({
                "family": f.family,
                "weight": f.weight,
                "style": if f.italic { "italic" } else { "normal" },
                "origin": f.origin.as_str(),
                "file": f.file,
                "index": f.index,
            });
            writeln!(out, "{v}")?;
        }
        return Ok(Status::Ok);
    }
    let mut last_family = None;
    for f in &list {
        if last_family != Some(&f.family) {
            writeln!(out, "{}", f.family)?;
            last_family = Some(&f.family);
        }
        let style = if f.italic { " italic" } else { "" };
        let index = if f.index > 0 {
            format!(" #{}", f.index)
        } else {
            String::new()
        };
        writeln!(
            out,
            "  {}{style}  {}  {}{index}",
            f.weight,
            f.origin.as_str(),
            f.file
        )?;
    }
    let families = list
        .iter()
        .map(|f| &f.family)
        .collect::<std::collections::HashSet<_>>()
        .len();
    eprintln!("{families} families, {} faces", list.len());
    Ok(Status::Ok)
}
