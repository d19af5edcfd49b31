//! A member's data as one JSON archive (API.md "Members own their accounts", GDPR art. 20;
//! the format is `docs/account-export.md`).
//!
//! `POST /users/me/export` enqueues an `account.export` job; the job writes the archive in
//! one repeatable-read transaction (a consistent snapshot), page by page, into 256 KiB chunks
//! in `account_export_chunks`, and mails a link that works once for 7 days. Neither building
//! nor downloading ever holds more than a page of rows and a chunk in memory, and any serve
//! process can hand the archive out.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Integer, Nullable, Text, Timestamptz};
use serde::{Deserialize, Serialize};

use super::model::User;
use super::tokens;
use crate::error::ApiError;
use crate::ids::UserId;

/// The job that builds an archive.
pub const EXPORT_JOB: &str = "account.export";
/// The archive format's name and version (`docs/account-export.md`).
pub const FORMAT: &str = "devforum-account-export";
pub const VERSION: i32 = 1;
/// How long the emailed link works.
pub const LINK_LIFETIME_DAYS: i64 = 7;
/// The size of each stored piece of an archive.
pub const CHUNK_BYTES: usize = 256 * 1024;
/// Rows read at a time.
const PAGE_ROWS: i64 = 200;

impl crate::jobs::ConnTask for ExportWork {
    const KIND: &'static str = EXPORT_JOB;
    /// The site's URL, for the links in the mail.
    type Needs = String;

    fn run(self, conn: &mut PgConnection, base_url: &String) -> anyhow::Result<()> {
        build(conn, self.user_id, base_url)?;
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ExportWork {
    pub user_id: UserId,
}

/// Enqueues the member's archive unless one is being built already; whether it enqueued.
pub fn request(conn: &mut PgConnection, user_id: UserId) -> QueryResult<bool> {
    conn.transaction(|conn| {
        // One request at a time per member: concurrent requests queue on the member's row.
        diesel::sql_query("SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE")
            .bind::<BigInt, _>(user_id)
            .execute(conn)?;
        let pending: i64 = diesel::sql_query(
            "SELECT count(*) AS n FROM jobs WHERE kind = $1 AND status <> 'failed' \
               AND payload->>'user_id' = $2::text",
        )
        .bind::<Text, _>(EXPORT_JOB)
        .bind::<BigInt, _>(user_id)
        .get_result::<crate::db::Count>(conn)?
        .n;
        if pending > 0 {
            return Ok(false);
        }
        let payload = serde_json::to_value(ExportWork { user_id })
            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        crate::jobs::enqueue(conn, EXPORT_JOB, &payload)?;
        Ok(true)
    })
}

/// One part of the archive: a JSON array of the member's rows, read `PAGE_ROWS` at a time.
/// The query takes the member's id (`$1`), the last key read (`$2`) and the page size (`$3`),
/// and answers `key` (ascending) and `item` (one JSON object as text).
struct Section {
    name: &'static str,
    query: &'static str,
}

const SECTIONS: &[Section] = &[
    Section {
        name: "threads",
        query: "SELECT id AS key, json_build_object('id', id, 'title', title, 'body', body, \
                    'tags', tags, 'score', score, 'reply_count', reply_count, 'locked', locked, \
                    'hidden', hidden, 'created_at', created_at, 'updated_at', updated_at)::text AS item \
                FROM threads WHERE author_id = $1 AND deleted_at IS NULL AND id > $2 \
                ORDER BY id LIMIT $3",
    },
    Section {
        name: "replies",
        query: "SELECT id AS key, json_build_object('id', id, 'thread_id', thread_id, \
                    'body', body, 'score', score, 'hidden', hidden, 'created_at', created_at, \
                    'updated_at', updated_at)::text AS item \
                FROM replies WHERE author_id = $1 AND deleted_at IS NULL AND id > $2 \
                ORDER BY id LIMIT $3",
    },
    Section {
        name: "thread_votes",
        query: "SELECT thread_id AS key, json_build_object('thread_id', thread_id, \
                    'value', value, 'created_at', created_at)::text AS item \
                FROM thread_votes WHERE user_id = $1 AND thread_id > $2 \
                ORDER BY thread_id LIMIT $3",
    },
    Section {
        name: "reply_votes",
        query: "SELECT reply_id AS key, json_build_object('reply_id', reply_id, \
                    'value', value, 'created_at', created_at)::text AS item \
                FROM reply_votes WHERE user_id = $1 AND reply_id > $2 \
                ORDER BY reply_id LIMIT $3",
    },
    Section {
        name: "meetups",
        query: "SELECT id AS key, json_build_object('id', id, 'title', title, \
                    'description', description, 'starts_at', starts_at, 'ends_at', ends_at, \
                    'timezone', timezone, 'venue_name', venue_name, \
                    'venue_address', venue_address, 'venue_city', venue_city, \
                    'venue_country', venue_country, 'online_url', online_url, \
                    'capacity', capacity, 'tags', tags, 'status', status, 'hidden', hidden, \
                    'created_at', created_at, 'updated_at', updated_at)::text AS item \
                FROM meetups WHERE organizer_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    },
    Section {
        name: "rsvps",
        query: "SELECT r.id AS key, json_build_object('meetup_id', r.meetup_id, \
                    'meetup_title', m.title, 'status', r.status, \
                    'created_at', r.created_at)::text AS item \
                FROM meetup_rsvps r JOIN meetups m ON m.id = r.meetup_id \
                WHERE r.user_id = $1 AND r.id > $2 ORDER BY r.id LIMIT $3",
    },
    Section {
        // The member's own conversations: who the other side is, and what was said in them.
        name: "mentorship_requests",
        query: "SELECT q.id AS key, json_build_object('id', q.id, \
                    'role', CASE WHEN q.mentee_id = $1 THEN 'mentee' ELSE 'mentor' END, \
                    'with', other.username, 'message', q.message, 'goals', q.goals, \
                    'status', q.status, 'reason', q.reason, 'created_at', q.created_at, \
                    'answered_at', q.answered_at, 'completed_at', q.completed_at)::text AS item \
                FROM mentorship_requests q \
                JOIN users other ON other.id = \
                    CASE WHEN q.mentee_id = $1 THEN q.mentor_id ELSE q.mentee_id END \
                WHERE (q.mentee_id = $1 OR q.mentor_id = $1) AND q.id > $2 \
                ORDER BY q.id LIMIT $3",
    },
    Section {
        // What the member reported and how it stands; moderators' notes are theirs.
        name: "reports",
        query: "SELECT id AS key, json_build_object('id', id, 'target_type', target_type, \
                    'target_id', target_id, 'reason', reason, 'details', details, \
                    'status', status, 'created_at', created_at, \
                    'handled_at', handled_at)::text AS item \
                FROM reports WHERE reporter_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    },
    Section {
        // The member's appeals of moderation actions, with the decision they were told.
        name: "appeals",
        query: "SELECT id AS key, json_build_object('id', id, 'log_id', log_id, \
                    'text', text, 'status', status, 'note', note, 'created_at', created_at, \
                    'decided_at', decided_at)::text AS item \
                FROM appeals WHERE appellant_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    },
    Section {
        name: "blocks",
        query: "SELECT b.blocked_id AS key, json_build_object('username', u.username, \
                    'created_at', b.created_at)::text AS item \
                FROM user_blocks b JOIN users u ON u.id = b.blocked_id \
                WHERE b.blocker_id = $1 AND b.blocked_id > $2 ORDER BY b.blocked_id LIMIT $3",
    },
];

/// The account itself: profile, settings, followed tags, the mentor profile.
const ACCOUNT_QUERY: &str = "SELECT json_build_object( \
        'id', u.id, 'username', u.username, 'email', u.email, \
        'email_verified', u.email_verified, 'display_name', u.display_name, 'role', u.role, \
        'bio', u.bio, 'location', u.location, 'timezone', u.timezone, 'skills', u.skills, \
        'created_at', u.created_at, 'email_notifications', u.email_notifications, \
        'digest', u.digest, \
        'followed_tags', COALESCE((SELECT json_agg(json_build_object('tag', t.tag, \
            'level', t.level) ORDER BY t.tag) FROM tag_subscriptions t \
            WHERE t.user_id = u.id), '[]'::json), \
        'mentor_profile', (SELECT json_build_object('headline', p.headline, 'bio', p.bio, \
            'skills', p.skills, 'languages', p.languages, 'timezone', p.timezone, \
            'capacity', p.capacity, 'accepting_requests', p.accepting_requests, \
            'created_at', p.created_at, 'updated_at', p.updated_at) \
            FROM mentor_profiles p WHERE p.user_id = u.id) \
    )::text AS item FROM users u WHERE u.id = $1 AND u.deleted_at IS NULL";

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    key: i64,
    #[diesel(sql_type = Text)]
    item: String,
}

#[derive(QueryableByName)]
struct Item {
    #[diesel(sql_type = Text)]
    item: String,
}

/// Bytes on their way into `account_export_chunks`: whole chunks are stored as they fill.
struct ChunkWriter {
    export_id: i64,
    next_seq: i32,
    buffer: Vec<u8>,
    size: i64,
}

impl ChunkWriter {
    fn new(export_id: i64) -> Self {
        ChunkWriter {
            export_id,
            next_seq: 0,
            buffer: Vec::with_capacity(CHUNK_BYTES * 2),
            size: 0,
        }
    }

    fn push(&mut self, conn: &mut PgConnection, text: &str) -> QueryResult<()> {
        self.buffer.extend_from_slice(text.as_bytes());
        while self.buffer.len() >= CHUNK_BYTES {
            let rest = self.buffer.split_off(CHUNK_BYTES);
            let full = std::mem::replace(&mut self.buffer, rest);
            self.store(conn, &full)?;
        }
        Ok(())
    }

    fn finish(mut self, conn: &mut PgConnection) -> QueryResult<i64> {
        if !self.buffer.is_empty() {
            let last = std::mem::take(&mut self.buffer);
            self.store(conn, &last)?;
        }
        Ok(self.size)
    }

    fn store(&mut self, conn: &mut PgConnection, data: &[u8]) -> QueryResult<()> {
        diesel::sql_query(
            "INSERT INTO account_export_chunks (export_id, seq, data) VALUES ($1, $2, $3)",
        )
        .bind::<BigInt, _>(self.export_id)
        .bind::<Integer, _>(self.next_seq)
        .bind::<Binary, _>(data)
        .execute(conn)?;
        self.next_seq += 1;
        self.size += data.len() as i64;
        Ok(())
    }
}

/// A built archive: where it is and what its link is.
pub struct Built {
    pub export_id: i64,
    pub size_bytes: i64,
}

/// Builds the member's archive and mails them its link; nothing when the account is gone.
/// Expired and long-downloaded archives of everyone are swept first.
pub fn build(
    conn: &mut PgConnection,
    user_id: UserId,
    base_url: &str,
) -> anyhow::Result<Option<Built>> {
    sweep(conn)?;
    conn.build_transaction().repeatable_read().run(|conn| {
        let Some(user) = diesel::OptionalExtension::optional(User::find(conn, user_id))? else {
            return Ok(None);
        };
        // Deleted while the job waited: there is nothing of theirs left to send, nor anyone.
        if is_deleted(conn, user_id)? {
            return Ok(None);
        }
        diesel::sql_query("SET LOCAL TimeZone = 'UTC'").execute(conn)?;
        let token = tokens::generate();
        let export_id: i64 = diesel::sql_query(
            "INSERT INTO account_exports (user_id, token_hash, size_bytes, expires_at) \
             VALUES ($1, $2, 0, $3) RETURNING id AS n",
        )
        .bind::<BigInt, _>(user.id)
        .bind::<Text, _>(tokens::hash(&token))
        .bind::<Timestamptz, _>(Utc::now() + Duration::days(LINK_LIFETIME_DAYS))
        .get_result::<crate::db::Count>(conn)?
        .n;
        let mut out = ChunkWriter::new(export_id);
        write_archive(conn, &mut out, user.id)?;
        let size_bytes = out.finish(conn)?;
        diesel::sql_query("UPDATE account_exports SET size_bytes = $2 WHERE id = $1")
            .bind::<BigInt, _>(export_id)
            .bind::<BigInt, _>(size_bytes)
            .execute(conn)?;
        crate::email::enqueue(
            conn,
            &user.email,
            "export_ready",
            serde_json::json!({
                "username": user.username,
                "link": download_link(base_url, &token),
                "size": human_size(size_bytes),
            }),
        )?;
        Ok(Some(Built {
            export_id,
            size_bytes,
        }))
    })
}

fn write_archive(
    conn: &mut PgConnection,
    out: &mut ChunkWriter,
    user_id: UserId,
) -> QueryResult<()> {
    let account: Item = diesel::sql_query(ACCOUNT_QUERY)
        .bind::<BigInt, _>(user_id)
        .get_result(conn)?;
    let header = serde_json::json!({
        "format": FORMAT,
        "version": VERSION,
        "generated_at": Utc::now(),
    })
    .to_string();
    // The header's object, opened up to take the rest of the archive's members.
    out.push(conn, header.trim_end_matches('}'))?;
    out.push(conn, ",\"account\":")?;
    out.push(conn, &account.item)?;
    for section in SECTIONS {
        out.push(conn, &format!(",\"{}\":[", section.name))?;
        let mut after = 0_i64;
        let mut first = true;
        loop {
            let rows: Vec<Row> = diesel::sql_query(section.query)
                .bind::<BigInt, _>(user_id)
                .bind::<BigInt, _>(after)
                .bind::<BigInt, _>(PAGE_ROWS)
                .load(conn)?;
            for row in &rows {
                if !first {
                    out.push(conn, ",")?;
                }
                first = false;
                out.push(conn, &row.item)?;
            }
            match rows.last() {
                Some(last) if rows.len() as i64 == PAGE_ROWS => after = last.key,
                _ => break,
            }
        }
        out.push(conn, "]")?;
    }
    out.push(conn, "}\n")
}

fn is_deleted(conn: &mut PgConnection, user_id: UserId) -> QueryResult<bool> {
    use crate::schema::users;
    users::table
        .find(user_id)
        .select(users::deleted_at.is_not_null())
        .first(conn)
}

/// Archives past their link's life, or downloaded a day ago, are deleted.
pub fn sweep(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM account_exports \
         WHERE expires_at <= now() OR downloaded_at <= now() - interval '1 day'",
    )
    .execute(conn)
}

fn download_link(base_url: &str, token: &str) -> String {
    format!("{}/api/v1/exports/{token}", base_url.trim_end_matches('/'))
}

/// "1.2 MB", "532 KB", "900 bytes".
pub fn human_size(bytes: i64) -> String {
    match bytes {
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1_000_000.0),
        b if b >= 1_000 => format!("{} KB", b / 1_000),
        b => format!("{b} bytes"),
    }
}

/// An archive claimed for download: the link is used up.
#[derive(Debug, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub size_bytes: i64,
    #[diesel(sql_type = Text)]
    pub username: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: chrono::DateTime<Utc>,
}

/// Uses up a download link: the archive it names, if unused and unexpired (404 otherwise).
pub fn claim(conn: &mut PgConnection, token: &str) -> Result<Claimed, ApiError> {
    diesel::sql_query(
        "UPDATE account_exports e SET downloaded_at = now() FROM users u \
         WHERE e.token_hash = $1 AND e.downloaded_at IS NULL AND e.expires_at > now() \
           AND u.id = e.user_id \
         RETURNING e.id, e.size_bytes, u.username, e.created_at",
    )
    .bind::<Text, _>(tokens::hash(token))
    .get_result(conn)
    .optional()?
    .ok_or(ApiError::NotFound)
}

#[derive(QueryableByName)]
struct Chunk {
    #[diesel(sql_type = Nullable<Binary>)]
    data: Option<Vec<u8>>,
}

/// The `seq`th piece of an archive, `None` past its end.
pub fn chunk(conn: &mut PgConnection, export_id: i64, seq: i32) -> QueryResult<Option<Vec<u8>>> {
    let found: Option<Chunk> = diesel::sql_query(
        "SELECT data FROM account_export_chunks WHERE export_id = $1 AND seq = $2",
    )
    .bind::<BigInt, _>(export_id)
    .bind::<Integer, _>(seq)
    .get_result(conn)
    .optional()?;
    Ok(found.and_then(|chunk| chunk.data))
}

/// A downloaded archive's pieces go at once (the row stays a day, so the link says "used").
pub fn discard_chunks(conn: &mut PgConnection, export_id: i64) -> QueryResult<usize> {
    diesel::sql_query("DELETE FROM account_export_chunks WHERE export_id = $1")
        .bind::<BigInt, _>(export_id)
        .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(human_size(900), "900 bytes");
        assert_eq!(human_size(532_100), "532 KB");
        assert_eq!(human_size(1_234_567), "1.2 MB");
    }

    #[test]
    fn every_section_pages_by_a_key_and_names_itself_once() {
        let mut names: Vec<&str> = SECTIONS.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SECTIONS.len());
        for section in SECTIONS {
            for part in ["AS key", "AS item", "$1", "$2", "LIMIT $3", "ORDER BY"] {
                assert!(section.query.contains(part), "{}: {part}", section.name);
            }
        }
    }
}
