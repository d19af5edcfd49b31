//! Reminders before a meetup (`meetups.reminders`, a periodic task of the job queue): every
//! member going gets one mail `meetups.reminder_before_hours` before the start, with the time
//! in their own timezone (their profile's) and the meetup's. The start each reminder was sent
//! for is kept on the RSVP, so nobody is reminded twice for one start, a moved meetup is
//! reminded of again, and a cancelled meetup or a withdrawn RSVP gets nothing. Marking and
//! enqueueing the mail happen in one transaction per batch: a worker stopped halfway resumes
//! with the rest, and sends each once.
//!
//! `send_due` takes `now`: tests move time by passing it.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::error::ApiError;
use crate::ids::MeetupId;
use crate::meetups::model::{self, MeetupRow};

/// The periodic task.
pub const REMINDERS_JOB: &str = "meetups.reminders";

/// One pass over the meetups starting soon (periodic).
#[derive(serde::Deserialize)]
pub struct SendReminders {}

/// How long before a meetup its reminder goes, and the site's URL for the links.
pub struct Reminders {
    pub before: Duration,
    pub base_url: String,
}

impl crate::jobs::ConnTask for SendReminders {
    const KIND: &'static str = REMINDERS_JOB;
    type Needs = Reminders;

    fn run(self, conn: &mut PgConnection, reminders: &Reminders) -> anyhow::Result<()> {
        let sent = send_due(conn, reminders.before, Utc::now(), &reminders.base_url)?;
        tracing::info!(sent, "meetup reminders");
        Ok(())
    }
}
/// RSVPs reminded per transaction.
const BATCH: i64 = 200;

/// Sends every reminder due at `now` (meetups starting within `before`); how many went.
pub fn send_due(
    conn: &mut PgConnection,
    before: Duration,
    now: DateTime<Utc>,
    base_url: &str,
) -> Result<usize, ApiError> {
    let mut sent = 0;
    loop {
        let (marked, mailed) = send_batch(conn, before, now, base_url)?;
        sent += mailed;
        if marked < BATCH as usize {
            return Ok(sent);
        }
    }
}

fn send_batch(
    conn: &mut PgConnection,
    before: Duration,
    now: DateTime<Utc>,
    base_url: &str,
) -> Result<(usize, usize), ApiError> {
    conn.transaction(|conn| {
        let due = model::claim_due_reminders(conn, now, before, BATCH)?;
        let mut mailed = 0;
        let mut current: Option<MeetupRow> = None;
        for reminder in &due {
            if current.as_ref().map(|m| m.id.get()) != Some(reminder.meetup_id) {
                current = model::find(conn, MeetupId(reminder.meetup_id))?.map(|(row, _)| row);
            }
            let Some(meetup) = current.as_ref() else {
                continue;
            };
            if reminder.mail_choice == "never" {
                continue;
            }
            crate::email::enqueue(
                conn,
                &reminder.email,
                "meetup_reminder",
                serde_json::json!({
                    "username": reminder.username,
                    "title": meetup.title,
                    "when": in_zone(meetup, &meetup.timezone),
                    "yours": reminder
                        .timezone
                        .as_deref()
                        .filter(|zone| *zone != meetup.timezone)
                        .map(|zone| in_zone(meetup, zone)),
                    "place": crate::meetups::service::place_of(meetup),
                    "link": crate::meetups::calendar::page_link(meetup.id, base_url),
                }),
            )?;
            mailed += 1;
        }
        Ok((due.len(), mailed))
    })
}

/// "Tue 8 Dec 2026 18:00 – 20:00 (Europe/Berlin)": the meetup's times read in `zone`.
pub fn in_zone(meetup: &MeetupRow, zone: &str) -> String {
    let tz: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::Tz::UTC);
    let start = meetup.starts_at.with_timezone(&tz);
    let end = meetup.ends_at.with_timezone(&tz);
    let end_format = if start.date_naive() == end.date_naive() {
        "%H:%M"
    } else {
        "%a %-d %b %Y %H:%M"
    };
    format!(
        "{} – {} ({zone})",
        start.format("%a %-d %b %Y %H:%M"),
        end.format(end_format)
    )
}
