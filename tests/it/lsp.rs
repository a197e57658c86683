//! `reel lsp` spoken to over stdio, as an editor does: the real process, real files.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A minimal LSP client over the child's stdin/stdout.
struct Client {
    child: Child,
    stdin: ChildStdin,
    inbox: Receiver<Value>,
    /// Notifications read while waiting for something else.
    notes: Vec<Value>,
    next_id: i64,
}

impl Client {
    fn start(cwd: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_reel"))
            .arg("lsp")
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn reel lsp");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, inbox) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = None;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; len.expect("Content-Length header")];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                let v: Value = serde_json::from_slice(&body).expect("JSON body");
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            inbox,
            notes: Vec::new(),
            next_id: 1,
        }
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let v = self
                .inbox
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("no answer to {method}"));
            if v.get("id") == Some(&json!(id)) && v.get("method").is_none() {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
            self.notes.push(v);
        }
    }

    /// `method` at byte `offset` of `text`, the contents of `file` (completion, hover…).
    fn at(&mut self, method: &str, file: &Path, text: &str, offset: usize) -> Value {
        let params = json!({"textDocument": {"uri": uri(file)}, "position": pos(text, offset)});
        self.request(method, params)
    }

    /// The next `publishDiagnostics` (one read earlier first).
    fn diagnostics(&mut self, timeout: Duration) -> Option<Value> {
        if let Some(i) = self
            .notes
            .iter()
            .position(|n| n["method"] == "textDocument/publishDiagnostics")
        {
            return Some(self.notes.remove(i)["params"].clone());
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.inbox.recv_timeout(left) {
                Ok(v) if v["method"] == "textDocument/publishDiagnostics" => {
                    return Some(v["params"].clone());
                }
                Ok(v) => self.notes.push(v),
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {
                    return None;
                }
            }
        }
    }

    fn initialize(&mut self, root: &Path) -> Value {
        let caps = self.request(
            "initialize",
            json!({"processId": null, "rootUri": uri(root), "capabilities": {}}),
        );
        self.notify("initialized", json!({}));
        caps
    }

    fn open(&mut self, path: &Path, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(path), "languageId": "reel-edit", "version": 1, "text": text}}),
        );
    }

    fn change(&mut self, path: &Path, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri(path), "version": version}, "contentChanges": [{"text": text}]}),
        );
    }

    fn shutdown(mut self) {
        let r = self.request("shutdown", Value::Null);
        assert!(r.is_null());
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "reel lsp exited with {status}");
                return;
            }
            assert!(Instant::now() < deadline, "reel lsp did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The labels of a completion answer.
fn labels_of(r: &Value) -> Vec<&str> {
    r.as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect()
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn pos(text: &str, offset: usize) -> Value {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let col: usize = before
        .rsplit('\n')
        .next()
        .unwrap()
        .chars()
        .map(char::len_utf16)
        .sum();
    json!({"line": line, "character": col})
}

const TEMPLATE: &str = "output mp4 hd\n\
data \"rows.csv\"\n\
let title = \"Hi {{ name }}\"\n\
track {\n\
  text title at 0 for 2 effect=zoomIn\n\
  image \"logo.png\" at 2 for 2 positon=center\n\
}\n";

#[test]
fn lsp_session_over_stdio() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("rows.csv"), "name,city\nAda,Zürich\n").unwrap();
    std::fs::write(root.join("logo.png"), b"png").unwrap();
    let file = root.join("promo.edit");
    std::fs::write(&file, TEMPLATE).unwrap();

    let mut c = Client::start(&root);
    let caps = c.initialize(&root);
    assert_eq!(caps["capabilities"]["hoverProvider"], json!(true), "{caps}");

    // An unknown property: one error, where `reel check` points (the property's value).
    c.open(&file, TEMPLATE);
    let d = c
        .diagnostics(Duration::from_secs(30))
        .expect("diagnostics on open");
    assert_eq!(d["uri"], json!(uri(&file)));
    let list = d["diagnostics"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{d:#}");
    let bad = TEMPLATE.find("center").unwrap();
    assert_eq!(list[0]["range"]["start"], pos(TEMPLATE, bad), "{d:#}");
    assert_eq!(list[0]["range"]["end"], pos(TEMPLATE, bad + 6), "{d:#}");
    assert_eq!(list[0]["severity"], json!(1));
    let msg = list[0]["message"].as_str().unwrap();
    assert!(msg.contains("positon"), "{msg}");
    assert!(
        msg.contains("position"),
        "the hint names the clip property: {msg}"
    );

    // Fixed: the next diagnostics are empty (after the debounce).
    let fixed = TEMPLATE.replace("positon=center", "position=");
    c.change(&file, 2, &fixed);
    let d = c
        .diagnostics(Duration::from_secs(30))
        .expect("diagnostics on change");
    // `position=` without a value is a syntax error: still reported, at that line.
    let list = d["diagnostics"].as_array().unwrap();
    assert!(!list.is_empty(), "{d:#}");
    assert_eq!(list[0]["range"]["start"]["line"], json!(5), "{d:#}");

    // Completion after `position=` lists `topRight`.
    let at = fixed.find("position=").unwrap() + "position=".len();
    let r = c.at("textDocument/completion", &file, &fixed, at);
    let labels = labels_of(&r);
    assert!(labels.contains(&"topRight"), "{labels:?}");
    assert!(!labels.contains(&"fade"), "{labels:?}");

    // Inside `{{ }}`: the data file's columns.
    let at = fixed.find("{{ ").unwrap() + 3;
    let r = c.at("textDocument/completion", &file, &fixed, at);
    let labels = labels_of(&r);
    assert!(
        labels.contains(&"city") && labels.contains(&"name"),
        "{labels:?}"
    );

    // Hover on `zoomIn`: the schema's words for it.
    let at = fixed.find("zoomIn").unwrap() + 2;
    let h = c.at("textDocument/hover", &file, &fixed, at);
    let text = h["contents"]["value"].as_str().unwrap();
    assert!(text.contains("slow zoom in"), "{text}");

    // Go to the `let` of `title`.
    let at = fixed.find("text title").unwrap() + 6;
    let r = c.at("textDocument/definition", &file, &fixed, at);
    let name = fixed.find("title =").unwrap();
    assert_eq!(r["range"]["start"], pos(&fixed, name), "{r}");
    assert_eq!(r["uri"], json!(uri(&file)));

    // Symbols: the variable and the track with its two clips.
    c.change(&file, 3, TEMPLATE);
    let r = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri(&file)}}),
    );
    let names: Vec<&str> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["title", "track 1"], "{r:#}");
    assert_eq!(r[1]["children"].as_array().unwrap().len(), 2);

    // Formatting: `reel fmt`'s layout, as one edit.
    let messy = "output mp4 hd\ntrack {\ntext \"a\" at 0 for 1\n\n\n}\n";
    c.change(&file, 4, messy);
    let r = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri(&file)}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    let edits = r.as_array().unwrap();
    assert_eq!(edits.len(), 1, "{r}");
    assert_eq!(
        edits[0]["newText"],
        json!("output mp4 hd\ntrack {\n  text \"a\" at 0 for 1\n}\n")
    );

    c.shutdown();
}

/// A 200-line template: many clips, a data file, lets and an include-free body.
fn big_template() -> String {
    let mut t = String::from("output mp4 hd\ndata \"rows.csv\"\nlet accent = \"#ff6a00\"\n");
    t.push_str("track {\n");
    let mut line = 4;
    let mut i = 0;
    while line < 197 {
        t.push_str(&format!(
            "  text \"{{{{ name }}}} {i}\" at {i} for 1 position=center transition.in=fade {{\n    font.size = 40\n    font.color = accent\n  }}\n"
        ));
        line += 4;
        i += 1;
    }
    t.push_str("}\n");
    t
}

/// The speed budget: diagnostics within 50 ms of a keystroke on a 200-line template. Prints
/// the median and worst of 30 keystrokes (a change, then the publishDiagnostics it causes).
/// Run by bench/lsp_bench.sh (release build); ignored by default because timings under a
/// debug build on a shared machine say little.
#[test]
#[ignore]
fn lsp_diagnostics_speed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let rows: String = (0..20).map(|i| format!("Name {i}\n")).collect();
    std::fs::write(root.join("rows.csv"), format!("name\n{rows}")).unwrap();
    let file = root.join("big.edit");
    let text = big_template();
    assert!(text.lines().count() >= 195, "{}", text.lines().count());
    let mut c = Client::start(&root);
    c.initialize(&root);
    c.open(&file, &text);
    let d = c.diagnostics(Duration::from_secs(30)).unwrap();
    assert_eq!(d["diagnostics"], json!([]), "{d:#}");
    // Keystrokes 150 ms apart (brisk typing), so each one finds the server idle or in its
    // cancellable pass over every row; `LSP_BENCH_GAP_MS=0` sends them back to back.
    let gap = std::env::var("LSP_BENCH_GAP_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150);
    let mut times = Vec::new();
    for k in 0..30 {
        std::thread::sleep(Duration::from_millis(gap));
        // Type a character into a font size (an error every other keystroke).
        let edited = text.replacen(
            "font.size = 40",
            &format!("font.size = 4{}", if k % 2 == 0 { "x" } else { "1" }),
            1,
        );
        let t0 = Instant::now();
        c.change(&file, k + 2, &edited);
        let d = c.diagnostics(Duration::from_secs(30)).unwrap();
        times.push(t0.elapsed());
        let n = d["diagnostics"].as_array().unwrap().len();
        assert_eq!(n, usize::from(k % 2 == 0), "{d:#}");
    }
    times.sort();
    let median = times[times.len() / 2];
    let worst = times[times.len() - 1];
    println!(
        "lsp diagnostics after a keystroke ({gap} ms apart), {}-line template, 20 rows: median {:.1} ms, worst {:.1} ms (debounce {} ms included)",
        text.lines().count(),
        median.as_secs_f64() * 1000.0,
        worst.as_secs_f64() * 1000.0,
        reel::lsp::DEBOUNCE.as_millis()
    );
    c.shutdown();
}

/// A mistake in the third data row only: the first pass (template and first row) is clean,
/// the pass over every row that follows publishes the error, at the template's `{{ op }}`.
#[test]
fn lsp_reports_errors_of_later_rows() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("rows.csv"), "op\n0.5\n1\nlots\n").unwrap();
    let file = root.join("t.edit");
    let text =
        "output mp4 hd\ndata \"rows.csv\"\ntrack {\n  text \"a\" at 0 for 1 opacity={{ op }}\n}\n";
    std::fs::write(&file, text).unwrap();
    let mut c = Client::start(&root);
    c.initialize(&root);
    c.open(&file, text);
    let mut last = Value::Null;
    for _ in 0..2 {
        match c.diagnostics(Duration::from_secs(30)) {
            Some(d) => last = d,
            None => break,
        }
        if !last["diagnostics"].as_array().unwrap().is_empty() {
            break;
        }
    }
    let list = last["diagnostics"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{last:#}");
    let at = text.find("{{ op }}").unwrap();
    assert_eq!(list[0]["range"]["start"]["line"], json!(3), "{last:#}");
    assert!(
        list[0]["range"]["start"]["character"].as_u64().unwrap()
            >= at as u64 - text[..at].rfind('\n').unwrap() as u64 - 1 - 8,
        "{last:#}"
    );
    let msg = list[0]["message"].as_str().unwrap();
    assert!(msg.contains("lots") || msg.contains("row 3"), "{msg}");
    c.shutdown();
}

/// Every regex of a TextMate grammar (`match`, `begin`, `end`), with its JSON pointer.
fn grammar_regexes(v: &Value, at: String, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("match" | "begin" | "end", Value::String(s)) => {
                        out.push((format!("{at}/{k}"), s.clone()))
                    }
                    _ => grammar_regexes(x, format!("{at}/{k}"), out),
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                grammar_regexes(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The VS Code extension's files are valid JSON, name files that exist, and the grammar's
/// regexes compile and highlight what they are meant to.
#[test]
fn vscode_extension_files_are_valid() {
    let ext = crate::util::root().join("editors/vscode");
    let read = |rel: &str| -> Value {
        let text = std::fs::read_to_string(ext.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"))
    };
    let pkg = read("package.json");
    assert!(ext.join(pkg["main"].as_str().unwrap()).is_file());
    let grammar_path = pkg["contributes"]["grammars"][0]["path"].as_str().unwrap();
    let config_path = pkg["contributes"]["languages"][0]["configuration"]
        .as_str()
        .unwrap();
    let config = read(config_path);
    assert_eq!(config["comments"]["lineComment"], json!("//"));
    let grammar = read(grammar_path);
    assert_eq!(
        grammar["scopeName"],
        pkg["contributes"]["grammars"][0]["scopeName"]
    );
    let mut regexes = Vec::new();
    grammar_regexes(&grammar, String::new(), &mut regexes);
    assert!(regexes.len() > 20, "{}", regexes.len());
    let mut compiled = std::collections::HashMap::new();
    for (at, re) in &regexes {
        let r = fancy_regex::Regex::new(re).unwrap_or_else(|e| panic!("{at}: {re}: {e}"));
        compiled.insert(at.clone(), r);
    }
    // Every `#name` include names a repository entry.
    let text = serde_json::to_string(&grammar).unwrap();
    for part in text.split("\"include\":\"#").skip(1) {
        let name = part.split('"').next().unwrap();
        assert!(grammar["repository"].get(name).is_some(), "#{name}");
    }
    // What a few rules find in real lines.
    let find = |pointer: &str, line: &str| -> Option<String> {
        let r = &compiled[pointer];
        let caps = r.captures(line).unwrap()?;
        Some(
            caps.get(1)
                .unwrap_or_else(|| caps.get(0).unwrap())
                .as_str()
                .to_string(),
        )
    };
    let key = "/repository/statement/patterns/5/match";
    assert_eq!(
        find(key, "    font.size = 64").as_deref(),
        Some("font.size")
    );
    assert_eq!(find(key, "if a == b {"), None);
    let asset = "/repository/statement/patterns/2/match";
    assert_eq!(
        find(asset, "  rich-text \"x\" at 0").as_deref(),
        Some("rich-text")
    );
    assert_eq!(find(asset, "  text.x = 1"), None);
    let number = "/repository/number/match";
    assert_eq!(find(number, "at 1.5s for").as_deref(), Some("1.5s"));
    assert_eq!(find(number, "track2"), None);
}
