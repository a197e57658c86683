//! `file://` URIs to paths and back (the only scheme `reel lsp` reads).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types::Uri;

/// The path of a `file://` URI (percent-decoded); `None` for other schemes.
pub(crate) fn to_path(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    // `file:///home/a` (empty host) or `file://localhost/home/a`.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    Some(PathBuf::from(String::from_utf8(out).ok()?))
}

/// The `file://` URI of an absolute path.
pub(crate) fn from_path(path: &Path) -> Option<Uri> {
    let path = std::path::absolute(path).ok()?;
    let mut s = String::from("file://");
    for b in path.to_str()?.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_spaces_and_accents() {
        let p = Path::new("/tmp/my dir/zoë.edit");
        let uri = from_path(p).unwrap();
        assert_eq!(uri.as_str(), "file:///tmp/my%20dir/zo%C3%AB.edit");
        assert_eq!(to_path(&uri).unwrap(), p);
        let vscode = Uri::from_str("file:///tmp/a%3Ab.edit").unwrap();
        assert_eq!(to_path(&vscode).unwrap(), Path::new("/tmp/a:b.edit"));
    }
}
