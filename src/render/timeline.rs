//! The resolved timeline: what `resolve` produces and `compile` consumes.
//!
//! Every clip has absolute timing (no `auto`/`end`/`alias` left), its media probed or its layer
//! rasterised, and its Shotstack properties lowered to plain render parameters (enums and
//! [`Anim`] values instead of optional JSON-shaped fields). The lowering of Shotstack's own
//! defaults (fit `crop`, position `center`, fps 25, …) happens here, so `compile` never has to
//! guess. It owns no IO: `resolve` fills it, tests build it by hand.

use std::path::PathBuf;

/// A fully resolved edit, ready for [`crate::render::compile()`].
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// Composition size and frame rate (before `scaleTo`).
    pub canvas: Canvas,
    /// Total length in seconds: max(start + length) over all clips.
    pub duration: f64,
    /// Canvas colour seen where no clip covers it.
    pub background: Color,
    /// Visual and audio clips per track; `tracks[0]` is the top layer.
    pub tracks: Vec<Vec<TimedClip>>,
    /// The timeline soundtrack, if any.
    pub soundtrack: Option<Soundtrack>,
    /// Output format and encoder settings.
    pub output: OutputSpec,
    /// Every local file the render reads (media, layers, fonts), for manifests and watch mode,
    /// and the font facts its text depends on (`reel:fonts/…`, see [`crate::render::raster::FontUse`]).
    pub files: Vec<PathBuf>,
}

/// Width, height and frame rate of the composition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Canvas {
    /// Width in pixels (even).
    pub width: u32,
    /// Height in pixels (even).
    pub height: u32,
    /// Frame rate.
    pub fps: Fps,
}

/// A frame rate as an exact rational (23.976 is 24000/1001).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fps {
    /// Numerator.
    pub num: u32,
    /// Denominator.
    pub den: u32,
}

impl Fps {
    /// The rational for a Shotstack fps value: the NTSC rates (23.976, 29.97, 59.94) become
    /// N·1000/1001; anything else is rounded to 1/1000.
    pub fn from_f64(fps: f64) -> Fps {
        for n in [24u32, 30, 60] {
            let ntsc = f64::from(n) * 1000.0 / 1001.0;
            if (fps - ntsc).abs() < 0.005 {
                return Fps {
                    num: n * 1000,
                    den: 1001,
                };
            }
        }
        if (fps - fps.round()).abs() < 1e-9 {
            return Fps {
                num: fps.round() as u32,
                den: 1,
            };
        }
        Fps {
            num: (fps * 1000.0).round() as u32,
            den: 1000,
        }
    }

    /// The rate as a float.
    pub fn as_f64(self) -> f64 {
        f64::from(self.num) / f64::from(self.den)
    }
}

impl std::fmt::Display for Fps {
    /// `25` or `30000/1001`, as ffmpeg options take it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

/// An sRGB colour with straight alpha.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Color {
    /// Red 0..255.
    pub r: u8,
    /// Green 0..255.
    pub g: u8,
    /// Blue 0..255.
    pub b: u8,
    /// Alpha 0..255 (255 opaque).
    pub a: u8,
}

impl Color {
    /// Opaque black, Shotstack's default background.
    pub const BLACK: Color = Color {
        r: 0,
        g: 0,
        b: 0,
        a: 255,
    };

    /// Parses `#rgb`, `#rrggbb` or `#rrggbbaa` (the `#` is optional).
    pub fn parse(text: &str) -> Option<Color> {
        let hex = text.strip_prefix('#').unwrap_or(text);
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let nibble = |i: usize| u8::from_str_radix(&hex[i..=i], 16).ok().map(|v| v * 17);
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        match hex.len() {
            3 => Some(Color {
                r: nibble(0)?,
                g: nibble(1)?,
                b: nibble(2)?,
                a: 255,
            }),
            6 | 8 => Some(Color {
                r: byte(0)?,
                g: byte(2)?,
                b: byte(4)?,
                a: if hex.len() == 8 { byte(6)? } else { 255 },
            }),
            _ => None,
        }
    }
}

/// One clip with absolute timing and what it draws or plays.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedClip {
    /// JSON pointer of the clip in the Edit (`/timeline/tracks/0/clips/1`), for diagnostics.
    pub pointer: String,
    /// Start on the timeline, seconds.
    pub start: f64,
    /// Length on the timeline, seconds (> 0).
    pub length: f64,
    /// What kind of asset the clip holds.
    pub kind: ClipKind,
    /// The file it reads.
    pub source: Source,
    /// Geometry, opacity, transitions, effect and filter.
    pub visual: Visual,
    /// Trim, speed and volume (video, audio and luma clips).
    pub media: MediaParams,
}

/// The role a clip plays in the composition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClipKind {
    /// A video file (picture and, if present, sound).
    Video,
    /// A still image file.
    Image,
    /// A sound-only file.
    Audio,
    /// A luma matte masking the other clips of its track (white = transparent).
    Luma,
    /// A rasterised layer (text, title, rich-text, shape, svg, html) in [`Source::Layer`], or
    /// animated text in [`Source::Frames`].
    Layer,
}

/// Where a clip's pixels or samples come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A local media file (downloaded if remote) and its probed facts.
    Media {
        /// Local path.
        path: PathBuf,
        /// Probed facts.
        info: MediaInfo,
    },
    /// An RGBA PNG already at its final pixel size (text box, shape, svg…).
    Layer {
        /// The PNG file.
        png: PathBuf,
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// An RGBA PNG sequence (animated text): drawn frame `j` shows from clip-local output
    /// frame `j × step` for `step` frames, and the last one holds for the rest of the clip;
    /// with `loop_from`, frames `loop_from..count` repeat instead until the clip ends. Its
    /// size is bounded whatever the clip's length (see `resolve::layer::animation`).
    Frames {
        /// The directory holding `00000.png`, `00001.png`, ….
        dir: PathBuf,
        /// How many frames.
        count: usize,
        /// Output frames each drawn frame lasts (1 unless the motion is long).
        step: usize,
        /// The first frame of a cycle that repeats to the end of the clip (`movingLetters`).
        loop_from: Option<usize>,
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// Nothing to read (an asset kind that draws nothing).
    None,
}

impl Source {
    /// The ffmpeg `image2` pattern of the files in a [`Source::Frames`] directory.
    pub const FRAME_PATTERN: &'static str = "%05d.png";

    /// The file name of frame `j` in a [`Source::Frames`] directory.
    pub fn frame_name(j: usize) -> String {
        format!("{j:05}.png")
    }
}

/// What a probe learnt about a media file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MediaInfo {
    /// Duration in seconds (0 for still images).
    pub duration: f64,
    /// Picture width (0 without video).
    pub width: u32,
    /// Picture height (0 without video).
    pub height: u32,
    /// Frame rate of the video stream (0 without video).
    pub fps: f64,
    /// Whether there is a picture stream.
    pub has_video: bool,
    /// Whether there is a sound stream.
    pub has_audio: bool,
    /// Whether the picture is a single still image.
    pub is_still: bool,
    /// Whether the picture has an alpha channel (pix_fmt with `a`: rgba, yuva420p, …); such a
    /// picture is never used as an opaque background.
    pub has_alpha: bool,
    /// Read by ffmpeg's `image2` demuxer, which takes a `%` in the file name as a sequence
    /// pattern unless it is given `-pattern_type none` (an error for any other demuxer).
    pub image2: bool,
}

/// A value that is constant or animated by Shotstack tweens (clip-local time).
#[derive(Debug, Clone, PartialEq)]
pub enum Anim {
    /// The same value for the whole clip.
    Const(f64),
    /// Keyframed segments, sorted by start.
    Tweens(Vec<Tween>),
}

impl Anim {
    /// The constant value, if it does not change.
    pub fn as_const(&self) -> Option<f64> {
        match self {
            Anim::Const(v) => Some(*v),
            Anim::Tweens(_) => None,
        }
    }
}

/// One Shotstack tween: `from` → `to` over [`start`, `start + length`] (clip-local seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct Tween {
    /// Value at the start.
    pub from: f64,
    /// Value at the end (held afterwards).
    pub to: f64,
    /// Clip-local start, seconds.
    pub start: f64,
    /// Duration, seconds.
    pub length: f64,
    /// How the value moves.
    pub curve: Curve,
}

/// Tween interpolation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Curve {
    /// Straight line.
    Linear,
    /// Hold `from` for the whole span.
    Constant,
    /// CSS cubic-bezier with control points (x1, y1, x2, y2) (SEMANTICS §3).
    Bezier(f64, f64, f64, f64),
}

impl Curve {
    /// The Bezier control points for a Shotstack easing name (SEMANTICS §3); unknown → `ease`.
    pub fn easing(name: &str) -> Curve {
        let p = match name {
            "easeInOut" => (0.42, 0.0, 0.58, 1.0),
            "easeIn" => (0.42, 0.0, 1.0, 1.0),
            "easeOut" => (0.0, 0.0, 0.58, 1.0),
            "easeInQuad" => (0.55, 0.085, 0.68, 0.53),
            "easeOutQuad" => (0.25, 0.46, 0.45, 0.94),
            "easeInCubic" => (0.55, 0.055, 0.675, 0.19),
            "easeOutCubic" => (0.215, 0.61, 0.355, 1.0),
            "easeInQuart" => (0.895, 0.03, 0.685, 0.22),
            "easeOutQuart" => (0.165, 0.84, 0.44, 1.0),
            "easeInQuint" => (0.755, 0.05, 0.855, 0.06),
            "easeOutQuint" => (0.23, 1.0, 0.32, 1.0),
            "easeInSine" => (0.47, 0.0, 0.745, 0.715),
            "easeOutSine" => (0.39, 0.575, 0.565, 1.0),
            "easeInExpo" => (0.95, 0.05, 0.795, 0.035),
            "easeOutExpo" => (0.19, 1.0, 0.22, 1.0),
            "easeInCirc" => (0.6, 0.04, 0.98, 0.335),
            "easeOutCirc" => (0.075, 0.82, 0.165, 1.0),
            "easeInBack" => (0.6, -0.28, 0.735, 0.045),
            "easeOutBack" => (0.175, 0.885, 0.32, 1.275),
            "easeInOutQuad" => (0.455, 0.03, 0.515, 0.955),
            "easeInOutCubic" => (0.645, 0.045, 0.355, 1.0),
            "easeInOutQuart" => (0.77, 0.0, 0.175, 1.0),
            "easeInOutQuint" => (0.86, 0.0, 0.07, 1.0),
            "easeInOutSine" => (0.445, 0.05, 0.55, 0.95),
            "easeInOutExpo" => (1.0, 0.0, 0.0, 1.0),
            "easeInOutCirc" => (0.785, 0.135, 0.15, 0.86),
            "easeInOutBack" => (0.68, -0.55, 0.265, 1.55),
            "smooth" => (0.5, 0.0, 0.5, 1.0),
            _ => (0.25, 0.1, 0.25, 1.0),
        };
        Curve::Bezier(p.0, p.1, p.2, p.3)
    }
}

/// Geometry and look of a visual clip.
#[derive(Debug, Clone, PartialEq)]
pub struct Visual {
    /// How the source fits its box.
    pub fit: Fit,
    /// The clip's `width`/`height` box in pixels; `None` = the canvas.
    pub box_size: Option<(u32, u32)>,
    /// Uniform scale of the fitted result (1 = as fitted).
    pub scale: Anim,
    /// Anchor on the canvas.
    pub position: Position,
    /// Horizontal offset, fraction of canvas width, + = right.
    pub offset_x: Anim,
    /// Vertical offset, fraction of canvas height, + = up.
    pub offset_y: Anim,
    /// Opacity 0..1.
    pub opacity: Anim,
    /// Transition at the start of the clip.
    pub transition_in: Option<Transition>,
    /// Transition at the end of the clip.
    pub transition_out: Option<Transition>,
    /// Motion effect over the whole clip.
    pub effect: Option<Effect>,
    /// Colour filter.
    pub filter: Option<Filter>,
    /// `asset.crop`: fractions of the source cut from each side.
    pub crop: Crop,
    /// Rotation, skew and flips.
    pub transform: Transform,
    /// `chromaKey` (video): pixels near a colour become transparent.
    pub chroma_key: Option<ChromaKey>,
}

impl Default for Visual {
    /// Shotstack's defaults: fit crop, centre, scale 1, opacity 1, nothing else.
    fn default() -> Self {
        Visual {
            fit: Fit::Crop,
            box_size: None,
            scale: Anim::Const(1.0),
            position: Position::Center,
            offset_x: Anim::Const(0.0),
            offset_y: Anim::Const(0.0),
            opacity: Anim::Const(1.0),
            transition_in: None,
            transition_out: None,
            effect: None,
            filter: None,
            crop: Crop::default(),
            transform: Transform::default(),
            chroma_key: None,
        }
    }
}

/// Shotstack `fit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fit {
    /// Uniform scale to cover the box, overflow cut.
    #[default]
    Crop,
    /// Non-uniform stretch to the box.
    Cover,
    /// Uniform scale to fit inside the box.
    Contain,
    /// Native size, clipped to the box.
    None,
}

/// The nine Shotstack anchors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Position {
    /// Top left corner.
    TopLeft,
    /// Top edge, centred.
    Top,
    /// Top right corner.
    TopRight,
    /// Left edge, centred.
    Left,
    /// Canvas centre.
    #[default]
    Center,
    /// Right edge, centred.
    Right,
    /// Bottom left corner.
    BottomLeft,
    /// Bottom edge, centred.
    Bottom,
    /// Bottom right corner.
    BottomRight,
}

impl Position {
    /// Horizontal and vertical anchor fractions: 0 = left/top, 0.5 = centre, 1 = right/bottom.
    pub fn anchor(self) -> (f64, f64) {
        use Position::*;
        let x = match self {
            TopLeft | Left | BottomLeft => 0.0,
            Top | Center | Bottom => 0.5,
            TopRight | Right | BottomRight => 1.0,
        };
        let y = match self {
            TopLeft | Top | TopRight => 0.0,
            Left | Center | Right => 0.5,
            BottomLeft | Bottom | BottomRight => 1.0,
        };
        (x, y)
    }
}

/// `asset.crop`: fraction of the source's own size removed from each side.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Crop {
    /// From the top.
    pub top: f64,
    /// From the bottom.
    pub bottom: f64,
    /// From the left.
    pub left: f64,
    /// From the right.
    pub right: f64,
}

/// `asset.chromaKey` of a video: alpha is 0 within `threshold` of `color` and rises linearly
/// to 1 across the `halo` band beyond it. Distances are Euclidean in 8-bit RGB (0..441).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChromaKey {
    /// The key colour (alpha ignored).
    pub color: Color,
    /// Distance keyed out completely (Shotstack 0..250).
    pub threshold: f64,
    /// Width of the soft band beyond `threshold` (Shotstack 0..250).
    pub halo: f64,
}

impl ChromaKey {
    /// `threshold` when the Edit gives none: Shotstack's documented example (it publishes no
    /// default). With reel's metric it is close to ffmpeg's own green-screen example
    /// (`colorkey` similarity 0.3, blend 0.2); see docs/rendering.md.
    pub const DEFAULT_THRESHOLD: f64 = 150.0;
    /// `halo` when the Edit gives none: Shotstack's documented example (blend ≈ 0.2).
    pub const DEFAULT_HALO: f64 = 100.0;
}

/// `clip.transform`.
#[derive(Debug, Clone, PartialEq)]
pub struct Transform {
    /// Clockwise rotation in degrees about the clip centre.
    pub rotate: Anim,
    /// Horizontal shear factor (x' = x + k·y).
    pub skew_x: Anim,
    /// Vertical shear factor (y' = y + k·x).
    pub skew_y: Anim,
    /// Mirror left-right.
    pub flip_h: bool,
    /// Mirror top-bottom.
    pub flip_v: bool,
}

impl Default for Transform {
    /// The identity.
    fn default() -> Self {
        Transform {
            rotate: Anim::Const(0.0),
            skew_x: Anim::Const(0.0),
            skew_y: Anim::Const(0.0),
            flip_h: false,
            flip_v: false,
        }
    }
}

impl Speed {
    /// Splits a Shotstack name into its base and speed suffix: `slideLeftFast` →
    /// (`slideLeft`, Fast); transitions and effects name their variants the same way.
    fn split(name: &str) -> (&str, Speed) {
        if let Some(b) = name.strip_suffix("Slow") {
            (b, Speed::Slow)
        } else if let Some(b) = name.strip_suffix("Fast") {
            (b, Speed::Fast)
        } else {
            (name, Speed::Normal)
        }
    }
}

/// A transition with its speed variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// Which transition.
    pub kind: TransitionKind,
    /// Slow (×2 … see SEMANTICS §4), normal or fast.
    pub speed: Speed,
}

impl Transition {
    /// Parses a Shotstack name such as `fade`, `slideLeftFast`, `wipeRightSlow`.
    pub fn parse(name: &str) -> Option<Transition> {
        let (base, speed) = Speed::split(name);
        use Direction::*;
        use TransitionKind as K;
        let kind = match base {
            "fade" => K::Fade,
            "reveal" => K::Reveal,
            "wipeLeft" => K::Wipe(Left),
            "wipeRight" => K::Wipe(Right),
            "slideLeft" => K::Slide(Left),
            "slideRight" => K::Slide(Right),
            "slideUp" => K::Slide(Up),
            "slideDown" => K::Slide(Down),
            "carouselLeft" => K::Carousel(Left),
            "carouselRight" => K::Carousel(Right),
            "carouselUp" => K::Carousel(Up),
            "carouselDown" => K::Carousel(Down),
            "zoom" => K::Zoom,
            _ => K::Shuffle(Corner::parse(base.strip_prefix("shuffle")?)?),
        };
        Some(Transition { kind, speed })
    }
}

/// Slow / normal / fast variants of transitions and effects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Speed {
    /// The `…Slow` variant.
    Slow,
    /// No suffix.
    #[default]
    Normal,
    /// The `…Fast` variant.
    Fast,
}

/// A screen direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Towards the left.
    Left,
    /// Towards the right.
    Right,
    /// Towards the top.
    Up,
    /// Towards the bottom.
    Down,
}

/// The corner and direction of a `shuffle…` transition (`shuffleTopRight`, `shuffleLeftBottom`…).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corner {
    /// Horizontal side the clip enters from.
    pub right: bool,
    /// Vertical side the clip enters from.
    pub bottom: bool,
    /// Whether the name leads with the vertical side (`shuffleTopRight` vs `shuffleRightTop`).
    pub vertical_first: bool,
}

impl Corner {
    fn parse(name: &str) -> Option<Corner> {
        let (a, b) = if let Some(rest) = name.strip_prefix("Top") {
            ("Top", rest)
        } else if let Some(rest) = name.strip_prefix("Bottom") {
            ("Bottom", rest)
        } else if let Some(rest) = name.strip_prefix("Left") {
            ("Left", rest)
        } else {
            ("Right", name.strip_prefix("Right")?)
        };
        let vertical_first = matches!(a, "Top" | "Bottom");
        let (v, h) = if vertical_first { (a, b) } else { (b, a) };
        if !matches!(v, "Top" | "Bottom") || !matches!(h, "Left" | "Right") {
            return None;
        }
        Some(Corner {
            right: h == "Right",
            bottom: v == "Bottom",
            vertical_first,
        })
    }
}

/// The transitions Shotstack names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionKind {
    /// Opacity ramp.
    Fade,
    /// Visible width grows from the left edge.
    Reveal,
    /// Soft-edged sweep.
    Wipe(Direction),
    /// Short move plus fade.
    Slide(Direction),
    /// Full-frame push, no fade.
    Carousel(Direction),
    /// Rotate in from a corner.
    Shuffle(Corner),
    /// Scale ×10 → ×1 plus fade.
    Zoom,
}

/// `clip.effect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effect {
    /// Which motion.
    pub kind: EffectKind,
    /// Slow / normal / fast amount.
    pub speed: Speed,
}

impl Effect {
    /// Parses `zoomIn`, `slideLeftSlow`, … (`none` → `None`).
    pub fn parse(name: &str) -> Option<Effect> {
        let (base, speed) = Speed::split(name);
        let kind = match base {
            "zoomIn" => EffectKind::ZoomIn,
            "zoomOut" => EffectKind::ZoomOut,
            "slideLeft" => EffectKind::Slide(Direction::Left),
            "slideRight" => EffectKind::Slide(Direction::Right),
            "slideUp" => EffectKind::Slide(Direction::Up),
            "slideDown" => EffectKind::Slide(Direction::Down),
            _ => return None,
        };
        Some(Effect { kind, speed })
    }
}

/// Motion effects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EffectKind {
    /// Scale 1 → z over the clip.
    ZoomIn,
    /// Scale z → 1 over the clip.
    ZoomOut,
    /// Pan across the (enlarged) clip.
    Slide(Direction),
}

/// `clip.filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// Gaussian blur.
    Blur,
    /// More contrast and saturation.
    Boost,
    /// More contrast.
    Contrast,
    /// Darker.
    Darken,
    /// No colour.
    Greyscale,
    /// Lighter.
    Lighten,
    /// Less saturation and contrast.
    Muted,
    /// Inverted colours.
    Negative,
}

impl Filter {
    /// Parses a Shotstack filter name (`none` → `None`).
    pub fn parse(name: &str) -> Option<Filter> {
        Some(match name {
            "blur" => Filter::Blur,
            "boost" => Filter::Boost,
            "contrast" => Filter::Contrast,
            "darken" => Filter::Darken,
            "greyscale" => Filter::Greyscale,
            "lighten" => Filter::Lighten,
            "muted" => Filter::Muted,
            "negative" => Filter::Negative,
            _ => return None,
        })
    }
}

/// Trim, speed and volume of a clip with sound or moving pictures.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaParams {
    /// Seconds skipped at the start of the source.
    pub trim: f64,
    /// Playback speed (1 = normal; 0 = freeze on the first frame).
    pub speed: f64,
    /// Volume 0..1 (or tweens).
    pub volume: Anim,
    /// `volumeEffect` (video) / `effect` (audio).
    pub fade: Option<AudioFade>,
}

impl Default for MediaParams {
    /// No trim, normal speed, full volume, no fades.
    fn default() -> Self {
        MediaParams {
            trim: 0.0,
            speed: 1.0,
            volume: Anim::Const(1.0),
            fade: None,
        }
    }
}

/// Audio fades: linear ramps of min(2 s, length/2) (SEMANTICS §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioFade {
    /// Ramp up at the start.
    In,
    /// Ramp down at the end.
    Out,
    /// Both.
    InOut,
}

impl AudioFade {
    /// Parses `fadeIn`, `fadeOut`, `fadeInFadeOut` (`none` → `None`).
    pub fn parse(name: &str) -> Option<AudioFade> {
        match name {
            "fadeIn" => Some(AudioFade::In),
            "fadeOut" => Some(AudioFade::Out),
            "fadeInFadeOut" => Some(AudioFade::InOut),
            _ => None,
        }
    }
}

/// The timeline soundtrack: plays from 0 for the shorter of the edit and the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Soundtrack {
    /// Local path.
    pub path: PathBuf,
    /// Probed facts.
    pub info: MediaInfo,
    /// Volume 0..1.
    pub volume: f64,
    /// Fade in/out.
    pub fade: Option<AudioFade>,
}

/// What to write and how.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSpec {
    /// Container / codec family.
    pub format: Format,
    /// Encoder quality.
    pub quality: Quality,
    /// GIF: loop forever (`true`) or play once.
    pub repeat: bool,
    /// Leave out the audio track.
    pub mute: bool,
    /// Render only `[start, start + length)` of the timeline.
    pub range: Option<Range>,
    /// Still formats: the time of the frame to capture (`poster.capture`).
    pub poster: Option<f64>,
    /// Scale the composed result to this size (`scaleTo`).
    pub scale_to: Option<(u32, u32)>,
}

impl Default for OutputSpec {
    /// mp4, medium quality, everything else off.
    fn default() -> Self {
        OutputSpec {
            format: Format::Mp4,
            quality: Quality::Medium,
            repeat: true,
            mute: false,
            range: None,
            poster: None,
            scale_to: None,
        }
    }
}

/// `output.range`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// Start on the timeline, seconds.
    pub start: f64,
    /// Length, seconds (`None` = to the end).
    pub length: Option<f64>,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// H.264 + AAC in MP4.
    Mp4,
    /// VP9 + Opus in WebM.
    Webm,
    /// Animated GIF.
    Gif,
    /// Sound only.
    Mp3,
    /// One JPEG frame.
    Jpg,
    /// One PNG frame.
    Png,
    /// One BMP frame.
    Bmp,
}

impl Format {
    /// Parses a Shotstack format name.
    pub fn parse(name: &str) -> Option<Format> {
        Some(match name {
            "mp4" => Format::Mp4,
            "webm" => Format::Webm,
            "gif" => Format::Gif,
            "mp3" => Format::Mp3,
            "jpg" | "jpeg" => Format::Jpg,
            "png" => Format::Png,
            "bmp" => Format::Bmp,
            _ => return None,
        })
    }

    /// The file extension (no dot).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Mp4 => "mp4",
            Format::Webm => "webm",
            Format::Gif => "gif",
            Format::Mp3 => "mp3",
            Format::Jpg => "jpg",
            Format::Png => "png",
            Format::Bmp => "bmp",
        }
    }

    /// Whether the output is a single picture.
    pub fn is_still(self) -> bool {
        matches!(self, Format::Jpg | Format::Png | Format::Bmp)
    }
}

/// `output.quality`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quality {
    /// Smallest files.
    VeryLow,
    /// Small files.
    Low,
    /// The default.
    #[default]
    Medium,
    /// Better picture.
    High,
    /// Best picture.
    VeryHigh,
}

impl Quality {
    /// Parses a Shotstack quality name.
    pub fn parse(name: &str) -> Option<Quality> {
        Some(match name {
            "verylow" => Quality::VeryLow,
            "low" => Quality::Low,
            "medium" => Quality::Medium,
            "high" => Quality::High,
            "veryhigh" => Quality::VeryHigh,
            _ => return None,
        })
    }
}

/// Shotstack's `resolution` presets (16:9 sizes and default frame rates, SEMANTICS key numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// 512×288 @ 15.
    Preview,
    /// 640×360.
    Mobile,
    /// 1024×576.
    Sd,
    /// 1280×720.
    Hd,
    /// 1920×1080.
    Full,
    /// 3840×2160.
    Uhd,
}

impl Resolution {
    /// Parses `preview`, `mobile`, `sd`, `hd`, `1080`, `4k`.
    pub fn parse(name: &str) -> Option<Resolution> {
        Some(match name {
            "preview" => Resolution::Preview,
            "mobile" => Resolution::Mobile,
            "sd" => Resolution::Sd,
            "hd" => Resolution::Hd,
            "1080" => Resolution::Full,
            "4k" => Resolution::Uhd,
            _ => return None,
        })
    }

    /// The 16:9 size.
    pub fn size(self) -> (u32, u32) {
        match self {
            Resolution::Preview => (512, 288),
            Resolution::Mobile => (640, 360),
            Resolution::Sd => (1024, 576),
            Resolution::Hd => (1280, 720),
            Resolution::Full => (1920, 1080),
            Resolution::Uhd => (3840, 2160),
        }
    }
}

/// Canvas size for a preset and an `aspectRatio` (`16:9` default, `9:16`, `1:1`, `4:5`, `4:3`).
///
/// 4:5 follows Shotstack's positioning utility (H × 1.25·H: hd → 720×900) because it keeps both
/// sides even; 4:3 is round(4H/3)×H made even (hd → 960×720). Unknown ratios → `None`.
pub fn preset_size(resolution: Resolution, aspect: Option<&str>) -> Option<(u32, u32)> {
    let (w, h) = resolution.size();
    let even = |v: f64| ((v / 2.0).round() * 2.0) as u32;
    Some(match aspect.unwrap_or("16:9") {
        "16:9" => (w, h),
        "9:16" => (h, w),
        "1:1" => (h, h),
        "4:5" => (h, even(f64::from(h) * 1.25)),
        "4:3" => (even(f64::from(h) * 4.0 / 3.0), h),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fps_rationals() {
        assert_eq!(Fps::from_f64(25.0).to_string(), "25");
        assert_eq!(Fps::from_f64(23.976).to_string(), "24000/1001");
        assert_eq!(Fps::from_f64(29.97).to_string(), "30000/1001");
        assert_eq!(Fps::from_f64(59.94).to_string(), "60000/1001");
        assert_eq!(Fps::from_f64(12.5).to_string(), "12500/1000");
    }

    #[test]
    fn colors() {
        assert_eq!(
            Color::parse("#ff8000"),
            Some(Color {
                r: 255,
                g: 128,
                b: 0,
                a: 255
            })
        );
        assert_eq!(Color::parse("#fff").map(|c| c.g), Some(255));
        assert_eq!(Color::parse("#00000080").map(|c| c.a), Some(128));
        assert_eq!(Color::parse("#ggg"), None);
        assert_eq!(Color::parse("#12345"), None);
    }

    #[test]
    fn names() {
        let t = Transition::parse("slideLeftFast").unwrap();
        assert_eq!(t.kind, TransitionKind::Slide(Direction::Left));
        assert_eq!(t.speed, Speed::Fast);
        let s = Transition::parse("shuffleRightBottom").unwrap();
        assert_eq!(
            s.kind,
            TransitionKind::Shuffle(Corner {
                right: true,
                bottom: true,
                vertical_first: false
            })
        );
        assert!(Transition::parse("shuffleTopTop").is_none());
        assert!(Transition::parse("nope").is_none());
        assert_eq!(Effect::parse("zoomInSlow").unwrap().speed, Speed::Slow);
    }

    #[test]
    fn preset_sizes() {
        assert_eq!(preset_size(Resolution::Hd, None), Some((1280, 720)));
        assert_eq!(preset_size(Resolution::Hd, Some("9:16")), Some((720, 1280)));
        assert_eq!(preset_size(Resolution::Hd, Some("1:1")), Some((720, 720)));
        assert_eq!(preset_size(Resolution::Hd, Some("4:5")), Some((720, 900)));
        assert_eq!(preset_size(Resolution::Sd, Some("4:3")), Some((768, 576)));
        assert_eq!(preset_size(Resolution::Hd, Some("2:1")), None);
    }
}
