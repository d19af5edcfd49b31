//! Meetups: listings, RSVPs that never overbook (seats are given under the meetup's row lock
//! and bounded by a CHECK), waitlists served in arrival order, and iCalendar feeds.
//!
//! # Meetups
//!
//! - **Seats never overbook.** Every RSVP, withdrawal, edit and cancellation locks the meetup's
//!   row first (`FOR NO KEY UPDATE`), so seats are given one change at a time: a new RSVP is
//!   `going` while `going_count < capacity`, otherwise `waitlisted`. `going_count` and
//!   `waitlist_count` are kept by a trigger on `meetup_rsvps`, and
//!   `CHECK (capacity IS NULL OR going_count <= capacity)` makes the database refuse an
//!   overbooking outright. A withdrawal that frees a seat promotes the first waitlisted RSVP
//!   (arrival order is the RSVP's id, assigned under the lock) in the same transaction, and the
//!   promoted member's email is enqueued with it; raising or removing the capacity does the same
//!   for as many seats as it opens. A capacity below the number going is refused (422).
//! - **Idempotent RSVPs.** One row per (meetup, member) (unique constraint); asking again answers
//!   the existing RSVP. RSVPs close when the meetup starts (`409 meetup_past`) or is cancelled
//!   (`409 meetup_cancelled`); withdrawing when there is nothing to withdraw is a `204`.
//! - **Announcements.** A change of time or place (start, end, zone, venue, URL) emails everyone
//!   going or waitlisted; cancelling emails them too. Edits of text or capacity do not.
//! - **Recurring meetups** (`recurrence.rs`, plain functions): `POST /meetups` with
//!   `recurrence` (weekly or monthly, an interval, weekdays, a day of the month or the nth
//!   weekday, a count or an end; RFC 5545 semantics, at most 200 occurrences, the first
//!   occurrence synchronised with the rule) makes a `meetup_series` holding the rule and its
//!   first 8 occurrences, each a meetup of its own (RSVPs, capacity, waitlist, `series_id`,
//!   `occurrence`). The rule is read in the meetup's zone: the wall-clock time holds across a
//!   daylight-saving change (a time in the spring gap moves past it, an ambiguous one takes its
//!   first instance). The periodic `meetups.series` task keeps 8 ahead, copying the latest
//!   occurrence, and ends the series after its last; the unique (series, occurrence) index
//!   makes each place once. `?scope=following` edits this occurrence and the later ones (a new
//!   time of day moves each to that time on its own day, and the rule with them; another day
//!   is refused) or cancels them and ends the series; every step goes through the one-meetup
//!   paths (locks, mail, search), the series' lock first. **Calendars carry one `VEVENT` per
//!   occurrence** rather than one `RRULE` with `EXDATE`s: every occurrence has its own RSVPs,
//!   edits (title, time), `SEQUENCE` and cancellation, which an `RRULE` could only express
//!   with `RECURRENCE-ID` overrides for each, and subscribers see exactly the meetups there are.
//! - **Reminders** (`service/reminders.rs`, the periodic `meetups.reminders`): each member going gets
//!   one mail `meetups.reminder_before_hours` before the start, with the time in the meetup's
//!   zone and, when their profile has another, in theirs. The RSVP keeps the start it was
//!   reminded for (`reminded_for`): never twice for one start, again after the meetup moves,
//!   nothing for a cancelled meetup (status) or a withdrawn RSVP (its row is gone). Rows are
//!   picked `FOR UPDATE SKIP LOCKED`, marked and their mail enqueued in one transaction per
//!   batch, so concurrent workers split them and a stopped worker's batch is redone whole.
//! - **Personal calendar feeds.** `POST /users/me/calendar-feed` gives a member a secret URL
//!   (`/api/v1/calendar-feeds/<token>.ics`, the token stored as a SHA-256 hash, one per member:
//!   making another replaces it, `DELETE` revokes it, either way the old URL is a 404). It lists
//!   the meetups the member organises or is going to, from a month back on, cancelled ones
//!   marked so calendars drop them, hidden ones not, and the check-in day of each accepted
//!   mentorship (an all-day event); calendar apps read it without signing in.
//! - **Calendars.** `calendar.rs` writes one `VEVENT` per meetup with `UID` `meetup-<id>@<host>`,
//!   `SEQUENCE` (bumped on every edit and on cancellation), `DTSTART`/`DTEND` in the meetup's own
//!   zone (`TZID`), `LOCATION`, `URL` (the online URL, else the meetup's page) and
//!   `STATUS:CONFIRMED|CANCELLED`. RFC 5545 wants a `VTIMEZONE` for each `TZID`; it is computed
//!   from chrono-tz over the span the events need (the observance in force and every offset
//!   change up to the last end), so DST changes inside a meetup resolve to the right instants.
//!   The feed (`/meetups/calendar.ics`) carries meetups not yet over, cancelled ones included so
//!   subscribed calendars drop them, at most 500.
//! - **Search.** Scheduled meetups are indexed (title, description, tags, city, start); a
//!   cancellation removes them. `GET /search` takes `city`, `from` and `to`, which narrow to
//!   meetups.

pub mod calendar;
pub mod domain;
pub mod model;
pub mod recurrence;
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
#[openapi(tags((name = "meetups", description = "Meetups, RSVPs with waitlists, and iCalendar feeds")))]
struct Doc;

fn jobs(settings: &Settings, registry: &mut JobRegistry) -> anyhow::Result<()> {
    let meetups = &settings.meetups;
    let reminders = service::reminders::Reminders {
        before: chrono::Duration::hours(i64::from(meetups.reminder_before_hours)),
        base_url: settings.web.base_url.clone(),
    };
    registry
        .add_periodic::<service::reminders::SendReminders>(
            Duration::from_secs(meetups.reminders_every_secs),
            reminders,
        )
        .add_periodic::<service::ExtendSeries>(Duration::from_secs(meetups.series_every_secs), ());
    Ok(())
}
