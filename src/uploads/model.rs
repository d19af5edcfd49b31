//! Upload rows, the posts that use them, the stored objects they name, and avatars.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text};

use super::domain::{FileName, Purpose, Variant};
use super::rules::{self, Exposure, Uses};
use crate::ids::{ReplyId, ThreadId, UploadId, UserId};
use crate::schema::{upload_objects, upload_uses, uploads, users};
use crate::visibility::public_sql;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = uploads)]
pub struct UploadRow {
    pub id: UploadId,
    pub user_id: Option<UserId>,
    pub purpose: Purpose,
    pub sha256: String,
    pub extension: String,
    pub content_type: String,
    pub size: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub thumbnail_extension: Option<String>,
    pub original_name: String,
    pub avatar_of: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

impl UploadRow {
    pub fn file(&self, variant: Variant) -> Option<FileName> {
        let extension = match variant {
            Variant::Original => &self.extension,
            Variant::Small | Variant::Large => self.thumbnail_extension.as_ref()?,
        };
        Some(FileName::new(&self.sha256, variant, extension))
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = uploads)]
pub struct NewUpload {
    pub user_id: UserId,
    pub purpose: Purpose,
    pub sha256: String,
    pub extension: String,
    pub content_type: String,
    pub size: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub thumbnail_extension: Option<String>,
    pub original_name: String,
}

/// A post that can show uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostRef {
    Thread(ThreadId),
    Reply(ReplyId),
}

pub fn find(conn: &mut PgConnection, id: UploadId) -> QueryResult<Option<UploadRow>> {
    uploads::table
        .find(id)
        .select(UploadRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut PgConnection, upload: &NewUpload) -> QueryResult<UploadRow> {
    diesel::insert_into(uploads::table)
        .values(upload)
        .returning(UploadRow::as_returning())
        .get_result(conn)
}

#[derive(QueryableByName)]
struct Usage {
    #[diesel(sql_type = BigInt)]
    count: i64,
    #[diesel(sql_type = BigInt)]
    bytes: i64,
}

/// How many uploads and bytes the member made since `since`.
pub fn usage_since(
    conn: &mut PgConnection,
    user: UserId,
    since: DateTime<Utc>,
) -> QueryResult<(i64, i64)> {
    let usage: Usage = diesel::sql_query(
        "SELECT count(*) AS count, COALESCE(SUM(size), 0)::bigint AS bytes FROM uploads \
         WHERE user_id = $1 AND created_at > $2",
    )
    .bind::<BigInt, _>(user)
    .bind::<diesel::sql_types::Timestamptz, _>(since)
    .get_result(conn)?;
    Ok((usage.count, usage.bytes))
}

/// Marks the object as being stored now: the sweep leaves it alone for a while
/// ([`rules::OBJECT_GRACE_SECS`]). Waits for a sweep removing it to finish.
pub fn touch_object(conn: &mut PgConnection, sha256: &str, size: i64) -> QueryResult<()> {
    diesel::insert_into(upload_objects::table)
        .values((
            upload_objects::sha256.eq(sha256),
            upload_objects::size.eq(size),
        ))
        .on_conflict(upload_objects::sha256)
        .do_update()
        .set(upload_objects::last_put_at.eq(diesel::dsl::now))
        .execute(conn)?;
    Ok(())
}

/// The two columns of [`Uses`] (`shown`, `used`) for the upload under the alias `u`.
fn uses_columns() -> String {
    format!(
        "(u.avatar_of IS NOT NULL \
         OR EXISTS (SELECT 1 FROM upload_uses x \
             LEFT JOIN threads t ON t.id = x.thread_id \
             LEFT JOIN replies r ON r.id = x.reply_id \
             LEFT JOIN threads rt ON rt.id = r.thread_id \
             WHERE x.upload_id = u.id AND ((t.id IS NOT NULL AND {}) \
                 OR (r.id IS NOT NULL AND {} AND {})))) AS shown, \
         (u.avatar_of IS NOT NULL \
             OR EXISTS (SELECT 1 FROM upload_uses x WHERE x.upload_id = u.id)) AS used",
        public_sql("t"),
        public_sql("r"),
        public_sql("rt"),
    )
}

#[derive(QueryableByName)]
struct UsesRow {
    #[diesel(sql_type = Bool)]
    shown: bool,
    #[diesel(sql_type = Bool)]
    used: bool,
}

/// How one upload is used.
pub fn uses_of(conn: &mut PgConnection, id: UploadId) -> QueryResult<Uses> {
    let row: UsesRow = diesel::sql_query(format!(
        "SELECT {} \
         FROM uploads u WHERE u.id = $1",
        uses_columns()
    ))
    .bind::<BigInt, _>(id)
    .get_result(conn)?;
    Ok(Uses {
        shown: row.shown,
        used: row.used,
    })
}

/// What `/files/` needs to answer a file: one of its uploads, and the exposure of the most
/// exposed upload of the same bytes.
pub struct Served {
    pub upload: UploadRow,
    pub exposure: Exposure,
}

#[derive(QueryableByName)]
struct ServedRow {
    #[diesel(sql_type = BigInt)]
    id: UploadId,
    #[diesel(sql_type = Bool)]
    shown: bool,
    #[diesel(sql_type = Bool)]
    used: bool,
}

pub fn served(conn: &mut PgConnection, sha256: &str) -> QueryResult<Option<Served>> {
    let rows: Vec<ServedRow> = diesel::sql_query(format!(
        "SELECT u.id, {} \
         FROM uploads u WHERE u.sha256 = $1 ORDER BY u.id",
        uses_columns()
    ))
    .bind::<Text, _>(sha256)
    .load(conn)?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let exposure = rows
        .iter()
        .map(|row| {
            rules::exposure(Uses {
                shown: row.shown,
                used: row.used,
            })
        })
        .min()
        .unwrap_or(Exposure::Withdrawn);
    let Some(upload) = find(conn, first.id)? else {
        return Ok(None);
    };
    Ok(Some(Served { upload, exposure }))
}

/// An upload a post's Markdown names, with what embedding it needs to know.
#[derive(Debug, QueryableByName)]
pub struct Candidate {
    #[diesel(sql_type = BigInt)]
    pub id: UploadId,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub user_id: Option<UserId>,
    #[diesel(sql_type = Text)]
    pub sha256: String,
    #[diesel(sql_type = Bool)]
    pub shown: bool,
    #[diesel(sql_type = Bool)]
    pub used: bool,
}

/// Every upload of these hashes.
pub fn candidates(conn: &mut PgConnection, hashes: &[String]) -> QueryResult<Vec<Candidate>> {
    diesel::sql_query(format!(
        "SELECT u.id, u.user_id, u.sha256, {} \
         FROM uploads u WHERE u.sha256 = ANY($1) ORDER BY u.id",
        uses_columns()
    ))
    .bind::<Array<Text>, _>(hashes)
    .load(conn)
}

/// The post uses exactly these uploads from now on.
pub fn replace_uses(conn: &mut PgConnection, post: PostRef, ids: &[UploadId]) -> QueryResult<()> {
    match post {
        PostRef::Thread(thread) => {
            diesel::delete(upload_uses::table.filter(upload_uses::thread_id.eq(thread)))
                .execute(conn)?;
        }
        PostRef::Reply(reply) => {
            diesel::delete(upload_uses::table.filter(upload_uses::reply_id.eq(reply)))
                .execute(conn)?;
        }
    }
    if ids.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = ids
        .iter()
        .map(|id| {
            let (thread, reply) = match post {
                PostRef::Thread(t) => (Some(t), None),
                PostRef::Reply(r) => (None, Some(r)),
            };
            (
                upload_uses::upload_id.eq(*id),
                upload_uses::thread_id.eq(thread),
                upload_uses::reply_id.eq(reply),
            )
        })
        .collect();
    diesel::insert_into(upload_uses::table)
        .values(rows)
        .execute(conn)?;
    Ok(())
}

/// The member's picture is this upload (or none) from now on.
pub fn set_avatar(
    conn: &mut PgConnection,
    user: UserId,
    upload: Option<UploadId>,
    url: Option<&str>,
) -> QueryResult<()> {
    diesel::update(uploads::table.filter(uploads::avatar_of.eq(user)))
        .set(uploads::avatar_of.eq(None::<UserId>))
        .execute(conn)?;
    if let Some(upload) = upload {
        diesel::update(uploads::table.find(upload))
            .set(uploads::avatar_of.eq(user))
            .execute(conn)?;
    }
    diesel::update(users::table.find(user))
        .set(users::avatar_url.eq(url))
        .execute(conn)?;
    Ok(())
}

/// Text other than posts that may show an upload (a meetup's description, a mentor's or a
/// member's bio): it records no uses, so an upload it names is kept as long as it names it.
/// A substring search, run only for the sweep's few candidates.
const NAMED_ELSEWHERE: &str = "EXISTS (SELECT 1 FROM meetups m \
         WHERE strpos(m.description, '/files/' || u.sha256) > 0) \
     OR EXISTS (SELECT 1 FROM mentor_profiles p WHERE strpos(p.bio, '/files/' || u.sha256) > 0) \
     OR EXISTS (SELECT 1 FROM users b WHERE strpos(b.bio, '/files/' || u.sha256) > 0)";

/// Removes uploads nothing uses that arrived before `before`; how many.
pub fn delete_unused(conn: &mut PgConnection, before: DateTime<Utc>) -> QueryResult<usize> {
    diesel::sql_query(format!(
        "DELETE FROM uploads u WHERE u.created_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM upload_uses x WHERE x.upload_id = u.id) \
         AND u.avatar_of IS NULL AND NOT ({NAMED_ELSEWHERE})",
    ))
    .bind::<diesel::sql_types::Timestamptz, _>(before)
    .execute(conn)
}

/// Removes the member's uploads nothing uses (their avatar is cleared first); how many.
pub fn delete_unused_of(conn: &mut PgConnection, user: UserId) -> QueryResult<usize> {
    diesel::sql_query(format!(
        "DELETE FROM uploads u WHERE u.user_id = $1 \
         AND NOT EXISTS (SELECT 1 FROM upload_uses x WHERE x.upload_id = u.id) \
         AND u.avatar_of IS NULL AND NOT ({NAMED_ELSEWHERE})",
    ))
    .bind::<BigInt, _>(user)
    .execute(conn)
}

#[derive(QueryableByName)]
struct Orphan {
    #[diesel(sql_type = Text)]
    sha256: String,
}

/// Objects no upload names, not stored within the grace period: a page of them, after the
/// hash `after`.
pub fn orphans(conn: &mut PgConnection, after: &str, limit: i64) -> QueryResult<Vec<String>> {
    let rows: Vec<Orphan> = diesel::sql_query(
        "SELECT o.sha256 FROM upload_objects o \
         WHERE o.last_put_at < now() - make_interval(secs => $1) \
         AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.sha256 = o.sha256) \
         AND o.sha256 > $3 ORDER BY o.sha256 LIMIT $2",
    )
    .bind::<diesel::sql_types::Double, _>(rules::OBJECT_GRACE_SECS as f64)
    .bind::<BigInt, _>(limit)
    .bind::<Text, _>(after)
    .load(conn)?;
    Ok(rows.into_iter().map(|row| row.sha256).collect())
}

/// Takes the object's row for removal, if it is still an orphan; held until the transaction
/// ends, so an upload storing the same bytes waits for the removal and stores them again.
pub fn claim_orphan(conn: &mut PgConnection, sha256: &str) -> QueryResult<bool> {
    let claimed: Vec<Orphan> = diesel::sql_query(
        "SELECT o.sha256 FROM upload_objects o WHERE o.sha256 = $1 \
         AND o.last_put_at < now() - make_interval(secs => $2) \
         AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.sha256 = o.sha256) \
         FOR UPDATE SKIP LOCKED",
    )
    .bind::<Text, _>(sha256)
    .bind::<diesel::sql_types::Double, _>(rules::OBJECT_GRACE_SECS as f64)
    .load(conn)?;
    Ok(!claimed.is_empty())
}

pub fn forget_object(conn: &mut PgConnection, sha256: &str) -> QueryResult<()> {
    diesel::delete(upload_objects::table.find(sha256)).execute(conn)?;
    Ok(())
}
