//! `docs/conformance.md` stays true: every asset type, clip property, transition, effect,
//! filter, output and timeline property of the schema has a row, and every test the table
//! names exists.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::util;

/// Base name of a transition or effect (`fadeSlow` → `fade`).
fn base(v: &str) -> &str {
    v.strip_suffix("Slow")
        .or_else(|| v.strip_suffix("Fast"))
        .unwrap_or(v)
}

/// What the schema has, by section title of the page.
fn schema_names(schema: &Value) -> Vec<(&'static str, BTreeSet<String>)> {
    let defs = &schema["$defs"];
    let keys = |v: &Value| -> BTreeSet<String> {
        v["properties"]
            .as_object()
            .expect("properties")
            .keys()
            .cloned()
            .collect()
    };
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .expect("enum")
            .iter()
            .map(|s| s.as_str().expect("string").to_string())
            .collect()
    };
    let assets = defs["Asset"]["oneOf"]
        .as_array()
        .expect("Asset.oneOf")
        .iter()
        .flat_map(|r| {
            let name = r["$ref"]
                .as_str()
                .expect("$ref")
                .rsplit('/')
                .next()
                .unwrap();
            strings(&defs[name]["properties"]["type"]["enum"])
        })
        .collect();
    let clip = &defs["Clip"]["properties"];
    let mut transitions = BTreeSet::new();
    for side in ["in", "out"] {
        let e = strings(&defs["Transition"]["properties"][side]["enum"]);
        transitions.extend(e.iter().map(|v| base(v).to_string()));
    }
    let effects = strings(&clip["effect"]["enum"])
        .iter()
        .map(|v| base(v).to_string())
        .collect();
    let filters = strings(&clip["filter"]["enum"]).into_iter().collect();
    vec![
        ("Asset types", assets),
        ("Clip properties", keys(&defs["Clip"])),
        ("Transitions", transitions),
        ("Effects", effects),
        ("Filters", filters),
        ("Output options", keys(&defs["Output"])),
        ("Timeline properties", keys(&defs["Timeline"])),
    ]
}

/// Backticked words of a table cell.
fn ticked(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// One table row: the feature's name and the tests it names.
type Row = (String, Vec<String>);

/// Rows of the page by section title.
fn page_rows(page: &str) -> Vec<(String, Vec<Row>)> {
    let mut out: Vec<(String, Vec<Row>)> = Vec::new();
    for line in page.lines() {
        if let Some(title) = line.strip_prefix("## ") {
            out.push((title.trim().to_string(), Vec::new()));
        } else if line.starts_with("| `")
            && let Some((_, rows)) = out.last_mut()
        {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            // "", name, renders, tested by, differences, ""
            let name = ticked(cells[1]).into_iter().next().unwrap_or_default();
            let tests = cells.get(3).map(|c| ticked(c)).unwrap_or_default();
            rows.push((name, tests));
        }
    }
    out
}

/// Every `fn NAME` under `dir` (Rust files).
fn functions(dir: &Path, out: &mut BTreeSet<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            functions(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            let text = std::fs::read_to_string(&p).unwrap();
            for part in text.split("fn ").skip(1) {
                let name: String = part
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.insert(name);
            }
        }
    }
}

/// What is wrong with `page` against `schema` and the functions `fns`.
fn problems(page: &str, schema: &Value, fns: &BTreeSet<String>) -> Vec<String> {
    let rows = page_rows(page);
    let mut out = Vec::new();
    for (title, names) in schema_names(schema) {
        let Some((_, section)) = rows.iter().find(|(t, _)| *t == title) else {
            out.push(format!("no `## {title}` section"));
            continue;
        };
        let listed: BTreeSet<&str> = section.iter().map(|(n, _)| n.as_str()).collect();
        for n in &names {
            if !listed.contains(n.as_str()) {
                out.push(format!(
                    "{title}: the schema has `{n}`, the table has no row"
                ));
            }
        }
        for n in listed {
            if !names.contains(n) {
                out.push(format!("{title}: `{n}` is not in the schema"));
            }
        }
    }
    for (title, section) in &rows {
        for (name, tests) in section {
            for t in tests {
                if !fns.contains(t) {
                    out.push(format!("{title} / {name}: no test function `{t}`"));
                }
            }
        }
    }
    out
}

#[test]
fn the_table_covers_the_schema_and_names_real_tests() {
    let root = util::root();
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("src/edit/schema.json")).unwrap())
            .unwrap();
    let page = std::fs::read_to_string(root.join("docs/conformance.md")).unwrap();
    let mut fns = BTreeSet::new();
    functions(&root.join("src"), &mut fns);
    functions(&root.join("tests"), &mut fns);
    let found = problems(&page, &schema, &fns);
    assert!(
        found.is_empty(),
        "docs/conformance.md:\n{}",
        found.join("\n")
    );
    let rows: usize = page_rows(&page).iter().map(|(_, r)| r.len()).sum();
    assert!(rows >= 87, "{rows} rows");

    // The check bites: a schema with a new transition, a page without a row, a wrong name.
    let mut grown = schema.clone();
    grown["$defs"]["Transition"]["properties"]["in"]["enum"]
        .as_array_mut()
        .unwrap()
        .push("spinFast".into());
    let p = problems(&page, &grown, &fns);
    assert_eq!(
        p,
        ["Transitions: the schema has `spin`, the table has no row"]
    );
    let without = page.replace("| `muted` |", "| muted |");
    let p = problems(&without, &schema, &fns);
    assert_eq!(p, ["Filters: the schema has `muted`, the table has no row"]);
    let renamed = page.replace("`compile_flip_and_skew`", "`compile_flip_and_skews`");
    let p = problems(&renamed, &schema, &fns);
    assert_eq!(
        p,
        ["Clip properties / transform: no test function `compile_flip_and_skews`"]
    );
}
