//! What the API shows of threads, replies, votes and tags.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::views::MemberSummary;
use crate::ids::{ReplyId, ThreadId};

use super::model::{AuthorRow, ReplyRow, ThreadRow, ThreadSummaryRow};

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
}

impl ThreadView {
    pub fn new(row: ThreadRow, author: AuthorRow, my_vote: Option<i16>) -> Self {
        ThreadView {
            id: row.id,
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
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ThreadSummary {
    pub id: ThreadId,
    pub title: String,
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
}

impl ThreadSummary {
    pub fn new((row, author): (ThreadSummaryRow, AuthorRow)) -> Self {
        ThreadSummary {
            id: row.id,
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
}
