//! The statements of appeals (`service::appeals` holds the use cases).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::ids::{AppealId, ModerationLogId, UserId};
use crate::moderation::domain::{AppealStatus, Content};
use crate::schema::{appeals, meetups, messages, replies, threads};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = appeals)]
pub struct AppealRow {
    pub id: AppealId,
    pub log_id: ModerationLogId,
    pub appellant_id: UserId,
    pub text: String,
    pub automatic: bool,
    pub status: AppealStatus,
    pub decided_by: Option<UserId>,
    pub note: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Who wrote a thread, reply or meetup (deleted ones too).
pub fn author_of(conn: &mut PgConnection, content: Content) -> QueryResult<Option<UserId>> {
    match content {
        Content::Thread(id) => threads::table
            .find(id)
            .select(threads::author_id)
            .first(conn)
            .optional(),
        Content::Reply(id) => replies::table
            .find(id)
            .select(replies::author_id)
            .first(conn)
            .optional(),
        Content::Meetup(id) => meetups::table
            .find(id)
            .select(meetups::organizer_id)
            .first(conn)
            .optional(),
        Content::Message(id) => messages::table
            .find(id)
            .select(messages::author_id)
            .first(conn)
            .optional(),
    }
}

/// Whether content is hidden now (and not deleted).
pub fn is_hidden(conn: &mut PgConnection, content: Content) -> QueryResult<bool> {
    let hidden: Option<bool> = match content {
        Content::Thread(id) => threads::table
            .find(id)
            .filter(threads::deleted_at.is_null())
            .select(threads::hidden)
            .first(conn)
            .optional()?,
        Content::Reply(id) => replies::table
            .find(id)
            .filter(replies::deleted_at.is_null())
            .select(replies::hidden)
            .first(conn)
            .optional()?,
        Content::Meetup(id) => meetups::table
            .find(id)
            .select(meetups::hidden)
            .first(conn)
            .optional()?,
        Content::Message(id) => messages::table
            .find(id)
            .select(messages::hidden)
            .first(conn)
            .optional()?,
    };
    Ok(hidden.unwrap_or(false))
}
