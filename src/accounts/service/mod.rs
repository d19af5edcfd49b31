//! Account operations over a database connection: each is one transaction, and each
//! email it causes is enqueued inside that transaction.

pub mod admin;
pub mod api_tokens;
pub mod erasure;
pub mod export;
pub mod passkeys;
pub mod second_factor;

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::domain::{ProfileChanges, Purpose};
use super::model::{self, Rotation};
use super::model::{NewUser, User};
use super::rules::login_delay;
use super::tokens::RefreshPolicy;
use super::{EmailAddress, Role, Username};
use crate::config::AuthSettings;
use crate::error::ApiError;
use crate::ids::UserId;
use erasure::ErasureSettings;

fn username_taken() -> ApiError {
    ApiError::conflict("username_taken", "That username is taken.")
}

fn email_taken() -> ApiError {
    ApiError::conflict("email_taken", "An account with that email address exists.")
}

/// A cheap check before the expensive password hash; `register` re-checks under the
/// unique indexes, which settle any race.
pub fn ensure_available(
    conn: &mut PgConnection,
    username: &Username,
    email: &EmailAddress,
) -> Result<(), ApiError> {
    if User::find_by_username(conn, username.as_str())?.is_some()
        || crate::accounts::model::erasure::is_reserved(conn, username.as_str())?
    {
        return Err(username_taken());
    }
    if User::find_by_email(conn, email.as_str())?.is_some() {
        return Err(email_taken());
    }
    Ok(())
}

pub fn register(
    conn: &mut PgConnection,
    username: &Username,
    email: &EmailAddress,
    display_name: Option<&str>,
    password_hash: &str,
    base_url: &str,
) -> Result<User, ApiError> {
    conn.transaction(|conn| {
        if crate::accounts::model::erasure::is_reserved(conn, username.as_str())? {
            return Err(username_taken());
        }
        let user = User::insert(
            conn,
            &NewUser {
                username: username.as_str(),
                email: email.as_str(),
                password_hash,
                role: Role::Member,
                email_verified: false,
                display_name,
                username_pending: false,
            },
        )
        .map_err(|error| match &error {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                if info.constraint_name() == Some("users_email_lower_key") {
                    email_taken()
                } else {
                    username_taken()
                }
            }
            _ => error.into(),
        })?;
        send_verification_email(conn, &user, base_url)?;
        Ok(user)
    })
}

/// Mails `user` a link that verifies their address.
pub fn send_verification_email(
    conn: &mut PgConnection,
    user: &User,
    base_url: &str,
) -> Result<(), ApiError> {
    let token = model::create_link_token(conn, user.id, Purpose::VerifyEmail, None)?;
    crate::email::enqueue(
        conn,
        &user.email,
        "verify_email",
        serde_json::json!({
            "username": user.username,
            "link": link(base_url, "verify-email", &token),
        }),
    )?;
    Ok(())
}

fn link(base_url: &str, page: &str, token: &str) -> String {
    format!("{}/{page}?token={token}", base_url.trim_end_matches('/'))
}

fn invalid_token() -> ApiError {
    ApiError::bad_request("invalid_token", "The token is unknown, used or expired.")
}

/// Uses a verification link: a new account's address, or a changed address (which then
/// replaces the old one, if no other account took it meanwhile).
pub fn verify_email(conn: &mut PgConnection, token: &str) -> Result<User, ApiError> {
    conn.transaction(|conn| {
        let used =
            model::consume_link_token(conn, token, &[Purpose::VerifyEmail, Purpose::ChangeEmail])?
                .ok_or_else(invalid_token)?;
        match (used.purpose, used.email) {
            (Purpose::ChangeEmail, Some(new_email)) => {
                let user =
                    User::set_verified_email(conn, used.user_id, &new_email).map_err(|error| {
                        match error {
                            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                                email_unavailable()
                            }
                            error => error.into(),
                        }
                    })?;
                // A verification link still on its way to the old address names nothing now.
                model::expire_link_tokens(conn, used.user_id, Purpose::VerifyEmail)?;
                Ok(user)
            }
            _ => Ok(User::mark_email_verified(conn, used.user_id)?),
        }
    })
}

/// Sends a fresh verification link when `email` names an account not yet verified; nothing
/// otherwise (the caller answers the same either way).
pub fn resend_verification(
    conn: &mut PgConnection,
    email: &EmailAddress,
    base_url: &str,
) -> Result<(), ApiError> {
    conn.transaction(|conn| match User::find_by_email(conn, email.as_str())? {
        Some(user) if !user.email_verified => send_verification_email(conn, &user, base_url),
        _ => Ok(()),
    })
}

/// An address another account uses, or that one is changing to: refused without saying whose.
fn email_unavailable() -> ApiError {
    ApiError::conflict("email_taken", "That email address cannot be used.")
}

/// Sets a new password (the current one was checked): every access token ends (the caller's
/// client refreshes), every other login ends, and the member is told by mail.
pub fn change_password(
    conn: &mut PgConnection,
    user: &User,
    keep: uuid::Uuid,
    password_hash: &str,
    base_url: &str,
) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        User::reset_password(conn, user.id, password_hash)?;
        model::revoke_all_for_user(conn, user.id, Some(keep))?;
        model::expire_link_tokens(conn, user.id, Purpose::PasswordReset)?;
        crate::email::enqueue(
            conn,
            &user.email,
            "password_changed",
            serde_json::json!({
                "username": user.username,
                "link": format!("{}/forgot-password", base_url.trim_end_matches('/')),
            }),
        )?;
        Ok(())
    })
}

/// Starts an email change (the password was checked): a link to the new address applies it;
/// the old address is told, with a link that undoes it.
pub fn request_email_change(
    conn: &mut PgConnection,
    user: &User,
    new_email: &EmailAddress,
    base_url: &str,
) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        if let Some(owner) = User::find_by_email(conn, new_email.as_str())? {
            if owner.id == user.id {
                return Err(ApiError::invalid_field(
                    "new_email",
                    "is already your address",
                ));
            }
            return Err(email_unavailable());
        }
        let token = model::create_link_token(
            conn,
            user.id,
            Purpose::ChangeEmail,
            Some(new_email.as_str()),
        )?;
        crate::email::enqueue(
            conn,
            new_email.as_str(),
            "email_change_verify",
            serde_json::json!({
                "username": user.username,
                "link": link(base_url, "verify-email", &token),
            }),
        )?;
        let undo =
            model::create_link_token(conn, user.id, Purpose::UndoEmailChange, Some(&user.email))?;
        crate::email::enqueue(
            conn,
            &user.email,
            "email_change_notice",
            serde_json::json!({
                "username": user.username,
                "new_email": new_email.as_str(),
                "link": link(base_url, "undo-email-change", &undo),
            }),
        )?;
        Ok(())
    })
}

/// The old address's undo link: a pending change dies; a change already made is reversed, and
/// every session ends (whoever made it is signed out).
pub fn undo_email_change(conn: &mut PgConnection, token: &str) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        let used = model::consume_link_token(conn, token, &[Purpose::UndoEmailChange])?
            .ok_or_else(invalid_token)?;
        let old_email = used.email.ok_or_else(invalid_token)?;
        model::expire_link_tokens(conn, used.user_id, Purpose::ChangeEmail)?;
        let user = User::find(conn, used.user_id)?;
        if !user.email.eq_ignore_ascii_case(&old_email) {
            User::set_verified_email(conn, user.id, &old_email).map_err(|error| match error {
                DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                    email_unavailable()
                }
                error => error.into(),
            })?;
            User::bump_session_generation(conn, user.id)?;
            model::revoke_all_for_user(conn, user.id, None)?;
        }
        Ok(())
    })
}

/// The account's signed-in devices.
pub fn sessions(conn: &mut PgConnection, user_id: UserId) -> Result<Vec<model::Session>, ApiError> {
    Ok(model::live_sessions(conn, user_id)?)
}

/// Ends one of the account's logins; 404 when it has none working by that id.
pub fn end_session(
    conn: &mut PgConnection,
    user_id: UserId,
    session: uuid::Uuid,
) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        if model::revoke_session(conn, user_id, session)? {
            Ok(())
        } else {
            Err(ApiError::NotFound)
        }
    })
}

/// Ends every login of the account, and every access token with them.
pub fn logout_everywhere(conn: &mut PgConnection, user_id: UserId) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        User::bump_session_generation(conn, user_id)?;
        model::revoke_all_for_user(conn, user_id, None)?;
        Ok(())
    })
}

#[derive(Debug)]
pub enum LoginAttempt {
    Known(Box<User>),
    Unknown,
    Throttled { retry_after_secs: u64 },
}

/// Looks the account up and applies the per-account delay after repeated failures.
pub fn begin_login(
    conn: &mut PgConnection,
    login: &str,
    auth: &AuthSettings,
) -> Result<LoginAttempt, ApiError> {
    let Some(user) = User::find_by_login(conn, login)? else {
        return Ok(LoginAttempt::Unknown);
    };
    Ok(match seconds_to_wait(&user, auth) {
        Some(retry_after_secs) => LoginAttempt::Throttled { retry_after_secs },
        None => LoginAttempt::Known(Box::new(user)),
    })
}

/// How many seconds the account must wait before its password is tried again (after
/// repeated failures), if any: for a login and for every action confirmed with the password.
pub fn seconds_to_wait(user: &User, auth: &AuthSettings) -> Option<u64> {
    let max = Duration::seconds(auth.login_max_delay_secs as i64);
    login_delay(
        user.failed_login_count,
        user.last_failed_login_at,
        Utc::now(),
        auth.login_failures_before_delay,
        max,
    )
    .map(|wait| {
        (wait.num_milliseconds().max(0) as u64)
            .div_ceil(1000)
            .max(1)
    })
}

/// Every factor given: the failure count resets and a new login (token family) begins,
/// remembering its `method`.
pub fn complete_login(
    conn: &mut PgConnection,
    user_id: UserId,
    ttl: Duration,
    user_agent: Option<&str>,
    method: &str,
) -> Result<(uuid::Uuid, String), ApiError> {
    conn.transaction(|conn| {
        User::clear_failed_logins(conn, user_id)?;
        Ok(model::start_family(conn, user_id, ttl, user_agent, method)?)
    })
}

/// A new token pair's parts: the account, its session, the refresh token.
pub fn refresh(
    conn: &mut PgConnection,
    token: &str,
    policy: &RefreshPolicy,
    user_agent: Option<&str>,
) -> Result<(User, uuid::Uuid, String), ApiError> {
    // The transaction commits a detected reuse's revocation before the 401 goes out.
    let rotation = conn.transaction(|conn| model::rotate(conn, token, policy, user_agent))?;
    match rotation {
        Rotation::Rotated {
            user_id,
            session,
            token,
        } => Ok((User::find(conn, user_id)?, session, token)),
        Rotation::Reused => {
            tracing::warn!("refresh token reused; its whole login was revoked");
            Err(invalid_refresh_token())
        }
        Rotation::Invalid => Err(invalid_refresh_token()),
    }
}

fn invalid_refresh_token() -> ApiError {
    ApiError::Unauthorized {
        code: "invalid_refresh_token",
        detail: "The refresh token is unknown, expired or revoked; sign in again.".into(),
    }
}

pub fn request_password_reset(
    conn: &mut PgConnection,
    email: &EmailAddress,
    base_url: &str,
) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        let Some(user) = User::find_by_email(conn, email.as_str())? else {
            return Ok(());
        };
        let token = model::create_link_token(conn, user.id, Purpose::PasswordReset, None)?;
        crate::email::enqueue(
            conn,
            &user.email,
            "password_reset",
            serde_json::json!({
                "username": user.username,
                "link": link(base_url, "reset-password", &token),
            }),
        )?;
        Ok(())
    })
}

/// Uses the token, sets the password and ends every session of the account.
pub fn reset_password(
    conn: &mut PgConnection,
    token: &str,
    password_hash: &str,
) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        let user_id = model::consume_link_token(conn, token, &[Purpose::PasswordReset])?
            .ok_or_else(invalid_token)?
            .user_id;
        User::reset_password(conn, user_id, password_hash)?;
        model::revoke_all_for_user(conn, user_id, None)?;
        Ok(())
    })
}

/// A wrong password: the account's failure count (and with it the login delay) grows.
pub fn record_failed_login(conn: &mut PgConnection, user_id: UserId) -> Result<(), ApiError> {
    Ok(User::record_failed_login(conn, user_id)?)
}

/// Ends the login (the token family) this refresh token belongs to.
pub fn logout(conn: &mut PgConnection, refresh_token: &str) -> Result<(), ApiError> {
    Ok(model::revoke_login(conn, refresh_token)?)
}

pub fn update_profile(
    conn: &mut PgConnection,
    user_id: UserId,
    changes: &ProfileChanges,
) -> Result<User, ApiError> {
    Ok(User::update_profile(conn, user_id, changes)?)
}

/// A member whose account a provider made confirms or changes the suggested username, once.
pub fn choose_username(
    conn: &mut PgConnection,
    user_id: UserId,
    username: &Username,
) -> Result<User, ApiError> {
    conn.transaction(|conn| {
        let user = User::lock(conn, user_id)?;
        if !user.username_pending {
            return Err(ApiError::conflict(
                "username_chosen",
                "The username was chosen already.",
            ));
        }
        let taken = User::find_by_username(conn, username.as_str())?
            .is_some_and(|other| other.id != user_id)
            || crate::accounts::model::erasure::is_reserved(conn, username.as_str())?;
        if taken {
            return Err(username_taken());
        }
        User::choose_username(conn, user_id, username.as_str()).map_err(|error| match error {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => username_taken(),
            error => error.into(),
        })
    })
}

/// The account with this username (any case), or 404.
pub fn member_named(conn: &mut PgConnection, username: &str) -> Result<User, ApiError> {
    User::find_by_username(conn, username)?.ok_or(ApiError::NotFound)
}

/// The member deletes their own account (the password was checked): erased at once.
pub fn delete_own_account(
    conn: &mut PgConnection,
    user_id: UserId,
    settings: &ErasureSettings,
) -> Result<(), ApiError> {
    erasure::erase(conn, user_id, settings).map(drop)
}
