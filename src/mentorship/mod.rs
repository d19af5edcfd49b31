//! Mentorship: mentor profiles and a directory to find them, and requests from mentees that
//! mentors accept or decline (`lifecycle`), with email at each answer.
//!
//! # Mentorship
//!
//! - **A state machine in plain code.** `lifecycle::transition(state, action, party)` is the only
//!   place that says which moves exist (`pending → accepted | declined | withdrawn | expired`,
//!   `accepted → completed`) and who makes them (the mentor accepts and declines, the mentee
//!   withdraws, either completes, the system expires). Who is checked before what: an action the
//!   caller can never take is `403 wrong_participant`; a move the state does not allow is
//!   `409 invalid_transition`. A unit test walks all 120 (state, action, party) triples.
//! - **Requests that keep themselves** (`service/timers.rs`, the periodic `mentorship.sweep`): the
//!   mentor of a request pending `mentorship.reminder_after_days` is mailed once (`reminded_at`
//!   is set in the statement that picks the request, so a reminder never goes twice); a request
//!   pending `mentorship.request_ttl_days` expires through the lifecycle (`expire` by the
//!   system), under the same locks as any transition (profile, then request), and both sides
//!   are told in the app and by mail as their settings say; the open-pair index no longer counts
//!   it, so the mentee may ask again. Every function takes `now`: tests move time by passing it.
//! - **Check-ins** (`service/check_in.rs`, in the same sweep): `mentorship.check_in_after_days` after a
//!   request was accepted, both sides are mailed once (`check_in_sent_at`) and asked whether
//!   it goes on, with links that need no sign-in: HS256 tokens under a key of their own
//!   (audience `devforum-check-in`) naming the member and the request, valid 30 days. The page
//!   the link opens answers only on a button press (mail scanners open links);
//!   `POST /mentorship-check-ins` keeps each side's answer, and when both have said done the
//!   request completes through the lifecycle, as if the last of them had completed it.
//! - **Capacity under concurrency.** Every transition locks the mentor's profile row
//!   (`FOR NO KEY UPDATE`), then the request's row (`FOR UPDATE`), in that order on every path,
//!   so concurrent accepts against one mentor queue up and each sees the count the previous one
//!   left. `active_mentees` is kept by a trigger on `mentorship_requests.status` (no path can
//!   forget it), and the trigger refuses to count past `capacity`: the database's backstop if
//!   the lock were ever skipped. A mentor may lower `capacity` below `active_mentees`; they are
//!   then full until mentorships complete.
//! - **What the database enforces.** One open (pending or accepted) request per mentee–mentor
//!   pair is a partial unique index; no request to oneself is a CHECK; statuses are a CHECK.
//!   The service checks first for clear errors and maps a lost race on the unique index to the
//!   same `409 request_exists`.
//! - **"Accepting" is honest.** `accepting_requests` in every view and the directory's
//!   `accepting=true` filter mean "a request sent now can be made": the mentor's switch is on,
//!   there is a free place, the mentor is not away (`away_until` ahead), and the account is not
//!   suspended (`rules::takes_requests`, and the same predicate in SQL for the filter). The
//!   switch itself is `open_to_requests`. A pause lifts by itself: every reader compares
//!   `away_until` with the clock, so nothing has to run when it ends.
//! - **Privacy.** A request is visible to its two participants and to staff; anyone else gets
//!   `404`, as if it did not exist. Lists only ever show the caller's own requests.
//! - **Mail and search.** A new request emails the mentor; accept and decline email the mentee
//!   (with the mentor's note), all enqueued in the transition's transaction. A profile change
//!   enqueues its `search.sync` job in the same transaction: mentors are found by headline,
//!   skills (their tags, so `tag=` filters them) and bio, with `skills` and `languages` on the hit.

pub mod domain;
pub mod lifecycle;
pub mod model;
pub mod routes;
pub mod rules;
pub mod service;
pub mod views;

use std::time::Duration;

use utoipa::OpenApi;

use crate::config::Settings;
use crate::feature::Feature;
use crate::jobs::JobRegistry;

pub const FEATURE: Feature = Feature::api(Doc::openapi, routes::configure, jobs);

#[derive(OpenApi)]
#[openapi(tags((
    name = "mentorship",
    description = "Mentor profiles, the directory, and mentorship requests"
)))]
struct Doc;

fn jobs(settings: &Settings, registry: &mut JobRegistry) -> anyhow::Result<()> {
    let needs = service::timers::SweepNeeds {
        timers: service::timers::Timers::from_settings(&settings.mentorship),
        keys: service::check_in::CheckInKeys::new(&settings.auth.jwt_secret),
        base_url: settings.web.base_url.clone(),
    };
    let every = Duration::from_secs(settings.mentorship.sweep_every_secs);
    registry.add_periodic::<service::timers::Sweep>(every, needs);
    Ok(())
}
