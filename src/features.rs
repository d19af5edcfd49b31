//! The features the application is made of. The server, the worker and the OpenAPI document
//! are built from this one list; each feature declares itself in its `mod.rs` (`FEATURE`).

use utoipa_actix_web::service_config::ServiceConfig;

use crate::accounts::service::erasure::ErasureSteps;
use crate::config::Settings;
use crate::feature::{Feature, Mount, API_PREFIX};
use crate::jobs::JobRegistry;
use crate::{
    accounts, conversations, email, identities, meetups, mentorship, moderation, notifications,
    operations, search, site, stats, threads, trust, uploads, webhooks,
};

/// Every feature, in the order their tags appear in the OpenAPI document.
pub const ALL: &[&Feature] = &[
    &operations::FEATURE,
    &accounts::FEATURE,
    &identities::FEATURE,
    &threads::FEATURE,
    &uploads::FEATURE,
    &uploads::FILES,
    &search::FEATURE,
    &mentorship::FEATURE,
    &conversations::FEATURE,
    &meetups::FEATURE,
    &moderation::FEATURE,
    &webhooks::FEATURE,
    &stats::FEATURE,
    &trust::FEATURE,
    &notifications::FEATURE,
    &email::FEATURE,
    &site::FEATURE,
];

/// The route table: root features at the root, the others under `/api/v1`.
pub fn routes(cfg: &mut ServiceConfig) {
    for feature in ALL.iter().filter(|f| f.mount == Mount::Root) {
        (feature.routes)(cfg);
    }
    cfg.service(utoipa_actix_web::scope(API_PREFIX).configure(|api| {
        for feature in ALL.iter().filter(|f| f.mount == Mount::Api) {
            (feature.routes)(api);
        }
    }));
}

/// The job kinds this build knows how to run, with their periodic schedules.
pub fn jobs(settings: &Settings) -> anyhow::Result<JobRegistry> {
    let mut registry = JobRegistry::new();
    for feature in ALL {
        (feature.jobs)(settings, &mut registry)?;
    }
    Ok(registry)
}

/// What each feature does when a member's account is erased, in order (accounts runs them in
/// the erasure's transaction, knowing no feature itself).
pub fn erasure_steps() -> ErasureSteps {
    ErasureSteps(vec![
        mentorship::service::on_member_erased,
        meetups::service::on_member_erased,
        moderation::service::on_member_erased,
        search::sync::on_member_erased,
        uploads::service::on_member_erased,
        threads::service::reads::on_member_erased,
        conversations::service::on_member_erased,
    ])
}

/// The OpenAPI fragments of every feature (tags, extra schemas), merged.
pub fn docs() -> utoipa::openapi::OpenApi {
    let mut doc = utoipa::openapi::OpenApi::default();
    for feature in ALL {
        doc.merge((feature.doc)());
    }
    doc
}
