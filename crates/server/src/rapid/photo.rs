//! A report photo made safe to keep: decoded and re-encoded, so only its pixels survive.
//!
//! A phone's photo carries far more than the picture: EXIF with GPS coordinates, the time, the
//! device's make, model and serial, XMP, maker notes, ICC profiles with comments, thumbnails that
//! may show the uncropped original, and whatever someone appended after the image's end. Rather
//! than strip what we know of and keep the rest, the server decodes the pixels and writes a new
//! JPEG from them: nothing of the upload's container reaches storage. The EXIF orientation is
//! applied to the pixels first, so the photo still stands the right way up without it.
//!
//! Decoding is where hostile input bites, so it is bounded twice: `image`'s limits refuse
//! dimensions past [`MAX_INPUT_SIDE`] from the header alone, before any pixel is decoded, and the
//! decoded size is checked against [`MAX_DECODED_BYTES`] (a decompression bomb declares its
//! size in its header: this is where it stops). Pure: no I/O, no clock; run it off the async
//! runtime (`spawn_blocking`), it takes a core for a fraction of a second.

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ExtendedColorType, ImageDecoder, ImageEncoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// The widest or tallest image decoded at all (phones take about 4,000 to 8,000 pixels).
pub const MAX_INPUT_SIDE: u32 = 12_000;
/// The most memory a decoded image may take: about 48 megapixels in RGBA.
pub const MAX_DECODED_BYTES: u64 = 192 * 1024 * 1024;
/// JPEG quality of the stored copy: a photo a responder can read plates in, at a few hundred KB.
const QUALITY: u8 = 82;

/// A photo ready to store: a JPEG the server wrote itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CleanPhoto {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Why an upload is not a photo we keep. Each says what the person can do about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("This is not a JPEG, PNG or WebP image. Send a photo in one of those formats.")]
    NotAnImage,
    #[error("This image could not be read: it may be damaged or cut short. Take or choose the photo again.")]
    Unreadable,
    #[error(
        "This image is too large to open ({width} × {height} pixels). Send a photo at most {MAX_INPUT_SIDE} pixels on each side and about 48 megapixels."
    )]
    TooManyPixels { width: u32, height: u32 },
}

/// Decodes `upload` (JPEG, PNG or WebP, whatever its name or content type claimed), turns it the
/// way its EXIF orientation says, scales it down to at most `max_side` pixels on its longer side,
/// and encodes a fresh JPEG with no metadata at all.
pub fn clean(upload: &[u8], max_side: u32) -> Result<CleanPhoto, PhotoError> {
    let mut reader = ImageReader::new(Cursor::new(upload))
        .with_guessed_format()
        .map_err(|_| PhotoError::NotAnImage)?;
    if !matches!(
        reader.format(),
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)
    ) {
        return Err(PhotoError::NotAnImage);
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_INPUT_SIDE);
    limits.max_image_height = Some(MAX_INPUT_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| refusal(&e, upload))?;
    let (width, height) = decoder.dimensions();
    if decoder.total_bytes() > MAX_DECODED_BYTES {
        return Err(PhotoError::TooManyPixels { width, height });
    }
    // A photo whose orientation tag cannot be read is kept as stored: not a reason to refuse it.
    let orientation = decoder.orientation().ok();
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| refusal(&e, upload))?;
    if let Some(orientation) = orientation {
        image.apply_orientation(orientation);
    }
    let max_side = max_side.max(1);
    if image.width() > max_side || image.height() > max_side {
        // Triangle (bilinear) rather than Lanczos: a quarter of the time, and the difference does
        // not show at this scale.
        image = image.resize(max_side, max_side, FilterType::Triangle);
    }
    // JPEG has no alpha: flatten to RGB (transparent pixels become what their colour channels say).
    let rgb = image.to_rgb8();
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, QUALITY)
        .write_image(rgb.as_raw(), rgb.width(), rgb.height(), ExtendedColorType::Rgb8)
        .map_err(|_| PhotoError::Unreadable)?;
    Ok(CleanPhoto {
        jpeg,
        width: rgb.width(),
        height: rgb.height(),
    })
}

/// A decoder's error in the person's terms: too big, or not readable.
fn refusal(error: &image::ImageError, upload: &[u8]) -> PhotoError {
    match error {
        image::ImageError::Limits(_) => {
            let (width, height) = ImageReader::new(Cursor::new(upload))
                .with_guessed_format()
                .ok()
                .and_then(|r| r.into_dimensions().ok())
                .unwrap_or((0, 0));
            PhotoError::TooManyPixels { width, height }
        }
        image::ImageError::Unsupported(_) => PhotoError::NotAnImage,
        _ => PhotoError::Unreadable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::RgbaImage;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = RgbaImage::from_fn(width, height, |x, y| image::Rgba([x as u8, y as u8, 90, 255]));
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(image.as_raw(), width, height, ExtendedColorType::Rgba8)
            .expect("png");
        out
    }

    #[test]
    fn a_png_becomes_a_smaller_jpeg_with_its_proportions() {
        let clean = clean(&png(300, 150), 100).expect("cleaned");
        assert_eq!((clean.width, clean.height), (100, 50));
        assert_eq!(image::guess_format(&clean.jpeg).expect("format"), ImageFormat::Jpeg);
        let decoded = image::load_from_memory(&clean.jpeg).expect("decodes");
        assert_eq!((decoded.width(), decoded.height()), (100, 50));
    }

    #[test]
    fn small_photos_keep_their_size() {
        let clean = clean(&png(40, 30), 2048).expect("cleaned");
        assert_eq!((clean.width, clean.height), (40, 30));
    }

    #[test]
    fn what_is_not_a_photo_is_refused() {
        assert_eq!(clean(b"hello, this is text", 100), Err(PhotoError::NotAnImage));
        assert_eq!(clean(b"", 100), Err(PhotoError::NotAnImage));
        // GIF decodes in browsers but is not a format we take.
        assert_eq!(
            clean(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", 100),
            Err(PhotoError::NotAnImage)
        );
        let mut cut = png(64, 64);
        cut.truncate(cut.len() / 2);
        assert_eq!(clean(&cut, 100), Err(PhotoError::Unreadable));
    }
}
