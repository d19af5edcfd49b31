//! Commitments that keep themselves: the scheduler in the job queue, and mentorship requests
//! that remind and expire. Time is moved by passing `now` (or dating rows back), never slept.

use std::time::Duration;

use chrono::Utc;
use devforum::jobs::schedule::{self, Periodic};
use devforum::mentorship::service::timers::{self, Timers};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    assert_problem, json, spawn_app, spawn_app_with, wait_until, TestApp, TestUser,
};
use crate::mail::{spawn_app_with_mail, MailServer, MAIL_WAIT};

const TIMERS: Timers = Timers {
    request_ttl: chrono::Duration::days(14),
    reminder_after: chrono::Duration::days(3),
    check_in_after: chrono::Duration::days(30),
};

fn keys() -> devforum::mentorship::service::check_in::CheckInKeys {
    let settings = crate::helpers::test_settings("postgres://unused/unused");
    devforum::mentorship::service::check_in::CheckInKeys::new(&settings.auth.jwt_secret)
}

async fn mentor(app: &TestApp, username: &str) -> TestUser {
    let user = app.member(username).await;
    let profile = json!({
        "headline": "Rust mentor", "bio": "", "skills": ["rust"], "languages": ["en"],
        "timezone": "UTC", "capacity": 5, "accepting_requests": true,
    });
    let response = app
        .send_as(
            Method::PUT,
            "/api/v1/mentors/me",
            &user.access_token,
            &profile,
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    user
}

async fn ask(app: &TestApp, mentee: &TestUser, mentor: &str) -> reqwest::Response {
    app.send_as(
        Method::POST,
        "/api/v1/mentorship-requests",
        &mentee.access_token,
        &json!({"mentor": mentor, "message": "Could you help me?", "goals": "A first crate."}),
    )
    .await
}

async fn asked(app: &TestApp, mentee: &TestUser, mentor: &str) -> i64 {
    let response = ask(app, mentee, mentor).await;
    assert_eq!(response.status().as_u16(), 201);
    json(response).await["id"].as_i64().unwrap()
}

async fn request(app: &TestApp, user: &TestUser, id: i64) -> Value {
    let response = app
        .get_as(
            &format!("/api/v1/mentorship-requests/{id}"),
            &user.access_token,
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    json(response).await
}

fn created_at(app: &TestApp, id: i64) -> chrono::DateTime<Utc> {
    use diesel::prelude::*;
    devforum::schema::mentorship_requests::table
        .find(id)
        .select(devforum::schema::mentorship_requests::created_at)
        .first(&mut app.conn())
        .unwrap()
}

fn sweep_at(app: &TestApp, now: chrono::DateTime<Utc>) -> timers::SweepReport {
    timers::sweep(
        &mut app.conn(),
        TIMERS,
        &keys(),
        now,
        "https://forum.example",
    )
    .unwrap()
}

#[tokio::test]
async fn the_scheduler_enqueues_each_period_once_however_many_workers_look() {
    let app = spawn_app().await;
    let tasks = vec![Periodic {
        kind: "test.periodic".into(),
        every: Duration::from_secs(3600),
    }];
    let now = Utc::now();
    // Eight "workers" at once, each with its own connection, for the same moment.
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let url = app.db.url.clone();
            let tasks = tasks.clone();
            std::thread::spawn(move || {
                use diesel::Connection;
                let mut conn = diesel::PgConnection::establish(&url).unwrap();
                schedule::enqueue_due(&mut conn, &tasks, now).unwrap().len()
            })
        })
        .collect();
    let enqueued: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(enqueued, 1);
    let jobs =
        |app: &TestApp| app.count("SELECT count(*) AS n FROM jobs WHERE kind = 'test.periodic'");
    assert_eq!(jobs(&app), 1);
    // Later in the same period, or after a restart (a new connection): nothing more.
    let later =
        now + chrono::Duration::minutes(59) - chrono::Duration::seconds(now.timestamp() % 3600);
    assert!(schedule::enqueue_due(&mut app.conn(), &tasks, later)
        .unwrap()
        .is_empty());
    assert_eq!(jobs(&app), 1);
    // The next period gets its own, due at its start; only the latest period is kept.
    let next = now + chrono::Duration::hours(1);
    assert_eq!(
        schedule::enqueue_due(&mut app.conn(), &tasks, next).unwrap(),
        vec!["test.periodic"]
    );
    assert_eq!(jobs(&app), 2);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM scheduled_runs WHERE task = 'test.periodic'"),
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM jobs WHERE kind = 'test.periodic' AND run_at = '{}'",
            schedule::period_start(next, Duration::from_secs(3600)).to_rfc3339()
        )),
        1
    );
}

#[tokio::test]
async fn the_sweep_runs_by_itself_through_the_queue() {
    let app = spawn_app_with(
        |s| {
            s.mentorship.sweep_every_secs = 3600;
            s.worker.schedule_tick_ms = 50;
        },
        Default::default(),
    )
    .await;
    mentor(&app, "grace").await;
    let ada = app.member("ada").await;
    // The worker scheduled the sweep at its start; a request from two weeks ago waits.
    let id = asked(&app, &ada, "grace").await;
    app.sql(&format!(
        "UPDATE mentorship_requests SET created_at = now() - interval '15 days' WHERE id = {id}"
    ));
    assert!(
        wait_until(Duration::from_secs(10), || {
            app.count("SELECT count(*) AS n FROM scheduled_runs WHERE task = 'mentorship.sweep'")
                == 1
        })
        .await
    );
    // This period's sweep may have run before the request was dated back: run the period
    // again as a second sweep would.
    app.sql("DELETE FROM scheduled_runs");
    assert!(
        wait_until(Duration::from_secs(10), || {
            app.count(&format!(
                "SELECT count(*) AS n FROM mentorship_requests WHERE id = {id} AND status = 'expired'"
            )) == 1
        })
        .await,
        "the periodic sweep did not expire the request"
    );
}

#[tokio::test]
async fn a_pending_request_reminds_its_mentor_once_then_expires_and_the_mentee_may_ask_again() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let grace = mentor(&app, "grace").await;
    let ada = app.member("ada").await;
    let id = asked(&app, &ada, "grace").await;
    let arrived = created_at(&app, id);
    // Mail at once (the default, "when away", would depend on when they last looked).
    app.sql("UPDATE users SET email_notifications = 'always'");

    assert_eq!(
        sweep_at(&app, arrived + chrono::Duration::days(2)),
        Default::default()
    );
    let reminded = sweep_at(
        &app,
        arrived + chrono::Duration::days(3) + chrono::Duration::minutes(1),
    );
    assert_eq!(
        (reminded.reminded, reminded.expired, reminded.checked_in),
        (1, 0, 0)
    );
    let reminder = mail
        .wait_for_subject(&grace.email, "waiting for your answer", MAIL_WAIT)
        .await;
    assert!(
        reminder.text.contains("@ada asked you for mentorship"),
        "{}",
        reminder.text
    );
    assert!(
        reminder.text.contains("expires in 11 days"),
        "{}",
        reminder.text
    );
    assert!(reminder
        .link_to(&format!("/mentorship-requests/{id}"))
        .is_some());
    // Once only.
    assert_eq!(
        sweep_at(&app, arrived + chrono::Duration::days(5)).reminded,
        0
    );
    assert_eq!(request(&app, &ada, id).await["status"], "pending");

    let expired = sweep_at(&app, arrived + chrono::Duration::days(14));
    assert_eq!((expired.reminded, expired.expired), (0, 1));
    assert_eq!(request(&app, &ada, id).await["status"], "expired");
    for (user, words) in [
        (&ada, "You are free to ask again"),
        (&grace, "Nothing more is asked of you"),
    ] {
        let email = mail
            .wait_for_subject(&user.email, "request expired", MAIL_WAIT)
            .await;
        assert!(email.text.contains(words), "{}", email.text);
        let inbox = json(
            app.get_as("/api/v1/notifications", &user.access_token)
                .await,
        )
        .await;
        assert!(inbox.to_string().contains("mentorship_expired"), "{inbox}");
    }
    // Nothing moves an expired request; the mentee may ask again.
    assert_problem(
        app.post_as(
            &format!("/api/v1/mentorship-requests/{id}/accept"),
            &grace.access_token,
        )
        .await,
        409,
        "invalid_transition",
    )
    .await;
    assert_eq!(
        sweep_at(&app, arrived + chrono::Duration::days(30)),
        Default::default()
    );
    assert_eq!(ask(&app, &ada, "grace").await.status().as_u16(), 201);
    let listed = json(
        app.get_as("/api/v1/mentorship-requests?role=mentee", &ada.access_token)
            .await,
    )
    .await;
    let statuses: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["pending", "expired"]);
}

#[tokio::test]
async fn answered_requests_never_expire_nor_remind_and_members_who_chose_no_mail_get_none() {
    // No worker: every mail the sweep enqueues stays in the queue to be counted.
    let app = spawn_app_with(|s| s.worker.enabled = false, Default::default()).await;
    let grace = mentor(&app, "grace").await;
    mentor(&app, "linus").await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let accepted = asked(&app, &ada, "grace").await;
    let declined = asked(&app, &bob, "grace").await;
    let quiet = asked(&app, &ada, "linus").await;
    assert_eq!(
        app.post_as(
            &format!("/api/v1/mentorship-requests/{accepted}/accept"),
            &grace.access_token
        )
        .await
        .status()
        .as_u16(),
        200
    );
    assert_eq!(
        app.post_as(
            &format!("/api/v1/mentorship-requests/{declined}/decline"),
            &grace.access_token
        )
        .await
        .status()
        .as_u16(),
        200
    );
    app.sql("UPDATE users SET email_notifications = 'never' WHERE username = 'linus'");
    let start = created_at(&app, quiet);

    let report = sweep_at(&app, start + chrono::Duration::days(4));
    assert_eq!((report.reminded, report.expired), (1, 0));
    let reminders = |to: &str| {
        app.count(&format!(
            "SELECT count(*) AS n FROM jobs WHERE kind = 'email.send' \
             AND payload->>'subject' LIKE '%waiting for your answer%' AND payload->>'to' = '{to}'"
        ))
    };
    assert_eq!(reminders("linus@example.com"), 0, "linus chose no mail");
    // Grace, whose requests were answered, is reminded of nothing either.
    assert_eq!(reminders("grace@example.com"), 0);
    let report = sweep_at(&app, start + chrono::Duration::days(40));
    assert_eq!((report.reminded, report.expired), (0, 1));
    assert_eq!(request(&app, &ada, accepted).await["status"], "accepted");
    assert_eq!(request(&app, &bob, declined).await["status"], "declined");
    assert_eq!(request(&app, &ada, quiet).await["status"], "expired");
    // Mail again, and the next request is reminded by mail.
    app.sql("UPDATE users SET email_notifications = 'away' WHERE username = 'linus'");
    let again = asked(&app, &bob, "linus").await;
    let report = sweep_at(&app, created_at(&app, again) + chrono::Duration::days(4));
    assert_eq!(report.reminded, 1);
    assert_eq!(reminders("linus@example.com"), 1);
}

#[tokio::test]
async fn a_mentor_away_until_a_date_takes_no_requests_until_then_and_comes_back_by_itself() {
    let app = spawn_app().await;
    let grace = mentor(&app, "grace").await;
    let ada = app.member("ada").await;
    let until = (Utc::now() + chrono::Duration::days(10))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let profile = |away: Value| {
        json!({
            "headline": "Rust mentor", "bio": "", "skills": ["rust"], "languages": ["en"],
            "timezone": "UTC", "capacity": 5, "accepting_requests": true, "away_until": away,
        })
    };
    app.assert_refusals(
        Method::PUT,
        "/api/v1/mentors/me",
        Some(&grace.access_token),
        &[
            (
                Some(profile(json!("2020-01-01T00:00:00Z"))),
                422,
                "validation_failed",
                Some("away_until"),
            ),
            (
                Some(profile(json!("2099-01-01T00:00:00Z"))),
                422,
                "validation_failed",
                Some("away_until"),
            ),
            (
                Some(profile(json!("next tuesday"))),
                422,
                "validation_failed",
                None,
            ),
        ],
    )
    .await;
    let response = app
        .send_as(
            Method::PUT,
            "/api/v1/mentors/me",
            &grace.access_token,
            &profile(json!(until)),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let shown = json(response).await;
    assert_eq!(shown["accepting_requests"], false);
    assert_eq!(shown["open_to_requests"], true);
    assert_eq!(shown["away_until"], until.as_str());

    // The directory shows it; the accepting filter leaves the mentor out; a request is refused.
    let directory = json(app.get("/api/v1/mentors").await).await;
    assert_eq!(directory["items"][0]["away_until"], until.as_str());
    let accepting = json(app.get("/api/v1/mentors?accepting=true").await).await;
    assert_eq!(accepting["items"].as_array().unwrap().len(), 0);
    let refused = assert_problem(ask(&app, &ada, "grace").await, 422, "mentor_unavailable").await;
    assert!(
        refused["detail"].as_str().unwrap().contains("away"),
        "{refused}"
    );

    // The date passes (dated back here): the mentor is back, with nothing run.
    app.sql("UPDATE mentor_profiles SET away_until = now() - interval '1 minute'");
    let back = json(app.get("/api/v1/mentors/grace").await).await;
    assert_eq!(back["accepting_requests"], true);
    assert!(back["away_until"].is_null());
    let accepting = json(app.get("/api/v1/mentors?accepting=true").await).await;
    assert_eq!(accepting["items"].as_array().unwrap().len(), 1);
    assert_eq!(ask(&app, &ada, "grace").await.status().as_u16(), 201);
}

#[tokio::test]
async fn an_accepted_mentorship_is_asked_once_after_a_while_and_completes_when_both_say_it_is_done()
{
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let grace = mentor(&app, "grace").await;
    let ada = app.member("ada").await;
    let id = asked(&app, &ada, "grace").await;
    let accepted = app
        .post_as(
            &format!("/api/v1/mentorship-requests/{id}/accept"),
            &grace.access_token,
        )
        .await;
    assert_eq!(accepted.status().as_u16(), 200);
    let now = Utc::now();

    assert_eq!(
        sweep_at(&app, now + chrono::Duration::days(29)).checked_in,
        0
    );
    assert_eq!(
        sweep_at(
            &app,
            now + chrono::Duration::days(30) + chrono::Duration::minutes(1)
        )
        .checked_in,
        1
    );
    assert_eq!(
        sweep_at(&app, now + chrono::Duration::days(45)).checked_in,
        0,
        "asked once"
    );

    let mut tokens = Vec::new();
    for (user, other) in [(&ada, "grace"), (&grace, "ada")] {
        let email = mail
            .wait_for_subject(&user.email, "still going", MAIL_WAIT)
            .await;
        assert!(
            email.subject.contains(&format!("@{other}")),
            "{}",
            email.subject
        );
        assert!(email.text.contains("answer=done"), "{}", email.text);
        tokens.push(email.token_for("/mentorship-check-in").expect("a link"));
    }
    let answer = |token: &str, answer: &str| {
        let body = json!({"token": token, "answer": answer});
        let app = &app;
        async move { app.post_json("/api/v1/mentorship-check-ins", &body).await }
    };
    app.assert_refusals(
        Method::POST,
        "/api/v1/mentorship-check-ins",
        None,
        &[
            (
                Some(json!({"token": "forged", "answer": "done"})),
                400,
                "invalid_token",
                None,
            ),
            (
                Some(json!({"token": tokens[0], "answer": "maybe"})),
                422,
                "validation_failed",
                None,
            ),
            (
                Some(json!({"answer": "done"})),
                422,
                "validation_failed",
                None,
            ),
        ],
    )
    .await;
    let step = |response: reqwest::Response| async move {
        assert_eq!(response.status().as_u16(), 200);
        json(response).await["status"].as_str().unwrap().to_string()
    };
    // Ada first says it goes on, Grace that it is done: still accepted.
    assert_eq!(step(answer(&tokens[0], "active").await).await, "accepted");
    assert_eq!(step(answer(&tokens[1], "done").await).await, "accepted");
    // Then Ada agrees: completed, and Grace has her place back.
    assert_eq!(step(answer(&tokens[0], "done").await).await, "completed");
    assert_eq!(request(&app, &ada, id).await["status"], "completed");
    let profile = json(app.get("/api/v1/mentors/grace").await).await;
    assert_eq!(profile["active_mentees"], 0);
    // Answering again changes nothing.
    assert_eq!(step(answer(&tokens[1], "done").await).await, "completed");
}
