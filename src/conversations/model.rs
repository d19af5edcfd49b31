//! The conversation tables and their statements.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamptz};

use crate::ids::{ConversationId, MessageId, UserId};
use crate::notifications::MessagesSetting;

/// A conversation as its inbox entry shows it, for one member, with its present
/// participants (a JSON array of `{username, display_name, avatar_url}`, in the order they
/// joined).
#[derive(Debug, Clone, QueryableByName)]
pub struct InboxRow {
    #[diesel(embed)]
    pub conversation: ConversationRow,
    #[diesel(sql_type = diesel::sql_types::Json)]
    pub participants: serde_json::Value,
}

/// A conversation as its inbox entry shows it, for one member.
#[derive(Debug, Clone, QueryableByName)]
pub struct ConversationRow {
    #[diesel(sql_type = BigInt)]
    pub id: ConversationId,
    #[diesel(sql_type = Text)]
    pub subject: String,
    #[diesel(sql_type = Timestamptz)]
    pub last_message_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Bool)]
    pub mentorship: bool,
    /// Messages of the others after the newest the member read.
    #[diesel(sql_type = BigInt)]
    pub unread: i64,
}

/// The member's side of the conversation: `unread` counts what others wrote after what they
/// read; hidden messages count for nobody.
const CONVERSATION_COLUMNS: &str = "c.id, c.subject, c.last_message_at, c.created_at, \
     c.mentorship_pair IS NOT NULL AS mentorship, \
     (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id \
        AND m.id > p.last_read_message_id AND m.author_id <> p.user_id AND NOT m.hidden) AS unread";

/// A page of `member`'s conversations with their participants, newest activity first, after
/// `after` (the sort key of the last one served), in one statement: one range of the inbox
/// index, the page's participants read per conversation by primary key. The first page and
/// the later ones are two texts and the limit is written in, so each is a prepared statement
/// with a plan of its own (a bound limit, or `$2 IS NULL OR …`, would make PostgreSQL plan
/// it anew each time, see `sql::literal_limit`).
pub fn inbox(
    conn: &mut PgConnection,
    member: UserId,
    after: Option<(DateTime<Utc>, ConversationId)>,
    limit: i64,
) -> QueryResult<Vec<InboxRow>> {
    let limit = u32::try_from(limit).unwrap_or(0);
    let range = if after.is_some() {
        "AND (p.last_message_at, p.conversation_id) < ($2, $3)"
    } else {
        "AND $2::timestamptz IS NULL AND $3::int8 IS NULL"
    };
    let (at, id) = after.map_or((None, None), |(at, id)| (Some(at), Some(id)));
    let statement = diesel::sql_query(format!(
        "SELECT {CONVERSATION_COLUMNS}, \
            (SELECT json_agg(json_build_object('username', u.username, \
                    'display_name', u.display_name, 'avatar_url', u.avatar_url) \
                    ORDER BY o.joined_at, o.user_id) \
             FROM conversation_participants o JOIN users u ON u.id = o.user_id \
             WHERE o.conversation_id = c.id AND o.left_at IS NULL) AS participants \
         FROM conversation_participants p JOIN conversations c ON c.id = p.conversation_id \
         WHERE p.user_id = $1 AND p.left_at IS NULL {range} \
         ORDER BY p.last_message_at DESC, p.conversation_id DESC LIMIT {limit}"
    ))
    .bind::<BigInt, _>(member)
    .bind::<Nullable<Timestamptz>, _>(at)
    .bind::<Nullable<BigInt>, _>(id);
    crate::sql::prepared(statement).load(conn)
}

/// The conversation as `member`, a present participant, sees it; `None` for anyone else.
pub fn find_for(
    conn: &mut PgConnection,
    id: ConversationId,
    member: UserId,
) -> QueryResult<Option<ConversationRow>> {
    diesel::sql_query(format!(
        "SELECT {CONVERSATION_COLUMNS} \
         FROM conversation_participants p JOIN conversations c ON c.id = p.conversation_id \
         WHERE p.conversation_id = $1 AND p.user_id = $2 AND p.left_at IS NULL"
    ))
    .bind::<BigInt, _>(id)
    .bind::<BigInt, _>(member)
    .get_result(conn)
    .optional()
}

/// A present participant of some conversations, as the inbox shows them.
#[derive(Debug, Clone, QueryableByName)]
pub struct ParticipantRow {
    #[diesel(sql_type = BigInt)]
    pub conversation_id: ConversationId,
    #[diesel(sql_type = BigInt)]
    pub user_id: UserId,
    #[diesel(sql_type = Text)]
    pub username: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub display_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub avatar_url: Option<String>,
}

/// The present participants of these conversations, in the order they joined.
pub fn participants(
    conn: &mut PgConnection,
    conversations: &[ConversationId],
) -> QueryResult<Vec<ParticipantRow>> {
    let ids: Vec<i64> = conversations.iter().map(|id| id.0).collect();
    diesel::sql_query(
        "SELECT p.conversation_id, p.user_id, u.username, u.display_name, u.avatar_url \
         FROM conversation_participants p JOIN users u ON u.id = p.user_id \
         WHERE p.conversation_id = ANY ($1) AND p.left_at IS NULL \
         ORDER BY p.conversation_id, p.joined_at, p.user_id",
    )
    .bind::<Array<BigInt>, _>(ids)
    .load(conn)
}

/// What the sender's check needs of each other member of a conversation (or of those a new
/// one is for): present or not, their setting, whether they blocked the sender, and whether
/// they are connected to the sender (a mentorship either way, accepted or completed, or a
/// conversation they shared).
#[derive(Debug, Clone, QueryableByName)]
pub struct OtherRow {
    #[diesel(sql_type = BigInt)]
    pub user_id: UserId,
    #[diesel(sql_type = Text)]
    pub messages: MessagesSetting,
    #[diesel(sql_type = Bool)]
    pub blocked_sender: bool,
    #[diesel(sql_type = Bool)]
    pub connected: bool,
}

/// [`OtherRow`] for each of `members` (other than `sender`), in one statement.
pub fn others(
    conn: &mut PgConnection,
    sender: UserId,
    members: &[UserId],
) -> QueryResult<Vec<OtherRow>> {
    let ids: Vec<i64> = members.iter().map(|id| id.0).collect();
    diesel::sql_query(
        "SELECT u AS user_id, COALESCE(mp.messages, 'everyone') AS messages, \
            EXISTS (SELECT 1 FROM user_blocks b WHERE b.blocker_id = u AND b.blocked_id = $1) \
              AS blocked_sender, \
            (EXISTS (SELECT 1 FROM mentorship_requests r \
                     WHERE r.status IN ('accepted', 'completed') \
                       AND ((r.mentor_id = u AND r.mentee_id = $1) \
                         OR (r.mentor_id = $1 AND r.mentee_id = u))) \
             OR EXISTS (SELECT 1 FROM conversation_participants a \
                        JOIN conversation_participants b ON b.conversation_id = a.conversation_id \
                        WHERE a.user_id = $1 AND b.user_id = u)) AS connected \
         FROM unnest($2::int8[]) u LEFT JOIN message_preferences mp ON mp.user_id = u \
         WHERE u <> $1",
    )
    .bind::<BigInt, _>(sender)
    .bind::<Array<BigInt>, _>(ids)
    .load(conn)
}

/// A new conversation by `author`; with a mentorship pair, the pair's conversation (made
/// once: the second ask finds the first). Whether it was made now.
pub fn insert(
    conn: &mut PgConnection,
    author: UserId,
    subject: &str,
    mentorship_pair: Option<&str>,
) -> QueryResult<(ConversationId, bool)> {
    #[derive(QueryableByName)]
    struct Made {
        #[diesel(sql_type = BigInt)]
        id: ConversationId,
        #[diesel(sql_type = Bool)]
        made: bool,
    }
    let made: Made = diesel::sql_query(
        "INSERT INTO conversations (author_id, subject, mentorship_pair) VALUES ($1, $2, $3) \
         ON CONFLICT (mentorship_pair) DO UPDATE SET mentorship_pair = EXCLUDED.mentorship_pair \
         RETURNING id, (xmax = 0) AS made",
    )
    .bind::<BigInt, _>(author)
    .bind::<Text, _>(subject)
    .bind::<Nullable<Text>, _>(mentorship_pair)
    .get_result(conn)?;
    Ok((made.id, made.made))
}

/// Adds members (back) to a conversation: one who had left is present again.
pub fn join(conn: &mut PgConnection, id: ConversationId, members: &[UserId]) -> QueryResult<()> {
    let ids: Vec<i64> = members.iter().map(|id| id.0).collect();
    diesel::sql_query(
        "INSERT INTO conversation_participants (conversation_id, user_id, last_message_at) \
         SELECT $1, u, c.last_message_at FROM unnest($2::int8[]) u, conversations c \
         WHERE c.id = $1 ORDER BY u \
         ON CONFLICT (conversation_id, user_id) DO UPDATE SET left_at = NULL",
    )
    .bind::<BigInt, _>(id)
    .bind::<Array<BigInt>, _>(ids)
    .execute(conn)
    .map(drop)
}

/// A message with its author as shown.
#[derive(Debug, Clone, QueryableByName)]
pub struct MessageRow {
    #[diesel(sql_type = BigInt)]
    pub id: MessageId,
    #[diesel(sql_type = BigInt)]
    pub conversation_id: ConversationId,
    #[diesel(sql_type = BigInt)]
    pub author_id: UserId,
    #[diesel(sql_type = Text)]
    pub username: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub display_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub avatar_url: Option<String>,
    #[diesel(sql_type = Text)]
    pub body: String,
    #[diesel(sql_type = Text)]
    pub body_html: String,
    #[diesel(sql_type = Bool)]
    pub hidden: bool,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

const MESSAGE_COLUMNS: &str = "m.id, m.conversation_id, m.author_id, u.username, \
     u.display_name, u.avatar_url, m.body, m.body_html, m.hidden, m.created_at";

/// Who may write in a conversation going on, as SQL (`$1` the conversation, `$2` the author,
/// `$5` whether the author is staff): someone else present in it takes messages from them —
/// has not blocked them, and (unless staff write) does not take messages from nobody. It is
/// `rules::may_write_in` (members of a conversation are connected to each other), written
/// into the statement so that a message is one round trip; the refusal's reason is told by
/// the rule (`service::post`), and the API tests hold the two to the same answers.
const SOMEONE_TAKES_IT: &str = "EXISTS (SELECT 1 FROM conversation_participants o \
     LEFT JOIN message_preferences mp ON mp.user_id = o.user_id \
     WHERE o.conversation_id = $1 AND o.user_id <> $2 AND o.left_at IS NULL \
       AND NOT EXISTS (SELECT 1 FROM user_blocks b WHERE b.blocker_id = o.user_id AND b.blocked_id = $2) \
       AND ($5 OR mp.messages IS DISTINCT FROM 'nobody'))";

/// How a message is written: by whom (and whether staff), and whether the others are told
/// now (a mentorship's opening message tells nobody: the request did).
#[derive(Debug, Clone, Copy)]
pub struct Writer {
    pub author: UserId,
    pub staff: bool,
    /// Check that someone takes it (a conversation going on) and tell them.
    pub as_member: bool,
}

/// Writes a message, in one statement (so, atomically, with no transaction around it): the
/// message, if the author is still in the conversation (and, `as_member`, someone in it takes
/// messages from them); the conversation's newest message; each present participant's place
/// in their inbox; the author's reading position (they read what they wrote); and, `as_member`,
/// the others' notifications (`notifications::model::tell_message_sql`). `None` when nothing
/// was written.
pub fn post(
    conn: &mut PgConnection,
    id: ConversationId,
    writer: Writer,
    (body, body_html): (&str, &str),
) -> QueryResult<Option<MessageRow>> {
    let tell = writer.as_member;
    let (kinds, payloads, id_keys) = crate::jobs::new_row_binds(&[super::service::notify_job()]);
    // The others are told by a job (as a reply's readers are), enqueued with the message.
    let told = if tell {
        format!(
            ", queued AS ( \
                 INSERT INTO jobs (kind, payload, max_attempts, run_at) \
                 SELECT job.kind, jsonb_set(job.payload, ARRAY[job.id_at], to_jsonb(m.id)), {}, now() \
                   FROM m, unnest($7::text[], $8::jsonb[], $9::text[]) AS job(kind, payload, id_at) \
             )",
            crate::jobs::DEFAULT_MAX_ATTEMPTS
        )
    } else {
        String::new()
    };
    let statement = diesel::sql_query(format!(
        "WITH m AS ( \
             INSERT INTO messages (conversation_id, author_id, body, body_html) \
             SELECT $1, $2, $3, $4 FROM conversation_participants a \
             WHERE a.conversation_id = $1 AND a.user_id = $2 AND a.left_at IS NULL \
               AND (NOT $6 OR {SOMEONE_TAKES_IT}) \
             RETURNING * \
         ), c AS ( \
             UPDATE conversations c SET last_message_id = m.id, last_message_at = m.created_at \
             FROM m WHERE c.id = m.conversation_id RETURNING c.id \
         ), p AS ( \
             UPDATE conversation_participants p SET last_message_at = m.created_at, \
                 last_read_message_id = CASE WHEN p.user_id = m.author_id THEN m.id \
                                             ELSE p.last_read_message_id END \
             FROM m WHERE p.conversation_id = m.conversation_id AND p.left_at IS NULL \
             RETURNING p.user_id \
         ){told} \
         SELECT {MESSAGE_COLUMNS} FROM m JOIN users u ON u.id = m.author_id"
    ))
    .bind::<BigInt, _>(id)
    .bind::<BigInt, _>(writer.author)
    .bind::<Text, _>(body)
    .bind::<Text, _>(body_html)
    .bind::<Bool, _>(writer.staff)
    .bind::<Bool, _>(writer.as_member)
    .bind::<Array<Text>, _>(kinds)
    .bind::<Array<diesel::sql_types::Jsonb>, _>(payloads)
    .bind::<Array<Text>, _>(id_keys);
    crate::sql::prepared(statement).get_result(conn).optional()
}

/// The other present members of a conversation, with what decides whether they take a
/// message from `sender` (a conversation's members are connected to each other); whether the
/// sender is present in it comes first, as a row of their own (`user_id = sender`).
pub fn present_facts(
    conn: &mut PgConnection,
    id: ConversationId,
    sender: UserId,
) -> QueryResult<Vec<OtherRow>> {
    let statement = diesel::sql_query(
        "SELECT p.user_id, COALESCE(mp.messages, 'everyone') AS messages, \
            EXISTS (SELECT 1 FROM user_blocks b WHERE b.blocker_id = p.user_id AND b.blocked_id = $2) \
              AS blocked_sender, true AS connected \
         FROM conversation_participants p LEFT JOIN message_preferences mp ON mp.user_id = p.user_id \
         WHERE p.conversation_id = $1 AND p.left_at IS NULL",
    )
    .bind::<BigInt, _>(id)
    .bind::<BigInt, _>(sender);
    crate::sql::prepared(statement).load(conn)
}

/// Which messages of a conversation a page holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageWindow {
    /// The newest, or those before this id: read newest first (the page is put in order by
    /// the service).
    Before(Option<MessageId>),
    /// Those after this id, oldest first (what arrived since).
    After(MessageId),
}

/// Up to `limit` visible messages of a conversation in `window`.
pub fn messages(
    conn: &mut PgConnection,
    id: ConversationId,
    window: MessageWindow,
    limit: i64,
) -> QueryResult<Vec<MessageRow>> {
    let (condition, order, bound) = match window {
        MessageWindow::Before(before) => ("($2::int8 IS NULL OR m.id < $2)", "DESC", before),
        MessageWindow::After(after) => ("m.id > $2", "ASC", Some(after)),
    };
    diesel::sql_query(format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.author_id \
         WHERE m.conversation_id = $1 AND NOT m.hidden AND {condition} \
         ORDER BY m.id {order} LIMIT $3"
    ))
    .bind::<BigInt, _>(id)
    .bind::<Nullable<BigInt>, _>(bound)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// One message, hidden or not.
pub fn find_message(conn: &mut PgConnection, id: MessageId) -> QueryResult<Option<MessageRow>> {
    diesel::sql_query(format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.author_id \
         WHERE m.id = $1"
    ))
    .bind::<BigInt, _>(id)
    .get_result(conn)
    .optional()
}

/// The newest visible message of a conversation not written by `member`.
pub fn latest_from_others(
    conn: &mut PgConnection,
    id: ConversationId,
    member: UserId,
) -> QueryResult<Option<MessageId>> {
    use crate::schema::messages::dsl as m;
    m::messages
        .filter(m::conversation_id.eq(id))
        .filter(m::author_id.ne(member))
        .filter(diesel::dsl::not(m::hidden))
        .order(m::id.desc())
        .select(m::id)
        .first(conn)
        .optional()
}

/// Locks a message's row; its author, conversation and whether it is hidden.
pub fn lock_message(
    conn: &mut PgConnection,
    id: MessageId,
) -> QueryResult<Option<(UserId, ConversationId, bool)>> {
    use crate::schema::messages::dsl as m;
    m::messages
        .find(id)
        .select((m::author_id, m::conversation_id, m::hidden))
        .for_no_key_update()
        .first(conn)
        .optional()
}

pub fn set_hidden(conn: &mut PgConnection, id: MessageId, hidden: bool) -> QueryResult<()> {
    use crate::schema::messages::dsl as m;
    diesel::update(m::messages.find(id))
        .set(m::hidden.eq(hidden))
        .execute(conn)
        .map(drop)
}

/// The conversation's subject.
pub fn subject(conn: &mut PgConnection, id: ConversationId) -> QueryResult<Option<String>> {
    use crate::schema::conversations::dsl as c;
    c::conversations
        .find(id)
        .select(c::subject)
        .first(conn)
        .optional()
}

/// `member` read everything of the conversation so far; whether they are present in it.
pub fn mark_read(conn: &mut PgConnection, id: ConversationId, member: UserId) -> QueryResult<bool> {
    let changed = diesel::sql_query(
        "UPDATE conversation_participants p \
         SET last_read_message_id = GREATEST(p.last_read_message_id, c.last_message_id) \
         FROM conversations c \
         WHERE c.id = $1 AND p.conversation_id = c.id AND p.user_id = $2 AND p.left_at IS NULL",
    )
    .bind::<BigInt, _>(id)
    .bind::<BigInt, _>(member)
    .execute(conn)?;
    Ok(changed > 0)
}

/// `member` leaves the conversation; whether they were present in it.
pub fn leave(conn: &mut PgConnection, id: ConversationId, member: UserId) -> QueryResult<bool> {
    use crate::schema::conversation_participants::dsl as p;
    let changed = diesel::update(
        p::conversation_participants
            .filter(p::conversation_id.eq(id))
            .filter(p::user_id.eq(member))
            .filter(p::left_at.is_null()),
    )
    .set(p::left_at.eq(diesel::dsl::now))
    .execute(conn)?;
    Ok(changed > 0)
}

/// The subjects of every conversation `member` took part in.
pub fn subjects_of(
    conn: &mut PgConnection,
    member: UserId,
) -> QueryResult<Vec<(ConversationId, String)>> {
    use crate::schema::{conversation_participants as p, conversations as c};
    c::table
        .inner_join(p::table.on(p::conversation_id.eq(c::id)))
        .filter(p::user_id.eq(member))
        .select((c::id, c::subject))
        .load(conn)
}

pub fn set_subject(conn: &mut PgConnection, id: ConversationId, subject: &str) -> QueryResult<()> {
    use crate::schema::conversations::dsl as c;
    diesel::update(c::conversations.find(id))
        .set(c::subject.eq(subject))
        .execute(conn)
        .map(drop)
}

/// `member` leaves every conversation (their account is erased).
pub fn leave_all(conn: &mut PgConnection, member: UserId) -> QueryResult<usize> {
    use crate::schema::conversation_participants::dsl as p;
    diesel::update(
        p::conversation_participants
            .filter(p::user_id.eq(member))
            .filter(p::left_at.is_null()),
    )
    .set(p::left_at.eq(diesel::dsl::now))
    .execute(conn)
}

/// Whether `member` is (still) in the conversation.
pub fn is_present(
    conn: &mut PgConnection,
    id: ConversationId,
    member: UserId,
) -> QueryResult<bool> {
    use crate::schema::conversation_participants::dsl as p;
    diesel::select(diesel::dsl::exists(
        p::conversation_participants
            .filter(p::conversation_id.eq(id))
            .filter(p::user_id.eq(member))
            .filter(p::left_at.is_null()),
    ))
    .get_result(conn)
}

/// The ids of members by username (tombstones and unknown names are left out).
pub fn members_by_username(
    conn: &mut PgConnection,
    usernames: &[String],
) -> QueryResult<Vec<(UserId, String)>> {
    let lowered: Vec<String> = usernames.iter().map(|name| name.to_lowercase()).collect();
    diesel::sql_query(
        "SELECT id, username FROM users WHERE lower(username) = ANY ($1) AND deleted_at IS NULL",
    )
    .bind::<Array<Text>, _>(lowered)
    .load::<IdName>(conn)
    .map(|rows| rows.into_iter().map(|row| (row.id, row.username)).collect())
}

#[derive(QueryableByName)]
struct IdName {
    #[diesel(sql_type = BigInt)]
    id: UserId,
    #[diesel(sql_type = Text)]
    username: String,
}
