//! Meetups: every row of the contract's table, happy and unhappy paths, seats under concurrent
//! RSVPs and cancellations, the calendars parsed back with the iCalendar crate, and the emails
//! read from a real SMTP server.

mod calendars;
mod rsvps;

use chrono::{DateTime, Duration, DurationRound, Offset, SecondsFormat, TimeZone, Utc};
use icalendar::{Calendar, CalendarDateTime, Component, DatePerhapsTime, EventLike, EventStatus};
use reqwest::Method;
use serde_json::{json, Value};

use devforum::meetups::domain::RsvpStatus;
use devforum::meetups::views::{MeetupView, RsvpView};

use crate::helpers::{assert_problem, json, read_as, spawn_app, TestApp, TestUser};
use crate::mail::{spawn_app_with_mail, MailServer, MAIL_WAIT};

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A valid meetup starting `in_days` from now, lasting three hours.
fn meetup_body(title: &str, in_days: i64) -> Value {
    let starts = Utc::now() + Duration::days(in_days);
    json!({
        "title": title,
        "description": "Lightning talks, then **pizza**.",
        "starts_at": rfc3339(starts),
        "ends_at": rfc3339(starts + Duration::hours(3)),
        "timezone": "Europe/Berlin",
        "venue": {"name": "Hall 1", "address": "Main St 1", "city": "Berlin", "country": "DE"},
        "capacity": 30,
        "tags": ["rust"],
    })
}

impl TestApp {
    async fn post_meetup(&self, user: &TestUser, body: &Value) -> reqwest::Response {
        self.send_as(Method::POST, "/api/v1/meetups", &user.access_token, body)
            .await
    }

    async fn meetup(&self, user: &TestUser, body: &Value) -> i64 {
        let response = self.post_meetup(user, body).await;
        let status = response.status().as_u16();
        let body = json(response).await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_i64().expect("id")
    }

    async fn rsvp(&self, user: &TestUser, id: i64) -> reqwest::Response {
        let path = format!("/api/v1/meetups/{id}/rsvp");
        self.call(Method::PUT, &path, Some(&user.access_token), None)
            .await
    }

    async fn unrsvp(&self, user: &TestUser, id: i64) -> reqwest::Response {
        let path = format!("/api/v1/meetups/{id}/rsvp");
        self.call(Method::DELETE, &path, Some(&user.access_token), None)
            .await
    }

    async fn patch_meetup(&self, user: &TestUser, id: i64, body: &Value) -> reqwest::Response {
        self.send_as(
            Method::PATCH,
            &format!("/api/v1/meetups/{id}"),
            &user.access_token,
            body,
        )
        .await
    }

    async fn cancel_meetup(&self, user: &TestUser, id: i64) -> reqwest::Response {
        self.post_as(&format!("/api/v1/meetups/{id}/cancel"), &user.access_token)
            .await
    }

    async fn attendee_names(&self, user: &TestUser, id: i64) -> (Vec<String>, Vec<String>) {
        let response = self
            .get_as(
                &format!("/api/v1/meetups/{id}/attendees"),
                &user.access_token,
            )
            .await;
        assert_eq!(response.status().as_u16(), 200);
        let body = json(response).await;
        let names = |key: &str| -> Vec<String> {
            body[key]
                .as_array()
                .expect("list")
                .iter()
                .map(|a| a["username"].as_str().expect("username").to_string())
                .collect()
        };
        (names("going"), names("waitlisted"))
    }

    async fn ics(&self, path: &str) -> Calendar {
        let response = self.get(path).await;
        assert_eq!(response.status().as_u16(), 200);
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(content_type.starts_with("text/calendar"), "{content_type}");
        let text = response.text().await.expect("body");
        text.parse::<Calendar>()
            .unwrap_or_else(|e| panic!("not an iCalendar object: {e}\n{text}"))
    }
}

#[tokio::test]
async fn a_member_lists_a_meetup_and_anyone_reads_it() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let mut body = meetup_body("Rust Berlin night", 10);
    body["description"] = json!("Talks <script>alert(1)</script> [x](javascript:alert(1))");
    body["online_url"] = json!("https://meet.example/rust");
    let response = app.post_meetup(&ada, &body).await;
    assert_eq!(response.status().as_u16(), 201);
    let created = json(response).await;
    let id = created["id"].as_i64().expect("id");
    assert_eq!(created["status"], "scheduled");
    assert_eq!(created["organizer"]["username"], "ada");
    assert_eq!(created["going_count"], 0);
    assert_eq!(created["waitlist_count"], 0);
    assert_eq!(created["capacity"], 30);
    assert_eq!(created["venue"]["country"], "DE");
    assert_eq!(created["timezone"], "Europe/Berlin");
    let html = created["description_html"].as_str().expect("html");
    assert!(
        !html.contains("<script") && !html.contains("javascript:"),
        "{html}"
    );

    let anonymous = json(app.get(&format!("/api/v1/meetups/{id}")).await).await;
    assert_eq!(anonymous["title"], "Rust Berlin night");
    assert!(anonymous.get("my_rsvp").is_none());
    let mine = json(
        app.get_as(&format!("/api/v1/meetups/{id}"), &ada.access_token)
            .await,
    )
    .await;
    assert_eq!(mine["my_rsvp"], Value::Null);
    assert!(mine.get("my_waitlist_position").is_none());

    assert_problem(app.get("/api/v1/meetups/424242").await, 404, "not_found").await;
    assert!(app
        .get("/api/v1/meetups/abc")
        .await
        .status()
        .is_client_error());
}

#[tokio::test]
async fn a_meetup_needs_valid_fields_a_place_and_a_sensible_time() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let response = app
        .post_meetup(
            &ada,
            &json!({
                "title": "Hi",
                "venue": {"name": "", "address": "x", "city": "Berlin", "country": "XX"},
                "online_url": "javascript:alert(1)",
                "capacity": 0,
                "tags": ["Not A Tag"],
            }),
        )
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    let fields: Vec<&str> = problem["errors"]
        .as_object()
        .expect("errors")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        [
            "capacity",
            "description",
            "ends_at",
            "online_url",
            "starts_at",
            "tags",
            "timezone",
            "title",
            "venue.country",
            "venue.name"
        ]
    );

    let now = Utc::now();
    let cases: Vec<(&str, Value)> = vec![
        (
            "starts_at",
            json!({"starts_at": rfc3339(now - Duration::hours(1)), "ends_at": rfc3339(now + Duration::hours(1))}),
        ),
        (
            "ends_at",
            json!({"ends_at": rfc3339(now + Duration::days(9))}),
        ),
        (
            "ends_at",
            json!({"ends_at": rfc3339(now + Duration::days(18))}),
        ),
        ("venue", json!({"venue": null})),
        ("timezone", json!({"timezone": "Mars/Olympus"})),
        ("capacity", json!({"capacity": 10_001})),
        ("capacity", json!({"capacity": 2.5})),
        ("online_url", json!({"online_url": "ftp://files.example"})),
        ("starts_at", json!({"starts_at": "next tuesday"})),
        ("surprise", json!({"surprise": true})),
    ];
    for (field, change) in cases {
        let mut body = meetup_body("Rust Berlin night", 10);
        for (key, value) in change.as_object().expect("object") {
            body[key] = value.clone();
        }
        let problem =
            assert_problem(app.post_meetup(&ada, &body).await, 422, "validation_failed").await;
        let errors = problem["errors"].as_object().expect("errors");
        assert!(
            errors.keys().any(|k| k.contains(field)) || field == "surprise",
            "{field}: {problem}"
        );
    }
    // An online-only meetup needs no venue.
    let mut online = meetup_body("Rust online night", 10);
    online["venue"] = Value::Null;
    online["online_url"] = json!("https://meet.example/rust");
    assert_eq!(app.post_meetup(&ada, &online).await.status().as_u16(), 201);
    assert_eq!(app.count("SELECT count(*) AS n FROM meetups"), 1);
}

#[tokio::test]
async fn only_verified_unsuspended_members_list_meetups() {
    let app = spawn_app().await;
    let anonymous = app
        .post_json("/api/v1/meetups", &meetup_body("Rust Berlin night", 10))
        .await;
    assert_problem(anonymous, 401, "unauthorized").await;
    let newbie = app.signed_up("newbie").await;
    let response = app
        .post_meetup(&newbie, &meetup_body("Rust Berlin night", 10))
        .await;
    assert_problem(response, 403, "email_not_verified").await;
    let troll = app.member("troll").await;
    app.sql(&format!(
        "UPDATE users SET suspended_at = now() WHERE id = {}",
        troll.id
    ));
    let response = app
        .post_meetup(&troll, &meetup_body("Rust Berlin night", 10))
        .await;
    assert_problem(response, 403, "account_suspended").await;
    assert_problem(app.rsvp(&troll, 1).await, 403, "account_suspended").await;
    assert_eq!(app.count("SELECT count(*) AS n FROM meetups"), 0);
}

#[tokio::test]
async fn the_listing_is_soonest_first_with_filters_and_stable_pages() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let later = app
        .meetup(&ada, &meetup_body("Later Berlin meetup", 20))
        .await;
    let soon = app
        .meetup(&ada, &meetup_body("Soon Berlin meetup", 2))
        .await;
    let mut online = meetup_body("Online Go meetup", 5);
    online["venue"] = Value::Null;
    online["online_url"] = json!("https://meet.example/go");
    online["tags"] = json!(["go"]);
    let online = app.meetup(&ada, &online).await;
    let mut lisbon = meetup_body("Lisbon Rust meetup", 8);
    lisbon["venue"]["city"] = json!("Lisbon");
    lisbon["venue"]["country"] = json!("PT");
    let lisbon = app.meetup(&ada, &lisbon).await;
    let cancelled = app.meetup(&ada, &meetup_body("Cancelled meetup", 3)).await;
    assert_eq!(
        app.cancel_meetup(&ada, cancelled).await.status().as_u16(),
        200
    );
    let over = app.meetup(&ada, &meetup_body("Finished meetup", 1)).await;
    app.sql(&format!(
        "UPDATE meetups SET starts_at = now() - interval '3 hours', ends_at = now() - interval '1 hour' WHERE id = {over}"
    ));

    let ids = |body: &Value| -> Vec<i64> {
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|m| m["id"].as_i64().expect("id"))
            .collect()
    };
    let list = |query: String| {
        let app = &app;
        async move {
            let response = app.get(&format!("/api/v1/meetups{query}")).await;
            let status = response.status().as_u16();
            let body = json(response).await;
            assert_eq!(status, 200, "{query}: {body}");
            body
        }
    };
    assert_eq!(
        ids(&list(String::new()).await),
        [soon, online, lisbon, later]
    );
    assert_eq!(
        ids(&list("?include_cancelled=true".into()).await),
        [soon, cancelled, online, lisbon, later]
    );
    assert_eq!(ids(&list("?tag=go".into()).await), [online]);
    assert_eq!(ids(&list("?city=lisbon".into()).await), [lisbon]);
    assert_eq!(ids(&list("?online=true".into()).await), [online]);
    assert_eq!(
        ids(&list("?online=false".into()).await),
        [soon, lisbon, later]
    );
    let from = rfc3339(Utc::now() + Duration::days(4));
    let to = rfc3339(Utc::now() + Duration::days(10));
    assert_eq!(
        ids(&list(format!("?from={from}&to={to}")).await),
        [online, lisbon]
    );
    let from_past = rfc3339(Utc::now() - Duration::days(1));
    assert_eq!(
        ids(&list(format!("?from={from_past}&limit=1")).await),
        [over]
    );

    let first = list("?limit=2".into()).await;
    assert_eq!(ids(&first), [soon, online]);
    let cursor = first["next_cursor"].as_str().expect("cursor").to_string();
    let rest = list(format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(ids(&rest), [lisbon, later]);
    assert_eq!(rest["next_cursor"], Value::Null);

    for (query, status, code) in [
        (format!("?from={to}&to={from}"), 422, "validation_failed"),
        ("?from=tomorrow".to_string(), 400, "invalid_query"),
        ("?limit=0".to_string(), 422, "validation_failed"),
        ("?tag=Not%20A%20Tag".to_string(), 422, "validation_failed"),
        ("?online=sometimes".to_string(), 400, "invalid_query"),
        ("?cursor=garbage".to_string(), 400, "invalid_cursor"),
    ] {
        let response = app.get(&format!("/api/v1/meetups{query}")).await;
        assert_problem(response, status, code).await;
    }
}

#[tokio::test]
async fn organizers_and_moderators_edit_and_a_new_time_is_emailed() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let ada = app.member("ada").await;
    let moderator = app.staff("mod", "moderator").await;
    let eve = app.member("eve").await;
    let mut body = meetup_body("Rust Berlin night", 5);
    body["capacity"] = json!(1);
    let id = app.meetup(&ada, &body).await;
    let bob = app.member("bob").await;
    let cyd = app.member("cyd").await;
    app.rsvp(&bob, id).await;
    app.rsvp(&cyd, id).await;

    let retitled = json(
        app.patch_meetup(&ada, id, &json!({"title": "Rust Berlin evening"}))
            .await,
    )
    .await;
    assert_eq!(retitled["title"], "Rust Berlin evening");
    assert_eq!(retitled["sequence"], 1);

    let new_start = Utc::now() + Duration::days(6);
    let moved = app
        .patch_meetup(
            &moderator,
            id,
            &json!({"starts_at": rfc3339(new_start), "ends_at": rfc3339(new_start + Duration::hours(2))}),
        )
        .await;
    assert_eq!(moved.status().as_u16(), 200);
    assert_eq!(json(moved).await["sequence"], 2);
    for member in [&bob, &cyd] {
        let email = mail
            .wait_for_subject(&member.email, "new time or place", MAIL_WAIT)
            .await;
        assert!(email.text.contains("Europe/Berlin"), "{}", email.text);
    }
    assert!(
        !mail
            .received()
            .iter()
            .any(|e| e.subject.contains("new time or place") && e.to == ada.email),
        "the organizer has no RSVP and gets no notice"
    );
    assert_eq!(app.inbox_kinds(&bob).await, ["meetup_changed"]);
    assert!(app.inbox_kinds(&ada).await.is_empty());

    assert_problem(
        app.patch_meetup(&eve, id, &json!({"title": "Mine now"}))
            .await,
        403,
        "not_organizer",
    )
    .await;
    assert_problem(
        app.patch_meetup(&ada, 424242, &json!({"title": "Nobody's"}))
            .await,
        404,
        "not_found",
    )
    .await;
    let anonymous = app
        .client
        .patch(app.url(&format!("/api/v1/meetups/{id}")))
        .json(&json!({"title": "Anyone's"}))
        .send()
        .await
        .expect("request");
    assert_problem(anonymous, 401, "unauthorized").await;
    for bad in [
        json!({"venue": null}),
        json!({"capacity": 0}),
        json!({"ends_at": rfc3339(Utc::now())}),
        json!({"title": ""}),
    ] {
        assert_problem(
            app.patch_meetup(&ada, id, &bad).await,
            422,
            "validation_failed",
        )
        .await;
    }
    // Fewer seats than members going would take a seat away.
    let mut roomy = meetup_body("Roomy meetup", 5);
    roomy["capacity"] = json!(3);
    let roomy = app.meetup(&ada, &roomy).await;
    app.rsvp(&bob, roomy).await;
    app.rsvp(&cyd, roomy).await;
    let problem = assert_problem(
        app.patch_meetup(&ada, roomy, &json!({"capacity": 1})).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(problem["errors"]["capacity"].is_array());
    let unchanged = json(app.get(&format!("/api/v1/meetups/{id}")).await).await;
    assert_eq!(unchanged["sequence"], 2);
}

#[tokio::test]
async fn cancelling_emails_everyone_and_closes_rsvps() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let ada = app.member("ada").await;
    let eve = app.member("eve").await;
    let mut body = meetup_body("Doomed Rust meetup", 5);
    body["capacity"] = json!(1);
    let id = app.meetup(&ada, &body).await;
    let bob = app.member("bob").await;
    let cyd = app.member("cyd").await;
    app.rsvp(&bob, id).await;
    app.rsvp(&cyd, id).await;

    assert_problem(app.cancel_meetup(&eve, id).await, 403, "not_organizer").await;
    let cancelled = json(app.cancel_meetup(&ada, id).await).await;
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["cancelled_at"].is_string());
    for member in [&bob, &cyd] {
        let email = mail
            .wait_for_subject(&member.email, "is cancelled", MAIL_WAIT)
            .await;
        assert!(email.subject.contains("Doomed Rust meetup"));
    }
    // In the app too: everyone going or waiting, not the organizer who cancelled.
    assert_eq!(app.inbox_kinds(&bob).await, ["meetup_cancelled"]);
    assert_eq!(app.inbox_kinds(&cyd).await, ["meetup_cancelled"]);
    assert!(app.inbox_kinds(&ada).await.is_empty());
    assert!(app.inbox_kinds(&eve).await.is_empty());
    assert_problem(app.cancel_meetup(&ada, id).await, 409, "meetup_cancelled").await;
    assert_problem(app.rsvp(&eve, id).await, 409, "meetup_cancelled").await;
    assert_problem(
        app.patch_meetup(&ada, id, &json!({"title": "Back on?"}))
            .await,
        409,
        "meetup_cancelled",
    )
    .await;
    assert_problem(app.cancel_meetup(&ada, 424242).await, 404, "not_found").await;
}

#[tokio::test]
async fn attendee_lists_are_for_the_organizer_and_moderators() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let moderator = app.staff("mod", "moderator").await;
    let id = app
        .meetup(&ada, &meetup_body("Private list meetup", 5))
        .await;
    app.rsvp(&bob, id).await;
    assert_eq!(app.attendee_names(&ada, id).await.0, ["bob"]);
    assert_eq!(app.attendee_names(&moderator, id).await.0, ["bob"]);
    let path = format!("/api/v1/meetups/{id}/attendees");
    assert_problem(
        app.get_as(&path, &bob.access_token).await,
        403,
        "not_organizer",
    )
    .await;
    assert_problem(app.get(&path).await, 401, "unauthorized").await;
    assert_problem(
        app.get_as("/api/v1/meetups/424242/attendees", &ada.access_token)
            .await,
        404,
        "not_found",
    )
    .await;
}

/// The next instant New York changes its clocks, at least two days from now.
fn next_new_york_clock_change() -> DateTime<Utc> {
    let tz = chrono_tz::America::New_York;
    let offset = |at: DateTime<Utc>| tz.offset_from_utc_datetime(&at.naive_utc()).fix();
    let mut at = (Utc::now() + Duration::days(2))
        .duration_trunc(Duration::hours(1))
        .expect("whole hours");
    let start = offset(at);
    while offset(at) == start {
        at += Duration::hours(1);
    }
    at
}

fn utc_of(when: Option<DatePerhapsTime>) -> DateTime<Utc> {
    match when {
        Some(DatePerhapsTime::DateTime(dt)) => dt.try_into_utc().expect("resolvable"),
        other => panic!("not a date-time: {other:?}"),
    }
}

fn tzid_of(when: Option<DatePerhapsTime>) -> String {
    match when {
        Some(DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { tzid, .. })) => tzid,
        other => panic!("no TZID: {other:?}"),
    }
}
