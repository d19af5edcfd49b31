//! Who may see a request, and when a mentor can take one on, as plain functions.

use chrono::{DateTime, Utc};

use super::model::{MentorRow, PersonRow};
use crate::accounts::User;
use crate::error::ApiError;
use crate::ids::UserId;

/// A mentor takes new requests while willing, with a free place, not away, and not suspended.
pub fn takes_requests(mentor: &MentorRow, person: &PersonRow, now: DateTime<Utc>) -> bool {
    mentor.accepting_requests
        && has_free_place(mentor)
        && !mentor.is_away_at(now)
        && !person.is_suspended_at(now)
}

pub fn has_free_place(mentor: &MentorRow) -> bool {
    mentor.active_mentees < mentor.capacity
}

fn unavailable(detail: &str) -> ApiError {
    ApiError::unprocessable("mentor_unavailable", detail)
}

/// A new request needs a mentor who takes requests now.
pub fn ensure_takes_requests(
    mentor: &MentorRow,
    person: &PersonRow,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if takes_requests(mentor, person, now) {
        return Ok(());
    }
    Err(unavailable(if !has_free_place(mentor) {
        "This mentor has no free place at the moment."
    } else if mentor.is_away_at(now) {
        "This mentor is away at the moment."
    } else {
        "This mentor is not accepting requests at the moment."
    }))
}

/// Accepting needs a free place; the mentor's switch only closes the door to new requests.
pub fn ensure_free_place(mentor: &MentorRow) -> Result<(), ApiError> {
    if has_free_place(mentor) {
        Ok(())
    } else {
        Err(unavailable(
            "You have no free place: complete a mentorship or raise your capacity first.",
        ))
    }
}

/// Nobody mentors themselves.
pub fn ensure_not_self(mentee: &User, mentor_username: &str) -> Result<(), ApiError> {
    if mentee.username.eq_ignore_ascii_case(mentor_username) {
        Err(ApiError::invalid_field(
            "mentor",
            "you cannot send a mentorship request to yourself",
        ))
    } else {
        Ok(())
    }
}

/// A request is its two participants' business, and moderators'; to anyone else it does not
/// exist.
pub fn can_see(viewer: &User, mentor_id: UserId, mentee_id: UserId) -> bool {
    viewer.id == mentor_id || viewer.id == mentee_id || viewer.is_staff()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn mentor(capacity: i32, active: i32, accepting: bool) -> MentorRow {
        MentorRow {
            user_id: UserId(1),
            headline: "h".into(),
            bio: String::new(),
            bio_html: String::new(),
            skills: vec!["rust".into()],
            languages: vec!["en".into()],
            timezone: "UTC".into(),
            capacity,
            accepting_requests: accepting,
            active_mentees: active,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            away_until: None,
        }
    }

    fn person(suspended_for: Option<Duration>) -> PersonRow {
        let now = Utc::now();
        PersonRow {
            id: UserId(1),
            username: "mentor".into(),
            display_name: None,
            email: "m@example.com".into(),
            suspended_at: suspended_for.map(|_| now),
            suspended_until: suspended_for.map(|d| now + d),
            avatar_url: None,
        }
    }

    use crate::accounts::model::fixture as user;
    use crate::accounts::Role;

    #[test]
    fn a_mentor_takes_requests_when_willing_with_room_and_not_suspended() {
        let now = Utc::now();
        assert!(takes_requests(&mentor(2, 1, true), &person(None), now));
        assert!(!takes_requests(&mentor(2, 2, true), &person(None), now));
        assert!(!takes_requests(&mentor(2, 3, true), &person(None), now));
        assert!(!takes_requests(&mentor(2, 0, false), &person(None), now));
        // Away until tomorrow: not now; the pause lifts by itself once it has passed.
        let mut away = mentor(2, 0, true);
        away.away_until = Some(now + Duration::days(1));
        assert!(!takes_requests(&away, &person(None), now));
        assert!(takes_requests(
            &away,
            &person(None),
            now + Duration::days(2)
        ));
        assert!(!takes_requests(
            &mentor(2, 0, true),
            &person(Some(Duration::hours(1))),
            now
        ));
        assert!(takes_requests(
            &mentor(2, 0, true),
            &person(Some(Duration::hours(-1))),
            now
        ));
    }

    #[test]
    fn unavailability_says_why() {
        let now = Utc::now();
        let full = ensure_takes_requests(&mentor(1, 1, true), &person(None), now);
        assert!(
            matches!(&full, Err(ApiError::Unprocessable { code: "mentor_unavailable", detail }) if detail.contains("free place"))
        );
        let closed = ensure_takes_requests(&mentor(1, 0, false), &person(None), now);
        assert!(
            matches!(&closed, Err(ApiError::Unprocessable { code: "mentor_unavailable", detail }) if detail.contains("not accepting"))
        );
        assert!(ensure_free_place(&mentor(1, 0, false)).is_ok());
        assert!(ensure_free_place(&mentor(1, 1, true)).is_err());
    }

    #[test]
    fn requests_are_private_to_participants_and_staff() {
        assert!(can_see(&user(1, Role::Member), UserId(1), UserId(2)));
        assert!(can_see(&user(2, Role::Member), UserId(1), UserId(2)));
        assert!(!can_see(&user(3, Role::Member), UserId(1), UserId(2)));
        assert!(can_see(&user(3, Role::Moderator), UserId(1), UserId(2)));
        assert!(can_see(&user(3, Role::Admin), UserId(1), UserId(2)));
    }

    #[test]
    fn nobody_mentors_themselves() {
        assert!(ensure_not_self(&user(1, Role::Member), "U1").is_err());
        assert!(ensure_not_self(&user(1, Role::Member), "u2").is_ok());
    }
}
