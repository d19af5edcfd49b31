//! Mentorship: mentor profiles and a directory to find them, and requests from mentees that
//! mentors accept or decline (`lifecycle`), with email at each answer.

pub mod check_in;
pub mod domain;
pub mod lifecycle;
pub mod model;
pub mod routes;
pub mod rules;
pub mod service;
pub mod timers;
pub mod views;

use std::time::Duration;

use utoipa::OpenApi;

use crate::config::Settings;
use crate::feature::{Feature, Mount};
use crate::jobs::JobRegistry;

pub const FEATURE: Feature = Feature {
    mount: Mount::Api,
    doc: Doc::openapi,
    routes: routes::configure,
    jobs,
};

#[derive(OpenApi)]
#[openapi(tags((
    name = "mentorship",
    description = "Mentor profiles, the directory, and mentorship requests"
)))]
struct Doc;

fn jobs(settings: &Settings, registry: &mut JobRegistry) -> anyhow::Result<()> {
    let needs = timers::SweepNeeds {
        timers: timers::Timers::from_settings(&settings.mentorship),
        keys: check_in::CheckInKeys::new(&settings.auth.jwt_secret),
        base_url: settings.web.base_url.clone(),
    };
    let every = Duration::from_secs(settings.mentorship.sweep_every_secs);
    registry.add_periodic::<timers::Sweep>(every, needs);
    Ok(())
}
