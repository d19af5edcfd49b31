//! The statements of erasure (`service::erasure` holds the use cases).

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamptz};

use crate::accounts::model::User;
use crate::accounts::tokens;
use crate::error::ApiError;
use crate::ids::UserId;
use crate::schema::users;

/// Whether `username` belongs to an account deleted less than the reservation ago.
pub fn is_reserved(conn: &mut PgConnection, username: &str) -> QueryResult<bool> {
    diesel::select(
        diesel::dsl::sql::<diesel::sql_types::Bool>(
            "EXISTS (SELECT 1 FROM reserved_usernames WHERE username_hash = ",
        )
        .bind::<Text, _>(username_key(username))
        .sql(" AND reserved_until > now())"),
    )
    .get_result(conn)
}

pub fn live_account(conn: &mut PgConnection, id: UserId, lock: bool) -> Result<User, ApiError> {
    let query = users::table
        .find(id)
        .filter(users::deleted_at.is_null())
        .select(User::as_select());
    let found = if lock {
        query.for_update().first(conn).optional()?
    } else {
        query.first(conn).optional()?
    };
    found.ok_or(ApiError::NotFound)
}

/// Every personal field of the row goes; the row stays for what points at it. The password
/// can never match (`!` is no hash), and the generation moves so every access token ends.
pub fn make_tombstone(conn: &mut PgConnection, id: UserId, reference: &str) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE users SET username = $2, email = $2 || '@deleted.invalid', password_hash = '!', \
             role = 'member', email_verified = false, display_name = $3, bio = '', \
             location = NULL, timezone = NULL, skills = '{}', suspended_at = NULL, \
             suspended_until = NULL, suspension_reason = NULL, \
             session_generation = session_generation + 1, failed_login_count = 0, \
             last_failed_login_at = NULL, email_notifications = 'never', digest = 'never', \
             last_seen_at = NULL, last_digest_at = NULL, email_undeliverable_at = NULL, \
             deleted_at = now(), updated_at = now() \
         WHERE id = $1",
    )
    .bind::<BigInt, _>(id)
    .bind::<Text, _>(reference)
    .bind::<Text, _>(DELETED_MEMBER)
    .execute(conn)
    .map(drop)
}

pub fn reserve_username(conn: &mut PgConnection, username: &str, days: u32) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO reserved_usernames (username_hash, reserved_until) VALUES ($1, $2) \
         ON CONFLICT (username_hash) DO UPDATE \
             SET reserved_until = GREATEST(reserved_usernames.reserved_until, EXCLUDED.reserved_until)",
    )
    .bind::<Text, _>(username_key(username))
    .bind::<Timestamptz, _>(Utc::now() + Duration::days(i64::from(days)))
    .execute(conn)
    .map(drop)
}

/// Rows that are the member's alone: sessions, link tokens, linked identities and second
/// factors, their blocks, follows, inbox, mail settings' traces, archives of their data, their
/// calendar feed.
pub fn delete_personal_rows(conn: &mut PgConnection, id: UserId) -> QueryResult<()> {
    for statement in [
        "DELETE FROM sessions WHERE user_id = $1",
        "DELETE FROM api_tokens WHERE user_id = $1",
        "DELETE FROM member_days WHERE user_id = $1",
        "DELETE FROM refresh_tokens WHERE user_id = $1",
        "DELETE FROM user_tokens WHERE user_id = $1",
        "DELETE FROM user_blocks WHERE blocker_id = $1",
        "DELETE FROM tag_subscriptions WHERE user_id = $1",
        "DELETE FROM thread_subscriptions WHERE user_id = $1",
        "DELETE FROM notifications WHERE user_id = $1",
        "DELETE FROM notification_deliveries WHERE user_id = $1",
        "DELETE FROM notification_counters WHERE user_id = $1",
        "DELETE FROM unsubscribe_tokens_used WHERE user_id = $1",
        "DELETE FROM account_exports WHERE user_id = $1",
        "DELETE FROM calendar_feeds WHERE user_id = $1",
        "DELETE FROM mail_bounces WHERE user_id = $1",
        // Ways to sign in: linked identities, second factors, sign-ins under way.
        "DELETE FROM identities WHERE user_id = $1",
        "DELETE FROM oauth_states WHERE user_id = $1",
        "DELETE FROM oauth_codes WHERE user_id = $1",
        "DELETE FROM totp_secrets WHERE user_id = $1",
        "DELETE FROM recovery_codes WHERE user_id = $1",
        "DELETE FROM mfa_challenges WHERE user_id = $1",
        "DELETE FROM passkeys WHERE user_id = $1",
        "DELETE FROM webauthn_ceremonies WHERE user_id = $1",
        "UPDATE users SET two_factor = false, username_pending = false, webauthn_id = gen_random_uuid() WHERE id = $1",
        // An appeal's text is the member's own words; the log keeps its decision.
        "DELETE FROM appeals WHERE appellant_id = $1",
        "DELETE FROM report_claims WHERE moderator_id = $1",
        // Messages prepared for others about the member's acts are written again, when they
        // go, from the tombstone ("deleted member").
        "UPDATE notifications SET mail = NULL WHERE actor_id = $1 AND mail IS NOT NULL",
    ] {
        diesel::sql_query(statement)
            .bind::<BigInt, _>(id)
            .execute(conn)?;
    }
    Ok(())
}

/// Mail not yet sent to the member, and failed mail that names them, is dropped (mail already
/// delivered is out of reach).
pub fn forget_mail(conn: &mut PgConnection, member: &User) -> QueryResult<()> {
    diesel::sql_query(
        "DELETE FROM jobs WHERE kind = $1 AND status <> 'running' \
           AND (lower(payload->>'to') = lower($2) \
                OR (status = 'failed' AND (strpos(lower(payload::text), lower($2)) > 0 \
                                           OR strpos(lower(payload::text), lower($3)) > 0)))",
    )
    .bind::<Text, _>(crate::email::SEND_EMAIL_JOB)
    .bind::<Text, _>(&member.email)
    .bind::<Text, _>(&member.username)
    .execute(conn)
    .map(drop)
}

/// What a deleted account is shown as wherever its content appears.
pub const DELETED_MEMBER: &str = "deleted member";

/// The key a reserved username is kept under: no reservation names anyone.
pub fn username_key(username: &str) -> String {
    tokens::hash(&username.to_lowercase())
}
