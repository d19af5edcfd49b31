//! The statements only the public pages make: a thread page's validators, and the rows of the
//! sitemaps, read in slices so no file ever holds all rows in memory at once.

use chrono::{DateTime, Utc};
use diesel::dsl::max;
use diesel::prelude::*;

use crate::ids::{MeetupId, ReplyId, ThreadId};
use crate::schema::{meetups, replies, thread_activity, threads};
use crate::visibility;

/// What a thread page's `ETag` and `Last-Modified` are made of, and its title (for the slug),
/// read from the thread's row and its activity row; `None` when the public does not see it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = thread_activity, check_for_backend(diesel::pg::Pg))]
pub struct PageStamp {
    #[diesel(select_expression = threads::title)]
    pub title: String,
    /// The thread's score (votes move no trigger; the page shows it).
    #[diesel(select_expression = threads::score)]
    pub score: i32,
    pub reply_count: i32,
    pub last_activity_at: DateTime<Utc>,
    pub changed_at: DateTime<Utc>,
}

pub fn public_page_stamp(conn: &mut PgConnection, id: ThreadId) -> QueryResult<Option<PageStamp>> {
    threads::table
        .inner_join(thread_activity::table)
        .filter(threads::id.eq(id))
        .filter(visibility::public_threads())
        .select(PageStamp::as_select())
        .first(conn)
        .optional()
}

/// The Markdown of a reply (the accepted answer's text in a page's structured data).
pub fn reply_body(conn: &mut PgConnection, id: ReplyId) -> QueryResult<Option<String>> {
    replies::table
        .find(id)
        .filter(visibility::public_replies())
        .select(replies::body)
        .first(conn)
        .optional()
}

/// A URL of a sitemap.
#[derive(Debug, Clone, Queryable)]
pub struct SitemapRow {
    pub id: i64,
    pub title: String,
    pub last_activity_at: DateTime<Utc>,
}

fn sitemap_rows<Id>(
    rows: Vec<(Id, String, DateTime<Utc>)>,
    number: fn(Id) -> i64,
) -> Vec<SitemapRow> {
    rows.into_iter()
        .map(|(id, title, last_activity_at)| SitemapRow {
            id: number(id),
            title,
            last_activity_at,
        })
        .collect()
}

/// The highest thread id: how many sitemap files of threads there are.
pub fn last_thread_id(conn: &mut PgConnection) -> QueryResult<Option<ThreadId>> {
    threads::table.select(max(threads::id)).first(conn)
}

/// The last activity among public threads with ids in `first..=last`: a sitemap file's
/// `lastmod` in the index (`None`: no public thread there).
pub fn last_activity_between(
    conn: &mut PgConnection,
    first: i64,
    last: i64,
) -> QueryResult<Option<DateTime<Utc>>> {
    thread_activity::table
        .filter(thread_activity::thread_id.between(ThreadId(first), ThreadId(last)))
        .filter(thread_activity::deleted.eq(false))
        .filter(diesel::dsl::not(thread_activity::hidden))
        .select(max(thread_activity::last_activity_at))
        .first(conn)
}

/// Public threads with ids after `after` and at most `last`, `limit` of them in id order.
pub fn public_threads_after(
    conn: &mut PgConnection,
    after: i64,
    last: i64,
    limit: i64,
) -> QueryResult<Vec<SitemapRow>> {
    threads::table
        .inner_join(thread_activity::table)
        .filter(threads::id.gt(ThreadId(after)))
        .filter(threads::id.le(ThreadId(last)))
        .filter(visibility::public_threads())
        .order(threads::id.asc())
        .limit(limit)
        .select((
            threads::id,
            threads::title,
            thread_activity::last_activity_at,
        ))
        .load::<(ThreadId, String, DateTime<Utc>)>(conn)
        .map(|rows| sitemap_rows(rows, |id| id.0))
}

/// The newest `limit` public meetups (their sitemap), with when each last changed.
pub fn public_meetups(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<SitemapRow>> {
    meetups::table
        .filter(visibility::public_meetups())
        .order(meetups::id.desc())
        .limit(limit)
        .select((meetups::id, meetups::title, meetups::updated_at))
        .load::<(MeetupId, String, DateTime<Utc>)>(conn)
        .map(|rows| sitemap_rows(rows, |id| id.0))
}
