//! What the API shows of reports and the moderation log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::domain::{
    AppealStatus, LogAction, LogTargetType, ReportReason, ReportStatus, ResolveAction, TargetType,
};
use super::model::{LogRow, ReportRow};
use crate::accounts::TrustLevel;
use crate::ids::{AppealId, ModerationLogId, ReportId};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReportView {
    pub id: ReportId,
    pub target_type: TargetType,
    pub target_id: i64,
    pub reason: ReportReason,
    pub details: Option<String>,
    pub status: ReportStatus,
    /// How a resolved report was acted on.
    pub action: Option<ResolveAction>,
    pub note: Option<String>,
    /// The reporter's username.
    pub reporter: String,
    /// The reporter's trust level when they reported (it decides the report's weight).
    pub reporter_trust_level: TrustLevel,
    /// The trust level now of the member who wrote the reported content (or who is reported);
    /// `null` when they are gone.
    pub author_trust_level: Option<TrustLevel>,
    /// The moderator who handled it.
    pub handled_by: Option<String>,
    pub handled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Open reports on the same target, this one included if open.
    pub open_reports: i64,
    /// The moderator handling the target's reports now, while their claim holds.
    pub claim: Option<ClaimView>,
    /// In the review queue: the target as it is now (`null` once it is gone).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub target: Option<Option<serde_json::Value>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClaimView {
    /// The claiming moderator's username.
    pub moderator: String,
    /// When the claim lapses unless renewed.
    pub expires_at: DateTime<Utc>,
}

/// Who a report involves, by name.
#[derive(Debug, Default)]
pub struct ReportPeople {
    pub reporter: String,
    pub handled_by: Option<String>,
    pub author_trust_level: Option<TrustLevel>,
    pub claim: Option<ClaimView>,
}

impl ReportView {
    pub fn new(
        row: ReportRow,
        people: ReportPeople,
        open_reports: i64,
        target: Option<Option<serde_json::Value>>,
    ) -> Self {
        ReportView {
            id: row.id,
            target_type: row.target_type,
            target_id: row.target_id,
            reason: row.reason,
            details: row.details,
            status: row.status,
            action: row.action,
            note: row.note,
            reporter: people.reporter,
            reporter_trust_level: row.reporter_trust_level,
            author_trust_level: people.author_trust_level,
            handled_by: people.handled_by,
            handled_at: row.handled_at,
            created_at: row.created_at,
            open_reports,
            claim: people.claim,
            target,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LogEntryView {
    pub id: ModerationLogId,
    /// The acting moderator's or admin's username (a deleted account's anonymous reference,
    /// `deleted-…`); `null` when the system acted.
    pub actor: Option<String>,
    pub action: LogAction,
    pub target_type: LogTargetType,
    /// `0` for a member whose account was deleted since: `target_ref` names them.
    pub target_id: i64,
    /// For a deleted member: the stable anonymous reference (`deleted-…`) that replaced their
    /// id in every entry about them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_ref: Option<String>,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Where the target is seen in the web client (`/t/12#reply-40`, `/u/ada`), when it has a
    /// page.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub target_path: Option<String>,
}

impl LogEntryView {
    pub fn new((row, actor): (LogRow, Option<String>)) -> Self {
        LogEntryView {
            id: row.id,
            actor: actor.or(row.actor_ref),
            action: row.action,
            target_type: row.target_type,
            target_id: row.target_id,
            target_ref: row.target_ref,
            reason: row.reason,
            created_at: row.created_at,
            target_path: None,
        }
    }
}

/// An appeal. Its appellant sees it without `action` and `content`; staff see both.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AppealView {
    pub id: AppealId,
    /// The appealed action's moderation log entry.
    pub log_id: ModerationLogId,
    pub status: AppealStatus,
    /// What the member wrote.
    pub text: String,
    /// The appellant's username.
    pub appellant: String,
    pub appellant_trust_level: TrustLevel,
    /// The appealed action was the automatic hide (such appeals come first in the queue).
    pub automatic: bool,
    pub created_at: DateTime<Utc>,
    /// Who decided it.
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The decision's note, told to the member.
    pub note: Option<String>,
    /// To staff: the appealed action, with its actor and reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<LogEntryView>,
    /// To staff: what was hidden (thread, reply or meetup) or who was suspended, as it is now
    /// (`null` once it is gone).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub content: Option<Option<serde_json::Value>>,
}
