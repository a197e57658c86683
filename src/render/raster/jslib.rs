//! The JavaScript libraries the Shotstack schema promises to `html5` scripts: `gsap`, `d3`,
//! `anime` and `lottie`, served to the page at `/.reel/js/NAME` before its own script.
//!
//! anime.js (MIT), d3 (ISC) and lottie-web (MIT) are vendored under `assets/js/` with their
//! licences. GSAP is not: its "Standard no-charge license" is not an open-source licence (the
//! package says "All rights reserved", with terms on gsap.com), so reel does not redistribute
//! it; it is downloaded once from the npm registry into the download cache, checked against a
//! pinned hash, and read from there (see `docs/rendering.md`).
//!
//! A library is put on a page when the page's markup or script names it: a page that never
//! says `gsap` does not pay for loading it.

use std::io::Read;

use crate::render::access::Access;

macro_rules! vendored {
    ($file:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/js/", $file))
    };
}

/// A library: the words that make a page want it, and where its bytes come from.
struct Lib {
    /// File name under `/.reel/js/`.
    file: &'static str,
    /// A page whose markup or script contains one of these wants the library.
    words: &'static [&'static str],
    /// Vendored bytes; `None` for GSAP (downloaded).
    bytes: Option<&'static [u8]>,
}

const LIBS: &[Lib] = &[
    Lib {
        file: "gsap.min.js",
        words: &[
            "gsap",
            "TweenMax",
            "TweenLite",
            "TimelineMax",
            "TimelineLite",
        ],
        bytes: None,
    },
    Lib {
        file: "anime.min.js",
        words: &["anime"],
        bytes: Some(vendored!("anime.min.js")),
    },
    Lib {
        file: "d3.min.js",
        words: &["d3"],
        bytes: Some(vendored!("d3.min.js")),
    },
    Lib {
        file: "lottie.min.js",
        words: &["lottie", "bodymovin"],
        bytes: Some(vendored!("lottie.min.js")),
    },
];

/// The GSAP release reel loads, from the npm registry.
pub(crate) const GSAP_TARBALL: &str = "https://registry.npmjs.org/gsap/-/gsap-3.15.0.tgz";
/// The file inside that tarball.
const GSAP_FILE: &str = "package/dist/gsap.min.js";
/// blake3 of that file: a changed download is refused.
const GSAP_BLAKE3: &str = "0a705954bbbe95f3a0c82d91f20af16b181e87a5f427e54d9be67d9dcec5231f";

/// One library on a page.
pub(crate) struct Loaded {
    /// File name under `/.reel/js/`.
    pub(crate) file: &'static str,
    /// Its bytes.
    pub(crate) bytes: Vec<u8>,
}

/// The libraries `text` (markup and script) names, loaded; a library that cannot be loaded is
/// left out with a warning message.
pub(crate) fn wanted(text: &str, access: &Access) -> (Vec<Loaded>, Vec<String>) {
    let mut loaded = Vec::new();
    let mut problems = Vec::new();
    for lib in LIBS {
        if !lib.words.iter().any(|w| text.contains(w)) {
            continue;
        }
        let bytes = match lib.bytes {
            Some(b) => Ok(b.to_vec()),
            None => gsap(access),
        };
        match bytes {
            Ok(bytes) => loaded.push(Loaded {
                file: lib.file,
                bytes,
            }),
            Err(e) => problems.push(format!("cannot load `{}`: {e}", lib.file)),
        }
    }
    (loaded, problems)
}

/// The `<script>` tags for `libs`, in order.
pub(crate) fn script_tags(libs: &[Loaded]) -> String {
    libs.iter()
        .map(|l| {
            format!(
                "<script src=\"{}js/{}\"></script>",
                super::page::RESERVED,
                l.file
            )
        })
        .collect()
}

/// GSAP's minified build, from the download cache (fetched from the npm registry once).
fn gsap(access: &Access) -> Result<Vec<u8>, String> {
    // A fixed URL reel chose, not one from markup: no host check, the pinned hash is the guard.
    let path = crate::render::fetch::download_cached(GSAP_TARBALL, access.cache())
        .map_err(|e| e.to_string())?;
    let tgz = std::fs::read(&path).map_err(|e| e.to_string())?;
    let file = untar_gz(&tgz, GSAP_FILE)?;
    let hash = blake3::hash(&file).to_hex();
    if hash.as_str() != GSAP_BLAKE3 {
        return Err(format!(
            "`{GSAP_TARBALL}` holds another `{GSAP_FILE}` than the one reel was built with"
        ));
    }
    Ok(file)
}

/// The file `name` inside a gzipped tar archive. Pure.
fn untar_gz(tgz: &[u8], name: &str) -> Result<Vec<u8>, String> {
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(tgz)
        .read_to_end(&mut tar)
        .map_err(|e| format!("not a gzip archive: {e}"))?;
    let mut at = 0;
    while at + 512 <= tar.len() {
        let head = &tar[at..at + 512];
        if head.iter().all(|&b| b == 0) {
            break;
        }
        let field = |r: std::ops::Range<usize>| {
            let f = &head[r];
            let end = f.iter().position(|&b| b == 0).unwrap_or(f.len());
            String::from_utf8_lossy(&f[..end]).into_owned()
        };
        let size = usize::from_str_radix(field(124..136).trim(), 8)
            .map_err(|_| "a tar header has no size".to_string())?;
        let (prefix, short) = (field(345..500), field(0..100));
        let path = if prefix.is_empty() {
            short
        } else {
            format!("{prefix}/{short}")
        };
        let body = at + 512;
        if path == name && body + size <= tar.len() {
            return Ok(tar[body..body + size].to_vec());
        }
        at = body + size.div_ceil(512) * 512;
    }
    Err(format!("`{name}` is not in the archive"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libraries_load_when_named() {
        let access = super::super::tests::test_access();
        let (libs, problems) = wanted("d3.select('svg'); anime({targets: 'p'})", &access);
        assert!(problems.is_empty(), "{problems:?}");
        let files: Vec<&str> = libs.iter().map(|l| l.file).collect();
        assert_eq!(files, ["anime.min.js", "d3.min.js"]);
        assert!(libs[0].bytes.starts_with(b"/*\n * anime.js v3.2.2"));
        assert!(wanted("document.body", &access).0.is_empty());
        assert_eq!(
            script_tags(&libs),
            "<script src=\"/.reel/js/anime.min.js\"></script>\
             <script src=\"/.reel/js/d3.min.js\"></script>"
        );
    }

    #[test]
    fn tar_members_are_found_by_path() {
        let mut tar = vec![0u8; 512];
        tar[..13].copy_from_slice(b"package/a.txt");
        tar[124..135].copy_from_slice(b"00000000005");
        tar.extend_from_slice(b"hello");
        tar.resize(1024 + 1024, 0);
        let mut gz = Vec::new();
        {
            use std::io::Write;
            let mut enc = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::fast());
            enc.write_all(&tar).unwrap();
            enc.finish().unwrap();
        }
        assert_eq!(untar_gz(&gz, "package/a.txt").unwrap(), b"hello");
        assert!(untar_gz(&gz, "package/b.txt").is_err());
        assert!(untar_gz(b"nope", "x").is_err());
    }
}
