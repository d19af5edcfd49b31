//! Who may do what to threads and replies, as plain functions.

use crate::accounts::User;
use crate::error::ApiError;
use crate::ids::UserId;

/// A listing shows this many characters of a thread's body.
pub const EXCERPT_CHARS: usize = 280;

/// How many drafts a member keeps at once.
pub const MAX_DRAFTS: i64 = 50;

pub fn too_many_drafts() -> ApiError {
    ApiError::unprocessable(
        "too_many_drafts",
        format!("You already keep {MAX_DRAFTS} drafts: post or discard one to save another."),
    )
}

/// Authors edit and delete their own posts; moderators and admins anyone's.
pub fn ensure_can_modify(actor: &User, author_id: UserId) -> Result<(), ApiError> {
    if actor.id == author_id || actor.is_staff() {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "not_author",
            "Only the author or a moderator can change this.",
        ))
    }
}

/// The thread's author and staff choose (and remove) its solution.
pub fn ensure_can_choose_solution(actor: &User, thread_author: UserId) -> Result<(), ApiError> {
    if actor.id == thread_author || actor.is_staff() {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "not_author",
            "Only the thread's author or a moderator can choose its solution.",
        ))
    }
}

/// A solution must be a reply of the thread that readers see.
pub fn invalid_solution(detail: &str) -> ApiError {
    ApiError::unprocessable("invalid_solution", detail)
}

/// Nobody votes on their own post.
pub fn ensure_can_vote(actor: &User, author_id: UserId) -> Result<(), ApiError> {
    if actor.id == author_id {
        Err(ApiError::forbidden(
            "own_post",
            "You cannot vote on your own post.",
        ))
    } else {
        Ok(())
    }
}

/// A reply to a locked thread: refused, staff included (unlock first). The statement that
/// posts a reply holds the rule (`model::post_reply`: `NOT locked`); this is its answer.
pub fn thread_locked() -> ApiError {
    ApiError::conflict(
        "thread_locked",
        "This thread is locked; it takes no new replies.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::accounts::model::fixture as user;
    use crate::accounts::Role;

    #[test]
    fn authors_and_staff_modify() {
        assert!(ensure_can_modify(&user(1, Role::Member), UserId(1)).is_ok());
        assert!(ensure_can_modify(&user(2, Role::Member), UserId(1)).is_err());
        assert!(ensure_can_modify(&user(2, Role::Moderator), UserId(1)).is_ok());
        assert!(ensure_can_modify(&user(2, Role::Admin), UserId(1)).is_ok());
    }

    #[test]
    fn the_thread_s_author_and_staff_choose_its_solution() {
        assert!(ensure_can_choose_solution(&user(1, Role::Member), UserId(1)).is_ok());
        assert!(ensure_can_choose_solution(&user(2, Role::Member), UserId(1)).is_err());
        assert!(ensure_can_choose_solution(&user(2, Role::Moderator), UserId(1)).is_ok());
        assert!(ensure_can_choose_solution(&user(2, Role::Admin), UserId(1)).is_ok());
    }

    #[test]
    fn votes() {
        assert!(ensure_can_vote(&user(1, Role::Member), UserId(1)).is_err());
        assert!(ensure_can_vote(&user(1, Role::Member), UserId(2)).is_ok());
    }
}
