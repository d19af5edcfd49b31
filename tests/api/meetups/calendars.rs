//! iCalendar files and feeds.

use super::*;

#[tokio::test]
async fn a_meetup_calendar_round_trips_across_a_clock_change() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let change = next_new_york_clock_change();
    let starts = change - Duration::hours(10);
    let ends = change + Duration::hours(10);
    let mut body = meetup_body("Overnight hackathon", 5);
    body["starts_at"] = json!(rfc3339(starts));
    body["ends_at"] = json!(rfc3339(ends));
    body["timezone"] = json!("America/New_York");
    body["online_url"] = json!("https://meet.example/hack");
    let id = app.meetup(&ada, &body).await;

    let path = format!("/api/v1/meetups/{id}/calendar.ics");
    let calendar = app.ics(&path).await;
    let events: Vec<_> = calendar
        .components
        .iter()
        .filter_map(|c| c.as_event())
        .collect();
    assert_eq!(events.len(), 1);
    let event = events[0];
    let uid = event.get_uid().expect("uid").to_string();
    assert!(uid.starts_with(&format!("meetup-{id}@")), "{uid}");
    assert_eq!(event.get_sequence(), Some(0));
    assert_eq!(event.get_summary(), Some("Overnight hackathon"));
    assert_eq!(tzid_of(event.get_start()), "America/New_York");
    assert_eq!(utc_of(event.get_start()), starts);
    assert_eq!(utc_of(event.get_end()), ends);
    assert_eq!(event.get_url(), Some("https://meet.example/hack"));
    let location = event.get_location().expect("location");
    assert!(
        location.contains("Hall 1") && location.contains("Berlin"),
        "{location}"
    );
    assert_eq!(event.get_status(), Some(EventStatus::Confirmed));
    // The zone the times refer to is defined, with the offsets on both sides of the change.
    let zone = calendar
        .components
        .iter()
        .find_map(|c| match c {
            icalendar::CalendarComponent::Other(other) if other.component_kind() == "VTIMEZONE" => {
                Some(other.clone())
            }
            _ => None,
        })
        .expect("VTIMEZONE");
    assert_eq!(zone.property_value("TZID"), Some("America/New_York"));
    let offsets: Vec<&str> = zone
        .components()
        .iter()
        .filter_map(|o| o.property_value("TZOFFSETTO"))
        .collect();
    assert!(
        offsets.contains(&"-0400") && offsets.contains(&"-0500"),
        "{offsets:?}"
    );

    // Every change bumps SEQUENCE; the UID stays; cancelling marks the event.
    app.patch_meetup(&ada, id, &json!({"title": "Overnight hack night"}))
        .await;
    app.cancel_meetup(&ada, id).await;
    let calendar = app.ics(&path).await;
    let event = calendar
        .components
        .iter()
        .find_map(|c| c.as_event())
        .expect("event");
    assert_eq!(event.get_uid(), Some(uid.as_str()));
    assert_eq!(event.get_sequence(), Some(2));
    assert_eq!(event.get_summary(), Some("Overnight hack night"));
    assert_eq!(event.get_status(), Some(EventStatus::Cancelled));

    assert_problem(
        app.get("/api/v1/meetups/424242/calendar.ics").await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn the_upcoming_feed_has_one_event_per_upcoming_meetup() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let first = app.meetup(&ada, &meetup_body("First feed meetup", 3)).await;
    let mut tokyo = meetup_body("Tokyo feed meetup", 4);
    tokyo["timezone"] = json!("Asia/Tokyo");
    let second = app.meetup(&ada, &tokyo).await;
    let over = app.meetup(&ada, &meetup_body("Past feed meetup", 1)).await;
    app.sql(&format!(
        "UPDATE meetups SET starts_at = now() - interval '3 hours', ends_at = now() - interval '1 hour' WHERE id = {over}"
    ));
    let calendar = app.ics("/api/v1/meetups/calendar.ics").await;
    let uids: Vec<String> = calendar
        .components
        .iter()
        .filter_map(|c| c.as_event())
        .map(|e| e.get_uid().expect("uid").to_string())
        .collect();
    assert_eq!(uids.len(), 2, "{uids:?}");
    assert!(uids[0].starts_with(&format!("meetup-{first}@")));
    assert!(uids[1].starts_with(&format!("meetup-{second}@")));
    let zones: Vec<String> = calendar
        .components
        .iter()
        .filter_map(|c| match c {
            icalendar::CalendarComponent::Other(o) if o.component_kind() == "VTIMEZONE" => {
                o.property_value("TZID").map(str::to_string)
            }
            _ => None,
        })
        .collect();
    assert_eq!(zones, ["Asia/Tokyo", "Europe/Berlin"]);
}
