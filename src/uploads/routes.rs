//! `/uploads` and `/users/me/avatar`: extract, call intake and the service, shape the answer.

use actix_multipart::{Multipart, MultipartError};
use actix_web::{delete, get, post, put, web, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::domain::{self, FileName, Purpose};
use super::intake::Received;
use super::rules;
use super::service;
use super::shared::Uploads;
use super::views::UploadView;
use crate::accounts::auth::{ActiveUser, AuthUser, MaybeUser, Member};
use crate::accounts::views::UserView;
use crate::db::{self, Cost, DbPool};
use crate::error::ApiError;
use crate::http::Json;
use crate::ids::UploadId;
use crate::reads::ReadPool;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_upload)
        .service(get_upload)
        .service(set_avatar)
        .service(remove_avatar);
}

/// The form of `POST /uploads`: these two fields and no other (`additionalProperties: false`;
/// the handler reads the form field by field and refuses any other name with a `422`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file. Its type is read from its bytes.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// `post` (the default) or `avatar` (an image, square-cropped).
    #[schema(nullable = false)]
    purpose: Option<Purpose>,
}

fn multipart_refused(error: MultipartError) -> ApiError {
    match error {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible
        | MultipartError::BoundaryMissing => ApiError::unsupported_media_type(
            "unsupported_media_type",
            "Send the file as multipart/form-data with the fields file and purpose.",
        ),
        other => ApiError::bad_request(
            "invalid_multipart",
            format!("The form could not be read: {other}"),
        ),
    }
}

/// Upload a screenshot, an avatar or an attachment (multipart: `file`, `purpose`). Images are
/// stored without their metadata, with 200 and 1,200 px wide thumbnails; identical bytes are
/// stored once. Unused uploads are removed a day after they arrived.
#[utoipa::path(
    tag = "uploads",
    security(("bearer_auth" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored", body = UploadView),
        (status = 401, description = "Missing, invalid or expired token"),
        (status = 403, description = "Suspended (`account_suspended`) or not verified (`email_unverified`)"),
        (status = 413, description = "Bigger than its type allows (`upload_too_large`)"),
        (status = 415, description = "A type not allowed (`unsupported_upload_type`), or not multipart"),
        (status = 422, description = "An image over the pixel or memory limit (`image_too_large`), an unreadable one (`invalid_image`), or bad fields"),
        (status = 429, description = "Over the daily quota of the member's trust level (`upload_quota`)"),
    )
)]
#[post("/uploads")]
pub async fn create_upload(
    Member(member): Member,
    mut form: Multipart,
    pool: web::Data<DbPool>,
    uploads: web::Data<Uploads>,
) -> Result<HttpResponse, ApiError> {
    let intake = &uploads.intake;
    let quotas = intake.settings.daily;
    let quota = rules::quota_for(member.trust_level, &quotas);
    let early = member.clone();
    db::write(&pool, move |conn| {
        service::check_quota(conn, &early, 0, &quotas)
    })
    .await?;

    let mut purpose: Option<Purpose> = None;
    let mut received: Option<Received> = None;
    let mut original_name = String::new();
    while let Some(field) = form.next().await {
        let mut field = field.map_err(multipart_refused)?;
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "file" if received.is_none() => {
                original_name = domain::clean_original_name(
                    field.content_disposition().and_then(|d| d.get_filename()),
                );
                received = Some(intake.receive(&mut field, &quota).await?);
            }
            "purpose" if purpose.is_none() => {
                let bytes = field
                    .bytes(64)
                    .await
                    .map_err(|_| ApiError::invalid_field("purpose", "must be post or avatar"))?
                    .map_err(multipart_refused)?;
                let text = std::str::from_utf8(&bytes).unwrap_or_default().trim();
                purpose =
                    Some(text.parse().map_err(|_| {
                        ApiError::invalid_field("purpose", "must be post or avatar")
                    })?);
            }
            "file" | "purpose" => {
                return Err(ApiError::invalid_field(&name, "is given more than once"))
            }
            _ => {
                return Err(ApiError::invalid_field(
                    if name.is_empty() { "form" } else { &name },
                    "is not a field of an upload (file, purpose)",
                ))
            }
        }
    }
    let received = received.ok_or_else(|| ApiError::invalid_field("file", "is required"))?;
    let purpose = purpose.unwrap_or(Purpose::Post);
    let prepared = intake.prepare(received, purpose).await?;
    let (sha, size) = (prepared.sha256.clone(), prepared.size());
    db::write(&pool, move |conn| service::storing(conn, &sha, size)).await?;
    let new = intake
        .store(prepared, member.id, purpose, original_name)
        .await?;
    let row = db::write(&pool, move |conn| {
        service::record(conn, &member, &new, &quotas)
    })
    .await?;
    Ok(HttpResponse::Created().json(UploadView::new(&row, FileName::url)))
}

/// An upload's metadata: to its uploader, staff, and whoever may see a post using it. When
/// only hidden or deleted content uses it, its URLs are signed (they work for an hour).
#[utoipa::path(
    tag = "uploads",
    params(("id" = UploadId, Path)),
    responses(
        (status = 200, description = "The upload", body = UploadView),
        (status = 404, description = "No such upload, or not one the caller may see"),
    )
)]
#[get("/uploads/{id}")]
pub async fn get_upload(
    MaybeUser(viewer): MaybeUser,
    id: web::Path<UploadId>,
    pool: ReadPool,
    uploads: web::Data<Uploads>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let uploads = uploads.into_inner();
    let view = db::read(&pool, Cost::Small, move |conn| {
        service::metadata(conn, viewer.as_ref(), id, &uploads.signer)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvatarRequest {
    /// One of the member's own uploads made with `purpose: avatar`.
    pub upload_id: UploadId,
}

/// Set one's avatar: an upload of one's own made with `purpose: avatar`.
#[utoipa::path(
    tag = "uploads",
    security(("bearer_auth" = [])),
    request_body = AvatarRequest,
    responses(
        (status = 200, description = "The profile with its `avatar_url`", body = UserView),
        (status = 401, description = "Missing, invalid or expired token"),
        (status = 403, description = "Suspended (`account_suspended`)"),
        (status = 404, description = "No such upload of the member's"),
        (status = 422, description = "Not an avatar upload"),
    )
)]
#[put("/users/me/avatar")]
pub async fn set_avatar(
    ActiveUser(member): ActiveUser,
    body: Json<AvatarRequest>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id = body.upload_id;
    let user = db::write(&pool, move |conn| service::set_avatar(conn, &member, id)).await?;
    Ok(HttpResponse::Ok().json(UserView::private(&user)))
}

/// Remove one's avatar.
#[utoipa::path(
    tag = "uploads",
    security(("bearer_auth" = [])),
    responses(
        (status = 204, description = "Removed (or there was none); a suspended member may too"),
        (status = 401, description = "Missing, invalid or expired token"),
    )
)]
#[delete("/users/me/avatar")]
pub async fn remove_avatar(
    AuthUser(member): AuthUser,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    db::write(&pool, move |conn| service::clear_avatar(conn, &member)).await?;
    Ok(HttpResponse::NoContent().finish())
}
