//! Seats, the waitlist, and RSVPs under concurrency.

use super::*;

#[tokio::test]
async fn seats_fill_then_the_waitlist_and_rsvps_are_idempotent() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let mut body = meetup_body("Small Rust meetup", 5);
    body["capacity"] = json!(2);
    let id = app.meetup(&ada, &body).await;
    let mut answers = Vec::new();
    for name in ["bob", "cyd", "dee", "eve"] {
        let member = app.member(name).await;
        let response = app.rsvp(&member, id).await;
        assert_eq!(response.status().as_u16(), 200);
        let answer: RsvpView = read_as(response).await;
        answers.push((member, answer));
    }
    let statuses: Vec<RsvpStatus> = answers.iter().map(|(_, a)| a.status).collect();
    use RsvpStatus::{Going, Waitlisted};
    assert_eq!(statuses, [Going, Going, Waitlisted, Waitlisted]);
    assert_eq!(answers[2].1.waitlist_position, Some(1));
    assert_eq!(answers[3].1.waitlist_position, Some(2));

    // Asking again changes nothing.
    let again: RsvpView = read_as(app.rsvp(&answers[0].0, id).await).await;
    assert_eq!(again.status, Going);
    let again: RsvpView = read_as(app.rsvp(&answers[3].0, id).await).await;
    assert_eq!(again.status, Waitlisted);
    let meetup: MeetupView = read_as(
        app.get_as(&format!("/api/v1/meetups/{id}"), &answers[3].0.access_token)
            .await,
    )
    .await;
    assert_eq!((meetup.going_count, meetup.waitlist_count), (2, 2));
    assert_eq!(meetup.my_rsvp, Some(Some(Waitlisted)));
    assert_eq!(meetup.my_waitlist_position, Some(2));

    let (going, waitlisted) = app.attendee_names(&ada, id).await;
    assert_eq!(going, ["bob", "cyd"]);
    assert_eq!(waitlisted, ["dee", "eve"]);

    // A waitlisted member leaving frees no seat; withdrawing twice is fine.
    assert_eq!(app.unrsvp(&answers[3].0, id).await.status().as_u16(), 204);
    assert_eq!(app.unrsvp(&answers[3].0, id).await.status().as_u16(), 204);
    let (going, waitlisted) = app.attendee_names(&ada, id).await;
    assert_eq!(going, ["bob", "cyd"]);
    assert_eq!(waitlisted, ["dee"]);

    assert_problem(app.rsvp(&ada, 424242).await, 404, "not_found").await;
    assert_problem(app.unrsvp(&ada, 424242).await, 404, "not_found").await;
    let anonymous = app
        .client
        .put(app.url(&format!("/api/v1/meetups/{id}/rsvp")))
        .send()
        .await
        .expect("request");
    assert_problem(anonymous, 401, "unauthorized").await;
    let anonymous = app
        .client
        .delete(app.url(&format!("/api/v1/meetups/{id}/rsvp")))
        .send()
        .await
        .expect("request");
    assert_problem(anonymous, 401, "unauthorized").await;
    assert_problem(
        app.get("/api/v1/meetups/abc/calendar.ics").await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn a_freed_seat_goes_to_the_first_waitlisted_member_who_is_emailed() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let ada = app.member("ada").await;
    let mut body = meetup_body("Tiny Rust meetup", 5);
    body["capacity"] = json!(1);
    let id = app.meetup(&ada, &body).await;
    let bob = app.member("bob").await;
    let cyd = app.member("cyd").await;
    let dee = app.member("dee").await;
    for member in [&bob, &cyd, &dee] {
        assert_eq!(app.rsvp(member, id).await.status().as_u16(), 200);
    }
    assert_eq!(app.unrsvp(&bob, id).await.status().as_u16(), 204);
    let (going, waitlisted) = app.attendee_names(&ada, id).await;
    assert_eq!(going, ["cyd"]);
    assert_eq!(waitlisted, ["dee"]);
    let email = mail
        .wait_for_subject(&cyd.email, "You have a seat", MAIL_WAIT)
        .await;
    assert!(email.subject.contains("Tiny Rust meetup"));
    assert!(email
        .text
        .contains(&format!("https://forum.example/meetups/{id}")));
    assert!(email.text.contains("Hall 1"), "{}", email.text);

    // Raising the capacity seats the waitlist at once.
    let raised = json(app.patch_meetup(&ada, id, &json!({"capacity": 5})).await).await;
    assert_eq!(raised["going_count"], 2);
    assert_eq!(raised["waitlist_count"], 0);
    mail.wait_for_subject(&dee.email, "You have a seat", MAIL_WAIT)
        .await;
    assert_eq!(app.inbox_kinds(&cyd).await, ["meetup_seat"]);
    assert_eq!(app.inbox_kinds(&dee).await, ["meetup_seat"]);
    assert!(app.inbox_kinds(&bob).await.is_empty());
}

#[tokio::test]
async fn fifty_simultaneous_rsvps_for_five_seats_leave_five_going_and_forty_five_in_line() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let mut body = meetup_body("Popular Rust meetup", 5);
    body["capacity"] = json!(5);
    let id = app.meetup(&ada, &body).await;
    let mut members = Vec::new();
    for i in 0..50 {
        members.push(app.member(&format!("fan{i:02}")).await);
    }
    let answers = futures_util::future::join_all(members.iter().map(|m| app.rsvp(m, id))).await;
    let mut going = Vec::new();
    let mut positions = Vec::new();
    for (member, response) in members.iter().zip(answers) {
        assert_eq!(response.status().as_u16(), 200);
        let answer = json(response).await;
        match answer["status"].as_str() {
            Some("going") => going.push(member.username.clone()),
            Some("waitlisted") => {
                positions.push(answer["waitlist_position"].as_i64().expect("position"))
            }
            other => panic!("unexpected status {other:?}"),
        }
    }
    assert_eq!(going.len(), 5);
    positions.sort_unstable();
    assert_eq!(positions, (1..=45).collect::<Vec<i64>>());

    let (listed_going, listed_waiting) = app.attendee_names(&ada, id).await;
    let mut sorted_going = going.clone();
    sorted_going.sort();
    let mut listed_sorted = listed_going.clone();
    listed_sorted.sort();
    assert_eq!(listed_sorted, sorted_going);
    assert_eq!(listed_waiting.len(), 45);
    // Seats went to the first five to arrive; the line is in arrival order.
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM meetup_rsvps g, meetup_rsvps w \
             WHERE g.meetup_id = {id} AND w.meetup_id = {id} \
               AND g.status = 'going' AND w.status = 'waitlisted' AND g.id > w.id"
        )),
        0
    );
    let meetup: MeetupView = read_as(app.get(&format!("/api/v1/meetups/{id}")).await).await;
    assert_eq!((meetup.going_count, meetup.waitlist_count), (5, 45));
}

#[tokio::test]
async fn simultaneous_withdrawals_and_rsvps_keep_the_count_right() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let mut body = meetup_body("Busy Rust meetup", 5);
    body["capacity"] = json!(5);
    let id = app.meetup(&ada, &body).await;
    let mut first = Vec::new();
    for i in 0..10 {
        let member = app.member(&format!("early{i}")).await;
        assert_eq!(app.rsvp(&member, id).await.status().as_u16(), 200);
        first.push(member);
    }
    let mut newcomers = Vec::new();
    for i in 0..6 {
        newcomers.push(app.member(&format!("late{i}")).await);
    }
    // Three going members leave while six newcomers arrive, all at once.
    let leaving = futures_util::future::join_all(first[..3].iter().map(|m| app.unrsvp(m, id)));
    let arriving = futures_util::future::join_all(newcomers.iter().map(|m| app.rsvp(m, id)));
    let (left, arrived) = tokio::join!(leaving, arriving);
    assert!(left.iter().all(|r| r.status().as_u16() == 204));
    assert!(arrived.iter().all(|r| r.status().as_u16() == 200));

    let meetup: MeetupView = read_as(app.get(&format!("/api/v1/meetups/{id}")).await).await;
    assert_eq!(
        (meetup.going_count, meetup.waitlist_count),
        (5, 8),
        "{meetup:?}"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM meetup_rsvps WHERE meetup_id = {id} AND status = 'going'"
        )),
        5
    );
    // The three freed seats went to the first three who were waiting before the rush.
    let (going, _) = app.attendee_names(&ada, id).await;
    for promoted in ["early5", "early6", "early7"] {
        assert!(going.contains(&promoted.to_string()), "{going:?}");
    }
}

#[tokio::test]
async fn rsvps_close_when_the_meetup_starts() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let id = app
        .meetup(&ada, &meetup_body("Ongoing Rust meetup", 5))
        .await;
    app.rsvp(&bob, id).await;
    app.sql(&format!(
        "UPDATE meetups SET starts_at = now() - interval '1 hour', ends_at = now() + interval '1 hour' WHERE id = {id}"
    ));
    let eve = app.member("eve").await;
    assert_problem(app.rsvp(&eve, id).await, 409, "meetup_past").await;
    assert_problem(app.unrsvp(&bob, id).await, 409, "meetup_past").await;
    // Bob's RSVP stands, and asking again still answers it.
    assert_eq!(json(app.rsvp(&bob, id).await).await["status"], "going");
}
