//! The rollup statements (days computed from the forum's tables in one statement per span)
//! and the reads of what they stored.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Integer, Nullable, Text, Timestamptz};

use super::domain::Interval;
use super::rules::{DayFigures, ANSWER_WINDOW_DAYS};

/// Computes and stores every day of `from..=to` (UTC), replacing what was there: a day
/// computed twice from the same data is the same row (but for `computed_at`). One pass over
/// each source table for the whole span, through its time index.
pub fn compute_days(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::sql_query(format!(
        "WITH span AS ( \
             SELECT $1::date AS first_day, $2::date AS last_day, \
                    ($1::date)::timestamp AT TIME ZONE 'UTC' AS lo, \
                    ($2::date + 1)::timestamp AT TIME ZONE 'UTC' AS hi \
         ), days AS ( \
             SELECT d::date AS day FROM span, generate_series(first_day, last_day, interval '1 day') d \
         ), signups AS ( \
             SELECT (u.created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n \
             FROM users u, span WHERE u.created_at >= lo AND u.created_at < hi GROUP BY 1 \
         ), active AS ( \
             SELECT m.day, count(*) AS n FROM member_days m, span \
             WHERE m.day BETWEEN first_day AND last_day GROUP BY 1 \
         ), started AS ( \
             SELECT (t.created_at AT TIME ZONE 'UTC')::date AS day, t.created_at, \
                    (SELECT min(r.created_at) FROM replies r \
                     WHERE r.thread_id = t.id AND r.deleted_at IS NULL AND NOT r.hidden \
                       AND r.author_id <> t.author_id \
                       AND r.created_at < t.created_at + interval '{window} days') AS answered_at, \
                    t.solved AND EXISTS ( \
                        SELECT 1 FROM thread_solutions s WHERE s.thread_id = t.id \
                          AND s.chosen_at < t.created_at + interval '{window} days') AS solved \
             FROM threads t, span \
             WHERE t.created_at >= lo AND t.created_at < hi \
               AND t.deleted_at IS NULL AND NOT t.hidden \
         ), threads_of AS ( \
             SELECT day, count(*) AS n, count(answered_at) AS answered, \
                    count(*) FILTER (WHERE solved) AS solved, \
                    coalesce(array_agg(extract(epoch FROM answered_at - created_at)::int \
                                       ORDER BY answered_at - created_at) \
                             FILTER (WHERE answered_at IS NOT NULL), '{{}}') AS seconds \
             FROM started GROUP BY day \
         ), replies_of AS ( \
             SELECT (r.created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n \
             FROM replies r, span \
             WHERE r.created_at >= lo AND r.created_at < hi \
               AND r.deleted_at IS NULL AND NOT r.hidden GROUP BY 1 \
         ), asked AS ( \
             SELECT (m.created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n \
             FROM mentorship_requests m, span \
             WHERE m.created_at >= lo AND m.created_at < hi GROUP BY 1 \
         ), answered AS ( \
             SELECT (m.answered_at AT TIME ZONE 'UTC')::date AS day, \
                    count(*) FILTER (WHERE m.status <> 'withdrawn') AS outcomes, \
                    count(*) FILTER (WHERE m.status IN ('accepted', 'completed')) AS accepted, \
                    coalesce(array_agg(extract(epoch FROM m.answered_at - m.created_at)::int \
                                       ORDER BY m.answered_at - m.created_at) \
                             FILTER (WHERE m.status IN ('accepted', 'completed', 'declined')), \
                             '{{}}') AS seconds \
             FROM mentorship_requests m, span \
             WHERE m.answered_at >= lo AND m.answered_at < hi GROUP BY 1 \
         ), rsvps AS ( \
             SELECT (r.created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n \
             FROM meetup_rsvps r, span \
             WHERE r.created_at >= lo AND r.created_at < hi GROUP BY 1 \
         ), held AS ( \
             SELECT (m.starts_at AT TIME ZONE 'UTC')::date AS day, \
                    sum(least(m.going_count, m.capacity)) AS going, sum(m.capacity) AS capacity \
             FROM meetups m, span \
             WHERE m.starts_at >= lo AND m.starts_at < hi AND m.capacity IS NOT NULL \
               AND m.status = 'scheduled' AND NOT m.hidden GROUP BY 1 \
         ), reported AS ( \
             SELECT (r.created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n \
             FROM reports r, span \
             WHERE r.created_at >= lo AND r.created_at < hi GROUP BY 1 \
         ), handled AS ( \
             SELECT (r.handled_at AT TIME ZONE 'UTC')::date AS day, \
                    array_agg(extract(epoch FROM r.handled_at - r.created_at)::int \
                              ORDER BY r.handled_at - r.created_at) AS seconds \
             FROM reports r, span \
             WHERE r.handled_at >= lo AND r.handled_at < hi AND r.status <> 'open' GROUP BY 1 \
         ), decided AS ( \
             SELECT (a.decided_at AT TIME ZONE 'UTC')::date AS day, \
                    count(*) AS n, count(*) FILTER (WHERE a.status = 'overturned') AS overturned \
             FROM appeals a, span \
             WHERE a.decided_at >= lo AND a.decided_at < hi AND a.status <> 'open' GROUP BY 1 \
         ) \
         INSERT INTO stats_days ( \
             day, computed_at, signups, active_members, threads, answered, solved, \
             first_reply_seconds, replies, mentorship_requests, mentorship_outcomes, \
             mentorship_accepted, mentorship_response_seconds, meetup_rsvps, meetup_going, \
             meetup_capacity, reports, report_resolution_seconds, appeals_decided, \
             appeals_overturned) \
         SELECT days.day, $3, coalesce(signups.n, 0), coalesce(active.n, 0), \
                coalesce(threads_of.n, 0), coalesce(threads_of.answered, 0), \
                coalesce(threads_of.solved, 0), coalesce(threads_of.seconds, '{{}}'), \
                coalesce(replies_of.n, 0), coalesce(asked.n, 0), \
                coalesce(answered.outcomes, 0), coalesce(answered.accepted, 0), \
                coalesce(answered.seconds, '{{}}'), coalesce(rsvps.n, 0), \
                coalesce(held.going, 0), coalesce(held.capacity, 0), coalesce(reported.n, 0), \
                coalesce(handled.seconds, '{{}}'), coalesce(decided.n, 0), \
                coalesce(decided.overturned, 0) \
         FROM days \
         LEFT JOIN signups USING (day) LEFT JOIN active USING (day) \
         LEFT JOIN threads_of USING (day) LEFT JOIN replies_of USING (day) \
         LEFT JOIN asked USING (day) LEFT JOIN answered USING (day) \
         LEFT JOIN rsvps USING (day) LEFT JOIN held USING (day) \
         LEFT JOIN reported USING (day) LEFT JOIN handled USING (day) \
         LEFT JOIN decided USING (day) \
         ON CONFLICT (day) DO UPDATE SET \
             computed_at = excluded.computed_at, signups = excluded.signups, \
             active_members = excluded.active_members, threads = excluded.threads, \
             answered = excluded.answered, solved = excluded.solved, \
             first_reply_seconds = excluded.first_reply_seconds, replies = excluded.replies, \
             mentorship_requests = excluded.mentorship_requests, \
             mentorship_outcomes = excluded.mentorship_outcomes, \
             mentorship_accepted = excluded.mentorship_accepted, \
             mentorship_response_seconds = excluded.mentorship_response_seconds, \
             meetup_rsvps = excluded.meetup_rsvps, meetup_going = excluded.meetup_going, \
             meetup_capacity = excluded.meetup_capacity, reports = excluded.reports, \
             report_resolution_seconds = excluded.report_resolution_seconds, \
             appeals_decided = excluded.appeals_decided, \
             appeals_overturned = excluded.appeals_overturned",
        window = ANSWER_WINDOW_DAYS
    ))
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .bind::<Timestamptz, _>(now)
    .execute(conn)
}

/// Computes and stores the distinct members seen in each week and month touching
/// `from..=to` (over the whole week or month).
pub fn compute_periods(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::sql_query(
        "WITH periods AS ( \
             SELECT 'week' AS period, p::date AS starts_on, (p + interval '1 week')::date AS ends \
             FROM generate_series(date_trunc('week', $1::date), date_trunc('week', $2::date), \
                                  interval '1 week') p \
             UNION ALL \
             SELECT 'month', p::date, (p + interval '1 month')::date \
             FROM generate_series(date_trunc('month', $1::date), date_trunc('month', $2::date), \
                                  interval '1 month') p \
         ) \
         INSERT INTO stats_periods (period, starts_on, active_members, computed_at) \
         SELECT period, starts_on, \
                (SELECT count(DISTINCT m.user_id) FROM member_days m \
                 WHERE m.day >= starts_on AND m.day < ends), $3 \
         FROM periods \
         ON CONFLICT (period, starts_on) DO UPDATE SET \
             active_members = excluded.active_members, computed_at = excluded.computed_at",
    )
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .bind::<Timestamptz, _>(now)
    .execute(conn)
}

/// A stored day.
#[derive(Debug, Clone, QueryableByName)]
pub struct DayRow {
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    #[diesel(sql_type = Timestamptz)]
    pub computed_at: DateTime<Utc>,
    #[diesel(sql_type = Integer)]
    pub signups: i32,
    #[diesel(sql_type = Integer)]
    pub active_members: i32,
    #[diesel(sql_type = Integer)]
    pub threads: i32,
    #[diesel(sql_type = Integer)]
    pub answered: i32,
    #[diesel(sql_type = Integer)]
    pub solved: i32,
    #[diesel(sql_type = Array<Integer>)]
    pub first_reply_seconds: Vec<i32>,
    #[diesel(sql_type = Integer)]
    pub replies: i32,
    #[diesel(sql_type = Integer)]
    pub mentorship_requests: i32,
    #[diesel(sql_type = Integer)]
    pub mentorship_outcomes: i32,
    #[diesel(sql_type = Integer)]
    pub mentorship_accepted: i32,
    #[diesel(sql_type = Array<Integer>)]
    pub mentorship_response_seconds: Vec<i32>,
    #[diesel(sql_type = Integer)]
    pub meetup_rsvps: i32,
    #[diesel(sql_type = Integer)]
    pub meetup_going: i32,
    #[diesel(sql_type = Integer)]
    pub meetup_capacity: i32,
    #[diesel(sql_type = Integer)]
    pub reports: i32,
    #[diesel(sql_type = Array<Integer>)]
    pub report_resolution_seconds: Vec<i32>,
    #[diesel(sql_type = Integer)]
    pub appeals_decided: i32,
    #[diesel(sql_type = Integer)]
    pub appeals_overturned: i32,
}

impl DayRow {
    pub fn figures(self) -> DayFigures {
        DayFigures {
            signups: self.signups.into(),
            active_members: self.active_members.into(),
            threads: self.threads.into(),
            answered: self.answered.into(),
            solved: self.solved.into(),
            first_reply_seconds: self.first_reply_seconds,
            replies: self.replies.into(),
            mentorship_requests: self.mentorship_requests.into(),
            mentorship_outcomes: self.mentorship_outcomes.into(),
            mentorship_accepted: self.mentorship_accepted.into(),
            mentorship_response_seconds: self.mentorship_response_seconds,
            meetup_rsvps: self.meetup_rsvps.into(),
            meetup_going: self.meetup_going.into(),
            meetup_capacity: self.meetup_capacity.into(),
            reports: self.reports.into(),
            report_resolution_seconds: self.report_resolution_seconds,
            appeals_decided: self.appeals_decided.into(),
            appeals_overturned: self.appeals_overturned.into(),
        }
    }
}

/// The stored days of `from..=to`, oldest first.
pub fn days(conn: &mut PgConnection, from: NaiveDate, to: NaiveDate) -> QueryResult<Vec<DayRow>> {
    diesel::sql_query("SELECT * FROM stats_days WHERE day BETWEEN $1 AND $2 ORDER BY day")
        .bind::<Date, _>(from)
        .bind::<Date, _>(to)
        .load(conn)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct PeriodRow {
    #[diesel(sql_type = Date)]
    pub starts_on: NaiveDate,
    #[diesel(sql_type = Integer)]
    pub active_members: i32,
}

/// The stored weeks or months starting within `from..=to`.
pub fn periods(
    conn: &mut PgConnection,
    interval: Interval,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<PeriodRow>> {
    diesel::sql_query(
        "SELECT starts_on, active_members FROM stats_periods \
         WHERE period = $1 AND starts_on BETWEEN $2 AND $3 ORDER BY starts_on",
    )
    .bind::<Text, _>(interval)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .load(conn)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Distinct members seen on any day of `from..=to`: one probe of `member_days` per member,
/// whatever the range's length.
pub fn members_seen(conn: &mut PgConnection, from: NaiveDate, to: NaiveDate) -> QueryResult<i64> {
    diesel::sql_query(
        "SELECT count(*) AS n FROM users u WHERE EXISTS ( \
             SELECT 1 FROM member_days m WHERE m.user_id = u.id AND m.day BETWEEN $1 AND $2)",
    )
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .get_result::<Count>(conn)
    .map(|count| count.n)
}

/// A backfill's progress.
#[derive(Debug, Clone, QueryableByName)]
pub struct BackfillRow {
    #[diesel(sql_type = Nullable<Date>)]
    pub done_through: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub finished_at: Option<DateTime<Utc>>,
}

/// Starts (or, with `restart`, starts over) the backfill from `since`; where it got to.
pub fn begin_backfill(
    conn: &mut PgConnection,
    since: NaiveDate,
    restart: bool,
    now: DateTime<Utc>,
) -> QueryResult<BackfillRow> {
    diesel::sql_query(
        "INSERT INTO stats_backfills (since, started_at) VALUES ($1, $2) \
         ON CONFLICT (since) DO UPDATE SET \
             done_through = CASE WHEN $3 THEN NULL ELSE stats_backfills.done_through END, \
             finished_at = CASE WHEN $3 THEN NULL ELSE stats_backfills.finished_at END, \
             started_at = CASE WHEN $3 THEN excluded.started_at ELSE stats_backfills.started_at END \
         RETURNING done_through, finished_at",
    )
    .bind::<Date, _>(since)
    .bind::<Timestamptz, _>(now)
    .bind::<diesel::sql_types::Bool, _>(restart)
    .get_result(conn)
}

/// Notes that the backfill from `since` is done through `day` (finished when `finished`).
pub fn advance_backfill(
    conn: &mut PgConnection,
    since: NaiveDate,
    day: NaiveDate,
    finished: Option<DateTime<Utc>>,
) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE stats_backfills SET done_through = $2, finished_at = $3 WHERE since = $1",
    )
    .bind::<Date, _>(since)
    .bind::<Date, _>(day)
    .bind::<Nullable<Timestamptz>, _>(finished)
    .execute(conn)
}
