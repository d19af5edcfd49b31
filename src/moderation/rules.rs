//! Who may act on whom, and when reports hide content by themselves, as plain functions.

use crate::accounts::{Role, User};
use crate::error::ApiError;
use crate::ids::UserId;

/// Nobody suspends themselves or an admin (or hides all their content); only admins act so
/// on moderators.
pub fn ensure_can_suspend(actor: &User, target: &User) -> Result<(), ApiError> {
    if actor.id == target.id {
        return Err(ApiError::forbidden(
            "cannot_moderate_self",
            "You cannot suspend your own account or hide all of your own content.",
        ));
    }
    let allowed = match target.role() {
        Role::Member => true,
        Role::Moderator => actor.role() == Role::Admin,
        Role::Admin => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "cannot_moderate_staff",
            "Only an admin can suspend a moderator or hide all their content, and nobody an admin's: demote first.",
        ))
    }
}

/// An appeal is decided by someone other than the moderator whose action it contests (any
/// admin may decide any appeal), and never by the appellant.
pub fn ensure_can_decide(
    decider: &User,
    action_actor: Option<UserId>,
    appellant: UserId,
) -> Result<(), ApiError> {
    if decider.id == appellant {
        return Err(ApiError::forbidden(
            "own_appeal",
            "You cannot decide your own appeal.",
        ));
    }
    if decider.role() != Role::Admin && action_actor == Some(decider.id) {
        return Err(ApiError::forbidden(
            "own_action",
            "This appeal contests your own action: another moderator or an admin decides it.",
        ));
    }
    Ok(())
}

/// Demoting the last admin would leave nobody able to manage roles.
pub fn ensure_an_admin_remains(current: Role, new: Role, admins: i64) -> Result<(), ApiError> {
    if current == Role::Admin && new != Role::Admin && admins <= 1 {
        Err(ApiError::conflict(
            "last_admin",
            "This is the last admin; make another member admin first.",
        ))
    } else {
        Ok(())
    }
}

/// Reports from `threshold` distinct members hide content pending review (0: never).
pub fn should_auto_hide(open_reports: i64, threshold: u32) -> bool {
    threshold > 0 && open_reports >= i64::from(threshold)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::model::fixture as user;
    use crate::accounts::Role;

    #[test]
    fn who_suspends_whom() {
        let member = user(1, Role::Member);
        let other = user(2, Role::Member);
        let moderator = user(3, Role::Moderator);
        let admin = user(4, Role::Admin);
        let other_admin = user(5, Role::Admin);
        assert!(ensure_can_suspend(&moderator, &member).is_ok());
        assert!(ensure_can_suspend(&admin, &member).is_ok());
        assert!(ensure_can_suspend(&admin, &moderator).is_ok());
        assert!(ensure_can_suspend(&moderator, &user(6, Role::Moderator)).is_err());
        assert!(ensure_can_suspend(&moderator, &admin).is_err());
        assert!(ensure_can_suspend(&admin, &other_admin).is_err());
        assert!(ensure_can_suspend(&moderator, &moderator).is_err());
        // The extractor keeps members out before this rule is asked.
        assert!(ensure_can_suspend(&member, &other).is_ok());
    }

    #[test]
    fn who_decides_an_appeal() {
        let acting = user(1, Role::Moderator);
        let other = user(2, Role::Moderator);
        let admin = user(3, Role::Admin);
        let appellant = UserId(9);
        assert!(ensure_can_decide(&acting, Some(acting.id), appellant).is_err());
        assert!(ensure_can_decide(&other, Some(acting.id), appellant).is_ok());
        // Any admin decides any appeal, their own actions' too.
        assert!(ensure_can_decide(&admin, Some(admin.id), appellant).is_ok());
        // The automatic hide has no actor: any moderator decides.
        assert!(ensure_can_decide(&acting, None, appellant).is_ok());
        // Nobody decides their own appeal.
        assert!(ensure_can_decide(&admin, None, admin.id).is_err());
    }

    #[test]
    fn the_last_admin_stays() {
        assert!(ensure_an_admin_remains(Role::Admin, Role::Member, 1).is_err());
        assert!(ensure_an_admin_remains(Role::Admin, Role::Moderator, 2).is_ok());
        assert!(ensure_an_admin_remains(Role::Admin, Role::Admin, 1).is_ok());
        assert!(ensure_an_admin_remains(Role::Member, Role::Admin, 1).is_ok());
    }

    #[test]
    fn auto_hide_threshold() {
        assert!(!should_auto_hide(2, 3));
        assert!(should_auto_hide(3, 3));
        assert!(!should_auto_hide(100, 0));
    }
}
