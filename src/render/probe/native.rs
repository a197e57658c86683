//! In-process probing of the common media files, so that a render spawns no `ffprobe`.
//!
//! Reads the headers ffprobe would report for PNG and JPEG pictures (decoded, as ffprobe
//! decodes a still's first frame), MP4/MOV files holding H.264 video and AAC audio
//! ([`super::mp4`]) and MP3 files with a Xing/Info frame count, and fills the same
//! [`MediaInfo`] ffprobe's JSON would give. It answers only when it is sure ffmpeg reads the
//! file the same way: the contents start as the extension says, the name has no `%*?{[` (which
//! make ffmpeg's `image2` demuxer read a pattern), and every field is one it can derive
//! exactly. Anything else (another codec, an animated PNG, a rotated video, a file that does
//! not parse or decode) returns `None` and is left to ffprobe, which also words the errors.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::MediaInfo;

/// What a file's extension and first bytes say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Png,
    Jpeg,
    Mp4,
    Mp3,
}

/// The facts of `path` read in-process, or `None` when ffprobe must decide.
pub(super) fn read(path: &Path) -> Option<MediaInfo> {
    let kind = kind(path)?;
    let file = File::open(path).ok()?;
    match kind {
        Kind::Png => png(file),
        Kind::Jpeg => jpeg(file),
        Kind::Mp4 => super::mp4::read(file),
        Kind::Mp3 => mp3(file),
    }
}

/// The kind `path` claims by extension, if its first bytes agree. Pure but for the read.
fn kind(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_str()?;
    if name.contains(['%', '*', '?', '{', '[']) {
        return None;
    }
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    let kind = match ext.as_str() {
        "png" => Kind::Png,
        "jpg" | "jpeg" => Kind::Jpeg,
        "mp4" | "m4v" | "m4a" | "mov" => Kind::Mp4,
        "mp3" => Kind::Mp3,
        _ => return None,
    };
    let mut head = [0u8; 12];
    File::open(path).ok()?.read_exact(&mut head).ok()?;
    let agrees = match kind {
        Kind::Png => head.starts_with(b"\x89PNG\r\n\x1a\n"),
        Kind::Jpeg => head.starts_with(&[0xff, 0xd8, 0xff]),
        Kind::Mp4 => &head[4..8] == b"ftyp",
        Kind::Mp3 => head.starts_with(b"ID3") || frame_header(&head).is_some(),
    };
    agrees.then_some(kind)
}

/// A still picture as ffprobe describes it (`<codec>_pipe`, 25 fps nominal).
fn still(format: &str, codec: &str, width: u32, height: u32, pix_fmt: &str) -> MediaInfo {
    MediaInfo {
        duration: None,
        width: Some(width),
        height: Some(height),
        fps: Some(25.0),
        has_video: true,
        has_audio: false,
        is_still: true,
        format: format.to_string(),
        video_codec: Some(codec.to_string()),
        audio_codec: None,
        pix_fmt: Some(pix_fmt.to_string()),
    }
}

/// A PNG, decoded in full to prove it decodes (to its end chunk: a file cut after the
/// picture is ffprobe's to judge). Animated PNGs are ffprobe's (`apng`).
fn png(file: File) -> Option<MediaInfo> {
    let mut reader = png::Decoder::new(BufReader::new(file)).read_info().ok()?;
    let info = reader.info();
    if info.animation_control.is_some() || info.width == 0 || info.height == 0 {
        return None;
    }
    let (w, h) = (info.width, info.height);
    let pix = png_pix_fmt(info.color_type, info.bit_depth, info.trns.is_some())?;
    // Row by row: the whole picture is inflated and unfiltered, but never held (a 1080p
    // photo's 6 MB buffer cost more in page faults than its decoding).
    let mut rows = 0usize;
    while reader.next_row().ok()?.is_some() {
        rows += 1;
    }
    reader.finish().ok()?;
    (rows > 0).then(|| still("png_pipe", "png", w, h, pix))
}

/// ffmpeg's pixel format for a PNG colour type and depth; a `tRNS` chunk on a grey or RGB
/// picture gives it alpha (a palette keeps `pal8`). Pure.
fn png_pix_fmt(color: png::ColorType, depth: png::BitDepth, trns: bool) -> Option<&'static str> {
    use png::{BitDepth as D, ColorType as C};
    Some(match (color, depth, trns) {
        (C::Indexed, _, _) => "pal8",
        (C::Grayscale, D::One, false) => "monob",
        (C::Grayscale, D::Eight, false) => "gray",
        (C::Grayscale, D::Sixteen, false) => "gray16be",
        (C::Grayscale, D::Eight, true) => "ya8",
        (C::Grayscale, D::Sixteen, true) => "ya16be",
        (C::Rgb, D::Eight, false) => "rgb24",
        (C::Rgb, D::Sixteen, false) => "rgb48be",
        (C::Rgb, D::Eight, true) | (C::Rgba, D::Eight, _) => "rgba",
        (C::Rgb, D::Sixteen, true) | (C::Rgba, D::Sixteen, _) => "rgba64be",
        (C::GrayscaleAlpha, D::Eight, _) => "ya8",
        (C::GrayscaleAlpha, D::Sixteen, _) => "ya16be",
        _ => return None,
    })
}

/// Smaller JPEGs fit ffmpeg's first probe buffer, where `jpeg_pipe` sees the end marker and
/// wins; larger ones go to `image2` by extension.
const JPEG_PIPE_MAX: usize = 2048;

/// A baseline or progressive JPEG (`image2`), decoded in full to prove it decodes.
fn jpeg(file: File) -> Option<MediaInfo> {
    let mut bytes = Vec::new();
    BufReader::new(file).read_to_end(&mut bytes).ok()?;
    if bytes.len() <= JPEG_PIPE_MAX {
        return None;
    }
    let pix = jpeg_pix_fmt(&bytes)?;
    let mut dec = zune_jpeg::JpegDecoder::new(io::Cursor::new(&bytes[..]));
    dec.decode().ok()?;
    let info = dec.info()?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    (w > 0 && h > 0).then(|| still("image2", "mjpeg", w, h, pix))
}

/// ffmpeg's pixel format of a JPEG from its frame header's sampling factors: `yuvj420p`,
/// `yuvj422p`, `yuvj444p` or `gray`; `None` for the rarer layouts (RGB or CMYK, an Adobe
/// colour transform, 4:1:1, 4:4:0, 12 bits, arithmetic or lossless coding), which ffprobe
/// describes. Pure.
fn jpeg_pix_fmt(bytes: &[u8]) -> Option<&'static str> {
    let mut i = 2;
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xff {
            return None;
        }
        let marker = bytes[i + 1];
        if marker == 0xff {
            i += 1;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        let seg = bytes.get(i + 4..i + 2 + len)?;
        match marker {
            // Adobe's APP14 may declare RGB or YCCK.
            0xee if seg.starts_with(b"Adobe") => return None,
            // Baseline, extended and progressive Huffman frames.
            0xc0..=0xc2 => return sof_pix_fmt(seg),
            0xc3 | 0xc5..=0xc7 | 0xc9..=0xcb | 0xcd..=0xcf | 0xda => return None,
            _ => i += 2 + len,
        }
    }
    None
}

/// The pixel format of a SOF segment (after its length): the luma sampling factors over the
/// (equal) chroma ones. Pure.
fn sof_pix_fmt(seg: &[u8]) -> Option<&'static str> {
    let (&precision, rest) = seg.split_first()?;
    let comps = *rest.get(4)?;
    if precision != 8 {
        return None;
    }
    let comp = |c: usize| {
        let b = rest.get(5 + 3 * c..5 + 3 * c + 2)?;
        Some((b[0], b[1] >> 4, b[1] & 15))
    };
    match comps {
        1 => Some("gray"),
        3 => {
            let ((y_id, yh, yv), (cb_id, h, v), (cr_id, h2, v2)) = (comp(0)?, comp(1)?, comp(2)?);
            let rgb = [y_id, cb_id, cr_id] == *b"RGB";
            if rgb || (h, v) != (h2, v2) || h == 0 || v == 0 || yh % h != 0 || yv % v != 0 {
                return None;
            }
            match (yh / h, yv / v) {
                (1, 1) => Some("yuvj444p"),
                (2, 1) => Some("yuvj422p"),
                (2, 2) => Some("yuvj420p"),
                _ => None,
            }
        }
        _ => None,
    }
}

/// One MPEG audio layer III frame header: (MPEG-1?, mono?, sample rate, frame bytes).
#[derive(Debug, Clone, Copy, PartialEq)]
struct FrameHeader {
    mpeg1: bool,
    mono: bool,
    sample_rate: u32,
    len: usize,
}

/// Parses a layer III frame header at the start of `b`. Pure.
fn frame_header(b: &[u8]) -> Option<FrameHeader> {
    let h = u32::from_be_bytes(b.get(..4)?.try_into().ok()?);
    if h >> 21 != 0x7ff {
        return None;
    }
    let version = (h >> 19) & 3; // 0: 2.5, 2: 2, 3: 1
    let layer = (h >> 17) & 3; // 1: layer III
    let bitrate = ((h >> 12) & 15) as usize;
    let rate = ((h >> 10) & 3) as usize;
    if version == 1 || layer != 1 || bitrate == 0 || bitrate == 15 || rate == 3 {
        return None;
    }
    let mpeg1 = version == 3;
    const KBPS1: [u32; 15] = [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ];
    const KBPS2: [u32; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    let kbps = if mpeg1 { KBPS1 } else { KBPS2 }[bitrate];
    let sample_rate = [44100, 48000, 32000][rate] >> [2, 0, 1, 0][version as usize];
    let padding = (h >> 9) & 1;
    let per_frame = if mpeg1 { 144 } else { 72 };
    let len = (per_frame * kbps * 1000 / sample_rate + padding) as usize;
    Some(FrameHeader {
        mpeg1,
        mono: (h >> 6) & 3 == 3,
        sample_rate,
        len,
    })
}

/// An MP3 whose first frame carries a Xing/Info frame count (every LAME or ffmpeg encode):
/// its duration is frames × samples per frame ÷ rate, as ffmpeg's `mp3` demuxer reads it.
/// Files without the count (ffmpeg estimates from the bit rate) are ffprobe's.
fn mp3(mut file: File) -> Option<MediaInfo> {
    let size = file.metadata().ok()?.len();
    let mut start = 0u64;
    let mut head = [0u8; 10];
    loop {
        file.seek(SeekFrom::Start(start)).ok()?;
        file.read_exact(&mut head).ok()?;
        if !head.starts_with(b"ID3") {
            break;
        }
        let syncsafe = head[6..10]
            .iter()
            .fold(0u64, |n, &b| (n << 7) | u64::from(b & 0x7f));
        let footer = if head[5] & 0x10 != 0 { 10 } else { 0 };
        start += 10 + syncsafe + footer;
    }
    let mut first = vec![0u8; 8192];
    file.seek(SeekFrom::Start(start)).ok()?;
    let got = read_up_to(&mut file, &mut first).ok()?;
    first.truncate(got);
    let fh = frame_header(&first)?;
    // A few frames in a row, as ffmpeg's probe wants before it calls the file mp3.
    let mut at = 0;
    for _ in 0..4 {
        let h = frame_header(first.get(at..)?)?;
        if (h.mpeg1, h.sample_rate) != (fh.mpeg1, fh.sample_rate) {
            return None;
        }
        at += h.len;
    }
    let side = match (fh.mpeg1, fh.mono) {
        (true, false) => 32,
        (true, true) | (false, false) => 17,
        (false, true) => 9,
    };
    let tag = first.get(4 + side..4 + side + 16)?;
    if &tag[..4] != b"Xing" && &tag[..4] != b"Info" {
        return None;
    }
    let flags = u32::from_be_bytes(tag[4..8].try_into().ok()?);
    if flags & 1 == 0 {
        return None;
    }
    let frames = u64::from(u32::from_be_bytes(tag[8..12].try_into().ok()?));
    if flags & 2 != 0 {
        // ffmpeg distrusts the count of a file whose length disagrees (a concatenation).
        let bytes = u64::from(u32::from_be_bytes(tag[12..16].try_into().ok()?));
        let data = size - start;
        if bytes.abs_diff(data) > data / 20 {
            return None;
        }
    }
    if frames == 0 {
        return None;
    }
    let per_frame = if fh.mpeg1 { 1152 } else { 576 };
    let micros = (frames * per_frame * 1_000_000 + u64::from(fh.sample_rate) / 2)
        / u64::from(fh.sample_rate);
    Some(MediaInfo {
        duration: Some(micros as f64 / 1e6),
        width: None,
        height: None,
        fps: None,
        has_video: false,
        has_audio: true,
        is_still: false,
        format: "mp3".into(),
        video_codec: None,
        audio_codec: Some("mp3".into()),
        pix_fmt: None,
    })
}

/// Reads until `buf` is full or the file ends; returns how much was read.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mp3_frame_headers() {
        // MPEG-1 layer III, 128 kb/s, 44.1 kHz, no padding, joint stereo.
        let h = frame_header(&[0xff, 0xfb, 0x90, 0x44]).unwrap();
        assert_eq!(
            (h.mpeg1, h.mono, h.sample_rate, h.len),
            (true, false, 44100, 417)
        );
        // MPEG-2, 64 kb/s, 24 kHz, mono.
        let h = frame_header(&[0xff, 0xf3, 0x84, 0xc4]).unwrap();
        assert_eq!(
            (h.mpeg1, h.mono, h.sample_rate, h.len),
            (false, true, 24000, 192)
        );
        // Layer II and a free bit rate are not ours.
        assert_eq!(frame_header(&[0xff, 0xfd, 0x90, 0x44]), None);
        assert_eq!(frame_header(&[0xff, 0xfb, 0x00, 0x44]), None);
    }

    #[test]
    fn jpeg_sampling_names_the_pixel_format() {
        let sof = |y: u8, c: u8| [8, 0, 16, 0, 16, 3, 1, y, 0, 2, c, 1, 3, c, 1];
        assert_eq!(sof_pix_fmt(&sof(0x22, 0x11)), Some("yuvj420p"));
        assert_eq!(sof_pix_fmt(&sof(0x21, 0x11)), Some("yuvj422p"));
        // ffmpeg writes 4:2:2 as 2x2 luma over 1x2 chroma, and 4:4:4 as 1x2 over 1x2.
        assert_eq!(sof_pix_fmt(&sof(0x22, 0x12)), Some("yuvj422p"));
        assert_eq!(sof_pix_fmt(&sof(0x12, 0x12)), Some("yuvj444p"));
        assert_eq!(sof_pix_fmt(&sof(0x11, 0x11)), Some("yuvj444p"));
        assert_eq!(sof_pix_fmt(&sof(0x41, 0x11)), None);
        assert_eq!(sof_pix_fmt(&sof(0x12, 0x11)), None);
        assert_eq!(sof_pix_fmt(&[8, 0, 16, 0, 16, 1, 1, 0x11, 0]), Some("gray"));
        assert_eq!(sof_pix_fmt(&[12, 0, 16, 0, 16, 1, 1, 0x11, 0]), None);
    }

    #[test]
    fn png_alpha_follows_ffmpeg() {
        use png::{BitDepth as D, ColorType as C};
        assert_eq!(png_pix_fmt(C::Rgb, D::Eight, true), Some("rgba"));
        assert_eq!(png_pix_fmt(C::Indexed, D::Four, true), Some("pal8"));
        assert_eq!(png_pix_fmt(C::Grayscale, D::Four, false), None);
    }

    #[test]
    fn names_that_read_as_patterns_are_left_to_ffprobe() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a%d.png", "a*.png", "b[1].png", "x.png"] {
            std::fs::write(dir.path().join(name), b"\x89PNG\r\n\x1a\n\0\0\0\0").unwrap();
        }
        assert_eq!(kind(&dir.path().join("a%d.png")), None);
        assert_eq!(kind(&dir.path().join("a*.png")), None);
        assert_eq!(kind(&dir.path().join("b[1].png")), None);
        assert_eq!(kind(&dir.path().join("x.png")), Some(Kind::Png));
        // Contents that disagree with the extension are ffprobe's too.
        std::fs::write(dir.path().join("t.mp4"), b"hello, this is text").unwrap();
        assert_eq!(kind(&dir.path().join("t.mp4")), None);
    }
}
