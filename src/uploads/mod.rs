//! Uploads: screenshots, avatars and attachments (API.md "Uploads").
//!
//! - `intake`: a file is streamed to disk, its type read from its first bytes, refused early
//!   when too big or of a type not allowed; images are cleaned (`images`: decoded within
//!   limits, turned upright, re-encoded without metadata, thumbnailed).
//! - `storage`: the bytes go to the filesystem or an S3-compatible store under their hash,
//!   once per content; `upload_objects` remembers which hashes are stored.
//! - `service`: quotas by trust level, the uploads a post shows (found in its Markdown when
//!   it is saved), avatars, who may read an upload, the sweep and erasure.
//! - `files`: `/files/...` answers the bytes (or redirects to a pre-signed URL); a file only
//!   hidden or deleted content uses is `404`.
//!
//! Lifecycle: an upload no post or avatar uses is removed `unused_after_hours` after it
//! arrived; an object no upload names is removed after it (the periodic `uploads.sweep`).

pub mod domain;
pub mod files;
pub mod images;
pub mod intake;
pub mod model;
pub mod routes;
pub mod rules;
pub mod service;
pub mod shared;
pub mod storage;
pub mod sweep;
pub mod views;

use std::time::Duration;

use utoipa::OpenApi;

use crate::config::Settings;
use crate::feature::{Feature, Mount};
use crate::jobs::JobRegistry;

/// `/api/v1/uploads` and the avatar.
pub const FEATURE: Feature = Feature::api(Doc::openapi, routes::configure, jobs);

/// `/files/...`, at the root beside the web client.
pub const FILES: Feature = Feature {
    mount: Mount::Root,
    doc: utoipa::openapi::OpenApi::default,
    routes: |cfg| {
        cfg.service(files::serve_file);
    },
    jobs: crate::feature::no_jobs,
};

#[derive(OpenApi)]
#[openapi(tags((name = "uploads", description = "Screenshots, avatars and attachments: uploaded once, stored without metadata, served from /files/")))]
struct Doc;

fn jobs(settings: &Settings, registry: &mut JobRegistry) -> anyhow::Result<()> {
    let every = Duration::from_secs(settings.uploads.sweep_every_secs);
    let needs = sweep::SweepNeeds {
        storage: storage::Storage::from_settings(&settings.uploads)?,
        unused_after_hours: settings.uploads.unused_after_hours,
    };
    registry.add_periodic::<sweep::Sweep>(every, needs);
    Ok(())
}
