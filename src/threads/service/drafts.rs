//! Server-kept drafts: saved as the member types, restored on any device, removed by the post
//! they became.

use diesel::prelude::*;

use super::access::ensure_visible;
use crate::accounts::User;
use crate::error::ApiError;
use crate::threads::domain::{DraftInput, DraftKey};
use crate::threads::model::drafts::{self, DraftChanges};
use crate::threads::rules;
use crate::threads::views::{DraftList, DraftView};

pub fn list(conn: &mut PgConnection, member: &User) -> Result<DraftList, ApiError> {
    let items = drafts::list(conn, member.id)?
        .into_iter()
        .map(DraftView::new)
        .collect();
    Ok(DraftList { items })
}

pub fn get(conn: &mut PgConnection, member: &User, key: DraftKey) -> Result<DraftView, ApiError> {
    drafts::find(conn, member.id, &key.to_string())?
        .map(DraftView::new)
        .ok_or(ApiError::NotFound)
}

/// Writes the draft under `key`; a reply's draft only for a thread the member sees, and no
/// more than [`rules::MAX_DRAFTS`] drafts per member.
pub fn save(
    conn: &mut PgConnection,
    member: &User,
    key: DraftKey,
    input: &DraftInput,
) -> Result<DraftView, ApiError> {
    if let DraftKey::Reply(thread) = key {
        ensure_visible(conn, thread, member)?;
    }
    let key = key.to_string();
    let changes = DraftChanges {
        title: input.title.as_deref(),
        body: &input.body,
        tags: &input.tags,
    };
    conn.transaction(|conn| {
        if drafts::find(conn, member.id, &key)?.is_none()
            && drafts::count(conn, member.id)? >= rules::MAX_DRAFTS
        {
            return Err(rules::too_many_drafts());
        }
        Ok(DraftView::new(drafts::save(
            conn, member.id, &key, &changes,
        )?))
    })
}

/// Removes the draft under `key`, if there is one.
pub fn remove(conn: &mut PgConnection, member: &User, key: DraftKey) -> Result<(), ApiError> {
    drafts::remove(conn, member.id, &key.to_string())?;
    Ok(())
}

/// After a post: the draft it was is gone. The post is saved whatever happens here, so a
/// failure is logged, never the request's.
pub fn remove_posted(conn: &mut PgConnection, member: &User, key: DraftKey) {
    if let Err(error) = drafts::remove(conn, member.id, &key.to_string()) {
        tracing::warn!(%error, user = member.id.get(), "could not remove a posted draft");
    }
}
