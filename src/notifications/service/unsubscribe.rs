//! Unsubscribe links: signed tokens (HS256 under a key derived from the JWT secret, with their
//! own audience, so an access token is never one and one is never an access token) naming a
//! member and what the link stops. Each works once; a forged, expired or used token changes
//! nothing and says only that the link is not valid.

use chrono::Utc;
use diesel::prelude::*;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::config::Settings;
use crate::error::ApiError;
use crate::ids::{ThreadId, UserId};
use crate::notifications::domain::SubscriptionLevel;
use crate::notifications::model::{self, unsubscribe as links};

const AUDIENCE: &str = "devforum-unsubscribe";

/// What one link stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every notification mail and the digest.
    Mail,
    /// The digest only.
    Digest,
    /// Everything about one thread (the member mutes it).
    Thread(ThreadId),
}

impl Scope {
    fn encode(self) -> String {
        match self {
            Scope::Mail => "all".to_string(),
            Scope::Digest => "digest".to_string(),
            Scope::Thread(thread) => format!("thread:{}", thread.0),
        }
    }

    fn decode(text: &str) -> Option<Self> {
        match text {
            "all" => Some(Scope::Mail),
            "digest" => Some(Scope::Digest),
            other => other
                .strip_prefix("thread:")
                .and_then(|id| id.parse().ok())
                .filter(|id| *id > 0)
                .map(|id| Scope::Thread(ThreadId(id))),
        }
    }

    /// What following the link does, in words (`title`: the thread's, when known).
    pub fn describe(self, title: Option<&str>) -> String {
        match self {
            Scope::Mail => "Stop all notification emails and digests".to_string(),
            Scope::Digest => "Stop the digest emails".to_string(),
            Scope::Thread(_) => match title {
                Some(title) => format!("Stop notifications about “{title}”"),
                None => "Stop notifications about this thread".to_string(),
            },
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    aud: String,
    scope: String,
    jti: Uuid,
    iat: i64,
    exp: i64,
}

/// A verified link: whose, what it stops, and its one-time id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    pub user: UserId,
    pub scope: Scope,
    pub id: Uuid,
}

pub struct UnsubscribeKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: chrono::Duration,
}

impl UnsubscribeKeys {
    pub fn new(settings: &Settings) -> Self {
        let secret = format!("unsubscribe:{}", settings.auth.jwt_secret.expose_secret());
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "sub", "aud"]);
        let days = i64::try_from(settings.notifications.unsubscribe_ttl_days).unwrap_or(3650);
        UnsubscribeKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
            ttl: chrono::Duration::days(days),
        }
    }

    pub fn issue(&self, user: UserId, scope: Scope) -> anyhow::Result<String> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user.to_string(),
            aud: AUDIENCE.to_string(),
            scope: scope.encode(),
            jti: Uuid::new_v4(),
            iat: now,
            exp: now + self.ttl.num_seconds(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    pub fn verify(&self, token: &str) -> Option<Ticket> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()?
            .claims;
        Some(Ticket {
            user: claims.sub.parse().ok()?,
            scope: Scope::decode(&claims.scope)?,
            id: claims.jti,
        })
    }
}

/// What an unsubscribe link does (`GET`) or did (`POST`).
#[derive(Debug, Serialize, ToSchema)]
pub struct UnsubscribeView {
    /// `all`, `digest` or `thread`.
    pub scope: String,
    /// The thread a `thread` link is about.
    pub thread_id: Option<ThreadId>,
    /// What the link stops, in words.
    pub description: String,
    /// Whether it has been carried out (false for a `GET`).
    pub done: bool,
}

fn invalid() -> ApiError {
    ApiError::bad_request(
        "invalid_token",
        "This unsubscribe link is not valid: it may have expired or been used already.",
    )
}

fn view(conn: &mut PgConnection, ticket: &Ticket, done: bool) -> QueryResult<UnsubscribeView> {
    let (scope, thread_id, title) = match ticket.scope {
        Scope::Mail => ("all", None, None),
        Scope::Digest => ("digest", None, None),
        Scope::Thread(thread) => ("thread", Some(thread), links::thread_title(conn, thread)?),
    };
    Ok(UnsubscribeView {
        scope: scope.to_string(),
        thread_id,
        description: ticket.scope.describe(title.as_deref()),
        done,
    })
}

/// What `token` would do, changing nothing.
pub fn preview(
    conn: &mut PgConnection,
    keys: &UnsubscribeKeys,
    token: &str,
) -> Result<UnsubscribeView, ApiError> {
    let ticket = keys.verify(token).ok_or_else(invalid)?;
    if links::token_used(conn, ticket.id)? {
        return Err(invalid());
    }
    Ok(view(conn, &ticket, false)?)
}

/// Carries out `token`, once.
pub fn apply(
    conn: &mut PgConnection,
    keys: &UnsubscribeKeys,
    token: &str,
) -> Result<UnsubscribeView, ApiError> {
    let ticket = keys.verify(token).ok_or_else(invalid)?;
    conn.transaction(|conn| {
        let claimed =
            links::use_token(conn, ticket.id, ticket.user).map_err(|error| match error {
                // The member is gone: the link is as good as forged.
                diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::ForeignKeyViolation,
                    _,
                ) => invalid(),
                other => other.into(),
            })?;
        if !claimed {
            return Err(invalid());
        }
        match ticket.scope {
            Scope::Mail => links::stop_mail(conn, ticket.user)?,
            Scope::Digest => links::stop_digest(conn, ticket.user)?,
            Scope::Thread(thread) => {
                if links::thread_title(conn, thread)?.is_some() {
                    model::choose(conn, ticket.user, thread, SubscriptionLevel::Muted)?;
                }
            }
        }
        Ok(view(conn, &ticket, true)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_for(secret: &str) -> UnsubscribeKeys {
        let mut settings = crate::config::Settings::load_for_tests();
        settings.auth.jwt_secret = secret.to_string().into();
        UnsubscribeKeys::new(&settings)
    }

    #[test]
    fn a_token_names_its_member_and_scope_and_nothing_else_verifies() -> anyhow::Result<()> {
        let keys = keys_for("one");
        for scope in [Scope::Mail, Scope::Digest, Scope::Thread(ThreadId(42))] {
            let token = keys.issue(UserId(7), scope)?;
            let ticket = keys
                .verify(&token)
                .ok_or_else(|| anyhow::anyhow!("refused"))?;
            assert_eq!((ticket.user, ticket.scope), (UserId(7), scope));
        }
        let token = keys.issue(UserId(7), Scope::Mail)?;
        assert!(keys_for("two").verify(&token).is_none(), "another secret");
        assert!(keys.verify(&format!("{token}x")).is_none(), "tampered");
        assert!(keys.verify("not-a-token").is_none());
        Ok(())
    }

    #[test]
    fn scopes_read_back_and_garbage_does_not() {
        assert_eq!(Scope::decode("thread:9"), Some(Scope::Thread(ThreadId(9))));
        assert_eq!(Scope::decode("thread:0"), None);
        assert_eq!(Scope::decode("thread:x"), None);
        assert_eq!(Scope::decode("everything"), None);
    }
}
