//! `shape` assets (rectangle, circle, line) drawn with tiny-skia, centred in the asset box.

use tiny_skia::{Color, FillRule, Paint, Path, PathBuilder, Pixmap, Stroke, Transform};

use super::Layer;
use super::assets::color_field;
use super::paint::{rounded_rect, with_opacity};
use crate::diagnostics::Diagnostic;
use crate::edit::{ShapeAsset, ShapeKind};

/// Draws `a` centred in a transparent layer of `box_size`.
pub(crate) fn render_shape(a: &ShapeAsset, box_size: (u32, u32)) -> Result<Layer, Diagnostic> {
    let (w, h) = (box_size.0.max(1), box_size.1.max(1));
    let mut pixmap = Pixmap::new(w, h)
        .ok_or_else(|| Diagnostic::error(format!("cannot make a {w}×{h} shape layer")))?;
    let fill = a.fill.as_ref();
    let color = color_field(
        "fill.color",
        fill.and_then(|f| f.color.as_deref()),
        Color::WHITE,
    )?;
    let color = with_opacity(color, fill.and_then(|f| f.opacity).unwrap_or(1.0) as f32);
    let stroke = match a.stroke.as_ref().filter(|s| s.width.unwrap_or(0.0) > 0.0) {
        Some(s) => Some((
            color_field("stroke.color", s.color.as_deref(), Color::BLACK)?,
            s.width.unwrap_or(0.0) as f32,
        )),
        None => None,
    };
    if let Some(path) = shape_path(a, (w as f32, h as f32)) {
        let mut paint = Paint {
            anti_alias: true,
            ..Paint::default()
        };
        paint.set_color(color);
        pixmap.fill_path(
            &path,
            &paint,
            FillRule::Winding,
            Transform::identity(),
            None,
        );
        if let Some((c, width)) = stroke {
            paint.set_color(c);
            let st = Stroke {
                width,
                ..Stroke::default()
            };
            pixmap.stroke_path(&path, &paint, &st, Transform::identity(), None);
        }
    }
    Ok(Layer::new(pixmap))
}

/// The outline of the shape, centred in a `w`×`h` box. Missing dimensions fill the box (a
/// circle takes the largest that fits; a line spans the width, 4 px thick).
fn shape_path(a: &ShapeAsset, (w, h): (f32, f32)) -> Option<Path> {
    let (cx, cy) = (w / 2.0, h / 2.0);
    match a.shape {
        ShapeKind::Rectangle => {
            let (rw, rh, r) = match &a.rectangle {
                Some(r) => (
                    r.width as f32,
                    r.height as f32,
                    r.corner_radius.unwrap_or(0) as f32,
                ),
                None => (w, h, 0.0),
            };
            rounded_rect(cx - rw / 2.0, cy - rh / 2.0, rw, rh, r)
        }
        ShapeKind::Circle => {
            let r = a
                .circle
                .as_ref()
                .map_or(w.min(h) / 2.0, |c| c.radius as f32);
            PathBuilder::from_circle(cx, cy, r.max(0.5))
        }
        ShapeKind::Line => {
            let (len, t) = a
                .line
                .as_ref()
                .map_or((w, 4.0), |l| (l.length as f32, l.thickness as f32));
            rounded_rect(cx - len / 2.0, cy - t / 2.0, len, t.max(1.0), 0.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(json: serde_json::Value) -> ShapeAsset {
        serde_json::from_value(json).unwrap()
    }

    fn rgba(l: &Layer, x: u32, y: u32) -> (u8, u8, u8, u8) {
        let c = l.image.pixel(x, y).unwrap().demultiply();
        (c.red(), c.green(), c.blue(), c.alpha())
    }

    #[test]
    fn rectangle_is_centred_in_its_fill_colour() {
        let a = shape(serde_json::json!({
            "shape": "rectangle", "fill": {"color": "#ff0000"},
            "rectangle": {"width": 40, "height": 20}
        }));
        let l = render_shape(&a, (100, 60)).unwrap();
        assert_eq!(rgba(&l, 50, 30), (255, 0, 0, 255));
        assert_eq!(rgba(&l, 31, 21).3, 255);
        assert_eq!(rgba(&l, 28, 30).3, 0);
        assert_eq!(rgba(&l, 50, 18).3, 0);
    }

    #[test]
    fn circle_with_opacity_and_stroke() {
        let a = shape(serde_json::json!({
            "shape": "circle", "fill": {"color": "#00ff00", "opacity": 0.5},
            "stroke": {"color": "#0000ff", "width": 4}, "circle": {"radius": 20}
        }));
        let l = render_shape(&a, (60, 60)).unwrap();
        let (r, g, b, a) = rgba(&l, 30, 30);
        assert_eq!((r, g, b), (0, 255, 0));
        assert!((120..=135).contains(&a), "alpha {a}");
        assert_eq!(rgba(&l, 30, 10), (0, 0, 255, 255)); // on the edge: stroke
        assert_eq!(rgba(&l, 2, 2).3, 0); // corner: outside
    }

    #[test]
    fn default_white_line_spans_the_width() {
        let a = shape(serde_json::json!({"shape": "line", "line": {"length": 80, "thickness": 6}}));
        let l = render_shape(&a, (100, 20)).unwrap();
        assert_eq!(rgba(&l, 50, 10), (255, 255, 255, 255));
        assert_eq!(rgba(&l, 12, 10).3, 255);
        assert_eq!(rgba(&l, 5, 10).3, 0);
        assert_eq!(rgba(&l, 50, 3).3, 0);
    }
}
