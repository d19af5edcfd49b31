//! Uploads (API.md "Uploads"), each test on both storage backends: the filesystem, and a live
//! S3-compatible server (`s3s-fs`, `crate::s3_server`). Every image is made here, by code: a
//! PNG, a JPEG carrying EXIF GPS tags, an animated GIF, a PNG header claiming 30,000 × 30,000.

mod avatars;
mod cleaning;
mod lifecycle;
mod refusals;
mod serving;

use std::io::Cursor;

use devforum::config::{Settings, StorageBackend};
use devforum::uploads::storage::Storage;
use image::{DynamicImage, ImageEncoder};
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::helpers::{spawn_app_with, TestApp, TestUser};
use crate::s3_server::{self, S3Server, ACCESS_KEY, SECRET_KEY};

/// Where a test's uploads are kept.
#[derive(Clone, Copy)]
pub enum Backend {
    Filesystem,
    S3(&'static S3Server),
}

/// An app with uploads on one backend, and what the test needs to look at the store.
pub struct Harness {
    pub app: TestApp,
    pub settings: Settings,
    backend: Backend,
    bucket: Option<String>,
}

impl Harness {
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: Backend, customise: impl Fn(&mut Settings)) -> Self {
        let bucket = match backend {
            Backend::Filesystem => None,
            Backend::S3(server) => Some(server.bucket()),
        };
        let apply = |settings: &mut Settings| {
            if let (Backend::S3(server), Some(bucket)) = (backend, &bucket) {
                settings.uploads.backend = StorageBackend::S3;
                settings.uploads.s3.endpoint = server.endpoint.clone();
                settings.uploads.s3.bucket = bucket.clone();
                settings.uploads.s3.access_key_id = ACCESS_KEY.into();
                settings.uploads.s3.secret_access_key = SECRET_KEY.to_string().into();
                settings.uploads.s3.path_style = true;
            }
            customise(settings);
        };
        let captured = std::sync::Mutex::new(None);
        let app = spawn_app_with(
            |settings| {
                apply(settings);
                *captured.lock().unwrap() = Some(settings.clone());
            },
            Default::default(),
        )
        .await;
        let settings = captured.into_inner().unwrap().expect("settings");
        Harness {
            app,
            settings,
            backend,
            bucket,
        }
    }

    /// Every object in the store.
    pub fn objects(&self) -> Vec<String> {
        match (self.backend, &self.bucket) {
            (Backend::S3(server), Some(bucket)) => server.objects(bucket),
            _ => s3_server::files_below(&self.settings.uploads.dir),
        }
    }

    /// Uploads `bytes` as `name` (sent with `content_type`) for `purpose`, as `user`.
    pub async fn upload_as(
        &self,
        user: &TestUser,
        bytes: Vec<u8>,
        name: &str,
        content_type: &str,
        purpose: &str,
    ) -> reqwest::Response {
        let part = Part::bytes(bytes)
            .file_name(name.to_string())
            .mime_str(content_type)
            .expect("mime");
        let form = Form::new()
            .text("purpose", purpose.to_string())
            .part("file", part);
        self.app
            .client
            .post(self.app.url("/api/v1/uploads"))
            .bearer_auth(&user.access_token)
            .multipart(form)
            .send()
            .await
            .expect("upload")
    }

    /// A post upload that must succeed; its JSON.
    pub async fn uploaded(&self, user: &TestUser, bytes: Vec<u8>, name: &str) -> Value {
        let response = self
            .upload_as(user, bytes, name, "application/octet-stream", "post")
            .await;
        let status = response.status().as_u16();
        let body: Value = response.json().await.expect("json");
        assert_eq!(status, 201, "{body}");
        body
    }

    /// The sweep, as the periodic job runs it.
    pub async fn sweep(&self) -> devforum::uploads::sweep::Swept {
        let pool = devforum::db::build_pool(&self.settings.database).expect("pool");
        let needs = devforum::uploads::sweep::SweepNeeds {
            storage: Storage::from_settings(&self.settings.uploads).expect("storage"),
            unused_after_hours: self.settings.uploads.unused_after_hours,
        };
        devforum::uploads::sweep::sweep(&pool, std::sync::Arc::new(needs))
            .await
            .expect("sweep")
    }

    /// Makes every upload and stored object look older than the sweep's waits.
    pub fn age_everything(&self) {
        self.app
            .sql("UPDATE uploads SET created_at = now() - interval '2 days'");
        self.app
            .sql("UPDATE upload_objects SET last_put_at = now() - interval '2 hours'");
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.app.get(path).await
    }
}

/// Declares each test once per backend: `on_filesystem::name` always runs; `on_s3::name` runs
/// on a live s3s-fs and says it skipped when there is none (CI fails instead).
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod on_filesystem {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(crate::uploads::Backend::Filesystem).await;
                }
            )*
        }
        mod on_s3 {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(server) = crate::s3_server::server() else {
                        crate::s3_server::skip_without_s3();
                        return;
                    };
                    super::$name(crate::uploads::Backend::S3(server)).await;
                }
            )*
        }
    };
}
pub(crate) use on_every_backend;

// ---- images made by code ------------------------------------------------------------------

/// A `width` × `height` PNG with a gradient (so it compresses like a screenshot, not to nothing).
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let image = DynamicImage::ImageRgb8(image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 7) as u8 * 30])
    }));
    let mut bytes = Cursor::new(Vec::new());
    image
        .write_to(&mut bytes, image::ImageFormat::Png)
        .expect("png");
    bytes.into_inner()
}

/// A JPEG carrying EXIF: GPS latitude 52° 31' N, and orientation 6 (the camera was turned:
/// the pixels are `width` × `height`, the photo is upright when turned 90° clockwise).
pub fn jpeg_with_gps(width: u32, height: u32) -> Vec<u8> {
    let pixels = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90)
        .write_image(
            pixels.as_raw(),
            width,
            height,
            image::ExtendedColorType::Rgb8,
        )
        .expect("jpeg");
    let exif = exif_with_gps();
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&u16::try_from(exif.len() + 2).unwrap().to_be_bytes());
    segment.extend_from_slice(&exif);
    // After the SOI marker (FF D8).
    let mut jpeg = plain[..2].to_vec();
    jpeg.extend_from_slice(&segment);
    jpeg.extend_from_slice(&plain[2..]);
    jpeg
}

/// `Exif\0\0` and a little-endian TIFF: IFD0 (Orientation 6, a GPS IFD pointer), the GPS IFD
/// (latitude ref "N", latitude 52/1 31/1 0/1).
fn exif_with_gps() -> Vec<u8> {
    let mut t: Vec<u8> = b"II\x2A\x00\x08\x00\x00\x00".to_vec();
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&kind.to_le_bytes());
        t.extend_from_slice(&count.to_le_bytes());
        t.extend_from_slice(&value);
    };
    // IFD0 at 8: 2 entries (30 bytes), so the GPS IFD is at 38 and its data at 68.
    t.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut t, 0x0112, 3, 1, [6, 0, 0, 0]);
    entry(&mut t, 0x8825, 4, 1, 38u32.to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut t, 0x0001, 2, 2, [b'N', 0, 0, 0]);
    entry(&mut t, 0x0002, 5, 3, 68u32.to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    for (numerator, denominator) in [(52u32, 1u32), (31, 1), (0, 1)] {
        t.extend_from_slice(&numerator.to_le_bytes());
        t.extend_from_slice(&denominator.to_le_bytes());
    }
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend_from_slice(&t);
    exif
}

/// The GPS latitude an image's EXIF holds, if any (read with kamadak-exif).
pub fn gps_latitude(bytes: &[u8]) -> Option<String> {
    let exif = exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .ok()?;
    exif.get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY)
        .map(|field| field.display_value().to_string())
}

/// A GIF of three frames.
pub fn animated_gif() -> Vec<u8> {
    let mut bytes = Vec::new();
    {
        let mut encoder = image::codecs::gif::GifEncoder::new(&mut bytes);
        let frames = (0..3).map(|i| {
            image::Frame::new(image::RgbaImage::from_pixel(
                40,
                30,
                image::Rgba([80 * i as u8, 0, 0, 255]),
            ))
        });
        encoder.encode_frames(frames).expect("gif");
    }
    bytes
}

/// A valid PNG whose header claims `width` × `height` pixels (its data is one tiny row).
pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = png(1, 1);
    // Signature (8), IHDR length (4), "IHDR" (4): width and height follow, then the CRC.
    bytes[16..20].copy_from_slice(&width.to_be_bytes());
    bytes[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The bytes of a response that must be 200.
pub async fn bytes_of(response: reqwest::Response) -> Vec<u8> {
    assert_eq!(response.status().as_u16(), 200, "{:?}", response.url());
    response.bytes().await.expect("bytes").to_vec()
}
