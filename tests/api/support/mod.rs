//! Builders for what tests set up: a member, a thread, a meetup, each with sensible defaults
//! and overrides, so a test names only what matters to it.
//!
//! ```ignore
//! let ada = a_member(&app, "ada").await;
//! let thread = a_thread(&app, &ada).titled("Lifetimes").tags(&["rust"]).create().await;
//! let meetup = a_meetup(&app, &ada).seats(2).in_days(3).create().await;
//! ```

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{json, TestApp, TestUser};

/// A verified member named `username`, signed in.
pub async fn a_member(app: &TestApp, username: &str) -> TestUser {
    app.member(username).await
}

/// A thread by `author`: "A thread about Rust", a short Markdown body, no tags.
pub fn a_thread<'a>(app: &'a TestApp, author: &'a TestUser) -> ThreadBuilder<'a> {
    ThreadBuilder {
        app,
        author,
        body: json!({
            "title": "A thread about Rust",
            "body": "Body of *a thread about Rust*",
            "tags": [],
        }),
    }
}

pub struct ThreadBuilder<'a> {
    app: &'a TestApp,
    author: &'a TestUser,
    body: Value,
}

impl ThreadBuilder<'_> {
    pub fn titled(mut self, title: &str) -> Self {
        self.body["title"] = json!(title);
        self
    }

    pub fn body(mut self, markdown: &str) -> Self {
        self.body["body"] = json!(markdown);
        self
    }

    pub fn tags(mut self, tags: &[&str]) -> Self {
        self.body["tags"] = json!(tags);
        self
    }

    /// Posts it (201 or the test fails); its id.
    pub async fn create(self) -> i64 {
        created(self.app, self.author, "/api/v1/threads", &self.body).await
    }
}

/// A meetup by `organizer`: in seven days, two hours long, in Berlin, 20 seats, no tags.
pub fn a_meetup<'a>(app: &'a TestApp, organizer: &'a TestUser) -> MeetupBuilder<'a> {
    MeetupBuilder {
        app,
        organizer,
        starts: Utc::now() + Duration::days(7),
        body: json!({
            "title": "Rust meetup",
            "description": "Talks.",
            "timezone": "Europe/Berlin",
            "venue": {"name": "Hall", "address": "Main St 1", "city": "Berlin", "country": "DE"},
            "capacity": 20,
            "tags": [],
        }),
    }
}

pub struct MeetupBuilder<'a> {
    app: &'a TestApp,
    organizer: &'a TestUser,
    starts: DateTime<Utc>,
    body: Value,
}

impl MeetupBuilder<'_> {
    pub fn titled(mut self, title: &str) -> Self {
        self.body["title"] = json!(title);
        self
    }

    pub fn seats(mut self, seats: i64) -> Self {
        self.body["capacity"] = json!(seats);
        self
    }

    pub fn starting(mut self, at: DateTime<Utc>) -> Self {
        self.starts = at;
        self
    }

    pub fn in_days(self, days: i64) -> Self {
        self.starting(Utc::now() + Duration::days(days))
    }

    /// Any other field of the request, as the API names it.
    pub fn with(mut self, field: &str, value: Value) -> Self {
        self.body[field] = value;
        self
    }

    /// Creates it (201 or the test fails); its id.
    pub async fn create(mut self) -> i64 {
        let ends = self.starts + Duration::hours(2);
        self.body["starts_at"] = json!(self.starts.to_rfc3339_opts(SecondsFormat::Secs, true));
        self.body["ends_at"] = json!(ends.to_rfc3339_opts(SecondsFormat::Secs, true));
        created(self.app, self.organizer, "/api/v1/meetups", &self.body).await
    }
}

async fn created(app: &TestApp, by: &TestUser, path: &str, body: &Value) -> i64 {
    let response = app
        .send_as(Method::POST, path, &by.access_token, body)
        .await;
    let status = response.status().as_u16();
    let answer = json(response).await;
    assert_eq!(status, 201, "POST {path}: {answer}");
    answer["id"].as_i64().expect("id")
}
