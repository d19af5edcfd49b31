//! The notification tables and their statements. The inbox's list and its unread count share
//! one filter, `NOT hidden`: the database keeps `hidden` true while a notification's reply,
//! thread or meetup is hidden or deleted (the triggers of the notifications migration), so the
//! two can never disagree and no code path that hides content has to remember notifications.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamptz};

use super::domain::{NotificationKind, SubscriptionLevel, SubscriptionReason};
use crate::ids::{MeetupId, MentorshipRequestId, NotificationId, ReplyId, ThreadId, UserId};
use crate::schema::thread_subscriptions;

/// What the inbox joins to show a notification's subject and actor.
const FROM_INBOX: &str = "FROM notifications n \
     LEFT JOIN threads t ON t.id = n.thread_id \
     LEFT JOIN meetups m ON m.id = n.meetup_id \
     LEFT JOIN users a ON a.id = n.actor_id";

/// One inbox entry with what it shows of its actor and subject.
#[derive(Debug, QueryableByName)]
pub struct InboxRow {
    #[diesel(sql_type = BigInt)]
    pub id: NotificationId,
    #[diesel(sql_type = Text)]
    pub kind: NotificationKind,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub read_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Integer)]
    pub count: i32,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub thread_id: Option<ThreadId>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub reply_id: Option<ReplyId>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub meetup_id: Option<MeetupId>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub mentorship_request_id: Option<MentorshipRequestId>,
    #[diesel(sql_type = Nullable<Text>)]
    pub actor_username: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub actor_display_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub title: Option<String>,
}

/// A page of `user`'s inbox, newest first, after the id `before` (exclusive).
pub fn inbox(
    conn: &mut PgConnection,
    user: UserId,
    unread_only: bool,
    before: Option<NotificationId>,
    limit: i64,
) -> QueryResult<Vec<InboxRow>> {
    let query = format!(
        "SELECT n.id, n.kind, n.created_at, n.read_at, n.count, n.thread_id, n.reply_id, \
                n.meetup_id, n.mentorship_request_id, \
                a.username AS actor_username, a.display_name AS actor_display_name, \
                COALESCE(t.title, m.title) AS title \
         {FROM_INBOX} \
         WHERE n.user_id = $1 AND NOT n.hidden \
           AND (NOT $2 OR n.read_at IS NULL) AND ($3::int8 IS NULL OR n.id < $3) \
         ORDER BY n.id DESC LIMIT $4"
    );
    diesel::sql_query(query)
        .bind::<BigInt, _>(user)
        .bind::<Bool, _>(unread_only)
        .bind::<Nullable<BigInt>, _>(before)
        .bind::<BigInt, _>(limit)
        .load(conn)
}

/// How many unread notifications `user`'s inbox shows: the list's own filter (`NOT hidden`,
/// kept by the database's triggers when a subject is hidden, deleted or restored), answered
/// from the partial index `notifications_unread`.
pub fn unread_count(conn: &mut PgConnection, user: UserId) -> QueryResult<i64> {
    use crate::schema::notifications::dsl as n;
    n::notifications
        .filter(n::user_id.eq(user))
        .filter(n::read_at.is_null())
        .filter(n::hidden.eq(false))
        .count()
        .get_result(conn)
}

/// Marks one of `user`'s notifications read; whether it is theirs at all.
pub fn mark_read(conn: &mut PgConnection, user: UserId, id: NotificationId) -> QueryResult<bool> {
    use crate::schema::notifications::dsl as n;
    diesel::update(
        n::notifications
            .filter(n::id.eq(id))
            .filter(n::user_id.eq(user)),
    )
    .filter(n::read_at.is_null())
    .set(n::read_at.eq(diesel::dsl::now))
    .execute(conn)?;
    diesel::select(diesel::dsl::exists(
        n::notifications
            .filter(n::id.eq(id))
            .filter(n::user_id.eq(user)),
    ))
    .get_result(conn)
}

/// Marks every one of `user`'s notifications with an id up to `up_to` read.
pub fn mark_read_up_to(
    conn: &mut PgConnection,
    user: UserId,
    up_to: NotificationId,
) -> QueryResult<usize> {
    use crate::schema::notifications::dsl as n;
    diesel::update(
        n::notifications
            .filter(n::user_id.eq(user))
            .filter(n::id.le(up_to))
            .filter(n::read_at.is_null()),
    )
    .set(n::read_at.eq(diesel::dsl::now))
    .execute(conn)
}

/// Tells the thread's author and watchers about reply `reply`, once each: every recipient is
/// recorded in `notification_deliveries` under `event`, and only those recorded now are
/// told. A reply joins the recipient's unread group for the thread (count + 1, a fresh id,
/// so it comes first again; the group shows its newest reply whatever order jobs run in). Nothing happens for a hidden or deleted reply or thread; the
/// reply and thread rows are share-locked, so hiding one waits for this to commit and its
/// trigger then hides what was just inserted.
/// Returns how many members were told.
pub fn fan_out_reply(conn: &mut PgConnection, reply: ReplyId, event: &str) -> QueryResult<usize> {
    diesel::sql_query(
        "WITH reply AS ( \
             SELECT r.id, r.thread_id, r.author_id, t.author_id AS thread_author_id \
             FROM replies r JOIN threads t ON t.id = r.thread_id \
             WHERE r.id = $1 AND r.deleted_at IS NULL AND NOT r.hidden \
               AND t.deleted_at IS NULL AND NOT t.hidden \
             FOR SHARE OF r, t \
         ), recipients AS ( \
             SELECT reply.thread_author_id AS user_id, 'reply' AS kind FROM reply \
             WHERE reply.thread_author_id <> reply.author_id \
               AND NOT EXISTS (SELECT 1 FROM thread_subscriptions s \
                               WHERE s.user_id = reply.thread_author_id \
                                 AND s.thread_id = reply.thread_id AND s.level = 'muted') \
             UNION ALL \
             SELECT s.user_id, 'watched_reply' FROM reply \
             JOIN thread_subscriptions s ON s.thread_id = reply.thread_id AND s.level = 'watching' \
             WHERE s.user_id <> reply.author_id AND s.user_id <> reply.thread_author_id \
         ), delivered AS ( \
             INSERT INTO notification_deliveries (event, user_id) \
             SELECT $2, user_id FROM recipients \
             ON CONFLICT DO NOTHING RETURNING user_id \
         ) \
         INSERT INTO notifications (user_id, kind, actor_id, thread_id, reply_id) \
         SELECT recipients.user_id, recipients.kind, reply.author_id, reply.thread_id, reply.id \
         FROM recipients JOIN delivered ON delivered.user_id = recipients.user_id CROSS JOIN reply \
         ORDER BY recipients.user_id \
         ON CONFLICT (user_id, thread_id, kind) \
             WHERE read_at IS NULL AND kind IN ('reply', 'watched_reply') \
         DO UPDATE SET count = notifications.count + 1, \
             actor_id = CASE WHEN EXCLUDED.reply_id > notifications.reply_id \
                             THEN EXCLUDED.actor_id ELSE notifications.actor_id END, \
             reply_id = GREATEST(notifications.reply_id, EXCLUDED.reply_id), \
             id = nextval('notifications_id_seq'), created_at = now()",
    )
    .bind::<BigInt, _>(reply)
    .bind::<Text, _>(event)
    .execute(conn)
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = thread_subscriptions)]
pub struct SubscriptionRow {
    pub level: SubscriptionLevel,
    pub reason: SubscriptionReason,
}

pub fn subscription(
    conn: &mut PgConnection,
    user: UserId,
    thread: ThreadId,
) -> QueryResult<Option<SubscriptionRow>> {
    thread_subscriptions::table
        .find((user, thread))
        .select(SubscriptionRow::as_select())
        .first(conn)
        .optional()
}

/// Sets the level the member chose.
pub fn choose(
    conn: &mut PgConnection,
    user: UserId,
    thread: ThreadId,
    level: SubscriptionLevel,
) -> QueryResult<()> {
    use thread_subscriptions::dsl as s;
    diesel::insert_into(s::thread_subscriptions)
        .values((
            s::user_id.eq(user),
            s::thread_id.eq(thread),
            s::level.eq(level),
            s::reason.eq(SubscriptionReason::Chosen),
        ))
        .on_conflict((s::user_id, s::thread_id))
        .do_update()
        .set((
            s::level.eq(level),
            s::reason.eq(SubscriptionReason::Chosen),
            s::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .map(drop)
}

/// Follows a thread for `reason` unless the member already follows it some way (an automatic
/// subscription never overwrites one).
pub fn follow(
    conn: &mut PgConnection,
    user: UserId,
    thread: ThreadId,
    reason: SubscriptionReason,
) -> QueryResult<()> {
    use thread_subscriptions::dsl as s;
    diesel::insert_into(s::thread_subscriptions)
        .values((
            s::user_id.eq(user),
            s::thread_id.eq(thread),
            s::level.eq(SubscriptionLevel::Watching),
            s::reason.eq(reason),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .map(drop)
}
