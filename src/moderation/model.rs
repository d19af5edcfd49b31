//! Rows of `reports` and `moderation_log`, and the queries on them.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Timestamptz};

use super::domain::{
    LogAction, LogTargetType, ReportReason, ReportStatus, ResolveAction, Target, TargetType,
};
use crate::ids::{ModerationLogId, ReportId, UserId};
use crate::schema::{moderation_log, reports, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reports)]
pub struct ReportRow {
    pub id: ReportId,
    pub reporter_id: UserId,
    pub target_type: TargetType,
    pub target_id: i64,
    pub reason: ReportReason,
    pub details: Option<String>,
    pub status: ReportStatus,
    pub action: Option<ResolveAction>,
    pub note: Option<String>,
    pub handled_by: Option<UserId>,
    pub handled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl ReportRow {
    pub fn target(&self) -> Target {
        Target::stored(self.target_type, self.target_id)
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = reports)]
pub struct NewReport<'a> {
    pub reporter_id: UserId,
    pub target_type: TargetType,
    pub target_id: i64,
    pub reason: ReportReason,
    pub details: Option<&'a str>,
}

pub fn insert_report(conn: &mut PgConnection, new: &NewReport<'_>) -> QueryResult<ReportRow> {
    diesel::insert_into(reports::table)
        .values(new)
        .returning(ReportRow::as_returning())
        .get_result(conn)
}

pub fn lock_report(conn: &mut PgConnection, id: ReportId) -> QueryResult<Option<ReportRow>> {
    reports::table
        .find(id)
        .select(ReportRow::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// How many open reports a target has (one per reporter, by the unique index).
pub fn open_reports_of(conn: &mut PgConnection, target: Target) -> QueryResult<i64> {
    reports::table
        .filter(reports::target_type.eq(target.target_type()))
        .filter(reports::target_id.eq(target.raw_id()))
        .filter(reports::status.eq(ReportStatus::Open))
        .count()
        .get_result(conn)
}

/// Open reports per target, for many targets in one query.
pub fn open_reports_of_many(
    conn: &mut PgConnection,
    targets: &[(TargetType, i64)],
) -> QueryResult<Vec<(TargetType, i64, i64)>> {
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = targets.iter().map(|(_, id)| *id).collect();
    let counts: Vec<(TargetType, i64, i64)> = reports::table
        .filter(reports::status.eq(ReportStatus::Open))
        .filter(reports::target_id.eq_any(&ids))
        .group_by((reports::target_type, reports::target_id))
        .select((
            reports::target_type,
            reports::target_id,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    Ok(counts
        .into_iter()
        .filter(|(kind, id, _)| targets.iter().any(|(k, i)| k == kind && i == id))
        .collect())
}

/// Usernames of these accounts.
pub fn usernames(conn: &mut PgConnection, ids: &[UserId]) -> QueryResult<Vec<(UserId, String)>> {
    users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::username))
        .load(conn)
}

/// Closes a report as `status` (resolved or dismissed); returns the closed rows.
pub fn close_reports(
    conn: &mut PgConnection,
    ids: &[ReportId],
    status: ReportStatus,
    action: Option<ResolveAction>,
    note: Option<&str>,
    handled_by: UserId,
) -> QueryResult<Vec<ReportRow>> {
    diesel::update(
        reports::table
            .filter(reports::id.eq_any(ids))
            .filter(reports::status.eq(ReportStatus::Open)),
    )
    .set((
        reports::status.eq(status),
        reports::action.eq(action),
        reports::note.eq(note),
        reports::handled_by.eq(Some(handled_by)),
        reports::handled_at.eq(Some(Utc::now())),
    ))
    .returning(ReportRow::as_returning())
    .get_results(conn)
}

/// The other open reports of a target, locked.
pub fn other_open_reports(
    conn: &mut PgConnection,
    target: Target,
    except: ReportId,
) -> QueryResult<Vec<ReportId>> {
    reports::table
        .filter(reports::target_type.eq(target.target_type()))
        .filter(reports::target_id.eq(target.raw_id()))
        .filter(reports::status.eq(ReportStatus::Open))
        .filter(reports::id.ne(except))
        .select(reports::id)
        .for_update()
        .load(conn)
}

/// One page of the review queue, oldest first, plus one row to tell whether more exist.
pub fn list_reports(
    conn: &mut PgConnection,
    status: ReportStatus,
    after: Option<(DateTime<Utc>, ReportId)>,
    limit: i64,
) -> QueryResult<Vec<ReportRow>> {
    let mut query = reports::table
        .filter(reports::status.eq(status))
        .select(ReportRow::as_select())
        .order((reports::created_at.asc(), reports::id.asc()))
        .limit(limit + 1)
        .into_boxed();
    if let Some((created_at, id)) = after {
        query = query.filter(
            sql::<Bool>("(reports.created_at, reports.id) > (")
                .bind::<Timestamptz, _>(created_at)
                .sql(", ")
                .bind::<BigInt, _>(id)
                .sql(")"),
        );
    }
    query.load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = moderation_log)]
pub struct LogRow {
    pub id: ModerationLogId,
    pub actor_id: Option<UserId>,
    pub action: LogAction,
    pub target_type: LogTargetType,
    pub target_id: i64,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    /// A deleted account's anonymous reference, in place of its id as the actor.
    pub actor_ref: Option<String>,
    /// The same, in place of its id as the target.
    pub target_ref: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = moderation_log)]
pub struct NewLogEntry<'a> {
    /// `None`: the system.
    pub actor_id: Option<UserId>,
    pub action: LogAction,
    pub target_type: LogTargetType,
    pub target_id: i64,
    pub reason: Option<&'a str>,
}

/// Appends to the log; call it inside the action's transaction.
pub fn append_log(
    conn: &mut PgConnection,
    entry: &NewLogEntry<'_>,
) -> QueryResult<ModerationLogId> {
    diesel::insert_into(moderation_log::table)
        .values(entry)
        .returning(moderation_log::id)
        .get_result(conn)
}

/// One page of the log, newest first, with the actor's username, plus one row to tell whether
/// more exist.
pub fn list_log(
    conn: &mut PgConnection,
    before: Option<ModerationLogId>,
    limit: i64,
) -> QueryResult<Vec<(LogRow, Option<String>)>> {
    let mut query = moderation_log::table
        .left_join(users::table.on(users::id.nullable().eq(moderation_log::actor_id)))
        .select((LogRow::as_select(), users::username.nullable()))
        .order(moderation_log::id.desc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(moderation_log::id.lt(before));
    }
    query.load(conn)
}
