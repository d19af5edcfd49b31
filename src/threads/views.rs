//! What the API shows of threads, replies, votes and tags.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::views::MemberSummary;
use crate::ids::{ReplyId, ThreadId};

use super::model::drafts::DraftRow;
use super::model::solutions::SolutionRow;
use super::model::{AuthorRow, ReplyRow, ThreadRow, ThreadSummaryRow};

/// How much of a solution the thread shows under its question.
pub const SOLUTION_EXCERPT_CHARS: usize = 400;

/// The reply chosen as a thread's solution, as the thread shows it under the question.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SolutionView {
    pub reply_id: ReplyId,
    /// The reply's author.
    pub author: MemberSummary,
    /// The reply's first blocks, rendered and sanitised like `body_html`.
    pub excerpt_html: String,
    /// Who chose it: the thread's author or a moderator (null once their account is gone).
    pub chosen_by: Option<MemberSummary>,
    pub chosen_at: DateTime<Utc>,
}

impl SolutionView {
    pub fn new(row: SolutionRow) -> Self {
        SolutionView {
            reply_id: row.reply_id,
            author: row.author.summary(),
            excerpt_html: crate::markdown::excerpt_html(&row.body, SOLUTION_EXCERPT_CHARS),
            chosen_by: row.chosen_by.map(AuthorRow::summary),
            chosen_at: row.chosen_at,
        }
    }
}

impl AuthorRow {
    pub fn summary(self) -> MemberSummary {
        MemberSummary {
            username: self.username,
            display_name: self.display_name,
            avatar_url: self.avatar_url,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ThreadView {
    pub id: ThreadId,
    pub title: String,
    /// The readable part of the thread's public page URL (`/t/{id}/{slug}`).
    pub slug: String,
    /// The Markdown as written.
    pub body: String,
    /// Rendered and sanitised HTML.
    pub body_html: String,
    pub tags: Vec<String>,
    pub author: MemberSummary,
    pub reply_count: i32,
    pub score: i32,
    pub pinned: bool,
    pub locked: bool,
    /// Only staff ever see `true`.
    pub hidden: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    /// The caller's vote (1, 0 or -1), when signed in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub my_vote: Option<i16>,
    /// Whether a reply readers see is marked as the solution.
    pub solved: bool,
    /// That reply, to show under the question (null when unsolved).
    pub solution: Option<SolutionView>,
    /// For a signed-in member: the last reply they read (absent when they have not read past
    /// the question), so the thread opens at the first unread one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub last_read_reply_id: Option<ReplyId>,
    /// For a signed-in member: replies after their position (0 in a thread they never opened).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub unread_replies: Option<i32>,
}

impl ThreadView {
    pub fn new(row: ThreadRow, author: AuthorRow, my_vote: Option<i16>) -> Self {
        ThreadView {
            id: row.id,
            slug: crate::slugs::of(&row.title, "thread"),
            title: row.title,
            body: row.body,
            body_html: row.body_html,
            tags: row.tags,
            author: author.summary(),
            reply_count: row.reply_count,
            score: row.score,
            pinned: row.pinned,
            locked: row.locked,
            hidden: row.hidden,
            created_at: row.created_at,
            updated_at: row.updated_at,
            last_activity_at: row.last_activity_at,
            my_vote,
            solved: row.solved,
            solution: None,
            last_read_reply_id: None,
            unread_replies: None,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ThreadSummary {
    pub id: ThreadId,
    pub title: String,
    /// The readable part of the thread's public page URL (`/t/{id}/{slug}`).
    pub slug: String,
    /// The start of the body as plain text.
    pub excerpt: String,
    pub tags: Vec<String>,
    pub author: MemberSummary,
    pub reply_count: i32,
    pub score: i32,
    pub pinned: bool,
    pub locked: bool,
    pub hidden: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    /// Whether a reply readers see is marked as the solution.
    pub solved: bool,
    /// For a signed-in member: replies after their position (0 in a thread they never opened).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub unread_replies: Option<i32>,
    /// For a signed-in member: started by someone else since their previous visit, never
    /// opened.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub new: Option<bool>,
}

impl ThreadSummary {
    pub fn new((row, author): (ThreadSummaryRow, AuthorRow)) -> Self {
        ThreadSummary {
            id: row.id,
            slug: crate::slugs::of(&row.title, "thread"),
            title: row.title,
            excerpt: row.excerpt,
            tags: row.tags,
            author: author.summary(),
            reply_count: row.reply_count,
            score: row.score,
            pinned: row.pinned,
            locked: row.locked,
            hidden: row.hidden,
            created_at: row.created_at,
            updated_at: row.updated_at,
            last_activity_at: row.last_activity_at,
            solved: row.solved,
            unread_replies: None,
            new: None,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReplyView {
    pub id: ReplyId,
    pub thread_id: ThreadId,
    pub body: String,
    pub body_html: String,
    pub author: MemberSummary,
    pub score: i32,
    pub hidden: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ReplyView {
    pub fn new((row, author): (ReplyRow, AuthorRow)) -> Self {
        ReplyView {
            id: row.id,
            thread_id: row.thread_id,
            body: row.body,
            body_html: row.body_html,
            author: author.summary(),
            score: row.score,
            hidden: row.hidden,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VoteView {
    pub score: i32,
    pub my_vote: i16,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TagView {
    pub name: String,
    /// Visible threads carrying the tag.
    pub thread_count: i32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TagList {
    pub items: Vec<TagView>,
}

/// A Markdown body as a post would show it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PreviewView {
    /// Rendered and sanitised HTML.
    pub body_html: String,
    /// What posting this body would refuse for the caller (a `new` account's limits on images
    /// and links), as the post's `403` would say it; empty when it would go through.
    #[serde(default)]
    pub warnings: Vec<PreviewWarning>,
}

/// One reason a post of the previewed body would be refused.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PreviewWarning {
    /// The `code` of the refusal (`new_account_images`, `new_account_links`).
    pub code: String,
    /// What it says, in words for the member.
    pub detail: String,
}

/// A draft kept on the server.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DraftView {
    /// `new-thread` or `reply-{thread_id}`.
    pub key: String,
    pub title: Option<String>,
    /// Markdown as typed.
    pub body: String,
    pub tags: Vec<String>,
    pub updated_at: DateTime<Utc>,
}

impl DraftView {
    pub fn new(row: DraftRow) -> Self {
        DraftView {
            key: row.key,
            title: row.title,
            body: row.body,
            tags: row.tags,
            updated_at: row.updated_at,
        }
    }
}

/// The member's drafts, the latest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DraftList {
    pub items: Vec<DraftView>,
}
