//! What the API shows of mentors and mentorship requests.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::views::MemberSummary;
use crate::ids::MentorshipRequestId;

use super::domain::LanguageCodeSchema;
use super::lifecycle::Status;
use super::model::{MentorRow, PersonRow, RequestRow};
use super::rules;
use crate::tags::TagNameSchema;

/// A mentor's full profile.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MentorView {
    pub username: String,
    pub display_name: Option<String>,
    pub headline: String,
    /// The Markdown as written.
    pub bio: String,
    /// Rendered and sanitised HTML.
    pub bio_html: String,
    #[schema(value_type = Vec<TagNameSchema>)]
    pub skills: Vec<String>,
    #[schema(value_type = Vec<LanguageCodeSchema>)]
    pub languages: Vec<String>,
    /// IANA time zone name.
    pub timezone: String,
    /// How many mentees the mentor takes at once.
    pub capacity: i32,
    /// Accepted requests not yet completed.
    pub active_mentees: i32,
    /// Whether a request sent now can be made: the mentor is open to requests, has a free
    /// place, and the account is not suspended.
    pub accepting_requests: bool,
    /// The mentor's own switch, as last set; `accepting_requests` is false while they are full
    /// even when this is true.
    pub open_to_requests: bool,
    /// While the mentor is away: until when (then `accepting_requests` is false).
    pub away_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl MentorView {
    pub fn new(mentor: MentorRow, person: PersonRow) -> Self {
        let accepting_requests = rules::takes_requests(&mentor, &person, Utc::now());
        MentorView {
            username: person.username,
            display_name: person.display_name,
            headline: mentor.headline,
            bio: mentor.bio,
            bio_html: mentor.bio_html,
            skills: mentor.skills,
            languages: mentor.languages,
            timezone: mentor.timezone,
            capacity: mentor.capacity,
            active_mentees: mentor.active_mentees,
            accepting_requests,
            open_to_requests: mentor.accepting_requests,
            away_until: mentor.away_until.filter(|until| *until > Utc::now()),
            created_at: mentor.created_at,
            updated_at: mentor.updated_at,
        }
    }
}

/// A mentor as the directory lists them (no bio: pages stay small).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MentorSummary {
    pub username: String,
    pub display_name: Option<String>,
    pub headline: String,
    #[schema(value_type = Vec<TagNameSchema>)]
    pub skills: Vec<String>,
    #[schema(value_type = Vec<LanguageCodeSchema>)]
    pub languages: Vec<String>,
    pub timezone: String,
    pub capacity: i32,
    pub active_mentees: i32,
    /// Open to requests, with a free place, not suspended.
    pub accepting_requests: bool,
    /// The mentor's own switch, as last set.
    pub open_to_requests: bool,
    /// While the mentor is away: until when.
    pub away_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl MentorSummary {
    pub fn new((mentor, person): (MentorRow, PersonRow)) -> Self {
        let accepting_requests = rules::takes_requests(&mentor, &person, Utc::now());
        MentorSummary {
            username: person.username,
            display_name: person.display_name,
            headline: mentor.headline,
            skills: mentor.skills,
            languages: mentor.languages,
            timezone: mentor.timezone,
            capacity: mentor.capacity,
            active_mentees: mentor.active_mentees,
            accepting_requests,
            open_to_requests: mentor.accepting_requests,
            away_until: mentor.away_until.filter(|until| *until > Utc::now()),
            created_at: mentor.created_at,
        }
    }
}

impl PersonRow {
    pub fn summary(&self) -> MemberSummary {
        MemberSummary {
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            avatar_url: self.avatar_url.clone(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RequestView {
    pub id: MentorshipRequestId,
    pub status: Status,
    pub mentor: MemberSummary,
    pub mentee: MemberSummary,
    /// Plain text, as the mentee wrote it.
    pub message: String,
    pub goals: String,
    /// The mentor's note when answering, if any.
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the request was accepted, declined or withdrawn.
    pub answered_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    /// The mentor's and mentee's conversation, opened when the request was accepted (null
    /// before; it stays after the mentorship ends).
    pub conversation_id: Option<crate::ids::ConversationId>,
}

impl RequestView {
    pub fn new(row: RequestRow, mentor: &PersonRow, mentee: &PersonRow) -> Self {
        RequestView {
            id: row.id,
            status: row.status(),
            mentor: mentor.summary(),
            mentee: mentee.summary(),
            message: row.message,
            goals: row.goals,
            reason: row.reason,
            created_at: row.created_at,
            updated_at: row.updated_at,
            answered_at: row.answered_at,
            completed_at: row.completed_at,
            conversation_id: row.conversation_id,
        }
    }
}
