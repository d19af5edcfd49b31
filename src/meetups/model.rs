//! Rows of `meetups` and `meetup_rsvps`, and the queries on them.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Timestamptz};

use super::domain::{MeetupInput, Venue};
use super::domain::{MeetupStatus, RsvpStatus};
use crate::ids::{MeetupId, RsvpId, SeriesId, UserId};
use crate::schema::{meetup_rsvps, meetups, users};
use crate::visibility::{self, Audience, Flags};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = meetups)]
pub struct MeetupRow {
    pub id: MeetupId,
    pub organizer_id: UserId,
    pub title: String,
    pub description: String,
    pub description_html: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub timezone: String,
    pub venue_name: Option<String>,
    pub venue_address: Option<String>,
    pub venue_city: Option<String>,
    pub venue_country: Option<String>,
    pub online_url: Option<String>,
    pub capacity: Option<i32>,
    pub tags: Vec<String>,
    pub going_count: i32,
    pub waitlist_count: i32,
    pub status: MeetupStatus,
    pub sequence: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub hidden: bool,
    /// The series it is an occurrence of, and its place in it (0 is the first).
    pub series_id: Option<SeriesId>,
    pub occurrence: Option<i32>,
}

impl MeetupRow {
    pub fn is_cancelled(&self) -> bool {
        self.status == MeetupStatus::Cancelled
    }

    /// Meetups are cancelled, never deleted; hidden ones are staff's business only.
    pub fn flags(&self) -> Flags {
        Flags::new(self.hidden, false)
    }

    pub fn is_visible_to(&self, viewer: Option<&crate::accounts::User>) -> bool {
        visibility::can_see(viewer, self.flags())
    }

    pub fn venue(&self) -> Option<Venue> {
        Some(Venue {
            name: self.venue_name.clone()?,
            address: self.venue_address.clone()?,
            city: self.venue_city.clone()?,
            country: self.venue_country.clone()?,
        })
    }

    /// The meetup's fields as input, so a change can be checked against the whole.
    pub fn as_input(&self) -> MeetupInput {
        MeetupInput {
            title: self.title.clone(),
            description: self.description.clone(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            timezone: self.timezone.clone(),
            venue: self.venue(),
            online_url: self.online_url.clone(),
            capacity: self.capacity,
            tags: self.tags.clone(),
        }
    }
}

/// What meetups show of a member.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct MemberRow {
    pub id: UserId,
    pub username: String,
    pub display_name: Option<String>,
    pub email: String,
    pub avatar_url: Option<String>,
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = meetups, treat_none_as_null = true)]
struct MeetupValues<'a> {
    title: &'a str,
    description: &'a str,
    description_html: &'a str,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    timezone: &'a str,
    venue_name: Option<&'a str>,
    venue_address: Option<&'a str>,
    venue_city: Option<&'a str>,
    venue_country: Option<&'a str>,
    online_url: Option<&'a str>,
    capacity: Option<i32>,
    tags: &'a [String],
}

impl<'a> MeetupValues<'a> {
    fn of(input: &'a MeetupInput, description_html: &'a str) -> Self {
        let venue = input.venue.as_ref();
        MeetupValues {
            title: &input.title,
            description: &input.description,
            description_html,
            starts_at: input.starts_at,
            ends_at: input.ends_at,
            timezone: &input.timezone,
            venue_name: venue.map(|v| v.name.as_str()),
            venue_address: venue.map(|v| v.address.as_str()),
            venue_city: venue.map(|v| v.city.as_str()),
            venue_country: venue.map(|v| v.country.as_str()),
            online_url: input.online_url.as_deref(),
            capacity: input.capacity,
            tags: &input.tags,
        }
    }
}

pub fn insert(
    conn: &mut PgConnection,
    organizer_id: UserId,
    input: &MeetupInput,
) -> QueryResult<MeetupRow> {
    let html = input.description_html();
    diesel::insert_into(meetups::table)
        .values((
            meetups::organizer_id.eq(organizer_id),
            MeetupValues::of(input, &html),
        ))
        .returning(MeetupRow::as_returning())
        .get_result(conn)
}

/// Replaces the meetup's fields and bumps its calendar `SEQUENCE`.
pub fn update(
    conn: &mut PgConnection,
    id: MeetupId,
    input: &MeetupInput,
) -> QueryResult<MeetupRow> {
    let html = input.description_html();
    diesel::update(meetups::table.find(id))
        .set((
            MeetupValues::of(input, &html),
            meetups::sequence.eq(meetups::sequence + 1),
            meetups::updated_at.eq(diesel::dsl::now),
        ))
        .returning(MeetupRow::as_returning())
        .get_result(conn)
}

pub fn cancel(conn: &mut PgConnection, id: MeetupId) -> QueryResult<MeetupRow> {
    diesel::update(meetups::table.find(id))
        .set((
            meetups::status.eq(MeetupStatus::Cancelled),
            meetups::cancelled_at.eq(diesel::dsl::now),
            meetups::sequence.eq(meetups::sequence + 1),
            meetups::updated_at.eq(diesel::dsl::now),
        ))
        .returning(MeetupRow::as_returning())
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: MeetupId) -> QueryResult<Option<(MeetupRow, MemberRow)>> {
    meetups::table
        .inner_join(users::table)
        .filter(meetups::id.eq(id))
        .select((MeetupRow::as_select(), MemberRow::as_select()))
        .first(conn)
        .optional()
}

/// Locks the meetup for the rest of the transaction: every RSVP, cancellation and edit of
/// one meetup takes this lock first, so seats are counted one change at a time.
pub fn lock(conn: &mut PgConnection, id: MeetupId) -> QueryResult<Option<MeetupRow>> {
    meetups::table
        .find(id)
        .select(MeetupRow::as_select())
        .for_no_key_update()
        .first(conn)
        .optional()
}

pub struct MeetupFilter {
    /// Only meetups starting at or after this; by default, those not yet over.
    pub from: Option<DateTime<Utc>>,
    /// Only meetups starting before this.
    pub to: Option<DateTime<Utc>>,
    pub tag: Option<String>,
    pub city: Option<String>,
    /// `true`: with an online URL; `false`: in person only.
    pub online: Option<bool>,
    pub include_cancelled: bool,
    /// Staff listings include hidden meetups.
    pub audience: Audience,
    /// (starts_at, id) of the last meetup served.
    pub after: Option<(DateTime<Utc>, MeetupId)>,
    pub limit: i64,
}

/// One page of meetups, soonest first, plus one row to tell whether more exist.
pub fn list(
    conn: &mut PgConnection,
    filter: &MeetupFilter,
) -> QueryResult<Vec<(MeetupRow, MemberRow)>> {
    let mut query = meetups::table
        .inner_join(users::table)
        .select((MeetupRow::as_select(), MemberRow::as_select()))
        .order((meetups::starts_at.asc(), meetups::id.asc()))
        .limit(filter.limit + 1)
        .into_boxed();
    query = match filter.from {
        Some(from) => query.filter(meetups::starts_at.ge(from)),
        None => query.filter(meetups::ends_at.gt(diesel::dsl::now)),
    };
    if let Some(to) = filter.to {
        query = query.filter(meetups::starts_at.lt(to));
    }
    if let Some(tag) = &filter.tag {
        query = query.filter(meetups::tags.contains(vec![tag.clone()]));
    }
    if let Some(city) = &filter.city {
        query = query.filter(
            crate::sql::lower(meetups::venue_city.assume_not_null()).eq(city.to_lowercase()),
        );
    }
    match filter.online {
        Some(true) => query = query.filter(meetups::online_url.is_not_null()),
        Some(false) => query = query.filter(meetups::online_url.is_null()),
        None => {}
    }
    if !filter.include_cancelled {
        query = query.filter(meetups::status.eq(MeetupStatus::Scheduled));
    }
    if !filter.audience.sees_hidden() {
        query = query.filter(visibility::public_meetups());
    }
    if let Some((starts_at, id)) = filter.after {
        query = query.filter(
            sql::<Bool>("(meetups.starts_at, meetups.id) > (")
                .bind::<Timestamptz, _>(starts_at)
                .sql(", ")
                .bind::<BigInt, _>(id)
                .sql(")"),
        );
    }
    query.load(conn)
}

/// Meetups a calendar feed carries: upcoming ones, cancelled included (so subscribed
/// calendars learn of the cancellation), soonest first.
pub fn upcoming_for_calendar(
    conn: &mut PgConnection,
    limit: i64,
) -> QueryResult<Vec<(MeetupRow, MemberRow)>> {
    meetups::table
        .inner_join(users::table)
        .filter(meetups::ends_at.gt(diesel::dsl::now))
        .filter(visibility::public_meetups())
        .select((MeetupRow::as_select(), MemberRow::as_select()))
        .order((meetups::starts_at.asc(), meetups::id.asc()))
        .limit(limit)
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = meetup_rsvps)]
pub struct RsvpRow {
    pub id: RsvpId,
    pub meetup_id: MeetupId,
    pub user_id: UserId,
    pub status: RsvpStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn find_rsvp(
    conn: &mut PgConnection,
    meetup_id: MeetupId,
    user_id: UserId,
) -> QueryResult<Option<RsvpRow>> {
    meetup_rsvps::table
        .filter(meetup_rsvps::meetup_id.eq(meetup_id))
        .filter(meetup_rsvps::user_id.eq(user_id))
        .select(RsvpRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert_rsvp(
    conn: &mut PgConnection,
    meetup_id: MeetupId,
    user_id: UserId,
    status: RsvpStatus,
) -> QueryResult<RsvpRow> {
    diesel::insert_into(meetup_rsvps::table)
        .values((
            meetup_rsvps::meetup_id.eq(meetup_id),
            meetup_rsvps::user_id.eq(user_id),
            meetup_rsvps::status.eq(status),
        ))
        .returning(RsvpRow::as_returning())
        .get_result(conn)
}

pub fn delete_rsvp(conn: &mut PgConnection, id: RsvpId) -> QueryResult<()> {
    diesel::delete(meetup_rsvps::table.find(id)).execute(conn)?;
    Ok(())
}

/// Gives seats to the first `seats` waitlisted members, in arrival order; returns who moved up.
pub fn promote_waitlisted(
    conn: &mut PgConnection,
    meetup_id: MeetupId,
    seats: i64,
) -> QueryResult<Vec<UserId>> {
    if seats <= 0 {
        return Ok(Vec::new());
    }
    let first: Vec<RsvpId> = meetup_rsvps::table
        .filter(meetup_rsvps::meetup_id.eq(meetup_id))
        .filter(meetup_rsvps::status.eq(RsvpStatus::Waitlisted))
        .order(meetup_rsvps::id.asc())
        .limit(seats)
        .select(meetup_rsvps::id)
        .load(conn)?;
    if first.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(meetup_rsvps::table.filter(meetup_rsvps::id.eq_any(&first)))
        .set((
            meetup_rsvps::status.eq(RsvpStatus::Going),
            meetup_rsvps::updated_at.eq(diesel::dsl::now),
        ))
        .returning(meetup_rsvps::user_id)
        .get_results(conn)
}

/// Everyone going or waitlisted, in arrival order, with their status.
pub fn attendees(
    conn: &mut PgConnection,
    meetup_id: MeetupId,
) -> QueryResult<Vec<(RsvpRow, MemberRow)>> {
    meetup_rsvps::table
        .inner_join(users::table)
        .filter(meetup_rsvps::meetup_id.eq(meetup_id))
        .order(meetup_rsvps::id.asc())
        .select((RsvpRow::as_select(), MemberRow::as_select()))
        .load(conn)
}

pub fn members(conn: &mut PgConnection, ids: &[UserId]) -> QueryResult<Vec<MemberRow>> {
    users::table
        .filter(users::id.eq_any(ids))
        .select(MemberRow::as_select())
        .load(conn)
}

/// 1 for the first waitlisted RSVP of the meetup, and so on.
pub fn waitlist_position(
    conn: &mut PgConnection,
    meetup_id: MeetupId,
    rsvp_id: RsvpId,
) -> QueryResult<i64> {
    meetup_rsvps::table
        .filter(meetup_rsvps::meetup_id.eq(meetup_id))
        .filter(meetup_rsvps::status.eq(RsvpStatus::Waitlisted))
        .filter(meetup_rsvps::id.le(rsvp_id))
        .count()
        .get_result(conn)
}

/// Everyone going or waitlisted: who hears of a change or a cancellation.
pub fn attendee_members(
    conn: &mut PgConnection,
    meetup_id: MeetupId,
) -> QueryResult<Vec<MemberRow>> {
    meetup_rsvps::table
        .inner_join(users::table)
        .filter(meetup_rsvps::meetup_id.eq(meetup_id))
        .order(meetup_rsvps::id.asc())
        .select(MemberRow::as_select())
        .load(conn)
}

pub fn set_hidden(conn: &mut PgConnection, id: MeetupId, hidden: bool) -> QueryResult<()> {
    diesel::update(meetups::table.find(id))
        .set(meetups::hidden.eq(hidden))
        .execute(conn)?;
    Ok(())
}

// Personal calendar feeds: one secret token per member, stored hashed.

/// Gives the member a feed with this token's hash, replacing any earlier one.
pub fn replace_feed(conn: &mut PgConnection, user_id: UserId, token_hash: &str) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO calendar_feeds (user_id, token_hash) VALUES ($1, $2) \
         ON CONFLICT (user_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = now()",
    )
    .bind::<BigInt, _>(user_id)
    .bind::<diesel::sql_types::Text, _>(token_hash)
    .execute(conn)
    .map(drop)
}

pub fn delete_feed(conn: &mut PgConnection, user_id: UserId) -> QueryResult<usize> {
    diesel::sql_query("DELETE FROM calendar_feeds WHERE user_id = $1")
        .bind::<BigInt, _>(user_id)
        .execute(conn)
}

#[derive(QueryableByName)]
struct FeedOwner {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
}

/// The member whose feed token hashes to `token_hash`.
pub fn feed_owner(conn: &mut PgConnection, token_hash: &str) -> QueryResult<Option<UserId>> {
    let owner: Option<FeedOwner> =
        diesel::sql_query("SELECT user_id FROM calendar_feeds WHERE token_hash = $1")
            .bind::<diesel::sql_types::Text, _>(token_hash)
            .get_result(conn)
            .optional()?;
    Ok(owner.map(|owner| UserId(owner.user_id)))
}

/// What a member's own calendar holds: the meetups they organise or are going to (cancelled
/// ones too, so calendars drop them), from a month back on, at most `limit`; hidden ones not.
pub fn personal_calendar(
    conn: &mut PgConnection,
    user_id: UserId,
    limit: i64,
) -> QueryResult<Vec<MeetupRow>> {
    let going = meetup_rsvps::table
        .filter(meetup_rsvps::user_id.eq(user_id))
        .filter(meetup_rsvps::status.eq(RsvpStatus::Going))
        .select(meetup_rsvps::meetup_id);
    meetups::table
        .filter(
            meetups::organizer_id
                .eq(user_id)
                .or(meetups::id.eq_any(going)),
        )
        .filter(meetups::ends_at.gt(Utc::now() - chrono::Duration::days(30)))
        .filter(visibility::public_meetups())
        .select(MeetupRow::as_select())
        .order((meetups::starts_at.asc(), meetups::id.asc()))
        .limit(limit)
        .load(conn)
}

/// A member's accepted mentorships: (request id, when it was accepted, the other side).
pub fn accepted_mentorships(
    conn: &mut PgConnection,
    user_id: UserId,
) -> QueryResult<Vec<(i64, DateTime<Utc>, String)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Timestamptz)]
        answered_at: DateTime<Utc>,
        #[diesel(sql_type = diesel::sql_types::Text)]
        other: String,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT r.id, r.answered_at, other.username AS other FROM mentorship_requests r \
         JOIN users other ON other.id = CASE WHEN r.mentee_id = $1 THEN r.mentor_id ELSE r.mentee_id END \
         WHERE r.status = 'accepted' AND r.answered_at IS NOT NULL \
           AND (r.mentee_id = $1 OR r.mentor_id = $1) ORDER BY r.id",
    )
    .bind::<BigInt, _>(user_id)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.answered_at, r.other))
        .collect())
}

// Series of recurring meetups.

#[derive(Debug, QueryableByName)]
pub struct SeriesRow {
    #[diesel(sql_type = BigInt)]
    pub id: SeriesId,
    #[diesel(sql_type = BigInt)]
    pub organizer_id: i64,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    pub rule: serde_json::Value,
    #[diesel(sql_type = BigInt)]
    pub duration_secs: i64,
}

pub fn insert_series(
    conn: &mut PgConnection,
    organizer_id: UserId,
    rule: &serde_json::Value,
    duration_secs: i64,
) -> QueryResult<SeriesId> {
    diesel::sql_query(
        "INSERT INTO meetup_series (organizer_id, rule, duration_secs) VALUES ($1, $2, $3) \
         RETURNING id AS n",
    )
    .bind::<BigInt, _>(organizer_id)
    .bind::<diesel::sql_types::Jsonb, _>(rule)
    .bind::<BigInt, _>(duration_secs)
    .get_result::<crate::db::Count>(conn)
    .map(|row| SeriesId(row.n))
}

/// A series, locked for the rest of the transaction (extending or editing it one at a time).
pub fn lock_series(conn: &mut PgConnection, id: SeriesId) -> QueryResult<Option<SeriesRow>> {
    diesel::sql_query(
        "SELECT id, organizer_id, rule, duration_secs FROM meetup_series WHERE id = $1 FOR UPDATE",
    )
    .bind::<BigInt, _>(id)
    .get_result(conn)
    .optional()
}

/// Series still making occurrences.
pub fn open_series_ids(conn: &mut PgConnection) -> QueryResult<Vec<SeriesId>> {
    Ok(
        diesel::sql_query("SELECT id AS n FROM meetup_series WHERE ended_at IS NULL ORDER BY id")
            .load::<crate::db::Count>(conn)?
            .into_iter()
            .map(|row| SeriesId(row.n))
            .collect(),
    )
}

pub fn set_series_rule(
    conn: &mut PgConnection,
    id: SeriesId,
    rule: &serde_json::Value,
    duration_secs: i64,
) -> QueryResult<()> {
    diesel::sql_query("UPDATE meetup_series SET rule = $2, duration_secs = $3 WHERE id = $1")
        .bind::<BigInt, _>(id)
        .bind::<diesel::sql_types::Jsonb, _>(rule)
        .bind::<BigInt, _>(duration_secs)
        .execute(conn)
        .map(drop)
}

pub fn end_series(conn: &mut PgConnection, id: SeriesId) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE meetup_series SET ended_at = now() WHERE id = $1 AND ended_at IS NULL",
    )
    .bind::<BigInt, _>(id)
    .execute(conn)
    .map(drop)
}

/// Places a new meetup in its series; `None` if that place is taken already.
pub fn insert_occurrence(
    conn: &mut PgConnection,
    organizer_id: UserId,
    input: &MeetupInput,
    series_id: SeriesId,
    occurrence: i32,
) -> QueryResult<Option<MeetupRow>> {
    let taken: i64 = meetups::table
        .filter(meetups::series_id.eq(series_id))
        .filter(meetups::occurrence.eq(occurrence))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Ok(None);
    }
    let html = input.description_html();
    diesel::insert_into(meetups::table)
        .values((
            meetups::organizer_id.eq(organizer_id),
            MeetupValues::of(input, &html),
            meetups::series_id.eq(series_id),
            meetups::occurrence.eq(occurrence),
        ))
        .returning(MeetupRow::as_returning())
        .get_result(conn)
        .map(Some)
}

/// A series' occurrences, in order.
pub fn occurrences(conn: &mut PgConnection, series_id: SeriesId) -> QueryResult<Vec<MeetupRow>> {
    meetups::table
        .filter(meetups::series_id.eq(series_id))
        .order(meetups::occurrence.asc())
        .select(MeetupRow::as_select())
        .load(conn)
}

/// The meetups still ahead the member has an RSVP to, by id.
pub fn upcoming_rsvps_of(conn: &mut PgConnection, member: UserId) -> QueryResult<Vec<MeetupId>> {
    use crate::schema::{meetup_rsvps, meetups};
    meetup_rsvps::table
        .inner_join(meetups::table)
        .filter(meetup_rsvps::user_id.eq(member))
        .filter(meetups::starts_at.gt(diesel::dsl::now))
        .order(meetup_rsvps::meetup_id)
        .select(meetup_rsvps::meetup_id)
        .load(conn)
}

/// Drops one RSVP without moving the waitlist.
pub fn delete_rsvp_of(
    conn: &mut PgConnection,
    meetup: MeetupId,
    member: UserId,
) -> QueryResult<()> {
    use crate::schema::meetup_rsvps;
    diesel::delete(
        meetup_rsvps::table
            .filter(meetup_rsvps::meetup_id.eq(meetup))
            .filter(meetup_rsvps::user_id.eq(member)),
    )
    .execute(conn)
    .map(drop)
}

/// A reminder claimed for sending: the RSVP's meetup and who gets it.
#[derive(QueryableByName)]
pub struct DueReminder {
    #[diesel(sql_type = BigInt)]
    pub meetup_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub username: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub email: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub timezone: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub mail_choice: String,
}

/// Claims up to `limit` reminders due at `now` (meetups starting within `before`) and marks
/// them sent for the meetup's current start, skipping rows another worker holds: a moved
/// meetup is reminded again, a reminded one never twice.
pub fn claim_due_reminders(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    before: chrono::Duration,
    limit: i64,
) -> QueryResult<Vec<DueReminder>> {
    diesel::sql_query(
        "WITH picked AS ( \
             SELECT r.id, m.starts_at FROM meetup_rsvps r JOIN meetups m ON m.id = r.meetup_id \
             WHERE r.status = 'going' AND m.status = 'scheduled' AND NOT m.hidden \
               AND m.starts_at > $1 AND m.starts_at <= $1 + $2 \
               AND r.reminded_for IS DISTINCT FROM m.starts_at \
             ORDER BY m.starts_at, r.id LIMIT $3 FOR UPDATE OF r SKIP LOCKED), \
         marked AS ( \
             UPDATE meetup_rsvps r SET reminded_for = picked.starts_at FROM picked \
             WHERE r.id = picked.id RETURNING r.meetup_id, r.user_id) \
         SELECT marked.meetup_id, u.username, u.email, u.timezone, \
                u.email_notifications AS mail_choice \
         FROM marked JOIN users u ON u.id = marked.user_id \
         ORDER BY marked.meetup_id, u.id",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .bind::<diesel::sql_types::Interval, _>(before)
    .bind::<BigInt, _>(limit)
    .load(conn)
}
