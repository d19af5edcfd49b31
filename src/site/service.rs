//! What each public page shows, read as an anonymous visitor through the features' own use
//! cases, so a page shows exactly what the API shows the public (hidden, deleted and
//! suspended members' content by the same rules).

use diesel::PgConnection;

use super::model::{self, PageStamp};
use crate::accounts::{self, views::UserView};
use crate::error::ApiError;
use crate::ids::{MeetupId, ThreadId};
use crate::meetups::{self, views::MeetupView};
use crate::pagination::{self, Page};
use crate::threads::model::ThreadFilter;
use crate::threads::views::{ReplyView, ThreadSummary, ThreadView};
use crate::threads::{self, domain::Sort};
use crate::visibility::Audience;

/// Replies on a page of a thread.
pub const REPLIES_PER_PAGE: i64 = 50;
/// Threads on a tag's or a member's page.
pub const THREADS_PER_PAGE: i64 = 30;

/// How many pages a thread of `reply_count` replies has (at least one).
pub fn page_count(reply_count: i32) -> i64 {
    (i64::from(reply_count.max(0)) + REPLIES_PER_PAGE - 1).max(REPLIES_PER_PAGE) / REPLIES_PER_PAGE
}

/// A thread's validators and title, when the public sees it.
pub fn stamp(conn: &mut PgConnection, id: ThreadId) -> Result<PageStamp, ApiError> {
    model::public_page_stamp(conn, id)?.ok_or(ApiError::NotFound)
}

/// Page `page` of a thread as a visitor sees it.
pub struct ThreadPage {
    pub thread: ThreadView,
    pub replies: Page<ReplyView>,
    pub pages: i64,
    /// The accepted answer's text, when the thread has one.
    pub accepted_text: Option<String>,
}

pub fn thread(conn: &mut PgConnection, id: ThreadId, page: i64) -> Result<ThreadPage, ApiError> {
    let thread = threads::service::get_thread(conn, id, None)?;
    let pages = page_count(thread.reply_count);
    if !(1..=pages).contains(&page) {
        return Err(ApiError::NotFound);
    }
    let skipped = (page - 1) * REPLIES_PER_PAGE;
    let replies = threads::service::replies_skipping(conn, id, None, skipped, REPLIES_PER_PAGE)?;
    let accepted_text = match &thread.solution {
        Some(solution) => {
            model::reply_body(conn, solution.reply_id)?.map(|body| super::jsonld::plain(&body))
        }
        None => None,
    };
    Ok(ThreadPage {
        thread,
        replies,
        pages,
        accepted_text,
    })
}

/// A thread with its newest replies, newest first: its feed.
pub fn thread_feed(
    conn: &mut PgConnection,
    id: ThreadId,
) -> Result<(ThreadView, Vec<ReplyView>), ApiError> {
    let thread = threads::service::get_thread(conn, id, None)?;
    let skipped = i64::from(thread.reply_count) - REPLIES_PER_PAGE;
    let mut replies =
        threads::service::replies_skipping(conn, id, None, skipped, REPLIES_PER_PAGE)?.items;
    replies.reverse();
    Ok((thread, replies))
}

pub fn meetup(conn: &mut PgConnection, id: MeetupId) -> Result<MeetupView, ApiError> {
    meetups::service::get(conn, id, None)
}

/// The newest public threads, of one tag or all, from `cursor`.
pub fn newest_threads(
    conn: &mut PgConnection,
    tag: Option<&str>,
    author: Option<&str>,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Page<ThreadSummary>, ApiError> {
    let after = pagination::decode_optional(Sort::Latest.listing(), cursor)?;
    let filter = ThreadFilter {
        sort: Sort::Latest,
        tag: tag.map(str::to_string),
        author_id: None,
        status: None,
        after,
        audience: Audience::Public,
        reading: None,
        reader: None,
        limit,
    };
    threads::service::list_threads(conn, &filter, author, None)
}

/// A member's public profile and their newest threads.
pub fn member(
    conn: &mut PgConnection,
    username: &str,
) -> Result<(UserView, Vec<ThreadSummary>), ApiError> {
    let user = accounts::service::member_named(conn, username)?;
    let view = UserView::for_viewer(&user, None);
    let threads = newest_threads(conn, None, Some(&user.username), None, THREADS_PER_PAGE)?;
    Ok((view, threads.items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_hold_fifty_replies_and_there_is_always_one() {
        assert_eq!(page_count(0), 1);
        assert_eq!(page_count(1), 1);
        assert_eq!(page_count(50), 1);
        assert_eq!(page_count(51), 2);
        assert_eq!(page_count(100), 2);
        assert_eq!(page_count(101), 3);
        assert_eq!(page_count(-3), 1);
    }
}
