//! In-process reading of MP4/MOV headers (the `moov` box) for [`super::native`].
//!
//! Derives what ffmpeg's `mov` demuxer and H.264 decoder report: the format duration is the
//! movie header's (`mvhd`, rounded to microseconds), the average frame rate is the video
//! track's samples over the sum of its `stts` durations, the size and pixel format come from
//! the H.264 sequence parameter set (cropped size, chroma format, full range). Only H.264
//! video and AAC audio are read; other codecs, fragmented files (`mvex`), rotated tracks (a
//! `tkhd` matrix other than identity) and anything that does not parse are `None` (ffprobe).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use super::MediaInfo;

/// Largest `moov` read into memory; bigger ones are ffprobe's.
const MAX_MOOV: u64 = 64 << 20;

/// The facts of an MP4/MOV file, if every one can be read exactly.
pub(super) fn read(mut file: File) -> Option<MediaInfo> {
    let moov = find_moov(&mut file)?;
    parse_moov(&moov)
}

/// The body of the top-level `moov` box.
fn find_moov(file: &mut File) -> Option<Vec<u8>> {
    let len = file.metadata().ok()?.len();
    let mut at = 0u64;
    while at + 8 <= len {
        file.seek(SeekFrom::Start(at)).ok()?;
        let mut head = [0u8; 16];
        file.read_exact(&mut head[..8]).ok()?;
        let size32 = u32::from_be_bytes(head[..4].try_into().ok()?);
        let (size, header) = match size32 {
            0 => (len - at, 8),
            1 => {
                file.read_exact(&mut head[8..16]).ok()?;
                (u64::from_be_bytes(head[8..16].try_into().ok()?), 16)
            }
            n => (u64::from(n), 8),
        };
        if size < header || at + size > len {
            return None;
        }
        if &head[4..8] == b"moov" {
            if size - header > MAX_MOOV {
                return None;
            }
            let mut body = vec![0u8; (size - header) as usize];
            file.read_exact(&mut body).ok()?;
            return Some(body);
        }
        at += size;
    }
    None
}

/// The child boxes of `data` as (type, body); `None` if one overruns its parent. Pure.
fn children(data: &[u8]) -> Option<Vec<([u8; 4], &[u8])>> {
    let mut out = Vec::new();
    let mut i = 0usize;
    while i + 8 <= data.len() {
        let size = be32(data, i)? as usize;
        let kind: [u8; 4] = data[i + 4..i + 8].try_into().ok()?;
        let (start, end) = match size {
            0 => (i + 8, data.len()),
            1 => (
                i + 16,
                i.checked_add(usize::try_from(be64(data, i + 8)?).ok()?)?,
            ),
            n => (i + 8, i.checked_add(n)?),
        };
        if end > data.len() || start > end {
            return None;
        }
        out.push((kind, &data[start..end]));
        i = end;
    }
    Some(out)
}

fn child<'a>(data: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    children(data)?
        .into_iter()
        .find(|(k, _)| k == kind)
        .map(|(_, b)| b)
}

fn be16(d: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_be_bytes(d.get(i..i + 2)?.try_into().ok()?))
}

fn be32(d: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(i..i + 4)?.try_into().ok()?))
}

fn be64(d: &[u8], i: usize) -> Option<u64> {
    Some(u64::from_be_bytes(d.get(i..i + 8)?.try_into().ok()?))
}

/// `(timescale, duration)` of an `mvhd` or `mdhd` body. Pure.
fn header_times(b: &[u8]) -> Option<(u32, u64)> {
    match b.first()? {
        0 => Some((be32(b, 12)?, u64::from(be32(b, 16)?))),
        1 => Some((be32(b, 20)?, be64(b, 24)?)),
        _ => None,
    }
}

/// What one track contributes.
#[derive(Debug, Default)]
struct Track {
    handler: [u8; 4],
    codec: [u8; 4],
    /// Video: the H.264 picture; audio: the esds object type.
    picture: Option<Picture>,
    object_type: Option<u8>,
    samples: u64,
    stts_frames: u64,
    stts_duration: u64,
    timescale: u32,
}

/// Parses the movie: `None` unless every field is certain. Pure.
fn parse_moov(moov: &[u8]) -> Option<MediaInfo> {
    let boxes = children(moov)?;
    if boxes.iter().any(|(k, _)| k == b"mvex") {
        return None;
    }
    let (scale, duration) = header_times(child(moov, b"mvhd")?)?;
    if scale == 0 || duration == 0 {
        return None;
    }
    let tracks = boxes
        .iter()
        .filter(|(k, _)| k == b"trak")
        .map(|(_, b)| track(b))
        .collect::<Option<Vec<_>>>()?;
    let video = tracks.iter().find(|t| &t.handler == b"vide");
    let audio = tracks.iter().find(|t| &t.handler == b"soun");
    if video.is_none() && audio.is_none() {
        return None;
    }
    let picture = match video {
        Some(v) if matches!(&v.codec, b"avc1" | b"avc3") => Some(v.picture.as_ref()?),
        Some(_) => return None,
        None => None,
    };
    let audio_codec = match audio {
        Some(a) if &a.codec == b"mp4a" && matches!(a.object_type, Some(0x40 | 0x66..=0x68)) => {
            Some("aac".to_string())
        }
        Some(_) => return None,
        None => None,
    };
    let is_still = video.is_some_and(|v| v.samples == 1) && audio.is_none();
    let fps = match video {
        Some(v) if v.stts_duration > 0 && v.timescale > 0 => {
            Some(f64::from(v.timescale) * v.stts_frames as f64 / v.stts_duration as f64)
        }
        Some(_) => return None,
        None => None,
    };
    let micros = (u128::from(duration) * 1_000_000 + u128::from(scale) / 2) / u128::from(scale);
    Some(MediaInfo {
        duration: (!is_still).then_some(micros as f64 / 1e6),
        width: picture.map(|p| p.width),
        height: picture.map(|p| p.height),
        fps,
        has_video: video.is_some(),
        has_audio: audio.is_some(),
        is_still,
        format: "mov,mp4,m4a,3gp,3g2,mj2".into(),
        video_codec: picture.map(|_| "h264".into()),
        audio_codec,
        pix_fmt: picture.map(|p| p.pix_fmt.to_string()),
    })
}

/// The identity `tkhd` matrix (16.16 and 2.30 fixed point): no rotation, no flip.
const IDENTITY: [u32; 9] = [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x4000_0000];

/// One `trak`; `None` if it does not parse or is rotated. Pure.
fn track(trak: &[u8]) -> Option<Track> {
    let tkhd = child(trak, b"tkhd")?;
    let matrix_at = match tkhd.first()? {
        0 => 4 + 20 + 16,
        1 => 4 + 32 + 16,
        _ => return None,
    };
    let matrix: Vec<u32> = (0..9)
        .map(|i| be32(tkhd, matrix_at + 4 * i))
        .collect::<Option<_>>()?;
    let mdia = child(trak, b"mdia")?;
    let hdlr = child(mdia, b"hdlr")?;
    let mut t = Track {
        handler: hdlr.get(8..12)?.try_into().ok()?,
        ..Track::default()
    };
    if !matches!(&t.handler, b"vide" | b"soun") {
        return Some(t);
    }
    if matrix != IDENTITY && &t.handler == b"vide" {
        return None;
    }
    t.timescale = header_times(child(mdia, b"mdhd")?)?.0;
    let stbl = child(child(mdia, b"minf")?, b"stbl")?;
    let stsd = child(stbl, b"stsd")?;
    let (codec, entry) = *children(stsd.get(8..)?)?.first()?;
    t.codec = codec;
    if &t.handler == b"vide" && matches!(&codec, b"avc1" | b"avc3") {
        let boxes = entry.get(78..)?;
        let colr_full = child(boxes, b"colr").and_then(colr_full_range);
        t.picture = Some(avc_picture(child(boxes, b"avcC")?, colr_full)?);
        let (w, h) = (be16(entry, 24)?, be16(entry, 26)?);
        let p = t.picture.as_ref()?;
        if (u32::from(w), u32::from(h)) != (p.width, p.height) {
            return None;
        }
    } else if &t.handler == b"soun" && &codec == b"mp4a" {
        let boxes = entry.get(
            match be16(entry, 8)? {
                0 => 28,
                1 => 44,
                2 => 64,
                _ => return None,
            }..,
        )?;
        let esds = child(boxes, b"esds").or_else(|| child(child(boxes, b"wave")?, b"esds"));
        t.object_type = esds.and_then(esds_object_type);
    }
    let stts = child(stbl, b"stts")?;
    for i in 0..be32(stts, 4)? as usize {
        let (count, delta) = (be32(stts, 8 + 8 * i)?, be32(stts, 12 + 8 * i)?);
        t.stts_frames += u64::from(count);
        t.stts_duration += u64::from(count) * u64::from(delta);
    }
    t.samples = u64::from(be32(child(stbl, b"stsz")?, 8)?);
    Some(t)
}

/// The `objectTypeIndication` of an `esds` body (0x40: AAC). Pure.
fn esds_object_type(esds: &[u8]) -> Option<u8> {
    let mut i = 4;
    let descriptor = |i: &mut usize, tag: u8| -> Option<()> {
        if *esds.get(*i)? != tag {
            return None;
        }
        *i += 1;
        for _ in 0..4 {
            let b = *esds.get(*i)?;
            *i += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
        Some(())
    };
    descriptor(&mut i, 3)?;
    let flags = *esds.get(i + 2)?;
    i += 3;
    if flags & 0x80 != 0 {
        i += 2;
    }
    if flags & 0x40 != 0 {
        i += 1 + usize::from(*esds.get(i)?);
    }
    if flags & 0x20 != 0 {
        i += 2;
    }
    descriptor(&mut i, 4)?;
    esds.get(i).copied()
}

/// The full-range flag of an `nclx` colour box, if it is one. Pure.
fn colr_full_range(colr: &[u8]) -> Option<bool> {
    (colr.get(..4)? == b"nclx").then(|| colr.get(10).is_some_and(|b| b & 0x80 != 0))
}

/// An H.264 picture as ffmpeg decodes it.
#[derive(Debug, Clone, PartialEq)]
struct Picture {
    width: u32,
    height: u32,
    pix_fmt: &'static str,
}

/// The picture of an `avcC` body's first SPS; `colr_full` is the container's range, which
/// ffmpeg uses when the SPS has none. Only 8-bit colour is read. Pure.
fn avc_picture(avcc: &[u8], colr_full: Option<bool>) -> Option<Picture> {
    if *avcc.first()? != 1 || avcc.get(5)? & 0x1f == 0 {
        return None;
    }
    let len = usize::from(be16(avcc, 6)?);
    let nal = avcc.get(8..8 + len)?;
    if nal.first()? & 0x1f != 7 {
        return None;
    }
    let sps = parse_sps(&unescape(&nal[1..]))?;
    let full = sps.full_range.or(colr_full).unwrap_or(false);
    let pix_fmt = match (sps.chroma, full) {
        (1, false) => "yuv420p",
        (1, true) => "yuvj420p",
        (2, false) => "yuv422p",
        (2, true) => "yuvj422p",
        (3, false) => "yuv444p",
        (3, true) => "yuvj444p",
        _ => return None,
    };
    Some(Picture {
        width: sps.width,
        height: sps.height,
        pix_fmt,
    })
}

/// A NAL unit's payload without its emulation prevention bytes (`00 00 03`). Pure.
fn unescape(nal: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(nal.len());
    let mut zeros = 0;
    for &b in nal {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

/// An RBSP bit reader (Exp-Golomb codes).
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn bit(&mut self) -> Option<u32> {
        let byte = *self.data.get(self.pos / 8)?;
        let b = (byte >> (7 - self.pos % 8)) & 1;
        self.pos += 1;
        Some(u32::from(b))
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        (0..n).try_fold(0, |v, _| Some((v << 1) | self.bit()?))
    }

    fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        Some((1u32 << zeros) - 1 + self.bits(zeros)?)
    }

    fn se(&mut self) -> Option<i32> {
        let k = self.ue()?;
        let v = k.div_ceil(2) as i32;
        Some(if k % 2 == 1 { v } else { -v })
    }
}

/// What reel needs from a sequence parameter set.
#[derive(Debug, Clone, PartialEq)]
struct Sps {
    chroma: u32,
    width: u32,
    height: u32,
    full_range: Option<bool>,
}

/// Parses an SPS (without its NAL header byte) up to the VUI's video signal type; `None` for
/// high bit depths, separate colour planes and RGB 4:4:4 (not read here). Pure.
fn parse_sps(rbsp: &[u8]) -> Option<Sps> {
    let mut r = Bits { data: rbsp, pos: 0 };
    let profile = r.bits(8)?;
    r.bits(16)?; // constraint flags, level
    r.ue()?; // seq_parameter_set_id
    let mut chroma = 1;
    if matches!(
        profile,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    ) {
        chroma = r.ue()?;
        if chroma == 3 && r.bit()? == 1 {
            return None;
        }
        if r.ue()? != 0 || r.ue()? != 0 {
            return None; // more than 8 bits
        }
        r.bit()?; // qpprime_y_zero_transform_bypass
        if r.bit()? == 1 {
            for i in 0..if chroma == 3 { 12 } else { 8 } {
                if r.bit()? == 1 {
                    let size = if i < 6 { 16 } else { 64 };
                    let (mut last, mut next) = (8i32, 8i32);
                    for _ in 0..size {
                        if next != 0 {
                            next = (last + r.se()? + 256) % 256;
                        }
                        last = if next == 0 { last } else { next };
                    }
                }
            }
        }
    }
    if chroma == 0 || chroma > 3 {
        return None;
    }
    r.ue()?; // log2_max_frame_num_minus4
    match r.ue()? {
        0 => {
            r.ue()?;
        }
        1 => {
            r.bit()?;
            r.se()?;
            r.se()?;
            for _ in 0..r.ue()? {
                r.se()?;
            }
        }
        _ => {}
    }
    r.ue()?; // max_num_ref_frames
    r.bit()?; // gaps_in_frame_num_value_allowed
    let mbs_w = r.ue()? + 1;
    let map_h = r.ue()? + 1;
    let frame_mbs_only = r.bit()?;
    if frame_mbs_only == 0 {
        r.bit()?;
    }
    r.bit()?; // direct_8x8_inference
    let mut crop = [0u32; 4];
    if r.bit()? == 1 {
        for c in &mut crop {
            *c = r.ue()?;
        }
    }
    let (cx, cy) = match chroma {
        1 => (2, 2 * (2 - frame_mbs_only)),
        2 => (2, 2 - frame_mbs_only),
        _ => (1, 2 - frame_mbs_only),
    };
    let width = (mbs_w * 16).checked_sub(cx * (crop[0] + crop[1]))?;
    let height = (map_h * 16 * (2 - frame_mbs_only)).checked_sub(cy * (crop[2] + crop[3]))?;
    let mut full_range = None;
    if r.bit()? == 1 {
        if r.bit()? == 1 && r.bits(8)? == 255 {
            r.bits(32)?;
        }
        if r.bit()? == 1 {
            r.bit()?;
        }
        if r.bit()? == 1 {
            r.bits(3)?;
            full_range = Some(r.bit()? == 1);
            if r.bit()? == 1 {
                r.bits(16)?;
                if r.bits(8)? == 0 && chroma == 3 {
                    return None; // RGB: ffmpeg says gbrp
                }
            }
        }
    }
    Some(Sps {
        chroma,
        width,
        height,
        full_range,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_golomb() {
        // 1 | 010 | 011 | 00100 | 00101 → 0, 1, 2, 3, 4
        let data = [0b1010_0110, 0b0100_0010, 0b1000_0000];
        let mut r = Bits {
            data: &data,
            pos: 0,
        };
        let v: Vec<u32> = (0..5).map(|_| r.ue().unwrap()).collect();
        assert_eq!(v, [0, 1, 2, 3, 4]);
        let mut r = Bits {
            data: &data[..1],
            pos: 1,
        };
        assert_eq!((r.se(), r.se()), (Some(1), Some(-1)));
    }

    #[test]
    fn emulation_prevention_is_removed() {
        assert_eq!(
            unescape(&[0, 0, 3, 1, 0, 0, 3, 0, 5]),
            [0, 0, 1, 0, 0, 0, 5]
        );
    }

    #[test]
    fn esds_of_aac() {
        // ES_Descriptor (tag 3, length 0x19 in 4 bytes), ES_ID 1, flags 0, then tag 4, OTI 0x40.
        let esds = [
            0, 0, 0, 0, 3, 0x80, 0x80, 0x80, 0x19, 0, 1, 0, 4, 0x80, 0x80, 0x80, 0x11, 0x40,
        ];
        assert_eq!(esds_object_type(&esds), Some(0x40));
        assert_eq!(esds_object_type(&esds[..16]), None);
    }

    #[test]
    fn overrunning_boxes_are_rejected() {
        let mut b = 16u32.to_be_bytes().to_vec();
        b.extend_from_slice(b"free1234");
        assert_eq!(children(&b), None);
        b.extend_from_slice(b"5678");
        assert_eq!(children(&b).unwrap()[0].1, b"12345678");
    }
}
