//! `/files/<sha256>[_small|_large].<ext>`: stored files handed out, by devforum itself
//! (ranges, a strong `ETag` from the content hash, `304`) or by a redirect to a pre-signed
//! URL of the S3 store. Every answer carries `X-Content-Type-Options: nosniff`; files other
//! than images are downloads (`Content-Disposition: attachment`), and none is ever run as a
//! page (`Content-Security-Policy: sandbox`). A file only hidden or deleted content uses is
//! `404`, unless the URL is signed (`?expires=…&signature=…`: an archive's links, or the
//! metadata staff and the uploader read).

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::domain::{FileName, Variant};
use super::model::UploadRow;
use super::rules::Exposure;
use super::shared::Uploads;
use crate::error::ApiError;
use crate::reads::ReadPool;

/// Files up to this size are read whole from the filesystem backend; bigger ones stream.
const SMALL_FILE_BYTES: u64 = 1024 * 1024;

const PUBLIC_CACHE: &str = "public, max-age=31536000, immutable";
const FRESH_CACHE: &str = "private, no-cache";
const SIGNED_CACHE: &str = "private, no-store";

#[derive(Debug, Deserialize, IntoParams)]
pub struct SignedQuery {
    /// With `signature`: the Unix time the link stops working.
    pub expires: Option<i64>,
    /// With `expires`: the link's signature (64 hex digits).
    pub signature: Option<String>,
}

fn content_type_of(name: &FileName, upload: &UploadRow) -> String {
    match name.variant {
        Variant::Original => upload.content_type.clone(),
        Variant::Small | Variant::Large => match name.extension.as_str() {
            "png" => "image/png".into(),
            _ => "image/jpeg".into(),
        },
    }
}

/// A stored file. Images are shown inline; every other file is a download.
#[utoipa::path(
    tag = "uploads",
    params(("name" = String, Path, description = "`<sha256>[_small|_large].<ext>`"), SignedQuery),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 206, description = "The range asked for (`Range: bytes=…`)"),
        (status = 302, description = "Redirect mode: a pre-signed URL of the S3 store"),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 404, description = "No such file, or only hidden or deleted content uses it"),
        (status = 416, description = "The range is outside the file"),
    )
)]
#[get("/files/{name}")]
pub async fn serve_file(
    req: HttpRequest,
    name: web::Path<String>,
    query: web::Query<SignedQuery>,
    pool: ReadPool,
    uploads: web::Data<Uploads>,
) -> Result<HttpResponse, ApiError> {
    let name = FileName::parse(&name).ok_or(ApiError::NotFound)?;
    let signed = match (query.expires, query.signature.as_deref()) {
        (Some(expires), Some(signature)) => {
            if !uploads.signer.verify(&name, expires, signature) {
                return Err(ApiError::NotFound);
            }
            true
        }
        (None, None) => false,
        _ => return Err(ApiError::NotFound),
    };
    let known = uploads
        .files
        .known(&pool, &name.sha256)
        .await?
        .ok_or(ApiError::NotFound)?;
    if known.upload.file(name.variant).as_ref() != Some(&name) {
        return Err(ApiError::NotFound);
    }
    let cache_control = match (known.exposure, signed) {
        (_, true) => SIGNED_CACHE,
        (Exposure::Public, false) => PUBLIC_CACHE,
        (Exposure::Fresh, false) => FRESH_CACHE,
        (Exposure::Withdrawn, false) => return Err(ApiError::NotFound),
    };
    let etag = format!("\"{}\"", name.to_string().replace('.', "-"));
    let mut answer = HttpResponse::Ok();
    answer
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::ETAG, etag.clone()))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox",
        ))
        .insert_header((header::ACCEPT_RANGES, "bytes"));
    if matches_etag(&req, &etag) {
        return Ok(answer
            .status(actix_web::http::StatusCode::NOT_MODIFIED)
            .finish());
    }
    let content_type = content_type_of(&name, &known.upload);
    if !content_type.starts_with("image/") {
        answer.insert_header(download_name(&known.upload, &name));
    }
    let storage = &uploads.intake.storage;
    if storage.serve == crate::config::ServeMode::Redirect {
        let url = storage
            .presigned_url(&name)
            .await?
            .ok_or(ApiError::NotFound)?;
        return Ok(answer
            .status(actix_web::http::StatusCode::FOUND)
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .insert_header((header::LOCATION, url.to_string()))
            .finish());
    }
    answer.insert_header((header::CONTENT_TYPE, content_type));
    let range = requested_range(&req, &etag);
    if range.is_none() {
        if let Some(bytes) = storage.read_local_small(&name, SMALL_FILE_BYTES) {
            return Ok(answer.body(bytes));
        }
    }
    let bounds = match range {
        None => None,
        Some(spec) => {
            let size = storage.size(&name).await?.ok_or(ApiError::NotFound)?;
            match actix_files::HttpRange::parse(&spec, size) {
                Ok(ranges) if ranges.len() == 1 => {
                    let r = ranges[0];
                    Some(r.start..r.start + r.length)
                }
                // Several ranges at once: the whole file.
                Ok(_) => None,
                Err(_) => {
                    return Ok(answer
                        .status(actix_web::http::StatusCode::RANGE_NOT_SATISFIABLE)
                        .insert_header((header::CONTENT_RANGE, format!("bytes */{size}")))
                        .finish())
                }
            }
        }
    };
    let read = storage
        .get(&name, bounds.clone())
        .await?
        .ok_or(ApiError::NotFound)?;
    answer.no_chunking(read.range.end - read.range.start);
    if bounds.is_some() {
        answer
            .status(actix_web::http::StatusCode::PARTIAL_CONTENT)
            .insert_header((
                header::CONTENT_RANGE,
                format!(
                    "bytes {}-{}/{}",
                    read.range.start,
                    read.range.end.saturating_sub(1),
                    read.size
                ),
            ));
    }
    Ok(answer.streaming(read.body))
}

/// `If-None-Match` names this file's tag (or `*`).
fn matches_etag(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == etag || t == "*")
        })
}

/// The `Range` header, unless `If-Range` names another version.
fn requested_range(req: &HttpRequest, etag: &str) -> Option<String> {
    let range = req.headers().get(header::RANGE)?.to_str().ok()?.to_string();
    match req.headers().get(header::IF_RANGE) {
        Some(if_range) if if_range.to_str().ok() != Some(etag) => None,
        _ => Some(range),
    }
}

fn download_name(upload: &UploadRow, name: &FileName) -> ContentDisposition {
    let filename = if upload.original_name.is_empty() {
        name.to_string()
    } else {
        upload.original_name.clone()
    };
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::Filename(filename)],
    }
}
