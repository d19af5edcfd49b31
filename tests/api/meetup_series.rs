//! Recurring meetups: a series makes its occurrences a few ahead, each a meetup with its own
//! RSVPs; edits and cancellations for "this and following"; the wall-clock time holds across
//! a daylight-saving change; bad rules are refused. Time is passed as `now`.

use chrono::{DateTime, Duration, TimeZone, Utc};
use icalendar::{Calendar, CalendarComponent, Component};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, json, spawn_app, TestApp, TestUser};

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Tuesday 9 March 2027, 18:00 in Berlin (UTC+1); Berlin moves to UTC+2 on 28 March.
fn first_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 9, 17, 0, 0).unwrap()
}

fn body(recurrence: Value) -> Value {
    json!({
        "title": "Rust evening",
        "description": "Talks, then pizza.",
        "starts_at": rfc3339(first_start()),
        "ends_at": rfc3339(first_start() + Duration::hours(2)),
        "timezone": "Europe/Berlin",
        "venue": {"name": "Hall", "address": "Main St 1", "city": "Berlin", "country": "DE"},
        "capacity": 2,
        "tags": ["rust"],
        "recurrence": recurrence,
    })
}

async fn series(app: &TestApp, organizer: &TestUser) -> Value {
    let response = app
        .send_as(
            Method::POST,
            "/api/v1/meetups",
            &organizer.access_token,
            &body(json!({"freq": "weekly", "count": 10})),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    json(response).await
}

/// The series' occurrences as the listing shows them: (id, start, status).
async fn occurrences(app: &TestApp, series_id: i64) -> Vec<(i64, String, String)> {
    let listed = json(
        app.get(&format!(
            "/api/v1/meetups?from={}&include_cancelled=true&limit=50",
            rfc3339(first_start() - Duration::days(1))
        ))
        .await,
    )
    .await;
    listed["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{listed}"))
        .iter()
        .filter(|m| m["series_id"] == series_id)
        .map(|m| {
            (
                m["id"].as_i64().unwrap(),
                m["starts_at"].as_str().unwrap().to_string(),
                m["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_weekly_series_makes_its_next_occurrences_each_with_its_own_rsvps_at_the_same_local_time()
{
    let app = spawn_app().await;
    let grace = app.member("grace").await;
    let ada = app.member("ada").await;
    let first = series(&app, &grace).await;
    let series_id = first["series_id"].as_i64().expect("a series id");
    assert_eq!(first["starts_at"], rfc3339(first_start()));

    let made = occurrences(&app, series_id).await;
    assert_eq!(made.len(), 8, "{made:?}");
    let starts: Vec<&str> = made.iter().map(|(_, start, _)| start.as_str()).collect();
    // 18:00 in Berlin each week: 17:00 UTC in winter time, 16:00 UTC from 28 March.
    assert_eq!(
        starts,
        [
            "2027-03-09T17:00:00Z",
            "2027-03-16T17:00:00Z",
            "2027-03-23T17:00:00Z",
            "2027-03-30T16:00:00Z",
            "2027-04-06T16:00:00Z",
            "2027-04-13T16:00:00Z",
            "2027-04-20T16:00:00Z",
            "2027-04-27T16:00:00Z",
        ]
    );

    // RSVPs are per occurrence.
    let second = made[1].0;
    let response = app
        .call(
            Method::PUT,
            &format!("/api/v1/meetups/{second}/rsvp"),
            Some(&ada.access_token),
            None,
        )
        .await;
    assert_eq!(json(response).await["status"], "going");
    let shown = json(app.get(&format!("/api/v1/meetups/{second}")).await).await;
    assert_eq!(shown["going_count"], 1);
    assert_eq!(shown["series_id"], series_id);
    let third = json(app.get(&format!("/api/v1/meetups/{}", made[2].0)).await).await;
    assert_eq!(third["going_count"], 0);

    // The feed: one VEVENT per occurrence, each 18:00 in its zone, read by a real parser.
    let text = app
        .get("/api/v1/meetups/calendar.ics")
        .await
        .text()
        .await
        .unwrap();
    let calendar: Calendar = text.parse().unwrap();
    let events: Vec<_> = calendar
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .filter(|e| e.get_summary() == Some("Rust evening"))
        .collect();
    assert_eq!(events.len(), 8);
    let mut uids: Vec<&str> = events.iter().filter_map(|e| e.get_uid()).collect();
    uids.sort_unstable();
    uids.dedup();
    assert_eq!(uids.len(), 8);
    for event in &events {
        let start = event.properties().get("DTSTART").expect("DTSTART");
        assert!(start.value().ends_with("T180000"), "{start:?}");
        assert_eq!(
            start.params().get("TZID").map(|p| p.value()),
            Some("Europe/Berlin")
        );
    }

    // As time goes by the series is topped up to its count, then ends.
    let later = Utc.with_ymd_and_hms(2027, 3, 24, 0, 0, 0).unwrap();
    let topped = devforum::meetups::service::extend_series(&mut app.conn(), later).unwrap();
    assert_eq!(topped, 2);
    assert_eq!(occurrences(&app, series_id).await.len(), 10);
    let much_later = Utc.with_ymd_and_hms(2027, 6, 1, 0, 0, 0).unwrap();
    assert_eq!(
        devforum::meetups::service::extend_series(&mut app.conn(), much_later).unwrap(),
        0
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM meetup_series WHERE ended_at IS NOT NULL"),
        1
    );
}

#[tokio::test]
async fn this_and_following_edits_move_later_occurrences_and_cancelling_following_ends_the_series()
{
    let app = spawn_app().await;
    let grace = app.member("grace").await;
    let stranger = app.member("stranger").await;
    let first = series(&app, &grace).await;
    let series_id = first["series_id"].as_i64().unwrap();
    let made = occurrences(&app, series_id).await;
    let fourth = made[3].0;

    // 19:00 instead of 18:00 from the fourth on (30 March, summer time: 17:00 UTC).
    let new_start = Utc.with_ymd_and_hms(2027, 3, 30, 17, 0, 0).unwrap();
    let change = json!({"starts_at": rfc3339(new_start), "ends_at": rfc3339(new_start + Duration::hours(2)), "title": "Rust evening, later"});
    let path = format!("/api/v1/meetups/{fourth}?scope=following");
    assert_problem(
        app.send_as(Method::PATCH, &path, &stranger.access_token, &change)
            .await,
        403,
        "not_organizer",
    )
    .await;
    let response = app
        .send_as(Method::PATCH, &path, &grace.access_token, &change)
        .await;
    assert_eq!(response.status().as_u16(), 200, "{}", json(response).await);
    let moved = occurrences(&app, series_id).await;
    let starts: Vec<&str> = moved.iter().map(|(_, start, _)| start.as_str()).collect();
    assert_eq!(
        &starts[..3],
        [
            "2027-03-09T17:00:00Z",
            "2027-03-16T17:00:00Z",
            "2027-03-23T17:00:00Z"
        ]
    );
    assert_eq!(
        &starts[3..],
        [
            "2027-03-30T17:00:00Z",
            "2027-04-06T17:00:00Z",
            "2027-04-13T17:00:00Z",
            "2027-04-20T17:00:00Z",
            "2027-04-27T17:00:00Z"
        ]
    );
    let fifth = json(app.get(&format!("/api/v1/meetups/{}", moved[4].0)).await).await;
    assert_eq!(fifth["title"], "Rust evening, later");
    let second = json(app.get(&format!("/api/v1/meetups/{}", moved[1].0)).await).await;
    assert_eq!(second["title"], "Rust evening");
    // Occurrences made later keep the new time and title.
    devforum::meetups::service::extend_series(
        &mut app.conn(),
        Utc.with_ymd_and_hms(2027, 3, 24, 0, 0, 0).unwrap(),
    )
    .unwrap();
    let topped = occurrences(&app, series_id).await;
    assert_eq!(topped.len(), 10);
    assert_eq!(topped[9].1, "2027-05-11T17:00:00Z");

    // Another day for the whole rest is refused; so is "following" for a one-off.
    let other_day = Utc.with_ymd_and_hms(2027, 3, 31, 17, 0, 0).unwrap();
    assert_problem(
        app.send_as(Method::PATCH, &path, &grace.access_token, &json!({"starts_at": rfc3339(other_day), "ends_at": rfc3339(other_day + Duration::hours(2))})).await,
        422,
        "validation_failed",
    )
    .await;
    let mut one_off = body(Value::Null);
    one_off.as_object_mut().unwrap().remove("recurrence");
    let one_off = json(
        app.send_as(
            Method::POST,
            "/api/v1/meetups",
            &grace.access_token,
            &one_off,
        )
        .await,
    )
    .await;
    assert!(one_off["series_id"].is_null());
    assert_problem(
        app.post_as(
            &format!("/api/v1/meetups/{}/cancel?scope=following", one_off["id"]),
            &grace.access_token,
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.post_as(
            &format!("/api/v1/meetups/{fourth}/cancel?scope=sometimes"),
            &grace.access_token,
        )
        .await,
        400,
        "invalid_query",
    )
    .await;

    // Cancelling the sixth and following: the first five stay, the series makes no more.
    let sixth = topped[5].0;
    let response = app
        .post_as(
            &format!("/api/v1/meetups/{sixth}/cancel?scope=following"),
            &grace.access_token,
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let statuses: Vec<String> = occurrences(&app, series_id)
        .await
        .into_iter()
        .map(|(_, _, s)| s)
        .collect();
    assert_eq!(&statuses[..5], ["scheduled"; 5]);
    assert!(
        statuses[5..].iter().all(|s| *s == "cancelled"),
        "{statuses:?}"
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM meetup_series WHERE ended_at IS NOT NULL"),
        1
    );
}

#[tokio::test]
async fn bad_rules_are_refused_and_name_their_field() {
    let app = spawn_app().await;
    let grace = app.member("grace").await;
    app.assert_refusals(
        Method::POST,
        "/api/v1/meetups",
        Some(&grace.access_token),
        &[
            (
                Some(body(json!({"freq": "weekly", "count": 10000}))),
                422,
                "validation_failed",
                Some("recurrence.count"),
            ),
            (
                Some(body(json!({"freq": "weekly"}))),
                422,
                "validation_failed",
                Some("recurrence.count"),
            ),
            (
                Some(body(
                    json!({"freq": "weekly", "until": "2027-01-01T00:00:00Z"}),
                )),
                422,
                "validation_failed",
                Some("recurrence.until"),
            ),
            (
                Some(body(
                    json!({"freq": "weekly", "until": "2099-01-01T00:00:00Z"}),
                )),
                422,
                "validation_failed",
                Some("recurrence.until"),
            ),
            (
                Some(body(
                    json!({"freq": "weekly", "count": 3, "by_weekday": ["fr"]}),
                )),
                422,
                "validation_failed",
                Some("recurrence.by_weekday"),
            ),
            (
                Some(body(
                    json!({"freq": "monthly", "count": 3, "by_month_day": 12}),
                )),
                422,
                "validation_failed",
                Some("recurrence.by_month_day"),
            ),
            (
                Some(body(json!({"freq": "weekly", "count": 3, "interval": 0}))),
                422,
                "validation_failed",
                Some("recurrence.interval"),
            ),
            (
                Some(body(json!({"freq": "daily", "count": 3}))),
                422,
                "validation_failed",
                None,
            ),
        ],
    )
    .await;
    assert_eq!(app.count("SELECT count(*) AS n FROM meetups"), 0);
    assert_eq!(app.count("SELECT count(*) AS n FROM meetup_series"), 0);
}
