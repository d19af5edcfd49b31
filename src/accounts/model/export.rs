//! The statements of a member's archive (`service::export` holds the use cases): what each
//! section reads, the archive's row and its stored pieces.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Integer, Nullable, Text, Timestamptz};

use crate::accounts::tokens;
use crate::error::ApiError;
use crate::ids::UserId;

/// One part of the archive: a JSON array of the member's rows, read `PAGE_ROWS` at a time.
/// The query takes the member's id (`$1`), the last key read (`$2`) and the page size (`$3`),
/// and answers `key` (ascending) and `item` (one JSON object as text).
pub struct Section {
    pub name: &'static str,
    query: &'static str,
}

pub const SECTIONS: &[Section] = &[
    Section {
        name: "threads",
        query: "SELECT t.id AS key, json_build_object('id', t.id, 'title', t.title, \
                    'body', t.body, 'tags', t.tags, 'score', t.score, \
                    'reply_count', a.reply_count, 'locked', t.locked, 'hidden', t.hidden, \
                    'created_at', t.created_at, 'updated_at', t.updated_at)::text AS item \
                FROM threads t JOIN thread_activity a ON a.thread_id = t.id \
                WHERE t.author_id = $1 AND t.deleted_at IS NULL AND t.id > $2 \
                ORDER BY t.id LIMIT $3",
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
        // The member's files; the archive adds each one's `url`, signed to work as long as the
        // archive does.
        name: "uploads",
        query: "SELECT id AS key, json_build_object('id', id, 'purpose', purpose, \
                    'file', sha256 || '.' || extension, 'content_type', content_type, \
                    'size', size, 'width', width, 'height', height, \
                    'original_name', original_name, 'avatar', avatar_of IS NOT NULL, \
                    'created_at', created_at)::text AS item \
                FROM uploads WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    },
    Section {
        // What the member was writing and had not posted: a new thread's draft keyed 1, a
        // reply's by its thread's id plus one (keys start after 0).
        name: "drafts",
        query: "SELECT k.key, json_build_object('key', d.key, 'title', d.title, \
                    'body', d.body, 'tags', d.tags, 'updated_at', d.updated_at)::text AS item \
                FROM drafts d, LATERAL (SELECT CASE WHEN d.key = 'new-thread' THEN 1 \
                    ELSE substr(d.key, 7)::bigint + 1 END AS key) k \
                WHERE d.user_id = $1 AND k.key > $2 ORDER BY k.key LIMIT $3",
    },
    Section {
        name: "reading_positions",
        query: "SELECT thread_id AS key, json_build_object('thread_id', thread_id, \
                    'last_read_reply_id', last_read_reply_id, 'updated_at', updated_at)::text \
                    AS item \
                FROM thread_reads WHERE user_id = $1 AND thread_id > $2 \
                ORDER BY thread_id LIMIT $3",
    },
    Section {
        // The private conversations the member took part in (left ones too).
        name: "conversations",
        query: "SELECT c.id AS key, json_build_object('id', c.id, 'subject', c.subject, \
                    'joined_at', p.joined_at, 'left_at', p.left_at, \
                    'participants', (SELECT json_agg(u.username ORDER BY o.joined_at, o.user_id) \
                        FROM conversation_participants o JOIN users u ON u.id = o.user_id \
                        WHERE o.conversation_id = c.id), \
                    'created_at', c.created_at)::text AS item \
                FROM conversation_participants p JOIN conversations c ON c.id = p.conversation_id \
                WHERE p.user_id = $1 AND c.id > $2 ORDER BY c.id LIMIT $3",
    },
    Section {
        // Their messages and those sent to them in those conversations (hidden ones of others
        // left out, as the conversation showed them).
        name: "messages",
        query: "SELECT m.id AS key, json_build_object('id', m.id, \
                    'conversation_id', m.conversation_id, 'author', u.username, \
                    'body', m.body, 'hidden', m.hidden, 'created_at', m.created_at)::text AS item \
                FROM conversation_participants p \
                JOIN messages m ON m.conversation_id = p.conversation_id \
                JOIN users u ON u.id = m.author_id \
                WHERE p.user_id = $1 AND m.id > $2 AND (NOT m.hidden OR m.author_id = $1) \
                ORDER BY m.id LIMIT $3",
    },
    Section {
        name: "blocks",
        query: "SELECT b.blocked_id AS key, json_build_object('username', u.username, \
                    'created_at', b.created_at)::text AS item \
                FROM user_blocks b JOIN users u ON u.id = b.blocked_id \
                WHERE b.blocker_id = $1 AND b.blocked_id > $2 ORDER BY b.blocked_id LIMIT $3",
    },
];

/// The account itself: profile, settings, ways to sign in (linked identities, passkey names;
/// never a secret), followed tags, the mentor profile.
const ACCOUNT_QUERY: &str = "SELECT json_build_object( \
        'id', u.id, 'username', u.username, 'email', u.email, \
        'email_verified', u.email_verified, 'display_name', u.display_name, 'role', u.role, \
        'bio', u.bio, 'location', u.location, 'timezone', u.timezone, 'skills', u.skills, \
        'created_at', u.created_at, 'email_notifications', u.email_notifications, \
        'digest', u.digest, 'two_factor', u.two_factor, \
        'messages', COALESCE((SELECT mp.messages FROM message_preferences mp \
            WHERE mp.user_id = u.id), 'everyone'), \
        'linked_identities', COALESCE((SELECT json_agg(json_build_object('provider', \
            i.provider, 'subject', i.subject, 'email', i.email, 'linked_at', i.linked_at) \
            ORDER BY i.linked_at, i.id) FROM identities i WHERE i.user_id = u.id), '[]'::json), \
        'passkeys', COALESCE((SELECT json_agg(json_build_object('name', k.name, \
            'created_at', k.created_at, 'last_used_at', k.last_used_at) \
            ORDER BY k.created_at, k.id) FROM passkeys k WHERE k.user_id = u.id), '[]'::json), \
        'api_tokens', COALESCE((SELECT json_agg(json_build_object('name', a.name, \
            'scopes', a.scopes, 'created_at', a.created_at, 'last_used_at', a.last_used_at, \
            'expires_at', a.expires_at) ORDER BY a.id) FROM api_tokens a \
            WHERE a.user_id = u.id), '[]'::json), \
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
pub struct Row {
    #[diesel(sql_type = BigInt)]
    pub key: i64,
    #[diesel(sql_type = Text)]
    pub item: String,
}

#[derive(QueryableByName)]
struct Item {
    #[diesel(sql_type = Text)]
    item: String,
}

/// Holds the member's row until the transaction ends: concurrent requests for an archive
/// queue here, one at a time per member.
pub fn lock_member(conn: &mut PgConnection, user_id: UserId) -> QueryResult<()> {
    diesel::sql_query("SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE")
        .bind::<BigInt, _>(user_id)
        .execute(conn)?;
    Ok(())
}

/// Archive jobs of the member's that are waiting or running.
pub fn pending_jobs(conn: &mut PgConnection, kind: &str, user_id: UserId) -> QueryResult<i64> {
    Ok(diesel::sql_query(
        "SELECT count(*) AS n FROM jobs WHERE kind = $1 AND status <> 'failed' \
           AND payload->>'user_id' = $2::text",
    )
    .bind::<Text, _>(kind)
    .bind::<BigInt, _>(user_id)
    .get_result::<crate::db::Count>(conn)?
    .n)
}

/// Dates in the archive's JSON are written in UTC, whatever the session's zone.
pub fn write_dates_in_utc(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("SET LOCAL TimeZone = 'UTC'").execute(conn)?;
    Ok(())
}

/// The account itself as one JSON object.
pub fn account_item(conn: &mut PgConnection, user_id: UserId) -> QueryResult<String> {
    let account: Item = diesel::sql_query(ACCOUNT_QUERY)
        .bind::<BigInt, _>(user_id)
        .get_result(conn)?;
    Ok(account.item)
}

/// Up to `limit` rows of `section` with keys after `after`, in key order.
pub fn section_page(
    conn: &mut PgConnection,
    section: &Section,
    user_id: UserId,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<Row>> {
    diesel::sql_query(section.query)
        .bind::<BigInt, _>(user_id)
        .bind::<BigInt, _>(after)
        .bind::<BigInt, _>(limit)
        .load(conn)
}

/// A new, empty archive behind `token_hash`; its id.
pub fn start_archive(
    conn: &mut PgConnection,
    user_id: UserId,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> QueryResult<i64> {
    Ok(diesel::sql_query(
        "INSERT INTO account_exports (user_id, token_hash, size_bytes, expires_at) \
         VALUES ($1, $2, 0, $3) RETURNING id AS n",
    )
    .bind::<BigInt, _>(user_id)
    .bind::<Text, _>(token_hash)
    .bind::<Timestamptz, _>(expires_at)
    .get_result::<crate::db::Count>(conn)?
    .n)
}

/// Stores the `seq`th piece of an archive.
pub fn store_chunk(
    conn: &mut PgConnection,
    export_id: i64,
    seq: i32,
    data: &[u8],
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO account_export_chunks (export_id, seq, data) VALUES ($1, $2, $3)",
    )
    .bind::<BigInt, _>(export_id)
    .bind::<Integer, _>(seq)
    .bind::<Binary, _>(data)
    .execute(conn)?;
    Ok(())
}

pub fn finish_archive(conn: &mut PgConnection, export_id: i64, size_bytes: i64) -> QueryResult<()> {
    diesel::sql_query("UPDATE account_exports SET size_bytes = $2 WHERE id = $1")
        .bind::<BigInt, _>(export_id)
        .bind::<BigInt, _>(size_bytes)
        .execute(conn)?;
    Ok(())
}

pub fn is_deleted(conn: &mut PgConnection, user_id: UserId) -> QueryResult<bool> {
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
    pub created_at: DateTime<Utc>,
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
