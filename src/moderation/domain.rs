//! Moderation's own types (what a report points at, its reason and state, what the log
//! records) and its input parsed once: a report's target becomes a typed id, so a reply id
//! never reaches code that hides a thread.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::ids::{AppealId, MeetupId, MessageId, ReplyId, ReportId, ThreadId, UserId};
use crate::validation;

pub const NOTE_CHARS: usize = 2_000;

crate::text_enum! {
    /// What a report points at.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum TargetType ("report target type") {
        Thread => "thread",
        Reply => "reply",
        User => "user",
        Meetup => "meetup",
        /// A message of a private conversation (reported by a participant).
        Message => "message",
    }
}

crate::text_enum! {
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum ReportReason ("report reason") {
        Spam => "spam",
        Abuse => "abuse",
        OffTopic => "off_topic",
        Other => "other",
    }
}

crate::text_enum! {
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum ReportStatus ("report status") {
        Open => "open",
        Resolved => "resolved",
        Dismissed => "dismissed",
    }
}

crate::text_enum! {
    /// The review queue's order.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum QueueSort ("queue order") {
        /// Oldest report first (the default).
        Oldest => "oldest",
        Newest => "newest",
        /// Targets reported by the most members first, then oldest first.
        MostReported => "most_reported",
    }
}

crate::text_enum! {
    /// What resolving a report does to its target.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum ResolveAction ("report action") {
        Hide => "hide",
        None => "none",
    }
}

crate::text_enum! {
    /// What a moderation log entry records.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum LogAction ("moderation log action") {
        Hide => "hide",
        /// Reports from enough members hid the content.
        AutoHide => "auto_hide",
        Restore => "restore",
        Lock => "lock",
        Unlock => "unlock",
        Pin => "pin",
        Unpin => "unpin",
        ResolveReport => "resolve_report",
        DismissReport => "dismiss_report",
        Suspend => "suspend",
        Unsuspend => "unsuspend",
        SetRole => "set_role",
        /// An admin erased an account (`DELETE /admin/users/{username}`).
        DeleteAccount => "delete_account",
        /// Everything a member posted since a time was hidden, in one action.
        HideMemberContent => "hide_member_content",
        /// A `hide_member_content` action was undone.
        RestoreMemberContent => "restore_member_content",
        AppealUpheld => "appeal_upheld",
        AppealOverturned => "appeal_overturned",
        /// An admin pinned a member's trust level, or let it be computed again.
        SetTrustLevel => "set_trust_level",
        /// A thread's author or staff marked a reply as its solution (`threads` writes it).
        MarkSolution => "mark_solution",
        /// They removed it.
        UnmarkSolution => "unmark_solution",
        /// A staff member was shown a reported private message (once per member and message).
        ViewMessage => "view_message",
    }
}

crate::text_enum! {
    /// What a moderation log entry is about.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum LogTargetType ("moderation log target type") {
        Thread => "thread",
        Reply => "reply",
        Meetup => "meetup",
        User => "user",
        Report => "report",
        Appeal => "appeal",
        Message => "message",
    }
}

/// Content that can be hidden and restored, by its own id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    Thread(ThreadId),
    Reply(ReplyId),
    Meetup(MeetupId),
    Message(MessageId),
}

/// What a report points at, by its own id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Content(Content),
    User(UserId),
}

impl Target {
    /// The target a stored `(target_type, target_id)` pair names.
    pub fn stored(target_type: TargetType, id: i64) -> Self {
        match target_type {
            TargetType::Thread => Target::Content(Content::Thread(ThreadId(id))),
            TargetType::Reply => Target::Content(Content::Reply(ReplyId(id))),
            TargetType::Meetup => Target::Content(Content::Meetup(MeetupId(id))),
            TargetType::Message => Target::Content(Content::Message(MessageId(id))),
            TargetType::User => Target::User(UserId(id)),
        }
    }

    pub fn target_type(self) -> TargetType {
        match self {
            Target::Content(Content::Thread(_)) => TargetType::Thread,
            Target::Content(Content::Reply(_)) => TargetType::Reply,
            Target::Content(Content::Meetup(_)) => TargetType::Meetup,
            Target::Content(Content::Message(_)) => TargetType::Message,
            Target::User(_) => TargetType::User,
        }
    }

    /// The number stored in `target_id`.
    pub fn raw_id(self) -> i64 {
        match self {
            Target::Content(content) => content.log_target().1,
            Target::User(id) => id.get(),
        }
    }

    /// Content can be hidden; accounts are suspended instead.
    pub fn content(self) -> Option<Content> {
        match self {
            Target::Content(content) => Some(content),
            Target::User(_) => None,
        }
    }
}

impl Content {
    pub fn target(self) -> Target {
        Target::Content(self)
    }

    /// How the moderation log names this content.
    pub fn log_target(self) -> (LogTargetType, i64) {
        match self {
            Content::Thread(id) => (LogTargetType::Thread, id.get()),
            Content::Reply(id) => (LogTargetType::Reply, id.get()),
            Content::Meetup(id) => (LogTargetType::Meetup, id.get()),
            Content::Message(id) => (LogTargetType::Message, id.get()),
        }
    }
}

/// What a log entry is about, as the log stores it.
pub fn log_user(id: UserId) -> (LogTargetType, i64) {
    (LogTargetType::User, id.get())
}

pub fn log_report(id: ReportId) -> (LogTargetType, i64) {
    (LogTargetType::Report, id.get())
}

pub fn log_appeal(id: AppealId) -> (LogTargetType, i64) {
    (LogTargetType::Appeal, id.get())
}

impl LogAction {
    /// Actions against a member that they may appeal: hides of their content, the hide of all
    /// their recent content, and suspensions.
    pub fn appealable(self) -> bool {
        matches!(
            self,
            LogAction::Hide
                | LogAction::AutoHide
                | LogAction::HideMemberContent
                | LogAction::Suspend
        )
    }
}

impl LogTargetType {
    /// The content a log entry is about, if it is a thread, reply or meetup.
    pub fn content(self, id: i64) -> Option<Content> {
        match self {
            LogTargetType::Thread => Some(Content::Thread(ThreadId(id))),
            LogTargetType::Reply => Some(Content::Reply(ReplyId(id))),
            LogTargetType::Meetup => Some(Content::Meetup(MeetupId(id))),
            LogTargetType::Message => Some(Content::Message(MessageId(id))),
            LogTargetType::User | LogTargetType::Report | LogTargetType::Appeal => None,
        }
    }
}

crate::text_enum! {
    /// Where an appeal stands.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum AppealStatus ("appeal status") {
        Open => "open",
        /// The action stands.
        Upheld => "upheld",
        /// The action was undone.
        Overturned => "overturned",
    }
}

crate::text_enum! {
    /// How staff decide an appeal.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum AppealOutcome ("appeal outcome") {
        Upheld => "upheld",
        Overturned => "overturned",
    }
}

impl AppealOutcome {
    pub fn status(self) -> AppealStatus {
        match self {
            AppealOutcome::Upheld => AppealStatus::Upheld,
            AppealOutcome::Overturned => AppealStatus::Overturned,
        }
    }

    pub fn log_action(self) -> LogAction {
        match self {
            AppealOutcome::Upheld => LogAction::AppealUpheld,
            AppealOutcome::Overturned => LogAction::AppealOverturned,
        }
    }
}

/// An appeal's or decision's text: 1 to 2,000 characters, not blank.
pub fn parse_required_text(field: &str, raw: Option<&str>) -> Result<String, ApiError> {
    let Some(raw) = raw else {
        return Err(ApiError::invalid_field(field, "is required"));
    };
    validation::text(raw, 1, NOTE_CHARS, true)
        .map_err(|message| ApiError::invalid_field(field, message))
}

/// A report, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportInput {
    pub target: Target,
    pub reason: ReportReason,
    pub details: Option<String>,
}

/// An optional note of at most 2,000 characters; blank is none.
pub fn parse_note(field: &str, raw: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let note = validation::text(raw, 0, NOTE_CHARS, true)
        .map_err(|message| ApiError::invalid_field(field, message))?;
    Ok(Some(note).filter(|n| !n.is_empty()))
}

/// An admin's reason for deleting an account: 1 to 2,000 characters, not blank.
pub fn parse_deletion_reason(raw: Option<&str>) -> Result<String, ApiError> {
    let Some(raw) = raw else {
        return Err(ApiError::invalid_field("reason", "is required"));
    };
    validation::text(raw, 1, NOTE_CHARS, true)
        .map_err(|message| ApiError::invalid_field("reason", message))
}

/// A report's `target_id` as JSON sends it: JSON does not tell `7` from `7.0`, so neither does
/// this.
pub fn parse_target(target_type: TargetType, raw: &serde_json::Number) -> Result<Target, ApiError> {
    crate::validation::whole_number(raw)
        .map(|id| Target::stored(target_type, id))
        .ok_or_else(|| ApiError::invalid_field("target_id", "must be a whole number"))
}

/// A suspension, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspension {
    /// `None`: until a moderator lifts it.
    pub until: Option<DateTime<Utc>>,
    pub reason: String,
}

/// A suspension's reason (1 to 2,000 characters) and end (in the future, if any); every bad
/// field is reported at once.
pub fn parse_suspension(
    reason: &str,
    until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Suspension, ApiError> {
    let mut v = validation::Validator::new();
    let reason = v.check("reason", validation::text(reason, 1, NOTE_CHARS, true));
    if until.is_some_and(|until| until <= now) {
        v.add("until", "must be in the future".into());
    }
    validation::check_date(&mut v, "until", until, now);
    v.finish()?;
    Ok(Suspension {
        until,
        reason: validation::validated(reason)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_types_round_trip() {
        for t in ["thread", "reply", "user", "meetup"] {
            assert_eq!(t.parse::<TargetType>().map(TargetType::as_str), Ok(t));
        }
        assert!("post".parse::<TargetType>().is_err());
    }

    #[test]
    fn a_stored_target_becomes_its_own_kind_of_id() {
        let reply = Target::stored(TargetType::Reply, 7);
        assert_eq!(reply, Target::Content(Content::Reply(ReplyId(7))));
        assert_eq!(reply.target_type(), TargetType::Reply);
        assert_eq!(reply.raw_id(), 7);
        assert_eq!(Target::stored(TargetType::User, 3).content(), None);
        for t in TargetType::ALL {
            assert_eq!(Target::stored(*t, 1).target_type(), *t);
        }
    }

    #[test]
    fn a_target_id_is_a_whole_number() {
        let number = |raw: &str| serde_json::from_str::<serde_json::Number>(raw).unwrap();
        assert_eq!(
            parse_target(TargetType::Thread, &number("7.0")).unwrap(),
            Target::Content(Content::Thread(ThreadId(7)))
        );
        assert!(parse_target(TargetType::Thread, &number("7.5")).is_err());
        assert!(parse_target(TargetType::Thread, &number("1e300")).is_err());
    }

    #[test]
    fn notes_are_trimmed_and_blank_is_none() {
        assert_eq!(parse_note("note", None).unwrap(), None);
        assert_eq!(parse_note("note", Some("   ")).unwrap(), None);
        assert!(parse_note("note", Some(&"x".repeat(NOTE_CHARS + 1))).is_err());
    }

    #[test]
    fn a_suspension_needs_a_reason_and_a_future_end() {
        let now = Utc::now();
        let ok = parse_suspension(" spam ", Some(now + chrono::Duration::days(1)), now).unwrap();
        assert_eq!(ok.reason, "spam");
        assert!(parse_suspension("spam", None, now).is_ok());
        let error = parse_suspension(" ", Some(now), now).unwrap_err();
        let ApiError::Validation(fields) = error else {
            panic!("expected a validation error, got {error:?}");
        };
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        assert_eq!(names, ["reason", "until"]);
    }

    #[test]
    fn the_solution_actions_are_the_ones_threads_write() {
        use crate::threads::model::solutions::{LOG_MARK, LOG_UNMARK};
        assert_eq!(LogAction::MarkSolution.as_str(), LOG_MARK);
        assert_eq!(LogAction::UnmarkSolution.as_str(), LOG_UNMARK);
    }
}
