//! The notification tables and their statements. The inbox's list and its unread count share
//! one filter, `NOT hidden`: the database keeps `hidden` true while a notification's reply,
//! thread or meetup is hidden or deleted (the triggers of the notifications migration), so the
//! two can never disagree and no code path that hides content has to remember notifications.

pub mod digest;
pub mod mail;
pub mod unsubscribe;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Jsonb, Nullable, Text, Timestamptz};

use super::domain::{
    DigestFrequency, EmailPreference, NotificationKind, SubscriptionLevel, SubscriptionReason,
    TagLevel,
};
use crate::accounts::auth::StoredSession;
use crate::ids::{
    ConversationId, MeetupId, MentorshipRequestId, MessageId, NotificationId, ReplyId, ThreadId,
    UserId,
};
use crate::schema::thread_subscriptions;

/// What the inbox joins to show a notification's subject and actor.
const FROM_INBOX: &str = "FROM notifications n \
     LEFT JOIN threads t ON t.id = n.thread_id \
     LEFT JOIN meetups m ON m.id = n.meetup_id \
     LEFT JOIN conversations c ON c.id = n.conversation_id \
     LEFT JOIN users a ON a.id = n.actor_id";

/// [`FROM_INBOX`] for entries already chosen: `picked (member, id)`.
const FROM_PICKED: &str = "FROM picked JOIN notifications n ON n.id = picked.id \
     LEFT JOIN threads t ON t.id = n.thread_id \
     LEFT JOIN meetups m ON m.id = n.meetup_id \
     LEFT JOIN conversations c ON c.id = n.conversation_id \
     LEFT JOIN users a ON a.id = n.actor_id";

/// One inbox entry with what it shows of its actor and subject.
#[derive(Debug, Clone, QueryableByName)]
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
    #[diesel(sql_type = Nullable<BigInt>)]
    pub conversation_id: Option<ConversationId>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub message_id: Option<MessageId>,
    #[diesel(sql_type = Nullable<Text>)]
    pub actor_username: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub actor_display_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub actor_avatar_url: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub title: Option<String>,
}

/// What the inbox shows of a notification.
const INBOX_COLUMNS: &str = "SELECT n.id, n.kind, n.created_at, n.read_at, n.count, n.thread_id, \
        n.reply_id, n.meetup_id, n.mentorship_request_id, n.conversation_id, n.message_id, \
        a.username AS actor_username, a.display_name AS actor_display_name, \
        a.avatar_url AS actor_avatar_url, \
        COALESCE(t.title, m.title, c.subject) AS title";

/// A page of `user`'s inbox, newest first, after the id `before` (exclusive).
pub fn inbox(
    conn: &mut PgConnection,
    user: UserId,
    unread_only: bool,
    before: Option<NotificationId>,
    limit: i64,
) -> QueryResult<Vec<InboxRow>> {
    let query = format!(
        "{INBOX_COLUMNS} {FROM_INBOX} \
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

/// What a live stream has not sent yet: `user`'s inbox entries with an id above `after`, or
/// among `also` (signalled ids that committed out of order), oldest first, at most `limit`.
pub fn inbox_after(
    conn: &mut PgConnection,
    user: UserId,
    after: NotificationId,
    also: &[NotificationId],
    limit: i64,
) -> QueryResult<Vec<InboxRow>> {
    let rows = inbox_after_for_many(conn, &[(user, after)], also, limit)?;
    Ok(rows.into_iter().map(|entry| entry.row).collect())
}

/// One entry of a live batch, with the member whose inbox it is in.
#[derive(Debug, QueryableByName)]
pub struct MemberInboxRow {
    #[diesel(sql_type = BigInt)]
    pub member: UserId,
    #[diesel(embed)]
    pub row: InboxRow,
}

/// What live streams have not sent, for many members in one statement: for each
/// `(member, after)`, the member's entries above `after` (at most `limit`), and those among
/// `also` at or below it (entries signalled again: a grouped reply counted once more), oldest
/// first. The live streams' hub reads every signalled member of a batch of signals with it;
/// [`inbox_after`] is its one-member case.
///
/// The entries are chosen first and decorated (thread, meetup, actor) once for all of them:
/// joined inside the per-member part, PostgreSQL planned a scan of `users` for each member
/// (0.33 ms × 1,000). The two parts are apart on purpose: one condition
/// `n.id > after OR n.id = ANY (also)` made every member's scan read all their entries and
/// compare each with every id of the batch (1,000 members × 1,000 ids). Either made a batch
/// take up to 265–363 ms at the benchmark's twentieth reply (docs/performance-log.md). Here
/// the first part is a range on `notifications_inbox` per member and the second looks `also`
/// up by primary key once (`MATERIALIZED`, or the planner probes each member's entries with
/// the whole array again).
pub fn inbox_after_for_many(
    conn: &mut PgConnection,
    members: &[(UserId, NotificationId)],
    also: &[NotificationId],
    limit: i64,
) -> QueryResult<Vec<MemberInboxRow>> {
    let ids: Vec<i64> = members.iter().map(|(user, _)| user.0).collect();
    let afters: Vec<i64> = members.iter().map(|(_, after)| after.0).collect();
    let also: Vec<i64> = also.iter().map(|id| id.0).collect();
    let query = format!(
        "WITH s AS (SELECT * FROM unnest($1::int8[], $2::int8[]) AS s (member, after)), \
         signalled AS MATERIALIZED ( \
             SELECT n.id, n.user_id FROM notifications n WHERE n.id = ANY ($3) AND NOT n.hidden), \
         picked AS ( \
             SELECT s.member, p.id FROM s CROSS JOIN LATERAL ( \
                 SELECT n.id FROM notifications n \
                 WHERE n.user_id = s.member AND NOT n.hidden AND n.id > s.after \
                 ORDER BY n.id LIMIT $4) p \
             UNION ALL \
             SELECT s.member, signalled.id FROM signalled \
             JOIN s ON s.member = signalled.user_id AND signalled.id <= s.after) \
         {INBOX_COLUMNS}, picked.member {FROM_PICKED} \
         ORDER BY picked.member, n.id"
    );
    diesel::sql_query(query)
        .bind::<Array<BigInt>, _>(ids)
        .bind::<Array<BigInt>, _>(afters)
        .bind::<Array<BigInt>, _>(also)
        .bind::<BigInt, _>(limit)
        .load(conn)
}

/// The unread counts of `members` from `notification_counters` (kept equal to
/// [`unread_count`] by the database's triggers); a member with no row has none.
pub fn unread_counts(
    conn: &mut PgConnection,
    members: &[UserId],
) -> QueryResult<Vec<(UserId, i32)>> {
    use crate::schema::notification_counters as c;
    c::table
        .filter(c::user_id.eq_any(members))
        .select((c::user_id, c::unread))
        .load(conn)
}

/// The newest notification id `user` has (0 for none): where a new stream starts.
pub fn latest_id(conn: &mut PgConnection, user: UserId) -> QueryResult<NotificationId> {
    use crate::schema::notifications::dsl as n;
    let latest: Option<i64> = n::notifications
        .filter(n::user_id.eq(user))
        .select(diesel::dsl::max(n::id))
        .first(conn)?;
    Ok(NotificationId(latest.unwrap_or(0)))
}

/// How many unread notifications `user`'s inbox shows: the list's own filter (`NOT hidden`,
/// kept by the database's triggers when a subject is hidden, deleted or restored), answered
/// from the partial index `notifications_unread`.
pub fn unread_count(conn: &mut PgConnection, user: UserId) -> QueryResult<i64> {
    use crate::schema::notifications::dsl as n;
    n::notifications
        .filter(n::user_id.eq(user))
        .filter(n::read_at.is_null())
        .filter(diesel::dsl::not(n::hidden))
        .count()
        .get_result(conn)
}

/// `user`'s session generation with their unread count, in one statement of two primary-key
/// lookups: the count is `notification_counters`, which the database's triggers keep equal to
/// [`unread_count`] in every transaction that changes a notification. The unread badge checks
/// its token's session and answers in one round trip. `None` when there is no such account.
pub fn session_and_unread_count(
    conn: &mut PgConnection,
    user: UserId,
    session: uuid::Uuid,
) -> QueryResult<Option<(StoredSession, i64)>> {
    use crate::schema::{notification_counters as c, users};
    let unread = c::table
        .filter(c::user_id.eq(user))
        .select(c::unread)
        .single_value();
    let live = crate::accounts::model::live_session(user, session);
    let row: Option<(i32, bool, Option<i32>)> = users::table
        .find(user)
        .select((users::session_generation, live, unread))
        .first(conn)
        .optional()?;
    Ok(row.map(|(generation, live, unread)| {
        (
            StoredSession { generation, live },
            i64::from(unread.unwrap_or(0)),
        )
    }))
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
pub fn mark_read_in(
    conn: &mut PgConnection,
    user: UserId,
    scope: crate::notifications::domain::ReadScope,
) -> QueryResult<usize> {
    use crate::notifications::domain::ReadScope;
    use crate::schema::notifications::dsl as n;
    let unread = n::notifications
        .filter(n::user_id.eq(user))
        .filter(n::read_at.is_null())
        .into_boxed();
    let unread = match scope {
        ReadScope::UpTo(up_to) => unread.filter(n::id.le(up_to)),
        ReadScope::Thread(thread) => unread.filter(n::thread_id.eq(thread)),
        ReadScope::Request(request) => unread.filter(n::mentorship_request_id.eq(request)),
        ReadScope::Conversation(conversation) => unread.filter(n::conversation_id.eq(conversation)),
    };
    diesel::update(n::notifications)
        .filter(n::id.eq_any(unread.select(n::id)))
        .set(n::read_at.eq(diesel::dsl::now))
        .execute(conn)
}

/// Who among the candidates of a reply or thread event is told, and how (shared by both
/// fan-outs; `event_row` is the CTE with the subject's `author_id`, `thread_id` and `tags`):
/// each member once, by their strongest reason (`rank`: a mention beats "a reply to your
/// thread", which beats "a reply in a thread you watch"); never the author; nobody who muted
/// the thread (mentions included), who blocked the author, or who muted one of the thread's
/// tags unless they watch the thread itself.
const RECIPIENTS: &str = "recipients AS ( \
     SELECT DISTINCT ON (c.user_id) c.user_id, c.kind \
     FROM candidates c CROSS JOIN event_row e \
     LEFT JOIN thread_subscriptions s ON s.user_id = c.user_id AND s.thread_id = e.thread_id \
     WHERE c.user_id <> e.author_id \
       AND s.level IS DISTINCT FROM 'muted' \
       AND NOT EXISTS (SELECT 1 FROM user_blocks b \
                       WHERE b.blocker_id = c.user_id AND b.blocked_id = e.author_id) \
       AND (s.level = 'watching' OR NOT EXISTS ( \
            SELECT 1 FROM tag_subscriptions ts \
            WHERE ts.user_id = c.user_id AND ts.level = 'muted' AND ts.tag = ANY (e.tags))) \
     ORDER BY c.user_id, c.rank \
 ), delivered AS ( \
     INSERT INTO notification_deliveries (event, user_id) \
     SELECT $2, user_id FROM recipients \
     ON CONFLICT DO NOTHING RETURNING user_id \
 )";

/// Tells the right members about reply `reply`, once each: its mentions (`mentioned`:
/// usernames, lower-cased, at most the per-post cap), the thread's author and, unless
/// `mentions_only` (an edit), the thread's watchers. Every recipient is recorded in
/// `notification_deliveries` under `event`, and only those recorded now are told, so a
/// replayed job or an edit tells nobody twice. A reply joins the recipient's unread group for
/// the thread (count + 1, a fresh id, so it comes first again; the group shows its newest
/// reply whatever order jobs run in). Nothing happens for a hidden or deleted reply or thread;
/// the reply and thread rows are share-locked, so hiding one waits for this to commit and its
/// trigger then hides what was just inserted.
/// Returns how many members were told.
pub fn fan_out_reply(
    conn: &mut PgConnection,
    reply: ReplyId,
    event: &str,
    mentioned: &[String],
    mentions_only: bool,
) -> QueryResult<usize> {
    let query = format!(
        "WITH event_row AS ( \
             SELECT r.id, r.thread_id, r.author_id, t.author_id AS thread_author_id, t.tags \
             FROM replies r JOIN threads t ON t.id = r.thread_id \
             WHERE r.id = $1 AND r.deleted_at IS NULL AND NOT r.hidden \
               AND t.deleted_at IS NULL AND NOT t.hidden \
             FOR SHARE OF r, t \
         ), candidates AS ( \
             SELECT u.id AS user_id, 'mention' AS kind, 1 AS rank \
             FROM users u WHERE lower(u.username) = ANY ($3) \
             UNION ALL \
             SELECT e.thread_author_id, 'reply', 2 FROM event_row e WHERE NOT $4 \
             UNION ALL \
             SELECT s.user_id, 'watched_reply', 3 FROM event_row e \
             JOIN thread_subscriptions s ON s.thread_id = e.thread_id AND s.level = 'watching' \
             WHERE NOT $4 \
         ), {RECIPIENTS} \
         INSERT INTO notifications (user_id, kind, actor_id, thread_id, reply_id) \
         SELECT recipients.user_id, recipients.kind, e.author_id, e.thread_id, e.id \
         FROM recipients JOIN delivered ON delivered.user_id = recipients.user_id \
         CROSS JOIN event_row e \
         ORDER BY recipients.user_id \
         ON CONFLICT (user_id, thread_id, kind) \
             WHERE read_at IS NULL AND kind IN ('reply', 'watched_reply') \
         DO UPDATE SET count = notifications.count + 1, \
             actor_id = CASE WHEN EXCLUDED.reply_id > notifications.reply_id \
                             THEN EXCLUDED.actor_id ELSE notifications.actor_id END, \
             reply_id = GREATEST(notifications.reply_id, EXCLUDED.reply_id), \
             id = nextval('notifications_id_seq'), created_at = now()"
    );
    diesel::sql_query(query)
        .bind::<BigInt, _>(reply)
        .bind::<Text, _>(event)
        .bind::<Array<Text>, _>(mentioned)
        .bind::<Bool, _>(mentions_only)
        .execute(conn)
}

/// Tells the right members about thread `thread`, once each: its mentions and, unless
/// `mentions_only` (an edit), the members watching the first post of one of its tags. The
/// same rules and bookkeeping as [`fan_out_reply`].
pub fn fan_out_thread(
    conn: &mut PgConnection,
    thread: ThreadId,
    event: &str,
    mentioned: &[String],
    mentions_only: bool,
) -> QueryResult<usize> {
    let query = format!(
        "WITH event_row AS ( \
             SELECT t.id AS thread_id, t.author_id, t.tags FROM threads t \
             WHERE t.id = $1 AND t.deleted_at IS NULL AND NOT t.hidden \
             FOR SHARE OF t \
         ), candidates AS ( \
             SELECT u.id AS user_id, 'mention' AS kind, 1 AS rank \
             FROM users u WHERE lower(u.username) = ANY ($3) \
             UNION ALL \
             SELECT ts.user_id, 'new_thread_in_tag', 2 FROM event_row e \
             JOIN tag_subscriptions ts ON ts.tag = ANY (e.tags) AND ts.level = 'watching_first_post' \
             WHERE NOT $4 \
         ), {RECIPIENTS} \
         INSERT INTO notifications (user_id, kind, actor_id, thread_id) \
         SELECT recipients.user_id, recipients.kind, e.author_id, e.thread_id \
         FROM recipients JOIN delivered ON delivered.user_id = recipients.user_id \
         CROSS JOIN event_row e \
         ORDER BY recipients.user_id"
    );
    diesel::sql_query(query)
        .bind::<BigInt, _>(thread)
        .bind::<Text, _>(event)
        .bind::<Array<Text>, _>(mentioned)
        .bind::<Bool, _>(mentions_only)
        .execute(conn)
}

/// The body of a reply (none when it is gone).
pub fn reply_body(conn: &mut PgConnection, reply: ReplyId) -> QueryResult<Option<String>> {
    use crate::schema::replies::dsl as r;
    r::replies
        .find(reply)
        .select(r::body)
        .first(conn)
        .optional()
}

/// The body of a thread's first post (none when it is gone).
pub fn thread_body(conn: &mut PgConnection, thread: ThreadId) -> QueryResult<Option<String>> {
    use crate::schema::threads::dsl as t;
    t::threads
        .find(thread)
        .select(t::body)
        .first(conn)
        .optional()
}

/// What a direct notification is about.
#[derive(Debug, Clone, Copy, Default)]
pub struct Subject {
    pub thread: Option<ThreadId>,
    pub reply: Option<ReplyId>,
    pub meetup: Option<MeetupId>,
    pub request: Option<MentorshipRequestId>,
    pub conversation: Option<ConversationId>,
    pub message: Option<MessageId>,
}

impl Subject {
    pub fn meetup(meetup: MeetupId) -> Self {
        Subject {
            meetup: Some(meetup),
            ..Subject::default()
        }
    }

    pub fn request(request: MentorshipRequestId) -> Self {
        Subject {
            request: Some(request),
            ..Subject::default()
        }
    }

    pub fn reply(thread: ThreadId, reply: ReplyId) -> Self {
        Subject {
            thread: Some(thread),
            reply: Some(reply),
            ..Subject::default()
        }
    }

    pub fn thread(thread: ThreadId) -> Self {
        Subject {
            thread: Some(thread),
            ..Subject::default()
        }
    }

    pub fn message(conversation: ConversationId, message: MessageId) -> Self {
        Subject {
            conversation: Some(conversation),
            message: Some(message),
            ..Subject::default()
        }
    }
}

/// Records a direct event for `recipients` under `event`: each is told once, never of their
/// own action nor of one by a member they blocked. `mail`: the message prepared for it (a
/// [`Draft`](crate::notifications::Draft)), sent or not as the recipient's preferences say.
pub fn insert_direct(
    conn: &mut PgConnection,
    event: &str,
    recipients: &[UserId],
    kind: NotificationKind,
    actor: Option<UserId>,
    subject: Subject,
    mail: Option<&serde_json::Value>,
) -> QueryResult<usize> {
    let recipients: Vec<i64> = recipients.iter().map(|id| id.0).collect();
    diesel::sql_query(
        "WITH recipients AS ( \
             SELECT DISTINCT u AS user_id FROM unnest($2::int8[]) u \
             WHERE u IS DISTINCT FROM $4 \
               AND NOT EXISTS (SELECT 1 FROM user_blocks b WHERE b.blocker_id = u AND b.blocked_id = $4) \
         ), delivered AS ( \
             INSERT INTO notification_deliveries (event, user_id) \
             SELECT $1, user_id FROM recipients ON CONFLICT DO NOTHING RETURNING user_id \
         ) \
         INSERT INTO notifications (user_id, kind, actor_id, thread_id, reply_id, meetup_id, \
                                    mentorship_request_id, conversation_id, message_id, mail) \
         SELECT user_id, $3, $4, $5, $6, $7, $8, $10, $11, $9 FROM delivered ORDER BY user_id",
    )
    .bind::<Text, _>(event)
    .bind::<Array<BigInt>, _>(recipients)
    .bind::<Text, _>(kind)
    .bind::<Nullable<BigInt>, _>(actor)
    .bind::<Nullable<BigInt>, _>(subject.thread)
    .bind::<Nullable<BigInt>, _>(subject.reply)
    .bind::<Nullable<BigInt>, _>(subject.meetup)
    .bind::<Nullable<BigInt>, _>(subject.request)
    .bind::<Nullable<Jsonb>, _>(mail)
    .bind::<Nullable<BigInt>, _>(subject.conversation)
    .bind::<Nullable<BigInt>, _>(subject.message)
    .execute(conn)
}

/// Tells the members present in its conversation of message `message`, once each (recorded
/// in `notification_deliveries` under `message:<id>`, so a replayed job tells nobody twice):
/// never its author nor a member who blocked them, nothing for a hidden message. Each joins
/// their unread group for the conversation (count + 1, a fresh id so it comes first and its
/// mail is decided again), or starts one. Returns how many were told.
pub fn fan_out_message(conn: &mut PgConnection, message: MessageId) -> QueryResult<usize> {
    let statement = diesel::sql_query(
        "WITH s AS ( \
             SELECT p.user_id, m.author_id, m.conversation_id, m.id AS message_id \
             FROM messages m JOIN conversation_participants p \
               ON p.conversation_id = m.conversation_id AND p.left_at IS NULL \
             WHERE m.id = $1 AND NOT m.hidden AND p.user_id <> m.author_id \
               AND NOT EXISTS (SELECT 1 FROM user_blocks b \
                               WHERE b.blocker_id = p.user_id AND b.blocked_id = m.author_id) \
         ), delivered AS ( \
             INSERT INTO notification_deliveries (event, user_id) \
             SELECT 'message:' || s.message_id, s.user_id FROM s \
             ON CONFLICT DO NOTHING RETURNING user_id \
         ) \
         INSERT INTO notifications (user_id, kind, actor_id, conversation_id, message_id) \
         SELECT s.user_id, 'message', s.author_id, s.conversation_id, s.message_id \
         FROM s JOIN delivered d ON d.user_id = s.user_id \
         ORDER BY s.user_id \
         ON CONFLICT (user_id, conversation_id) WHERE read_at IS NULL AND kind = 'message' \
         DO UPDATE SET count = notifications.count + 1, actor_id = EXCLUDED.actor_id, \
             message_id = GREATEST(notifications.message_id, EXCLUDED.message_id), \
             id = nextval('notifications_id_seq'), created_at = now()",
    )
    .bind::<BigInt, _>(message);
    crate::sql::prepared(statement).execute(conn)
}

/// Who may start a conversation with `user` (no row: everyone).
pub fn messages_setting(
    conn: &mut PgConnection,
    user: UserId,
) -> QueryResult<super::domain::MessagesSetting> {
    use crate::schema::message_preferences::dsl as p;
    Ok(p::message_preferences
        .find(user)
        .select(p::messages)
        .first(conn)
        .optional()?
        .unwrap_or(super::domain::MessagesSetting::Everyone))
}

/// The settings of many members at once (no row: everyone).
pub fn messages_settings(
    conn: &mut PgConnection,
    users: &[UserId],
) -> QueryResult<Vec<(UserId, super::domain::MessagesSetting)>> {
    use crate::schema::message_preferences::dsl as p;
    p::message_preferences
        .filter(p::user_id.eq_any(users))
        .select((p::user_id, p::messages))
        .load(conn)
}

pub fn set_messages_setting(
    conn: &mut PgConnection,
    user: UserId,
    setting: super::domain::MessagesSetting,
) -> QueryResult<()> {
    use crate::schema::message_preferences::dsl as p;
    diesel::insert_into(p::message_preferences)
        .values((p::user_id.eq(user), p::messages.eq(setting)))
        .on_conflict(p::user_id)
        .do_update()
        .set((p::messages.eq(setting), p::updated_at.eq(diesel::dsl::now)))
        .execute(conn)
        .map(drop)
}

/// `blocker` blocks `blocked` (again is fine); the trigger takes the blocked member's
/// notifications out of the blocker's inbox.
pub fn block(conn: &mut PgConnection, blocker: UserId, blocked: UserId) -> QueryResult<()> {
    use crate::schema::user_blocks::dsl as b;
    diesel::insert_into(b::user_blocks)
        .values((b::blocker_id.eq(blocker), b::blocked_id.eq(blocked)))
        .on_conflict_do_nothing()
        .execute(conn)
        .map(drop)
}

pub fn unblock(conn: &mut PgConnection, blocker: UserId, blocked: UserId) -> QueryResult<()> {
    use crate::schema::user_blocks::dsl as b;
    diesel::delete(b::user_blocks.find((blocker, blocked)))
        .execute(conn)
        .map(drop)
}

/// How `user` follows `tag`: `None` is `normal`.
pub fn tag_level(
    conn: &mut PgConnection,
    user: UserId,
    tag: &str,
) -> QueryResult<Option<TagLevel>> {
    use crate::schema::tag_subscriptions::dsl as ts;
    ts::tag_subscriptions
        .find((user, tag))
        .select(ts::level)
        .first(conn)
        .optional()
}

pub fn set_tag_level(
    conn: &mut PgConnection,
    user: UserId,
    tag: &str,
    level: TagLevel,
) -> QueryResult<()> {
    use crate::schema::tag_subscriptions::dsl as ts;
    if level == TagLevel::Normal {
        return diesel::delete(ts::tag_subscriptions.find((user, tag)))
            .execute(conn)
            .map(drop);
    }
    diesel::insert_into(ts::tag_subscriptions)
        .values((ts::user_id.eq(user), ts::tag.eq(tag), ts::level.eq(level)))
        .on_conflict((ts::user_id, ts::tag))
        .do_update()
        .set((ts::level.eq(level), ts::updated_at.eq(diesel::dsl::now)))
        .execute(conn)
        .map(drop)
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

/// `user`'s email preferences: direct events, then the digest.
pub fn mail_settings(
    conn: &mut PgConnection,
    user: UserId,
) -> QueryResult<(EmailPreference, DigestFrequency)> {
    use crate::schema::users::dsl as u;
    u::users
        .find(user)
        .select((u::email_notifications, u::digest))
        .first(conn)
}

/// Sets what is given of `user`'s email preferences; returns them all.
pub fn set_mail_settings(
    conn: &mut PgConnection,
    user: UserId,
    email: Option<EmailPreference>,
    digest: Option<DigestFrequency>,
) -> QueryResult<(EmailPreference, DigestFrequency)> {
    use crate::schema::users::dsl as u;
    if email.is_none() && digest.is_none() {
        return mail_settings(conn, user);
    }
    diesel::update(u::users.find(user))
        .set((
            email.map(|email| u::email_notifications.eq(email)),
            digest.map(|digest| u::digest.eq(digest)),
        ))
        .returning((u::email_notifications, u::digest))
        .get_result(conn)
}

/// Whether a thread is hidden or deleted; `None` when there is none.
pub fn thread_flags(
    conn: &mut PgConnection,
    thread: ThreadId,
) -> QueryResult<Option<crate::visibility::Flags>> {
    use crate::schema::threads::dsl as t;
    let found: Option<(bool, Option<chrono::DateTime<chrono::Utc>>)> = t::threads
        .find(thread)
        .select((t::hidden, t::deleted_at))
        .first(conn)
        .optional()?;
    Ok(found
        .map(|(hidden, deleted_at)| crate::visibility::Flags::new(hidden, deleted_at.is_some())))
}
