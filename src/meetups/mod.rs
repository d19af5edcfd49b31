//! Meetups: listings, RSVPs that never overbook (seats are given under the meetup's row lock
//! and bounded by a CHECK), waitlists served in arrival order, and iCalendar feeds.

pub mod calendar;
pub mod domain;
pub mod model;
pub mod recurrence;
pub mod reminders;
pub mod routes;
pub mod rules;
pub mod service;
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
#[openapi(tags((name = "meetups", description = "Meetups, RSVPs with waitlists, and iCalendar feeds")))]
struct Doc;

fn jobs(settings: &Settings, registry: &mut JobRegistry) -> anyhow::Result<()> {
    let meetups = &settings.meetups;
    let reminders = reminders::Reminders {
        before: chrono::Duration::hours(i64::from(meetups.reminder_before_hours)),
        base_url: settings.web.base_url.clone(),
    };
    registry
        .add_periodic::<reminders::SendReminders>(
            Duration::from_secs(meetups.reminders_every_secs),
            reminders,
        )
        .add_periodic::<service::ExtendSeries>(Duration::from_secs(meetups.series_every_secs), ());
    Ok(())
}
