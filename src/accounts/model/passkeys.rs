//! The rows of passkeys and of WebAuthn ceremonies under way (`webauthn_ceremonies`: the
//! challenge state, 5 minutes, one use).

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::ids::UserId;
use crate::schema::{passkeys, users, webauthn_ceremonies};

pub const CEREMONY_LIFETIME: Duration = Duration::minutes(5);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = passkeys)]
pub struct PasskeyRow {
    pub id: i64,
    pub user_id: UserId,
    pub name: String,
    pub credential_id: Vec<u8>,
    pub credential: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

pub fn of_user(conn: &mut PgConnection, user: UserId) -> QueryResult<Vec<PasskeyRow>> {
    passkeys::table
        .filter(passkeys::user_id.eq(user))
        .order((passkeys::created_at, passkeys::id))
        .select(PasskeyRow::as_select())
        .load(conn)
}

pub fn count_of_user(conn: &mut PgConnection, user: UserId) -> QueryResult<i64> {
    passkeys::table
        .filter(passkeys::user_id.eq(user))
        .count()
        .get_result(conn)
}

pub fn insert(
    conn: &mut PgConnection,
    user: UserId,
    name: &str,
    credential_id: &[u8],
    credential: &serde_json::Value,
) -> QueryResult<PasskeyRow> {
    diesel::insert_into(passkeys::table)
        .values((
            passkeys::user_id.eq(user),
            passkeys::name.eq(name),
            passkeys::credential_id.eq(credential_id),
            passkeys::credential.eq(credential),
        ))
        .returning(PasskeyRow::as_returning())
        .get_result(conn)
}

/// After a sign-in: the credential's new counter and flags, and when it was used.
pub fn used(conn: &mut PgConnection, id: i64, credential: &serde_json::Value) -> QueryResult<()> {
    diesel::update(passkeys::table.find(id))
        .set((
            passkeys::credential.eq(credential),
            passkeys::last_used_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .map(drop)
}

/// Removes `user`'s passkey `id`; whether there was one.
pub fn remove(conn: &mut PgConnection, user: UserId, id: i64) -> QueryResult<bool> {
    diesel::delete(
        passkeys::table
            .filter(passkeys::id.eq(id))
            .filter(passkeys::user_id.eq(user)),
    )
    .execute(conn)
    .map(|n| n > 0)
}

/// The account whose passkeys carry this user handle.
pub fn user_with_handle(conn: &mut PgConnection, handle: Uuid) -> QueryResult<Option<UserId>> {
    users::table
        .filter(users::webauthn_id.eq(handle))
        .select(users::id)
        .first(conn)
        .optional()
}

/// Keeps a ceremony's state (a registration replaces the member's pending one).
pub fn begin_ceremony(
    conn: &mut PgConnection,
    id: Uuid,
    user: Option<UserId>,
    kind: &str,
    state: &serde_json::Value,
) -> QueryResult<()> {
    if let Some(user) = user {
        diesel::delete(
            webauthn_ceremonies::table
                .filter(webauthn_ceremonies::user_id.eq(user))
                .filter(webauthn_ceremonies::kind.eq(kind)),
        )
        .execute(conn)?;
    }
    diesel::insert_into(webauthn_ceremonies::table)
        .values((
            webauthn_ceremonies::id.eq(id),
            webauthn_ceremonies::user_id.eq(user),
            webauthn_ceremonies::kind.eq(kind),
            webauthn_ceremonies::state.eq(state),
            webauthn_ceremonies::expires_at.eq(Utc::now() + CEREMONY_LIFETIME),
        ))
        .execute(conn)
        .map(drop)
}

/// The member's pending registration, taken.
pub fn take_registration(
    conn: &mut PgConnection,
    user: UserId,
) -> QueryResult<Option<serde_json::Value>> {
    diesel::delete(
        webauthn_ceremonies::table
            .filter(webauthn_ceremonies::user_id.eq(user))
            .filter(webauthn_ceremonies::kind.eq("register"))
            .filter(webauthn_ceremonies::expires_at.gt(diesel::dsl::now)),
    )
    .returning(webauthn_ceremonies::state)
    .get_result(conn)
    .optional()
}

/// The sign-in ceremony `id`, taken.
pub fn take_authentication(
    conn: &mut PgConnection,
    id: Uuid,
) -> QueryResult<Option<serde_json::Value>> {
    diesel::delete(
        webauthn_ceremonies::table
            .filter(webauthn_ceremonies::id.eq(id))
            .filter(webauthn_ceremonies::kind.eq("authenticate"))
            .filter(webauthn_ceremonies::expires_at.gt(diesel::dsl::now)),
    )
    .returning(webauthn_ceremonies::state)
    .get_result(conn)
    .optional()
}

/// Forgets ceremonies past their time; how many went.
pub fn forget_expired(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::delete(
        webauthn_ceremonies::table.filter(webauthn_ceremonies::expires_at.le(diesel::dsl::now)),
    )
    .execute(conn)
}
