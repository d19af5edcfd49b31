//! Refresh tokens (rotated on every use, reuse revokes the family, RFC 9700 §4.14) and the
//! single-use tokens behind email links.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::tokens;
use crate::ids::{RefreshTokenId, UserId};
use crate::schema::{refresh_tokens, user_tokens};

/// Starts a new login: a fresh family with its first token.
pub fn start_family(
    conn: &mut PgConnection,
    user_id: UserId,
    ttl: Duration,
) -> QueryResult<String> {
    issue_in_family(conn, user_id, Uuid::new_v4(), ttl)
}

fn issue_in_family(
    conn: &mut PgConnection,
    user_id: UserId,
    family: Uuid,
    ttl: Duration,
) -> QueryResult<String> {
    let token = tokens::generate();
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::family_id.eq(family),
            refresh_tokens::token_hash.eq(tokens::hash(&token)),
            refresh_tokens::expires_at.eq(Utc::now() + ttl),
        ))
        .execute(conn)?;
    Ok(token)
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
struct RefreshTokenRow {
    id: RefreshTokenId,
    user_id: UserId,
    family_id: Uuid,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Rotation {
    /// The token was good: here is its successor.
    Rotated { user_id: UserId, token: String },
    /// The token had been used already: someone replayed it, so its family is now revoked.
    Reused,
    /// Unknown, expired or revoked.
    Invalid,
}

/// Exchanges a refresh token for its successor. Run inside a transaction: the row lock makes
/// two concurrent uses of one token resolve as one rotation and one reuse.
pub fn rotate(conn: &mut PgConnection, token: &str, ttl: Duration) -> QueryResult<Rotation> {
    let row: Option<RefreshTokenRow> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(tokens::hash(token)))
        .select(RefreshTokenRow::as_select())
        .for_update()
        .first(conn)
        .optional()?;
    let Some(row) = row else {
        return Ok(Rotation::Invalid);
    };
    if row.revoked_at.is_some() {
        return Ok(Rotation::Invalid);
    }
    if row.used_at.is_some() {
        revoke_family(conn, row.family_id)?;
        return Ok(Rotation::Reused);
    }
    if row.expires_at <= Utc::now() {
        return Ok(Rotation::Invalid);
    }
    diesel::update(refresh_tokens::table.find(row.id))
        .set(refresh_tokens::used_at.eq(diesel::dsl::now))
        .execute(conn)?;
    let token = issue_in_family(conn, row.user_id, row.family_id, ttl)?;
    Ok(Rotation::Rotated {
        user_id: row.user_id,
        token,
    })
}

fn revoke_family(conn: &mut PgConnection, family: Uuid) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(diesel::dsl::now))
    .execute(conn)
}

/// Logout: ends the login the token belongs to. Unknown tokens are ignored (idempotent).
pub fn revoke_login(conn: &mut PgConnection, token: &str) -> QueryResult<()> {
    let family: Option<Uuid> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(tokens::hash(token)))
        .select(refresh_tokens::family_id)
        .first(conn)
        .optional()?;
    if let Some(family) = family {
        revoke_family(conn, family)?;
    }
    Ok(())
}

pub fn revoke_all_for_user(conn: &mut PgConnection, user_id: UserId) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(diesel::dsl::now))
    .execute(conn)
}

crate::text_enum! {
    /// What an emailed link token is for.
    pub enum Purpose ("link token purpose") {
        VerifyEmail => "verify_email",
        PasswordReset => "password_reset",
    }
}

impl Purpose {
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::VerifyEmail => Duration::hours(24),
            Purpose::PasswordReset => Duration::hours(1),
        }
    }
}

/// A single-use token for an email link; earlier unused tokens of the same purpose die.
pub fn create_link_token(
    conn: &mut PgConnection,
    user_id: UserId,
    purpose: Purpose,
) -> QueryResult<String> {
    diesel::update(
        user_tokens::table
            .filter(user_tokens::user_id.eq(user_id))
            .filter(user_tokens::purpose.eq(purpose))
            .filter(user_tokens::used_at.is_null()),
    )
    .set(user_tokens::used_at.eq(diesel::dsl::now))
    .execute(conn)?;
    let token = tokens::generate();
    diesel::insert_into(user_tokens::table)
        .values((
            user_tokens::user_id.eq(user_id),
            user_tokens::purpose.eq(purpose),
            user_tokens::token_hash.eq(tokens::hash(&token)),
            user_tokens::expires_at.eq(Utc::now() + purpose.lifetime()),
        ))
        .execute(conn)?;
    Ok(token)
}

/// Uses up a link token; the account it belongs to, if it was unused and unexpired.
pub fn consume_link_token(
    conn: &mut PgConnection,
    token: &str,
    purpose: Purpose,
) -> QueryResult<Option<UserId>> {
    diesel::update(
        user_tokens::table
            .filter(user_tokens::token_hash.eq(tokens::hash(token)))
            .filter(user_tokens::purpose.eq(purpose))
            .filter(user_tokens::used_at.is_null())
            .filter(user_tokens::expires_at.gt(diesel::dsl::now)),
    )
    .set(user_tokens::used_at.eq(diesel::dsl::now))
    .returning(user_tokens::user_id)
    .get_result(conn)
    .optional()
}
