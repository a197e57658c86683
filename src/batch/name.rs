//! Output file names: the template's `name` sanitised into a safe file stem, `row-0001` when it
//! has none, and the extension of the output format.
//!
//! Pure. Collisions between rows are found by the planner ([`super::plan`]), which knows every
//! name before rendering starts.

/// Longest stem kept, in bytes: leaves room for the extension and the runner's `.part`
/// suffix under the usual 255-byte file-name limit, and keeps summary tables readable.
pub const MAX_STEM_BYTES: usize = 120;

/// Characters Windows (and SMB shares mounted elsewhere) refuse in file names, plus both
/// path separators.
const RESERVED: &[char] = &['/', '\\', '<', '>', ':', '"', '|', '?', '*'];

/// Device names Windows reserves whatever the extension.
const DEVICES: &[&str] = &["con", "prn", "aux", "nul"];

/// The default stem of the row with this 0-based index: `row-0001` for index 0.
pub fn default_stem(index: usize) -> String {
    format!("row-{:04}", index + 1)
}

/// Turns a template's `name` into a file stem: no path separators, no `..`, no control or
/// reserved characters (each becomes `_`), no leading dots or trailing dots and spaces, at most
/// [`MAX_STEM_BYTES`]. `None` when nothing usable is left.
pub fn sanitize(raw: &str) -> Option<String> {
    let mapped: String = raw
        .chars()
        .map(|c| {
            if c.is_control() || RESERVED.contains(&c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let mut stem = mapped
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace())
        .to_string();
    if stem.len() > MAX_STEM_BYTES {
        let mut cut = MAX_STEM_BYTES;
        while !stem.is_char_boundary(cut) {
            cut -= 1;
        }
        stem.truncate(cut);
        stem = stem.trim_end_matches(['.', ' ']).to_string();
    }
    if stem.chars().all(|c| c == '_') {
        return None;
    }
    if is_device_name(&stem) {
        stem.push('_');
    }
    Some(stem)
}

fn is_device_name(stem: &str) -> bool {
    let lower = stem.to_ascii_lowercase();
    let base = lower.split('.').next().unwrap_or("");
    DEVICES.contains(&base)
        || ((base.starts_with("com") || base.starts_with("lpt"))
            && base.len() == 4
            && base.as_bytes()[3].is_ascii_digit())
}

/// The output file name of a row: its sanitised `name` or `row-NNNN`, plus `.EXT`.
pub fn file_name(raw: Option<&str>, index: usize, extension: &str) -> String {
    let stem = raw
        .and_then(sanitize)
        .unwrap_or_else(|| default_stem(index));
    format!("{stem}.{extension}")
}

/// The file extension of a Shotstack output format (`mp4` when unknown or absent).
pub fn extension(format: Option<&str>) -> &'static str {
    match format.map(str::to_ascii_lowercase).as_deref() {
        Some("gif") => "gif",
        Some("mp3") => "mp3",
        Some("jpg") | Some("jpeg") => "jpg",
        Some("png") => "png",
        Some("bmp") => "bmp",
        Some("webm") => "webm",
        Some("mov") => "mov",
        _ => "mp4",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitising_removes_everything_unsafe() {
        let cases: &[(&str, Option<&str>)] = &[
            ("jane-doe", Some("jane-doe")),
            ("Zoë O'Brien", Some("Zoë O'Brien")),
            ("../../etc/passwd", Some("_.._etc_passwd")),
            ("..", None),
            ("a/b\\c", Some("a_b_c")),
            ("tab\there\nnew", Some("tab_here_new")),
            ("what?<>:\"|*", Some("what_______")),
            ("  .hidden. ", Some("hidden")),
            ("", None),
            ("///", None),
            ("CON", Some("CON_")),
            ("com1.backup", Some("com1.backup_")),
            ("console", Some("console")),
        ];
        for (input, want) in cases {
            assert_eq!(sanitize(input).as_deref(), *want, "{input:?}");
        }
    }

    #[test]
    fn long_names_are_cut_on_a_char_boundary() {
        let long = "é".repeat(200);
        let stem = sanitize(&long).unwrap();
        assert!(stem.len() <= MAX_STEM_BYTES);
        assert!(stem.chars().all(|c| c == 'é'));
    }

    #[test]
    fn file_names_fall_back_to_the_row_number() {
        assert_eq!(file_name(None, 0, "mp4"), "row-0001.mp4");
        assert_eq!(file_name(Some(".."), 41, "gif"), "row-0042.gif");
        assert_eq!(file_name(Some("jane"), 41, "mp4"), "jane.mp4");
        assert_eq!(file_name(None, 12344, "mp4"), "row-12345.mp4");
        assert_eq!(extension(Some("JPG")), "jpg");
        assert_eq!(extension(None), "mp4");
    }
}
