//! Making, listing and revoking a member's API tokens (`accounts::api_tokens`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::accounts::api_tokens::{self, NewToken, Scope};
use crate::accounts::model::api_tokens::{self as model, ApiTokenRow, NewApiToken};
use crate::accounts::model::User;
use crate::error::ApiError;
use crate::ids::{ApiTokenId, UserId};

/// How many tokens one member may hold.
pub const MAX_TOKENS: i64 = 50;

/// A token just made: its row, and the one time its whole value is known.
pub struct Issued {
    pub row: ApiTokenRow,
    pub token: String,
}

pub fn create(conn: &mut PgConnection, member: &User, new: &NewToken) -> Result<Issued, ApiError> {
    api_tokens::may_grant(member.role(), &new.scopes)?;
    let secret = api_tokens::new_secret();
    conn.transaction(|conn| {
        // One at a time per member, so the cap holds under concurrent requests.
        crate::accounts::model::User::lock(conn, member.id)?;
        if model::count_of_user(conn, member.id)? >= MAX_TOKENS {
            return Err(ApiError::conflict(
                "too_many_tokens",
                format!("A member may hold at most {MAX_TOKENS} API tokens; revoke one first."),
            ));
        }
        let row = model::insert(
            conn,
            &NewApiToken {
                user_id: member.id,
                name: &new.name,
                scopes: new.scopes.iter().map(|s| s.as_str().to_string()).collect(),
                secret_hash: api_tokens::hash(&secret),
                generation: member.session_generation,
                expires_at: new.expires_at,
            },
        )?;
        let token = api_tokens::format(row.id, &secret);
        Ok(Issued { row, token })
    })
}

pub fn list(conn: &mut PgConnection, member: UserId) -> Result<Vec<ApiTokenRow>, ApiError> {
    Ok(model::of_user(conn, member)?)
}

pub fn revoke(conn: &mut PgConnection, member: UserId, id: ApiTokenId) -> Result<(), ApiError> {
    if model::delete(conn, member, id)? {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// What authenticating with a token found: its account, its scopes, and its id (the rate
/// limit's key).
pub struct Authenticated {
    pub user: User,
    pub token: ApiTokenId,
    pub scopes: Vec<Scope>,
}

/// Resolves `dfp_<id>_<secret>` to its account: `None` when there is no such token, the
/// secret is wrong, it expired, or the account signed out everywhere or changed its password
/// since it was made. Notes the use (at most once a minute).
pub fn authenticate(
    conn: &mut PgConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<Authenticated>, ApiError> {
    let Some((id, secret)) = api_tokens::parse(token) else {
        return Ok(None);
    };
    let Some((row, user)) = model::find_with_account(conn, id)? else {
        return Ok(None);
    };
    let stored = api_tokens::Stored {
        generation: row.generation,
        expires_at: row.expires_at,
    };
    if !api_tokens::matches(secret, &row.secret_hash)
        || !api_tokens::is_current(&stored, user.session_generation, now)
    {
        return Ok(None);
    }
    if row
        .last_used_at
        .is_none_or(|at| at < now - chrono::Duration::minutes(1))
    {
        model::touch(conn, id, now)?;
    }
    Ok(Some(Authenticated {
        scopes: row.scopes(),
        user,
        token: id,
    }))
}
