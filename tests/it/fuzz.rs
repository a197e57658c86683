//! A seeded mutation fuzzer over `reel graph` (issue 15): the Shotstack corpus documents and a
//! `.edit` template with its data, mutated at JSON-value and byte level, each run through the
//! real binary under an address-space limit, a CPU-time limit and a wall-clock limit. Any
//! panic, signal (an allocation failure aborts), timeout or out-of-memory fails the test, and the input that
//! caused it is written to a file named in the failure message.
//!
//! `REEL_FUZZ_CASES` sets the number of cases (default 200, about 20 s on two idle cores);
//! `REEL_FUZZ_SEED` replays another seed.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{fixture, have_ffmpeg, reel, root};

/// Address space allowed to one `reel graph` (its ffprobe children inherit it).
const MEMORY: u64 = 2 << 30;
/// CPU time allowed to one `reel graph` (RLIMIT_CPU: the kernel stops it with SIGXCPU). CPU,
/// not wall time, so a loaded machine does not fail the test; with 3,000 tracks from a
/// duplicated array a debug build spends about 3 s.
const CPU_SECONDS: u64 = 10;
/// Wall-clock time allowed to one `reel graph`: a hang that uses no CPU (a blocked wait).
const WALL: Duration = Duration::from_secs(60);

/// A small template using every column of `examples/quote-card/quotes.json` (quote, author,
/// color, font) in text, an animation, a colour, a font and a name.
const EDIT: &str = r#"output mp4 160x90 fps=25
background "{{ color | default('#1d3557', true) }}"
name "q-{{ row_number }}-{{ author | slug }}"
let family = font | default("Open Sans", true)
track {
  text "{{ quote }}" at 0 for 2 width=150 height=60 {
    font.family = family
    font.size = 10
    animation.preset = "typewriter"
  }
}
track {
  image "i.png" at 0.5 for 1.5 scale=0.2 position=bottomRight
  text "— {{ author }}" at 1 for 1 position=bottom width=150 height=20
}
"#;

/// Largest mutant: bigger ones are mutated again from the original (a 100 MB document only
/// measures JSON parsing, and costs the run's whole budget).
const MAX_MUTANT: usize = 4 << 20;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Numbers from hostile data.
fn hostile_number(rng: &mut Rng) -> Value {
    let pick = [
        serde_json::json!(1e308),
        serde_json::json!(-1e308),
        serde_json::json!(1e9),
        serde_json::json!(-1e9),
        serde_json::json!(-1),
        serde_json::json!(0),
        serde_json::json!(-0.0),
        serde_json::json!(1e-300),
        serde_json::json!(u64::MAX),
        serde_json::json!(i64::MIN),
        serde_json::json!(14400),
        serde_json::json!(14399.99),
        serde_json::json!(0.0001),
        serde_json::json!("NaN"),
        serde_json::json!("Infinity"),
        serde_json::json!("-inf"),
        serde_json::json!("1e999"),
        serde_json::json!("0x10"),
    ];
    rng.pick(&pick).clone()
}

/// Strings from hostile data.
fn hostile_string(rng: &mut Rng) -> Value {
    let s = match rng.below(14) {
        0 => "x".repeat(100_000),
        1 => "🎬\u{202e}漢字 ﷽ e\u{301}\u{200d}".repeat(200),
        2 => "\u{0}\u{1b}[31m\r\n\t\u{7f}\u{8}".to_owned(),
        3 => String::new(),
        4 => "%d%s%n%05d.png".to_owned(),
        5 => "../../../../etc/passwd".to_owned(),
        6 => "file:///etc/passwd".to_owned(),
        7 => "concat:a.png|b.png".to_owned(),
        8 => "http://127.0.0.1:9/x.png".to_owned(),
        9 => "{{ x }}{% for a in b %}".to_owned(),
        10 => "<script>fetch('http://127.0.0.1:9/')</script>".to_owned(),
        11 => "#gggggg".to_owned(),
        12 => "word ".repeat(20_000),
        _ => "-1e999".to_owned(),
    };
    Value::String(s)
}

/// Any value of another type.
fn swapped(rng: &mut Rng) -> Value {
    match rng.below(7) {
        0 => Value::Null,
        1 => Value::Bool(true),
        2 => Value::Array(Vec::new()),
        3 => Value::Object(serde_json::Map::new()),
        4 => serde_json::from_str(&format!("{}1{}", "[".repeat(64), "]".repeat(64))).unwrap(),
        5 => hostile_number(rng),
        _ => hostile_string(rng),
    }
}

/// Every node of `v`, as JSON pointers.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                pointers(item, format!("{at}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let k = k.replace('~', "~0").replace('/', "~1");
                pointers(item, format!("{at}/{k}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// One JSON-value mutation of `doc`, in place.
fn mutate_value(doc: &mut Value, rng: &mut Rng) {
    let mut all = Vec::new();
    pointers(doc, String::new(), &mut all);
    let at = rng.pick(&all).clone();
    let Some(node) = doc.pointer_mut(&at) else {
        return;
    };
    match node {
        Value::Number(_) if rng.below(4) > 0 => *node = hostile_number(rng),
        Value::String(_) if rng.below(4) > 0 => *node = hostile_string(rng),
        Value::Array(items) if !items.is_empty() && rng.below(3) > 0 => {
            // Duplicated 1000 times (capped so one document stays under ~50 MB).
            let times = if items.len() > 50 { 20 } else { 1000 };
            let copy = items.clone();
            for _ in 1..times {
                items.extend(copy.iter().cloned());
            }
        }
        Value::Object(map) if !map.is_empty() && rng.below(3) > 0 => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let k = rng.pick(&keys).clone();
            if rng.below(2) == 0 {
                map.remove(&k);
            } else {
                let v = swapped(rng);
                map.insert(k, v);
            }
        }
        _ => *node = swapped(rng),
    }
}

/// One byte-level mutation of `bytes`, in place.
fn mutate_bytes(bytes: &mut Vec<u8>, rng: &mut Rng) {
    if bytes.is_empty() {
        bytes.push(b'{');
        return;
    }
    let i = rng.below(bytes.len());
    match rng.below(6) {
        0 => bytes[i] ^= 1 << rng.below(8),
        1 => bytes.truncate(i),
        2 => {
            let junk = [
                b'"', b'{', b'[', b'\\', 0, 0xff, 0xc3, b'}', b'\n', b'9', b'e',
            ];
            bytes.insert(i, *rng.pick(&junk));
        }
        3 => {
            let end = (i + 1 + rng.below(64)).min(bytes.len());
            let slice = bytes[i..end].to_vec();
            for _ in 0..rng.below(200) + 1 {
                bytes.splice(i..i, slice.iter().copied());
            }
        }
        4 => {
            let end = (i + 1 + rng.below(16)).min(bytes.len());
            bytes.drain(i..end);
        }
        _ => bytes
            .splice(i..i, "9".repeat(400).into_bytes())
            .for_each(drop),
    }
}

/// The corpus: (file name to write, its bytes, whether it is JSON worth mutating by value).
/// Remote URLs become local files (the test uses no network) and html clips are dropped (a
/// Chromium launch per case would cost the whole budget; tests/it/html.rs covers them).
fn corpus(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let media = root().join("examples/media");
    for (from, to) in [
        ("clip.mp4", "v.mp4"),
        ("music.mp3", "a.mp3"),
        ("photo-3.jpg", "i.jpg"),
        ("logo.png", "i.png"),
    ] {
        std::fs::copy(media.join(from), dir.join(to)).unwrap();
    }
    let font = root().join("fonts/open-sans");
    let ttf = std::fs::read_dir(&font)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "ttf"))
        .expect("a bundled font");
    std::fs::copy(ttf, dir.join("f.ttf")).unwrap();
    let mut docs = Vec::new();
    let mut files = Vec::new();
    collect_json(&fixture("shotstack"), &mut files);
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let Ok(mut doc) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        localise(&mut doc);
        let name = format!("doc{}.json", docs.len());
        docs.push((name, serde_json::to_vec_pretty(&doc).unwrap()));
    }
    docs
}

fn collect_json(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            collect_json(&p, out);
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
}

/// Asset `src` values (remote URLs, placeholders such as `#` or `VIDEO_URL_VAR`) to the
/// local stand-ins; html clips and the tracks they leave empty removed.
fn localise(v: &mut Value) {
    match v {
        Value::Array(items) => {
            items.retain(|c| {
                let kind = c.pointer("/asset/type").and_then(Value::as_str);
                !kind.is_some_and(|k| k.starts_with("html"))
            });
            items.iter_mut().for_each(localise);
            items.retain(|t| {
                t.get("clips")
                    .and_then(Value::as_array)
                    .is_none_or(|c| !c.is_empty())
            });
        }
        Value::Object(map) => {
            let kind = map
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            if let Some(Value::String(src)) = map.get_mut("src")
                && !src.starts_with("alias://")
                && !src.starts_with('<')
            {
                *src = stand_in(src, &kind).to_owned();
            }
            map.values_mut().for_each(localise);
        }
        Value::String(s) if s == "POSITION_VAR" => *s = "center".to_owned(),
        _ => {}
    }
}

/// The local file standing in for `src` of an asset of type `kind`.
fn stand_in(src: &str, kind: &str) -> &'static str {
    let lower = src.to_ascii_lowercase();
    let by_ext = [
        (".mp4", "v.mp4"),
        (".mov", "v.mp4"),
        (".mp3", "a.mp3"),
        (".wav", "a.mp3"),
        (".ttf", "f.ttf"),
        (".otf", "f.ttf"),
        (".png", "i.png"),
        (".jpg", "i.jpg"),
    ];
    if let Some((_, f)) = by_ext.iter().find(|(ext, _)| lower.ends_with(ext)) {
        return f;
    }
    match kind {
        "video" => "v.mp4",
        "audio" | "soundtrack" => "a.mp3",
        _ => "i.jpg",
    }
}

/// The outcome of one run, or why it is a finding.
fn run_case(dir: &Path, args: &[&str]) -> Result<i32, String> {
    let mut cmd = reel(dir);
    cmd.args(args)
        .env("REEL_CACHE_DIR", dir.join("cache"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: MEMORY,
                rlim_max: MEMORY,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            let cpu = libc::rlimit {
                rlim_cur: CPU_SECONDS,
                rlim_max: CPU_SECONDS + 5,
            };
            if libc::setrlimit(libc::RLIMIT_CPU, &cpu) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("spawn reel");
    // Read stderr on a thread so a chatty run cannot block on a full pipe.
    let mut pipe = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut pipe, &mut buf);
        buf
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > WALL {
            let _ = child.kill();
            let _ = child.wait();
            let _ = reader.join();
            return Err(format!("no exit within {WALL:?}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let err = String::from_utf8_lossy(&reader.join().unwrap()).into_owned();
    let tail = |s: &str| {
        s.chars()
            .rev()
            .take(1500)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<String>()
    };
    use std::os::unix::process::ExitStatusExt;
    match status.code() {
        None if status.signal() == Some(libc::SIGXCPU) => {
            Err(format!("more than {CPU_SECONDS} s of CPU: {}", tail(&err)))
        }
        None => Err(format!("killed by a signal ({status:?}): {}", tail(&err))),
        Some(101) => Err(format!("panicked: {}", tail(&err))),
        Some(_) if err.contains("panicked") || err.contains("memory allocation") => {
            Err(format!("panicked: {}", tail(&err)))
        }
        Some(c @ 0..=2) => {
            if std::env::var_os("REEL_FUZZ_VERBOSE").is_some() {
                let first = err.lines().find(|l| l.starts_with("Error")).unwrap_or("");
                eprintln!("exit {c}: {}", first.chars().take(160).collect::<String>());
            }
            Ok(c)
        }
        Some(c) => Err(format!("unexpected exit code {c}: {}", tail(&err))),
    }
}

#[test]
fn mutated_documents_never_panic_hang_or_exhaust_memory_in_graph() {
    if !have_ffmpeg() {
        return;
    }
    let cases: usize = std::env::var("REEL_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let seed: u64 = std::env::var("REEL_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_f00d);
    let dir = tempfile::tempdir().unwrap();
    let docs = corpus(dir.path());
    assert!(docs.len() >= 8, "the corpus shrank: {}", docs.len());
    // A .edit template and its data: data mutated by value, the template by bytes.
    // (The bundled templates draw at 1080p: too slow for a few hundred cases.)
    let edit = EDIT.as_bytes().to_vec();
    let quotes = root().join("examples/quote-card/quotes.json");
    let data: Value = serde_json::from_slice(&std::fs::read(quotes).unwrap()).unwrap();
    let findings = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz-findings");
    let threads = 2;
    let (failures, codes) = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (docs, edit, data, findings) = (&docs, &edit, &data, &findings);
                let dir = dir.path();
                s.spawn(move || {
                    let mut failures = Vec::new();
                    let mut codes = [0usize; 3];
                    let work = tempfile::tempdir_in(dir).unwrap();
                    for name in ["v.mp4", "a.mp3", "i.jpg", "i.png", "f.ttf"] {
                        std::fs::hard_link(dir.join(name), work.path().join(name)).unwrap();
                    }
                    for case in (t..cases).step_by(threads) {
                        let mut rng = Rng(seed ^ (case as u64 + 1).wrapping_mul(0x9E37_79B9));
                        let (file, bytes, args): (&str, Vec<u8>, Vec<&str>) = if case % 8 == 7 {
                            // The template and its data.
                            let mut t = edit.clone();
                            let mut d = data.clone();
                            if rng.below(3) == 0 {
                                mutate_bytes(&mut t, &mut rng);
                            } else {
                                for _ in 0..=rng.below(3) {
                                    mutate_value(&mut d, &mut rng);
                                }
                            }
                            std::fs::write(work.path().join("q.edit"), &t).unwrap();
                            let mut d = serde_json::to_vec(&d).unwrap();
                            if d.len() > MAX_MUTANT {
                                d = serde_json::to_vec(data).unwrap();
                            }
                            ("q.json", d, vec!["graph", "q.edit", "--data", "q.json"])
                        } else {
                            let (_, base) = &docs[rng.below(docs.len())];
                            let mut bytes = base.clone();
                            if rng.below(4) == 0 {
                                for _ in 0..=rng.below(3) {
                                    mutate_bytes(&mut bytes, &mut rng);
                                }
                            } else if let Ok(mut doc) = serde_json::from_slice::<Value>(&bytes) {
                                for _ in 0..=rng.below(2) {
                                    mutate_value(&mut doc, &mut rng);
                                }
                                bytes = serde_json::to_vec(&doc).unwrap();
                            }
                            if bytes.len() > MAX_MUTANT {
                                bytes = base.clone();
                                mutate_bytes(&mut bytes, &mut rng);
                            }
                            ("d.json", bytes, vec!["graph", "d.json"])
                        };
                        std::fs::write(work.path().join(file), &bytes).unwrap();
                        let outcome = run_case(work.path(), &args);
                        if let Ok(code) = outcome {
                            codes[code as usize] += 1;
                        }
                        if let Err(why) = outcome {
                            std::fs::create_dir_all(findings).unwrap();
                            let keep = findings.join(format!("case-{case}-{file}"));
                            std::fs::write(&keep, &bytes).unwrap();
                            if file == "q.json" {
                                let t = std::fs::read(work.path().join("q.edit")).unwrap();
                                std::fs::write(findings.join(format!("case-{case}-q.edit")), t)
                                    .unwrap();
                            }
                            failures.push(format!(
                                "case {case} (input kept in {}): {why}",
                                keep.display()
                            ));
                        }
                    }
                    (failures, codes)
                })
            })
            .collect();
        let mut all = (Vec::new(), [0usize; 3]);
        for w in workers {
            let (f, c) = w.join().unwrap();
            all.0.extend(f);
            (0..3).for_each(|i| all.1[i] += c[i]);
        }
        all
    });
    eprintln!("exit codes 0/1/2: {codes:?} of {cases} cases");
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed (seed {seed}):\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Not a fuzzer that only meets parse errors: some mutants plan a graph.
    assert!(codes[0] * 20 >= cases, "too few valid mutants: {codes:?}");
}
