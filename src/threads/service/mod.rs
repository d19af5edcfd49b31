//! Thread and reply operations: each write is one transaction that keeps the counters
//! (`reply_count`, `score`, `last_activity_at`) right under concurrent writers, and enqueues
//! the search index update with the change itself.

use diesel::prelude::*;

mod access;
pub mod drafts;
pub mod reads;
pub mod solutions;

pub use access::{ensure_visible, get_thread};
use access::{visible_reply_for_update, visible_thread_for_update};

use super::domain::{DraftKey, ThreadInput, ThreadPatch};
use super::model::{
    self, NewReply, NewThread, RepliesFrom, ThreadChanges, ThreadFilter, VoteTarget,
};
use super::rendering::{self, PostRef};
use super::rules;
use super::views::{ReplyView, TagList, TagView, ThreadSummary, ThreadView, VoteView};
use crate::accounts::User;
use crate::config::TrustSettings;
use crate::error::ApiError;
use crate::ids::{ReplyId, ThreadId, UploadId, UserId};
use crate::markdown;
use crate::notifications;
use crate::pagination::{self, Page};
use crate::rate_limit::PostingLimits;
use crate::search;
use crate::trust::{self, rules::PostKind};
use crate::uploads::{self, service::Post};
use crate::visibility::{self, Audience};

/// What posting asks besides the post: the author's posting limits and what a `new` account
/// may post.
pub struct Posting<'a> {
    pub limits: &'a PostingLimits,
    pub trust: &'a TrustSettings,
}

/// A member starts a thread: a `new` account's limits and the posting limit are checked, the
/// thread is written with its index update and notifications in one transaction, and the
/// author's trust level is looked at again.
pub fn create_thread(
    conn: &mut PgConnection,
    author: &User,
    input: &ThreadInput,
    posting: &Posting<'_>,
) -> Result<ThreadView, ApiError> {
    let rendered = markdown::render_in_request(&input.body);
    let kind = Some(PostKind::Thread);
    trust::service::check_post(conn, author, kind, rendered.embeds, posting.trust)?;
    // The uploads it shows before the posting limit: a refused post takes no turn.
    let shown = uploads::service::embeds(conn, &input.body, &[author.id])?;
    posting.limits.threads.check_on(conn, &author.id)?;
    let thread = insert_thread(conn, author, input, &rendered, &shown)?;
    drafts::remove_posted(conn, author, DraftKey::NewThread);
    trust::service::after_post_logged(conn, author, None, posting.trust);
    Ok(thread)
}

fn insert_thread(
    conn: &mut PgConnection,
    author: &User,
    input: &ThreadInput,
    rendered: &markdown::Rendered,
    shown: &[UploadId],
) -> Result<ThreadView, ApiError> {
    let body_html = rendered.html.as_str();
    let excerpt = markdown::excerpt(&input.body, rules::EXCERPT_CHARS);
    conn.transaction(|conn| {
        let row = model::insert_thread(
            conn,
            &NewThread {
                author_id: author.id,
                title: &input.title,
                body: &input.body,
                body_html,
                excerpt: &excerpt,
                tags: &input.tags,
            },
        )?;
        search::enqueue(conn, row.id)?;
        rendering::enqueue(conn, PostRef::Thread(row.id), rendered)?;
        if !shown.is_empty() {
            uploads::service::use_in(conn, Post::Thread(row.id), shown)?;
        }
        notifications::events::thread_started(conn, author.id, row.id, &input.body, &input.tags)?;
        Ok(ThreadView::new(row, author_row(author), Some(0)))
    })
}

fn author_row(user: &User) -> model::AuthorRow {
    model::AuthorRow {
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        avatar_url: user.avatar_url.clone(),
    }
}

/// A page of thread summaries; a signed-in `reader`'s carry what they have not read.
pub fn list_threads(
    conn: &mut PgConnection,
    filter: &ThreadFilter,
    author: Option<&str>,
    reader: Option<&User>,
) -> Result<Page<ThreadSummary>, ApiError> {
    let mut filter = filter.clone();
    if let Some(username) = author {
        match model::user_id_by_username(conn, username)? {
            Some(id) => filter.author_id = Some(id),
            None => {
                return Ok(Page {
                    items: Vec::new(),
                    next_cursor: None,
                })
            }
        }
    }
    let sort = filter.sort;
    filter.reader = reader.map(|member| member.id);
    let rows = model::list_threads(conn, &filter)?;
    // Since when a thread is new to the reader: kept a minute per member (`reads::new_since`).
    let since = reader
        .map(|member| reads::new_since(conn, member))
        .transpose()?;
    Ok(Page::from_rows(
        rows,
        filter.limit,
        |(row, _, _)| pagination::encode(sort.listing(), &row.key(sort)),
        |(row, author, position)| {
            let mut summary = ThreadSummary::new((row, author));
            if let (Some(member), Some(since)) = (reader, since) {
                reads::annotate(&mut summary, member, position, since);
            }
            summary
        },
    ))
}

/// Its author or a moderator edits a thread; a `new` account's limits on what a new body
/// embeds hold.
pub fn update_thread(
    conn: &mut PgConnection,
    id: ThreadId,
    actor: &User,
    patch: &ThreadPatch,
    trust: &TrustSettings,
) -> Result<ThreadView, ApiError> {
    let rendered = patch.body.as_deref().map(markdown::render_in_request);
    if let Some(rendered) = &rendered {
        trust::service::check_post(conn, actor, None, rendered.embeds, trust)?;
    }
    let unfinished = rendered.as_ref().is_some_and(rendering::unfinished);
    let changes = changes_of(patch, rendered.map(|r| r.html));
    conn.transaction(|conn| {
        let row = visible_thread_for_update(conn, id, actor)?;
        rules::ensure_can_modify(actor, row.author_id)?;
        if !patch.is_empty() {
            model::update_thread(conn, id, &changes)?;
            if let Some(body) = &patch.body {
                let shown = uploads::service::embeds(conn, body, &[row.author_id, actor.id])?;
                uploads::service::use_in(conn, Post::Thread(id), &shown)?;
                if unfinished {
                    rendering::enqueue_for(conn, PostRef::Thread(id))?;
                }
                notifications::events::thread_edited(conn, id, body)?;
            }
            // Replies' documents carry their thread's title and tags.
            if changes.title.is_some() || changes.tags.is_some() {
                search::enqueue_thread_and_replies(conn, id)?;
            } else {
                search::enqueue(conn, id)?;
            }
        }
        get_thread(conn, id, Some(actor))
    })
}

/// The columns an edit writes: a new body is rendered once, here.
fn changes_of(patch: &ThreadPatch, body_html: Option<String>) -> ThreadChanges {
    ThreadChanges {
        title: patch.title.clone(),
        body: patch.body.clone(),
        body_html,
        excerpt: patch
            .body
            .as_deref()
            .map(|body| markdown::excerpt(body, rules::EXCERPT_CHARS)),
        tags: patch.tags.clone(),
    }
}

pub fn delete_thread(conn: &mut PgConnection, id: ThreadId, actor: &User) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        let row = visible_thread_for_update(conn, id, actor)?;
        rules::ensure_can_modify(actor, row.author_id)?;
        model::soft_delete_thread(conn, id)?;
        search::enqueue_thread_and_replies(conn, id)?;
        Ok(())
    })
}

pub fn list_replies(
    conn: &mut PgConnection,
    thread_id: ThreadId,
    viewer: Option<&User>,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Page<ReplyView>, ApiError> {
    let after = cursor.map(|c| pagination::decode(REPLIES, c)).transpose()?;
    replies_from(conn, thread_id, viewer, RepliesFrom::After(after), limit)
}

/// A thread's replies after skipping `skipped` of them, `limit` of them: the public thread
/// page's numbered pages and its feed. Its `next_cursor` continues from there.
pub fn replies_skipping(
    conn: &mut PgConnection,
    thread_id: ThreadId,
    viewer: Option<&User>,
    skipped: i64,
    limit: i64,
) -> Result<Page<ReplyView>, ApiError> {
    replies_from(
        conn,
        thread_id,
        viewer,
        RepliesFrom::Offset(skipped.max(0)),
        limit,
    )
}

/// The listing name of replies' cursors.
const REPLIES: &str = "replies";

fn replies_from(
    conn: &mut PgConnection,
    thread_id: ThreadId,
    viewer: Option<&User>,
    from: RepliesFrom,
    limit: i64,
) -> Result<Page<ReplyView>, ApiError> {
    let audience = Audience::of(viewer);
    let rows = model::list_replies(conn, thread_id, from, audience, limit)?;
    if rows.is_empty() {
        let (thread, _) = model::find_thread(conn, thread_id)?.ok_or(ApiError::NotFound)?;
        if !visibility::can_see(viewer, thread.flags()) {
            return Err(ApiError::NotFound);
        }
    }
    Ok(Page::from_rows(
        rows,
        limit,
        |(row, _)| pagination::encode(REPLIES, &(row.created_at, row.id)),
        ReplyView::new,
    ))
}

/// A reply just posted, and the thread's author when they may still rise in trust (not
/// `regular` yet, not pinned); `trust::service` decides what a reply to one's own thread counts.
struct NewReplyOutcome {
    reply: ReplyView,
    thread_author_may_rise: Option<UserId>,
}

/// A member replies: a `new` account's limits and the posting limit are checked (on this
/// connection, outside the transaction), the reply is written with its counters, index update
/// and notifications in one transaction, and trust levels are looked at again.
pub fn create_reply(
    conn: &mut PgConnection,
    thread_id: ThreadId,
    author: &User,
    body: &str,
    posting: &Posting<'_>,
) -> Result<ReplyView, ApiError> {
    let rendered = markdown::render_in_request(body);
    let kind = Some(PostKind::Reply);
    trust::service::check_post(conn, author, kind, rendered.embeds, posting.trust)?;
    let shown = uploads::service::embeds(conn, body, &[author.id])?;
    posting.limits.replies.check_on(conn, &author.id)?;
    let unfinished = rendering::unfinished(&rendered);
    let outcome = if shown.is_empty() {
        insert_reply(conn, thread_id, author, body, &rendered.html, unfinished)?
    } else {
        // Only a reply that shows uploads needs a transaction around its one statement.
        conn.transaction(|conn| {
            let outcome = insert_reply(conn, thread_id, author, body, &rendered.html, unfinished)?;
            uploads::service::use_in(conn, Post::Reply(outcome.reply.id), &shown)?;
            Ok::<_, ApiError>(outcome)
        })?
    };
    let may_rise = outcome.thread_author_may_rise;
    trust::service::after_post_logged(conn, author, may_rise, posting.trust);
    Ok(outcome.reply)
}

fn insert_reply(
    conn: &mut PgConnection,
    thread_id: ThreadId,
    author: &User,
    body: &str,
    body_html: &str,
    unfinished: bool,
) -> Result<NewReplyOutcome, ApiError> {
    let new = NewReply {
        thread_id,
        author_id: author.id,
        body,
        body_html,
    };
    let mut jobs = vec![
        search::sync_new_reply_job()?,
        notifications::events::new_reply_job()?,
        crate::webhooks::service::new_reply_job(),
    ];
    // Code to highlight or links alone on their line: the job finishes the rendering.
    if unfinished {
        jobs.push(rendering::new_reply_job()?);
    }
    match model::post_reply(conn, &new, author.is_staff(), &jobs)? {
        Some(posted) => Ok(NewReplyOutcome {
            reply: ReplyView::new((posted.reply, author_row(author))),
            thread_author_may_rise: posted
                .thread_author_may_rise
                .then_some(posted.thread_author_id),
        }),
        None => Err(reply_refusal(conn, thread_id, author)),
    }
}

/// Why the thread took no reply, as it stands now: unknown or unseen (`404`), else locked.
/// A thread that was refused and is open again by now (unlocked in between) reads as locked,
/// which it was when the reply came.
fn reply_refusal(conn: &mut PgConnection, thread_id: ThreadId, author: &User) -> ApiError {
    match model::reply_target(conn, thread_id) {
        Ok(Some(thread)) if visibility::can_see(Some(author), thread.flags()) => {
            rules::thread_locked()
        }
        Ok(_) => ApiError::NotFound,
        Err(error) => error.into(),
    }
}

/// Its author or a moderator edits a reply; a `new` account's limits on what it embeds hold.
pub fn update_reply(
    conn: &mut PgConnection,
    id: ReplyId,
    actor: &User,
    body: &str,
    trust: &TrustSettings,
) -> Result<ReplyView, ApiError> {
    let rendered = markdown::render_in_request(body);
    trust::service::check_post(conn, actor, None, rendered.embeds, trust)?;
    let unfinished = rendering::unfinished(&rendered);
    let body_html = rendered.html;
    conn.transaction(|conn| {
        let reply = visible_reply_for_update(conn, id, actor)?;
        rules::ensure_can_modify(actor, reply.author_id)?;
        let shown = uploads::service::embeds(conn, body, &[reply.author_id, actor.id])?;
        model::update_reply_body(conn, id, body, &body_html)?;
        uploads::service::use_in(conn, Post::Reply(id), &shown)?;
        if unfinished {
            rendering::enqueue_for(conn, PostRef::Reply(id))?;
        }
        search::enqueue(conn, id)?;
        notifications::events::reply_edited(conn, id, body)?;
        let row = model::find_reply(conn, id)?.ok_or(ApiError::NotFound)?;
        Ok(ReplyView::new(row))
    })
}

pub fn delete_reply(conn: &mut PgConnection, id: ReplyId, actor: &User) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        let reply = visible_reply_for_update(conn, id, actor)?;
        rules::ensure_can_modify(actor, reply.author_id)?;
        // The reply is locked before the thread here; no path locks a reply while holding
        // its thread, so this order cannot deadlock.
        model::soft_delete_reply(conn, id)?;
        search::enqueue(conn, id)?;
        if !reply.hidden {
            model::count_reply(conn, reply.thread_id, reply.author_id, -1)?;
        }
        solutions::after_reply_changed(conn, id)?;
        Ok(())
    })
}

/// Records the actor's vote on a thread or reply they may see and did not write.
pub fn vote(
    conn: &mut PgConnection,
    target: VoteTarget,
    actor: &User,
    value: i16,
) -> Result<VoteView, ApiError> {
    conn.transaction(|conn| {
        // The locked row's score is the score before this vote.
        let (author_id, score_before, document) = match target {
            VoteTarget::Thread(id) => {
                let thread = visible_thread_for_update(conn, id, actor)?;
                (thread.author_id, thread.score, search::DocRef::from(id))
            }
            VoteTarget::Reply(id) => {
                let reply = visible_reply_for_update(conn, id, actor)?;
                (reply.author_id, reply.score, search::DocRef::from(id))
            }
        };
        rules::ensure_can_vote(actor, author_id)?;
        let delta = model::set_vote(conn, target, actor.id, value)?;
        let score = score_before + delta;
        resync_if_votes_moved(conn, document, score_before, score)?;
        Ok(VoteView {
            score,
            my_vote: value,
        })
    })
}

/// Search ranks better-voted posts first among equals, by bucket of votes: the document is
/// synced again only when a vote moves the post into another bucket.
fn resync_if_votes_moved(
    conn: &mut PgConnection,
    document: search::DocRef,
    score_before: i32,
    score: i32,
) -> Result<(), ApiError> {
    if search::votes_bucket(score) != search::votes_bucket(score_before) {
        search::enqueue(conn, document)?;
    }
    Ok(())
}

/// Tags in use, with the number of threads the public sees carrying each, most used first.
pub fn list_tags(conn: &mut PgConnection) -> Result<TagList, ApiError> {
    let items = model::list_tags(conn)?
        .into_iter()
        .map(|(name, thread_count)| TagView { name, thread_count })
        .collect();
    Ok(TagList { items })
}
