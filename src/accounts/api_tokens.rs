//! API tokens for bots and scripts: `dfp_<id>_<secret>`, made by a member with scopes and an
//! optional expiry, shown once, kept as the SHA-256 of the secret.
//!
//! - A token works as `Authorization: Bearer dfp_…` for what its scopes allow
//!   ([`required_access`]: reading is `read`, writing `write`, anything under `/mod` and
//!   `/admin` `moderate`), `403 insufficient_scope` beyond them. What concerns the account
//!   itself (its password, address, sessions, second factors, sign-in identities, tokens,
//!   export, calendar feed, closing it, `/auth/*`) needs a signed-in session: a stolen token
//!   cannot take the account over.
//! - It acts as its member now: a role lost takes `moderate` with it.
//! - It ends when deleted, when the account is erased, while the account is suspended, and at
//!   logout-everywhere or a password change (each moves the account's session generation on,
//!   and a token holds the generation it was made in).
//! - Each token has its own rate-limit bucket (`rate_limits.api_token_requests_per_minute`);
//!   `last_used_at` is written at most once a minute.

use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::domain::Role;
use crate::error::ApiError;
use crate::ids::ApiTokenId;

crate::text_enum! {
    /// What a token may do.
    #[derive(Serialize, Deserialize, ToSchema, PartialOrd, Ord)]
    #[serde(rename_all = "lowercase")]
    pub enum Scope ("token scope") {
        /// Every `GET`.
        Read => "read",
        /// Every other operation a member may do, outside their account's own settings.
        Write => "write",
        /// Everything under `/mod` and `/admin` (staff only).
        Moderate => "moderate",
    }
}

/// What an operation asks of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Scope(Scope),
    /// Only a signed-in session (a browser, an app's login) may.
    SessionOnly,
}

const PREFIX: &str = "dfp_";
const SECRET_BYTES: usize = 32;

/// The account's own settings and ways in: sessions only. Paths as the route table writes
/// them; a prefix covers what is below it.
const SESSION_ONLY: &[&str] = &[
    "/api/v1/auth/",
    "/api/v1/users/me/api-tokens",
    "/api/v1/users/me/password",
    "/api/v1/users/me/email",
    "/api/v1/users/me/sessions",
    "/api/v1/users/me/2fa",
    "/api/v1/users/me/passkeys",
    "/api/v1/users/me/identities",
    "/api/v1/users/me/export",
    "/api/v1/users/me/calendar-feed",
];

/// What `method` on the route `path` (its template: `/api/v1/threads/{id}`) asks of a token.
pub fn required_access(method: &str, path: &str) -> Access {
    if SESSION_ONLY.iter().any(|p| path.starts_with(p))
        || (method == "DELETE" && path == "/api/v1/users/me")
    {
        return Access::SessionOnly;
    }
    if path.starts_with("/api/v1/mod/") || path.starts_with("/api/v1/admin/") {
        return Access::Scope(Scope::Moderate);
    }
    match method {
        "GET" | "HEAD" => Access::Scope(Scope::Read),
        _ => Access::Scope(Scope::Write),
    }
}

/// The rule: a token with `scopes` may do what `access` asks.
pub fn allows(scopes: &[Scope], access: Access) -> Result<(), ApiError> {
    match access {
        Access::Scope(scope) if scopes.contains(&scope) => Ok(()),
        Access::Scope(scope) => Err(ApiError::forbidden(
            "insufficient_scope",
            format!("This token lacks the `{scope}` scope this needs."),
        )),
        Access::SessionOnly => Err(ApiError::forbidden(
            "insufficient_scope",
            "An API token cannot do this: it concerns the account itself; sign in instead.",
        )),
    }
}

/// Which scopes a member of `role` may give a token: `moderate` is staff's.
pub fn may_grant(role: Role, scopes: &[Scope]) -> Result<(), ApiError> {
    if scopes.contains(&Scope::Moderate) && role < Role::Moderator {
        return Err(ApiError::forbidden(
            "insufficient_role",
            "Only moderators and admins may make tokens with the `moderate` scope.",
        ));
    }
    Ok(())
}

/// A token as stored: what decides whether it works now.
#[derive(Debug, Clone)]
pub struct Stored {
    pub generation: i32,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The rule that makes a token valid now: not expired, and made in the account's current
/// session generation (no logout-everywhere or password change since).
pub fn is_current(token: &Stored, account_generation: i32, now: DateTime<Utc>) -> bool {
    token.generation == account_generation && token.expires_at.is_none_or(|at| at > now)
}

/// A new token's secret part (256 random bits, URL-safe).
pub fn new_secret() -> String {
    use base64::Engine;
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The token a member copies: `dfp_<id>_<secret>`.
pub fn format(id: ApiTokenId, secret: &str) -> String {
    format!("{PREFIX}{id}_{secret}")
}

/// Whether a bearer token is an API token (rather than an access token).
pub fn is_api_token(token: &str) -> bool {
    token.starts_with(PREFIX)
}

/// The id and secret of `dfp_<id>_<secret>`, or `None` for anything else.
pub fn parse(token: &str) -> Option<(ApiTokenId, &str)> {
    let (id, secret) = token.strip_prefix(PREFIX)?.split_once('_')?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) || secret.len() < 20 {
        return None;
    }
    Some((ApiTokenId(id.parse().ok()?), secret))
}

/// What is stored of a secret.
pub fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Whether `secret` is the one stored as `stored` (in constant time).
pub fn matches(secret: &str, stored: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    hash(secret).ct_eq(stored).into()
}

/// A new token's fields, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewToken {
    pub name: String,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The longest a token may be made to last.
pub const MAX_DAYS: i64 = 3650;

/// A new token's fields as sent, checked: a name (1–100 characters), one or more scopes (each
/// once), an expiry in days (1–3650) or none. A `422` names every bad field.
pub fn parse_new(
    name: Option<&str>,
    scopes: Option<&[String]>,
    expires_in_days: Option<i64>,
    now: DateTime<Utc>,
) -> Result<NewToken, ApiError> {
    let mut v = crate::validation::Validator::new();
    let name = v.require("name", name, |raw| {
        crate::validation::text(raw, 1, 100, false)
    });
    let scopes = match scopes {
        None => {
            v.add("scopes", "is required".to_string());
            None
        }
        Some(raw) => v.check("scopes", parse_scopes(raw)),
    };
    let expires_at = match expires_in_days {
        None => Some(None),
        Some(days) if (1..=MAX_DAYS).contains(&days) => {
            Some(Some(now + chrono::Duration::days(days)))
        }
        Some(_) => {
            v.add(
                "expires_in_days",
                format!("must be between 1 and {MAX_DAYS}"),
            );
            None
        }
    };
    v.finish()?;
    Ok(NewToken {
        name: crate::validation::validated(name)?,
        scopes: crate::validation::validated(scopes)?,
        expires_at: crate::validation::validated(expires_at)?,
    })
}

fn parse_scopes(raw: &[String]) -> Result<Vec<Scope>, String> {
    if raw.is_empty() {
        return Err("must name at least one scope".to_string());
    }
    let mut scopes = Vec::new();
    for name in raw {
        let scope: Scope = name
            .parse()
            .map_err(|_| format!("{name:?} is not a scope (read, write, moderate)"))?;
        if scopes.contains(&scope) {
            return Err(format!("names {name:?} twice"));
        }
        scopes.push(scope);
    }
    scopes.sort();
    Ok(scopes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_writing_and_staff_work_need_their_scopes_and_the_account_a_session() {
        use Access::*;
        let cases = [
            ("GET", "/api/v1/threads", Scope(super::Scope::Read)),
            ("HEAD", "/api/v1/threads/{id}", Scope(super::Scope::Read)),
            (
                "POST",
                "/api/v1/threads/{id}/replies",
                Scope(super::Scope::Write),
            ),
            ("PATCH", "/api/v1/users/me", Scope(super::Scope::Write)),
            ("GET", "/api/v1/users/me", Scope(super::Scope::Read)),
            ("GET", "/api/v1/mod/reports", Scope(super::Scope::Moderate)),
            (
                "POST",
                "/api/v1/admin/webhooks",
                Scope(super::Scope::Moderate),
            ),
            ("GET", "/api/v1/users/me/api-tokens", SessionOnly),
            ("POST", "/api/v1/users/me/api-tokens", SessionOnly),
            ("POST", "/api/v1/users/me/password", SessionOnly),
            ("GET", "/api/v1/users/me/sessions", SessionOnly),
            ("POST", "/api/v1/users/me/2fa/totp", SessionOnly),
            ("DELETE", "/api/v1/users/me", SessionOnly),
            ("POST", "/api/v1/auth/logout-everywhere", SessionOnly),
            ("POST", "/api/v1/users/me/export", SessionOnly),
        ];
        for (method, path, expected) in cases {
            assert_eq!(required_access(method, path), expected, "{method} {path}");
        }
        let read_only = [super::Scope::Read];
        assert!(allows(&read_only, Scope(super::Scope::Read)).is_ok());
        assert!(allows(&read_only, Scope(super::Scope::Write)).is_err());
        let everything = [
            super::Scope::Read,
            super::Scope::Write,
            super::Scope::Moderate,
        ];
        assert!(allows(&everything, SessionOnly).is_err());
    }

    #[test]
    fn a_new_token_needs_a_name_known_scopes_once_each_and_a_sane_expiry() {
        let now = Utc::now();
        let scopes = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let new = parse_new(
            Some(" ci bot "),
            Some(&scopes(&["write", "read"])),
            Some(30),
            now,
        )
        .expect("valid");
        assert_eq!(new.name, "ci bot");
        assert_eq!(new.scopes, vec![Scope::Read, Scope::Write]);
        assert_eq!(new.expires_at, Some(now + chrono::Duration::days(30)));
        for (name, list, days, field) in [
            (None, Some(scopes(&["read"])), None, "name"),
            (Some(""), Some(scopes(&["read"])), None, "name"),
            (Some("x"), None, None, "scopes"),
            (Some("x"), Some(scopes(&[])), None, "scopes"),
            (Some("x"), Some(scopes(&["admin"])), None, "scopes"),
            (Some("x"), Some(scopes(&["read", "read"])), None, "scopes"),
            (
                Some("x"),
                Some(scopes(&["read"])),
                Some(0),
                "expires_in_days",
            ),
            (
                Some("x"),
                Some(scopes(&["read"])),
                Some(MAX_DAYS + 1),
                "expires_in_days",
            ),
        ] {
            match parse_new(name, list.as_deref(), days, now) {
                Err(ApiError::Validation(errors)) => {
                    assert!(errors.contains_key(field), "{errors:?}")
                }
                other => panic!("{field}: {:?}", other.map(|_| ())),
            }
        }
    }

    #[test]
    fn moderate_is_for_staff_to_give() {
        assert!(may_grant(Role::Member, &[Scope::Read, Scope::Write]).is_ok());
        assert!(may_grant(Role::Member, &[Scope::Moderate]).is_err());
        assert!(may_grant(Role::Moderator, &[Scope::Moderate]).is_ok());
        assert!(may_grant(Role::Admin, &[Scope::Moderate]).is_ok());
    }

    #[test]
    fn a_token_reads_back_as_its_id_and_secret_and_nothing_else_does() {
        let secret = new_secret();
        let token = format(ApiTokenId(42), &secret);
        assert!(is_api_token(&token));
        assert_eq!(parse(&token), Some((ApiTokenId(42), secret.as_str())));
        assert!(matches(&secret, &hash(&secret)));
        assert!(!matches("another-secret-of-some-length", &hash(&secret)));
        for bad in [
            "dfp_",
            "dfp_x_abcdefghijklmnopqrstuvwxyz",
            "dfp_12",
            "dfp_12_short",
            "eyJhbGciOi",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_token_stops_at_its_expiry_and_at_a_new_session_generation() {
        let now = Utc::now();
        let token = Stored {
            generation: 3,
            expires_at: Some(now + chrono::Duration::days(1)),
        };
        assert!(is_current(&token, 3, now));
        assert!(!is_current(&token, 4, now));
        assert!(!is_current(&token, 3, now + chrono::Duration::days(2)));
        let forever = Stored {
            generation: 3,
            expires_at: None,
        };
        assert!(is_current(&forever, 3, now + chrono::Duration::days(9999)));
    }
}
