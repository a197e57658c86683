//! Turns user font bytes into a plain sfnt (TrueType/OpenType): WOFF and WOFF2 are decompressed
//! with the pure-Rust `wuff` crate; anything that is not a font is an error naming the file.

use crate::diagnostics::Diagnostic;

/// Decodes `bytes` (ttf, otf, ttc, woff, woff2) into sfnt bytes; `name` names the file in errors.
pub(crate) fn decode(bytes: Vec<u8>, name: &str) -> Result<Vec<u8>, Diagnostic> {
    let sfnt = match bytes.get(..4) {
        Some(b"wOFF") => wuff::decompress_woff1(&bytes).map_err(|_| corrupt(name, "WOFF"))?,
        Some(b"wOF2") => wuff::decompress_woff2(&bytes).map_err(|_| corrupt(name, "WOFF2"))?,
        _ => bytes,
    };
    let faces = ttf_parser::fonts_in_collection(&sfnt).unwrap_or(1);
    let parses = (0..faces).any(|i| ttf_parser::Face::parse(&sfnt, i).is_ok());
    if !parses {
        return Err(Diagnostic::error(format!("`{name}` is not a font file"))
            .with_note("expected a TrueType, OpenType, WOFF or WOFF2 font"));
    }
    Ok(sfnt)
}

fn corrupt(name: &str, kind: &str) -> Diagnostic {
    Diagnostic::error(format!("cannot decompress the {kind} font `{name}`"))
        .with_note("the file starts like a web font but its data is damaged or truncated")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_fonts_pass_through_and_junk_is_rejected() {
        let ttf = include_bytes!("../../../fonts/arapey/Arapey-Regular.ttf").to_vec();
        assert_eq!(decode(ttf.clone(), "a.ttf").unwrap(), ttf);
        let err = decode(b"hello".to_vec(), "logo.png").unwrap_err();
        assert_eq!(err.message, "`logo.png` is not a font file");
        let err = decode(b"wOF2garbage".to_vec(), "x.woff2").unwrap_err();
        assert!(
            err.message.contains("WOFF2 font `x.woff2`"),
            "{}",
            err.message
        );
    }

    /// Fixtures made from Arapey by `tests/fixtures/raster/mkwoff.py` and `mkwoff2.py`.
    #[test]
    fn woff_and_woff2_fixtures_decode_to_the_original_font() {
        let ttf = include_bytes!("../../../fonts/arapey/Arapey-Regular.ttf");
        let original = ttf_parser::Face::parse(ttf, 0).unwrap();
        for (name, bytes) in [
            (
                "arapey.woff",
                &include_bytes!("../../../tests/fixtures/raster/arapey.woff")[..],
            ),
            (
                "arapey.woff2",
                &include_bytes!("../../../tests/fixtures/raster/arapey.woff2")[..],
            ),
        ] {
            let sfnt = decode(bytes.to_vec(), name).unwrap();
            let face = ttf_parser::Face::parse(&sfnt, 0).unwrap();
            assert_eq!(
                face.number_of_glyphs(),
                original.number_of_glyphs(),
                "{name}"
            );
            assert_eq!(face.glyph_index('A'), original.glyph_index('A'), "{name}");
            let (a, b) = (
                face.glyph_bounding_box(face.glyph_index('g').unwrap()),
                original.glyph_bounding_box(original.glyph_index('g').unwrap()),
            );
            assert_eq!(a, b, "{name}");
        }
    }
}
