//! What the API answers about an upload.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::domain::{FileName, Variant};
use super::model::UploadRow;
use crate::ids::UploadId;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UploadView {
    pub id: UploadId,
    /// Where the file is served (`/files/<sha256>.<ext>`); use it in Markdown as
    /// `![alt](url)` or `[name](url)`.
    pub url: String,
    /// What the bytes are (read from them), e.g. `image/png`.
    pub content_type: String,
    /// Bytes stored (images: after their metadata was removed).
    pub size: i64,
    /// SHA-256 of the stored bytes, in hex.
    pub sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbnails: Option<ThumbnailsView>,
    /// The name the file was uploaded with (attachments are downloaded under it).
    pub original_name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Smaller copies of an image: `small` 200 px wide, `large` 1,200 px wide (never enlarged).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ThumbnailsView {
    pub small: String,
    pub large: String,
}

impl UploadView {
    /// `url_of` turns a stored file's name into the URL this caller gets.
    pub fn new(row: &UploadRow, url_of: impl Fn(&FileName) -> String) -> Self {
        let url = |variant| row.file(variant).map(|name| url_of(&name));
        UploadView {
            id: row.id,
            url: url(Variant::Original).unwrap_or_default(),
            content_type: row.content_type.clone(),
            size: row.size,
            sha256: row.sha256.clone(),
            width: row.width,
            height: row.height,
            thumbnails: url(Variant::Small)
                .zip(url(Variant::Large))
                .map(|(small, large)| ThumbnailsView { small, large }),
            original_name: row.original_name.clone(),
            created_at: row.created_at,
        }
    }
}
