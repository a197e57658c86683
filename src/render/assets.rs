//! The remote media of an Edit: what `reel assets` lists and `reel check --fetch` checks.
//!
//! A remote asset is any `src` (clip assets, soundtrack, fonts) that is an `http(s)://` URL;
//! an `svg` asset's `src` is markup, never a URL. Each URL is in one of three states: mapped to
//! a local file by `--url-map` / `url-map`, already in the download cache, or missing (would
//! be downloaded by `reel render`).

use std::path::PathBuf;

use serde_json::Value;

use super::cache::Cache;
use super::fetch::{self, FetchLimits};

/// Where a remote URL's bytes would come from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Mapped to a local file (which may not exist: see [`Asset::exists`]).
    Mapped,
    /// In the download cache.
    Cached,
    /// Neither: `reel render` downloads it.
    Missing,
}

/// One remote URL and its state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Asset {
    /// The URL as written.
    pub url: String,
    /// JSON pointer of the first `src` that names it.
    pub pointer: String,
    /// The file it is read from: the mapped file, or its download cache file.
    pub path: PathBuf,
    /// Whether that file exists.
    pub exists: bool,
    /// Mapped, cached or missing.
    pub state: State,
}

/// Every distinct remote `src` URL of an Edit JSON, with the pointer of its first use, in
/// document order.
pub fn remote_srcs(edit: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    walk(edit, &mut String::new(), &mut out);
    out
}

fn walk(v: &Value, ptr: &mut String, out: &mut Vec<(String, String)>) {
    let len = ptr.len();
    match v {
        Value::Object(map) => {
            let svg = map.get("type").and_then(Value::as_str) == Some("svg");
            for (k, child) in map {
                ptr.push('/');
                ptr.push_str(&crate::edit::origins::pointer_segment(k));
                match child {
                    Value::String(s) if k == "src" && !svg && is_http(s) => {
                        if !out.iter().any(|(u, _)| u == s) {
                            out.push((s.clone(), ptr.clone()));
                        }
                    }
                    _ => walk(child, ptr, out),
                }
                ptr.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                ptr.push('/');
                ptr.push_str(&i.to_string());
                walk(child, ptr, out);
                ptr.truncate(len);
            }
        }
        _ => {}
    }
}

fn is_http(s: &str) -> bool {
    let lower = s.trim_start().get(..8).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// The state of `url` under `cache` (and its URL map). Reads only file metadata.
pub fn state(url: &str, pointer: &str, cache: &Cache) -> Asset {
    let (state, path) = match cache.url_map().lookup(url) {
        Some(path) => (State::Mapped, path),
        None => {
            let path = fetch::cache_path(url, cache);
            let state = if path.is_file() {
                State::Cached
            } else {
                State::Missing
            };
            (state, path)
        }
    };
    Asset {
        url: url.to_string(),
        pointer: pointer.to_string(),
        exists: path.is_file(),
        path,
        state,
    }
}

/// Whether `url` answers: a `HEAD`, then (servers that refuse `HEAD`) a `GET` of its first
/// byte. Bounded by the connect and idle timeouts of `limits`; reads at most a few bytes.
/// `Err` says why not (`http status: 404`, `connection refused`, `timed out`).
pub fn reachable(url: &str, limits: &FetchLimits) -> Result<(), String> {
    let agent = ureq::Agent::config_builder()
        .timeout_connect(Some(limits.connect_timeout))
        .timeout_recv_response(Some(limits.idle_timeout))
        .timeout_per_read(Some(limits.idle_timeout))
        .timeout_global(Some(limits.connect_timeout + limits.idle_timeout * 2))
        .build()
        .new_agent();
    let head = agent.head(url).call();
    match head {
        Ok(_) => Ok(()),
        Err(ureq::Error::StatusCode(code)) if code == 404 || code == 410 => {
            Err(format!("http status: {code}"))
        }
        Err(first) => match agent.get(url).header("Range", "bytes=0-0").call() {
            Ok(_) => Ok(()),
            Err(ureq::Error::StatusCode(code)) => Err(format!("http status: {code}")),
            Err(e) => Err(match first {
                ureq::Error::StatusCode(_) => e.to_string(),
                first => first.to_string(),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn remote_srcs_are_found_once_and_svg_markup_is_not_a_url() {
        let edit = json!({ "timeline": {
            "soundtrack": { "src": "https://x.io/m.mp3" },
            "fonts": [ { "src": "https://x.io/f.ttf" } ],
            "tracks": [ { "clips": [
                { "asset": { "type": "image", "src": "https://x.io/a.png" } },
                { "asset": { "type": "image", "src": "https://x.io/a.png" } },
                { "asset": { "type": "video", "src": "local.mp4" } },
                { "asset": { "type": "svg", "src": "<svg/>" } }
            ] } ] } });
        let urls: Vec<_> = remote_srcs(&edit).into_iter().map(|(u, _)| u).collect();
        assert_eq!(
            urls,
            [
                "https://x.io/m.mp3",
                "https://x.io/f.ttf",
                "https://x.io/a.png"
            ]
        );
        let ptrs: Vec<_> = remote_srcs(&edit).into_iter().map(|(_, p)| p).collect();
        assert_eq!(ptrs[2], "/timeline/tracks/0/clips/0/asset/src");
    }
}
