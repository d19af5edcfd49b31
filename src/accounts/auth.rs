//! Who is calling, as types: a handler's signature says what it needs.
//!
//! - `AuthUser`: a valid access token; the account is read from the database on every
//!   request, so a role change or suspension applies to the very next one.
//! - `SignedIn`: an `AuthUser` with the login its token belongs to (the account's sessions).
//! - `ActiveUser`: an `AuthUser` that is not suspended (every write).
//! - `Member`: an `ActiveUser` with a verified email (writes that publish content).
//! - `Moderator` / `Admin`: staff, not suspended.
//! - `MaybeUser`: anonymous callers welcome; a token, if sent, must be valid.
//! - `BearerClaims`: a verified token whose handler checks the session itself, in the
//!   statement that answers it (the unread badge: one round trip).
//!
//! # Who is calling
//!
//! Access tokens are HS256 JWTs (`sub`, `iat`, `exp`, `jti`, and `gen`, the account's session
//! generation), valid at most 15 minutes. Every authenticated request loads the account by id
//! (one primary-key lookup), so a role change or a suspension applies to the next request, and a
//! password reset (which bumps `gen`) ends every access token at once. The extractors encode the
//! rules in handler signatures: `AuthUser` (any valid token), `ActiveUser` (not suspended:
//! every write), `Member` (also a verified email: publishing), `Moderator`, `Admin`. One hot read
//! takes `BearerClaims` instead (the verified token, no database): the unread count reads the
//! account's generation with the member's counter in one statement, and applies the same rule
//! (`auth::ensure_current_session`), one round trip instead of two.
//!
//! Refresh tokens are 256-bit random strings stored as SHA-256 hashes. Each login starts a
//! family; `refresh` marks the presented token used and issues its successor under a row lock;
//! presenting a used token again revokes the whole family (RFC 9700). Logout revokes the family.
//!
//! **Sessions (devices).** A family is a row of `sessions` (its id is the family id): when the
//! login began, when it was last refreshed, the `User-Agent` it came with (at most 512
//! characters), and `revoked_at`. Access tokens carry it as `sid`, so `GET /users/me/sessions`
//! marks the caller's own (`SignedIn`, the extractor that gives the account with its session).
//! Ending one session (`DELETE /users/me/sessions/{id}`, logout) revokes its family: the next
//! refresh fails. Ending all of them (`logout-everywhere`, undoing an email change) also bumps
//! the generation, so every access token stops at once; a password change bumps it too and
//! revokes every family but the caller's, whose client refreshes and goes on.
//!
//! **Email links** (`user_tokens`) are single-use, hashed, with a purpose and a lifetime:
//! verification (24 h), password reset (1 h), an email change (24 h; the token carries the new
//! address, and `POST /auth/verify-email` applies it, refused if another account took the
//! address meanwhile), and its undo (7 days; sent to the old address, it cancels a pending
//! change or puts the old address back and signs everyone out). Asking for another
//! verification mail is limited per client IP (429) and per address (silently: the answer is
//! 202 whatever the address).
//!
//! **In a browser** (`accounts/browser.rs`, API.md "Sessions in a browser"): `login`, `refresh`
//! and `logout` sent with `X-Session-Mode: cookie` keep the refresh token in an HttpOnly
//! `__Host-devforum_refresh` cookie (`Secure; SameSite=Strict; Path=/`) and out of the body, so
//! no script can read it; the access token lives only in the page's memory. The cookie is
//! honoured only with that header (a cross-site form cannot send one) and when `Origin`, if
//! sent, is the server's own, `web.base_url`'s, or one named in `server.cors_allowed_origins`;
//! a request carrying only the cookie is `401 session_mode_required`. A token's successor is
//! derived from it (HMAC-SHA256 under a key derived from `auth.jwt_secret`), so a token presented
//! again within `auth.refresh_reuse_grace_secs` is answered with the same successor — two tabs
//! refreshing at once both stay signed in — without any token being stored; after the grace
//! period, reuse revokes the login as before.
//!
//! **The web client** is served from the same origin (`http/web_client.rs`): files of
//! `web.dist_dir`, hashed `/assets/*` cached for a year, anything else revalidated, any other
//! `GET` outside `/api`, `/docs` and the probes answered by `index.html` (the client's router
//! takes it from there), `.br`/`.gz` siblings sent to browsers that accept them, and on pages a
//! Content-Security-Policy with scripts and styles from this origin only and `frame-ancestors
//! 'none'`. Every response carries `X-Content-Type-Options: nosniff` and a `Referrer-Policy`;
//! answers are compressed (gzip, brotli, zstd) for clients that ask (gzip when the client weighs
//! it as high as any other, as browsers do: `http::compression` makes it on the worker, with one
//! deflate state per thread, for answers up to 256 KiB; the rest is actix's `Compress`), and sockets use
//! `TCP_NODELAY` (a compressed body is written after its headers; Nagle's algorithm and delayed
//! ACKs held it back 40 ms).
//!
//! Login looks the account up, applies the per-account delay (`accounts::rules::login_delay`),
//! then verifies the password on the blocking pool behind a semaphore (`HashingPool`): an
//! unknown login is verified against a dummy hash, so it costs what a wrong password costs.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::api_tokens;
use super::domain::Role;
use super::model::User;
use crate::accounts::jwt::JwtKeys;
use crate::db::{self, Cost, DbPool};
use crate::error::ApiError;
use crate::ids::UserId;
use crate::reads::{ReadPool, Reads, Viewer};

type Extracted<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

fn bearer_token(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::unauthorized("The Authorization header is not valid text."))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim().to_string()))
        }
        _ => Err(ApiError::unauthorized(
            "Send `Authorization: Bearer <access_token>`.",
        )),
    }
}

/// A verified access token, read without the database: the account it names and the session
/// generation it was issued in. `AuthUser` reads the account and applies
/// [`ensure_current_session`]; a hot read that only needs the member's id (the unread badge)
/// takes this instead and reads the generation in the very statement that answers it, one
/// round trip instead of two.
pub struct BearerClaims {
    pub user_id: UserId,
    pub generation: i32,
    /// The login the token was issued in: signing out, a device sign-out or a detected
    /// refresh-token reuse ends it, and with it the token.
    pub session: uuid::Uuid,
}

fn invalid_token() -> ApiError {
    ApiError::unauthorized("The access token is invalid or has expired.")
}

fn verify(req: &HttpRequest, token: &str) -> Result<BearerClaims, ApiError> {
    let keys = req
        .app_data::<web::Data<JwtKeys>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("JwtKeys missing from app data")))?;
    let claims = keys.verify(token).ok_or_else(invalid_token)?;
    Ok(BearerClaims {
        user_id: claims.user_id().ok_or_else(invalid_token)?,
        generation: claims.gen,
        // Every token since logins had ids carries one; one without could not be ended.
        session: claims.sid.ok_or_else(invalid_token)?,
    })
}

/// What the database says of a verified token: its account's session generation, and whether
/// the login the token was issued in still works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredSession {
    pub generation: i32,
    pub live: bool,
}

/// The rule that makes a verified token valid now: its account still exists (`stored` is
/// `None` when there is none), no password reset bumped the generation since the token was
/// issued, and its login was not ended (logout, a device sign-out, a refresh-token reuse):
/// a token of an ended login stops at its next request, not when it expires.
pub fn ensure_current_session(
    claims: &BearerClaims,
    stored: Option<StoredSession>,
) -> Result<(), ApiError> {
    match stored {
        Some(stored) if stored.generation == claims.generation && stored.live => Ok(()),
        _ => Err(invalid_token()),
    }
}

/// Resolves a token to the current state of its account.
async fn authenticate(req: &HttpRequest, token: String) -> Result<User, ApiError> {
    authenticate_session(req, token).await.map(|(user, _)| user)
}

/// Resolves a token to the current state of its account, and the login it was issued in.
async fn authenticate_session(
    req: &HttpRequest,
    token: String,
) -> Result<(User, uuid::Uuid), ApiError> {
    let pool = req
        .app_data::<web::Data<DbPool>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("DbPool missing from app data")))?
        .clone();
    if api_tokens::is_api_token(&token) {
        return authenticate_api_token(req, &pool, token).await;
    }
    let claims = verify(req, &token)?;
    let (user_id, session) = (claims.user_id, claims.session);
    let found = db::read(&pool, Cost::Small, move |conn| {
        Ok(User::find_signed_in(conn, user_id, session)?)
    })
    .await?;
    ensure_current_session(
        &claims,
        found.as_ref().map(|(user, live)| StoredSession {
            generation: user.session_generation,
            live: *live,
        }),
    )?;
    let (user, _) = found.ok_or_else(invalid_token)?;
    req.extensions_mut().insert(Viewer(user.id));
    if let Some(activity) = req.app_data::<web::Data<Activity>>() {
        if counts_as_activity(req.path()) && activity.due(user.id, Instant::now()) {
            activity.record(pool.get_ref().clone(), user.id, Utc::now());
        }
    }
    Ok((user, claims.session))
}

/// A request with an API token (`accounts::api_tokens`): the token must be current, its
/// account not suspended, its scopes must cover the operation, and its own bucket must have
/// room. It is no session: what needs one refuses it before this (`SessionOnly`), and the
/// nil session it answers with matches none.
async fn authenticate_api_token(
    req: &HttpRequest,
    pool: &web::Data<DbPool>,
    token: String,
) -> Result<(User, uuid::Uuid), ApiError> {
    let pattern = req.match_pattern();
    let access = api_tokens::required_access(
        req.method().as_str(),
        pattern.as_deref().unwrap_or(req.path()),
    );
    let now = Utc::now();
    let found = db::write(pool, move |conn| {
        super::service::api_tokens::authenticate(conn, &token, now)
    })
    .await?
    .ok_or_else(|| ApiError::unauthorized("The API token is invalid, expired or revoked."))?;
    ensure_not_suspended(&found.user)?;
    api_tokens::allows(&found.scopes, access)?;
    if let Some(limits) = req.app_data::<web::Data<crate::rate_limit::AuthRateLimits>>() {
        limits.api_tokens.check(&found.token.get()).await?;
    }
    req.extensions_mut().insert(Viewer(found.user.id));
    Ok((found.user, uuid::Uuid::nil()))
}

/// The member a request is signed in as, for routing its reads: the one authentication
/// found, else the one its bearer token names (checked by signature only: a read routed for
/// a token that turns out stale is refused by the handler's own authentication anyway).
pub fn viewer_id(req: &HttpRequest) -> Option<UserId> {
    if let Some(Viewer(user)) = req.extensions().get::<Viewer>() {
        return Some(*user);
    }
    let token = bearer_token(req).ok()??;
    verify(req, &token).ok().map(|claims| claims.user_id)
}

fn required_bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    bearer_token(req)?.ok_or_else(|| {
        ApiError::unauthorized("This endpoint needs `Authorization: Bearer <access_token>`.")
    })
}

impl FromRequest for BearerClaims {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(required_bearer_token(req).and_then(|token| verify(req, &token)))
    }
}

/// Who asks for the unread badge: the holder of an access token, read without the database
/// (its session checked by the statement that counts), or of an API token, authenticated as
/// any other request is.
pub enum BadgeCaller {
    Session(BearerClaims),
    /// The member an API token acts for.
    Token(UserId),
}

impl FromRequest for BadgeCaller {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let token = required_bearer_token(&req)?;
            if api_tokens::is_api_token(&token) {
                return authenticate(&req, token)
                    .await
                    .map(|user| BadgeCaller::Token(user.id));
            }
            verify(&req, &token).map(BadgeCaller::Session)
        })
    }
}

/// Whether a request shows the member is here: not what a client fetches by itself in the
/// background (the live stream, the unread badge).
fn counts_as_activity(path: &str) -> bool {
    !matches!(
        path,
        "/api/v1/notifications/stream" | "/api/v1/notifications/unread-count"
    )
}

/// When members were last seen (`users.last_seen_at`, which decides whether mail for a member
/// who is "away" goes): written at most once per `every` per member and process, after the
/// request, never in its way. A visit within `every` of the last one written is not written,
/// so "seen" is exact to within `every`.
pub struct Activity {
    every: Duration,
    written: Mutex<HashMap<UserId, Instant>>,
}

impl Activity {
    /// Past this many members, entries older than `every` are dropped.
    const PRUNE_AT: usize = 100_000;

    pub fn new(every: Duration) -> Self {
        Activity {
            every,
            written: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `user`'s visit at `now` should be written (and notes that it will be).
    pub fn due(&self, user: UserId, now: Instant) -> bool {
        let mut written = self
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if written.len() >= Self::PRUNE_AT {
            let every = self.every;
            written.retain(|_, at| now.duration_since(*at) < every);
        }
        match written.get(&user) {
            Some(at) if now.duration_since(*at) < self.every => false,
            _ => {
                written.insert(user, now);
                true
            }
        }
    }

    /// Writes the visit in the background; a failure only costs an away-mail its precision.
    fn record(&self, pool: DbPool, user: UserId, at: DateTime<Utc>) {
        actix_web::rt::spawn(async move {
            let written = db::write(&pool, move |conn| {
                Ok(crate::accounts::model::record_visit(conn, user, at)?)
            })
            .await;
            if let Err(error) = written {
                tracing::debug!(%error, "could not record a visit");
            }
        });
    }
}

/// What a suspended member may still do: whatever concerns only themselves (signing out, their
/// devices, password, address and mail, what they follow and have read, whom they block, their
/// calendar feed, their data, their ways to sign in, closing their account) and contesting the suspension. Everything
/// others would see or receive (posts, edits, votes, reports, requests, RSVPs, meetups, the
/// public profile) is `403 account_suspended`: those handlers take `ActiveUser` (or `Member`),
/// these take `AuthUser`. `tests/api/hardening.rs` holds every write operation of the API to
/// this list.
pub const SUSPENDED_MAY: &[(&str, &str)] = &[
    ("POST", "/api/v1/appeals"),
    ("POST", "/api/v1/auth/logout-everywhere"),
    ("DELETE", "/api/v1/users/me/sessions/{id}"),
    ("POST", "/api/v1/users/me/password"),
    ("POST", "/api/v1/users/me/email"),
    ("PATCH", "/api/v1/users/me/notification-settings"),
    ("POST", "/api/v1/notifications/{id}/read"),
    ("POST", "/api/v1/notifications/read"),
    ("POST", "/api/v1/threads/{id}/notifications/read"),
    (
        "POST",
        "/api/v1/mentorship-requests/{id}/notifications/read",
    ),
    ("PUT", "/api/v1/threads/{id}/subscription"),
    ("PUT", "/api/v1/tags/{name}/subscription"),
    ("PUT", "/api/v1/users/{username}/block"),
    ("DELETE", "/api/v1/users/{username}/block"),
    ("POST", "/api/v1/users/me/calendar-feed"),
    ("DELETE", "/api/v1/users/me/calendar-feed"),
    ("POST", "/api/v1/users/me/export"),
    ("DELETE", "/api/v1/users/me"),
    ("POST", "/api/v1/users/me/2fa/totp"),
    ("POST", "/api/v1/users/me/2fa/totp/confirm"),
    ("DELETE", "/api/v1/users/me/2fa/totp"),
    ("DELETE", "/api/v1/users/me/identities/{id}"),
    ("POST", "/api/v1/users/me/passkeys/register/start"),
    ("POST", "/api/v1/users/me/passkeys/register/finish"),
    ("DELETE", "/api/v1/users/me/passkeys/{id}"),
    // Revoking a token (they work for nobody while the account is suspended anyway).
    ("DELETE", "/api/v1/users/me/api-tokens/{id}"),
    // Where they left off, and what they are writing (for themselves alone).
    ("PUT", "/api/v1/threads/{id}/read"),
    ("POST", "/api/v1/users/me/mark-threads-read"),
    // Reading one's conversations, and leaving them.
    ("POST", "/api/v1/conversations/{id}/read"),
    ("POST", "/api/v1/conversations/{id}/leave"),
    ("PUT", "/api/v1/drafts/{key}"),
    ("DELETE", "/api/v1/drafts/{key}"),
    // Taking one's picture down (what a suspension may be about); a new one waits.
    ("DELETE", "/api/v1/users/me/avatar"),
];

pub struct AuthUser(pub User);

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let token = required_bearer_token(&req)?;
            authenticate(&req, token).await.map(AuthUser)
        })
    }
}

/// An `AuthUser` with the login (session) its token was issued in: for what concerns the
/// account's own sessions (which one is this device, which ones a password change ends).
pub struct SignedIn {
    pub user: User,
    pub session: uuid::Uuid,
}

impl FromRequest for SignedIn {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let token = required_bearer_token(&req)?;
            let (user, session) = authenticate_session(&req, token).await?;
            Ok(SignedIn { user, session })
        })
    }
}

pub struct MaybeUser(pub Option<User>);

impl FromRequest for MaybeUser {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match bearer_token(&req)? {
                None => Ok(MaybeUser(None)),
                Some(token) => authenticate(&req, token).await.map(|u| MaybeUser(Some(u))),
            }
        })
    }
}

/// The rule behind `ActiveUser`: suspended accounts read but do not write.
pub fn ensure_not_suspended(user: &User) -> Result<(), ApiError> {
    if user.is_suspended_at(Utc::now()) {
        let until = user
            .suspended_until
            .map(|u| {
                format!(
                    " until {}",
                    u.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                )
            })
            .unwrap_or_default();
        return Err(ApiError::forbidden(
            "account_suspended",
            format!("This account is suspended{until}; it can read but not write."),
        ));
    }
    Ok(())
}

/// The rule behind `Member`: publishing needs a verified email.
pub fn ensure_can_publish(user: &User) -> Result<(), ApiError> {
    ensure_not_suspended(user)?;
    if !user.email_verified {
        return Err(ApiError::forbidden(
            "email_not_verified",
            "Verify your email address before publishing.",
        ));
    }
    Ok(())
}

/// The rule behind `Moderator` and `Admin`.
pub fn ensure_role(user: &User, at_least: Role) -> Result<(), ApiError> {
    ensure_not_suspended(user)?;
    if user.role() < at_least {
        return Err(ApiError::forbidden(
            "insufficient_role",
            format!("This needs the {} role.", at_least.as_str()),
        ));
    }
    Ok(())
}

/// With `[auth] require_second_factor_for_staff`, staff act only from an account a second
/// factor guards.
pub fn ensure_staff_second_factor(user: &User, required: bool) -> Result<(), ApiError> {
    if required && user.is_staff() && !user.two_factor {
        return Err(ApiError::forbidden(
            "second_factor_required",
            "Staff must turn on two-factor sign-in (account settings) before moderating.",
        ));
    }
    Ok(())
}

fn staff_second_factor_required(req: &HttpRequest) -> bool {
    req.app_data::<actix_web::web::Data<crate::config::Settings>>()
        .is_some_and(|settings| settings.auth.require_second_factor_for_staff)
}

macro_rules! refined_extractor {
    ($(#[$doc:meta])* $name:ident, $rule:expr) => {
        refined_extractor!($(#[$doc])* $name, $rule, false);
    };
    ($(#[$doc:meta])* $name:ident, $rule:expr, $staff:expr) => {
        $(#[$doc])*
        pub struct $name(pub User);

        impl FromRequest for $name {
            type Error = ApiError;
            type Future = Extracted<Self>;

            fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
                let user = AuthUser::from_request(req, payload);
                let second_factor = $staff && staff_second_factor_required(req);
                Box::pin(async move {
                    let AuthUser(user) = user.await?;
                    let rule: fn(&User) -> Result<(), ApiError> = $rule;
                    rule(&user)?;
                    ensure_staff_second_factor(&user, second_factor)?;
                    Ok($name(user))
                })
            }
        }
    };
}

refined_extractor!(
    /// Signed in and not suspended: may write.
    ActiveUser,
    ensure_not_suspended
);
refined_extractor!(
    /// Signed in, not suspended, email verified: may publish content.
    Member,
    ensure_can_publish
);
refined_extractor!(
    /// A moderator or an admin, not suspended (and with a second factor, when the policy
    /// asks for one).
    Moderator,
    |user| ensure_role(user, Role::Moderator),
    true
);
refined_extractor!(
    /// An admin, not suspended (and with a second factor, when the policy asks for one).
    Admin,
    |user| ensure_role(user, Role::Admin),
    true
);

/// The read pool routed for the signed-in viewer (replica when it has caught up with their
/// writes): here rather than in `reads`, since it is the authentication that knows the viewer.
impl FromRequest for ReadPool {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let reads = req.app_data::<web::Data<Reads>>().cloned();
        let viewer = viewer_id(req);
        Box::pin(async move {
            let reads = reads.ok_or_else(|| {
                ApiError::Internal(anyhow::anyhow!("Reads missing from app data"))
            })?;
            Ok(reads.for_viewer(viewer).await)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_current_only_for_a_live_login_of_an_existing_account_of_its_generation() {
        let claims = BearerClaims {
            user_id: UserId(7),
            generation: 2,
            session: uuid::Uuid::new_v4(),
        };
        let stored = |generation, live| Some(StoredSession { generation, live });
        assert!(ensure_current_session(&claims, stored(2, true)).is_ok());
        // A password reset since the token was issued.
        assert!(ensure_current_session(&claims, stored(3, true)).is_err());
        // Its login ended: signed out, signed out from another device, or a reuse detected.
        assert!(ensure_current_session(&claims, stored(2, false)).is_err());
        // No such account.
        assert!(ensure_current_session(&claims, None).is_err());
    }

    #[test]
    fn a_visit_is_written_once_per_interval_and_background_fetches_are_no_visit() {
        let activity = Activity::new(Duration::from_secs(30));
        let start = Instant::now();
        assert!(activity.due(UserId(1), start));
        assert!(!activity.due(UserId(1), start + Duration::from_secs(29)));
        assert!(activity.due(UserId(2), start + Duration::from_secs(29)));
        assert!(activity.due(UserId(1), start + Duration::from_secs(30)));
        assert!(!counts_as_activity("/api/v1/notifications/stream"));
        assert!(!counts_as_activity("/api/v1/notifications/unread-count"));
        assert!(counts_as_activity("/api/v1/threads/7"));
    }
}
