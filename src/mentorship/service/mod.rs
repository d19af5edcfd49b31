//! Mentorship operations. Each write is one transaction that takes its locks in one order
//! (mentor profile, then request), enqueues the email it causes, and — for profiles — the
//! search index update.

pub mod check_in;
pub mod timers;

use std::collections::HashMap;

use chrono::Utc;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::domain::{MentorProfileInput, RequestInput};
use super::lifecycle::{self, Action, Party, Status};
use super::model::{self, DirectoryFilter, NewRequest, PersonRow, RequestFilter, RequestRow};
use super::rules;
use super::views::{MentorSummary, MentorView, RequestView};
use crate::accounts::service::erasure::Erasing;
use crate::accounts::User;
use crate::conversations;
use crate::error::ApiError;
use crate::ids::{MentorshipRequestId, UserId};
use crate::notifications::{self, NotificationKind};
use crate::pagination::{self, Page};
use crate::search;

pub const DIRECTORY_LISTING: &str = "mentors";
pub const REQUESTS_LISTING: &str = "mentorship-requests";

fn request_exists() -> ApiError {
    ApiError::conflict(
        "request_exists",
        "You already have an open (pending or accepted) request with this mentor.",
    )
}

/// Creates or replaces the caller's mentor profile and brings its search document up to date.
pub fn put_profile(
    conn: &mut PgConnection,
    user: &User,
    input: &MentorProfileInput,
) -> Result<MentorView, ApiError> {
    conn.transaction(|conn| {
        model::upsert_profile(conn, user.id, input)?;
        search::enqueue(conn, search::DocRef::mentor(user.id))?;
        mentor_of(conn, user.id)
    })
}

pub fn get_mentor(conn: &mut PgConnection, username: &str) -> Result<MentorView, ApiError> {
    let (mentor, person) =
        model::find_mentor_by_username(conn, username)?.ok_or(ApiError::NotFound)?;
    Ok(MentorView::new(mentor, person))
}

/// The profile of the mentor with this account id, or 404.
pub fn mentor_of(conn: &mut PgConnection, user_id: UserId) -> Result<MentorView, ApiError> {
    let (mentor, person) = model::find_mentor(conn, user_id)?.ok_or(ApiError::NotFound)?;
    Ok(MentorView::new(mentor, person))
}

pub fn list_mentors(
    conn: &mut PgConnection,
    filter: &DirectoryFilter,
) -> Result<Page<MentorSummary>, ApiError> {
    let rows = model::list_mentors(conn, filter)?;
    Ok(Page::from_rows(
        rows,
        filter.limit,
        |(mentor, _)| pagination::encode(DIRECTORY_LISTING, &(mentor.created_at, mentor.user_id)),
        MentorSummary::new,
    ))
}

/// A mentee asks a mentor; the mentor is told by email.
pub fn create_request(
    conn: &mut PgConnection,
    mentee: &User,
    input: &RequestInput,
    base_url: &str,
) -> Result<RequestView, ApiError> {
    rules::ensure_not_self(mentee, &input.mentor)?;
    conn.transaction(|conn| {
        let (mentor, mentor_person) = model::find_mentor_by_username(conn, &input.mentor)?
            .ok_or_else(|| ApiError::invalid_field("mentor", "no mentor has this username"))?;
        rules::ensure_takes_requests(&mentor, &mentor_person, Utc::now())?;
        if model::open_request_of_pair(conn, mentee.id, mentor.user_id)?.is_some() {
            return Err(request_exists());
        }
        let row = model::insert_request(
            conn,
            &NewRequest {
                mentee_id: mentee.id,
                mentor_id: mentor.user_id,
                message: &input.message,
                goals: &input.goals,
            },
        )
        .map_err(|error| match error {
            // Two requests for the same pair raced past the check above.
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => request_exists(),
            other => other.into(),
        })?;
        let mentee_person = person_of(mentee);
        let mail = notifications::Draft::new(
            "mentorship_request",
            serde_json::json!({
                "mentor": mentor_person.username,
                "mentee": display(&mentee_person),
                "message": row.message,
                "goals": row.goals,
                "link": request_link(base_url, row.id),
            }),
        );
        notifications::events::tell(
            conn,
            &format!("mentorship:{}:pending", row.id.0),
            mentor.user_id,
            NotificationKind::MentorshipRequest,
            Some(mentee.id),
            notifications::Subject::request(row.id),
            Some(mail),
        )?;
        Ok(RequestView::new(row, &mentor_person, &mentee_person))
    })
}

fn person_of(user: &User) -> PersonRow {
    PersonRow {
        id: user.id,
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        email: user.email.clone(),
        suspended_at: user.suspended_at,
        suspended_until: user.suspended_until,
        avatar_url: user.avatar_url.clone(),
    }
}

/// "Ada Lovelace (@ada)", or "@ada" without a display name.
fn display(person: &PersonRow) -> String {
    match &person.display_name {
        Some(name) => format!("{name} (@{})", person.username),
        None => format!("@{}", person.username),
    }
}

/// The web client's page of a request (mail links).
pub(super) fn request_link(base_url: &str, id: MentorshipRequestId) -> String {
    format!(
        "{}/mentorship-requests/{id}",
        base_url.trim_end_matches('/')
    )
}

/// A request the viewer may see (participants and staff), or 404.
pub fn get_request(
    conn: &mut PgConnection,
    id: MentorshipRequestId,
    viewer: &User,
) -> Result<RequestView, ApiError> {
    let row = model::find_request(conn, id)?.ok_or(ApiError::NotFound)?;
    if !rules::can_see(viewer, row.mentor_id, row.mentee_id) {
        return Err(ApiError::NotFound);
    }
    let mut views = with_people(conn, vec![row])?;
    views.pop().ok_or(ApiError::NotFound)
}

/// Views of requests, with their participants read in one query.
fn with_people(
    conn: &mut PgConnection,
    rows: Vec<RequestRow>,
) -> Result<Vec<RequestView>, ApiError> {
    let people = people_of(conn, &rows)?;
    rows.into_iter()
        .map(|row| {
            let (mentor, mentee) = pair(&people, &row)?;
            Ok(RequestView::new(row, mentor, mentee))
        })
        .collect()
}

/// Everyone taking part in these requests, read in one query.
fn people_of(
    conn: &mut PgConnection,
    rows: &[RequestRow],
) -> Result<HashMap<UserId, PersonRow>, ApiError> {
    let mut ids: Vec<UserId> = rows
        .iter()
        .flat_map(|row| [row.mentor_id, row.mentee_id])
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(model::people(conn, &ids)?
        .into_iter()
        .map(|person| (person.id, person))
        .collect())
}

/// The mentor and the mentee of one request.
fn pair<'a>(
    people: &'a HashMap<UserId, PersonRow>,
    row: &RequestRow,
) -> Result<(&'a PersonRow, &'a PersonRow), ApiError> {
    let missing = || ApiError::Internal(anyhow::anyhow!("request {} lost a participant", row.id));
    Ok((
        people.get(&row.mentor_id).ok_or_else(missing)?,
        people.get(&row.mentee_id).ok_or_else(missing)?,
    ))
}

pub fn list_requests(
    conn: &mut PgConnection,
    filter: &RequestFilter,
) -> Result<Page<RequestView>, ApiError> {
    let rows = model::list_requests(conn, filter)?;
    let (rows, next_cursor) = pagination::split_page(rows, filter.limit, |row| {
        pagination::encode(REQUESTS_LISTING, &(row.created_at, row.id))
    });
    Ok(Page {
        items: with_people(conn, rows)?,
        next_cursor,
    })
}

/// Tells the other party that a request reached `to` (the party who acted is never told).
fn tell_parties(
    conn: &mut PgConnection,
    row: &RequestRow,
    to: Status,
    actor: &User,
    mail: Option<notifications::Draft>,
) -> Result<(), ApiError> {
    let kind = match to {
        Status::Accepted => NotificationKind::MentorshipAccepted,
        Status::Declined => NotificationKind::MentorshipDeclined,
        Status::Withdrawn => NotificationKind::MentorshipWithdrawn,
        Status::Completed => NotificationKind::MentorshipCompleted,
        Status::Expired => NotificationKind::MentorshipExpired,
        Status::Pending => return Ok(()),
    };
    let event = format!("mentorship:{}:{}", row.id.0, to.as_str());
    let subject = notifications::Subject::request(row.id);
    for party in [row.mentor_id, row.mentee_id] {
        if party != actor.id {
            let mail = mail.clone().filter(|_| party == row.mentee_id);
            notifications::events::tell(conn, &event, party, kind, Some(actor.id), subject, mail)?;
        }
    }
    Ok(())
}

/// Moves a request along its lifecycle as `actor`; the other party is told (in the app), and
/// the mentee hears of an accept or decline by mail.
pub fn transition(
    conn: &mut PgConnection,
    id: MentorshipRequestId,
    actor: &User,
    action: Action,
    reason: Option<&str>,
    base_url: &str,
) -> Result<RequestView, ApiError> {
    conn.transaction(|conn| {
        // The participants never change: read them unlocked to find the profile to lock first.
        let peek = model::find_request(conn, id)?.ok_or(ApiError::NotFound)?;
        if !rules::can_see(actor, peek.mentor_id, peek.mentee_id) {
            return Err(ApiError::NotFound);
        }
        let profile = model::lock_profile(conn, peek.mentor_id)?.ok_or(ApiError::NotFound)?;
        let row = model::lock_request(conn, id)?.ok_or(ApiError::NotFound)?;
        let from = row.status();
        let party = Party::of(actor.id, row.mentor_id, row.mentee_id);
        let to = lifecycle::apply(from, action, party)?;
        if to == Status::Accepted {
            rules::ensure_free_place(&profile)?;
        }
        let reason = matches!(action, Action::Accept | Action::Decline)
            .then_some(reason)
            .flatten();
        let mut row = model::set_status(conn, id, from, to, reason)?;
        let people = people_of(conn, std::slice::from_ref(&row))?;
        let (mentor, mentee) = pair(&people, &row)?;
        if to == Status::Accepted {
            // The pair can talk from now on without sharing addresses.
            let conversation = conversations::service::open_for_mentorship(
                conn,
                actor,
                row.mentee_id,
                &mentee.username,
                &row.message,
                &row.goals,
            )?;
            model::set_conversation(conn, id, conversation)?;
            row.conversation_id = Some(conversation);
        }
        let template = match to {
            Status::Accepted => Some("mentorship_accepted"),
            Status::Declined => Some("mentorship_declined"),
            Status::Pending | Status::Withdrawn | Status::Completed | Status::Expired => None,
        };
        // The mentee's mail for an accept or decline; the other steps mail a plain message.
        let mail = template.map(|template| {
            notifications::Draft::new(
                template,
                serde_json::json!({
                    "mentee": mentee.username,
                    "mentor": display(mentor),
                    "reason": row.reason,
                    "link": request_link(base_url, row.id),
                }),
            )
        });
        tell_parties(conn, &row, to, actor, mail)?;
        Ok(RequestView::new(row, mentor, mentee))
    })
}

/// What the member's side does with an open request, as the lifecycle allows it: a mentee
/// withdraws a pending request, a mentor declines one, and an accepted one is completed.
pub fn closing_action(status: &str, is_mentor: bool) -> Option<Action> {
    match (status, is_mentor) {
        ("pending", false) => Some(Action::Withdraw),
        ("pending", true) => Some(Action::Decline),
        ("accepted", _) => Some(Action::Complete),
        _ => None,
    }
}

/// An account is erased: its open requests end as its side may end them, with the other side
/// told; its mentor profile goes, and with it the mentor's search document.
pub fn on_member_erased(conn: &mut PgConnection, erasing: &Erasing<'_>) -> Result<(), ApiError> {
    let member = erasing.member;
    for request in model::open_requests_of(conn, member.id)? {
        let is_mentor = request.mentor_id == member.id.get();
        let Some(action) = closing_action(&request.status, is_mentor) else {
            continue;
        };
        let reason = (action == Action::Decline).then_some("The mentor's account was deleted.");
        let id = MentorshipRequestId(request.id);
        transition(conn, id, member, action, reason, erasing.base_url)?;
    }
    if model::delete_profile(conn, member.id)? {
        search::enqueue(conn, search::document::DocRef::mentor(member.id))?;
    }
    Ok(())
}

#[cfg(test)]
mod erasure_tests {
    use super::*;

    #[test]
    fn the_member_closes_each_open_request_as_their_side_may() {
        assert_eq!(closing_action("pending", false), Some(Action::Withdraw));
        assert_eq!(closing_action("pending", true), Some(Action::Decline));
        assert_eq!(closing_action("accepted", false), Some(Action::Complete));
        assert_eq!(closing_action("accepted", true), Some(Action::Complete));
        assert_eq!(closing_action("declined", true), None);
        // Every move proposed is one the lifecycle allows the member's side.
        use crate::mentorship::lifecycle::{apply, Party, Status};
        for (status, state) in [("pending", Status::Pending), ("accepted", Status::Accepted)] {
            for (is_mentor, party) in [(false, Party::Mentee), (true, Party::Mentor)] {
                let action = closing_action(status, is_mentor).unwrap();
                assert!(apply(state, action, party).is_ok(), "{status} {is_mentor}");
            }
        }
    }
}
