//! Where uploaded bytes live: one interface ([`Storage`]) over the `object_store` crate, with
//! two backends: the local filesystem (under `uploads.dir`, sharded by hash) or any
//! S3-compatible store. Objects are named by their content ([`FileName::key`]), so storing
//! the same bytes twice stores them once.

use std::ops::Range;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::buffered::BufWriter;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::signer::Signer;
use object_store::{
    Attribute, Attributes, GetOptions, GetRange, ObjectStore, PutOptions, PutPayload,
};
use secrecy::ExposeSecret;
use tokio::io::AsyncWriteExt;

use super::domain::FileName;
use crate::config::{ServeMode, StorageBackend, UploadSettings};

/// The store, and how `/files/...` hands its objects out.
#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// The S3 store, for pre-signed URLs (redirect mode).
    s3: Option<Arc<AmazonS3>>,
    /// The filesystem backend's folder: small files are read from it directly.
    local_dir: Option<PathBuf>,
    pub serve: ServeMode,
    presign_for: Duration,
    /// Where incoming files wait while they are read and checked.
    incoming: PathBuf,
}

/// How a stored object is described to the store (S3 keeps these and answers them on a
/// pre-signed GET; the filesystem keeps nothing but bytes).
#[derive(Debug, Clone)]
pub struct ObjectInfo<'a> {
    pub content_type: &'a str,
    pub attachment: bool,
}

/// One object read.
pub struct Read {
    pub size: u64,
    pub range: Range<u64>,
    pub body: BoxStream<'static, object_store::Result<Bytes>>,
}

impl Storage {
    pub fn from_settings(settings: &UploadSettings) -> anyhow::Result<Self> {
        let incoming = settings.dir.join(".incoming");
        std::fs::create_dir_all(&incoming)
            .map_err(|e| anyhow::anyhow!("uploads.dir {}: {e}", settings.dir.display()))?;
        let presign_for = Duration::from_secs(settings.presigned_url_secs.max(1));
        match settings.backend {
            StorageBackend::Filesystem => {
                let dir = std::fs::canonicalize(&settings.dir)?;
                Ok(Storage {
                    store: Arc::new(LocalFileSystem::new_with_prefix(&dir)?),
                    s3: None,
                    local_dir: Some(dir),
                    serve: settings.serve,
                    presign_for,
                    incoming,
                })
            }
            StorageBackend::S3 => {
                let s3 = &settings.s3;
                let store = Arc::new(
                    AmazonS3Builder::new()
                        .with_endpoint(&s3.endpoint)
                        .with_bucket_name(&s3.bucket)
                        .with_region(&s3.region)
                        .with_access_key_id(&s3.access_key_id)
                        .with_secret_access_key(s3.secret_access_key.expose_secret())
                        .with_virtual_hosted_style_request(!s3.path_style)
                        .with_allow_http(s3.endpoint.starts_with("http://"))
                        .build()?,
                );
                Ok(Storage {
                    store: store.clone(),
                    s3: Some(store),
                    local_dir: None,
                    serve: settings.serve,
                    presign_for,
                    incoming,
                })
            }
        }
    }

    /// A fresh path for an incoming file.
    pub fn incoming_path(&self) -> PathBuf {
        self.incoming.join(uuid::Uuid::new_v4().to_string())
    }

    fn attributes(&self, info: &ObjectInfo<'_>, name: &FileName) -> Attributes {
        let mut attributes = Attributes::new();
        if self.s3.is_some() {
            attributes.insert(Attribute::ContentType, info.content_type.to_string().into());
            if info.attachment {
                attributes.insert(
                    Attribute::ContentDisposition,
                    format!("attachment; filename=\"{name}\"").into(),
                );
            }
            attributes.insert(
                Attribute::CacheControl,
                "public, max-age=31536000, immutable".into(),
            );
        }
        attributes
    }

    /// Whether the object is stored already.
    pub async fn exists(&self, name: &FileName) -> anyhow::Result<bool> {
        match self.store.head(&Path::from(name.key())).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Stores bytes under their name unless they are there already.
    pub async fn put(
        &self,
        name: &FileName,
        bytes: Vec<u8>,
        info: ObjectInfo<'_>,
    ) -> anyhow::Result<()> {
        if self.exists(name).await? {
            return Ok(());
        }
        let options = PutOptions {
            attributes: self.attributes(&info, name),
            ..PutOptions::default()
        };
        self.store
            .put_opts(&Path::from(name.key()), PutPayload::from(bytes), options)
            .await?;
        Ok(())
    }

    /// Streams a file into the store (in parts when it is big) unless it is there already.
    pub async fn put_file(
        &self,
        name: &FileName,
        file: &FsPath,
        info: ObjectInfo<'_>,
    ) -> anyhow::Result<()> {
        if self.exists(name).await? {
            return Ok(());
        }
        let mut source = tokio::fs::File::open(file).await?;
        let mut writer = BufWriter::new(self.store.clone(), Path::from(name.key()))
            .with_attributes(self.attributes(&info, name));
        tokio::io::copy(&mut source, &mut writer).await?;
        writer.shutdown().await?;
        Ok(())
    }

    /// Reads an object, or part of it; `None` when it is not stored.
    pub async fn get(
        &self,
        name: &FileName,
        range: Option<Range<u64>>,
    ) -> anyhow::Result<Option<Read>> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        match self.store.get_opts(&Path::from(name.key()), options).await {
            Ok(found) => Ok(Some(Read {
                size: found.meta.size,
                range: found.range.clone(),
                body: found.into_stream(),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The object's size; `None` when it is not stored.
    pub async fn size(&self, name: &FileName) -> anyhow::Result<Option<u64>> {
        match self.store.head(&Path::from(name.key())).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// A small file of the filesystem backend, read at once on the calling thread (page
    /// cache, microseconds): `None` on S3, for files over `max` bytes, or when not stored.
    pub fn read_local_small(&self, name: &FileName, max: u64) -> Option<Bytes> {
        let path = self.local_dir.as_ref()?.join(name.key());
        let mut file = std::fs::File::open(path).ok()?;
        let size = file.metadata().ok()?.len();
        if size > max {
            return None;
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).ok()?);
        std::io::Read::read_to_end(&mut file, &mut bytes).ok()?;
        Some(Bytes::from(bytes))
    }

    /// Removes an object (and is fine when it is gone already).
    pub async fn delete(&self, name: &FileName) -> anyhow::Result<()> {
        match self.store.delete(&Path::from(name.key())).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// A URL of the S3 store that reads the object for a short while (redirect mode).
    pub async fn presigned_url(&self, name: &FileName) -> anyhow::Result<Option<url::Url>> {
        let Some(s3) = &self.s3 else {
            return Ok(None);
        };
        let url = s3
            .signed_url(
                reqwest::Method::GET,
                &Path::from(name.key()),
                self.presign_for,
            )
            .await?;
        Ok(Some(url))
    }
}
