//! What other features tell notifications, inside their own transactions: a thread was
//! started, a reply was posted. Only follows and enqueues; the fan-out runs in the worker.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::domain::SubscriptionReason;
use super::model;
use crate::error::ApiError;
use crate::ids::{ReplyId, ThreadId, UserId};

/// The job that tells the right members about a new reply.
pub const NOTIFY_REPLY_JOB: &str = "notify_reply";

#[derive(Debug, Serialize, Deserialize)]
pub struct NotifyReply {
    pub reply_id: ReplyId,
}

/// The author follows the thread they started.
pub fn thread_started(
    conn: &mut PgConnection,
    author: UserId,
    thread: ThreadId,
) -> Result<(), ApiError> {
    model::follow(conn, author, thread, SubscriptionReason::Created)?;
    Ok(())
}

/// The replier follows the thread (unless they already chose how), and the reply's fan-out is
/// enqueued in the same transaction as the reply.
pub fn reply_posted(
    conn: &mut PgConnection,
    author: UserId,
    thread: ThreadId,
    reply: ReplyId,
) -> Result<(), ApiError> {
    model::follow(conn, author, thread, SubscriptionReason::Replied)?;
    let payload =
        serde_json::to_value(NotifyReply { reply_id: reply }).map_err(anyhow::Error::from)?;
    crate::jobs::enqueue(conn, NOTIFY_REPLY_JOB, &payload)?;
    Ok(())
}
