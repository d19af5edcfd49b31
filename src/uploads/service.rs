//! The use cases of uploads that touch the database: a member's quota and their upload's row,
//! the uploads a post shows, avatars, who may read an upload, the sweep, and erasure.
//! (Receiving and storing the bytes is `intake`; serving them is `files`.)

use chrono::{Duration, Utc};
use diesel::prelude::*;

use super::domain::{self, Purpose, Variant};
use super::model::{self, NewUpload, PostRef, UploadRow};
use super::rules::{self, Exposure, Uses};
use super::views::UploadView;
use crate::accounts::User;
use crate::config::UploadQuotas;
use crate::error::ApiError;
use crate::ids::{UploadId, UserId};

pub use model::PostRef as Post;

pub fn quota_exceeded() -> ApiError {
    ApiError::LimitReached {
        code: "upload_quota",
        detail: "You have uploaded as much as your trust level allows in a day; try again \
                 later."
            .into(),
        retry_after_secs: 3600,
    }
}

/// Refuses an upload of `incoming` bytes the member's daily quota has no room for.
pub fn check_quota(
    conn: &mut PgConnection,
    member: &User,
    incoming: u64,
    quotas: &UploadQuotas,
) -> Result<(), ApiError> {
    let quota = rules::quota_for(member.trust_level, quotas);
    let (count, bytes) = model::usage_since(conn, member.id, Utc::now() - Duration::hours(24))?;
    if rules::within_quota(&quota, count, bytes, incoming) {
        Ok(())
    } else {
        Err(quota_exceeded())
    }
}

/// Records a stored upload, its quota checked again under the member's lock (two uploads at
/// once cannot both take the last place).
pub fn record(
    conn: &mut PgConnection,
    member: &User,
    upload: &NewUpload,
    quotas: &UploadQuotas,
) -> Result<UploadRow, ApiError> {
    conn.transaction(|conn| {
        User::lock(conn, member.id)?;
        let size = u64::try_from(upload.size).unwrap_or(0);
        check_quota(conn, member, size, quotas)?;
        Ok(model::insert(conn, upload)?)
    })
}

/// Marks bytes as being stored (before they are): see `model::touch_object`.
pub fn storing(conn: &mut PgConnection, sha256: &str, size: u64) -> Result<(), ApiError> {
    let size = i64::try_from(size).unwrap_or(i64::MAX);
    Ok(model::touch_object(conn, sha256, size)?)
}

/// The uploads a post's Markdown shows, checked: an upload of the post's author or of the
/// member writing, or a public one of anyone's. None, without a statement, when the text
/// names no file. Names of files nobody uploaded stay plain links.
pub fn embeds(
    conn: &mut PgConnection,
    markdown: &str,
    allowed_uploaders: &[UserId],
) -> Result<Vec<UploadId>, ApiError> {
    let hashes = domain::referenced_files(markdown);
    if hashes.is_empty() {
        return Ok(Vec::new());
    }
    let candidates = model::candidates(conn, &hashes)?;
    let mut chosen = Vec::new();
    for hash in &hashes {
        let of_hash: Vec<&model::Candidate> =
            candidates.iter().filter(|c| &c.sha256 == hash).collect();
        if of_hash.is_empty() {
            continue;
        }
        let pick = of_hash.iter().find(|c| {
            let own = c.user_id.is_some_and(|u| allowed_uploaders.contains(&u));
            let exposure = rules::exposure(Uses {
                shown: c.shown,
                used: c.used,
            });
            rules::may_embed(own, exposure)
        });
        match pick {
            Some(candidate) => chosen.push(candidate.id),
            None => {
                return Err(ApiError::invalid_field(
                    "body",
                    "shows a file someone else uploaded that is not public yet",
                ))
            }
        }
    }
    Ok(chosen)
}

/// The post shows exactly these uploads from now on (in the post's transaction).
pub fn use_in(conn: &mut PgConnection, post: PostRef, uploads: &[UploadId]) -> QueryResult<()> {
    model::replace_uses(conn, post, uploads)
}

/// An upload's metadata, to its uploader, staff, and whoever may see a post using it.
pub fn metadata(
    conn: &mut PgConnection,
    viewer: Option<&User>,
    id: UploadId,
    signer: &super::shared::UrlSigner,
) -> Result<UploadView, ApiError> {
    let upload = model::find(conn, id)?.ok_or(ApiError::NotFound)?;
    let own = viewer.is_some_and(|v| Some(v.id) == upload.user_id);
    let staff = viewer.is_some_and(User::is_staff);
    let exposure = rules::exposure(model::uses_of(conn, id)?);
    // A post anyone may see showing it makes it public.
    let may_see = own || staff || exposure == Exposure::Public;
    if !may_see {
        return Err(ApiError::NotFound);
    }
    // Who may read the metadata of a file that is not public gets URLs that work for them.
    let sign = exposure == Exposure::Withdrawn;
    Ok(UploadView::new(&upload, |name| {
        if sign {
            signer.signed_url(name, signer.default_expiry())
        } else {
            name.url()
        }
    }))
}

/// Makes one of the member's own uploads their avatar (`purpose: avatar`).
pub fn set_avatar(conn: &mut PgConnection, member: &User, id: UploadId) -> Result<User, ApiError> {
    conn.transaction(|conn| {
        let upload = model::find(conn, id)?
            .filter(|u| u.user_id == Some(member.id))
            .ok_or(ApiError::NotFound)?;
        if upload.purpose != Purpose::Avatar {
            return Err(ApiError::invalid_field(
                "upload_id",
                "is not an avatar upload (upload it with purpose \"avatar\")",
            ));
        }
        let url = upload
            .file(Variant::Small)
            .ok_or_else(|| ApiError::invalid_field("upload_id", "is not an image"))?
            .url();
        model::set_avatar(conn, member.id, Some(id), Some(&url))?;
        Ok(User::lock(conn, member.id)?)
    })
}

/// The member has no picture any more; the upload goes with the next sweep.
pub fn clear_avatar(conn: &mut PgConnection, member: &User) -> Result<(), ApiError> {
    model::set_avatar(conn, member.id, None, None)?;
    Ok(())
}

/// Removes upload rows nothing uses that arrived more than `unused_after_hours` ago.
pub fn sweep_rows(conn: &mut PgConnection, unused_after_hours: u32) -> QueryResult<usize> {
    model::delete_unused(
        conn,
        Utc::now() - Duration::hours(i64::from(unused_after_hours)),
    )
}

/// Erasure step: the avatar goes, and every upload no post uses. Images in posts that stay,
/// stay (their rows keep the stored bytes alive).
pub fn on_member_erased(
    conn: &mut PgConnection,
    erasing: &crate::accounts::service::erasure::Erasing<'_>,
) -> Result<(), ApiError> {
    let member = erasing.member.id;
    model::set_avatar(conn, member, None, None)?;
    model::delete_unused_of(conn, member)?;
    Ok(())
}
