//! Password hashing with argon2id at OWASP's minimum (19 MiB, 2 iterations, 1 lane).
//! Hashing is CPU-bound: call these only from the blocking pool.

use anyhow::Context;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::ExposeSecret;

use super::Password;

fn hasher() -> anyhow::Result<Argon2<'static>> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub fn hash(password: &Password) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = hasher()?
        .hash_password(password.secret().expose_secret().as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("hashing a password")?;
    Ok(hash.to_string())
}

/// Checks `candidate` against a stored PHC hash; a malformed hash never matches.
pub fn verify(candidate: &str, stored_hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored_hash) else {
        return false;
    };
    let Ok(argon2) = hasher() else {
        return false;
    };
    argon2
        .verify_password(candidate.as_bytes(), &parsed)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_use_owasp_parameters() -> anyhow::Result<()> {
        let password = Password::parse("correct horse battery").map_err(anyhow::Error::msg)?;
        let stored = hash(&password)?;
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("wrong horse battery", &stored));
        assert!(!verify("anything", "not a hash"));
        Ok(())
    }
}

/// Bounds how many hashes run at once. A login flood then queues here, on an async
/// semaphore, instead of filling the blocking pool (and memory, 19 MiB a hash) and starving
/// every request that only needs the database.
#[derive(Clone)]
pub struct HashingPool {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
}

impl HashingPool {
    pub fn new(concurrency: usize) -> Self {
        let concurrency = if concurrency == 0 {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        } else {
            concurrency
        };
        HashingPool {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(concurrency)),
        }
    }

    /// Runs CPU-heavy password work on the blocking pool, at most `concurrency` at a time.
    pub async fn run<T, F>(&self, work: F) -> Result<T, crate::error::ApiError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let _permit = self.permits.acquire().await.map_err(|e| {
            crate::error::ApiError::Internal(anyhow::anyhow!("hashing pool closed: {e}"))
        })?;
        let span = tracing::Span::current();
        Ok(actix_web::web::block(move || {
            let _entered = span.enter();
            work()
        })
        .await?)
    }
}

/// A hash of a password nobody knows, verified against when the login names no account, so
/// an unknown user costs the same time as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let secret = super::tokens::generate();
        Password::parse(&secret)
            .ok()
            .and_then(|p| hash(&p).ok())
            .unwrap_or_default()
    });
    &DUMMY
}
