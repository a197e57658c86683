//! `svg` assets: the inline markup rendered with resvg, scaled uniformly to fit the box and
//! centred; without a box, at the SVG's own size.
//!
//! `<image href=…>` references other than `data:` URLs go through the [`Gate`]: files under the
//! template's folder or named by the Edit, public `http(s)` URLs; anything else is refused (a
//! warning) and the image left out.

use std::sync::Arc;

use resvg::usvg;
use tiny_skia::{Pixmap, Transform};

use super::Layer;
use crate::diagnostics::Diagnostic;
use crate::render::access::Gate;

/// Largest side of a layer made from an SVG's own size, in pixels.
const MAX_SIDE: f32 = 8192.0;

/// Renders SVG `markup` into `box_size`, or at its own size when `box_size` is `None`; `fontdb`
/// holds the fonts `<text>` elements may use; images are read through `gate`.
pub(crate) fn render_svg(
    markup: &str,
    box_size: Option<(u32, u32)>,
    fontdb: Arc<usvg::fontdb::Database>,
    gate: &Gate<'_>,
) -> Result<Layer, Diagnostic> {
    let resolve_string = move |href: &str, opts: &usvg::Options| {
        let fetched = gate.record(href, gate.access.href(href))?;
        // The data resolver sniffs the format (and reads nested SVGs with these options, so
        // their images come through here too).
        let data = Arc::new(fetched.bytes);
        (opts.image_href_resolver.resolve_data)("text/plain", data, opts)
    };
    let opts = usvg::Options {
        fontdb,
        font_family: "Open Sans".into(),
        resources_dir: None,
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: usvg::ImageHrefResolver::default_data_resolver(),
            resolve_string: Box::new(resolve_string),
        },
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(markup, &opts).map_err(|e| {
        Diagnostic::error("the `svg` markup cannot be read").with_note(e.to_string())
    })?;
    let size = tree.size();
    let (w, h) = match box_size {
        Some((w, h)) => (w.max(1), h.max(1)),
        None => (
            size.width().clamp(1.0, MAX_SIDE).ceil() as u32,
            size.height().clamp(1.0, MAX_SIDE).ceil() as u32,
        ),
    };
    let mut pixmap = Pixmap::new(w, h)
        .ok_or_else(|| Diagnostic::error(format!("cannot make a {w}×{h} svg layer")))?;
    let k = (w as f32 / size.width()).min(h as f32 / size.height());
    let dx = (w as f32 - size.width() * k) / 2.0;
    let dy = (h as f32 - size.height() * k) / 2.0;
    let transform = Transform::from_row(k, 0.0, 0.0, k, dx, dy);
    resvg::render(&tree, transform, &mut pixmap.as_mut());
    Ok(Layer::new(pixmap))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CIRCLE: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">
        <circle cx="50" cy="50" r="40" fill="#ff0000"/></svg>"##;

    #[test]
    fn circle_pixels_at_own_size_and_scaled_to_a_box() {
        let db = Arc::new(usvg::fontdb::Database::new());
        let access = super::super::tests::test_access();
        let gate = Gate::new(&access);
        let l = render_svg(CIRCLE, None, db.clone(), &gate).unwrap();
        assert_eq!((l.width, l.height), (100, 100));
        let c = l.image.pixel(50, 50).unwrap();
        assert_eq!((c.red(), c.green(), c.blue(), c.alpha()), (255, 0, 0, 255));
        assert_eq!(l.image.pixel(3, 3).unwrap().alpha(), 0);
        let l = render_svg(CIRCLE, Some((400, 200)), db, &gate).unwrap();
        assert_eq!(l.image.pixel(200, 100).unwrap().red(), 255);
        assert_eq!(l.image.pixel(200, 25).unwrap().red(), 255); // r = 80 after scaling by 2
        assert_eq!(l.image.pixel(200, 15).unwrap().alpha(), 0);
        assert_eq!(l.image.pixel(100, 100).unwrap().alpha(), 0); // left of the circle
    }

    #[test]
    fn bad_markup_is_an_error() {
        let db = Arc::new(usvg::fontdb::Database::new());
        let access = super::super::tests::test_access();
        let err = render_svg("<svg", None, db, &Gate::new(&access)).unwrap_err();
        assert!(err.message.contains("svg"), "{}", err.message);
    }
}
