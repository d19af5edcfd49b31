//! Meetup operations. Every change to a meetup or its RSVPs is one transaction that first
//! locks the meetup's row, so seats are given one at a time; the emails and the search index
//! update it causes are enqueued in the same transaction.

pub mod reminders;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::domain::RsvpStatus;
use super::domain::{self, MeetupInput, RawMeetup};
use super::model::{self, MeetupFilter, MeetupRow, MemberRow};
use super::rules;
use super::views::{AttendeeList, AttendeeView, MeetupSummary, MeetupView, RsvpView};
use crate::accounts::User;
use crate::error::ApiError;
use crate::ids::{MeetupId, SeriesId, UserId};
use crate::notifications::{self, NotificationKind};
use crate::pagination::{self, Page};
use crate::search;

pub const LISTING: &str = "meetups";

fn member_of(user: &User) -> MemberRow {
    MemberRow {
        id: user.id,
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        email: user.email.clone(),
        avatar_url: user.avatar_url.clone(),
    }
}

pub fn create(
    conn: &mut PgConnection,
    organizer: &User,
    input: &MeetupInput,
) -> Result<MeetupView, ApiError> {
    conn.transaction(|conn| {
        let row = model::insert(conn, organizer.id, input)?;
        search::enqueue(conn, row.id)?;
        Ok(MeetupView::new(row, &member_of(organizer), Some(None)))
    })
}

pub fn get(
    conn: &mut PgConnection,
    id: MeetupId,
    viewer: Option<&User>,
) -> Result<MeetupView, ApiError> {
    let (row, organizer) = model::find(conn, id)?.ok_or(ApiError::NotFound)?;
    if !row.is_visible_to(viewer) {
        return Err(ApiError::NotFound);
    }
    let rsvp = match viewer {
        Some(viewer) => Some(model::find_rsvp(conn, id, viewer.id)?),
        None => None,
    };
    let position = match rsvp.as_ref().and_then(Option::as_ref) {
        Some(rsvp) if rsvp.status == RsvpStatus::Waitlisted => {
            Some(model::waitlist_position(conn, id, rsvp.id)?)
        }
        _ => None,
    };
    let my_rsvp = rsvp.map(|rsvp| rsvp.map(|rsvp| rsvp.status));
    Ok(MeetupView {
        my_waitlist_position: position,
        ..MeetupView::new(row, &organizer, my_rsvp)
    })
}

pub fn list(
    conn: &mut PgConnection,
    filter: &MeetupFilter,
) -> Result<Page<MeetupSummary>, ApiError> {
    let rows = model::list(conn, filter)?;
    Ok(Page::from_rows(
        rows,
        filter.limit,
        |(row, _)| pagination::encode(LISTING, &(row.starts_at, row.id)),
        MeetupSummary::new,
    ))
}

/// The meetup, locked, if `viewer` may see it.
fn locked(conn: &mut PgConnection, id: MeetupId, viewer: &User) -> Result<MeetupRow, ApiError> {
    model::lock(conn, id)?
        .filter(|row| row.is_visible_to(Some(viewer)))
        .ok_or(ApiError::NotFound)
}

/// The meetup, locked, for its organizer or a moderator to change; a cancelled one is final.
fn managed(conn: &mut PgConnection, id: MeetupId, actor: &User) -> Result<MeetupRow, ApiError> {
    let current = locked(conn, id, actor)?;
    rules::ensure_can_manage(actor, current.organizer_id)?;
    if current.is_cancelled() {
        return Err(rules::meetup_cancelled());
    }
    Ok(current)
}

/// Applies a PATCH as the organizer or a moderator; attendees hear of a new time or place.
pub fn update(
    conn: &mut PgConnection,
    id: MeetupId,
    actor: &User,
    raw: RawMeetup<'_>,
    base_url: &str,
) -> Result<MeetupView, ApiError> {
    conn.transaction(|conn| {
        let current = managed(conn, id, actor)?;
        let before = current.as_input();
        let after = domain::parse(raw, Some(&before), Utc::now())?;
        apply_update(conn, &current, &after, actor, base_url)?;
        get(conn, id, Some(actor))
    })
}

/// Writes `after` over a locked meetup: capacity checked, waitlist promoted, attendees told of
/// a new time or place, search updated.
fn apply_update(
    conn: &mut PgConnection,
    current: &MeetupRow,
    after: &MeetupInput,
    actor: &User,
    base_url: &str,
) -> Result<(), ApiError> {
    let id = current.id;
    let before = current.as_input();
    {
        rules::ensure_capacity_holds(after.capacity, current.going_count)?;
        let row = model::update(conn, id, after)?;
        // A raised or removed capacity gives seats to the waitlist at once.
        let promoted = model::promote_waitlisted(
            conn,
            id,
            rules::free_seats(row.capacity, row.going_count, row.waitlist_count),
        )?;
        notify_promoted(conn, &row, &promoted, base_url)?;
        if rules::time_or_place_changed(&before, after) {
            notify_attendees(conn, &row, NotificationKind::MeetupChanged, actor, base_url)?;
        }
        search::enqueue(conn, id)?;
    }
    Ok(())
}

/// Cancels the meetup as the organizer or a moderator and tells everyone going or waiting.
pub fn cancel(
    conn: &mut PgConnection,
    id: MeetupId,
    actor: &User,
    base_url: &str,
) -> Result<MeetupView, ApiError> {
    conn.transaction(|conn| {
        managed(conn, id, actor)?;
        let row = model::cancel(conn, id)?;
        notify_attendees(
            conn,
            &row,
            NotificationKind::MeetupCancelled,
            actor,
            base_url,
        )?;
        search::enqueue(conn, id)?;
        get(conn, id, Some(actor))
    })
}

/// RSVPs: `going` while seats remain, then the waitlist; asking again changes nothing.
pub fn rsvp(conn: &mut PgConnection, id: MeetupId, member: &User) -> Result<RsvpView, ApiError> {
    conn.transaction(|conn| {
        let meetup = locked(conn, id, member)?;
        let existing = model::find_rsvp(conn, id, member.id)?;
        let rsvp = match existing {
            Some(rsvp) => rsvp,
            None => {
                rules::ensure_rsvp_open(meetup.is_cancelled(), meetup.starts_at, Utc::now())?;
                let status = rules::seat_for(meetup.capacity, meetup.going_count);
                model::insert_rsvp(conn, id, member.id, status)?
            }
        };
        rsvp_view(conn, &rsvp)
    })
}

fn rsvp_view(conn: &mut PgConnection, rsvp: &model::RsvpRow) -> Result<RsvpView, ApiError> {
    let status = rsvp.status;
    let waitlist_position = match status {
        RsvpStatus::Waitlisted => Some(model::waitlist_position(conn, rsvp.meetup_id, rsvp.id)?),
        RsvpStatus::Going => None,
    };
    Ok(RsvpView {
        meetup_id: rsvp.meetup_id,
        status,
        waitlist_position,
    })
}

/// Withdraws an RSVP; a seat it frees goes to the first waitlisted member, who is emailed.
/// Withdrawing when there is nothing to withdraw changes nothing.
pub fn withdraw_rsvp(
    conn: &mut PgConnection,
    id: MeetupId,
    member: &User,
    base_url: &str,
) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        let meetup = locked(conn, id, member)?;
        let Some(rsvp) = model::find_rsvp(conn, id, member.id)? else {
            return Ok(());
        };
        if meetup.starts_at <= Utc::now() {
            return Err(ApiError::conflict(
                "meetup_past",
                "This meetup has started or is over; its RSVPs are kept as they were.",
            ));
        }
        model::delete_rsvp(conn, rsvp.id)?;
        if rsvp.status == RsvpStatus::Going && !meetup.is_cancelled() {
            let going = meetup.going_count - 1;
            let seats = rules::free_seats(meetup.capacity, going, meetup.waitlist_count);
            let promoted = model::promote_waitlisted(conn, id, seats)?;
            notify_promoted(conn, &meetup, &promoted, base_url)?;
        }
        Ok(())
    })
}

pub fn attendees(
    conn: &mut PgConnection,
    id: MeetupId,
    viewer: &User,
) -> Result<AttendeeList, ApiError> {
    let (meetup, _) = model::find(conn, id)?
        .filter(|(row, _)| row.is_visible_to(Some(viewer)))
        .ok_or(ApiError::NotFound)?;
    rules::ensure_can_manage(viewer, meetup.organizer_id)?;
    let (going, waitlisted): (Vec<_>, Vec<_>) = model::attendees(conn, id)?
        .into_iter()
        .partition(|(rsvp, _)| rsvp.status == RsvpStatus::Going);
    Ok(AttendeeList {
        going: going.into_iter().map(AttendeeView::new).collect(),
        waitlisted: waitlisted.into_iter().map(AttendeeView::new).collect(),
    })
}

/// A meetup's calendar: cancelled ones included, marked as such.
pub fn calendar_of(
    conn: &mut PgConnection,
    id: MeetupId,
    base_url: &str,
) -> Result<String, ApiError> {
    // Calendar feeds are fetched without a token: the public's view.
    let (meetup, _) = model::find(conn, id)?
        .filter(|(row, _)| row.is_visible_to(None))
        .ok_or(ApiError::NotFound)?;
    let name = meetup.title.clone();
    Ok(super::calendar::calendar(&name, &[meetup], base_url))
}

pub fn upcoming_calendar(conn: &mut PgConnection, base_url: &str) -> Result<String, ApiError> {
    let meetups: Vec<MeetupRow> = model::upcoming_for_calendar(conn, super::calendar::FEED_LIMIT)?
        .into_iter()
        .map(|(row, _)| row)
        .collect();
    Ok(super::calendar::calendar(
        "devforum meetups",
        &meetups,
        base_url,
    ))
}

fn when(meetup: &MeetupRow) -> String {
    let tz: chrono_tz::Tz = meetup.timezone.parse().unwrap_or(chrono_tz::Tz::UTC);
    let local = |at: DateTime<Utc>| {
        at.with_timezone(&tz)
            .format("%a %-d %b %Y %H:%M")
            .to_string()
    };
    format!(
        "{} – {} ({})",
        local(meetup.starts_at),
        local(meetup.ends_at),
        meetup.timezone
    )
}

/// Where a meetup is, in words (mail).
pub fn place_of(meetup: &MeetupRow) -> String {
    place(meetup)
}

fn place(meetup: &MeetupRow) -> String {
    let venue = meetup
        .venue()
        .map(|v| format!("{}, {}, {}, {}", v.name, v.address, v.city, v.country));
    match (venue, &meetup.online_url) {
        (Some(venue), Some(url)) => format!("{venue} and online at {url}"),
        (Some(venue), None) => venue,
        (None, Some(url)) => format!("online at {url}"),
        (None, None) => String::new(),
    }
}

fn email_context(meetup: &MeetupRow, username: &str, base_url: &str) -> serde_json::Value {
    serde_json::json!({
        "username": username,
        "title": meetup.title,
        "when": when(meetup),
        "place": place(meetup),
        "link": super::calendar::page_link(meetup.id, base_url),
    })
}

/// A unique name for one direct meetup event (direct events are recorded in their own
/// transaction, so they are never replayed; the name only has to differ between events).
fn event_name(meetup: &MeetupRow, what: &str) -> String {
    format!(
        "meetup:{}:{what}:{}",
        meetup.id.0,
        Utc::now().timestamp_micros()
    )
}

/// Tells everyone going or waiting, in the app and, as their preferences say, by mail (the
/// mail's template is named after the kind).
fn notify_attendees(
    conn: &mut PgConnection,
    meetup: &MeetupRow,
    kind: NotificationKind,
    actor: &User,
    base_url: &str,
) -> Result<(), ApiError> {
    let template = kind.as_str();
    let event = event_name(meetup, template);
    for member in model::attendee_members(conn, meetup.id)? {
        let mail =
            notifications::Draft::new(template, email_context(meetup, &member.username, base_url));
        notifications::events::tell(
            conn,
            &event,
            member.id,
            kind,
            Some(actor.id),
            notifications::Subject::meetup(meetup.id),
            Some(mail),
        )?;
    }
    Ok(())
}

fn notify_promoted(
    conn: &mut PgConnection,
    meetup: &MeetupRow,
    user_ids: &[UserId],
    base_url: &str,
) -> Result<(), ApiError> {
    if user_ids.is_empty() {
        return Ok(());
    }
    let event = event_name(meetup, "seat");
    for member in model::members(conn, user_ids)? {
        let mail = notifications::Draft::new(
            "meetup_seat",
            email_context(meetup, &member.username, base_url),
        );
        notifications::events::tell(
            conn,
            &event,
            member.id,
            NotificationKind::MeetupSeat,
            None,
            notifications::Subject::meetup(meetup.id),
            Some(mail),
        )?;
    }
    Ok(())
}

/// Gives the member a new secret calendar URL (an earlier one stops working).
pub fn rotate_calendar_feed(
    conn: &mut PgConnection,
    member: UserId,
    base_url: &str,
) -> Result<String, ApiError> {
    let token = crate::accounts::tokens::generate();
    model::replace_feed(conn, member, &crate::accounts::tokens::hash(&token))?;
    Ok(format!(
        "{}/api/v1/calendar-feeds/{token}.ics",
        base_url.trim_end_matches('/')
    ))
}

/// Ends the member's calendar URL (nothing to end is no error).
pub fn revoke_calendar_feed(conn: &mut PgConnection, member: UserId) -> Result<(), ApiError> {
    model::delete_feed(conn, member)?;
    Ok(())
}

/// The calendar a secret feed URL names: the owner's meetups; 404 for any other token.
pub fn personal_calendar(
    conn: &mut PgConnection,
    token: &str,
    check_in_after: chrono::Duration,
    base_url: &str,
) -> Result<String, ApiError> {
    let token = token.strip_suffix(".ics").unwrap_or(token);
    let owner = model::feed_owner(conn, &crate::accounts::tokens::hash(token))?
        .ok_or(ApiError::NotFound)?;
    let meetups = model::personal_calendar(conn, owner, super::calendar::FEED_LIMIT)?;
    let base = base_url.trim_end_matches('/');
    let host = super::calendar::host(base_url);
    // Each accepted mentorship's check-in day (when both sides are asked whether it goes on).
    let days: Vec<super::calendar::DayToRemember> = model::accepted_mentorships(conn, owner)?
        .into_iter()
        .map(|(id, accepted_at, other)| super::calendar::DayToRemember {
            uid: format!("mentorship-{id}-check-in@{host}"),
            summary: format!("Mentorship check-in with @{other}"),
            date: (accepted_at + check_in_after).date_naive(),
            url: format!("{base}/mentorship-requests/{id}"),
        })
        .collect();
    Ok(super::calendar::personal(
        "devforum: my meetups",
        &meetups,
        &days,
        base_url,
    ))
}

// Recurring meetups.

/// The periodic task that tops series up.
pub const SERIES_JOB: &str = "meetups.series";

/// One topping-up of every open series (periodic).
#[derive(serde::Deserialize)]
pub struct ExtendSeries {}

impl crate::jobs::ConnTask for ExtendSeries {
    const KIND: &'static str = SERIES_JOB;
    type Needs = ();

    fn run(self, conn: &mut PgConnection, _: &()) -> anyhow::Result<()> {
        let made = extend_series(conn, Utc::now())?;
        tracing::info!(made, "meetup series topped up");
        Ok(())
    }
}

/// Which occurrences of a series an edit or a cancellation is for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// This meetup only (the default; the only one for a one-off).
    #[default]
    This,
    /// This occurrence and every later one of its series (and those made later).
    Following,
}

fn rule_of(series: &model::SeriesRow) -> Result<super::recurrence::Rule, ApiError> {
    serde_json::from_value(series.rule.clone())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("series {} has no rule: {e}", series.id)))
}

fn rule_json(rule: &super::recurrence::Rule) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(rule).map_err(|e| ApiError::Internal(e.into()))
}

/// Creates a recurring meetup: the series, and its first occurrences (a few ahead; the
/// periodic `meetups.series` task makes the rest as time goes by). Answers the first.
pub fn create_series(
    conn: &mut PgConnection,
    organizer: &User,
    input: &MeetupInput,
    rule: &super::recurrence::Rule,
) -> Result<MeetupView, ApiError> {
    conn.transaction(|conn| {
        let duration = input.ends_at - input.starts_at;
        let series_id = model::insert_series(
            conn,
            organizer.id,
            &rule_json(rule)?,
            duration.num_seconds(),
        )?;
        let mut first = None;
        for (index, start) in super::recurrence::starts(rule)
            .take(super::recurrence::AHEAD)
            .enumerate()
        {
            let mut occurrence = input.clone();
            occurrence.starts_at = start;
            occurrence.ends_at = start + duration;
            if let Some(row) =
                model::insert_occurrence(conn, organizer.id, &occurrence, series_id, index as i32)?
            {
                search::enqueue(conn, row.id)?;
                first.get_or_insert(row);
            }
        }
        let first =
            first.ok_or_else(|| ApiError::invalid_field("recurrence", "makes no occurrence"))?;
        Ok(MeetupView::new(first, &member_of(organizer), Some(None)))
    })
}

/// Keeps every open series `AHEAD` occurrences ahead of `now`, from its latest occurrence
/// (whose fields the new ones copy); a series whose rule has no more is ended. How many
/// occurrences were made.
pub fn extend_series(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<usize, ApiError> {
    let mut made = 0;
    for id in model::open_series_ids(conn)? {
        made += conn.transaction(|conn| extend_one(conn, id, now))?;
    }
    Ok(made)
}

fn extend_one(
    conn: &mut PgConnection,
    id: SeriesId,
    now: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let Some(series) = model::lock_series(conn, id)? else {
        return Ok(0);
    };
    let rule = rule_of(&series)?;
    let existing = model::occurrences(conn, id)?;
    let Some(latest) = existing.last() else {
        model::end_series(conn, id)?;
        return Ok(0);
    };
    let mut ahead = existing.iter().filter(|m| m.starts_at > now).count();
    let starts: Vec<DateTime<Utc>> = super::recurrence::starts(&rule).collect();
    let next = latest.occurrence.unwrap_or(0) as usize + 1;
    let duration = chrono::Duration::seconds(series.duration_secs);
    let mut made = 0;
    for (index, start) in starts.iter().enumerate().skip(next) {
        if ahead >= super::recurrence::AHEAD {
            return Ok(made);
        }
        if *start <= now {
            continue;
        }
        let mut input = latest.as_input();
        input.starts_at = *start;
        input.ends_at = *start + duration;
        if let Some(row) =
            model::insert_occurrence(conn, UserId(series.organizer_id), &input, id, index as i32)?
        {
            search::enqueue(conn, row.id)?;
            made += 1;
            ahead += 1;
        }
    }
    model::end_series(conn, id)?;
    Ok(made)
}

/// An edit of this occurrence and the later ones: fields as given; a new time of day (or
/// length) moves each later occurrence to that time on its own day, and the series' rule with
/// them. Moving to another day is for one occurrence at a time.
pub fn update_following(
    conn: &mut PgConnection,
    id: MeetupId,
    actor: &User,
    raw: RawMeetup<'_>,
    base_url: &str,
) -> Result<MeetupView, ApiError> {
    conn.transaction(|conn| {
        // The series' lock first, then the meetups in order: two edits of one series queue.
        let series_id = series_of(conn, id, actor)?;
        let series = model::lock_series(conn, series_id)?.ok_or(ApiError::NotFound)?;
        let current = managed(conn, id, actor)?;
        let before = current.as_input();
        let after = domain::parse(raw, Some(&before), Utc::now())?;
        let tz: chrono_tz::Tz = after.timezone.parse().unwrap_or(chrono_tz::Tz::UTC);
        let old_local = before
            .starts_at
            .with_timezone(&before.timezone.parse().unwrap_or(chrono_tz::Tz::UTC))
            .naive_local();
        let new_local = after.starts_at.with_timezone(&tz).naive_local();
        if old_local.date() != new_local.date() {
            return Err(ApiError::invalid_field(
                "starts_at",
                "a series keeps its days: with scope=following only the time of day may change",
            ));
        }
        let duration = after.ends_at - after.starts_at;
        let position = current.occurrence.unwrap_or(0);
        apply_update(conn, &current, &after, actor, base_url)?;
        for later in model::occurrences(conn, series_id)?
            .into_iter()
            .filter(|m| m.occurrence.unwrap_or(0) > position && !m.is_cancelled())
        {
            let later = managed(conn, later.id, actor)?;
            let day = later
                .starts_at
                .with_timezone(&before.timezone.parse().unwrap_or(chrono_tz::Tz::UTC))
                .date_naive();
            let start = super::recurrence::resolve(tz, day.and_time(new_local.time()));
            let mut input = after.clone();
            input.starts_at = start;
            input.ends_at = start + duration;
            apply_update(conn, &later, &input, actor, base_url)?;
        }
        let mut rule = rule_of(&series)?;
        rule.first = rule.first.date().and_time(new_local.time());
        rule.timezone = after.timezone.clone();
        model::set_series_rule(conn, series_id, &rule_json(&rule)?, duration.num_seconds())?;
        get(conn, id, Some(actor))
    })
}

/// Cancels this occurrence and every later one, and ends the series (it makes no more).
pub fn cancel_following(
    conn: &mut PgConnection,
    id: MeetupId,
    actor: &User,
    base_url: &str,
) -> Result<MeetupView, ApiError> {
    conn.transaction(|conn| {
        let series_id = series_of(conn, id, actor)?;
        model::lock_series(conn, series_id)?;
        let current = managed(conn, id, actor)?;
        let position = current.occurrence.unwrap_or(0);
        for occurrence in model::occurrences(conn, series_id)?
            .into_iter()
            .filter(|m| m.occurrence.unwrap_or(0) >= position && !m.is_cancelled())
        {
            cancel(conn, occurrence.id, actor, base_url)?;
        }
        model::end_series(conn, series_id)?;
        get(conn, id, Some(actor))
    })
}

/// The series of a meetup the actor may see (read without a lock: it never changes).
fn series_of(conn: &mut PgConnection, id: MeetupId, actor: &User) -> Result<SeriesId, ApiError> {
    let (meetup, _) = model::find(conn, id)?
        .filter(|(row, _)| row.is_visible_to(Some(actor)))
        .ok_or(ApiError::NotFound)?;
    meetup.series_id.ok_or_else(not_in_series)
}

fn not_in_series() -> ApiError {
    ApiError::invalid_field("scope", "this meetup is not part of a series")
}

/// An account is erased: its RSVPs to meetups still ahead are withdrawn, so their waitlists
/// move on; RSVPs to meetups that have begun are history and stay (under "deleted member").
pub fn on_member_erased(
    conn: &mut PgConnection,
    erasing: &crate::accounts::service::erasure::Erasing<'_>,
) -> Result<(), ApiError> {
    let member = erasing.member;
    for id in model::upcoming_rsvps_of(conn, member.id)? {
        match withdraw_rsvp(conn, id, member, erasing.base_url) {
            Ok(()) => {}
            // A meetup hidden from members: its RSVP goes without moving the waitlist, which
            // staff settle when they restore it.
            Err(ApiError::NotFound) => model::delete_rsvp_of(conn, id, member.id)?,
            Err(error) => return Err(error),
        }
    }
    Ok(())
}
