//! What search knows of each searchable thing, built from the source tables (the source of
//! truth) by one set of loaders that both engines and `devforum reindex` share.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{MeetupId, ReplyId, ThreadId, UserId};
use crate::markdown;
use crate::visibility;

/// `MeetupStatus::Scheduled` as stored: search sits below meetups and names no type of it
/// (a test holds the two together).
const SCHEDULED: &str = "scheduled";

/// The kinds of things one search box finds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Thread,
    Reply,
    Meetup,
    Mentor,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Thread, Kind::Reply, Kind::Meetup, Kind::Mentor];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Thread => "thread",
            Kind::Reply => "reply",
            Kind::Meetup => "meetup",
            Kind::Mentor => "mentor",
        }
    }

    pub fn parse(raw: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// Characters of a body that are indexed (and that snippets are cut from).
pub const BODY_CHARS: usize = 10_000;

/// Snippet highlight markers: private-use characters, removed from indexed text, so the
/// highlighting an engine returns can be escaped safely and turned into `<mark>` afterwards.
pub const MARK_START: char = '\u{E000}';
pub const MARK_END: char = '\u{E001}';

/// One searchable thing, as both engines store it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub kind: Kind,
    pub source_id: i64,
    /// A reply's thread.
    pub parent_id: Option<i64>,
    /// What the hit shows as its title (a reply shows its thread's).
    pub title: String,
    /// Plain text, bounded by `BODY_CHARS`.
    pub body: String,
    pub tags: Vec<String>,
    pub username: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Meetups.
    pub starts_at: Option<DateTime<Utc>>,
    pub city: Option<String>,
    /// Mentors.
    pub skills: Vec<String>,
    pub languages: Vec<String>,
    /// The votes, bucketed ([`votes_bucket`]): better voted ranks first among equals.
    pub votes: i32,
    /// Threads: whether a solution readers see is marked.
    #[serde(default)]
    pub solved: Option<bool>,
}

/// Votes as ranking sees them: 0 for none or a negative score, then 1, 2–3, 4–7, 8–15… as 1,
/// 2, 3, 4…: "better voted" at the scale people notice, so that a vote changes the index only
/// when it moves a post into another bucket.
pub fn votes_bucket(score: i32) -> i32 {
    if score <= 0 {
        0
    } else {
        32 - score.leading_zeros() as i32
    }
}

impl Document {
    /// The identifier used by engines that need one string key.
    pub fn uid(&self) -> String {
        uid(self.kind, self.source_id)
    }
}

pub fn uid(kind: Kind, source_id: i64) -> String {
    format!("{}-{}", kind.as_str(), source_id)
}

/// Text as it is indexed: no highlight markers a member could have typed.
pub fn clean_text(text: &str) -> String {
    text.chars()
        .filter(|c| *c != MARK_START && *c != MARK_END && *c != '\0')
        .collect()
}

/// Indexed plain text of a Markdown body.
pub fn body_text(markdown_source: &str) -> String {
    clean_text(&markdown::plain_text(markdown_source, BODY_CHARS))
}

/// A reference to one source row whose search document must be brought up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DocRef {
    #[serde(rename = "type")]
    pub kind: Kind,
    pub id: i64,
}

impl DocRef {
    /// The document of a mentor's profile (mentors are found by their member id).
    pub fn mentor(user_id: UserId) -> Self {
        DocRef {
            kind: Kind::Mentor,
            id: user_id.get(),
        }
    }
}

impl From<ThreadId> for DocRef {
    fn from(id: ThreadId) -> Self {
        DocRef {
            kind: Kind::Thread,
            id: id.get(),
        }
    }
}

impl From<ReplyId> for DocRef {
    fn from(id: ReplyId) -> Self {
        DocRef {
            kind: Kind::Reply,
            id: id.get(),
        }
    }
}

impl From<MeetupId> for DocRef {
    fn from(id: MeetupId) -> Self {
        DocRef {
            kind: Kind::Meetup,
            id: id.get(),
        }
    }
}

#[derive(QueryableByName)]
struct ThreadRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    parent_id: Option<i64>,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    body: String,
    #[diesel(sql_type = Array<Text>)]
    tags: Vec<String>,
    #[diesel(sql_type = Text)]
    username: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    score: i32,
    /// The thread's (a reply carries its thread's, unused).
    #[diesel(sql_type = diesel::sql_types::Bool)]
    solved: bool,
}

impl ThreadRow {
    fn into_document(self, kind: Kind) -> Document {
        Document {
            kind,
            source_id: self.id,
            parent_id: self.parent_id,
            title: clean_text(&self.title),
            body: body_text(&self.body),
            tags: self.tags,
            username: Some(self.username),
            created_at: self.created_at,
            updated_at: self.updated_at,
            starts_at: None,
            city: None,
            skills: Vec::new(),
            languages: Vec::new(),
            votes: votes_bucket(self.score),
            solved: (kind == Kind::Thread).then_some(self.solved),
        }
    }
}

#[derive(QueryableByName)]
struct MentorRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    headline: String,
    #[diesel(sql_type = Text)]
    bio: String,
    #[diesel(sql_type = Array<Text>)]
    skills: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    languages: Vec<String>,
    #[diesel(sql_type = Text)]
    username: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
}

impl MentorRow {
    /// A mentor is found by headline, skills (as tags, so `tag=` filters them) and bio.
    fn into_document(self) -> Document {
        Document {
            kind: Kind::Mentor,
            source_id: self.id,
            parent_id: None,
            title: clean_text(&self.headline),
            body: body_text(&self.bio),
            tags: self.skills.clone(),
            username: Some(self.username),
            created_at: self.created_at,
            updated_at: self.updated_at,
            starts_at: None,
            city: None,
            skills: self.skills,
            languages: self.languages,
            votes: 0,
            solved: None,
        }
    }
}

#[derive(QueryableByName)]
struct MeetupRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    description: String,
    #[diesel(sql_type = Array<Text>)]
    tags: Vec<String>,
    #[diesel(sql_type = Text)]
    username: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    starts_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    city: Option<String>,
}

impl MeetupRow {
    fn into_document(self) -> Document {
        Document {
            kind: Kind::Meetup,
            source_id: self.id,
            parent_id: None,
            title: clean_text(&self.title),
            body: body_text(&self.description),
            tags: self.tags,
            username: Some(self.username),
            created_at: self.created_at,
            updated_at: self.updated_at,
            starts_at: Some(self.starts_at),
            city: self.city.map(|c| clean_text(&c)),
            skills: Vec::new(),
            languages: Vec::new(),
            votes: 0,
            solved: None,
        }
    }
}

/// Threads the public sees (`visibility::public_sql`).
fn threads_sql() -> String {
    format!(
        "SELECT t.id, NULL::bigint AS parent_id, t.title, t.body, t.tags, \
                u.username, t.created_at, t.updated_at, t.score, t.solved \
         FROM threads t JOIN users u ON u.id = t.author_id \
         WHERE {}",
        visibility::public_sql("t")
    )
}

/// Replies the public sees, in threads the public sees.
fn replies_sql() -> String {
    format!(
        "SELECT r.id, r.thread_id AS parent_id, t.title, r.body, t.tags, \
                u.username, r.created_at, r.updated_at, r.score, t.solved \
         FROM replies r JOIN threads t ON t.id = r.thread_id JOIN users u ON u.id = r.author_id \
         WHERE {} AND {}",
        visibility::public_sql("r"),
        visibility::public_sql("t")
    )
}

/// Every mentor profile is public; a mentor's id is their user id.
const MENTORS_SQL: &str = "SELECT m.user_id AS id, m.headline, m.bio, m.skills, m.languages, \
            u.username, m.created_at, m.updated_at \
     FROM mentor_profiles m JOIN users u ON u.id = m.user_id \
     WHERE true";

/// Scheduled meetups the public sees are searchable, past ones included; cancelled ones are
/// not.
fn meetups_sql() -> String {
    format!(
        "SELECT m.id, m.title, m.description, m.tags, u.username, \
                m.created_at, m.updated_at, m.starts_at, m.venue_city AS city \
         FROM meetups m JOIN users u ON u.id = m.organizer_id \
         WHERE m.status = 'scheduled' AND {}",
        visibility::public_meetup_sql("m")
    )
}

/// The source query of a kind's visible rows, and the column that identifies a row.
fn source_of(kind: Kind) -> (String, &'static str) {
    match kind {
        Kind::Thread => (threads_sql(), "t.id"),
        Kind::Reply => (replies_sql(), "r.id"),
        Kind::Mentor => (MENTORS_SQL.to_string(), "m.user_id"),
        Kind::Meetup => (meetups_sql(), "m.id"),
    }
}

/// Which rows of a kind to load.
enum Rows<'a> {
    /// These ids (a sync batch).
    Ids(&'a [i64]),
    /// `limit` rows in id order after `after` (a reindex page).
    After { after: i64, limit: i64 },
}

/// Loads the documents of the selected visible rows: one statement, read into the kind's
/// own row type.
fn load_rows(conn: &mut PgConnection, kind: Kind, rows: Rows<'_>) -> QueryResult<Vec<Document>> {
    let (source, key) = source_of(kind);
    let query = match rows {
        Rows::Ids(ids) => diesel::sql_query(format!("{source} AND {key} = ANY($1)"))
            .into_boxed()
            .bind::<Array<BigInt>, _>(ids.to_vec()),
        Rows::After { after, limit } => {
            diesel::sql_query(format!("{source} AND {key} > $1 ORDER BY {key} LIMIT $2"))
                .into_boxed()
                .bind::<BigInt, _>(after)
                .bind::<BigInt, _>(limit)
        }
    };
    Ok(match kind {
        Kind::Thread | Kind::Reply => query
            .load::<ThreadRow>(conn)?
            .into_iter()
            .map(|r| r.into_document(kind))
            .collect(),
        Kind::Mentor => query
            .load::<MentorRow>(conn)?
            .into_iter()
            .map(MentorRow::into_document)
            .collect(),
        Kind::Meetup => query
            .load::<MeetupRow>(conn)?
            .into_iter()
            .map(MeetupRow::into_document)
            .collect(),
    })
}

/// The current documents of these rows; rows that are gone, hidden or deleted have none.
pub fn load(conn: &mut PgConnection, kind: Kind, ids: &[i64]) -> QueryResult<Vec<Document>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    load_rows(conn, kind, Rows::Ids(ids))
}

/// The visible replies of these threads (a thread's title or tags changed).
pub fn load_replies_of(conn: &mut PgConnection, thread_ids: &[i64]) -> QueryResult<Vec<Document>> {
    if thread_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<ThreadRow> =
        diesel::sql_query(format!("{} AND r.thread_id = ANY($1)", replies_sql()))
            .bind::<Array<BigInt>, _>(thread_ids)
            .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| r.into_document(Kind::Reply))
        .collect())
}

/// One page of every visible document of a kind, in id order after `after`: what a full
/// reindex walks.
pub fn load_page(
    conn: &mut PgConnection,
    kind: Kind,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<Document>> {
    load_rows(conn, kind, Rows::After { after, limit })
}

/// How many visible rows of a kind exist (for a reindex's progress bar).
pub fn count(conn: &mut PgConnection, kind: Kind) -> QueryResult<i64> {
    let (source, _) = source_of(kind);
    Ok(
        diesel::sql_query(format!("SELECT count(*) AS n FROM ({source}) x"))
            .get_result::<crate::db::Count>(conn)?
            .n,
    )
}

/// Which of these hits are still visible now: the query-time guard behind the index, so a
/// hidden or deleted row never shows even if the index has not caught up yet. One statement
/// per kind on the page, each kept prepared on its connection (the guard runs on every search).
pub fn visible(conn: &mut PgConnection, refs: &[DocRef]) -> QueryResult<Vec<DocRef>> {
    use crate::schema::{meetups, mentor_profiles, replies, threads};
    let ids_of = |kind: Kind| -> Vec<i64> {
        refs.iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.id)
            .collect()
    };
    let mut visible = Vec::with_capacity(refs.len());
    let mut keep = |kind: Kind, ids: Vec<i64>| {
        visible.extend(ids.into_iter().map(|id| DocRef { kind, id }));
    };
    let wanted = ids_of(Kind::Thread);
    if !wanted.is_empty() {
        let ids = threads::table
            .filter(threads::id.eq_any(&wanted))
            .filter(visibility::public_threads())
            .select(threads::id)
            .load(conn)?;
        keep(Kind::Thread, ids);
    }
    let wanted = ids_of(Kind::Reply);
    if !wanted.is_empty() {
        let ids = replies::table
            .inner_join(threads::table)
            .filter(replies::id.eq_any(&wanted))
            .filter(visibility::public_replies())
            .filter(visibility::public_threads())
            .select(replies::id)
            .load(conn)?;
        keep(Kind::Reply, ids);
    }
    let wanted = ids_of(Kind::Mentor);
    if !wanted.is_empty() {
        let ids = mentor_profiles::table
            .filter(mentor_profiles::user_id.eq_any(&wanted))
            .select(mentor_profiles::user_id)
            .load(conn)?;
        keep(Kind::Mentor, ids);
    }
    let wanted = ids_of(Kind::Meetup);
    if !wanted.is_empty() {
        let ids = meetups::table
            .filter(meetups::id.eq_any(&wanted))
            .filter(meetups::status.eq(SCHEDULED))
            .filter(visibility::public_meetups())
            .select(meetups::id)
            .load(conn)?;
        keep(Kind::Meetup, ids);
    }
    Ok(visible)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheduled_status_is_the_one_meetups_store() {
        assert_eq!(
            SCHEDULED,
            crate::meetups::domain::MeetupStatus::Scheduled.as_str()
        );
    }

    #[test]
    fn kinds_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Kind::parse("threads"), None);
    }

    #[test]
    fn votes_are_bucketed_by_powers_of_two() {
        let buckets: Vec<i32> = [-3, 0, 1, 2, 3, 4, 7, 8, 1000]
            .into_iter()
            .map(votes_bucket)
            .collect();
        assert_eq!(buckets, [0, 0, 1, 2, 2, 3, 3, 4, 10]);
    }

    #[test]
    fn indexed_text_has_no_markup_and_no_highlight_markers() {
        let text = body_text("# Hi\n\nSome **bold** \u{E000}text\u{E001} and `code`.");
        assert_eq!(text, "Hi Some bold text and code.");
    }
}
