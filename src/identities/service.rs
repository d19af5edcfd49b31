//! Signing in through a provider, one transaction per step: `begin` keeps what the callback
//! needs; `finish` signs a known identity in, links one, or makes a new account (never
//! merging into an account that owns the address); `exchange` turns the callback's code into
//! the account to sign in. Linked identities are listed and unlinked here too.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::domain::{Authorization, Intent, ProviderAccount, ReturnTo};
use super::model::{self, Identity, NewPendingSignIn, PendingSignIn};
use super::rules;
use crate::accounts::domain::DISPLAY_NAME_CHARS;
use crate::accounts::model::{erasure, NewUser, NO_PASSWORD};
use crate::accounts::{service as accounts, tokens, EmailAddress, Role, User};
use crate::error::ApiError;
use crate::ids::UserId;
use crate::validation;

/// Keeps the sign-in `authorization` begins, for its callback.
pub fn begin(
    conn: &mut PgConnection,
    provider: &str,
    intent: Intent,
    user: Option<UserId>,
    return_to: Option<&ReturnTo>,
    authorization: &Authorization,
) -> Result<(), ApiError> {
    PendingSignIn::insert(
        conn,
        &NewPendingSignIn {
            state_hash: tokens::hash(&authorization.state),
            provider,
            intent,
            user_id: user,
            nonce: authorization.nonce.as_deref().unwrap_or_default(),
            pkce_verifier: &authorization.pkce_verifier,
            return_to: return_to.map(ReturnTo::as_str),
            expires_at: chrono::Utc::now() + model::STATE_LIFETIME,
        },
    )?;
    Ok(())
}

/// The sign-in `state` names, taken for good; `None` when it is unknown, used, expired, or
/// began at another provider (whose callback must not finish it).
pub fn take_pending(
    conn: &mut PgConnection,
    provider: &str,
    state: &str,
) -> Result<Option<PendingSignIn>, ApiError> {
    Ok(PendingSignIn::take(conn, state)?.filter(|pending| pending.provider == provider))
}

/// Why a callback signs nobody in: the `error` the client is sent back with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The address the provider gave belongs to an account: its member signs in and links.
    AccountExists,
    /// The provider's account is linked to another member.
    IdentityTaken,
    /// The provider gave no address, and an account needs one.
    EmailRequired,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::AccountExists => "account_exists",
            Refusal::IdentityTaken => "identity_taken",
            Refusal::EmailRequired => "email_required",
        }
    }
}

/// What a callback did.
#[derive(Debug)]
pub enum Finished {
    /// Sign `user` in with this one-time code (`new_account` when it was just made).
    SignIn {
        code: String,
        new_account: bool,
    },
    /// The identity is linked to the member who began.
    Linked,
    Refused(Refusal),
}

/// Back from the provider with a verified `account`: signs a known identity in, links it
/// (intent `link`), or makes a new account from it.
pub fn finish(
    conn: &mut PgConnection,
    pending: &PendingSignIn,
    account: &ProviderAccount,
    base_url: &str,
) -> Result<Finished, ApiError> {
    conn.transaction(|conn| {
        let provider = pending.provider.as_str();
        let known = Identity::find(conn, provider, &account.subject)?;
        if pending.intent == Intent::Link {
            let member = pending.user_id.ok_or(ApiError::NotFound)?;
            return Ok(match known {
                Some(identity) if identity.user_id == member => Finished::Linked,
                Some(_) => Finished::Refused(Refusal::IdentityTaken),
                None => {
                    Identity::link(
                        conn,
                        member,
                        provider,
                        &account.subject,
                        account.email.as_deref(),
                    )?;
                    Finished::Linked
                }
            });
        }
        if let Some(identity) = known {
            Identity::touch(conn, identity.id)?;
            let code = model::issue_code(conn, identity.user_id, provider)?;
            return Ok(Finished::SignIn {
                code,
                new_account: false,
            });
        }
        let Some(email) = account
            .email
            .as_deref()
            .and_then(|e| EmailAddress::parse(e).ok())
        else {
            return Ok(Finished::Refused(Refusal::EmailRequired));
        };
        // Verified or not, an address with an account is that member's: signing the provider's
        // account in to it would hand the account to whoever controls the provider's side.
        if User::find_by_email(conn, email.as_str())?.is_some() {
            return Ok(Finished::Refused(Refusal::AccountExists));
        }
        let Some(user) = new_account(conn, account, &email)? else {
            return Ok(Finished::Refused(Refusal::AccountExists));
        };
        Identity::link(
            conn,
            user.id,
            provider,
            &account.subject,
            Some(email.as_str()),
        )?;
        if !user.email_verified {
            accounts::send_verification_email(conn, &user, base_url)?;
        }
        let code = model::issue_code(conn, user.id, provider)?;
        Ok(Finished::SignIn {
            code,
            new_account: true,
        })
    })
}

/// A new member from a provider: no password, the suggested username waiting for them to
/// confirm it, the address verified only if the provider said so. `None` when the address
/// was taken meanwhile.
fn new_account(
    conn: &mut PgConnection,
    account: &ProviderAccount,
    email: &EmailAddress,
) -> Result<Option<User>, ApiError> {
    let base = rules::suggested_username(account.username_hint.as_deref(), Some(email.as_str()));
    let display_name = account.name.as_deref().and_then(|name| {
        let cut: String = name.chars().take(DISPLAY_NAME_CHARS).collect();
        validation::text(&cut, 1, DISPLAY_NAME_CHARS, false).ok()
    });
    for candidate in rules::candidates(&base).take(50) {
        if User::find_by_username(conn, &candidate)?.is_some()
            || erasure::is_reserved(conn, &candidate)?
        {
            continue;
        }
        let inserted = conn.transaction(|conn| {
            User::insert(
                conn,
                &NewUser {
                    username: &candidate,
                    email: email.as_str(),
                    password_hash: NO_PASSWORD,
                    role: Role::Member,
                    email_verified: account.email_verified,
                    display_name: display_name.as_deref(),
                    username_pending: true,
                },
            )
        });
        match inserted {
            Ok(user) => return Ok(Some(user)),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info))
                if info.constraint_name() == Some("users_email_lower_key") =>
            {
                return Ok(None)
            }
            // Someone took the username between the look and the insert: the next one.
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Err(ApiError::Internal(anyhow::anyhow!(
        "no free username near {base:?} in 50 tries"
    )))
}

fn invalid_code() -> ApiError {
    ApiError::Unauthorized {
        code: "invalid_code",
        detail: "The sign-in code is unknown, used or expired; sign in again.".into(),
    }
}

/// The account and provider the callback's one-time `code` signs in; it works once.
pub fn exchange(conn: &mut PgConnection, code: &str) -> Result<(User, String), ApiError> {
    conn.transaction(|conn| {
        let (user_id, provider) = model::take_code(conn, code)?.ok_or_else(invalid_code)?;
        Ok((User::find(conn, user_id)?, provider))
    })
}

/// The member's linked identities, oldest first.
pub fn identities(conn: &mut PgConnection, user: UserId) -> Result<Vec<Identity>, ApiError> {
    Ok(Identity::of_user(conn, user)?)
}

fn last_sign_in_method() -> ApiError {
    ApiError::conflict(
        "last_sign_in_method",
        "This is your last way to sign in: set a password or link another account first.",
    )
}

/// Unlinks `user`'s identity `id`, unless it is their last way to sign in.
pub fn unlink(conn: &mut PgConnection, user: &User, id: i64) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        // The account's row lock orders this against a concurrent unlink of its other identity.
        let user = User::lock(conn, user.id)?;
        let linked = Identity::of_user(conn, user.id)?;
        if !linked.iter().any(|identity| identity.id == id) {
            return Err(ApiError::NotFound);
        }
        let passkeys = crate::accounts::model::passkeys::count_of_user(conn, user.id)?;
        if !crate::accounts::rules::keeps_a_way_to_sign_in(
            user.has_password(),
            linked.len() as i64,
            passkeys,
        ) {
            return Err(last_sign_in_method());
        }
        Identity::unlink(conn, user.id, id)?;
        Ok(())
    })
}

/// Forgets sign-ins and codes past their time.
pub fn forget_expired(conn: &mut PgConnection) -> Result<usize, ApiError> {
    Ok(model::forget_expired(conn)?)
}
