//! Passkeys, one transaction per use case: registering one (start, then finish with the
//! authenticator's credential), listing and removing them, and signing in with one
//! (discoverable: the authenticator names the account), which is both factors at once.

use chrono::Duration;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, DiscoverableKey, Passkey,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, Uuid,
};
use webauthn_rs::Webauthn;

use super::super::model::passkeys::{self as model, PasskeyRow};
use super::super::model::second_factor::refresh_two_factor;
use super::super::model::{self as accounts_model, User};
use super::super::passkeys as rules;
use crate::error::ApiError;
use crate::ids::UserId;

fn stored<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(e.into()))
}

fn read<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| ApiError::Internal(e.into()))
}

/// Options for the browser to create a passkey for `user`, excluding the ones it has.
pub fn start_registration(
    conn: &mut PgConnection,
    webauthn: &Webauthn,
    user: &User,
) -> Result<CreationChallengeResponse, ApiError> {
    conn.transaction(|conn| {
        let existing = model::of_user(conn, user.id)?;
        if existing.len() as i64 >= rules::MAX_PER_ACCOUNT {
            return Err(ApiError::conflict(
                "too_many_passkeys",
                format!(
                    "An account holds at most {} passkeys.",
                    rules::MAX_PER_ACCOUNT
                ),
            ));
        }
        let exclude = existing
            .iter()
            .map(|p| p.credential_id.clone().into())
            .collect();
        let shown = user.display_name.as_deref().unwrap_or(&user.username);
        let (options, state) = webauthn
            .start_passkey_registration(user.webauthn_id, &user.username, shown, Some(exclude))
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("starting a registration: {e}")))?;
        model::begin_ceremony(
            conn,
            Uuid::new_v4(),
            Some(user.id),
            "register",
            &stored(&state)?,
        )?;
        Ok(rules::discoverable(options))
    })
}

fn invalid_credential(detail: impl Into<String>) -> ApiError {
    ApiError::Unprocessable {
        code: "invalid_credential",
        detail: detail.into(),
    }
}

/// The authenticator's answer to the member's pending registration: the passkey, named.
pub fn finish_registration(
    conn: &mut PgConnection,
    webauthn: &Webauthn,
    user: &User,
    name: &str,
    credential: &RegisterPublicKeyCredential,
) -> Result<PasskeyRow, ApiError> {
    // Taken in a transaction of its own: a refused answer spends the registration too.
    let pending = conn.transaction(|conn| model::take_registration(conn, user.id))?;
    let state: PasskeyRegistration = read(pending.ok_or_else(|| {
        ApiError::conflict(
            "no_registration",
            "Start the registration first (POST /users/me/passkeys/register/start).",
        )
    })?)?;
    conn.transaction(|conn| {
        let passkey = webauthn
            .finish_passkey_registration(credential, &state)
            .map_err(|e| {
                invalid_credential(format!("The authenticator's answer was refused: {e}"))
            })?;
        let row = model::insert(
            conn,
            user.id,
            name,
            passkey.cred_id().as_slice(),
            &stored(&passkey)?,
        )
        .map_err(|error| match error {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                ApiError::conflict("passkey_exists", "That passkey is registered already.")
            }
            error => error.into(),
        })?;
        refresh_two_factor(conn, user.id)?;
        Ok(row)
    })
}

pub fn passkeys(conn: &mut PgConnection, user: UserId) -> Result<Vec<PasskeyRow>, ApiError> {
    Ok(model::of_user(conn, user)?)
}

/// Removes `user`'s passkey `id`, unless it is their last way to sign in.
pub fn remove(conn: &mut PgConnection, user: UserId, id: i64) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        let user = User::lock(conn, user)?;
        let passkeys = model::of_user(conn, user.id)?;
        let identities = crate::schema::identities::table
            .filter(crate::schema::identities::user_id.eq(user.id))
            .count()
            .get_result::<i64>(conn)?;
        if !passkeys.iter().any(|p| p.id == id) {
            return Err(ApiError::NotFound);
        }
        let count = passkeys.len() as i64;
        if !super::super::rules::keeps_a_way_to_sign_in(user.has_password(), identities, count) {
            return Err(ApiError::conflict(
                "last_sign_in_method",
                "This is your last way to sign in: set a password or add another first.",
            ));
        }
        model::remove(conn, user.id, id)?;
        refresh_two_factor(conn, user.id)?;
        Ok(())
    })
}

/// Options for signing in with any passkey of this site, and the ceremony's id.
pub fn start_sign_in(
    conn: &mut PgConnection,
    webauthn: &Webauthn,
) -> Result<(Uuid, RequestChallengeResponse), ApiError> {
    let (options, state) = webauthn
        .start_discoverable_authentication()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("starting a sign-in: {e}")))?;
    let id = Uuid::new_v4();
    model::begin_ceremony(conn, id, None, "authenticate", &stored(&state)?)?;
    Ok((id, rules::on_request(options)))
}

fn invalid_passkey() -> ApiError {
    ApiError::Unauthorized {
        code: "invalid_passkey",
        detail: "That passkey does not sign in here, or the sign-in expired; try again.".into(),
    }
}

/// Signs in with the passkey the authenticator chose: the account its user handle names,
/// checked against that account's passkeys; the counter is kept; a session begins.
pub fn finish_sign_in(
    conn: &mut PgConnection,
    webauthn: &Webauthn,
    ceremony: Uuid,
    credential: &PublicKeyCredential,
    ttl: Duration,
    user_agent: Option<&str>,
) -> Result<(User, Uuid, String), ApiError> {
    let state: DiscoverableAuthentication = read(
        conn.transaction(|conn| model::take_authentication(conn, ceremony))?
            .ok_or_else(invalid_passkey)?,
    )?;
    conn.transaction(|conn| {
        let (handle, credential_id) = webauthn
            .identify_discoverable_authentication(credential)
            .map_err(|_| invalid_passkey())?;
        let user_id = model::user_with_handle(conn, handle)?.ok_or_else(invalid_passkey)?;
        let row = model::of_user(conn, user_id)?
            .into_iter()
            .find(|p| p.credential_id == credential_id)
            .ok_or_else(invalid_passkey)?;
        let mut passkey: Passkey = read(row.credential.clone())?;
        let result = webauthn
            .finish_discoverable_authentication(
                credential,
                state,
                &[DiscoverableKey::from(&passkey)],
            )
            .map_err(|error| {
                tracing::warn!(%error, "a passkey sign-in failed verification");
                invalid_passkey()
            })?;
        passkey.update_credential(&result);
        model::used(conn, row.id, &stored(&passkey)?)?;
        let user = User::lock(conn, user_id)?;
        User::clear_failed_logins(conn, user_id)?;
        let (session, refresh_token) =
            accounts_model::start_family(conn, user_id, ttl, user_agent, "passkey")?;
        Ok((user, session, refresh_token))
    })
}

/// Forgets ceremonies past their time.
pub fn forget_expired(conn: &mut PgConnection) -> Result<usize, ApiError> {
    Ok(model::forget_expired(conn)?)
}
