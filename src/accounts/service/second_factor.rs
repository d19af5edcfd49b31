//! Second factors, one transaction per use case: setting TOTP up (a pending secret, then a
//! first code confirms it and gives the recovery codes), turning it off, and the login's
//! second step (`POST /auth/login/mfa`), counted by the account's login delay.

use chrono::Duration;
use diesel::prelude::*;

use super::super::model::second_factor::{self as model, TotpSecret};
use super::super::model::{self as accounts_model, User};
use super::super::second_factor as rules;
use super::super::views::MfaMethod;
use super::seconds_to_wait;
use crate::config::AuthSettings;
use crate::error::ApiError;
use crate::ids::UserId;

/// A pending TOTP secret, as the member's authenticator app takes it.
#[derive(Debug)]
pub struct TotpSetup {
    pub secret: String,
    pub otpauth_url: String,
}

fn totp_enabled() -> ApiError {
    ApiError::conflict(
        "totp_enabled",
        "Two-factor sign-in is on already: turn it off first to set up another authenticator.",
    )
}

pub fn invalid_otp() -> ApiError {
    ApiError::Unprocessable {
        code: "invalid_otp",
        detail: "That code is not the one your authenticator shows now.".into(),
    }
}

/// A new pending secret for `user` (replacing a pending one).
pub fn start_totp(
    conn: &mut PgConnection,
    user: &User,
    base_url: &str,
) -> Result<TotpSetup, ApiError> {
    conn.transaction(|conn| {
        if let Some(existing) = TotpSecret::lock(conn, user.id)? {
            if existing.confirmed_at.is_some() {
                return Err(totp_enabled());
            }
        }
        let secret = rules::new_secret();
        TotpSecret::set_pending(conn, user.id, &secret)?;
        let (secret, otpauth_url) =
            rules::provisioning(&secret, &rules::issuer_of(base_url), &user.username)
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("TOTP provisioning")))?;
        Ok(TotpSetup {
            secret,
            otpauth_url,
        })
    })
}

/// The first code from the authenticator confirms the pending secret: two-factor sign-in is
/// on, the member is told by mail, and the ten recovery codes are returned (the only time
/// they are seen).
pub fn confirm_totp(
    conn: &mut PgConnection,
    user: &User,
    code: &str,
    now_secs: u64,
    base_url: &str,
) -> Result<Vec<String>, ApiError> {
    conn.transaction(|conn| {
        let pending = TotpSecret::lock(conn, user.id)?.ok_or_else(|| {
            ApiError::conflict(
                "totp_not_started",
                "Start the set-up first (POST /users/me/2fa/totp).",
            )
        })?;
        if pending.confirmed_at.is_some() {
            return Err(totp_enabled());
        }
        let step =
            rules::matching_step(&pending.secret, code, now_secs, None).ok_or_else(invalid_otp)?;
        TotpSecret::confirm(conn, user.id, step)?;
        let codes = rules::new_recovery_codes();
        let hashes: Vec<String> = codes.iter().map(|c| rules::recovery_code_hash(c)).collect();
        model::replace_recovery_codes(conn, user.id, &hashes)?;
        tell(conn, user, true, base_url)?;
        Ok(codes)
    })
}

/// Turns two-factor sign-in off (the caller checked the password or a fresh code); `404`
/// when it was not on.
pub fn disable_totp(conn: &mut PgConnection, user: &User, base_url: &str) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        let existing = TotpSecret::lock(conn, user.id)?;
        if existing.is_none_or(|s| s.confirmed_at.is_none()) {
            return Err(ApiError::NotFound);
        }
        TotpSecret::remove(conn, user.id)?;
        tell(conn, user, false, base_url)?;
        Ok(())
    })
}

fn tell(
    conn: &mut PgConnection,
    user: &User,
    enabled: bool,
    base_url: &str,
) -> Result<(), ApiError> {
    crate::email::enqueue(
        conn,
        &user.email,
        "two_factor_changed",
        serde_json::json!({
            "username": user.username,
            "enabled": enabled,
            "link": format!("{}/forgot-password", base_url.trim_end_matches('/')),
        }),
    )?;
    Ok(())
}

/// Checks a code against the account's confirmed secret, accepting it once; whether it was
/// right (a wrong one counts toward the account's login delay). For actions confirmed with a
/// second factor (disabling it without a password).
pub fn check_code(
    conn: &mut PgConnection,
    user: UserId,
    code: &str,
    now_secs: u64,
) -> Result<bool, ApiError> {
    conn.transaction(|conn| {
        let Some(secret) = TotpSecret::lock(conn, user)?.filter(|s| s.confirmed_at.is_some())
        else {
            return Ok(false);
        };
        match rules::matching_step(&secret.secret, code, now_secs, secret.last_step) {
            Some(step) => {
                TotpSecret::used_step(conn, user, step)?;
                Ok(true)
            }
            None => {
                User::record_failed_login(conn, user)?;
                Ok(false)
            }
        }
    })
}

/// Opens the second step of a login whose first factor (`method`) passed: its token, and the
/// second factors the account can give (a passkey signs in on its own instead).
pub fn open_challenge(
    conn: &mut PgConnection,
    user: UserId,
    method: &str,
) -> Result<(String, Vec<MfaMethod>), ApiError> {
    conn.transaction(|conn| {
        let token = model::open_challenge(conn, user, method)?;
        let (totp, passkey) = model::methods(conn, user)?;
        let mut methods = Vec::new();
        if totp {
            methods.extend([MfaMethod::Totp, MfaMethod::Recovery]);
        }
        if passkey {
            methods.push(MfaMethod::Passkey);
        }
        Ok((token, methods))
    })
}

/// What the member gives at the second step.
#[derive(Debug)]
pub enum SecondFactor {
    Code(String),
    RecoveryCode(String),
}

/// How the second step went.
#[derive(Debug)]
pub enum Answer {
    /// Signed in: the account, its new session and refresh token.
    SignedIn {
        user: Box<User>,
        session: uuid::Uuid,
        refresh_token: String,
    },
    /// A wrong code: the try and the account's failure were counted.
    Wrong,
}

fn invalid_mfa_token() -> ApiError {
    ApiError::Unauthorized {
        code: "invalid_mfa_token",
        detail: "The second step's token is unknown, used, expired or out of tries; sign in again."
            .into(),
    }
}

/// The second step of a login: the challenge `token` names, answered with `factor`. Each try
/// counts (5 per token) and waits out the account's login delay; a right answer starts the
/// session in the same transaction.
#[allow(clippy::too_many_arguments)]
pub fn answer_challenge(
    conn: &mut PgConnection,
    token: &str,
    factor: &SecondFactor,
    now_secs: u64,
    auth: &AuthSettings,
    ttl: Duration,
    user_agent: Option<&str>,
) -> Result<Answer, ApiError> {
    conn.transaction(|conn| {
        let challenge = model::try_challenge(conn, token)?.ok_or_else(invalid_mfa_token)?;
        let user = User::lock(conn, challenge.user_id)?;
        if let Some(retry_after_secs) = seconds_to_wait(&user, auth) {
            // Rolled back: a try the delay refused is not counted.
            return Err(ApiError::RateLimited { retry_after_secs });
        }
        let second = match factor {
            SecondFactor::Code(code) => {
                let secret = TotpSecret::lock(conn, user.id)?.filter(|s| s.confirmed_at.is_some());
                match secret
                    .and_then(|s| rules::matching_step(&s.secret, code, now_secs, s.last_step))
                {
                    Some(step) => {
                        TotpSecret::used_step(conn, user.id, step)?;
                        Some("totp")
                    }
                    None => None,
                }
            }
            SecondFactor::RecoveryCode(code) => {
                model::use_recovery_code(conn, user.id, &rules::recovery_code_hash(code))?
                    .then_some("recovery")
            }
        };
        let Some(second) = second else {
            User::record_failed_login(conn, user.id)?;
            return Ok(Answer::Wrong);
        };
        model::close_challenge(conn, &challenge.token_hash)?;
        User::clear_failed_logins(conn, user.id)?;
        let method = format!("{}+{second}", challenge.method);
        let (session, refresh_token) =
            accounts_model::start_family(conn, user.id, ttl, user_agent, &method)?;
        Ok(Answer::SignedIn {
            user: Box::new(user),
            session,
            refresh_token,
        })
    })
}

/// Whether TOTP is on, the recovery codes left, and how many passkeys the account has.
pub fn status(conn: &mut PgConnection, user: UserId) -> Result<(bool, i64, i64), ApiError> {
    let totp = TotpSecret::find(conn, user)?.is_some_and(|s| s.confirmed_at.is_some());
    let left = model::recovery_codes_left(conn, user)?;
    let passkeys = super::super::model::passkeys::count_of_user(conn, user)?;
    Ok((totp, left, passkeys))
}

/// Forgets second steps past their time.
pub fn forget_expired_challenges(conn: &mut PgConnection) -> Result<usize, ApiError> {
    Ok(model::forget_expired_challenges(conn)?)
}
