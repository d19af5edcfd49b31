//! What the API shows of reports and the moderation log.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::domain::{
    LogAction, LogTargetType, ReportReason, ReportStatus, ResolveAction, TargetType,
};
use super::model::{LogRow, ReportRow};
use crate::ids::{ModerationLogId, ReportId};

#[derive(Debug, Serialize, ToSchema)]
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
    /// The moderator who handled it.
    pub handled_by: Option<String>,
    pub handled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Open reports on the same target, this one included if open.
    pub open_reports: i64,
    /// In the review queue: the target as it is now (`null` once it is gone).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub target: Option<Option<serde_json::Value>>,
}

impl ReportView {
    pub fn new(
        row: ReportRow,
        reporter: String,
        handled_by: Option<String>,
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
            reporter,
            handled_by,
            handled_at: row.handled_at,
            created_at: row.created_at,
            open_reports,
            target,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
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
        }
    }
}
