//! An event's `data`: what a visitor could see of its subject, read when the event is fanned
//! out (never earlier, so content hidden or deleted by then never leaves). Threads, replies and
//! meetups must be public (not hidden, not deleted); mentorship requests are private to their
//! two members, so their events carry ids, states and times only; reports and moderation
//! actions (staff hooks only) carry ids, kinds and reasons, never a report's details. No
//! email, ever. Tables of the features above are read in SQL here, never through them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz};
use serde_json::{json, Value};

use super::domain::EventType;

/// Builds absolute links from `web.base_url` as the public pages spell them (`/t/{id}/{slug}`,
/// `/m/{id}/{slug}`, `/u/{name}`).
#[derive(Debug, Clone)]
pub struct Links {
    base: String,
}

impl Links {
    pub fn new(base_url: &str) -> Links {
        Links {
            base: base_url.trim_end_matches('/').to_string(),
        }
    }

    pub fn thread(&self, id: i64, title: &str) -> String {
        format!("{}/t/{id}/{}", self.base, crate::slugs::of(title, "thread"))
    }

    pub fn reply(&self, thread: i64, title: &str, reply: i64) -> String {
        format!("{}#reply-{reply}", self.thread(thread, title))
    }

    pub fn meetup(&self, id: i64, title: &str) -> String {
        format!("{}/m/{id}/{}", self.base, crate::slugs::of(title, "meetup"))
    }

    pub fn member(&self, username: &str) -> String {
        let name: String = url::form_urlencoded::byte_serialize(username.as_bytes()).collect();
        format!("{}/u/{name}", self.base)
    }

    pub fn admin_webhooks(&self) -> String {
        format!("{}/admin/webhooks", self.base)
    }
}

const EXCERPT_CHARS: usize = 300;

#[derive(QueryableByName)]
struct ThreadRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    body: String,
    #[diesel(sql_type = Array<Text>)]
    tags: Vec<String>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    author: String,
}

#[derive(QueryableByName)]
struct ReplyRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    thread_id: i64,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    body: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    author: String,
}

#[derive(QueryableByName)]
struct MeetupRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    description: String,
    #[diesel(sql_type = Timestamptz)]
    starts_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    ends_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    timezone: String,
    #[diesel(sql_type = Nullable<Text>)]
    venue_city: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    venue_country: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    online: bool,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    author: String,
}

#[derive(QueryableByName)]
struct RequestRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct StaffRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    target_type: String,
    #[diesel(sql_type = BigInt)]
    target_id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    reason: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    actor: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

fn member(links: &Links, username: &str) -> Value {
    json!({ "username": username, "url": links.member(username) })
}

fn thread_data(links: &Links, t: &ThreadRow) -> Value {
    json!({
        "id": t.id,
        "title": t.title,
        "url": links.thread(t.id, &t.title),
        "tags": t.tags,
        "excerpt": crate::markdown::excerpt(&t.body, EXCERPT_CHARS),
        "created_at": t.created_at,
        "author": member(links, &t.author),
    })
}

fn reply_data(links: &Links, r: &ReplyRow) -> Value {
    json!({
        "id": r.id,
        "url": links.reply(r.thread_id, &r.title, r.id),
        "excerpt": crate::markdown::excerpt(&r.body, EXCERPT_CHARS),
        "created_at": r.created_at,
        "author": member(links, &r.author),
    })
}

fn thread_ref(links: &Links, id: i64, title: &str) -> Value {
    json!({ "id": id, "title": title, "url": links.thread(id, title) })
}

const PUBLIC_THREAD: &str =
    "SELECT t.id, t.title, t.body, t.tags, t.created_at, u.username AS author \
     FROM threads t JOIN users u ON u.id = t.author_id \
     WHERE t.id = $1 AND t.deleted_at IS NULL AND NOT t.hidden";

const PUBLIC_REPLY: &str =
    "SELECT r.id, r.thread_id, t.title, r.body, r.created_at, u.username AS author \
     FROM replies r JOIN threads t ON t.id = r.thread_id JOIN users u ON u.id = r.author_id \
     WHERE r.id = $1 AND r.deleted_at IS NULL AND NOT r.hidden \
       AND t.deleted_at IS NULL AND NOT t.hidden";

/// The `data` of `event` about `subject` (a thread's, reply's, meetup's, request's, report's
/// or log entry's id), or `None` when a visitor could not see it (any more).
pub fn data(
    conn: &mut PgConnection,
    links: &Links,
    event: EventType,
    subject: i64,
) -> QueryResult<Option<Value>> {
    use EventType as E;
    Ok(match event {
        E::ThreadCreated => one::<ThreadRow>(conn, PUBLIC_THREAD, subject)?
            .map(|t| json!({ "thread": thread_data(links, &t) })),
        E::ReplyCreated => one::<ReplyRow>(conn, PUBLIC_REPLY, subject)?.map(|r| {
            json!({
                "thread": thread_ref(links, r.thread_id, &r.title),
                "reply": reply_data(links, &r),
            })
        }),
        E::ThreadSolved => {
            let solution: Option<ReplyRow> = one(
                conn,
                "SELECT r.id, r.thread_id, t.title, r.body, r.created_at, u.username AS author \
                 FROM thread_solutions s JOIN replies r ON r.id = s.reply_id \
                 JOIN threads t ON t.id = s.thread_id JOIN users u ON u.id = r.author_id \
                 WHERE s.thread_id = $1 AND r.deleted_at IS NULL AND NOT r.hidden \
                   AND t.deleted_at IS NULL AND NOT t.hidden",
                subject,
            )?;
            solution.map(|r| {
                json!({
                    "thread": thread_ref(links, r.thread_id, &r.title),
                    "solution": reply_data(links, &r),
                })
            })
        }
        E::MentorshipRequested | E::MentorshipAccepted => one::<RequestRow>(
            conn,
            "SELECT id, status, created_at FROM mentorship_requests WHERE id = $1",
            subject,
        )?
        .map(|r| {
            json!({ "mentorship_request": {
                "id": r.id, "status": r.status, "created_at": r.created_at,
            }})
        }),
        E::MeetupCreated | E::MeetupCancelled => one::<MeetupRow>(
            conn,
            "SELECT m.id, m.title, m.description, m.starts_at, m.ends_at, m.timezone, \
                    m.venue_city, m.venue_country, m.online_url IS NOT NULL AS online, m.status, \
                    m.created_at, u.username AS author \
             FROM meetups m JOIN users u ON u.id = m.organizer_id \
             WHERE m.id = $1 AND NOT m.hidden",
            subject,
        )?
        .map(|m| {
            json!({ "meetup": {
                "id": m.id,
                "title": m.title,
                "url": links.meetup(m.id, &m.title),
                "excerpt": crate::markdown::excerpt(&m.description, EXCERPT_CHARS),
                "starts_at": m.starts_at,
                "ends_at": m.ends_at,
                "timezone": m.timezone,
                "city": m.venue_city,
                "country": m.venue_country,
                "online": m.online,
                "status": m.status,
                "created_at": m.created_at,
                "organizer": member(links, &m.author),
            }})
        }),
        E::ReportCreated => one::<StaffRow>(
            conn,
            "SELECT id, 'report' AS kind, target_type, target_id, reason, NULL::text AS actor, \
                    created_at \
             FROM reports WHERE id = $1",
            subject,
        )?
        .map(|r| {
            json!({ "report": {
                "id": r.id,
                "target": { "type": r.target_type, "id": r.target_id },
                "reason": r.reason,
                "created_at": r.created_at,
            }})
        }),
        E::ModerationAction => one::<StaffRow>(
            conn,
            "SELECT l.id, l.action AS kind, l.target_type, l.target_id, l.reason, \
                    u.username AS actor, l.created_at \
             FROM moderation_log l LEFT JOIN users u ON u.id = l.actor_id WHERE l.id = $1",
            subject,
        )?
        .map(|a| {
            json!({ "action": {
                "id": a.id,
                "action": a.kind,
                "target": { "type": a.target_type, "id": a.target_id },
                "reason": a.reason,
                "moderator": a.actor,
                "created_at": a.created_at,
            }})
        }),
        E::Ping => Some(json!({ "message": "ping" })),
    })
}

fn one<T: QueryableByName<diesel::pg::Pg> + 'static>(
    conn: &mut PgConnection,
    sql: &'static str,
    subject: i64,
) -> QueryResult<Option<T>> {
    diesel::sql_query(sql)
        .bind::<BigInt, _>(subject)
        .get_result(conn)
        .optional()
}

/// What Discord and Slack messages show of an event: a title, a link, an excerpt, who.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub headline: String,
    pub title: String,
    pub url: Option<String>,
    pub excerpt: String,
    pub author: Option<String>,
}

/// The [`Summary`] of an event's `data`.
pub fn summary(event: EventType, data: &Value) -> Summary {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let opt = |v: &Value| v.as_str().map(str::to_string);
    use EventType as E;
    let (headline, subject, post) = match event {
        E::ThreadCreated => ("New thread", &data["thread"], &data["thread"]),
        E::ReplyCreated => ("New reply", &data["thread"], &data["reply"]),
        E::ThreadSolved => ("Solved", &data["thread"], &data["solution"]),
        E::MeetupCreated => ("New meetup", &data["meetup"], &data["meetup"]),
        E::MeetupCancelled => ("Meetup cancelled", &data["meetup"], &data["meetup"]),
        _ => ("", &Value::Null, &Value::Null),
    };
    match event {
        E::MentorshipRequested | E::MentorshipAccepted => Summary {
            headline: if event == E::MentorshipRequested {
                "Mentorship requested".into()
            } else {
                "Mentorship accepted".into()
            },
            title: format!("Mentorship request #{}", data["mentorship_request"]["id"]),
            url: None,
            excerpt: String::new(),
            author: None,
        },
        E::ReportCreated => Summary {
            headline: "New report".into(),
            title: format!(
                "Report #{} on {} {}",
                data["report"]["id"],
                text(&data["report"]["target"]["type"]),
                data["report"]["target"]["id"]
            ),
            url: None,
            excerpt: text(&data["report"]["reason"]),
            author: None,
        },
        E::ModerationAction => Summary {
            headline: "Moderation".into(),
            title: format!(
                "{} on {} {}",
                text(&data["action"]["action"]),
                text(&data["action"]["target"]["type"]),
                data["action"]["target"]["id"]
            ),
            url: None,
            excerpt: text(&data["action"]["reason"]),
            author: opt(&data["action"]["moderator"]),
        },
        E::Ping => Summary {
            headline: "Ping".into(),
            title: "devforum webhook test".into(),
            url: None,
            excerpt: "This hook is set up and reachable.".into(),
            author: None,
        },
        _ => Summary {
            headline: headline.into(),
            title: text(&subject["title"]),
            url: opt(&post["url"]).or_else(|| opt(&subject["url"])),
            excerpt: text(&post["excerpt"]),
            author: opt(&post["author"]["username"])
                .or_else(|| opt(&post["organizer"]["username"])),
        },
    }
}
