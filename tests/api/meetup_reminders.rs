//! Reminders before meetups: once per start time, in the member's own timezone too, never
//! for a cancelled meetup or a withdrawn RSVP, each once however many workers send. Time is
//! passed as `now`; the worker is off, so every mail stays queued to be read.

use chrono::{DateTime, Duration, Utc};
use devforum::meetups::service::reminders;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{json, spawn_app_with, TestApp, TestUser};
use crate::support::{a_meetup, a_member};

const BEFORE: Duration = Duration::hours(24);

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn meetup(app: &TestApp, by: &TestUser, title: &str, starts: DateTime<Utc>) -> i64 {
    a_meetup(app, by)
        .titled(title)
        .starting(starts)
        .create()
        .await
}

async fn going(app: &TestApp, user: &TestUser, id: i64) {
    let response = app
        .call(
            Method::PUT,
            &format!("/api/v1/meetups/{id}/rsvp"),
            Some(&user.access_token),
            None,
        )
        .await;
    assert_eq!(json(response).await["status"], "going");
}

/// The reminders queued so far: (to, text).
fn reminders_sent(app: &TestApp) -> Vec<(String, String)> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Mail {
        #[diesel(sql_type = diesel::sql_types::Text)]
        to: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        text: String,
    }
    diesel::sql_query(
        "SELECT payload->>'to' AS to, payload->>'text' AS text FROM jobs \
         WHERE kind = 'email.send' AND payload->>'subject' LIKE 'Reminder:%' ORDER BY id",
    )
    .load::<Mail>(&mut app.conn())
    .unwrap()
    .into_iter()
    .map(|m| (m.to, m.text))
    .collect()
}

fn send(app: &TestApp, now: DateTime<Utc>) -> usize {
    reminders::send_due(&mut app.conn(), BEFORE, now, "https://forum.example").unwrap()
}

#[tokio::test]
async fn members_going_are_reminded_once_per_start_in_their_own_timezone_and_never_for_a_cancelled_meetup_or_a_withdrawn_rsvp(
) {
    let app = spawn_app_with(|s| s.worker.enabled = false, Default::default()).await;
    let grace = a_member(&app, "grace").await;
    let ada = a_member(&app, "ada").await;
    let linus = a_member(&app, "linus").await;
    let quiet = a_member(&app, "quiet").await;
    let patch = app
        .send_as(
            Method::PATCH,
            "/api/v1/users/me",
            &ada.access_token,
            &json!({"timezone": "America/New_York"}),
        )
        .await;
    assert_eq!(patch.status().as_u16(), 200);
    app.sql("UPDATE users SET email_notifications = 'never' WHERE username = 'quiet'");

    let now = Utc::now();
    let starts = now + Duration::hours(30);
    let kept = meetup(&app, &grace, "Rust night", starts).await;
    let cancelled = meetup(&app, &grace, "Called off", starts).await;
    let withdrawn = meetup(&app, &grace, "Changed my mind", starts).await;
    for user in [&ada, &linus, &quiet] {
        going(&app, user, kept).await;
    }
    going(&app, &ada, cancelled).await;
    going(&app, &ada, withdrawn).await;
    assert_eq!(
        app.post_as(
            &format!("/api/v1/meetups/{cancelled}/cancel"),
            &grace.access_token
        )
        .await
        .status()
        .as_u16(),
        200
    );
    let response = app
        .call(
            Method::DELETE,
            &format!("/api/v1/meetups/{withdrawn}/rsvp"),
            Some(&ada.access_token),
            None,
        )
        .await;
    assert_eq!(response.status().as_u16(), 204);

    // 30 hours ahead: not yet. 23 hours ahead: Ada and Linus (Quiet chose no mail).
    assert_eq!(send(&app, now), 0);
    assert_eq!(send(&app, now + Duration::hours(7)), 2);
    let sent = reminders_sent(&app);
    let to: Vec<&str> = sent.iter().map(|(to, _)| to.as_str()).collect();
    assert_eq!(to, ["ada@example.com", "linus@example.com"]);
    let (_, ada_text) = &sent[0];
    assert!(ada_text.contains("Rust night"), "{ada_text}");
    assert!(ada_text.contains("(Europe/Berlin)"), "{ada_text}");
    assert!(
        ada_text.contains("(America/New_York) where you are"),
        "{ada_text}"
    );
    // Linus has no timezone: the meetup's alone.
    assert!(!sent[1].1.contains("where you are"), "{}", sent[1].1);
    assert!(sent[1].1.contains("https://forum.example/meetups/"));

    // Never twice for one start.
    assert_eq!(send(&app, now + Duration::hours(8)), 0);
    assert_eq!(send(&app, now + Duration::hours(29)), 0);

    // Moved later: reminded again, for the new start, when it comes near.
    let later = starts + Duration::hours(24);
    let moved = app
        .send_as(
            Method::PATCH,
            &format!("/api/v1/meetups/{kept}"),
            &grace.access_token,
            &json!({"starts_at": rfc3339(later), "ends_at": rfc3339(later + Duration::hours(2))}),
        )
        .await;
    assert_eq!(moved.status().as_u16(), 200, "{}", json(moved).await);
    assert_eq!(send(&app, now + Duration::hours(8)), 0);
    assert_eq!(send(&app, later - Duration::hours(23)), 2);
    assert_eq!(reminders_sent(&app).len(), 4);
    // Nothing ever for the cancelled meetup or the withdrawn RSVP.
    assert!(reminders_sent(&app)
        .iter()
        .all(|(_, text)| text.contains("Rust night")));
    // Once a meetup has started, nothing more.
    assert_eq!(send(&app, later + Duration::minutes(1)), 0);
}

#[tokio::test]
async fn workers_sending_reminders_at_once_send_each_once() {
    let app = spawn_app_with(|s| s.worker.enabled = false, Default::default()).await;
    let grace = a_member(&app, "grace").await;
    let now = Utc::now();
    let id = meetup(&app, &grace, "Busy night", now + Duration::hours(2)).await;
    let mut members: Vec<TestUser> = Vec::new();
    for n in 0..12 {
        members.push(a_member(&app, &format!("member{n}")).await);
    }
    for member in &members {
        going(&app, member, id).await;
    }
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let url = app.db.url.clone();
            std::thread::spawn(move || {
                use diesel::Connection;
                let mut conn = diesel::PgConnection::establish(&url).unwrap();
                reminders::send_due(&mut conn, BEFORE, now, "https://forum.example").unwrap()
            })
        })
        .collect();
    let sent: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(sent, 12);
    let mut to: Vec<String> = reminders_sent(&app).into_iter().map(|(to, _)| to).collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), 12);
    assert_eq!(reminders_sent(&app).len(), 12);
}

#[tokio::test]
async fn a_worker_stopped_halfway_leaves_nothing_half_done_and_the_next_run_sends_each_once() {
    let app = spawn_app_with(|s| s.worker.enabled = false, Default::default()).await;
    let grace = a_member(&app, "grace").await;
    let now = Utc::now();
    let id = meetup(&app, &grace, "Interrupted night", now + Duration::hours(3)).await;
    for n in 0..3 {
        let member = a_member(&app, &format!("guest{n}")).await;
        going(&app, &member, id).await;
    }
    // A run that dies before it commits (the worker killed mid-batch): its marks and its mail
    // go with it.
    {
        use diesel::Connection;
        let mut conn = app.conn();
        let outcome: Result<(), diesel::result::Error> = conn.transaction(|conn| {
            let sent = reminders::send_due(conn, BEFORE, now, "https://forum.example").unwrap();
            assert_eq!(sent, 3);
            Err(diesel::result::Error::RollbackTransaction)
        });
        assert!(outcome.is_err());
    }
    assert_eq!(reminders_sent(&app).len(), 0);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM meetup_rsvps WHERE reminded_for IS NOT NULL"),
        0
    );
    // The next run sends each once; another sends nothing.
    assert_eq!(send(&app, now), 3);
    assert_eq!(send(&app, now), 0);
    assert_eq!(reminders_sent(&app).len(), 3);
}
