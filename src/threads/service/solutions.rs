//! Solutions: a thread's author, or staff, marks the reply that answered the question. The
//! choice is logged for staff, tells the reply's author once, syncs the thread's search
//! document (`solved`) and counts towards the reply author's trust. A solution whose reply is
//! hidden or deleted stops counting until the reply is restored.

use chrono::Utc;
use diesel::prelude::*;

use super::access::{get_thread, visible_thread_for_update};
use crate::accounts::User;
use crate::config::TrustSettings;
use crate::error::ApiError;
use crate::ids::{ReplyId, ThreadId, UserId};
use crate::notifications::{self, NotificationKind, Subject};
use crate::search;
use crate::threads::model::{self, solutions};
use crate::threads::rules;
use crate::threads::views::ThreadView;
use crate::trust;

/// Marks `reply` as the thread's solution, replacing any other; choosing the current one
/// again changes nothing.
pub fn choose(
    conn: &mut PgConnection,
    thread: ThreadId,
    reply: ReplyId,
    actor: &User,
    trust_settings: &TrustSettings,
) -> Result<ThreadView, ApiError> {
    let (view, affected) = conn.transaction(|conn| {
        let row = visible_thread_for_update(conn, thread, actor)?;
        rules::ensure_can_choose_solution(actor, row.author_id)?;
        let chosen = model::lock_reply(conn, reply)?
            .filter(|r| r.thread_id == thread)
            .ok_or_else(|| rules::invalid_solution("The reply is not one of this thread's."))?;
        if chosen.hidden || chosen.deleted_at.is_some() {
            return Err(rules::invalid_solution(
                "A hidden or deleted reply cannot be the solution.",
            ));
        }
        let previous = solutions::chosen_reply(conn, thread)?;
        let mut affected = Vec::new();
        if previous != Some(reply) {
            solutions::choose(conn, thread, reply, actor.id)?;
            solutions::log(
                conn,
                actor.id,
                solutions::LOG_MARK,
                thread,
                &format!("reply {reply}"),
            )?;
            notifications::events::tell(
                conn,
                &format!("solution:{reply}"),
                chosen.author_id,
                NotificationKind::Solution,
                Some(actor.id),
                Subject::reply(thread, reply),
                None,
            )?;
            affected.push(chosen.author_id);
            if let Some(previous) = previous {
                if let Some((old, _)) = model::find_reply(conn, previous)? {
                    affected.push(old.author_id);
                }
            }
        }
        if solutions::refresh_solved(conn, thread)? || previous != Some(reply) {
            search::enqueue(conn, thread)?;
        }
        Ok::<_, ApiError>((get_thread(conn, thread, Some(actor))?, affected))
    })?;
    recompute_trust(conn, &affected, trust_settings);
    Ok(view)
}

/// Removes the thread's solution (nothing to remove is no error: the outcome is the same).
pub fn remove(
    conn: &mut PgConnection,
    thread: ThreadId,
    actor: &User,
    trust_settings: &TrustSettings,
) -> Result<(), ApiError> {
    let affected = conn.transaction(|conn| {
        let row = visible_thread_for_update(conn, thread, actor)?;
        rules::ensure_can_choose_solution(actor, row.author_id)?;
        let Some(previous) = solutions::chosen_reply(conn, thread)? else {
            return Ok::<_, ApiError>(Vec::new());
        };
        solutions::remove(conn, thread)?;
        solutions::log(
            conn,
            actor.id,
            solutions::LOG_UNMARK,
            thread,
            &format!("reply {previous}"),
        )?;
        solutions::refresh_solved(conn, thread)?;
        search::enqueue(conn, thread)?;
        let author = model::find_reply(conn, previous)?.map(|(reply, _)| reply.author_id);
        Ok(author.into_iter().collect())
    })?;
    recompute_trust(conn, &affected, trust_settings);
    Ok(())
}

/// A reply was hidden, restored or deleted, in the caller's transaction (which holds the
/// reply's lock): when it is its thread's solution, the thread's `solved` follows and its
/// search document with it. Whether the thread changed.
pub fn after_reply_changed(conn: &mut PgConnection, reply: ReplyId) -> Result<bool, ApiError> {
    let Some(thread) = solutions::thread_solved_by(conn, reply)? else {
        return Ok(false);
    };
    let changed = solutions::refresh_solved(conn, thread)?;
    if changed {
        search::enqueue(conn, thread)?;
    }
    Ok(changed)
}

/// Solutions count towards their authors' trust: levels are looked at again once the choice
/// is committed (a failure is logged; the periodic recomputation catches up).
fn recompute_trust(conn: &mut PgConnection, members: &[UserId], settings: &TrustSettings) {
    for member in members {
        if let Err(error) = trust::service::recompute(conn, *member, settings, Utc::now()) {
            tracing::warn!(%error, user = member.get(), "could not recompute a trust level");
        }
    }
}
