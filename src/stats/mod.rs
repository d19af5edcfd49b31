//! Community health (issue 46, API.md "Community health"): the admin dashboard's series,
//! read from daily rollups so that a read never scans posts.
//!
//! ```text
//! requests ── record_visit ──► member_days (a member seen on a UTC day)
//! periodic stats.rollup (stats.rollup_every_secs) ── today and the 8 days still settling ─┐
//! devforum stats backfill --since D ── 31 days per transaction, resumable ───────────────┤
//!      one statement per span over users, member_days, threads, replies, solutions,      ▼
//!      mentorship requests, RSVPs, meetups, reports, appeals ──► stats_days (a row per day)
//!                                                 stats_periods (distinct members per week, month)
//! GET /admin/stats ── stats_days (+ stats_periods) of the range ── points, totals ── JSON or CSV
//! ```
//!
//! - **What a day holds** (the README's definitions): counts of that day; thread outcomes
//!   (answered, solved, first reply) belong to the day the thread started and count when
//!   they happened within 7 days ([`rules::ANSWER_WINDOW_DAYS`]), which is why the last 8
//!   days are recomputed; mentorship answers, report handling and appeal decisions belong to
//!   the day they happened.
//! - **Weeks and months** are sums of their days: counts add up, shares divide the sums, and
//!   percentiles are exact, over the measured values each day keeps (sorted seconds), not
//!   averages of daily percentiles. Active members are the exception: distinct members seen
//!   in the week or month, kept per period, and over a whole range counted from
//!   `member_days` by one index probe per member.
//! - The read is staff's (moderators too), through the read pool.

pub mod domain;
pub mod model;
pub mod routes;
pub mod rules;
pub mod service;
pub mod views;

use std::time::Duration;

use utoipa::OpenApi;

use crate::feature::Feature;

pub const FEATURE: Feature = Feature::api(Doc::openapi, routes::configure, jobs);

#[derive(OpenApi)]
#[openapi(tags((
    name = "stats",
    description = "Community health: signups, activity, answers, mentorship, meetups and \
                   moderation over time (staff)"
)))]
struct Doc;

fn jobs(
    settings: &crate::config::Settings,
    registry: &mut crate::jobs::JobRegistry,
) -> anyhow::Result<()> {
    registry
        .add_periodic::<service::Rollup>(Duration::from_secs(settings.stats.rollup_every_secs), ());
    Ok(())
}
