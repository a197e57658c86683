//! The style a block of text is drawn in: [`TextStyle`] and its parts.

/// Horizontal alignment of lines in the box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HAlign {
    /// Flush left.
    Left,
    /// Centred.
    #[default]
    Center,
    /// Flush right.
    Right,
}

/// Vertical placement of the text block in the box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VAlign {
    /// At the top.
    Top,
    /// Centred.
    #[default]
    Middle,
    /// At the bottom.
    Bottom,
}

/// Case change applied before layout (CSS `text-transform`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextTransform {
    /// As written.
    #[default]
    None,
    /// ALL CAPS.
    Uppercase,
    /// all lower case.
    Lowercase,
    /// First Letter Of Each Word.
    Capitalize,
}

/// A line drawn with the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Decoration {
    /// None.
    #[default]
    None,
    /// Under the baseline.
    Underline,
    /// Through the middle.
    LineThrough,
}

/// How glyphs are filled.
#[derive(Debug, Clone, PartialEq)]
pub enum Fill {
    /// One colour (alpha included).
    Solid(tiny_skia::Color),
    /// A gradient across the text's ink box.
    Gradient(Gradient),
}

/// A gradient fill.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradient {
    /// Radial (from the centre) instead of linear.
    pub radial: bool,
    /// Direction of a linear gradient in degrees: 0 = left → right, 90 = top → bottom.
    pub angle: f32,
    /// Offsets 0..1 with colours.
    pub stops: Vec<(f32, tiny_skia::Color)>,
}

/// An outline around each glyph.
#[derive(Debug, Clone, PartialEq)]
pub struct TextStroke {
    /// Visible width outside the glyph, in pixels.
    pub width: f32,
    /// Colour (alpha included).
    pub color: tiny_skia::Color,
}

/// A drop shadow of the glyphs (and their stroke).
#[derive(Debug, Clone, PartialEq)]
pub struct Shadow {
    /// Offset right, in pixels.
    pub dx: f32,
    /// Offset down, in pixels.
    pub dy: f32,
    /// Blur radius in pixels (CSS-like: about twice the Gaussian's sigma).
    pub blur: f32,
    /// Colour (alpha included).
    pub color: tiny_skia::Color,
}

/// A filled box behind the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Background {
    /// Colour (alpha included).
    pub color: tiny_skia::Color,
    /// Corner radius in pixels.
    pub radius: f32,
    /// Hug the text block (plus `padding`) instead of filling the whole box.
    pub wrap: bool,
    /// Space between the text block and a wrapped background, in pixels.
    pub padding: f32,
}

/// A border around the box.
#[derive(Debug, Clone, PartialEq)]
pub struct Border {
    /// Width in pixels, drawn inside the box edge.
    pub width: f32,
    /// Colour (alpha included).
    pub color: tiny_skia::Color,
    /// Corner radius in pixels.
    pub radius: f32,
}

/// Insets in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Sides {
    /// Top inset.
    pub top: f32,
    /// Right inset.
    pub right: f32,
    /// Bottom inset.
    pub bottom: f32,
    /// Left inset.
    pub left: f32,
}

impl Sides {
    /// The same inset on every side.
    pub fn all(v: f32) -> Sides {
        Sides {
            top: v,
            right: v,
            bottom: v,
            left: v,
        }
    }
}

/// Everything the engine needs to draw one block of text into a box.
#[derive(Debug, Clone, PartialEq)]
pub struct TextStyle {
    /// The text; `\n` breaks lines. Drawn literally (no markup).
    pub text: String,
    /// Font family as the template names it (see `fonts/README.md`).
    pub family: String,
    /// Explicit CSS weight, overriding a weight word in `family`.
    pub weight: Option<u16>,
    /// Ask for an italic face.
    pub italic: bool,
    /// Font size in pixels.
    pub size: f32,
    /// Line height as a multiple of `size`.
    pub line_height: f32,
    /// Extra space after each character, in pixels.
    pub letter_spacing: f32,
    /// Case change.
    pub transform: TextTransform,
    /// Underline or line-through.
    pub decoration: Decoration,
    /// Glyph fill.
    pub fill: Fill,
    /// Opacity of the glyphs (with stroke and shadow), 0..1.
    pub opacity: f32,
    /// Glyph outline.
    pub stroke: Option<TextStroke>,
    /// Drop shadow.
    pub shadow: Option<Shadow>,
    /// Box behind the text.
    pub background: Option<Background>,
    /// Border around the box.
    pub border: Option<Border>,
    /// Insets of the layout area inside the box.
    pub padding: Sides,
    /// Horizontal alignment.
    pub h_align: HAlign,
    /// Vertical alignment.
    pub v_align: VAlign,
    /// Output size in pixels (the layer's box).
    pub box_size: (u32, u32),
    /// Wrap lines at the layout width (else only `\n` breaks lines).
    pub wrap: bool,
    /// Extra space after each space character, in pixels.
    pub word_spacing: f32,
    /// When the text is taller than the layout area: cut it and end it with this string.
    pub ellipsis: Option<String>,
    /// `font.size = "auto"`: shrink from `size` to this minimum until the text fits.
    pub auto_size: Option<f32>,
}

impl TextStyle {
    /// Defaults of the `text` asset (see `docs/text.md`): Open Sans 32 px white, line height 1,
    /// centred, wrapped, no background.
    pub fn new(text: impl Into<String>, box_size: (u32, u32)) -> TextStyle {
        TextStyle {
            text: text.into(),
            family: "Open Sans".into(),
            weight: None,
            italic: false,
            size: 32.0,
            line_height: 1.0,
            letter_spacing: 0.0,
            transform: TextTransform::None,
            decoration: Decoration::None,
            fill: Fill::Solid(tiny_skia::Color::WHITE),
            opacity: 1.0,
            stroke: None,
            shadow: None,
            background: None,
            border: None,
            padding: Sides::default(),
            h_align: HAlign::Center,
            v_align: VAlign::Middle,
            box_size,
            wrap: true,
            word_spacing: 0.0,
            ellipsis: None,
            auto_size: None,
        }
    }
}
