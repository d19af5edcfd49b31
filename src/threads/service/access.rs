//! Reading a thread or reply as the caller may see it: the thread page, and the locked rows
//! every write starts from (404 for what the caller may not see).

use diesel::prelude::*;

use crate::accounts::User;
use crate::error::ApiError;
use crate::ids::{ReplyId, ThreadId};
use crate::threads::model::{self, VoteTarget};
use crate::threads::views::{SolutionView, ThreadView};
use crate::visibility;

/// A thread the viewer may see, or 404.
pub fn get_thread(
    conn: &mut PgConnection,
    id: ThreadId,
    viewer: Option<&User>,
) -> Result<ThreadView, ApiError> {
    let (row, author) = model::find_thread(conn, id)?.ok_or(ApiError::NotFound)?;
    if !visibility::can_see(viewer, row.flags()) {
        return Err(ApiError::NotFound);
    }
    let my_vote = match viewer {
        Some(viewer) => Some(model::vote_of(conn, VoteTarget::Thread(id), viewer.id)?),
        None => None,
    };
    // Only a solved thread asks for its solution: an open question costs no query more.
    let solution = if row.solved {
        model::solutions::visible_solution(conn, id)?.map(SolutionView::new)
    } else {
        None
    };
    let mut view = ThreadView::new(row, author, my_vote);
    view.solution = solution;
    if let Some(viewer) = viewer {
        let position = super::reads::position(conn, viewer, id)?;
        view.last_read_reply_id = position.as_ref().and_then(|p| p.last_read_reply_id);
        view.unread_replies = Some(super::reads::unread(view.reply_count, position.as_ref()));
    }
    Ok(view)
}

/// 404 unless the thread exists and the viewer may see it.
pub fn ensure_visible(
    conn: &mut PgConnection,
    id: ThreadId,
    viewer: &User,
) -> Result<(), ApiError> {
    let (row, _) = model::find_thread(conn, id)?.ok_or(ApiError::NotFound)?;
    if visibility::can_see(Some(viewer), row.flags()) {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

pub(super) fn visible_thread_for_update(
    conn: &mut PgConnection,
    id: ThreadId,
    viewer: &User,
) -> Result<model::ThreadRow, ApiError> {
    let row = model::lock_thread(conn, id)?.ok_or(ApiError::NotFound)?;
    if !visibility::can_see(Some(viewer), row.flags()) {
        return Err(ApiError::NotFound);
    }
    Ok(row)
}

/// A reply the actor may see, in a thread the actor may see, locked for update.
pub(super) fn visible_reply_for_update(
    conn: &mut PgConnection,
    id: ReplyId,
    actor: &User,
) -> Result<model::ReplyRow, ApiError> {
    let reply = model::lock_reply(conn, id)?.ok_or(ApiError::NotFound)?;
    if !visibility::can_see(Some(actor), reply.flags()) {
        return Err(ApiError::NotFound);
    }
    let (thread, _) = model::find_thread(conn, reply.thread_id)?.ok_or(ApiError::NotFound)?;
    if !visibility::can_see(Some(actor), thread.flags()) {
        return Err(ApiError::NotFound);
    }
    Ok(reply)
}
