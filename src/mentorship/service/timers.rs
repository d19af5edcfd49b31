//! Requests that keep themselves (`mentorship.sweep`, a periodic task of the job queue): a
//! pending request's mentor is reminded once after `mentorship.reminder_after_days`, and a
//! request still pending after `mentorship.request_ttl_days` expires (the lifecycle's
//! `expire`, by the system), both sides told and mailed, the pair free to ask again.
//!
//! Every function takes `now`, so tests move time by passing it (or by dating rows back),
//! never by waiting.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::error::ApiError;
use crate::ids::{MentorshipRequestId, UserId};
use crate::mentorship::lifecycle::{self, Action, Party, Status};
use crate::mentorship::model;
use crate::notifications::{self, NotificationKind};

/// The periodic task.
pub const SWEEP_JOB: &str = "mentorship.sweep";

/// One pass over the open requests: reminders, expiries, check-ins (periodic).
#[derive(serde::Deserialize)]
pub struct Sweep {}

/// What a sweep needs: the timers, the check-in link keys and the site's URL.
pub struct SweepNeeds {
    pub timers: Timers,
    pub keys: crate::mentorship::service::check_in::CheckInKeys,
    pub base_url: String,
}

impl crate::jobs::ConnTask for Sweep {
    const KIND: &'static str = SWEEP_JOB;
    type Needs = SweepNeeds;

    fn run(self, conn: &mut PgConnection, needs: &SweepNeeds) -> anyhow::Result<()> {
        let report = sweep(conn, needs.timers, &needs.keys, Utc::now(), &needs.base_url)?;
        tracing::info!(?report, "mentorship sweep");
        Ok(())
    }
}
/// Requests expired per transaction (a sweep goes on until none is left).
const EXPIRE_BATCH: i64 = 100;

/// How long requests wait.
#[derive(Debug, Clone, Copy)]
pub struct Timers {
    pub request_ttl: Duration,
    pub reminder_after: Duration,
    pub check_in_after: Duration,
}

impl Timers {
    pub fn from_settings(settings: &crate::config::MentorshipSettings) -> Self {
        Timers {
            request_ttl: Duration::days(i64::from(settings.request_ttl_days)),
            reminder_after: Duration::days(i64::from(settings.reminder_after_days)),
            check_in_after: Duration::days(i64::from(settings.check_in_after_days)),
        }
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub reminded: usize,
    pub expired: usize,
    /// Accepted mentorships whose two sides were asked whether it goes on.
    pub checked_in: usize,
}

/// Reminds, expires, then asks accepted mentorships due a check-in, as of `now`.
pub fn sweep(
    conn: &mut PgConnection,
    timers: Timers,
    keys: &crate::mentorship::service::check_in::CheckInKeys,
    now: DateTime<Utc>,
    base_url: &str,
) -> Result<SweepReport, ApiError> {
    let reminded = remind(conn, timers, now, base_url)?;
    let mut expired = 0;
    loop {
        let done = expire_some(conn, timers, now, base_url)?;
        expired += done;
        if done < EXPIRE_BATCH as usize {
            break;
        }
    }
    let checked_in = crate::mentorship::service::check_in::send_due(
        conn,
        keys,
        timers.check_in_after,
        now,
        base_url,
    )?;
    Ok(SweepReport {
        reminded,
        expired,
        checked_in,
    })
}

/// Marks each pending request due for its reminder as reminded and mails its mentor (unless
/// they chose no mail), in one transaction: a request is reminded once, whatever happens.
fn remind(
    conn: &mut PgConnection,
    timers: Timers,
    now: DateTime<Utc>,
    base_url: &str,
) -> Result<usize, ApiError> {
    conn.transaction(|conn| {
        let due = model::mark_due_reminders(conn, now, timers.reminder_after, timers.request_ttl)?;
        for reminder in &due {
            if reminder.mail_choice == "never" {
                continue;
            }
            let mentee = match &reminder.mentee_display_name {
                Some(name) => format!("{name} (@{})", reminder.mentee_username),
                None => format!("@{}", reminder.mentee_username),
            };
            let expires = (timers.request_ttl - timers.reminder_after).num_days();
            crate::email::enqueue(
                conn,
                &reminder.mentor_email,
                "mentorship_reminder",
                serde_json::json!({
                    "mentor": reminder.mentor_username,
                    "mentee": mentee,
                    "days": expires,
                    "link": crate::mentorship::service::request_link(base_url, MentorshipRequestId(reminder.id)),
                }),
            )?;
        }
        Ok(due.len())
    })
}

/// Expires up to `EXPIRE_BATCH` overdue requests in one transaction; how many.
fn expire_some(
    conn: &mut PgConnection,
    timers: Timers,
    now: DateTime<Utc>,
    base_url: &str,
) -> Result<usize, ApiError> {
    conn.transaction(|conn| {
        let overdue = model::overdue_requests(conn, now, timers.request_ttl, EXPIRE_BATCH)?;
        let mut expired = 0;
        for request in &overdue {
            // The order every transition takes: the mentor's profile, then the request.
            model::lock_profile(conn, UserId(request.mentor_id))?;
            let id = MentorshipRequestId(request.id);
            let Some(row) = model::lock_request(conn, id)? else {
                continue;
            };
            // Answered meanwhile: the lifecycle says no, and the request stays as it is.
            let Ok(to) = lifecycle::transition(row.status(), Action::Expire, Party::System) else {
                continue;
            };
            let row = model::set_status(conn, id, row.status(), to, None)?;
            tell_both(conn, &row, timers, base_url)?;
            expired += 1;
        }
        Ok(expired)
    })
}

/// Both sides hear of it in the app, and by mail as their mail settings say (the notification
/// mail's rules: at once, when away, or never).
fn tell_both(
    conn: &mut PgConnection,
    row: &model::RequestRow,
    timers: Timers,
    base_url: &str,
) -> Result<(), ApiError> {
    let people = model::people(conn, &[row.mentor_id, row.mentee_id])?;
    let name_of = |id: UserId| {
        people
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.username.clone())
            .unwrap_or_default()
    };
    let event = format!("mentorship:{}:{}", row.id.0, Status::Expired.as_str());
    let subject = notifications::Subject::request(row.id);
    for (party, other, as_mentor) in [
        (row.mentee_id, row.mentor_id, false),
        (row.mentor_id, row.mentee_id, true),
    ] {
        let mail = notifications::Draft::new(
            "mentorship_expired",
            serde_json::json!({
                "username": name_of(party),
                "other": name_of(other),
                "as_mentor": as_mentor,
                "days": timers.request_ttl.num_days(),
                "link": crate::mentorship::service::request_link(base_url, row.id),
            }),
        );
        notifications::events::tell(
            conn,
            &event,
            party,
            NotificationKind::MentorshipExpired,
            None,
            subject,
            Some(mail),
        )?;
    }
    Ok(())
}
