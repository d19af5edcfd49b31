//! Access tokens: HS256 JWTs with `sub`, `iat`, `exp`, `jti`, and the account's session
//! generation (`gen`), which a password reset bumps to end every session at once, and the
//! login it belongs to (`sid`), so a member's list of devices can mark the current one.

use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::config::AuthSettings;
use crate::ids::UserId;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub gen: i32,
    /// The login (session) the token was issued in; tokens from before sessions had ids
    /// carry none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<uuid::Uuid>,
}

impl Claims {
    pub fn user_id(&self) -> Option<UserId> {
        self.sub.parse().ok()
    }
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl JwtKeys {
    pub fn new(settings: &AuthSettings) -> Self {
        let secret = settings.jwt_secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl: Duration::from_secs(settings.access_token_ttl_secs),
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn issue(&self, user_id: UserId, generation: i32) -> anyhow::Result<String> {
        self.issue_in_session(user_id, generation, None)
    }

    /// An access token of the login `session`.
    pub fn issue_in_session(
        &self,
        user_id: UserId,
        generation: i32,
        session: Option<uuid::Uuid>,
    ) -> anyhow::Result<String> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now,
            exp: now + self.ttl.as_secs() as i64,
            jti: uuid::Uuid::new_v4().to_string(),
            gen: generation,
            sid: session,
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The claims of a token this server signed and that has not expired.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn keys(secret: &str, ttl: u64) -> JwtKeys {
        JwtKeys::new(&AuthSettings {
            jwt_secret: SecretString::from(secret.to_string()),
            access_token_ttl_secs: ttl,
            refresh_token_ttl_days: 30,
            refresh_reuse_grace_secs: 5,
            login_failures_before_delay: 5,
            login_max_delay_secs: 900,
            hashing_concurrency: 1,
            username_reserved_days: 90,
            forget_expired_every_secs: 0,
            require_second_factor_for_staff: false,
            providers: vec![],
        })
    }

    #[test]
    fn issued_tokens_verify_and_carry_the_claims() -> anyhow::Result<()> {
        let keys = keys("secret-one", 900);
        let token = keys.issue(UserId(42), 3)?;
        let claims = keys
            .verify(&token)
            .ok_or_else(|| anyhow::anyhow!("did not verify"))?;
        assert_eq!((claims.user_id(), claims.gen), (Some(UserId(42)), 3));
        assert_eq!(claims.exp - claims.iat, 900);
        assert!(!claims.jti.is_empty());
        assert_eq!(claims.sid, None);
        let session = uuid::Uuid::new_v4();
        let token = keys.issue_in_session(UserId(42), 3, Some(session))?;
        assert_eq!(keys.verify(&token).and_then(|c| c.sid), Some(session));
        Ok(())
    }

    #[test]
    fn tokens_signed_with_another_secret_or_tampered_are_refused() -> anyhow::Result<()> {
        let token = keys("secret-one", 900).issue(UserId(42), 0)?;
        assert!(keys("secret-two", 900).verify(&token).is_none());
        let mut tampered = token.clone();
        tampered.push('x');
        assert!(keys("secret-one", 900).verify(&tampered).is_none());
        assert!(keys("secret-one", 900).verify("not.a.jwt").is_none());
        Ok(())
    }

    #[test]
    fn the_none_algorithm_is_refused() {
        // {"alg":"none"} . {"sub":"1","iat":0,"exp":9999999999,"jti":"x","gen":0} . (empty)
        let forged = "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIiwiaWF0IjowLCJleHAiOjk5OTk5OTk5OTksImp0aSI6IngiLCJnZW4iOjB9.";
        assert!(keys("secret-one", 900).verify(forged).is_none());
    }
}
