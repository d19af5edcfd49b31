//! The statements of member content (`service::member_content` holds the use cases).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamptz};

use crate::ids::{ModerationLogId, UserId};
use crate::moderation::domain::LogTargetType;

#[derive(QueryableByName)]
pub struct Item {
    #[diesel(sql_type = Text)]
    pub kind: LogTargetType,
    #[diesel(sql_type = BigInt)]
    pub id: i64,
}

/// The member's threads, replies and meetups since `since` that are shown now.
pub fn shown_since(
    conn: &mut PgConnection,
    member: UserId,
    since: DateTime<Utc>,
) -> QueryResult<Vec<Item>> {
    diesel::sql_query(
        "SELECT 'thread' AS kind, id FROM threads \
             WHERE author_id = $1 AND created_at >= $2 AND deleted_at IS NULL AND NOT hidden \
         UNION ALL SELECT 'reply', id FROM replies \
             WHERE author_id = $1 AND created_at >= $2 AND deleted_at IS NULL AND NOT hidden \
         UNION ALL SELECT 'meetup', id FROM meetups \
             WHERE organizer_id = $1 AND created_at >= $2 AND NOT hidden \
         ORDER BY 1, 2",
    )
    .bind::<BigInt, _>(member)
    .bind::<Timestamptz, _>(since)
    .load(conn)
}

#[derive(QueryableByName)]
pub struct ActionRow {
    #[diesel(sql_type = BigInt)]
    pub member_id: UserId,
    #[diesel(sql_type = Timestamptz)]
    pub since: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub undone_by: Option<i64>,
}

/// The action logged as `entry`, locked; `None` when it is no member-content action.
pub fn lock_action(
    conn: &mut PgConnection,
    entry: ModerationLogId,
) -> QueryResult<Option<ActionRow>> {
    diesel::sql_query(
        "SELECT member_id, since, undone_by FROM member_content_actions \
         WHERE log_id = $1 FOR UPDATE",
    )
    .bind::<BigInt, _>(entry)
    .get_result(conn)
    .optional()
}
