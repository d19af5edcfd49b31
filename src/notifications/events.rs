//! What other features tell notifications, inside their own transactions: a thread was
//! started or edited, a reply was posted or edited, and the direct events of mentorship,
//! meetups and moderation. Replies and threads only follow and enqueue (their recipients can
//! be thousands: the fan-out runs in the worker); a direct event has its few recipients and is
//! recorded at once.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::domain::{NotificationKind, SubscriptionReason};
use super::mail::Draft;
use super::model::{self, Subject};
use crate::error::ApiError;
use crate::ids::{ReplyId, ThreadId, UserId};
use crate::markdown;

/// The job that tells the right members about a new or edited reply.
pub const NOTIFY_REPLY_JOB: &str = "notify_reply";
/// The job that tells the right members about a new or edited thread.
pub const NOTIFY_THREAD_JOB: &str = "notify_thread";

impl crate::jobs::ConnTask for NotifyReply {
    const KIND: &'static str = NOTIFY_REPLY_JOB;
    type Needs = ();

    fn run(self, conn: &mut PgConnection, _: &()) -> anyhow::Result<()> {
        super::service::deliver_reply(conn, &self)?;
        Ok(())
    }
}

impl crate::jobs::ConnTask for NotifyThread {
    const KIND: &'static str = NOTIFY_THREAD_JOB;
    type Needs = ();

    fn run(self, conn: &mut PgConnection, _: &()) -> anyhow::Result<()> {
        super::service::deliver_thread(conn, &self)?;
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct NotifyReply {
    pub reply_id: ReplyId,
    /// An edit: only members mentioned for the first time are told.
    #[serde(default)]
    pub edited: bool,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct NotifyThread {
    pub thread_id: ThreadId,
    /// An edit: only members mentioned for the first time are told.
    #[serde(default)]
    pub edited: bool,
}

fn enqueue(conn: &mut PgConnection, kind: &str, work: &impl Serialize) -> Result<(), ApiError> {
    let payload = serde_json::to_value(work).map_err(anyhow::Error::from)?;
    crate::jobs::enqueue(conn, kind, &payload)?;
    Ok(())
}

/// The author follows the thread they started; its mentions and the watchers of its tags are
/// told by the worker.
pub fn thread_started(
    conn: &mut PgConnection,
    author: UserId,
    thread: ThreadId,
    body: &str,
    tags: &[String],
) -> Result<(), ApiError> {
    model::follow(conn, author, thread, SubscriptionReason::Created)?;
    if !tags.is_empty() || !markdown::mentions(body).is_empty() {
        let work = NotifyThread {
            thread_id: thread,
            edited: false,
        };
        enqueue(conn, NOTIFY_THREAD_JOB, &work)?;
    }
    Ok(())
}

/// A thread's body changed: members it now mentions for the first time are told.
pub fn thread_edited(
    conn: &mut PgConnection,
    thread: ThreadId,
    body: &str,
) -> Result<(), ApiError> {
    if markdown::mentions(body).is_empty() {
        return Ok(());
    }
    let work = NotifyThread {
        thread_id: thread,
        edited: true,
    };
    enqueue(conn, NOTIFY_THREAD_JOB, &work)
}

/// The fan-out job of a reply the same statement inserts (`jobs::JobForNewRow`); that
/// statement also makes the replier follow the thread unless they already chose how
/// (`threads::model::post_reply`), so both commit with the reply.
pub fn new_reply_job() -> Result<crate::jobs::JobForNewRow, ApiError> {
    let work = NotifyReply {
        reply_id: ReplyId(0),
        edited: false,
    };
    Ok(crate::jobs::JobForNewRow {
        spec: crate::jobs::JobSpec {
            kind: NOTIFY_REPLY_JOB,
            payload: serde_json::to_value(work).map_err(anyhow::Error::from)?,
        },
        id_at: "reply_id",
    })
}

/// A reply's body changed: members it now mentions for the first time are told.
pub fn reply_edited(conn: &mut PgConnection, reply: ReplyId, body: &str) -> Result<(), ApiError> {
    if markdown::mentions(body).is_empty() {
        return Ok(());
    }
    let work = NotifyReply {
        reply_id: reply,
        edited: true,
    };
    enqueue(conn, NOTIFY_REPLY_JOB, &work)
}

/// A direct event for one member, recorded now (in the caller's transaction) under `event`,
/// so the same event never tells them twice. Nobody is told of their own action, nor of one
/// by a member they blocked. `mail`: the message the feature prepared for it, which goes out
/// as the member's email preferences say (kinds that mail without one get a plain message).
pub fn tell(
    conn: &mut PgConnection,
    event: &str,
    recipient: UserId,
    kind: NotificationKind,
    actor: Option<UserId>,
    subject: Subject,
    mail: Option<Draft>,
) -> Result<(), ApiError> {
    let mail = mail
        .map(|draft| serde_json::to_value(draft).map_err(anyhow::Error::from))
        .transpose()?;
    model::insert_direct(
        conn,
        event,
        &[recipient],
        kind,
        actor,
        subject,
        mail.as_ref(),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_reply_s_fan_out_takes_its_id_where_the_payload_names_the_reply() {
        let job = new_reply_job().expect("job").for_row(7);
        assert_eq!(job.kind, NOTIFY_REPLY_JOB);
        let work: NotifyReply = serde_json::from_value(job.payload).expect("a NotifyReply");
        assert_eq!((work.reply_id, work.edited), (ReplyId(7), false));
    }
}
