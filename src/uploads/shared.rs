//! What the upload and file handlers share, built once per process from the settings.

use std::sync::Arc;
use std::time::Duration;

use super::domain::FileName;
use super::model::{self, UploadRow};
use super::rules::Exposure;
use super::{intake, storage};
use crate::config::Settings;
use crate::db::{self, Cost};
use crate::error::ApiError;
use crate::reads::ReadPool;

/// How long a signed URL handed with metadata works.
const SIGNED_URL_SECS: i64 = 3600;

/// What the upload and file handlers share (one per process).
pub struct Uploads {
    pub intake: intake::Intake,
    pub files: Files,
    pub signer: UrlSigner,
}

impl Uploads {
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        use secrecy::ExposeSecret;
        let storage = storage::Storage::from_settings(&settings.uploads)?;
        Ok(Uploads {
            intake: intake::Intake::new(storage, &settings.uploads),
            files: Files::new(settings.uploads.serve_cache_secs),
            signer: UrlSigner::new(settings.auth.jwt_secret.expose_secret()),
        })
    }
}

/// Signs `/files/` URLs that work whatever uses the file, until they expire.
pub struct UrlSigner(pub crate::signed_urls::UrlSigner);

impl UrlSigner {
    pub fn new(secret: &str) -> Self {
        UrlSigner(crate::signed_urls::UrlSigner::new(secret))
    }

    /// The file's URL, working until `expires` (Unix seconds).
    pub fn signed_url(&self, name: &FileName, expires: i64) -> String {
        self.0.sign(&name.url(), expires)
    }

    /// An hour from now.
    pub fn default_expiry(&self) -> i64 {
        chrono::Utc::now().timestamp() + SIGNED_URL_SECS
    }

    pub fn verify(&self, name: &FileName, expires: i64, signature: &str) -> bool {
        self.0.verify(&name.url(), expires, signature)
    }
}

/// What a serving process knows of a file, for `uploads.serve_cache_secs`.
#[derive(Clone)]
pub struct Known {
    pub upload: Arc<UploadRow>,
    pub exposure: Exposure,
}

/// The files' answers and their short memory of who may see what.
pub struct Files {
    cache: Option<moka::sync::Cache<String, Known>>,
}

impl Files {
    pub fn new(cache_secs: u64) -> Self {
        Files {
            cache: (cache_secs > 0).then(|| {
                moka::sync::Cache::builder()
                    .max_capacity(100_000)
                    .time_to_live(Duration::from_secs(cache_secs))
                    .build()
            }),
        }
    }

    pub async fn known(&self, pool: &ReadPool, sha256: &str) -> Result<Option<Known>, ApiError> {
        if let Some(known) = self.cache.as_ref().and_then(|c| c.get(sha256)) {
            return Ok(Some(known));
        }
        let sha = sha256.to_string();
        let served = db::read(pool, Cost::Small, move |conn| {
            Ok(model::served(conn, &sha)?)
        })
        .await?;
        let known = served.map(|served| Known {
            upload: Arc::new(served.upload),
            exposure: served.exposure,
        });
        if let (Some(cache), Some(known)) = (&self.cache, &known) {
            cache.insert(sha256.to_string(), known.clone());
        }
        Ok(known)
    }
}
