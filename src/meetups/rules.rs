//! Who may manage a meetup, when RSVPs are open, and who gets a seat, as plain functions.

use chrono::{DateTime, Utc};

use super::domain::{MeetupInput, RsvpStatus};
use crate::accounts::User;
use crate::error::ApiError;
use crate::ids::UserId;

/// A new RSVP is `going` while seats remain (always, without a capacity), otherwise it joins
/// the waitlist.
pub fn seat_for(capacity: Option<i32>, going: i32) -> RsvpStatus {
    match capacity {
        Some(capacity) if going >= capacity => RsvpStatus::Waitlisted,
        _ => RsvpStatus::Going,
    }
}

/// Seats free for the waitlist: every waiting member when there is no capacity.
pub fn free_seats(capacity: Option<i32>, going: i32, waitlisted: i32) -> i64 {
    match capacity {
        Some(capacity) => i64::from(capacity - going).max(0),
        None => i64::from(waitlisted),
    }
}

/// The organizer and staff edit, cancel and see attendees.
pub fn ensure_can_manage(actor: &User, organizer_id: UserId) -> Result<(), ApiError> {
    if actor.id == organizer_id || actor.is_staff() {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "not_organizer",
            "Only the organizer or a moderator can do this.",
        ))
    }
}

/// RSVPs are taken until the meetup starts, and never for a cancelled one.
pub fn ensure_rsvp_open(
    cancelled: bool,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if cancelled {
        return Err(meetup_cancelled());
    }
    if starts_at <= now {
        return Err(ApiError::conflict(
            "meetup_past",
            "This meetup has started or is over; its RSVPs are closed.",
        ));
    }
    Ok(())
}

pub fn meetup_cancelled() -> ApiError {
    ApiError::conflict("meetup_cancelled", "This meetup is cancelled.")
}

/// A capacity below the seats already given is refused: nobody loses a seat they hold.
pub fn ensure_capacity_holds(capacity: Option<i32>, going: i32) -> Result<(), ApiError> {
    match capacity {
        Some(capacity) if capacity < going => Err(ApiError::invalid_field(
            "capacity",
            format!("{going} members are going already; the capacity cannot be lower"),
        )),
        _ => Ok(()),
    }
}

/// Whether attendees must hear of a change: its time or its place moved.
pub fn time_or_place_changed(before: &MeetupInput, after: &MeetupInput) -> bool {
    before.starts_at != after.starts_at
        || before.ends_at != after.ends_at
        || before.timezone != after.timezone
        || before.venue != after.venue
        || before.online_url != after.online_url
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::model::fixture as user;
    use crate::accounts::Role;
    use chrono::Duration;

    #[test]
    fn seats_go_to_the_first_comers_then_the_waitlist() {
        assert_eq!(seat_for(Some(2), 0), RsvpStatus::Going);
        assert_eq!(seat_for(Some(2), 1), RsvpStatus::Going);
        assert_eq!(seat_for(Some(2), 2), RsvpStatus::Waitlisted);
        assert_eq!(seat_for(None, 10_000), RsvpStatus::Going);
        assert_eq!(free_seats(Some(5), 3, 9), 2);
        assert_eq!(free_seats(Some(5), 5, 9), 0);
        assert_eq!(free_seats(None, 5, 9), 9);
    }

    #[test]
    fn organizers_and_staff_manage() {
        assert!(ensure_can_manage(&user(1, Role::Member), UserId(1)).is_ok());
        assert!(ensure_can_manage(&user(2, Role::Member), UserId(1)).is_err());
        assert!(ensure_can_manage(&user(2, Role::Moderator), UserId(1)).is_ok());
        assert!(ensure_can_manage(&user(2, Role::Admin), UserId(1)).is_ok());
    }

    #[test]
    fn rsvps_close_at_the_start_and_on_cancellation() {
        let now = Utc::now();
        assert!(ensure_rsvp_open(false, now + Duration::minutes(1), now).is_ok());
        assert!(matches!(
            ensure_rsvp_open(false, now, now),
            Err(ApiError::Conflict {
                code: "meetup_past",
                ..
            })
        ));
        assert!(matches!(
            ensure_rsvp_open(true, now + Duration::days(1), now),
            Err(ApiError::Conflict {
                code: "meetup_cancelled",
                ..
            })
        ));
        assert!(ensure_capacity_holds(Some(3), 3).is_ok());
        assert!(ensure_capacity_holds(Some(2), 3).is_err());
        assert!(ensure_capacity_holds(None, 3).is_ok());
    }

    #[test]
    fn only_time_and_place_changes_are_announced() {
        let now = Utc::now();
        let before = MeetupInput {
            title: "Rust night".into(),
            description: "Talks".into(),
            starts_at: now,
            ends_at: now + Duration::hours(2),
            timezone: "UTC".into(),
            venue: None,
            online_url: Some("https://meet.example/a".into()),
            capacity: None,
            tags: vec![],
        };
        let retitled = MeetupInput {
            title: "Rust evening".into(),
            capacity: Some(3),
            ..before.clone()
        };
        assert!(!time_or_place_changed(&before, &retitled));
        let moved = MeetupInput {
            online_url: Some("https://meet.example/b".into()),
            ..before.clone()
        };
        assert!(time_or_place_changed(&before, &moved));
        let later = MeetupInput {
            starts_at: now + Duration::minutes(30),
            ..before.clone()
        };
        assert!(time_or_place_changed(&before, &later));
    }
}
