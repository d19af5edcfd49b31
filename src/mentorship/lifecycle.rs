//! The life of a mentorship request as a small state machine: which actions exist, who may take
//! each, and where each leads. Plain code, so every (state, action, party) triple is tested
//! without HTTP or a database.
//!
//! ```text
//! pending ──accept (mentor)──▶ accepted ──complete (either)──▶ completed
//!    │ ──decline (mentor)──▶ declined
//!    │ ──withdraw (mentee)──▶ withdrawn
//!    └──expire (the system, after `mentorship.request_ttl_days`)──▶ expired
//! ```

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::ids::UserId;

crate::text_enum! {
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum Status ("mentorship request status") {
        Pending => "pending",
        Accepted => "accepted",
        Declined => "declined",
        Withdrawn => "withdrawn",
        Completed => "completed",
        /// Pending for `mentorship.request_ttl_days` with no answer.
        Expired => "expired",
    }
}

impl Status {
    /// Pending and accepted requests are open: only one per mentee–mentor pair at a time.
    pub fn is_open(self) -> bool {
        matches!(self, Status::Pending | Status::Accepted)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Accept,
    Decline,
    Withdraw,
    Complete,
    /// No answer in time (the periodic sweep).
    Expire,
}

impl Action {
    pub const ALL: [Action; 5] = [
        Action::Accept,
        Action::Decline,
        Action::Withdraw,
        Action::Complete,
        Action::Expire,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Decline => "decline",
            Action::Withdraw => "withdraw",
            Action::Complete => "complete",
            Action::Expire => "expire",
        }
    }

    /// Who may take this action.
    fn allowed(self, party: Party) -> bool {
        match self {
            Action::Accept | Action::Decline => party == Party::Mentor,
            Action::Withdraw => party == Party::Mentee,
            Action::Complete => matches!(party, Party::Mentor | Party::Mentee),
            Action::Expire => party == Party::System,
        }
    }

    fn performer(self) -> &'static str {
        match self {
            Action::Accept | Action::Decline => "the mentor",
            Action::Withdraw => "the mentee",
            Action::Complete => "the mentor or the mentee",
            Action::Expire => "time",
        }
    }
}

/// The actor's part in one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Mentor,
    Mentee,
    /// Staff who may read the request but take no part in it.
    Onlooker,
    /// devforum itself, when time runs out.
    System,
}

impl Party {
    pub fn of(actor_id: UserId, mentor_id: UserId, mentee_id: UserId) -> Party {
        if actor_id == mentor_id {
            Party::Mentor
        } else if actor_id == mentee_id {
            Party::Mentee
        } else {
            Party::Onlooker
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The actor may never take this action on this request (403 `wrong_participant`).
    WrongParticipant,
    /// The action does not apply to the request's state (409 `invalid_transition`).
    InvalidTransition,
}

/// Where `action` by `party` takes a request in state `from`. Who is checked before what: an
/// action the actor may never take is refused as such whatever the state.
pub fn transition(from: Status, action: Action, party: Party) -> Result<Status, Refusal> {
    if !action.allowed(party) {
        return Err(Refusal::WrongParticipant);
    }
    match (from, action) {
        (Status::Pending, Action::Accept) => Ok(Status::Accepted),
        (Status::Pending, Action::Decline) => Ok(Status::Declined),
        (Status::Pending, Action::Withdraw) => Ok(Status::Withdrawn),
        (Status::Accepted, Action::Complete) => Ok(Status::Completed),
        (Status::Pending, Action::Expire) => Ok(Status::Expired),
        _ => Err(Refusal::InvalidTransition),
    }
}

/// `transition` with its refusals as the API answers them.
pub fn apply(from: Status, action: Action, party: Party) -> Result<Status, ApiError> {
    transition(from, action, party).map_err(|refusal| match refusal {
        Refusal::WrongParticipant => ApiError::forbidden(
            "wrong_participant",
            format!(
                "Only {} can {} a mentorship request.",
                action.performer(),
                action.as_str()
            ),
        ),
        Refusal::InvalidTransition => ApiError::conflict(
            "invalid_transition",
            format!(
                "A {} request cannot be {}.",
                from.as_str(),
                match action {
                    Action::Accept => "accepted",
                    Action::Decline => "declined",
                    Action::Withdraw => "withdrawn",
                    Action::Complete => "completed",
                    Action::Expire => "expired",
                }
            ),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use Party::*;
    use Status::*;

    /// The whole table, written out: every triple not listed as a move or a wrong participant
    /// is an invalid transition.
    fn expected(from: Status, action: Action, party: Party) -> Result<Status, Refusal> {
        let moves = [
            (Pending, Accept, Mentor, Accepted),
            (Pending, Decline, Mentor, Declined),
            (Pending, Withdraw, Mentee, Withdrawn),
            (Accepted, Complete, Mentor, Completed),
            (Accepted, Complete, Mentee, Completed),
            (Pending, Expire, System, Expired),
        ];
        if let Some((.., to)) = moves
            .iter()
            .find(|(f, a, p, _)| (*f, *a, *p) == (from, action, party))
        {
            return Ok(*to);
        }
        let wrong_participant = matches!(
            (action, party),
            (Accept | Decline, Mentee | Onlooker | System)
                | (Withdraw, Mentor | Onlooker | System)
                | (Complete, Onlooker | System)
                | (Expire, Mentor | Mentee | Onlooker)
        );
        Err(if wrong_participant {
            Refusal::WrongParticipant
        } else {
            Refusal::InvalidTransition
        })
    }

    #[test]
    fn every_state_action_and_party() {
        let mut checked = 0;
        for &from in Status::ALL {
            for action in Action::ALL {
                for party in [Mentor, Mentee, Onlooker, System] {
                    assert_eq!(
                        transition(from, action, party),
                        expected(from, action, party),
                        "{from:?} {action:?} by {party:?}"
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 6 * 5 * 4);
    }

    #[test]
    fn closed_requests_never_move() {
        for from in [Declined, Withdrawn, Completed] {
            for action in Action::ALL {
                for party in [Mentor, Mentee, Onlooker, System] {
                    assert!(transition(from, action, party).is_err());
                }
            }
        }
    }

    #[test]
    fn refusals_become_403_and_409() {
        assert!(matches!(
            apply(Pending, Accept, Mentee),
            Err(ApiError::Forbidden {
                code: "wrong_participant",
                ..
            })
        ));
        assert!(matches!(
            apply(Declined, Accept, Mentor),
            Err(ApiError::Conflict {
                code: "invalid_transition",
                ..
            })
        ));
        assert_eq!(apply(Accepted, Complete, Mentee).ok(), Some(Completed));
    }

    #[test]
    fn parties_and_statuses() {
        assert_eq!(Party::of(UserId(1), UserId(1), UserId(2)), Mentor);
        assert_eq!(Party::of(UserId(2), UserId(1), UserId(2)), Mentee);
        assert_eq!(Party::of(UserId(3), UserId(1), UserId(2)), Onlooker);
        for status in Status::ALL {
            assert_eq!(status.as_str().parse::<Status>(), Ok(*status));
        }
        assert!("open".parse::<Status>().is_err());
        assert!(Pending.is_open() && Accepted.is_open());
        assert!(!Declined.is_open() && !Withdrawn.is_open() && !Completed.is_open());
    }
}
