//! Rows of `threads`, `replies` and the vote tables, and the queries on them.
//!
//! Every listing is one query joining the author: its cost does not depend on the page size.
//!
//! What each reply changes (`reply_count`, `last_activity_at`) lives in `thread_activity`, a
//! narrow row next to the thread's, so a reply never rewrites the wide, heavily indexed thread
//! row. A thread is read with its activity row joined; counting a reply writes only the
//! latter, which also carries (copied by a trigger) the switches that decide whether the
//! thread may take it.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};

mod author;
pub mod drafts;
pub mod reads;
pub mod solutions;

pub use author::AuthorRow;

use super::domain::{Sort, ThreadKey, ThreadStatus};
use crate::ids::{ReplyId, ThreadId, UserId};
use crate::notifications::domain::{SubscriptionLevel, SubscriptionReason};
use crate::schema::{
    replies, reply_votes, tags, thread_activity, thread_reads, thread_votes, threads, users,
};
use crate::sql;
use crate::trust;
use crate::visibility::{self, Audience, Flags};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = threads)]
pub struct ThreadRow {
    pub id: ThreadId,
    pub author_id: UserId,
    pub title: String,
    pub body: String,
    pub body_html: String,
    pub excerpt: String,
    pub tags: Vec<String>,
    #[diesel(select_expression = thread_activity::reply_count)]
    pub reply_count: i32,
    pub score: i32,
    pub pinned: bool,
    pub locked: bool,
    pub hidden: bool,
    pub deleted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[diesel(select_expression = thread_activity::last_activity_at)]
    pub last_activity_at: DateTime<Utc>,
    /// A solution a reader can see.
    pub solved: bool,
}

impl ThreadRow {
    pub fn flags(&self) -> Flags {
        Flags::new(self.hidden, self.deleted_at.is_some())
    }
}

/// A listing row: no body, so pages stay small.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = threads)]
pub struct ThreadSummaryRow {
    pub id: ThreadId,
    pub title: String,
    pub excerpt: String,
    pub tags: Vec<String>,
    #[diesel(select_expression = thread_activity::reply_count)]
    pub reply_count: i32,
    pub score: i32,
    pub pinned: bool,
    pub locked: bool,
    pub hidden: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[diesel(select_expression = thread_activity::last_activity_at)]
    pub last_activity_at: DateTime<Utc>,
    pub solved: bool,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = replies)]
pub struct ReplyRow {
    pub id: ReplyId,
    pub thread_id: ThreadId,
    pub author_id: UserId,
    pub body: String,
    pub body_html: String,
    pub score: i32,
    pub hidden: bool,
    pub deleted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ReplyRow {
    pub fn flags(&self) -> Flags {
        Flags::new(self.hidden, self.deleted_at.is_some())
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = threads)]
pub struct NewThread<'a> {
    pub author_id: UserId,
    pub title: &'a str,
    pub body: &'a str,
    pub body_html: &'a str,
    pub excerpt: &'a str,
    pub tags: &'a [String],
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = threads)]
pub struct ThreadChanges {
    pub title: Option<String>,
    pub body: Option<String>,
    pub body_html: Option<String>,
    pub excerpt: Option<String>,
    pub tags: Option<Vec<String>>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = replies)]
pub struct NewReply<'a> {
    pub thread_id: ThreadId,
    pub author_id: UserId,
    pub body: &'a str,
    pub body_html: &'a str,
}

impl ThreadSummaryRow {
    /// Where this row stands in a listing sorted by `sort`: the next page's cursor.
    pub fn key(&self, sort: Sort) -> ThreadKey {
        match sort {
            Sort::Latest => ThreadKey::Timed(self.pinned, self.created_at, self.id),
            Sort::Active => ThreadKey::Timed(self.pinned, self.last_activity_at, self.id),
            Sort::Top => ThreadKey::Scored(self.score, self.id),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ThreadFilter {
    pub sort: Sort,
    pub tag: Option<String>,
    pub author_id: Option<UserId>,
    pub status: Option<ThreadStatus>,
    pub after: Option<ThreadKey>,
    /// Staff listings include hidden threads.
    pub audience: Audience,
    /// Only what a member has not read yet.
    pub reading: Option<ReadingFilter>,
    /// The signed-in member listing: their positions come with the rows.
    pub reader: Option<UserId>,
    pub limit: i64,
}

/// A listing row: the summary, its author, and the reader's position in the thread (the last
/// reply read and how many replies that was) when they opened it.
pub type ListedThread = (ThreadSummaryRow, AuthorRow, Option<(Option<ReplyId>, i32)>);

/// A member's listings of what they have not read (`filter=unread|new`).
#[derive(Debug, Clone, Copy)]
pub enum ReadingFilter {
    /// Threads they opened with replies past their position.
    Unread(UserId),
    /// Threads started since this time by others, never opened.
    New(UserId, DateTime<Utc>),
}

/// One page of thread summaries with their authors, plus one row to tell whether more exist.
/// The reader's positions come in the same statement (a left join on their rows of
/// `thread_reads`; a visitor's names no member and finds none), so a member's list costs no
/// round trip more than a visitor's.
pub fn list_threads(
    conn: &mut PgConnection,
    filter: &ThreadFilter,
) -> QueryResult<Vec<ListedThread>> {
    let reader = filter.reader.unwrap_or(UserId(0));
    let mut query = threads::table
        .inner_join(users::table)
        .inner_join(thread_activity::table)
        .left_join(
            thread_reads::table.on(thread_reads::thread_id
                .eq(threads::id)
                .and(thread_reads::user_id.eq(reader))),
        )
        .filter(threads::deleted_at.is_null())
        .select((
            ThreadSummaryRow::as_select(),
            AuthorRow::as_select(),
            (thread_reads::last_read_reply_id, thread_reads::read_replies).nullable(),
        ))
        .into_boxed();
    if !filter.audience.sees_hidden() {
        query = query.filter(visibility::public_threads());
    }
    if let Some(tag) = &filter.tag {
        query = query.filter(threads::tags.contains(vec![tag.clone()]));
    }
    if let Some(author_id) = filter.author_id {
        query = query.filter(threads::author_id.eq(author_id));
    }
    // The reader's own rows, joined above (the filter names the same member).
    query = match filter.reading {
        None => query,
        Some(ReadingFilter::Unread(_)) => {
            query.filter(thread_reads::read_replies.lt(thread_activity::reply_count))
        }
        Some(ReadingFilter::New(user, since)) => query
            .filter(threads::created_at.gt(since))
            .filter(threads::author_id.ne(user))
            .filter(thread_reads::thread_id.is_null()),
    };
    // Boolean columns, neither bound values (a generic plan could not use the partial indexes
    // that state them) nor SQL text (diesel never keeps such a statement prepared).
    query = match filter.status {
        None => query,
        Some(ThreadStatus::Solved) => query.filter(threads::solved),
        Some(ThreadStatus::Unsolved) => query.filter(diesel::dsl::not(threads::solved)),
        Some(ThreadStatus::Unanswered) => query.filter(thread_activity::unanswered),
    };
    // Unanswered threads are a range of the activity row's own partial indexes, in either
    // order; its `created_at` and `pinned` are copies of the thread's, so the keys (and the
    // cursors) are the same.
    let on_activity = filter.status == Some(ThreadStatus::Unanswered);
    // Row-value comparisons match the composite indexes, so each page is an index range scan.
    query = match (filter.sort, &filter.after) {
        (Sort::Latest, Some(ThreadKey::Timed(pinned, at, id))) => query.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>(if on_activity {
                "(thread_activity.pinned, thread_activity.created_at, \
                 thread_activity.thread_id) < ("
            } else {
                "(threads.pinned, threads.created_at, threads.id) < ("
            })
            .bind::<diesel::sql_types::Bool, _>(*pinned)
            .sql(", ")
            .bind::<diesel::sql_types::Timestamptz, _>(*at)
            .sql(", ")
            .bind::<diesel::sql_types::BigInt, _>(*id)
            .sql(")"),
        ),
        (Sort::Active, Some(ThreadKey::Timed(pinned, at, id))) => query.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>(
                "(thread_activity.pinned, thread_activity.last_activity_at, \
                 thread_activity.thread_id) < (",
            )
            .bind::<diesel::sql_types::Bool, _>(*pinned)
            .sql(", ")
            .bind::<diesel::sql_types::Timestamptz, _>(*at)
            .sql(", ")
            .bind::<diesel::sql_types::BigInt, _>(*id)
            .sql(")"),
        ),
        (Sort::Top, Some(ThreadKey::Scored(score, id))) => query.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("(threads.score, threads.id) < (")
                .bind::<diesel::sql_types::Integer, _>(*score)
                .sql(", ")
                .bind::<diesel::sql_types::BigInt, _>(*id)
                .sql(")"),
        ),
        (_, None) => query,
        // A cursor of the wrong shape for this sort was refused when it was decoded.
        (_, Some(_)) => return Ok(Vec::new()),
    };
    query = match filter.sort {
        Sort::Latest if on_activity => query
            .filter(diesel::dsl::not(thread_activity::deleted))
            .order((
                thread_activity::pinned.desc(),
                thread_activity::created_at.desc(),
                thread_activity::thread_id.desc(),
            )),
        Sort::Latest => query.order((
            threads::pinned.desc(),
            threads::created_at.desc(),
            threads::id.desc(),
        )),
        // The activity row's own columns, so the page is a range of its index; its copy of
        // `deleted` states the index's predicate, written into the SQL (`NOT deleted`) so a
        // generic plan can use that partial index (a bound `deleted = $n` cannot).
        Sort::Active => query
            .filter(diesel::dsl::not(thread_activity::deleted))
            .order((
                thread_activity::pinned.desc(),
                thread_activity::last_activity_at.desc(),
                thread_activity::thread_id.desc(),
            )),
        Sort::Top => query.order((threads::score.desc(), threads::id.desc())),
    };
    // One row more than the page tells whether another page follows.
    sql::literal_limit(query, filter.limit + 1).load(conn)
}

pub fn find_thread(
    conn: &mut PgConnection,
    id: ThreadId,
) -> QueryResult<Option<(ThreadRow, AuthorRow)>> {
    threads::table
        .inner_join(users::table)
        .inner_join(thread_activity::table)
        .filter(threads::id.eq(id))
        .select((ThreadRow::as_select(), AuthorRow::as_select()))
        .first(conn)
        .optional()
}

/// The thread as it now is, without its author (after a write of this transaction).
fn thread_row(conn: &mut PgConnection, id: ThreadId) -> QueryResult<ThreadRow> {
    threads::table
        .inner_join(thread_activity::table)
        .filter(threads::id.eq(id))
        .select(ThreadRow::as_select())
        .first(conn)
}

/// Locks the thread for the rest of the transaction (votes, edits, moderation): its row and
/// its activity row, in that order (the order of the join), so it also waits for replies
/// being counted.
pub fn lock_thread(conn: &mut PgConnection, id: ThreadId) -> QueryResult<Option<ThreadRow>> {
    threads::table
        .inner_join(thread_activity::table)
        .filter(threads::id.eq(id))
        .select(ThreadRow::as_select())
        .for_no_key_update()
        .first(conn)
        .optional()
}

/// Writes a thread; a trigger adds its activity row (no replies, active since now).
pub fn insert_thread(conn: &mut PgConnection, new: &NewThread<'_>) -> QueryResult<ThreadRow> {
    let id = diesel::insert_into(threads::table)
        .values(new)
        .returning(threads::id)
        .get_result(conn)?;
    thread_row(conn, id)
}

pub fn update_thread(
    conn: &mut PgConnection,
    id: ThreadId,
    changes: &ThreadChanges,
) -> QueryResult<ThreadRow> {
    diesel::update(threads::table.find(id))
        .set((changes, threads::updated_at.eq(diesel::dsl::now)))
        .execute(conn)?;
    thread_row(conn, id)
}

pub fn soft_delete_thread(conn: &mut PgConnection, id: ThreadId) -> QueryResult<()> {
    diesel::update(threads::table.find(id))
        .set(threads::deleted_at.eq(diesel::dsl::now))
        .execute(conn)?;
    Ok(())
}

/// A reply came into readers' view (+1: restored) or left it (-1: deleted or hidden): the
/// thread's reply count and, for a reply by anyone but the thread's author, its answers move
/// in the same transaction. The last activity stays: nothing was posted.
pub fn count_reply(
    conn: &mut PgConnection,
    thread_id: ThreadId,
    reply_author: UserId,
    delta: i32,
) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE thread_activity \
            SET reply_count = reply_count + $2, \
                answers = answers + CASE WHEN author_id <> $3 THEN $2 ELSE 0 END \
          WHERE thread_id = $1",
    )
    .bind::<BigInt, _>(thread_id)
    .bind::<diesel::sql_types::Integer, _>(delta)
    .bind::<BigInt, _>(reply_author)
    .execute(conn)?;
    Ok(())
}

/// A thread's switches as a reply sees them: whether it may take the reply.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = thread_activity)]
pub struct ReplyTarget {
    pub locked: bool,
    pub hidden: bool,
    pub deleted: bool,
}

impl ReplyTarget {
    pub fn flags(&self) -> Flags {
        Flags::new(self.hidden, self.deleted)
    }
}

/// A reply [`post_reply`] put in, and what it learned of the thread on the way.
#[derive(Debug, QueryableByName)]
pub struct PostedReply {
    #[diesel(embed)]
    pub reply: ReplyRow,
    #[diesel(sql_type = BigInt)]
    pub thread_author_id: UserId,
    /// Whether the thread's author may rise in trust from the reply.
    #[diesel(sql_type = Bool)]
    pub thread_author_may_rise: bool,
}

/// Posts a reply in one statement, so one round trip and one commit: counts it on the
/// thread's activity row, inserts it, makes its author follow the thread (unless they already
/// chose how), removes the author's draft of it and enqueues `jobs` with the reply's id.
/// Nothing is written unless the thread takes the reply: not locked, not deleted, not hidden
/// unless `staff` (the rule of `visibility::can_see`; the refusal is told from
/// [`reply_target`] when this returns `None`).
///
/// Its jobs go in with it; the webhook event's (`webhooks::service::new_reply_job`) only
/// while an active hook listens to `reply.created` (the outbox: nothing written otherwise).
///
/// The activity row's lock orders the reply against other replies and against moderation,
/// whose changes write the same row (by trigger): a lock that commits first makes this
/// `UPDATE` re-check its condition on the locked row and write nothing.
pub fn post_reply(
    conn: &mut PgConnection,
    new: &NewReply<'_>,
    staff: bool,
    jobs: &[crate::jobs::JobForNewRow],
) -> QueryResult<Option<PostedReply>> {
    use diesel::sql_types::{Array, Jsonb, Text};
    let (kinds, payloads, id_keys) = crate::jobs::new_row_binds(jobs);
    static STATEMENT: LazyLock<String> = LazyLock::new(|| {
        format!(
            "WITH t AS ( \
             UPDATE thread_activity \
                SET reply_count = reply_count + 1, last_activity_at = now(), \
                    answers = answers + (author_id <> $3)::int \
              WHERE thread_id = $1 AND NOT locked AND NOT deleted AND (NOT hidden OR $2) \
          RETURNING thread_id, author_id, {may_rise} AS may_rise \
         ), r AS ( \
             INSERT INTO replies (thread_id, author_id, body, body_html) \
             SELECT thread_id, $3, $4, $5 FROM t \
          RETURNING id, thread_id, author_id, body, body_html, score, hidden, deleted_at, \
                    created_at, updated_at \
         ), followed AS ( \
             INSERT INTO thread_subscriptions (user_id, thread_id, level, reason) \
             SELECT author_id, thread_id, $6, $7 FROM r \
             ON CONFLICT DO NOTHING \
         ), drafted AS ( \
             DELETE FROM drafts d USING r \
              WHERE d.user_id = $3 AND d.key = 'reply-' || r.thread_id \
         ), queued AS ( \
             INSERT INTO jobs (kind, payload, max_attempts, run_at) \
             SELECT job.kind, jsonb_set(job.payload, ARRAY[job.id_at], to_jsonb(r.id)), $11, now() \
               FROM r, unnest($8::text[], $9::jsonb[], $10::text[]) AS job(kind, payload, id_at) \
              WHERE job.kind <> 'webhooks.event' OR webhooks_subscribed(job.payload ->> 'type') \
         ) \
         SELECT r.*, t.author_id AS thread_author_id, t.may_rise AS thread_author_may_rise \
           FROM r, t",
            may_rise = trust::model::ACTIVITY_AUTHOR_MAY_RISE,
        )
    });
    let statement = diesel::sql_query(STATEMENT.as_str())
        .bind::<BigInt, _>(new.thread_id)
        .bind::<Bool, _>(staff)
        .bind::<BigInt, _>(new.author_id)
        .bind::<Text, _>(new.body)
        .bind::<Text, _>(new.body_html)
        .bind::<Text, _>(SubscriptionLevel::Watching)
        .bind::<Text, _>(SubscriptionReason::Replied)
        .bind::<Array<Text>, _>(kinds)
        .bind::<Array<Jsonb>, _>(payloads)
        .bind::<Array<Text>, _>(id_keys)
        .bind::<diesel::sql_types::Int4, _>(crate::jobs::DEFAULT_MAX_ATTEMPTS);
    sql::prepared(statement).get_result(conn).optional()
}

/// The thread's switches as a refused reply found them (`None`: no such thread).
pub fn reply_target(conn: &mut PgConnection, id: ThreadId) -> QueryResult<Option<ReplyTarget>> {
    thread_activity::table
        .find(id)
        .select(ReplyTarget::as_select())
        .first(conn)
        .optional()
}

/// A page of a thread's replies with their authors. The thread's own visibility is part of
/// the same query, so the hot path is one statement; an empty page means "no more replies"
/// or "no such thread", which the caller tells apart only then.
/// Where a page of replies starts: after a cursor's reply, or after so many replies (the
/// numbered pages of the public thread page).
#[derive(Debug, Clone, Copy)]
pub enum RepliesFrom {
    After(Option<(DateTime<Utc>, ReplyId)>),
    Offset(i64),
}

pub fn list_replies(
    conn: &mut PgConnection,
    thread_id: ThreadId,
    from: RepliesFrom,
    audience: Audience,
    limit: i64,
) -> QueryResult<Vec<(ReplyRow, AuthorRow)>> {
    let mut query = replies::table
        .inner_join(users::table)
        .inner_join(threads::table)
        .filter(replies::thread_id.eq(thread_id))
        .filter(replies::deleted_at.is_null())
        .filter(threads::deleted_at.is_null())
        .select((ReplyRow::as_select(), AuthorRow::as_select()))
        .order((replies::created_at.asc(), replies::id.asc()))
        .limit(limit + 1)
        .into_boxed();
    if !audience.sees_hidden() {
        query = query
            .filter(visibility::public_replies())
            .filter(visibility::public_threads());
    }
    let after = match from {
        RepliesFrom::After(after) => after,
        RepliesFrom::Offset(offset) => {
            query = query.offset(offset);
            None
        }
    };
    if let Some((at, id)) = after {
        query = query.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("(replies.created_at, replies.id) > (")
                .bind::<diesel::sql_types::Timestamptz, _>(at)
                .sql(", ")
                .bind::<diesel::sql_types::BigInt, _>(id)
                .sql(")"),
        );
    }
    query.load(conn)
}

pub fn find_reply(
    conn: &mut PgConnection,
    id: ReplyId,
) -> QueryResult<Option<(ReplyRow, AuthorRow)>> {
    replies::table
        .inner_join(users::table)
        .filter(replies::id.eq(id))
        .select((ReplyRow::as_select(), AuthorRow::as_select()))
        .first(conn)
        .optional()
}

pub fn update_reply_body(
    conn: &mut PgConnection,
    id: ReplyId,
    body: &str,
    body_html: &str,
) -> QueryResult<ReplyRow> {
    diesel::update(replies::table.find(id))
        .set((
            replies::body.eq(body),
            replies::body_html.eq(body_html),
            replies::updated_at.eq(diesel::dsl::now),
        ))
        .returning(ReplyRow::as_returning())
        .get_result(conn)
}

pub fn soft_delete_reply(conn: &mut PgConnection, id: ReplyId) -> QueryResult<()> {
    diesel::update(replies::table.find(id))
        .set(replies::deleted_at.eq(diesel::dsl::now))
        .execute(conn)?;
    Ok(())
}

pub fn lock_reply(conn: &mut PgConnection, id: ReplyId) -> QueryResult<Option<ReplyRow>> {
    replies::table
        .filter(replies::id.eq(id))
        .select(ReplyRow::as_select())
        .for_no_key_update()
        .first(conn)
        .optional()
}

/// What a member votes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteTarget {
    Thread(ThreadId),
    Reply(ReplyId),
}

/// One definition of voting, stated for each votes table: read the caller's vote, write the
/// new one (0 removes it), move the content's score by the difference (returned).
macro_rules! votes_on {
    ($module:ident, $content:ident, $votes:ident, $key:ident, $id:ty) => {
        mod $module {
            use super::*;

            pub fn vote_of(conn: &mut PgConnection, id: $id, user_id: UserId) -> QueryResult<i16> {
                Ok($votes::table
                    .find((id, user_id))
                    .select($votes::value)
                    .first(conn)
                    .optional()?
                    .unwrap_or(0))
            }

            pub fn set(
                conn: &mut PgConnection,
                id: $id,
                user_id: UserId,
                value: i16,
            ) -> QueryResult<i32> {
                let previous = vote_of(conn, id, user_id)?;
                if value == 0 {
                    diesel::delete($votes::table.find((id, user_id))).execute(conn)?;
                } else {
                    diesel::insert_into($votes::table)
                        .values((
                            $votes::$key.eq(id),
                            $votes::user_id.eq(user_id),
                            $votes::value.eq(value),
                        ))
                        .on_conflict(($votes::$key, $votes::user_id))
                        .do_update()
                        .set($votes::value.eq(value))
                        .execute(conn)?;
                }
                let delta = i32::from(value) - i32::from(previous);
                if delta != 0 {
                    diesel::update($content::table.find(id))
                        .set($content::score.eq($content::score + delta))
                        .execute(conn)?;
                }
                Ok(delta)
            }
        }
    };
}

votes_on!(thread_votes_of, threads, thread_votes, thread_id, ThreadId);
votes_on!(reply_votes_of, replies, reply_votes, reply_id, ReplyId);

/// The member's vote on the content (0 when none).
pub fn vote_of(conn: &mut PgConnection, target: VoteTarget, user_id: UserId) -> QueryResult<i16> {
    match target {
        VoteTarget::Thread(id) => thread_votes_of::vote_of(conn, id, user_id),
        VoteTarget::Reply(id) => reply_votes_of::vote_of(conn, id, user_id),
    }
}

/// Sets the member's vote (0 removes it), moves the score and returns how far it moved. The
/// caller holds the content's row lock, so the read-then-write cannot interleave with another
/// vote.
pub fn set_vote(
    conn: &mut PgConnection,
    target: VoteTarget,
    user_id: UserId,
    value: i16,
) -> QueryResult<i32> {
    match target {
        VoteTarget::Thread(id) => thread_votes_of::set(conn, id, user_id, value),
        VoteTarget::Reply(id) => reply_votes_of::set(conn, id, user_id, value),
    }
}

/// Tags with at least one visible thread, most used first.
pub fn list_tags(conn: &mut PgConnection) -> QueryResult<Vec<(String, i32)>> {
    tags::table
        .filter(tags::thread_count.gt(0))
        .select((tags::name, tags::thread_count))
        .order((tags::thread_count.desc(), tags::name.asc()))
        .load(conn)
}

/// The id of the account with this username, if any (the `author` filter).
pub fn user_id_by_username(conn: &mut PgConnection, username: &str) -> QueryResult<Option<UserId>> {
    crate::accounts::User::find_by_username(conn, username).map(|u| u.map(|u| u.id))
}

/// Moderation's switches on a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadFlag {
    Hidden,
    Locked,
    Pinned,
}

/// Sets one of a thread's moderation switches; `updated_at` is left alone (the content did not
/// change).
pub fn set_thread_flag(
    conn: &mut PgConnection,
    id: ThreadId,
    flag: ThreadFlag,
    on: bool,
) -> QueryResult<()> {
    let target = threads::table.find(id);
    match flag {
        ThreadFlag::Hidden => diesel::update(target)
            .set(threads::hidden.eq(on))
            .execute(conn),
        ThreadFlag::Locked => diesel::update(target)
            .set(threads::locked.eq(on))
            .execute(conn),
        ThreadFlag::Pinned => diesel::update(target)
            .set(threads::pinned.eq(on))
            .execute(conn),
    }?;
    Ok(())
}

pub fn set_reply_hidden(conn: &mut PgConnection, id: ReplyId, hidden: bool) -> QueryResult<()> {
    diesel::update(replies::table.find(id))
        .set(replies::hidden.eq(hidden))
        .execute(conn)?;
    Ok(())
}
