//! Mentorship requests: asking, answering, capacity and who sees them.

use super::*;

#[tokio::test]
async fn a_request_is_pending_and_emails_the_mentor() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let ada = app.mentor("ada", 2, true).await;
    let bob = app.member("bob").await;
    app.sql(&format!(
        "UPDATE users SET display_name = 'Bob <b>Builder</b>' WHERE id = {}",
        bob.id
    ));
    let response = app.ask(&bob, "ada").await;
    assert_eq!(response.status().as_u16(), 201);
    let request = json(response).await;
    assert_eq!(request["status"], "pending");
    assert_eq!(request["mentor"]["username"], "ada");
    assert_eq!(request["mentee"]["username"], "bob");
    assert_eq!(request["message"], "Hi! I am learning Rust.");
    assert_eq!(request["goals"], "Write my first crate.");
    assert_eq!(request["reason"], Value::Null);
    let id = request["id"].as_i64().expect("id");

    let email = mail
        .wait_for_subject(&ada.email, "mentorship", MAIL_WAIT)
        .await;
    assert!(
        email.subject.contains("Bob <b>Builder</b> (@bob)"),
        "{}",
        email.subject
    );
    assert!(email.text.contains("Hi! I am learning Rust."));
    assert!(email.text.contains("Write my first crate."));
    assert!(email
        .text
        .contains(&format!("https://forum.example/mentorship-requests/{id}")));
    assert!(
        email.html.contains("Bob &lt;b&gt;Builder&lt;&#x2f;b&gt;"),
        "the HTML part escapes what members typed: {}",
        email.html
    );
}

#[tokio::test]
async fn one_open_request_per_pair_and_none_to_oneself() {
    let app = spawn_app().await;
    let ada = app.mentor("ada", 2, true).await;
    let bob = app.member("bob").await;
    let first = app.asked(&bob, &ada).await;
    assert_problem(app.ask(&bob, "ada").await, 409, "request_exists").await;

    // Accepted is still open; a declined one is not.
    assert_eq!(app.act(&ada, first, "accept").await.status().as_u16(), 200);
    assert_problem(app.ask(&bob, "ada").await, 409, "request_exists").await;
    assert_eq!(
        app.act(&bob, first, "complete").await.status().as_u16(),
        200
    );
    let second = app.asked(&bob, &ada).await;
    assert_eq!(
        app.act(&ada, second, "decline").await.status().as_u16(),
        200
    );
    app.asked(&bob, &ada).await;

    let to_self = app.ask(&ada, "ADA").await;
    let problem = assert_problem(to_self, 422, "validation_failed").await;
    assert!(problem["errors"]["mentor"].is_array(), "{problem}");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM mentorship_requests WHERE mentee_id = mentor_id"),
        0
    );
}

#[tokio::test]
async fn requests_to_mentors_who_are_closed_or_full_or_absent_are_refused() {
    let app = spawn_app().await;
    let full = app.mentor("full", 1, true).await;
    app.mentor("closed", 2, false).await;
    app.member("plain").await;
    let bob = app.member("bob").await;
    let cy = app.member("cyd").await;
    let id = app.asked(&cy, &full).await;
    assert_eq!(app.act(&full, id, "accept").await.status().as_u16(), 200);

    for mentor in ["full", "closed"] {
        let problem = assert_problem(app.ask(&bob, mentor).await, 422, "mentor_unavailable").await;
        assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    let suspended = app.mentor("away", 2, true).await;
    app.suspend(&suspended);
    assert_problem(app.ask(&bob, "away").await, 422, "mentor_unavailable").await;
    for absent in ["plain", "nobody"] {
        let problem = assert_problem(app.ask(&bob, absent).await, 422, "validation_failed").await;
        assert!(problem["errors"]["mentor"].is_array());
    }
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM mentorship_requests WHERE mentee_id = {}",
            bob.id
        )),
        0
    );
}

#[tokio::test]
async fn a_request_needs_every_field_a_verified_unsuspended_member_and_a_token() {
    let app = spawn_app().await;
    app.mentor("ada", 2, true).await;
    let bob = app.member("bob").await;
    let response = app
        .send_as(
            Method::POST,
            "/api/v1/mentorship-requests",
            &bob.access_token,
            &json!({"message": "  ", "extra": 1}),
        )
        .await;
    assert_problem(response, 422, "validation_failed").await;
    let response = app
        .send_as(
            Method::POST,
            "/api/v1/mentorship-requests",
            &bob.access_token,
            &json!({"message": " ", "goals": "x".repeat(2001)}),
        )
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    let fields: Vec<&str> = problem["errors"]
        .as_object()
        .expect("errors")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(fields, ["goals", "mentor", "message"]);

    let anonymous = app
        .post_json(
            "/api/v1/mentorship-requests",
            &json!({"mentor": "ada", "message": "hi", "goals": "g"}),
        )
        .await;
    assert_problem(anonymous, 401, "unauthorized").await;
    let unverified = app.signed_up("newbie").await;
    assert_problem(app.ask(&unverified, "ada").await, 403, "email_not_verified").await;
    let suspended = app.member("troll").await;
    app.suspend(&suspended);
    assert_problem(app.ask(&suspended, "ada").await, 403, "account_suspended").await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM mentorship_requests"),
        0
    );
}

#[tokio::test]
async fn accepting_emails_the_mentee_and_fills_a_place() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let ada = app.mentor("ada", 2, true).await;
    let bob = app.member("bob").await;
    let id = app.asked(&bob, &ada).await;
    let response = app
        .send_as(
            Method::POST,
            &format!("/api/v1/mentorship-requests/{id}/accept"),
            &ada.access_token,
            &json!({"reason": "Happy to help: let us meet on Monday."}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let accepted = json(response).await;
    assert_eq!(accepted["status"], "accepted");
    assert!(accepted["answered_at"].is_string());
    assert_eq!(accepted["reason"], "Happy to help: let us meet on Monday.");
    let mentor = json(app.get("/api/v1/mentors/ada").await).await;
    assert_eq!(mentor["active_mentees"], 1);

    let email = mail
        .wait_for_subject(&bob.email, "accepted", MAIL_WAIT)
        .await;
    assert!(email.subject.contains("@ada"), "{}", email.subject);
    assert!(email.text.contains("let us meet on Monday"));
    assert!(email
        .text
        .contains(&format!("https://forum.example/mentorship-requests/{id}")));

    // Completing frees the place again.
    let completed = json(app.act(&ada, id, "complete").await).await;
    assert_eq!(completed["status"], "completed");
    assert!(completed["completed_at"].is_string());
    let mentor = json(app.get("/api/v1/mentors/ada").await).await;
    assert_eq!(mentor["active_mentees"], 0);

    // Each party is told in the app of what the other did, never of their own steps.
    assert_eq!(app.inbox_kinds(&ada).await, ["mentorship_request"]);
    assert_eq!(
        app.inbox_kinds(&bob).await,
        ["mentorship_completed", "mentorship_accepted"]
    );
}

#[tokio::test]
async fn declining_emails_the_mentee_with_the_reason_if_given() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let ada = app.mentor("ada", 2, true).await;
    let bob = app.member("bob").await;
    let cy = app.member("cyd").await;

    let with_reason = app.asked(&bob, &ada).await;
    let response = app
        .send_as(
            Method::POST,
            &format!("/api/v1/mentorship-requests/{with_reason}/decline"),
            &ada.access_token,
            &json!({"reason": "I only mentor in Go this season."}),
        )
        .await;
    let declined = json(response).await;
    assert_eq!(declined["status"], "declined");
    assert_eq!(declined["reason"], "I only mentor in Go this season.");
    let email = mail
        .wait_for_subject(&bob.email, "declined", MAIL_WAIT)
        .await;
    assert!(email.text.contains("I only mentor in Go this season."));

    // No body at all is fine too.
    let without = app.asked(&cy, &ada).await;
    let declined = json(app.act(&ada, without, "decline").await).await;
    assert_eq!(declined["status"], "declined");
    assert_eq!(declined["reason"], Value::Null);
    let email = mail
        .wait_for_subject(&cy.email, "declined", MAIL_WAIT)
        .await;
    assert!(!email.text.contains("Their reason"), "{}", email.text);
}

#[tokio::test]
async fn only_the_right_participant_moves_a_request_and_only_along_the_lifecycle() {
    let app = spawn_app().await;
    let ada = app.mentor("ada", 3, true).await;
    let bob = app.member("bob").await;
    let moderator = app.staff("mod", "moderator").await;
    let stranger = app.member("eve").await;
    let id = app.asked(&bob, &ada).await;

    assert_problem(app.act(&bob, id, "accept").await, 403, "wrong_participant").await;
    assert_problem(app.act(&bob, id, "decline").await, 403, "wrong_participant").await;
    assert_problem(
        app.act(&ada, id, "withdraw").await,
        403,
        "wrong_participant",
    )
    .await;
    assert_problem(
        app.act(&moderator, id, "accept").await,
        403,
        "wrong_participant",
    )
    .await;
    for action in ["accept", "decline", "withdraw", "complete"] {
        assert_problem(app.act(&stranger, id, action).await, 404, "not_found").await;
        assert_problem(app.act(&ada, 999_999, action).await, 404, "not_found").await;
        let anonymous = app
            .client
            .post(app.url(&format!("/api/v1/mentorship-requests/{id}/{action}")))
            .send()
            .await
            .expect("request");
        assert_problem(anonymous, 401, "unauthorized").await;
    }
    // A pending request cannot be completed.
    assert_problem(
        app.act(&bob, id, "complete").await,
        409,
        "invalid_transition",
    )
    .await;

    assert_eq!(app.act(&ada, id, "accept").await.status().as_u16(), 200);
    for (who, action) in [(&ada, "accept"), (&ada, "decline"), (&bob, "withdraw")] {
        assert_problem(app.act(who, id, action).await, 409, "invalid_transition").await;
    }
    assert_eq!(app.act(&bob, id, "complete").await.status().as_u16(), 200);
    for (who, action) in [
        (&ada, "accept"),
        (&ada, "decline"),
        (&bob, "withdraw"),
        (&ada, "complete"),
    ] {
        assert_problem(app.act(who, id, action).await, 409, "invalid_transition").await;
    }

    let withdrawn = app.asked(&bob, &ada).await;
    let body = json(app.act(&bob, withdrawn, "withdraw").await).await;
    assert_eq!(body["status"], "withdrawn");
    assert_problem(
        app.act(&ada, withdrawn, "accept").await,
        409,
        "invalid_transition",
    )
    .await;

    // A suspended mentor cannot answer.
    let pending = app.asked(&bob, &ada).await;
    app.suspend(&ada);
    assert_problem(
        app.act(&ada, pending, "accept").await,
        403,
        "account_suspended",
    )
    .await;
}

#[tokio::test]
async fn answers_refuse_a_bad_reason_and_a_body_that_is_not_json() {
    let app = spawn_app().await;
    let ada = app.mentor("ada", 2, true).await;
    let bob = app.member("bob").await;
    let id = app.asked(&bob, &ada).await;
    let path = format!("/api/v1/mentorship-requests/{id}/decline");
    for bad in [
        json!({"reason": "x".repeat(1001)}),
        json!({"reason": 5}),
        json!({"because": "no"}),
    ] {
        let response = app
            .send_as(Method::POST, &path, &ada.access_token, &bad)
            .await;
        assert_problem(response, 422, "validation_failed").await;
    }
    let text = app
        .client
        .post(app.url(&path))
        .bearer_auth(&ada.access_token)
        .header("content-type", "text/plain")
        .body("no thanks")
        .send()
        .await
        .expect("request");
    assert_problem(text, 415, "unsupported_media_type").await;
    let broken = app
        .client
        .post(app.url(&path))
        .bearer_auth(&ada.access_token)
        .header("content-type", "application/json")
        .body("{\"reason\": ")
        .send()
        .await
        .expect("request");
    assert_problem(broken, 400, "malformed_json").await;
    let still = json(
        app.get_as(
            &format!("/api/v1/mentorship-requests/{id}"),
            &ada.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(still["status"], "pending");
}

#[tokio::test]
async fn accepting_never_exceeds_capacity_even_all_at_once() {
    let app = spawn_app().await;
    let ada = app.mentor("ada", 1, true).await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let mentee = app.member(&format!("mentee{i}")).await;
        ids.push(app.asked(&mentee, &ada).await);
    }
    let answers =
        futures_util::future::join_all(ids.iter().map(|id| app.act(&ada, *id, "accept"))).await;
    let mut accepted = 0;
    for response in answers {
        match response.status().as_u16() {
            200 => accepted += 1,
            _ => {
                assert_problem(response, 422, "mentor_unavailable").await;
            }
        }
    }
    assert_eq!(accepted, 1);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM mentorship_requests WHERE status = 'accepted'"),
        1
    );
    let mentor = json(app.get("/api/v1/mentors/ada").await).await;
    assert_eq!(mentor["active_mentees"], 1);
    assert_eq!(mentor["accepting_requests"], false);

    // Raising the capacity opens a place for one more, and only one.
    let response = app.put_profile(&ada, &profile(2, true)).await;
    assert_eq!(response.status().as_u16(), 200);
    let answers =
        futures_util::future::join_all(ids.iter().map(|id| app.act(&ada, *id, "accept"))).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        app.count("SELECT active_mentees::bigint AS n FROM mentor_profiles"),
        2
    );
}

#[tokio::test]
async fn a_request_is_seen_by_its_participants_and_moderators_only() {
    let app = spawn_app().await;
    let ada = app.mentor("ada", 2, true).await;
    let bob = app.member("bob").await;
    let eve = app.member("eve").await;
    let moderator = app.staff("mod", "moderator").await;
    let id = app.asked(&bob, &ada).await;
    let path = format!("/api/v1/mentorship-requests/{id}");
    for viewer in [&ada, &bob, &moderator] {
        let response = app.get_as(&path, &viewer.access_token).await;
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(json(response).await["id"], id);
    }
    assert_problem(app.get_as(&path, &eve.access_token).await, 404, "not_found").await;
    assert_problem(app.get(&path).await, 401, "unauthorized").await;
    assert_problem(
        app.get_as("/api/v1/mentorship-requests/424242", &ada.access_token)
            .await,
        404,
        "not_found",
    )
    .await;
    let not_an_id = app
        .get_as("/api/v1/mentorship-requests/abc", &ada.access_token)
        .await;
    assert!(not_an_id.status().is_client_error());
}

#[tokio::test]
async fn each_member_lists_their_own_requests_by_role_and_status() {
    let app = spawn_app().await;
    let ada = app.mentor("ada", 5, true).await;
    let bob = app.mentor("bob", 5, true).await;
    let cy = app.member("cyd").await;
    let eve = app.member("eve").await;
    let to_ada = app.asked(&bob, &ada).await; // bob asks ada
    let cy_to_ada = app.asked(&cy, &ada).await;
    let ada_to_bob = app.asked(&ada, &bob).await; // ada asks bob
    app.asked(&eve, &bob).await; // not ada's business
    assert_eq!(
        app.act(&ada, cy_to_ada, "accept").await.status().as_u16(),
        200
    );

    let ids = |body: &Value| -> Vec<i64> {
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|r| r["id"].as_i64().expect("id"))
            .collect()
    };
    let list = |query: &'static str| {
        let app = &app;
        let token = ada.access_token.clone();
        async move {
            let response = app
                .get_as(&format!("/api/v1/mentorship-requests{query}"), &token)
                .await;
            assert_eq!(response.status().as_u16(), 200, "{query}");
            json(response).await
        }
    };
    assert_eq!(ids(&list("").await), [ada_to_bob, cy_to_ada, to_ada]);
    assert_eq!(ids(&list("?role=mentor").await), [cy_to_ada, to_ada]);
    assert_eq!(ids(&list("?role=mentee").await), [ada_to_bob]);
    assert_eq!(
        ids(&list("?role=mentor&status=accepted").await),
        [cy_to_ada]
    );
    assert_eq!(ids(&list("?status=pending").await), [ada_to_bob, to_ada]);
    assert_eq!(ids(&list("?status=completed").await), Vec::<i64>::new());

    let first = list("?limit=2").await;
    assert_eq!(ids(&first), [ada_to_bob, cy_to_ada]);
    let cursor = first["next_cursor"].as_str().expect("cursor").to_string();
    let rest = json(
        app.get_as(
            &format!("/api/v1/mentorship-requests?limit=2&cursor={cursor}"),
            &ada.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(ids(&rest), [to_ada]);
    assert_eq!(rest["next_cursor"], Value::Null);

    for (query, status, code) in [
        ("role=owner", 400, "invalid_query"),
        ("status=open", 400, "invalid_query"),
        ("limit=0", 422, "validation_failed"),
        ("cursor=nope", 400, "invalid_cursor"),
    ] {
        let response = app
            .get_as(
                &format!("/api/v1/mentorship-requests?{query}"),
                &ada.access_token,
            )
            .await;
        assert_problem(response, status, code).await;
    }
    assert_problem(
        app.get("/api/v1/mentorship-requests").await,
        401,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn a_stored_status_the_code_does_not_know_is_an_error_not_a_default() {
    // The CHECK constraint keeps unknown states out; were one to get in (a migration gone
    // wrong, a hand edit), reading it must fail loudly, never pass for `pending`.
    let app = spawn_app().await;
    let ada = app.mentor("ada", 2, true).await;
    let bob = app.member("bob").await;
    let id = app.asked(&bob, &ada).await;
    app.sql("ALTER TABLE mentorship_requests DROP CONSTRAINT mentorship_requests_status_check");
    app.sql(&format!(
        "UPDATE mentorship_requests SET status = 'archived' WHERE id = {id}"
    ));
    let path = format!("/api/v1/mentorship-requests/{id}");
    let response = app.get_as(&path, &bob.access_token).await;
    assert_eq!(response.status().as_u16(), 500);
    let problem = json(response).await;
    assert_eq!(problem["code"], "internal_error", "{problem}");
    assert!(
        !problem.to_string().contains("pending"),
        "no state was made up: {problem}"
    );
}
