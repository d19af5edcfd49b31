//! Images cleaned: decoded within limits (pixels and memory, so a decompression bomb costs
//! nothing), turned upright by their EXIF orientation, re-encoded without any metadata (EXIF,
//! GPS, comments, colour profiles), and thumbnailed with `fast_image_resize`.
//!
//! A GIF keeps its first frame only and is stored as a PNG; WebP stays WebP (lossless).

use std::io::{BufReader, Cursor};
use std::path::Path;

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageReader, Limits};

use super::domain::ImageKind;
use super::rules;

/// JPEG quality of stored photos and thumbnails.
const JPEG_QUALITY: u8 = 85;

/// How far an image may go.
#[derive(Debug, Clone, Copy)]
pub struct ImageLimits {
    pub max_pixels: u64,
    pub max_decode_bytes: u64,
}

/// Why an image is refused (`422 image_too_large`) or could not be read (`422 invalid_image`).
#[derive(Debug, thiserror::Error)]
pub enum ImageRefusal {
    #[error("the image is {width} × {height} pixels, more than the {max} allowed")]
    TooManyPixels { width: u32, height: u32, max: u64 },
    #[error("decoding the image would take more memory than allowed")]
    TooMuchMemory,
    #[error("the file is not a readable image: {0}")]
    Unreadable(String),
}

/// One encoded file.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub extension: &'static str,
    pub content_type: &'static str,
}

/// An image as it is stored.
#[derive(Debug)]
pub struct Cleaned {
    pub original: Encoded,
    pub width: u32,
    pub height: u32,
    pub small: Encoded,
    pub large: Encoded,
}

/// Decodes the image at `path` (whose bytes say it is `kind`), cleans it and makes its
/// thumbnails; `square` crops it to its centred square first (avatars).
pub fn clean(
    path: &Path,
    kind: ImageKind,
    limits: ImageLimits,
    square: bool,
) -> Result<Cleaned, ImageRefusal> {
    let (width, height) = reader(path, kind, limits)?
        .into_dimensions()
        .map_err(refusal)?;
    if !rules::dimensions_allowed(width, height, limits.max_pixels) {
        return Err(ImageRefusal::TooManyPixels {
            width,
            height,
            max: limits.max_pixels,
        });
    }
    let mut decoder = reader(path, kind, limits)?
        .into_decoder()
        .map_err(refusal)?;
    // What the pixels take once decoded, from the dimensions the header claims; the decoder's
    // own limit (`max_alloc`) holds it to this while it runs.
    if decoder.total_bytes() > limits.max_decode_bytes {
        return Err(ImageRefusal::TooMuchMemory);
    }
    let orientation = decoder.orientation().map_err(refusal)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(refusal)?;
    image.apply_orientation(orientation);
    let mut image = normalised(image);
    if square {
        image = square_crop(image)?;
    }
    let (width, height) = (image.width(), image.height());
    let large = thumbnail(&image, rules::LARGE_WIDTH)?;
    let small = thumbnail(&image, rules::SMALL_WIDTH)?;
    let original = encode_as(&image, kind)?;
    Ok(Cleaned {
        original,
        width,
        height,
        small,
        large,
    })
}

fn reader(
    path: &Path,
    kind: ImageKind,
    limits: ImageLimits,
) -> Result<ImageReader<BufReader<std::fs::File>>, ImageRefusal> {
    let file = std::fs::File::open(path).map_err(|e| ImageRefusal::Unreadable(e.to_string()))?;
    let mut reader = ImageReader::new(BufReader::new(file));
    reader.set_format(kind.format());
    let mut decode_limits = Limits::default();
    decode_limits.max_alloc = Some(limits.max_decode_bytes);
    reader.limits(decode_limits);
    Ok(reader)
}

fn refusal(error: image::ImageError) -> ImageRefusal {
    match error {
        image::ImageError::Limits(_) => ImageRefusal::TooMuchMemory,
        other => ImageRefusal::Unreadable(other.to_string()),
    }
}

/// 8 bits per channel, RGB or RGBA: what the encoders and the resizer take. Moves the pixels
/// when they are already so (the common case: JPEG photos). An alpha channel that is opaque
/// everywhere (most screenshots) is dropped, so thumbnails can be JPEG.
fn normalised(image: DynamicImage) -> DynamicImage {
    let image = match image {
        DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_) => image,
        other if other.color().has_alpha() => DynamicImage::ImageRgba8(other.into_rgba8()),
        other => DynamicImage::ImageRgb8(other.into_rgb8()),
    };
    match image {
        DynamicImage::ImageRgba8(rgba) if rgba.pixels().all(|p| p.0[3] == u8::MAX) => {
            DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(rgba).into_rgb8())
        }
        other => other,
    }
}

fn square_crop(image: DynamicImage) -> Result<DynamicImage, ImageRefusal> {
    let side = image.width().min(image.height());
    if image.width() == image.height() {
        return Ok(image);
    }
    resized(&image, side, side)
}

fn resized(image: &DynamicImage, width: u32, height: u32) -> Result<DynamicImage, ImageRefusal> {
    let mut target = DynamicImage::new(width, height, image.color());
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .fit_into_destination(Some((0.5, 0.5)));
    Resizer::new()
        .resize(image, &mut target, &options)
        .map_err(|e| ImageRefusal::Unreadable(e.to_string()))?;
    Ok(target)
}

/// `width` wide at most; JPEG when opaque, PNG when it has transparency.
fn thumbnail(image: &DynamicImage, width: u32) -> Result<Encoded, ImageRefusal> {
    let (w, h) = rules::thumbnail_size(image.width(), image.height(), width);
    let small;
    let source = if (w, h) == (image.width(), image.height()) {
        image
    } else {
        small = resized(image, w, h)?;
        &small
    };
    if source.color().has_alpha() {
        encode_as(source, ImageKind::Png)
    } else {
        encode_as(source, ImageKind::Jpeg)
    }
}

/// Encodes without metadata: these encoders write pixels and nothing else unless asked.
fn encode_as(image: &DynamicImage, kind: ImageKind) -> Result<Encoded, ImageRefusal> {
    let mut bytes = Cursor::new(Vec::new());
    let (w, h, color) = (image.width(), image.height(), image.color().into());
    let pixels = image.as_bytes();
    let written = match kind {
        ImageKind::Jpeg if !image.color().has_alpha() => {
            JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY).write_image(pixels, w, h, color)
        }
        ImageKind::Webp => WebPEncoder::new_lossless(&mut bytes).write_image(pixels, w, h, color),
        // PNG, GIF's first frame, and a JPEG that somehow has transparency.
        _ => PngEncoder::new_with_quality(&mut bytes, CompressionType::Fast, PngFilter::Adaptive)
            .write_image(pixels, w, h, color),
    };
    written.map_err(|e| ImageRefusal::Unreadable(e.to_string()))?;
    let (extension, content_type) = match kind {
        ImageKind::Jpeg if !image.color().has_alpha() => ("jpg", "image/jpeg"),
        ImageKind::Webp => ("webp", "image/webp"),
        _ => ("png", "image/png"),
    };
    Ok(Encoded {
        bytes: bytes.into_inner(),
        extension,
        content_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ImageLimits = ImageLimits {
        max_pixels: 50_000_000,
        max_decode_bytes: 256 * 1024 * 1024,
    };

    fn write(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("devforum-images-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write");
        path
    }

    fn png(width: u32, height: u32, alpha: bool) -> Vec<u8> {
        let image = if alpha {
            DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
                width,
                height,
                image::Rgba([10, 20, 30, 128]),
            ))
        } else {
            DynamicImage::ImageRgb8(image::RgbImage::from_fn(width, height, |x, y| {
                image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
            }))
        };
        let mut bytes = Cursor::new(Vec::new());
        image
            .write_to(&mut bytes, image::ImageFormat::Png)
            .expect("encode");
        bytes.into_inner()
    }

    #[test]
    fn a_photo_gets_both_thumbnails_in_proportion() {
        let path = write("wide.png", &png(2400, 1200, false));
        let cleaned = clean(&path, ImageKind::Png, LIMITS, false).expect("clean");
        assert_eq!((cleaned.width, cleaned.height), (2400, 1200));
        assert_eq!(cleaned.original.extension, "png");
        let large = image::load_from_memory(&cleaned.large.bytes).expect("large");
        let small = image::load_from_memory(&cleaned.small.bytes).expect("small");
        assert_eq!((large.width(), large.height()), (1200, 600));
        assert_eq!((small.width(), small.height()), (200, 100));
        assert_eq!(cleaned.small.extension, "jpg", "opaque thumbnails are JPEG");
    }

    #[test]
    fn transparency_keeps_png_thumbnails_and_avatars_are_square() {
        let path = write("logo.png", &png(300, 100, true));
        let cleaned = clean(&path, ImageKind::Png, LIMITS, true).expect("clean");
        assert_eq!((cleaned.width, cleaned.height), (100, 100));
        assert_eq!(cleaned.small.extension, "png");
    }

    #[test]
    fn an_opaque_alpha_channel_is_dropped() {
        let opaque = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            300,
            200,
            image::Rgba([10, 20, 30, 255]),
        ));
        let mut bytes = Cursor::new(Vec::new());
        opaque
            .write_to(&mut bytes, image::ImageFormat::Png)
            .expect("encode");
        let path = write("opaque.png", &bytes.into_inner());
        let cleaned = clean(&path, ImageKind::Png, LIMITS, false).expect("clean");
        assert_eq!(cleaned.small.extension, "jpg");
        assert_eq!(cleaned.original.extension, "png");
    }

    #[test]
    fn the_pixel_limit_is_checked_before_decoding() {
        let path = write("big.png", &png(100, 100, false));
        let tight = ImageLimits {
            max_pixels: 99 * 100,
            ..LIMITS
        };
        assert!(matches!(
            clean(&path, ImageKind::Png, tight, false),
            Err(ImageRefusal::TooManyPixels { .. })
        ));
    }

    #[test]
    fn bytes_that_are_no_image_are_unreadable() {
        let path = write("broken.png", b"\x89PNG\r\n\x1a\nnot really");
        assert!(matches!(
            clean(&path, ImageKind::Png, LIMITS, false),
            Err(ImageRefusal::Unreadable(_))
        ));
    }
}
