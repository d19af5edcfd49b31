//! Rows of `reports` and `moderation_log`, and the queries on them.

pub mod member_content;

pub mod appeals;

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Timestamptz};

use super::domain::{
    LogAction, LogTargetType, QueueSort, ReportReason, ReportStatus, ResolveAction, Target,
    TargetType,
};
use crate::accounts::TrustLevel;
use crate::ids::{ModerationLogId, ReportId, UserId};
use crate::schema::{moderation_log, report_claims, reports, users};

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
    /// The reporter's trust level when they reported.
    pub reporter_trust_level: TrustLevel,
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
    pub reporter_trust_level: TrustLevel,
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

/// A target's open reports (one per reporter, by the unique index), counted by their
/// reporters' trust levels.
pub fn open_report_levels(
    conn: &mut PgConnection,
    target: Target,
) -> QueryResult<Vec<(TrustLevel, i64)>> {
    reports::table
        .filter(reports::target_type.eq(target.target_type()))
        .filter(reports::target_id.eq(target.raw_id()))
        .filter(reports::status.eq(ReportStatus::Open))
        .group_by(reports::reporter_trust_level)
        .select((reports::reporter_trust_level, diesel::dsl::count_star()))
        .load(conn)
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

/// The open reports of the row's target: how many members reported it.
const OPEN_REPORTERS: &str = "(SELECT count(*) FROM reports o WHERE o.status = 'open' \
     AND o.target_type = reports.target_type AND o.target_id = reports.target_id)";

/// Which reports a page of the review queue shows, and in which order.
#[derive(Debug, Clone)]
pub struct QueueFilter {
    pub status: ReportStatus,
    pub reason: Option<ReportReason>,
    pub target_type: Option<TargetType>,
    /// Only targets reported by at least this many members (open reports).
    pub min_reporters: Option<i64>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub sort: QueueSort,
    /// Leave out targets another moderator than this one has claimed.
    pub unclaimed_for: Option<UserId>,
}

/// Where a page of the queue starts: after this report (its open-report count matters to
/// `most_reported` only).
pub type QueueKey = (i64, DateTime<Utc>, ReportId);

/// One page of the review queue, each report with its target's open-report count, plus one
/// row to tell whether more exist.
pub fn list_reports(
    conn: &mut PgConnection,
    filter: &QueueFilter,
    after: Option<QueueKey>,
    limit: i64,
) -> QueryResult<Vec<(ReportRow, i64)>> {
    let mut query = reports::table
        .filter(reports::status.eq(filter.status))
        .select((ReportRow::as_select(), sql::<BigInt>(OPEN_REPORTERS)))
        .limit(limit + 1)
        .into_boxed();
    if let Some(reason) = filter.reason {
        query = query.filter(reports::reason.eq(reason));
    }
    if let Some(target_type) = filter.target_type {
        query = query.filter(reports::target_type.eq(target_type));
    }
    if let Some(min) = filter.min_reporters {
        query = query.filter(
            sql::<Bool>(OPEN_REPORTERS)
                .sql(" >= ")
                .bind::<BigInt, _>(min),
        );
    }
    if let Some(at) = filter.created_after {
        query = query.filter(reports::created_at.gt(at));
    }
    if let Some(at) = filter.created_before {
        query = query.filter(reports::created_at.lt(at));
    }
    if let Some(me) = filter.unclaimed_for {
        query = query.filter(
            sql::<Bool>(
                "NOT EXISTS (SELECT 1 FROM report_claims c \
                 WHERE c.target_type = reports.target_type AND c.target_id = reports.target_id \
                   AND c.expires_at > now() AND c.moderator_id <> ",
            )
            .bind::<BigInt, _>(me)
            .sql(")"),
        );
    }
    let after_key = |compare: &str, key: Option<QueueKey>| {
        key.map(|(_, created_at, id)| {
            sql::<Bool>(&format!("(reports.created_at, reports.id) {compare} ("))
                .bind::<Timestamptz, _>(created_at)
                .sql(", ")
                .bind::<BigInt, _>(id)
                .sql(")")
        })
    };
    match filter.sort {
        QueueSort::Oldest => {
            query = query.order((reports::created_at.asc(), reports::id.asc()));
            if let Some(after) = after_key(">", after) {
                query = query.filter(after);
            }
        }
        QueueSort::Newest => {
            query = query.order((reports::created_at.desc(), reports::id.desc()));
            if let Some(after) = after_key("<", after) {
                query = query.filter(after);
            }
        }
        QueueSort::MostReported => {
            query = query
                .order(sql::<BigInt>(OPEN_REPORTERS).desc())
                .then_order_by((reports::created_at.asc(), reports::id.asc()));
            if let Some((count, created_at, id)) = after {
                query = query.filter(
                    sql::<Bool>(&format!(
                        "(-{OPEN_REPORTERS}, reports.created_at, reports.id) > ("
                    ))
                    .bind::<BigInt, _>(-count)
                    .sql(", ")
                    .bind::<Timestamptz, _>(created_at)
                    .sql(", ")
                    .bind::<BigInt, _>(id)
                    .sql(")"),
                );
            }
        }
    }
    query.load(conn)
}

/// Locks these reports, in id order (so two bulk actions wait rather than deadlock).
pub fn lock_reports(conn: &mut PgConnection, ids: &[ReportId]) -> QueryResult<Vec<ReportRow>> {
    reports::table
        .filter(reports::id.eq_any(ids))
        .select(ReportRow::as_select())
        .order(reports::id.asc())
        .for_update()
        .load(conn)
}

/// A moderator's claim on a target's reports.
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = report_claims)]
pub struct ClaimRow {
    pub target_type: TargetType,
    pub target_id: i64,
    pub moderator_id: UserId,
    pub expires_at: DateTime<Utc>,
}

/// Claims a target for `moderator` until `until`, unless another moderator's claim holds; the
/// claim, or `None` when someone else has it. One statement: two moderators claiming at once
/// cannot both win.
pub fn claim(
    conn: &mut PgConnection,
    target: Target,
    moderator: UserId,
    until: DateTime<Utc>,
) -> QueryResult<Option<ClaimRow>> {
    diesel::sql_query(
        "INSERT INTO report_claims (target_type, target_id, moderator_id, expires_at) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (target_type, target_id) DO UPDATE \
             SET moderator_id = EXCLUDED.moderator_id, expires_at = EXCLUDED.expires_at \
             WHERE report_claims.expires_at <= now() \
                OR report_claims.moderator_id = EXCLUDED.moderator_id \
         RETURNING target_type, target_id, moderator_id, expires_at",
    )
    .bind::<diesel::sql_types::Text, _>(target.target_type())
    .bind::<BigInt, _>(target.raw_id())
    .bind::<BigInt, _>(moderator)
    .bind::<Timestamptz, _>(until)
    .get_result(conn)
    .optional()
}

/// The claims that hold now on these targets.
pub fn claims_of(
    conn: &mut PgConnection,
    targets: &[(TargetType, i64)],
) -> QueryResult<Vec<ClaimRow>> {
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = targets.iter().map(|(_, id)| *id).collect();
    let rows: Vec<ClaimRow> = report_claims::table
        .filter(report_claims::target_id.eq_any(&ids))
        .filter(report_claims::expires_at.gt(diesel::dsl::now))
        .select(ClaimRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|c| targets.contains(&(c.target_type, c.target_id)))
        .collect())
}

/// Ends the claim on a target (whoever holds it).
pub fn release_claim(conn: &mut PgConnection, target: Target) -> QueryResult<usize> {
    diesel::delete(
        report_claims::table
            .filter(report_claims::target_type.eq(target.target_type()))
            .filter(report_claims::target_id.eq(target.raw_id())),
    )
    .execute(conn)
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

/// Whether `actor` already has an entry of `action` on this target.
pub fn has_logged(
    conn: &mut PgConnection,
    actor: UserId,
    action: LogAction,
    (target_type, target_id): (LogTargetType, i64),
) -> QueryResult<bool> {
    use moderation_log::dsl as l;
    diesel::select(diesel::dsl::exists(
        l::moderation_log
            .filter(l::actor_id.eq(actor))
            .filter(l::action.eq(action))
            .filter(l::target_type.eq(target_type))
            .filter(l::target_id.eq(target_id)),
    ))
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

/// One log entry.
pub fn log_entry(
    conn: &mut PgConnection,
    id: ModerationLogId,
) -> QueryResult<Option<(LogRow, Option<String>)>> {
    moderation_log::table
        .left_join(users::table.on(users::id.nullable().eq(moderation_log::actor_id)))
        .filter(moderation_log::id.eq(id))
        .select((LogRow::as_select(), users::username.nullable()))
        .first(conn)
        .optional()
}

#[derive(QueryableByName)]
struct AuthorLevel {
    #[diesel(sql_type = diesel::sql_types::Text)]
    kind: TargetType,
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    trust_level: TrustLevel,
}

/// The trust level of whoever wrote each target (or is it, for a member), in one query.
pub fn author_levels(
    conn: &mut PgConnection,
    targets: &[(TargetType, i64)],
) -> QueryResult<Vec<((TargetType, i64), TrustLevel)>> {
    use diesel::sql_types::Array;
    let of = |kind: TargetType| -> Vec<i64> {
        targets
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, id)| *id)
            .collect()
    };
    let rows: Vec<AuthorLevel> = diesel::sql_query(
        "SELECT 'thread' AS kind, t.id, u.trust_level FROM threads t \
             JOIN users u ON u.id = t.author_id WHERE t.id = ANY($1) \
         UNION ALL SELECT 'reply', r.id, u.trust_level FROM replies r \
             JOIN users u ON u.id = r.author_id WHERE r.id = ANY($2) \
         UNION ALL SELECT 'meetup', m.id, u.trust_level FROM meetups m \
             JOIN users u ON u.id = m.organizer_id WHERE m.id = ANY($3) \
         UNION ALL SELECT 'user', u.id, u.trust_level FROM users u \
             WHERE u.id = ANY($4) AND u.deleted_at IS NULL",
    )
    .bind::<Array<BigInt>, _>(of(TargetType::Thread))
    .bind::<Array<BigInt>, _>(of(TargetType::Reply))
    .bind::<Array<BigInt>, _>(of(TargetType::Meetup))
    .bind::<Array<BigInt>, _>(of(TargetType::User))
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| ((row.kind, row.id), row.trust_level))
        .collect())
}

/// The member's open reports are dismissed (their account is being erased).
pub fn dismiss_reports_by(conn: &mut PgConnection, id: UserId) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE reports SET status = 'dismissed', handled_at = now(), \
             note = 'The reporter deleted their account.' \
         WHERE reporter_id = $1 AND status = 'open'",
    )
    .bind::<diesel::sql_types::BigInt, _>(id)
    .execute(conn)
    .map(drop)
}

#[derive(QueryableByName)]
struct LogReason {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    reason: String,
}

/// The log keeps every action; the member's id gives way to the reference, and their names
/// leave the reasons. The log's trigger allows exactly this, inside this transaction.
pub fn anonymise_log(
    conn: &mut PgConnection,
    member: &crate::accounts::User,
    reference: &str,
) -> QueryResult<()> {
    diesel::sql_query("SET LOCAL devforum.erasing = 'on'").execute(conn)?;
    diesel::sql_query(
        "UPDATE moderation_log SET actor_id = NULL, actor_ref = $2 WHERE actor_id = $1",
    )
    .bind::<diesel::sql_types::BigInt, _>(member.id)
    .bind::<diesel::sql_types::Text, _>(reference)
    .execute(conn)?;
    diesel::sql_query(
        "UPDATE moderation_log SET target_id = 0, target_ref = $2 \
         WHERE target_type = 'user' AND target_id = $1",
    )
    .bind::<diesel::sql_types::BigInt, _>(member.id)
    .bind::<diesel::sql_types::Text, _>(reference)
    .execute(conn)?;
    let mut patterns = vec![
        format!("%{}%", like_escaped(&member.username)),
        format!("%{}%", like_escaped(&member.email)),
    ];
    if let Some(display_name) = &member.display_name {
        patterns.push(format!("%{}%", like_escaped(display_name)));
    }
    let mentioning: Vec<LogReason> =
        diesel::sql_query("SELECT id, reason FROM moderation_log WHERE reason ILIKE ANY ($1)")
            .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(patterns)
            .load(conn)?;
    for entry in mentioning {
        diesel::sql_query("UPDATE moderation_log SET reason = $2 WHERE id = $1")
            .bind::<diesel::sql_types::BigInt, _>(entry.id)
            .bind::<diesel::sql_types::Text, _>(crate::accounts::service::erasure::scrubbed(
                &entry.reason,
                member,
            ))
            .execute(conn)?;
    }
    diesel::sql_query("SET LOCAL devforum.erasing = 'off'").execute(conn)?;
    Ok(())
}

fn like_escaped(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// An admin's erasure of an account, logged under the account's reference.
pub fn log_deletion(
    conn: &mut PgConnection,
    admin: &crate::accounts::User,
    reference: &str,
    reason: &str,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO moderation_log (actor_id, action, target_type, target_id, target_ref, reason) \
         VALUES ($1, $2, $3, 0, $4, $5)",
    )
    .bind::<diesel::sql_types::BigInt, _>(admin.id)
    .bind::<diesel::sql_types::Text, _>(LogAction::DeleteAccount.as_str())
    .bind::<diesel::sql_types::Text, _>(LogTargetType::User.as_str())
    .bind::<diesel::sql_types::Text, _>(reference)
    .bind::<diesel::sql_types::Text, _>(reason)
    .execute(conn)
    .map(drop)
}
