//! Meetup operations. Every change to a meetup or its RSVPs is one transaction that first
//! locks the meetup's row, so seats are given one at a time; the emails and the search index
//! update it causes are enqueued in the same transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::domain::RsvpStatus;
use super::domain::{self, MeetupInput, RawMeetup};
use super::model::{self, MeetupFilter, MeetupRow, MemberRow};
use super::rules;
use super::views::{AttendeeList, AttendeeView, MeetupSummary, MeetupView, RsvpView};
use crate::accounts::User;
use crate::error::ApiError;
use crate::ids::{MeetupId, UserId};
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
        rules::ensure_capacity_holds(after.capacity, current.going_count)?;
        let row = model::update(conn, id, &after)?;
        // A raised or removed capacity gives seats to the waitlist at once.
        let promoted = model::promote_waitlisted(
            conn,
            id,
            rules::free_seats(row.capacity, row.going_count, row.waitlist_count),
        )?;
        notify_promoted(conn, &row, &promoted, base_url)?;
        if rules::time_or_place_changed(&before, &after) {
            notify_attendees(conn, &row, NotificationKind::MeetupChanged, actor, base_url)?;
        }
        search::enqueue(conn, id)?;
        get(conn, id, Some(actor))
    })
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
    base_url: &str,
) -> Result<String, ApiError> {
    let token = token.strip_suffix(".ics").unwrap_or(token);
    let owner = model::feed_owner(conn, &crate::accounts::tokens::hash(token))?
        .ok_or(ApiError::NotFound)?;
    let meetups = model::personal_calendar(conn, owner, super::calendar::FEED_LIMIT)?;
    Ok(super::calendar::calendar(
        "devforum: my meetups",
        &meetups,
        base_url,
    ))
}
