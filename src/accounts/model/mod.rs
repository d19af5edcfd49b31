//! The rows of accounts and the statements on them: `users`; refresh tokens (rotated on
//! every use, reuse revokes the family, RFC 9700 §4.14); the single-use tokens behind email
//! links.

pub mod api_tokens;
pub mod erasure;
pub mod export;
pub mod passkeys;
pub mod second_factor;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::domain::{ProfileChanges, Purpose};
use super::tokens::{self, RefreshPolicy};
use super::Role;
use crate::ids::{RefreshTokenId, UserId};
use crate::schema::{refresh_tokens, sessions, user_tokens, users};
use crate::sql::lower;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub email_verified: bool,
    pub display_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub bio: String,
    pub location: Option<String>,
    pub timezone: Option<String>,
    pub skills: Vec<String>,
    pub suspended_at: Option<DateTime<Utc>>,
    pub suspended_until: Option<DateTime<Utc>>,
    pub suspension_reason: Option<String>,
    pub session_generation: i32,
    pub failed_login_count: i32,
    pub last_failed_login_at: Option<DateTime<Utc>>,
    pub trust_level: super::domain::TrustLevel,
    pub trust_level_pinned: bool,
    /// Set when mail to the address bounced for good (`email::bounces`).
    pub email_undeliverable_at: Option<DateTime<Utc>>,
    /// Made by a provider sign-in with a suggested username the member has not confirmed.
    pub username_pending: bool,
    /// A second factor (a confirmed TOTP secret, or a passkey) guards the account.
    pub two_factor: bool,
    /// The user handle its passkeys carry (random; says nothing of the account).
    pub webauthn_id: Uuid,
    /// Where the member's picture is served (`/files/…`), or none.
    pub avatar_url: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub email_verified: bool,
    pub display_name: Option<&'a str>,
    pub username_pending: bool,
}

/// The password of an account that has none (made through a provider, or erased): no hash
/// parses from it, so nothing verifies against it.
pub const NO_PASSWORD: &str = "!";

impl User {
    /// Whether a password opens the account.
    pub fn has_password(&self) -> bool {
        self.password_hash != NO_PASSWORD
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn is_staff(&self) -> bool {
        self.role().is_staff()
    }

    /// Suspended while a suspension is recorded and its end (if any) is still ahead.
    pub fn is_suspended_at(&self, now: DateTime<Utc>) -> bool {
        is_suspended(self.suspended_at, self.suspended_until, now)
    }

    pub fn find(conn: &mut PgConnection, id: UserId) -> QueryResult<User> {
        users::table.find(id).select(User::as_select()).first(conn)
    }

    /// The account an access token names, and whether the login (`session`) it was issued in
    /// still works: one statement, the request's one account lookup.
    pub fn find_signed_in(
        conn: &mut PgConnection,
        id: UserId,
        session: Uuid,
    ) -> QueryResult<Option<(User, bool)>> {
        users::table
            .find(id)
            .select((User::as_select(), live_session(id, session)))
            .first(conn)
            .optional()
    }

    /// The account, its row locked until the transaction ends.
    pub fn lock(conn: &mut PgConnection, id: UserId) -> QueryResult<User> {
        users::table
            .find(id)
            .for_update()
            .select(User::as_select())
            .first(conn)
    }

    pub fn find_by_username(conn: &mut PgConnection, username: &str) -> QueryResult<Option<User>> {
        if !storable(username) {
            return Ok(None);
        }
        users::table
            .filter(lower(users::username).eq(lower(username)))
            .filter(users::deleted_at.is_null())
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    pub fn find_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<User>> {
        if !storable(email) {
            return Ok(None);
        }
        users::table
            .filter(lower(users::email).eq(lower(email)))
            .filter(users::deleted_at.is_null())
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    /// Finds by email when `login` looks like one, by username otherwise.
    pub fn find_by_login(conn: &mut PgConnection, login: &str) -> QueryResult<Option<User>> {
        if login.contains('@') {
            Self::find_by_email(conn, login)
        } else {
            Self::find_by_username(conn, login)
        }
    }

    pub fn insert(conn: &mut PgConnection, new_user: &NewUser<'_>) -> QueryResult<User> {
        diesel::insert_into(users::table)
            .values(new_user)
            .returning(User::as_returning())
            .get_result(conn)
    }

    pub fn set_role(conn: &mut PgConnection, user_id: UserId, role: Role) -> QueryResult<User> {
        diesel::update(users::table.find(user_id))
            .set((users::role.eq(role), users::updated_at.eq(diesel::dsl::now)))
            .returning(User::as_returning())
            .get_result(conn)
    }

    pub fn update_profile(
        conn: &mut PgConnection,
        user_id: UserId,
        changes: &ProfileChanges,
    ) -> QueryResult<User> {
        if changes.is_empty() {
            return Self::find(conn, user_id);
        }
        diesel::update(users::table.find(user_id))
            .set((changes, users::updated_at.eq(diesel::dsl::now)))
            .returning(User::as_returning())
            .get_result(conn)
    }

    /// Sets the username and marks it chosen.
    pub fn choose_username(
        conn: &mut PgConnection,
        user_id: UserId,
        username: &str,
    ) -> QueryResult<User> {
        diesel::update(users::table.find(user_id))
            .set((
                users::username.eq(username),
                users::username_pending.eq(false),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .returning(User::as_returning())
            .get_result(conn)
    }

    /// Suspends the account from now until `until` (for good when `None`).
    pub fn suspend(
        conn: &mut PgConnection,
        user_id: UserId,
        until: Option<DateTime<Utc>>,
        reason: &str,
    ) -> QueryResult<User> {
        diesel::update(users::table.find(user_id))
            .set((
                users::suspended_at.eq(Some(Utc::now())),
                users::suspended_until.eq(until),
                users::suspension_reason.eq(Some(reason)),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .returning(User::as_returning())
            .get_result(conn)
    }

    pub fn unsuspend(conn: &mut PgConnection, user_id: UserId) -> QueryResult<User> {
        diesel::update(users::table.find(user_id))
            .set((
                users::suspended_at.eq(None::<DateTime<Utc>>),
                users::suspended_until.eq(None::<DateTime<Utc>>),
                users::suspension_reason.eq(None::<String>),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .returning(User::as_returning())
            .get_result(conn)
    }

    /// Locks every admin's row and counts them, so two demotions cannot both pass as "not
    /// the last admin".
    pub fn lock_admins(conn: &mut PgConnection) -> QueryResult<i64> {
        let ids: Vec<UserId> = users::table
            .filter(users::role.eq(Role::Admin))
            .select(users::id)
            .for_update()
            .load(conn)?;
        Ok(ids.len() as i64)
    }

    /// The address is verified (again): whatever bounced before is forgotten, and mail to
    /// it goes out in full once more.
    pub fn mark_email_verified(conn: &mut PgConnection, user_id: UserId) -> QueryResult<User> {
        crate::email::bounces::forget(conn, user_id)?;
        diesel::update(users::table.find(user_id))
            .set((
                users::email_verified.eq(true),
                users::email_undeliverable_at.eq(None::<DateTime<Utc>>),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .returning(User::as_returning())
            .get_result(conn)
    }

    pub fn record_failed_login(conn: &mut PgConnection, user_id: UserId) -> QueryResult<()> {
        diesel::update(users::table.find(user_id))
            .set((
                users::failed_login_count.eq(users::failed_login_count + 1),
                users::last_failed_login_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
        Ok(())
    }

    pub fn clear_failed_logins(conn: &mut PgConnection, user_id: UserId) -> QueryResult<()> {
        diesel::update(
            users::table
                .find(user_id)
                .filter(users::failed_login_count.gt(0)),
        )
        .set((
            users::failed_login_count.eq(0),
            users::last_failed_login_at.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)?;
        Ok(())
    }

    /// The account's address becomes `email`, verified (it came from a link sent there).
    pub fn set_verified_email(
        conn: &mut PgConnection,
        user_id: UserId,
        email: &str,
    ) -> QueryResult<User> {
        crate::email::bounces::forget(conn, user_id)?;
        diesel::update(users::table.find(user_id))
            .set((
                users::email.eq(email),
                users::email_verified.eq(true),
                users::email_undeliverable_at.eq(None::<DateTime<Utc>>),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .returning(User::as_returning())
            .get_result(conn)
    }

    /// Ends every access token at once: they carry the generation before this one.
    pub fn bump_session_generation(conn: &mut PgConnection, user_id: UserId) -> QueryResult<()> {
        diesel::update(users::table.find(user_id))
            .set(users::session_generation.eq(users::session_generation + 1))
            .execute(conn)
            .map(drop)
    }

    /// Sets a new password and ends every access token: they carry the old generation.
    pub fn reset_password(
        conn: &mut PgConnection,
        user_id: UserId,
        password_hash: &str,
    ) -> QueryResult<()> {
        diesel::update(users::table.find(user_id))
            .set((
                users::password_hash.eq(password_hash),
                users::session_generation.eq(users::session_generation + 1),
                users::failed_login_count.eq(0),
                users::last_failed_login_at.eq(None::<DateTime<Utc>>),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
        Ok(())
    }
}

// Sessions: one per login, each with its family of refresh tokens; emailed link tokens.

/// The longest user agent kept for a session; longer ones are cut.
pub const USER_AGENT_CHARS: usize = 512;

/// `user_agent` as a session keeps it: at most [`USER_AGENT_CHARS`] characters, no NUL.
fn kept_user_agent(user_agent: Option<&str>) -> Option<String> {
    let agent: String = user_agent?
        .chars()
        .filter(|c| *c != '\0')
        .take(USER_AGENT_CHARS)
        .collect();
    let agent = agent.trim();
    (!agent.is_empty()).then(|| agent.to_string())
}

/// Starts a new login: its session and the first token of its family. `method` says how it
/// began (`password`, `passkey` or a provider's id, with `+totp` or `+recovery`).
pub fn start_family(
    conn: &mut PgConnection,
    user_id: UserId,
    ttl: Duration,
    user_agent: Option<&str>,
    method: &str,
) -> QueryResult<(Uuid, String)> {
    let session = Uuid::new_v4();
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(session),
            sessions::user_id.eq(user_id),
            sessions::expires_at.eq(Utc::now() + ttl),
            sessions::user_agent.eq(kept_user_agent(user_agent)),
            sessions::method.eq(method),
        ))
        .execute(conn)?;
    let token = tokens::generate();
    store_in_family(conn, user_id, session, &token, ttl)?;
    Ok((session, token))
}

fn store_in_family(
    conn: &mut PgConnection,
    user_id: UserId,
    family: Uuid,
    token: &str,
    ttl: Duration,
) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::family_id.eq(family),
            refresh_tokens::token_hash.eq(tokens::hash(token)),
            refresh_tokens::expires_at.eq(Utc::now() + ttl),
        ))
        .execute(conn)?;
    Ok(())
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
    /// The token was good: here is its successor, in the same session.
    Rotated {
        user_id: UserId,
        session: Uuid,
        token: String,
    },
    /// The token had been used already: someone replayed it, so its family is now revoked.
    Reused,
    /// Unknown, expired or revoked.
    Invalid,
}

/// Exchanges a refresh token for its successor. Run inside a transaction: the row lock makes
/// two concurrent uses of one token resolve one after the other. A token used again within
/// the policy's grace period gets the same successor (two tabs refreshing at once); used
/// again later, it revokes its whole login (RFC 9700 §4.14). The session notes the use.
pub fn rotate(
    conn: &mut PgConnection,
    token: &str,
    policy: &RefreshPolicy,
    user_agent: Option<&str>,
) -> QueryResult<Rotation> {
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
    if let Some(used_at) = row.used_at {
        let successor = policy.successor_of(token);
        if Utc::now() - used_at <= policy.grace && successor_alive(conn, &row, &successor)? {
            return Ok(Rotation::Rotated {
                user_id: row.user_id,
                session: row.family_id,
                token: successor,
            });
        }
        revoke_family(conn, row.family_id)?;
        return Ok(Rotation::Reused);
    }
    if row.expires_at <= Utc::now() {
        return Ok(Rotation::Invalid);
    }
    diesel::update(refresh_tokens::table.find(row.id))
        .set(refresh_tokens::used_at.eq(diesel::dsl::now))
        .execute(conn)?;
    let successor = policy.successor_of(token);
    store_in_family(conn, row.user_id, row.family_id, &successor, policy.ttl)?;
    note_session_use(conn, row.family_id, policy.ttl, user_agent)?;
    Ok(Rotation::Rotated {
        user_id: row.user_id,
        session: row.family_id,
        token: successor,
    })
}

/// A refresh of `session`: last used now, alive for another `ttl`, seen from `user_agent`.
fn note_session_use(
    conn: &mut PgConnection,
    session: Uuid,
    ttl: Duration,
    user_agent: Option<&str>,
) -> QueryResult<()> {
    let now = Utc::now();
    let target = sessions::table.find(session);
    match kept_user_agent(user_agent) {
        Some(agent) => diesel::update(target)
            .set((
                sessions::last_used_at.eq(now),
                sessions::expires_at.eq(now + ttl),
                sessions::user_agent.eq(agent),
            ))
            .execute(conn)?,
        None => diesel::update(target)
            .set((
                sessions::last_used_at.eq(now),
                sessions::expires_at.eq(now + ttl),
            ))
            .execute(conn)?,
    };
    Ok(())
}

/// Whether the successor a rotation gave is still a live token of the same login.
fn successor_alive(
    conn: &mut PgConnection,
    row: &RefreshTokenRow,
    successor: &str,
) -> QueryResult<bool> {
    let live: i64 = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(tokens::hash(successor)))
        .filter(refresh_tokens::family_id.eq(row.family_id))
        .filter(refresh_tokens::revoked_at.is_null())
        .filter(refresh_tokens::expires_at.gt(diesel::dsl::now))
        .count()
        .get_result(conn)?;
    Ok(live > 0)
}

/// Ends one login: its session and every token of its family.
fn revoke_family(conn: &mut PgConnection, family: Uuid) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .find(family)
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(diesel::dsl::now))
    .execute(conn)?;
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

/// Ends every login of the account but `keep` (the caller's own, when it stays).
pub fn revoke_all_for_user(
    conn: &mut PgConnection,
    user_id: UserId,
    keep: Option<Uuid>,
) -> QueryResult<usize> {
    let keep = keep.unwrap_or(Uuid::nil());
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::id.ne(keep))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(diesel::dsl::now))
    .execute(conn)?;
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::family_id.ne(keep))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(diesel::dsl::now))
    .execute(conn)
}

/// Whether `session` is a login of `user` that still works (not signed out, not revoked by a
/// reuse or a password change, not expired): SQL for the statement that reads the account.
#[diesel::dsl::auto_type]
pub fn live_session(user: UserId, session: Uuid) -> _ {
    let now: diesel::dsl::now = diesel::dsl::now;
    diesel::dsl::exists(
        sessions::table
            .filter(sessions::id.eq(session))
            .filter(sessions::user_id.eq(user))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::expires_at.gt(now)),
    )
}

/// One signed-in device.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    pub method: String,
}

/// The account's logins that still work, the most recently used first.
pub fn live_sessions(conn: &mut PgConnection, user_id: UserId) -> QueryResult<Vec<Session>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(diesel::dsl::now))
        .order((sessions::last_used_at.desc(), sessions::id))
        .select(Session::as_select())
        .load(conn)
}

/// Ends the account's login `session`; whether it had one by that id still working.
pub fn revoke_session(
    conn: &mut PgConnection,
    user_id: UserId,
    session: Uuid,
) -> QueryResult<bool> {
    let owned: Option<Uuid> = sessions::table
        .find(session)
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(diesel::dsl::now))
        .select(sessions::id)
        .for_update()
        .first(conn)
        .optional()?;
    if owned.is_none() {
        return Ok(false);
    }
    revoke_family(conn, session)?;
    Ok(true)
}

/// A single-use token for an email link, about `email` when the purpose names an address;
/// earlier unused tokens of the same purpose die.
pub fn create_link_token(
    conn: &mut PgConnection,
    user_id: UserId,
    purpose: Purpose,
    email: Option<&str>,
) -> QueryResult<String> {
    expire_link_tokens(conn, user_id, purpose)?;
    let token = tokens::generate();
    diesel::insert_into(user_tokens::table)
        .values((
            user_tokens::user_id.eq(user_id),
            user_tokens::purpose.eq(purpose),
            user_tokens::token_hash.eq(tokens::hash(&token)),
            user_tokens::expires_at.eq(Utc::now() + purpose.lifetime()),
            user_tokens::email.eq(email),
        ))
        .execute(conn)?;
    Ok(token)
}

/// Makes the account's unused tokens of `purpose` unusable.
pub fn expire_link_tokens(
    conn: &mut PgConnection,
    user_id: UserId,
    purpose: Purpose,
) -> QueryResult<usize> {
    diesel::update(
        user_tokens::table
            .filter(user_tokens::user_id.eq(user_id))
            .filter(user_tokens::purpose.eq(purpose))
            .filter(user_tokens::used_at.is_null()),
    )
    .set(user_tokens::used_at.eq(diesel::dsl::now))
    .execute(conn)
}

/// What a used link token was for: its account, purpose and address (if it names one).
#[derive(Debug, Queryable)]
pub struct UsedToken {
    pub user_id: UserId,
    pub purpose: Purpose,
    pub email: Option<String>,
}

/// Uses up a link token of one of `purposes`, if it was unused and unexpired.
pub fn consume_link_token(
    conn: &mut PgConnection,
    token: &str,
    purposes: &[Purpose],
) -> QueryResult<Option<UsedToken>> {
    diesel::update(
        user_tokens::table
            .filter(user_tokens::token_hash.eq(tokens::hash(token)))
            .filter(user_tokens::purpose.eq_any(purposes))
            .filter(user_tokens::used_at.is_null())
            .filter(user_tokens::expires_at.gt(diesel::dsl::now)),
    )
    .set(user_tokens::used_at.eq(diesel::dsl::now))
    .returning((
        user_tokens::user_id,
        user_tokens::purpose,
        user_tokens::email,
    ))
    .get_result(conn)
    .optional()
}

/// A verified, unsuspended account with `role`, for unit tests of rules.
#[cfg(test)]
pub fn fixture(id: i64, role: Role) -> User {
    User {
        id: UserId(id),
        username: format!("u{id}"),
        email: format!("u{id}@example.com"),
        password_hash: String::new(),
        role,
        email_verified: true,
        display_name: None,
        created_at: Utc::now(),
        updated_at: Utc::now(),
        bio: String::new(),
        location: None,
        timezone: None,
        skills: vec![],
        suspended_at: None,
        suspended_until: None,
        suspension_reason: None,
        session_generation: 0,
        failed_login_count: 0,
        last_failed_login_at: None,
        trust_level: super::domain::TrustLevel::New,
        trust_level_pinned: false,
        email_undeliverable_at: None,
        username_pending: false,
        two_factor: false,
        webauthn_id: Uuid::nil(),
        avatar_url: None,
    }
}

/// PostgreSQL text cannot hold NUL: such a value names nothing, and sending it would fail.
pub fn storable(text: &str) -> bool {
    !text.contains('\0')
}

/// Notes that `user` was here at `at` (never moving the time back), and on that UTC day
/// (`member_days`, the dashboard's "active members"). Seen again after an hour away is a new
/// visit: the one before becomes their previous visit (`reading_marks`), since when what was
/// started is "new" to them.
pub fn record_visit(conn: &mut PgConnection, user: UserId, at: DateTime<Utc>) -> QueryResult<()> {
    diesel::sql_query(
        "WITH before AS ( \
             SELECT last_seen_at FROM users WHERE id = $1 FOR NO KEY UPDATE \
         ), seen AS ( \
             UPDATE users SET last_seen_at = GREATEST(last_seen_at, $2) WHERE id = $1 \
         ), day AS ( \
             INSERT INTO member_days (user_id, day) VALUES ($1, ($2 AT TIME ZONE 'UTC')::date) \
             ON CONFLICT DO NOTHING \
         ) \
         INSERT INTO reading_marks (user_id, previous_visit_at) \
         SELECT $1, last_seen_at FROM before WHERE last_seen_at < $2 - interval '1 hour' \
         ON CONFLICT (user_id) DO UPDATE SET previous_visit_at = excluded.previous_visit_at",
    )
    .bind::<diesel::sql_types::BigInt, _>(user)
    .bind::<diesel::sql_types::Timestamptz, _>(at)
    .execute(conn)
    .map(drop)
}

pub fn is_suspended(
    suspended_at: Option<DateTime<Utc>>,
    suspended_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    suspended_at.is_some() && suspended_until.is_none_or(|until| until > now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn suspension_holds_until_its_end() {
        let now = Utc::now();
        assert!(!is_suspended(None, None, now));
        assert!(is_suspended(Some(now), None, now));
        assert!(is_suspended(Some(now), Some(now + Duration::hours(1)), now));
        assert!(!is_suspended(
            Some(now),
            Some(now - Duration::seconds(1)),
            now
        ));
    }
}
