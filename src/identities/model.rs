//! The rows of linked identities and of sign-ins under way: `identities`; `oauth_states`
//! (what a callback needs, 10 minutes, one use); `oauth_codes` (what the client exchanges for
//! a login, 60 seconds, one use). States and codes are kept only as hashes.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use super::domain::Intent;
use crate::accounts::tokens;
use crate::ids::UserId;
use crate::schema::{identities, oauth_codes, oauth_states};

/// How long a sign-in may stay at the provider.
pub const STATE_LIFETIME: Duration = Duration::minutes(10);
/// How long the client has to exchange the callback's code.
pub const CODE_LIFETIME: Duration = Duration::seconds(60);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = identities)]
pub struct Identity {
    pub id: i64,
    pub user_id: UserId,
    pub provider: String,
    pub subject: String,
    pub email: Option<String>,
    pub linked_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl Identity {
    pub fn find(
        conn: &mut PgConnection,
        provider: &str,
        subject: &str,
    ) -> QueryResult<Option<Self>> {
        identities::table
            .filter(identities::provider.eq(provider))
            .filter(identities::subject.eq(subject))
            .select(Identity::as_select())
            .first(conn)
            .optional()
    }

    pub fn of_user(conn: &mut PgConnection, user: UserId) -> QueryResult<Vec<Self>> {
        identities::table
            .filter(identities::user_id.eq(user))
            .order((identities::linked_at, identities::id))
            .select(Identity::as_select())
            .load(conn)
    }

    pub fn link(
        conn: &mut PgConnection,
        user: UserId,
        provider: &str,
        subject: &str,
        email: Option<&str>,
    ) -> QueryResult<Self> {
        diesel::insert_into(identities::table)
            .values((
                identities::user_id.eq(user),
                identities::provider.eq(provider),
                identities::subject.eq(subject),
                identities::email.eq(email),
                identities::last_used_at.eq(diesel::dsl::now),
            ))
            .returning(Identity::as_returning())
            .get_result(conn)
    }

    pub fn touch(conn: &mut PgConnection, id: i64) -> QueryResult<()> {
        diesel::update(identities::table.find(id))
            .set(identities::last_used_at.eq(diesel::dsl::now))
            .execute(conn)
            .map(drop)
    }

    /// Removes `user`'s identity `id`; whether there was one.
    pub fn unlink(conn: &mut PgConnection, user: UserId, id: i64) -> QueryResult<bool> {
        diesel::delete(
            identities::table
                .filter(identities::id.eq(id))
                .filter(identities::user_id.eq(user)),
        )
        .execute(conn)
        .map(|n| n > 0)
    }
}

/// A sign-in waiting at the provider.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = oauth_states)]
pub struct PendingSignIn {
    pub provider: String,
    pub intent: Intent,
    pub user_id: Option<UserId>,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = oauth_states)]
pub struct NewPendingSignIn<'a> {
    pub state_hash: String,
    pub provider: &'a str,
    pub intent: Intent,
    pub user_id: Option<UserId>,
    /// Empty for providers without an ID token (GitHub).
    pub nonce: &'a str,
    pub pkce_verifier: &'a str,
    pub return_to: Option<&'a str>,
    pub expires_at: DateTime<Utc>,
}

impl PendingSignIn {
    pub fn insert(conn: &mut PgConnection, new: &NewPendingSignIn<'_>) -> QueryResult<()> {
        diesel::insert_into(oauth_states::table)
            .values(new)
            .execute(conn)
            .map(drop)
    }

    /// The sign-in `state` names, taken (whatever happens next, it never works again); none
    /// when unknown, used or expired.
    pub fn take(conn: &mut PgConnection, state: &str) -> QueryResult<Option<Self>> {
        diesel::delete(
            oauth_states::table
                .filter(oauth_states::state_hash.eq(tokens::hash(state)))
                .filter(oauth_states::expires_at.gt(diesel::dsl::now)),
        )
        .returning(PendingSignIn::as_returning())
        .get_result(conn)
        .optional()
    }
}

/// Keeps a one-time code for `user`'s sign-in through `provider`; returns the code.
pub fn issue_code(conn: &mut PgConnection, user: UserId, provider: &str) -> QueryResult<String> {
    let code = tokens::generate();
    diesel::insert_into(oauth_codes::table)
        .values((
            oauth_codes::code_hash.eq(tokens::hash(&code)),
            oauth_codes::user_id.eq(user),
            oauth_codes::provider.eq(provider),
            oauth_codes::expires_at.eq(Utc::now() + CODE_LIFETIME),
        ))
        .execute(conn)?;
    Ok(code)
}

/// The account and provider `code` signs in, taken; none when unknown, used or expired.
pub fn take_code(conn: &mut PgConnection, code: &str) -> QueryResult<Option<(UserId, String)>> {
    diesel::delete(
        oauth_codes::table
            .filter(oauth_codes::code_hash.eq(tokens::hash(code)))
            .filter(oauth_codes::expires_at.gt(diesel::dsl::now)),
    )
    .returning((oauth_codes::user_id, oauth_codes::provider))
    .get_result(conn)
    .optional()
}

/// Forgets sign-ins and codes past their time; how many rows went.
pub fn forget_expired(conn: &mut PgConnection) -> QueryResult<usize> {
    let states =
        diesel::delete(oauth_states::table.filter(oauth_states::expires_at.le(diesel::dsl::now)))
            .execute(conn)?;
    let codes =
        diesel::delete(oauth_codes::table.filter(oauth_codes::expires_at.le(diesel::dsl::now)))
            .execute(conn)?;
    Ok(states + codes)
}
