//! Receiving a file: its bytes are streamed to a file on disk (never held whole in memory),
//! hashed and counted as they come; reading stops at the first chunk over the limit of the
//! type its first bytes say. Images are then cleaned on the blocking pool (a few at a time,
//! `uploads.processing_concurrency`), and what is kept is stored under its hash.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;

use super::domain::{self, FileName, Purpose, Sniffed, Variant};
use super::images::{self, Encoded, ImageLimits, ImageRefusal};
use super::model::NewUpload;
use super::rules::{self, Refusal};
use super::storage::{ObjectInfo, Storage};
use crate::config::{UploadQuota, UploadSettings};
use crate::error::ApiError;
use crate::ids::UserId;

/// What receiving and cleaning need: the store, the limits, and the permits for decoding.
pub struct Intake {
    pub storage: Storage,
    pub settings: UploadSettings,
    permits: Arc<Semaphore>,
}

/// A received file on disk; removed when dropped.
pub struct Received {
    file: TempFile,
    pub size: u64,
    pub sniffed: Sniffed,
    /// SHA-256 of the bytes as received.
    sha256: String,
}

struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// What is stored for an upload, ready for its row.
pub struct Prepared {
    pub sha256: String,
    content: Content,
}

enum Content {
    Image(images::Cleaned),
    Attachment(Received, domain::AttachmentKind),
}

pub fn too_large(limit: u64) -> ApiError {
    ApiError::too_large(
        "upload_too_large",
        format!("Files of this type may have at most {limit} bytes."),
    )
}

pub fn unsupported() -> ApiError {
    ApiError::unsupported_media_type(
        "unsupported_upload_type",
        "This kind of file is not accepted here: images (PNG, JPEG, GIF, WebP), and the \
         attachment types this forum allows.",
    )
}

fn refused(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::TooLarge { limit } => too_large(limit),
        Refusal::UnsupportedType => unsupported(),
        Refusal::Quota => super::service::quota_exceeded(),
    }
}

fn image_refused(refusal: ImageRefusal) -> ApiError {
    match refusal {
        ImageRefusal::Unreadable(_) => {
            ApiError::unprocessable("invalid_image", refusal.to_string())
        }
        _ => ApiError::unprocessable("image_too_large", refusal.to_string()),
    }
}

impl Intake {
    pub fn new(storage: Storage, settings: &UploadSettings) -> Self {
        let permits = match settings.processing_concurrency {
            0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            n => n,
        };
        Intake {
            storage,
            settings: settings.clone(),
            permits: Arc::new(Semaphore::new(permits)),
        }
    }

    /// Streams the file to disk, refusing it as soon as its type or size says so.
    pub async fn receive<S, E>(
        &self,
        mut stream: S,
        quota: &UploadQuota,
    ) -> Result<Received, ApiError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let path = self.storage.incoming_path();
        let mut out = tokio::fs::File::create(&path)
            .await
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("incoming file: {e}")))?;
        let file = TempFile(path);
        let mut hasher = Sha256::new();
        let mut head: Vec<u8> = Vec::with_capacity(domain::SNIFF_BYTES);
        let mut sniffed = None;
        let mut limit = rules::absolute_limit(&self.settings);
        let mut size: u64 = 0;
        loop {
            let chunk = match stream.next().await {
                Some(Ok(chunk)) => Some(chunk),
                Some(Err(e)) => {
                    return Err(ApiError::bad_request(
                        "invalid_multipart",
                        format!("The upload could not be read: {e}"),
                    ))
                }
                None => None,
            };
            if let Some(chunk) = &chunk {
                size += chunk.len() as u64;
                if size > limit {
                    return Err(too_large(limit));
                }
                hasher.update(chunk);
                if sniffed.is_none() {
                    let room = domain::SNIFF_BYTES - head.len();
                    head.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                out.write_all(chunk)
                    .await
                    .map_err(|e| ApiError::Internal(anyhow::anyhow!("incoming file: {e}")))?;
            }
            if sniffed.is_none() && (head.len() >= domain::SNIFF_BYTES || chunk.is_none()) {
                let kind = domain::sniff(&head);
                rules::type_allowed(kind, &self.settings, quota).map_err(refused)?;
                limit = rules::size_limit(kind, &self.settings);
                if size > limit {
                    return Err(too_large(limit));
                }
                sniffed = Some(kind);
            }
            if chunk.is_none() {
                break;
            }
        }
        out.flush()
            .await
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("incoming file: {e}")))?;
        Ok(Received {
            file,
            size,
            sniffed: sniffed.unwrap_or(Sniffed::Unknown),
            sha256: format!("{:x}", hasher.finalize()),
        })
    }

    /// Cleans an image (on the blocking pool, holding one of the decode permits), or takes an
    /// attachment as it is. An avatar must be an image.
    pub async fn prepare(
        &self,
        received: Received,
        purpose: Purpose,
    ) -> Result<Prepared, ApiError> {
        match received.sniffed {
            Sniffed::Image(kind) => {
                let _permit = self
                    .permits
                    .acquire()
                    .await
                    .map_err(|e| ApiError::Internal(e.into()))?;
                let limits = ImageLimits {
                    max_pixels: self.settings.max_pixels,
                    max_decode_bytes: self.settings.max_decode_bytes,
                };
                let square = purpose == Purpose::Avatar;
                let path = received.file.0.clone();
                let cleaned = actix_web::web::block(move || {
                    let cleaned = images::clean(&path, kind, limits, square);
                    drop(received);
                    cleaned
                })
                .await
                .map_err(|e| ApiError::Internal(e.into()))?
                .map_err(image_refused)?;
                let sha256 = format!("{:x}", Sha256::digest(&cleaned.original.bytes));
                Ok(Prepared {
                    sha256,
                    content: Content::Image(cleaned),
                })
            }
            Sniffed::Attachment(kind) if purpose == Purpose::Post => Ok(Prepared {
                sha256: received.sha256.clone(),
                content: Content::Attachment(received, kind),
            }),
            _ => Err(unsupported()),
        }
    }

    /// Stores what was prepared (each object once) and describes the upload's row.
    pub async fn store(
        &self,
        prepared: Prepared,
        user_id: UserId,
        purpose: Purpose,
        original_name: String,
    ) -> anyhow::Result<NewUpload> {
        let sha = prepared.sha256;
        match prepared.content {
            Content::Image(cleaned) => {
                let thumbnail_extension = cleaned.small.extension;
                for (variant, encoded) in [
                    (Variant::Small, &cleaned.small),
                    (Variant::Large, &cleaned.large),
                ] {
                    self.put(FileName::new(&sha, variant, encoded.extension), encoded)
                        .await?;
                }
                let original = &cleaned.original;
                self.put(
                    FileName::new(&sha, Variant::Original, original.extension),
                    original,
                )
                .await?;
                Ok(NewUpload {
                    user_id,
                    purpose,
                    sha256: sha,
                    extension: original.extension.to_string(),
                    content_type: original.content_type.to_string(),
                    size: original.bytes.len() as i64,
                    width: i32::try_from(cleaned.width).ok(),
                    height: i32::try_from(cleaned.height).ok(),
                    thumbnail_extension: Some(thumbnail_extension.to_string()),
                    original_name,
                })
            }
            Content::Attachment(received, kind) => {
                let name = FileName::new(&sha, Variant::Original, kind.extension);
                let info = ObjectInfo {
                    content_type: kind.content_type,
                    attachment: true,
                };
                self.storage
                    .put_file(&name, path_of(&received), info)
                    .await?;
                Ok(NewUpload {
                    user_id,
                    purpose,
                    sha256: sha,
                    extension: kind.extension.to_string(),
                    content_type: kind.content_type.to_string(),
                    size: i64::try_from(received.size).unwrap_or(i64::MAX),
                    width: None,
                    height: None,
                    thumbnail_extension: None,
                    original_name,
                })
            }
        }
    }

    async fn put(&self, name: FileName, encoded: &Encoded) -> anyhow::Result<()> {
        let info = ObjectInfo {
            content_type: encoded.content_type,
            attachment: false,
        };
        self.storage.put(&name, encoded.bytes.clone(), info).await
    }
}

impl Prepared {
    /// Bytes that will be stored for the original (what the quota counts).
    pub fn size(&self) -> u64 {
        match &self.content {
            Content::Image(cleaned) => cleaned.original.bytes.len() as u64,
            Content::Attachment(received, _) => received.size,
        }
    }
}

fn path_of(received: &Received) -> &Path {
    &received.file.0
}
