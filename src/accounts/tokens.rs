//! Opaque secrets handed to clients (refresh tokens, email links): 256 random bits, URL-safe,
//! stored only as SHA-256 hashes so a database leak grants nothing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Duration;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256, Sha512};

pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    // ThreadRng is a CSPRNG (ChaCha12) seeded and periodically reseeded from the OS.
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// How refresh tokens rotate: each use gives a successor; the successor of a token is derived
/// from it with a server key (HMAC-SHA256), so a token presented again within `grace` can be
/// answered with the same successor without the server ever storing a token.
#[derive(Clone)]
pub struct RefreshPolicy {
    pub ttl: Duration,
    pub grace: Duration,
    /// One HMAC-SHA256 block: the key is used as it is, never hashed again.
    key: [u8; 64],
}

impl RefreshPolicy {
    /// `secret` is the server's signing secret; the key is derived from it for this use only.
    pub fn new(ttl: Duration, grace: Duration, secret: &str) -> Self {
        let mut hasher = Sha512::new();
        hasher.update(b"devforum refresh-token successor key\0");
        hasher.update(secret.as_bytes());
        RefreshPolicy {
            ttl,
            grace,
            key: hasher.finalize().into(),
        }
    }

    /// The policy `auth` settings describe.
    pub fn from_settings(auth: &crate::config::AuthSettings) -> Self {
        use secrecy::ExposeSecret;
        RefreshPolicy::new(
            Duration::days(auth.refresh_token_ttl_days as i64),
            Duration::seconds(auth.refresh_reuse_grace_secs as i64),
            auth.jwt_secret.expose_secret(),
        )
    }

    /// The token that replaces `token` when it is used.
    pub fn successor_of(&self, token: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new(&self.key.into());
        mac.update(token.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

impl std::fmt::Debug for RefreshPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshPolicy")
            .field("ttl", &self.ttl)
            .field("grace", &self.grace)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_url_safe_and_hash_stably() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(hash(&a), hash(&a));
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), hash(&b));
    }

    #[test]
    fn a_successor_is_stable_per_token_and_key_and_looks_like_any_token() {
        let policy = RefreshPolicy::new(Duration::days(1), Duration::seconds(5), "secret");
        let token = generate();
        let successor = policy.successor_of(&token);
        assert_eq!(successor, policy.successor_of(&token));
        assert_ne!(successor, policy.successor_of(&generate()));
        assert_eq!(successor.len(), 43);
        let other_key = RefreshPolicy::new(Duration::days(1), Duration::seconds(5), "other");
        assert_ne!(successor, other_key.successor_of(&token));
        assert!(!format!("{policy:?}").contains("key"));
    }
}
