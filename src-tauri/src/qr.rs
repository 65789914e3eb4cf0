//! QR codes: drawing an invitation as SVG for the invite screen, and reading one back from a
//! picture (a photo or screenshot someone sent) for the join screen.

use std::path::Path;

use mutua_core::Error;

/// Pictures larger than this are refused before decoding (a QR code needs far less).
const MAX_PICTURE_BYTES: u64 = 25 << 20;
/// And pictures with more pixels than this (a decompression bomb is small on disk).
const MAX_PIXELS: u64 = 40_000_000;

/// The prefixes of the codes Mutua reads (group invitations, device pairing).
const PREFIXES: [&str; 2] = ["mutua-invite:", "mutua-pair:"];

/// `text` as a QR code, an SVG document (dark on white, with its quiet zone).
pub fn svg(text: &str) -> Result<String, Error> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| Error::Invalid(format!("this code is too long for a QR code ({e})")))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .dark_color(qrcode::render::svg::Color("#1f2328"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build())
}

/// Reads the Mutua code in the picture at `path`.
pub fn read_file(path: &Path) -> Result<String, Error> {
    let size = std::fs::metadata(path)
        .map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })?
        .len();
    if size > MAX_PICTURE_BYTES {
        return Err(Error::Invalid(
            "that picture is too large; crop it around the QR code and try again".into(),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    read_bytes(&bytes)
}

/// Reads the Mutua code in an encoded picture (PNG or JPEG).
pub fn read_bytes(bytes: &[u8]) -> Result<String, Error> {
    let unreadable =
        || Error::Invalid("that file is not a picture Mutua can read (PNG or JPEG)".into());
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| unreadable())?;
    let (width, height) = reader.into_dimensions().map_err(|_| unreadable())?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Error::Invalid(
            "that picture is too large; crop it around the QR code and try again".into(),
        ));
    }
    let picture = image::load_from_memory(bytes).map_err(|_| unreadable())?;
    let grey = picture.to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        grey.width() as usize,
        grey.height() as usize,
        |x, y| grey.get_pixel(x as u32, y as u32).0[0],
    );
    let grids = prepared.detect_grids();
    if grids.is_empty() {
        return Err(Error::Invalid(
            "no QR code found in that picture; try a sharper or closer one".into(),
        ));
    }
    for grid in grids {
        if let Ok((_, text)) = grid.decode() {
            let text = text.trim();
            if PREFIXES.iter().any(|p| text.starts_with(p)) {
                return Ok(text.to_owned());
            }
        }
    }
    Err(Error::Invalid(
        "the QR code in that picture is not a Mutua invitation".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Draws `text` as a PNG the way a screenshot of the invite screen would hold it.
    fn png_of(text: &str) -> Vec<u8> {
        let code = qrcode::QrCode::new(text.as_bytes()).expect("qr");
        let modules = code.width();
        let colors = code.to_colors();
        let (scale, quiet) = (6usize, 4usize);
        let side = (modules + 2 * quiet) * scale;
        let picture = image::GrayImage::from_fn(side as u32, side as u32, |x, y| {
            let (mx, my) = (x as usize / scale, y as usize / scale);
            let dark = mx >= quiet
                && my >= quiet
                && mx - quiet < modules
                && my - quiet < modules
                && colors[(my - quiet) * modules + (mx - quiet)] == qrcode::Color::Dark;
            image::Luma([if dark { 0 } else { 255 }])
        });
        let mut out = std::io::Cursor::new(Vec::new());
        picture
            .write_to(&mut out, image::ImageFormat::Png)
            .expect("png");
        out.into_inner()
    }

    #[test]
    fn an_invitation_survives_being_drawn_and_read_back() {
        let code = format!("mutua-invite:{}", "A1b2-_".repeat(60));
        assert_eq!(read_bytes(&png_of(&code)).expect("read"), code);
        let svg = svg(&code).expect("svg");
        assert!(
            svg.starts_with("<?xml") && svg.contains("<svg"),
            "{svg:.80}"
        );
    }

    #[test]
    fn other_pictures_get_clear_errors() {
        let foreign = read_bytes(&png_of("https://example.org/")).expect_err("foreign");
        assert!(
            foreign.to_string().contains("not a Mutua invitation"),
            "{foreign}"
        );
        let blank = image::GrayImage::from_pixel(64, 64, image::Luma([255]));
        let mut png = std::io::Cursor::new(Vec::new());
        blank
            .write_to(&mut png, image::ImageFormat::Png)
            .expect("png");
        let none = read_bytes(&png.into_inner()).expect_err("blank");
        assert!(none.to_string().contains("no QR code"), "{none}");
        let garbage = read_bytes(b"\x89PNG\r\n\x1a\n not really").expect_err("garbage");
        assert!(garbage.to_string().contains("not a picture"), "{garbage}");
    }
}
