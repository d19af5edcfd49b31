//! Rows of `mentor_profiles` and `mentorship_requests`, and the queries on them.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Timestamptz};

use super::domain::MentorProfileInput;
use super::lifecycle::Status;
use crate::ids::{MentorshipRequestId, UserId};
use crate::schema::{mentor_profiles, mentorship_requests, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mentor_profiles)]
pub struct MentorRow {
    pub user_id: UserId,
    pub headline: String,
    pub bio: String,
    pub bio_html: String,
    pub skills: Vec<String>,
    pub languages: Vec<String>,
    pub timezone: String,
    pub capacity: i32,
    pub accepting_requests: bool,
    pub active_mentees: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Paused until then ("away"); `None` or past: not away.
    pub away_until: Option<DateTime<Utc>>,
}

impl MentorRow {
    pub fn is_away_at(&self, now: DateTime<Utc>) -> bool {
        self.away_until.is_some_and(|until| until > now)
    }
}

/// What mentorship shows and needs of an account.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct PersonRow {
    pub id: UserId,
    pub username: String,
    pub display_name: Option<String>,
    pub email: String,
    pub suspended_at: Option<DateTime<Utc>>,
    pub suspended_until: Option<DateTime<Utc>>,
    pub avatar_url: Option<String>,
}

impl PersonRow {
    pub fn is_suspended_at(&self, now: DateTime<Utc>) -> bool {
        crate::accounts::model::is_suspended(self.suspended_at, self.suspended_until, now)
    }
}

/// Whether a mentor takes new requests now: willing, not full and not suspended. Used by the
/// directory's `accepting` filter; `rules::takes_requests` is the same rule in Rust.
const TAKES_REQUESTS_SQL: &str = "(mentor_profiles.accepting_requests \
     AND mentor_profiles.active_mentees < mentor_profiles.capacity \
     AND (mentor_profiles.away_until IS NULL OR mentor_profiles.away_until <= now()) \
     AND (users.suspended_at IS NULL OR coalesce(users.suspended_until <= now(), false)))";

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = mentor_profiles)]
struct ProfileValues<'a> {
    user_id: UserId,
    headline: &'a str,
    bio: &'a str,
    bio_html: &'a str,
    skills: &'a [String],
    languages: &'a [String],
    timezone: &'a str,
    capacity: i32,
    accepting_requests: bool,
    away_until: Option<DateTime<Utc>>,
}

/// Creates or replaces a mentor's profile; `active_mentees` and `created_at` are kept.
pub fn upsert_profile(
    conn: &mut PgConnection,
    user_id: UserId,
    input: &MentorProfileInput,
) -> QueryResult<MentorRow> {
    let values = ProfileValues {
        user_id,
        headline: &input.headline,
        bio: &input.bio,
        bio_html: &input.bio_html,
        skills: &input.skills,
        languages: &input.languages,
        timezone: &input.timezone,
        capacity: input.capacity,
        accepting_requests: input.accepting_requests,
        away_until: input.away_until,
    };
    diesel::insert_into(mentor_profiles::table)
        .values(&values)
        .on_conflict(mentor_profiles::user_id)
        .do_update()
        .set((&values, mentor_profiles::updated_at.eq(diesel::dsl::now)))
        .returning(MentorRow::as_returning())
        .get_result(conn)
}

pub fn find_mentor_by_username(
    conn: &mut PgConnection,
    username: &str,
) -> QueryResult<Option<(MentorRow, PersonRow)>> {
    if !crate::accounts::model::storable(username) {
        return Ok(None);
    }
    mentor_profiles::table
        .inner_join(users::table)
        .filter(crate::sql::lower(users::username).eq(username.to_lowercase()))
        .select((MentorRow::as_select(), PersonRow::as_select()))
        .first(conn)
        .optional()
}

pub fn find_mentor(
    conn: &mut PgConnection,
    user_id: UserId,
) -> QueryResult<Option<(MentorRow, PersonRow)>> {
    mentor_profiles::table
        .inner_join(users::table)
        .filter(mentor_profiles::user_id.eq(user_id))
        .select((MentorRow::as_select(), PersonRow::as_select()))
        .first(conn)
        .optional()
}

/// Locks a mentor's profile for the rest of the transaction: every change of a request's
/// state takes this lock first, then the request's, so accepts against one capacity queue up
/// and the order of locks is the same on every path.
pub fn lock_profile(conn: &mut PgConnection, user_id: UserId) -> QueryResult<Option<MentorRow>> {
    mentor_profiles::table
        .filter(mentor_profiles::user_id.eq(user_id))
        .select(MentorRow::as_select())
        .for_no_key_update()
        .first(conn)
        .optional()
}

pub struct DirectoryFilter {
    pub skill: Option<String>,
    pub language: Option<String>,
    pub accepting: Option<bool>,
    /// (created_at, user_id) of the last mentor served.
    pub after: Option<(DateTime<Utc>, UserId)>,
    pub limit: i64,
}

/// One page of the directory, newest profiles first, plus one row to tell whether more exist.
pub fn list_mentors(
    conn: &mut PgConnection,
    filter: &DirectoryFilter,
) -> QueryResult<Vec<(MentorRow, PersonRow)>> {
    let mut query = mentor_profiles::table
        .inner_join(users::table)
        .select((MentorRow::as_select(), PersonRow::as_select()))
        .order((
            mentor_profiles::created_at.desc(),
            mentor_profiles::user_id.desc(),
        ))
        .limit(filter.limit + 1)
        .into_boxed();
    if let Some(skill) = &filter.skill {
        query = query.filter(mentor_profiles::skills.contains(vec![skill.clone()]));
    }
    if let Some(language) = &filter.language {
        query = query.filter(mentor_profiles::languages.contains(vec![language.clone()]));
    }
    match filter.accepting {
        Some(true) => query = query.filter(sql::<Bool>(TAKES_REQUESTS_SQL)),
        Some(false) => query = query.filter(sql::<Bool>(&format!("NOT {TAKES_REQUESTS_SQL}"))),
        None => {}
    }
    if let Some((created_at, user_id)) = filter.after {
        query = query.filter(
            sql::<Bool>("(mentor_profiles.created_at, mentor_profiles.user_id) < (")
                .bind::<Timestamptz, _>(created_at)
                .sql(", ")
                .bind::<BigInt, _>(user_id)
                .sql(")"),
        );
    }
    query.load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mentorship_requests)]
pub struct RequestRow {
    pub id: MentorshipRequestId,
    pub mentee_id: UserId,
    pub mentor_id: UserId,
    pub message: String,
    pub goals: String,
    pub status: Status,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    /// The pair's conversation, once the request was accepted.
    pub conversation_id: Option<crate::ids::ConversationId>,
}

impl RequestRow {
    pub fn status(&self) -> Status {
        self.status
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = mentorship_requests)]
pub struct NewRequest<'a> {
    pub mentee_id: UserId,
    pub mentor_id: UserId,
    pub message: &'a str,
    pub goals: &'a str,
}

pub fn insert_request(conn: &mut PgConnection, new: &NewRequest<'_>) -> QueryResult<RequestRow> {
    diesel::insert_into(mentorship_requests::table)
        .values(new)
        .returning(RequestRow::as_returning())
        .get_result(conn)
}

/// The open (pending or accepted) request of a pair, if any.
pub fn open_request_of_pair(
    conn: &mut PgConnection,
    mentee_id: UserId,
    mentor_id: UserId,
) -> QueryResult<Option<MentorshipRequestId>> {
    mentorship_requests::table
        .filter(mentorship_requests::mentee_id.eq(mentee_id))
        .filter(mentorship_requests::mentor_id.eq(mentor_id))
        .filter(mentorship_requests::status.eq_any([Status::Pending, Status::Accepted]))
        .select(mentorship_requests::id)
        .first(conn)
        .optional()
}

pub fn find_request(
    conn: &mut PgConnection,
    id: MentorshipRequestId,
) -> QueryResult<Option<RequestRow>> {
    mentorship_requests::table
        .find(id)
        .select(RequestRow::as_select())
        .first(conn)
        .optional()
}

pub fn lock_request(
    conn: &mut PgConnection,
    id: MentorshipRequestId,
) -> QueryResult<Option<RequestRow>> {
    mentorship_requests::table
        .find(id)
        .select(RequestRow::as_select())
        .for_update()
        .first(conn)
        .optional()
}

#[derive(AsChangeset)]
#[diesel(table_name = mentorship_requests)]
struct TransitionChanges<'a> {
    status: Status,
    updated_at: DateTime<Utc>,
    // `None` leaves a column as it is.
    reason: Option<&'a str>,
    answered_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
}

/// Records a transition; the trigger keeps the mentor's `active_mentees` in step.
pub fn set_status(
    conn: &mut PgConnection,
    id: MentorshipRequestId,
    from: Status,
    to: Status,
    reason: Option<&str>,
) -> QueryResult<RequestRow> {
    let now = Utc::now();
    diesel::update(mentorship_requests::table.find(id))
        .set(TransitionChanges {
            status: to,
            updated_at: now,
            reason,
            answered_at: (from == Status::Pending).then_some(now),
            completed_at: (to == Status::Completed).then_some(now),
        })
        .returning(RequestRow::as_returning())
        .get_result(conn)
}

/// Records the conversation an accepted request opened.
pub fn set_conversation(
    conn: &mut PgConnection,
    id: MentorshipRequestId,
    conversation: crate::ids::ConversationId,
) -> QueryResult<()> {
    diesel::update(mentorship_requests::table.find(id))
        .set(mentorship_requests::conversation_id.eq(Some(conversation)))
        .execute(conn)
        .map(drop)
}

/// Which of the caller's requests to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RequestRole {
    /// Requests the caller received as a mentor.
    Mentor,
    /// Requests the caller sent.
    Mentee,
}

pub struct RequestFilter {
    pub user_id: UserId,
    pub role: Option<RequestRole>,
    pub status: Option<Status>,
    /// (created_at, id) of the last request served.
    pub after: Option<(DateTime<Utc>, MentorshipRequestId)>,
    pub limit: i64,
}

/// One page of the caller's requests, newest first, plus one row to tell whether more exist.
pub fn list_requests(
    conn: &mut PgConnection,
    filter: &RequestFilter,
) -> QueryResult<Vec<RequestRow>> {
    let mut query = mentorship_requests::table
        .select(RequestRow::as_select())
        .order((
            mentorship_requests::created_at.desc(),
            mentorship_requests::id.desc(),
        ))
        .limit(filter.limit + 1)
        .into_boxed();
    query = match filter.role {
        Some(RequestRole::Mentor) => {
            query.filter(mentorship_requests::mentor_id.eq(filter.user_id))
        }
        Some(RequestRole::Mentee) => {
            query.filter(mentorship_requests::mentee_id.eq(filter.user_id))
        }
        None => query.filter(
            mentorship_requests::mentor_id
                .eq(filter.user_id)
                .or(mentorship_requests::mentee_id.eq(filter.user_id)),
        ),
    };
    if let Some(status) = filter.status {
        query = query.filter(mentorship_requests::status.eq(status));
    }
    if let Some((created_at, id)) = filter.after {
        query = query.filter(
            sql::<Bool>("(mentorship_requests.created_at, mentorship_requests.id) < (")
                .bind::<Timestamptz, _>(created_at)
                .sql(", ")
                .bind::<BigInt, _>(id)
                .sql(")"),
        );
    }
    query.load(conn)
}

/// The accounts taking part in these requests, for their views and emails.
pub fn people(conn: &mut PgConnection, ids: &[UserId]) -> QueryResult<Vec<PersonRow>> {
    users::table
        .filter(users::id.eq_any(ids))
        .select(PersonRow::as_select())
        .load(conn)
}

/// A request still open, as an erasure settles it.
#[derive(QueryableByName)]
pub struct OpenRequest {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub mentor_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub status: String,
}

/// The member's pending and accepted requests, either side, oldest first.
pub fn open_requests_of(conn: &mut PgConnection, member: UserId) -> QueryResult<Vec<OpenRequest>> {
    diesel::sql_query(
        "SELECT id, mentor_id, status FROM mentorship_requests \
         WHERE (mentee_id = $1 OR mentor_id = $1) AND status IN ('pending', 'accepted') \
         ORDER BY id",
    )
    .bind::<BigInt, _>(member)
    .load(conn)
}

/// Deletes the member's mentor profile; whether there was one.
pub fn delete_profile(conn: &mut PgConnection, member: UserId) -> QueryResult<bool> {
    diesel::sql_query("DELETE FROM mentor_profiles WHERE user_id = $1")
        .bind::<BigInt, _>(member)
        .execute(conn)
        .map(|deleted| deleted > 0)
}

#[derive(QueryableByName)]
pub struct DueReminder {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub mentor_email: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub mentor_username: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub mail_choice: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub mentee_username: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub mentee_display_name: Option<String>,
}

/// Marks every pending request due for its reminder (older than `reminder_after`, not yet
/// past `ttl`) as reminded at `now`; each with its mentor's address and mail choice.
pub fn mark_due_reminders(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    reminder_after: chrono::Duration,
    ttl: chrono::Duration,
) -> QueryResult<Vec<DueReminder>> {
    diesel::sql_query(
        "WITH due AS ( \
             UPDATE mentorship_requests SET reminded_at = $1 \
             WHERE status = 'pending' AND reminded_at IS NULL \
               AND created_at <= $1 - $2 AND created_at > $1 - $3 \
             RETURNING id, mentor_id, mentee_id) \
         SELECT due.id, mentor.email AS mentor_email, mentor.username AS mentor_username, \
                mentor.email_notifications AS mail_choice, \
                mentee.username AS mentee_username, mentee.display_name AS mentee_display_name \
         FROM due JOIN users mentor ON mentor.id = due.mentor_id \
                  JOIN users mentee ON mentee.id = due.mentee_id \
         ORDER BY due.id",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .bind::<diesel::sql_types::Interval, _>(reminder_after)
    .bind::<diesel::sql_types::Interval, _>(ttl)
    .load(conn)
}

#[derive(QueryableByName)]
pub struct Overdue {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub mentor_id: i64,
}

/// Up to `limit` pending requests older than `ttl`, oldest first.
pub fn overdue_requests(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    ttl: chrono::Duration,
    limit: i64,
) -> QueryResult<Vec<Overdue>> {
    diesel::sql_query(
        "SELECT id, mentor_id FROM mentorship_requests \
         WHERE status = 'pending' AND created_at <= $1 - $2 \
         ORDER BY created_at, id LIMIT $3",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .bind::<diesel::sql_types::Interval, _>(ttl)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(conn)
}

#[derive(QueryableByName)]
pub struct CheckInDue {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub mentor_id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub mentee_id: i64,
}

/// Marks every mentorship accepted `after` ago and not asked yet as asked at `now`; which.
pub fn mark_check_ins_due(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    after: chrono::Duration,
) -> QueryResult<Vec<CheckInDue>> {
    diesel::sql_query(
        "UPDATE mentorship_requests SET check_in_sent_at = $1 \
         WHERE status = 'accepted' AND check_in_sent_at IS NULL AND answered_at <= $1 - $2 \
         RETURNING id, mentor_id, mentee_id",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .bind::<diesel::sql_types::Interval, _>(after)
    .load(conn)
}

#[derive(QueryableByName)]
pub struct CheckInPerson {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub username: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub email: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub mail_choice: String,
}

/// Both sides of a mentorship, with their addresses and mail choices.
pub fn check_in_people(
    conn: &mut PgConnection,
    mentor: i64,
    mentee: i64,
) -> QueryResult<Vec<CheckInPerson>> {
    diesel::sql_query(
        "SELECT id, username, email, email_notifications AS mail_choice FROM users \
         WHERE id IN ($1, $2)",
    )
    .bind::<diesel::sql_types::BigInt, _>(mentor)
    .bind::<diesel::sql_types::BigInt, _>(mentee)
    .load(conn)
}

#[derive(QueryableByName)]
pub struct CheckInAnswers {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub status: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub both_done: bool,
}

/// Records one side's check-in answer (`done_at` set when it is done): the request's status
/// and whether both sides are done, or `None` when the link names no mentorship of theirs that
/// was asked.
pub fn record_check_in_answer(
    conn: &mut PgConnection,
    request: MentorshipRequestId,
    member: UserId,
    done_at: Option<DateTime<Utc>>,
) -> QueryResult<Option<CheckInAnswers>> {
    diesel::sql_query(
        "UPDATE mentorship_requests SET \
             mentor_done_at = CASE WHEN mentor_id = $2 THEN $3 ELSE mentor_done_at END, \
             mentee_done_at = CASE WHEN mentee_id = $2 THEN $3 ELSE mentee_done_at END \
         WHERE id = $1 AND (mentor_id = $2 OR mentee_id = $2) AND check_in_sent_at IS NOT NULL \
         RETURNING status, \
             (mentor_done_at IS NOT NULL AND mentee_done_at IS NOT NULL) AS both_done",
    )
    .bind::<diesel::sql_types::BigInt, _>(request)
    .bind::<diesel::sql_types::BigInt, _>(member)
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>, _>(done_at)
    .get_result(conn)
    .optional()
}
