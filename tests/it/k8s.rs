//! Integration tests: `examples/k8s`. No cluster is reachable here, so the Indexed Job is
//! checked for its structure (a real YAML parser reads it), the image it names against the
//! Containerfile, and its pod command is run for real, once per completion index, on this
//! machine (the real binary and ffmpeg): what each pod would do, without Kubernetes.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

use crate::util::{fixture, have_ffmpeg, reel, root, run};

/// The Job manifest, parsed.
fn job() -> Yaml {
    let text = std::fs::read_to_string(root().join("examples/k8s/render-job.yaml")).unwrap();
    let mut docs = YamlLoader::load_from_str(&text).expect("render-job.yaml is YAML");
    assert_eq!(docs.len(), 1, "one document");
    docs.remove(0)
}

/// The Job's one container.
fn container(job: &Yaml) -> &Yaml {
    let containers = job["spec"]["template"]["spec"]["containers"]
        .as_vec()
        .expect("containers");
    assert_eq!(containers.len(), 1);
    &containers[0]
}

/// The value of the container's environment variable `name`.
fn env<'a>(container: &'a Yaml, name: &str) -> Option<&'a str> {
    container["env"]
        .as_vec()?
        .iter()
        .find(|e| e["name"].as_str() == Some(name))?["value"]
        .as_str()
}

/// The pod's shell script (`command: [/bin/sh, -c]`, `args: [script]`).
fn pod_script(container: &Yaml) -> String {
    let command: Vec<&str> = container["command"]
        .as_vec()
        .expect("command")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(command, ["/bin/sh", "-c"]);
    let args = container["args"].as_vec().expect("args");
    assert_eq!(args.len(), 1);
    args[0].as_str().expect("script").to_string()
}

/// The tags in the Containerfile's documented build commands (`… build -t TAG …`).
fn documented_tags(containerfile: &str) -> Vec<String> {
    containerfile
        .lines()
        .filter_map(|l| l.strip_prefix('#'))
        .filter(|l| l.contains(" build "))
        .filter_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let i = words.iter().position(|w| *w == "-t")?;
            words.get(i + 1).map(|t| t.to_string())
        })
        .collect()
}

#[test]
fn k8s_job_is_indexed_over_the_shards_with_the_containerfile_image() {
    let job = job();
    assert_eq!(job["apiVersion"].as_str(), Some("batch/v1"));
    assert_eq!(job["kind"].as_str(), Some("Job"));
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"].as_str(), Some("Indexed"));
    let completions = spec["completions"].as_i64().expect("completions");
    let parallelism = spec["parallelism"].as_i64().expect("parallelism");
    assert!(completions >= 1 && (1..=completions).contains(&parallelism));
    // Indexed pods must not restart in place; the Job retries them (backoffLimit).
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["restartPolicy"].as_str(), Some("Never"));
    assert!(spec["backoffLimit"].as_i64().is_some_and(|n| n > 0));

    // Pod K renders shard K of N, N being the number of completions.
    let c = container(&job);
    let shards: i64 = env(c, "SHARDS").expect("SHARDS").parse().unwrap();
    assert_eq!(shards, completions, "SHARDS must equal completions");
    let script = pod_script(c);
    assert!(
        script.contains(r#"--shard "$JOB_COMPLETION_INDEX/$SHARDS""#),
        "{script}"
    );
    assert!(script.trim_start().starts_with("reel render "), "{script}");

    // The files it names are on the volume it mounts.
    let mounts = c["volumeMounts"].as_vec().expect("volumeMounts");
    let mount = mounts[0]["mountPath"].as_str().unwrap();
    let volume = &pod["volumes"].as_vec().expect("volumes")[0];
    assert_eq!(volume["name"].as_str(), mounts[0]["name"].as_str());
    assert!(
        volume["persistentVolumeClaim"]["claimName"]
            .as_str()
            .is_some()
    );
    for word in script.split_whitespace().filter(|w| w.starts_with('/')) {
        assert!(
            word.starts_with(&format!("{mount}/")),
            "{word} is off {mount}"
        );
    }

    // The image is the one the Containerfile beside it documents.
    let dockerfile = std::fs::read_to_string(root().join("examples/k8s/Containerfile")).unwrap();
    let tags = documented_tags(&dockerfile);
    assert!(
        !tags.is_empty(),
        "Containerfile documents no `build -t TAG`"
    );
    let image = c["image"].as_str().expect("image");
    assert!(tags.iter().all(|t| t == image), "{image} vs {tags:?}");
}

#[test]
fn containerfile_builds_reel_in_a_rust_stage_and_runs_it_on_debian_with_ffmpeg() {
    let text = std::fs::read_to_string(root().join("examples/k8s/Containerfile")).unwrap();
    let from: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(from.len(), 2, "two stages: {from:?}");
    assert!(
        from[0].contains("rust") && from[0].ends_with(" AS build"),
        "{from:?}"
    );
    assert!(from[1].contains("debian"), "{from:?}");
    assert!(text.contains("cargo build --release --locked"), "{text}");
    assert!(text.contains("COPY --from=build "), "{text}");
    let install = text
        .split("apt-get install")
        .nth(1)
        .expect("apt-get install");
    let install = &install[..install.find("&&").unwrap_or(install.len())];
    assert!(install.contains(" ffmpeg "), "{install}");
    assert!(install.contains("fonts-"), "{install}");
    // The build context is the repository: target/ must not be sent.
    let ignore = std::fs::read_to_string(root().join(".dockerignore")).unwrap();
    assert!(ignore.lines().any(|l| l.trim() == "target"), "{ignore}");
}

/// Runs the pod script as pod `index` would, with the volume at `work` and `reel` on PATH.
fn run_pod(script: &str, shards: &str, index: usize, work: &Path) -> (i32, String) {
    let bin = Path::new(env!("CARGO_BIN_EXE_reel")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = script.replace("/work/", &format!("{}/", work.display()));
    let (code, _, err) = run(Command::new("/bin/sh")
        .args(["-c", &script])
        .env("PATH", path)
        .env("SHARDS", shards)
        .env("JOB_COMPLETION_INDEX", index.to_string())
        .env("NO_COLOR", "1"));
    (code, err)
}

#[test]
fn k8s_pod_command_renders_every_row_once_over_the_completion_indexes() {
    if !have_ffmpeg() {
        return;
    }
    let job = job();
    let c = container(&job);
    let shards = env(c, "SHARDS").unwrap().to_string();
    let n: usize = shards.parse().unwrap();
    let script = pod_script(c);
    // The volume: the batch fixtures as promo.edit and customers.csv (rows 1-8; row 7 has a
    // bad cell), with their assets.
    let work = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("batch/tiny.edit"), work.path().join("promo.edit")).unwrap();
    let rows = std::fs::read_to_string(fixture("batch/rows.csv")).unwrap();
    let first: Vec<&str> = rows.lines().take(9).collect();
    std::fs::write(work.path().join("customers.csv"), first.join("\n") + "\n").unwrap();
    std::fs::create_dir(work.path().join("assets")).unwrap();
    for colour in ["red", "blue"] {
        let ok = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
            .arg(format!("color=c={colour}:s=64x36"))
            .args(["-frames:v", "1"])
            .arg(work.path().join(format!("assets/{colour}.png")))
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }
    for k in 0..n {
        // A failed row is a finished shard (exit 0), not a pod for Kubernetes to retry.
        let (code, err) = run_pod(&script, &shards, k, work.path());
        assert_eq!(code, 0, "pod {k}: {err}");
    }
    let (code, _, err) = run(reel(work.path()).args(["summary", "out"]));
    assert_eq!(code, 1, "row 7 failed: {err}");
    assert!(
        err.contains(&format!("merged {n} shard summaries")),
        "{err}"
    );
    let text = std::fs::read_to_string(work.path().join("out/summary.json")).unwrap();
    let merged: Value = serde_json::from_str(&text).unwrap();
    let rows = merged["rows"].as_array().unwrap();
    let numbers: Vec<u64> = rows.iter().map(|r| r["row"].as_u64().unwrap()).collect();
    assert_eq!(numbers, (1..=8).collect::<Vec<u64>>(), "each row once");
    for r in rows {
        let want = if r["row"] == 7 { "failed" } else { "rendered" };
        assert_eq!(r["status"], want, "{r}");
    }
    for k in 0..n {
        let s = std::fs::read_to_string(work.path().join(format!("out/summary-{k}-of-{n}.json")))
            .unwrap();
        let s: Value = serde_json::from_str(&s).unwrap();
        for r in s["rows"].as_array().unwrap() {
            assert_eq!((r["row"].as_u64().unwrap() as usize - 1) % n, k, "{r}");
        }
    }
}
