//! A member's personal calendar feed: a secret URL, made, rotated and revoked, that calendar
//! apps read without signing in.

use icalendar::{Calendar, CalendarComponent, Component};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{assert_problem, json, spawn_app, TestApp, TestUser};
use crate::support::{a_meetup, a_member};

async fn meetup(app: &TestApp, by: &TestUser, title: &str, seats: i64, in_days: i64) -> i64 {
    a_meetup(app, by)
        .titled(title)
        .seats(seats)
        .in_days(in_days)
        .create()
        .await
}

async fn rsvp(app: &TestApp, user: &TestUser, id: i64) -> String {
    let response = app
        .call(
            Method::PUT,
            &format!("/api/v1/meetups/{id}/rsvp"),
            Some(&user.access_token),
            None,
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    json(response).await["status"].as_str().unwrap().to_string()
}

async fn new_feed(app: &TestApp, user: &TestUser) -> String {
    let response = app
        .post_as("/api/v1/users/me/calendar-feed", &user.access_token)
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let url = json(response).await["url"].as_str().unwrap().to_string();
    let (_, path) = url.split_once("/api/v1/").expect("an API URL");
    assert!(
        path.starts_with("calendar-feeds/") && path.ends_with(".ics"),
        "{url}"
    );
    format!("/api/v1/{path}")
}

/// The summaries of the events a feed holds, and their statuses.
async fn events(app: &TestApp, path: &str) -> Vec<(String, String)> {
    let response = app.get(path).await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let text = response.text().await.unwrap();
    let calendar: Calendar = text.parse().expect("a calendar a parser reads");
    let mut found: Vec<(String, String)> = calendar
        .components
        .iter()
        .filter_map(|component| match component {
            CalendarComponent::Event(event) => Some((
                event.get_summary().unwrap_or_default().to_string(),
                event
                    .property_value("STATUS")
                    .unwrap_or_default()
                    .to_string(),
            )),
            _ => None,
        })
        .collect();
    found.sort();
    found
}

#[tokio::test]
async fn a_personal_feed_lists_what_the_member_organises_or_goes_to_and_its_url_can_be_rotated_and_revoked(
) {
    let app = spawn_app().await;
    let ada = a_member(&app, "ada").await;
    let grace = a_member(&app, "grace").await;
    let moderator = app.staff("moderator", "moderator").await;
    let own = meetup(&app, &ada, "Ada's own meetup", 10, 3).await;
    let going = meetup(&app, &grace, "Going to this", 10, 5).await;
    let full = meetup(&app, &grace, "Only waitlisted here", 1, 6).await;
    let withdrawn = meetup(&app, &grace, "Withdrawn from this", 10, 7).await;
    let cancelled = meetup(&app, &grace, "Cancelled later", 10, 8).await;
    let hidden = meetup(&app, &grace, "Hidden by staff", 10, 9).await;
    meetup(&app, &grace, "Never answered", 10, 4).await;
    let _ = own;
    assert_eq!(rsvp(&app, &ada, going).await, "going");
    assert_eq!(rsvp(&app, &grace, full).await, "going");
    assert_eq!(rsvp(&app, &ada, full).await, "waitlisted");
    assert_eq!(rsvp(&app, &ada, withdrawn).await, "going");
    let response = app
        .call(
            Method::DELETE,
            &format!("/api/v1/meetups/{withdrawn}/rsvp"),
            Some(&ada.access_token),
            None,
        )
        .await;
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(rsvp(&app, &ada, cancelled).await, "going");
    assert_eq!(rsvp(&app, &ada, hidden).await, "going");
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
    assert_eq!(
        app.post_as(
            &format!("/api/v1/mod/meetups/{hidden}/hide"),
            &moderator.access_token
        )
        .await
        .status()
        .as_u16(),
        200
    );

    assert_problem(
        app.post_json("/api/v1/users/me/calendar-feed", &json!({}))
            .await,
        401,
        "unauthorized",
    )
    .await;
    let feed = new_feed(&app, &ada).await;
    assert_eq!(
        events(&app, &feed).await,
        [
            ("Ada's own meetup".to_string(), "CONFIRMED".to_string()),
            ("Cancelled later".to_string(), "CANCELLED".to_string()),
            ("Going to this".to_string(), "CONFIRMED".to_string()),
        ]
    );
    // The token is kept hashed only.
    let token = feed
        .trim_start_matches("/api/v1/calendar-feeds/")
        .trim_end_matches(".ics");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM calendar_feeds WHERE token_hash = '{token}'"
        )),
        0
    );
    // Without the .ics ending it is the same feed.
    assert_eq!(
        events(&app, &format!("/api/v1/calendar-feeds/{token}"))
            .await
            .len(),
        3
    );

    // Rotating: the old URL is gone, the new one works.
    let rotated = new_feed(&app, &ada).await;
    assert_ne!(rotated, feed);
    assert_problem(app.get(&feed).await, 404, "not_found").await;
    assert_eq!(events(&app, &rotated).await.len(), 3);
    // Revoking: gone, and revoking again is no error.
    for _ in 0..2 {
        let response = app
            .call(
                Method::DELETE,
                "/api/v1/users/me/calendar-feed",
                Some(&ada.access_token),
                None,
            )
            .await;
        assert_eq!(response.status().as_u16(), 204);
    }
    assert_problem(app.get(&rotated).await, 404, "not_found").await;
    assert_problem(
        app.get("/api/v1/calendar-feeds/made-up.ics").await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.call(Method::DELETE, "/api/v1/users/me/calendar-feed", None, None)
            .await,
        401,
        "unauthorized",
    )
    .await;
    // Each member's feed is their own.
    let graces = new_feed(&app, &grace).await;
    let theirs = events(&app, &graces).await;
    assert!(theirs.iter().any(|(title, _)| title == "Never answered"));
    assert!(!theirs.iter().any(|(title, _)| title == "Ada's own meetup"));
}

#[tokio::test]
async fn the_feed_carries_each_accepted_mentorships_check_in_day() {
    let app = spawn_app().await;
    let grace = a_member(&app, "grace").await;
    let ada = a_member(&app, "ada").await;
    let profile = json!({
        "headline": "Rust mentor", "bio": "", "skills": ["rust"], "languages": ["en"],
        "timezone": "UTC", "capacity": 3, "accepting_requests": true,
    });
    assert_eq!(
        app.send_as(
            Method::PUT,
            "/api/v1/mentors/me",
            &grace.access_token,
            &profile
        )
        .await
        .status()
        .as_u16(),
        200
    );
    let asked = app
        .send_as(
            Method::POST,
            "/api/v1/mentorship-requests",
            &ada.access_token,
            &json!({"mentor": "grace", "message": "Hi", "goals": "Learn"}),
        )
        .await;
    let id = json(asked).await["id"].as_i64().unwrap();
    assert_eq!(
        app.post_as(
            &format!("/api/v1/mentorship-requests/{id}/accept"),
            &grace.access_token
        )
        .await
        .status()
        .as_u16(),
        200
    );

    let feed = new_feed(&app, &ada).await;
    let text = app.get(&feed).await.text().await.unwrap();
    let calendar: Calendar = text.parse().unwrap();
    let day = (chrono::Utc::now() + chrono::Duration::days(30))
        .format("%Y%m%d")
        .to_string();
    let check_in = calendar
        .components
        .iter()
        .find_map(|component| match component {
            CalendarComponent::Event(event)
                if event.get_summary() == Some("Mentorship check-in with @grace") =>
            {
                Some(event)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no check-in day in {text}"));
    let start = check_in.properties().get("DTSTART").unwrap();
    assert_eq!(start.value(), day);
    assert_eq!(start.params().get("VALUE").map(|v| v.value()), Some("DATE"));
    assert!(check_in
        .get_uid()
        .unwrap()
        .starts_with(&format!("mentorship-{id}-check-in@")));
}
