//! The rows of second factors: `totp_secrets` (pending until confirmed), `recovery_codes`
//! (hashes, each used once), `mfa_challenges` (a login waiting for its second factor: 5
//! minutes, 5 tries, kept as a hash) and the `users.two_factor` flag kept with them (a
//! confirmed TOTP secret or a passkey).

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::accounts::tokens;
use crate::ids::UserId;
use crate::schema::{mfa_challenges, passkeys, recovery_codes, totp_secrets, users};

pub const CHALLENGE_LIFETIME: Duration = Duration::minutes(5);
pub const CHALLENGE_TRIES: i32 = 5;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = totp_secrets)]
pub struct TotpSecret {
    pub user_id: UserId,
    pub secret: Vec<u8>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub last_step: Option<i64>,
}

impl TotpSecret {
    pub fn find(conn: &mut PgConnection, user: UserId) -> QueryResult<Option<Self>> {
        totp_secrets::table
            .find(user)
            .select(TotpSecret::as_select())
            .first(conn)
            .optional()
    }

    /// The secret, its row locked (a code is accepted once: two tries at once must queue).
    pub fn lock(conn: &mut PgConnection, user: UserId) -> QueryResult<Option<Self>> {
        totp_secrets::table
            .find(user)
            .for_update()
            .select(TotpSecret::as_select())
            .first(conn)
            .optional()
    }

    /// A new pending secret, replacing a pending one (never a confirmed one: the caller checks).
    pub fn set_pending(conn: &mut PgConnection, user: UserId, secret: &[u8]) -> QueryResult<()> {
        diesel::insert_into(totp_secrets::table)
            .values((
                totp_secrets::user_id.eq(user),
                totp_secrets::secret.eq(secret),
            ))
            .on_conflict(totp_secrets::user_id)
            .do_update()
            .set((
                totp_secrets::secret.eq(secret),
                totp_secrets::created_at.eq(diesel::dsl::now),
                totp_secrets::confirmed_at.eq(None::<DateTime<Utc>>),
                totp_secrets::last_step.eq(None::<i64>),
            ))
            .execute(conn)
            .map(drop)
    }

    pub fn confirm(conn: &mut PgConnection, user: UserId, step: i64) -> QueryResult<()> {
        diesel::update(totp_secrets::table.find(user))
            .set((
                totp_secrets::confirmed_at.eq(diesel::dsl::now),
                totp_secrets::last_step.eq(step),
            ))
            .execute(conn)?;
        refresh_two_factor(conn, user)
    }

    pub fn used_step(conn: &mut PgConnection, user: UserId, step: i64) -> QueryResult<()> {
        diesel::update(totp_secrets::table.find(user))
            .set(totp_secrets::last_step.eq(step))
            .execute(conn)
            .map(drop)
    }

    /// Removes the secret and the recovery codes: the account has no second factor.
    pub fn remove(conn: &mut PgConnection, user: UserId) -> QueryResult<()> {
        diesel::delete(totp_secrets::table.find(user)).execute(conn)?;
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user)))
            .execute(conn)?;
        refresh_two_factor(conn, user)
    }
}

/// Sets `users.two_factor` from what the account has: a confirmed TOTP secret or a passkey.
/// Every statement that adds or removes one calls it in its transaction.
pub fn refresh_two_factor(conn: &mut PgConnection, user: UserId) -> QueryResult<()> {
    let totp = diesel::dsl::exists(
        totp_secrets::table
            .filter(totp_secrets::user_id.eq(user))
            .filter(totp_secrets::confirmed_at.is_not_null()),
    );
    let passkey = diesel::dsl::exists(passkeys::table.filter(passkeys::user_id.eq(user)));
    diesel::update(users::table.find(user))
        .set(users::two_factor.eq(totp.or(passkey)))
        .execute(conn)
        .map(drop)
}

/// The second factors `user` can give at a login's second step.
pub fn methods(conn: &mut PgConnection, user: UserId) -> QueryResult<(bool, bool)> {
    let totp = diesel::select(diesel::dsl::exists(
        totp_secrets::table
            .filter(totp_secrets::user_id.eq(user))
            .filter(totp_secrets::confirmed_at.is_not_null()),
    ))
    .get_result(conn)?;
    let passkey = diesel::select(diesel::dsl::exists(
        passkeys::table.filter(passkeys::user_id.eq(user)),
    ))
    .get_result(conn)?;
    Ok((totp, passkey))
}

/// Replaces the account's recovery codes with these hashes.
pub fn replace_recovery_codes(
    conn: &mut PgConnection,
    user: UserId,
    hashes: &[String],
) -> QueryResult<()> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user))).execute(conn)?;
    let rows: Vec<_> = hashes
        .iter()
        .map(|hash| {
            (
                recovery_codes::user_id.eq(user),
                recovery_codes::code_hash.eq(hash),
            )
        })
        .collect();
    diesel::insert_into(recovery_codes::table)
        .values(rows)
        .execute(conn)
        .map(drop)
}

/// Uses the recovery code with this hash; whether it was one of the account's, unused.
pub fn use_recovery_code(conn: &mut PgConnection, user: UserId, hash: &str) -> QueryResult<bool> {
    diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user))
            .filter(recovery_codes::code_hash.eq(hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(diesel::dsl::now))
    .execute(conn)
    .map(|n| n == 1)
}

/// Recovery codes the account has left.
pub fn recovery_codes_left(conn: &mut PgConnection, user: UserId) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

/// A login waiting for its second factor.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mfa_challenges)]
pub struct Challenge {
    pub token_hash: String,
    pub user_id: UserId,
    pub method: String,
    pub tries: i32,
}

/// Opens a challenge for `user`, whose first factor (`method`) passed; returns its token.
pub fn open_challenge(conn: &mut PgConnection, user: UserId, method: &str) -> QueryResult<String> {
    let token = tokens::generate();
    diesel::insert_into(mfa_challenges::table)
        .values((
            mfa_challenges::token_hash.eq(tokens::hash(&token)),
            mfa_challenges::user_id.eq(user),
            mfa_challenges::method.eq(method),
            mfa_challenges::expires_at.eq(Utc::now() + CHALLENGE_LIFETIME),
        ))
        .execute(conn)?;
    Ok(token)
}

/// The challenge `token` names, locked and counted as one more try; none when it is unknown,
/// used, expired or out of tries.
pub fn try_challenge(conn: &mut PgConnection, token: &str) -> QueryResult<Option<Challenge>> {
    diesel::update(
        mfa_challenges::table
            .filter(mfa_challenges::token_hash.eq(tokens::hash(token)))
            .filter(mfa_challenges::used_at.is_null())
            .filter(mfa_challenges::expires_at.gt(diesel::dsl::now))
            .filter(mfa_challenges::tries.lt(CHALLENGE_TRIES)),
    )
    .set(mfa_challenges::tries.eq(mfa_challenges::tries + 1))
    .returning(Challenge::as_returning())
    .get_result(conn)
    .optional()
}

pub fn close_challenge(conn: &mut PgConnection, token_hash: &str) -> QueryResult<()> {
    diesel::update(mfa_challenges::table.find(token_hash))
        .set(mfa_challenges::used_at.eq(diesel::dsl::now))
        .execute(conn)
        .map(drop)
}

/// Forgets challenges past their time; how many went.
pub fn forget_expired_challenges(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::delete(mfa_challenges::table.filter(mfa_challenges::expires_at.le(diesel::dsl::now)))
        .execute(conn)
}
