//! `--url-map PREFIX=DIR` and the `url-map "PREFIX" "DIR"` statement: media whose `src` starts
//! with PREFIX is read from DIR plus the rest of the URL instead of being downloaded, so
//! documents from the wild render offline.
//!
//! Rules, decided here:
//! - The first mapping whose prefix starts the URL wins; command-line mappings come before the
//!   template's.
//! - The rest of the URL loses its `?query` and `#fragment` and is percent-decoded
//!   (`a%20b.png` → `a b.png`); a rest with a `..` segment (or a NUL) is not mapped, so a URL
//!   cannot name a file outside DIR.
//! - A mapped URL never reaches the network, whether the file exists or not: a missing file
//!   is reported as one.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::fetch::percent_decode;

/// The URL mappings of one run (cheap to clone).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlMap {
    entries: Arc<Vec<(String, PathBuf)>>,
}

impl UrlMap {
    /// A map of `(prefix, dir)` pairs, first match wins.
    pub fn new(entries: Vec<(String, PathBuf)>) -> UrlMap {
        UrlMap {
            entries: Arc::new(entries),
        }
    }

    /// Parses `--url-map PREFIX=DIR` (split at the last `=`: URLs may hold `=`, directories
    /// rarely do).
    pub fn parse_arg(text: &str) -> Result<(String, PathBuf), String> {
        match text.rsplit_once('=') {
            Some((prefix, dir)) if !prefix.is_empty() && !dir.is_empty() => {
                Ok((prefix.to_string(), PathBuf::from(dir)))
            }
            _ => Err(format!(
                "`{text}` is not PREFIX=DIR (example: https://cdn.example.com/=media)"
            )),
        }
    }

    /// Whether there are no mappings.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The local file `url` maps to, if a prefix matches.
    pub fn lookup(&self, url: &str) -> Option<PathBuf> {
        let (prefix, dir) = self.entries.iter().find(|(p, _)| url.starts_with(p))?;
        let rest = &url[prefix.len()..];
        let rest = rest.split(['?', '#']).next().unwrap_or("");
        let rest = percent_decode(rest);
        let rest = rest.trim_start_matches('/');
        if rest.contains('\0') || Path::new(rest).components().any(|c| c.as_os_str() == "..") {
            return None;
        }
        Some(if rest.is_empty() {
            dir.clone()
        } else {
            dir.join(rest)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_map_to_files_inside_the_directory() {
        let map = UrlMap::new(vec![
            ("https://cdn.x.io/img/".into(), PathBuf::from("/m/img")),
            ("https://cdn.x.io/".into(), PathBuf::from("/m")),
        ]);
        assert_eq!(
            map.lookup("https://cdn.x.io/img/a%20b.png?w=3#x"),
            Some(PathBuf::from("/m/img/a b.png"))
        );
        assert_eq!(
            map.lookup("https://cdn.x.io/v/c.mp4"),
            Some(PathBuf::from("/m/v/c.mp4"))
        );
        assert_eq!(map.lookup("https://other.io/a.png"), None);
        assert_eq!(map.lookup("https://cdn.x.io/../etc/passwd"), None);
        assert_eq!(map.lookup("https://cdn.x.io/a/%2e%2e/%2e%2e/x"), None);
    }

    #[test]
    fn arguments_split_at_the_last_equals_sign() {
        assert_eq!(
            UrlMap::parse_arg("https://x.io/?a=b=media"),
            Ok(("https://x.io/?a=b".into(), PathBuf::from("media")))
        );
        assert!(UrlMap::parse_arg("nodir").is_err());
        assert!(UrlMap::parse_arg("=dir").is_err());
    }
}
