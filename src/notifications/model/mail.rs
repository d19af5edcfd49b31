//! The statements of notification mail (`service::mail` holds the use case).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Jsonb, Nullable, Text, Timestamptz};

use crate::ids::{NotificationId, ThreadId, UserId};
use crate::notifications::domain::{EmailPreference, NotificationKind};

/// A notification with what deciding about, and writing, its mail needs.
#[derive(Debug, QueryableByName)]
pub struct MailRow {
    #[diesel(sql_type = BigInt)]
    pub user_id: UserId,
    #[diesel(sql_type = Text)]
    pub kind: NotificationKind,
    #[diesel(sql_type = Bool)]
    pub read: bool,
    #[diesel(sql_type = Bool)]
    pub hidden: bool,
    #[diesel(sql_type = Bool)]
    pub mailed: bool,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Integer)]
    pub count: i32,
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub mail: Option<serde_json::Value>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub thread_id: Option<ThreadId>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub reply_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub meetup_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub mentorship_request_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub conversation_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub title: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub body: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub actor: Option<String>,
    #[diesel(sql_type = Text)]
    pub email: String,
    #[diesel(sql_type = Text)]
    pub username: String,
    #[diesel(sql_type = Text)]
    pub preference: EmailPreference,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_seen_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Bool)]
    pub reachable: bool,
    #[diesel(sql_type = BigInt)]
    pub sent_today: i64,
}

/// The notification and its member, locked: the member's row first, in a statement of its
/// own, so the count of their mails today is read after any other decision for them has
/// committed (the daily cap holds when several of their mails are decided at once).
pub fn load(conn: &mut PgConnection, id: NotificationId) -> QueryResult<Option<MailRow>> {
    diesel::sql_query(
        "SELECT 1 FROM users WHERE id = (SELECT user_id FROM notifications WHERE id = $1) \
         FOR NO KEY UPDATE",
    )
    .bind::<BigInt, _>(id)
    .execute(conn)?;
    diesel::sql_query(
        "SELECT n.user_id, n.kind, n.read_at IS NOT NULL AS read, n.hidden, \
                n.mailed_at IS NOT NULL AS mailed, n.created_at, n.count, n.mail, n.thread_id, \
                n.reply_id, n.meetup_id, n.mentorship_request_id, n.conversation_id, \
                COALESCE(t.title, m.title, c.subject) AS title, \
                COALESCE(r.body, t.body, msg.body) AS body, \
                COALESCE(a.display_name, a.username) AS actor, \
                u.email, u.username, u.email_notifications AS preference, u.last_seen_at, \
                (u.email_verified AND u.email_undeliverable_at IS NULL \
                  AND (u.suspended_at IS NULL OR u.suspended_until <= now())) \
                  AS reachable, \
                (SELECT count(*) FROM notifications s \
                  WHERE s.user_id = n.user_id AND s.mailed_at > now() - interval '1 day') \
                  AS sent_today \
         FROM notifications n JOIN users u ON u.id = n.user_id \
         LEFT JOIN threads t ON t.id = n.thread_id \
         LEFT JOIN replies r ON r.id = n.reply_id \
         LEFT JOIN meetups m ON m.id = n.meetup_id \
         LEFT JOIN conversations c ON c.id = n.conversation_id \
         LEFT JOIN messages msg ON msg.id = n.message_id \
         LEFT JOIN users a ON a.id = n.actor_id \
         WHERE n.id = $1 \
         FOR NO KEY UPDATE OF n, u",
    )
    .bind::<BigInt, _>(id)
    .get_result(conn)
    .optional()
}

/// The notification is mailed: it never is again.
pub fn mark_mailed(conn: &mut PgConnection, id: NotificationId) -> QueryResult<()> {
    diesel::sql_query("UPDATE notifications SET mailed_at = now() WHERE id = $1")
        .bind::<BigInt, _>(id)
        .execute(conn)?;
    Ok(())
}
