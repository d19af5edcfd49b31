//! Reports: who may file them, the queue, and hiding by weight.

use super::*;

#[tokio::test]
async fn members_report_once_per_target_and_only_what_they_can_see() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let moderator = app.staff("mod", "moderator").await;
    let thread = app.create_thread(&ada, "Suspicious offer", &[]).await;
    let response = app
        .call(
            Method::POST,
            "/api/v1/reports",
            Some(&bob.access_token),
            Some(&json!({"target_type": "thread", "target_id": thread, "reason": "spam", "details": "Selling watches"})),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let report = json(response).await;
    assert_eq!(report["status"], "open");
    assert_eq!(report["reporter"], "bob");
    assert_eq!(report["open_reports"], 1);
    assert_problem(
        app.report(&bob, "thread", thread).await,
        409,
        "report_exists",
    )
    .await;
    assert_eq!(
        app.report(&bob, "user", ada.id).await.status().as_u16(),
        201
    );

    // Missing or invisible targets cannot be reported.
    assert_problem(app.report(&bob, "thread", 999_999).await, 404, "not_found").await;
    assert_problem(app.report(&bob, "user", 999_999).await, 404, "not_found").await;
    let hidden = app.create_thread(&ada, "Already hidden one", &[]).await;
    app.moderate(&moderator, &format!("/api/v1/mod/threads/{hidden}/hide"))
        .await;
    assert_problem(app.report(&bob, "thread", hidden).await, 404, "not_found").await;

    for bad in [
        json!({"target_type": "post", "target_id": thread, "reason": "spam"}),
        json!({"target_type": "thread", "target_id": thread, "reason": "boring"}),
        json!({"target_type": "thread", "target_id": "x", "reason": "spam"}),
        json!({"target_type": "thread", "target_id": thread, "reason": "spam", "details": "x".repeat(2001)}),
    ] {
        let response = app
            .call(
                Method::POST,
                "/api/v1/reports",
                Some(&bob.access_token),
                Some(&bad),
            )
            .await;
        assert_problem(response, 422, "validation_failed").await;
    }
    let unverified = app.signed_up("newbie").await;
    assert_problem(
        app.report(&unverified, "thread", thread).await,
        403,
        "email_not_verified",
    )
    .await;
}

#[tokio::test]
async fn the_queue_shows_reports_oldest_first_with_their_targets_and_resolving_hides() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let cyd = app.member("cyd").await;
    let moderator = app.staff("mod", "moderator").await;
    let thread = app.create_thread(&ada, "Buy cheap watches", &[]).await;
    let other = app.create_thread(&ada, "Honest question", &[]).await;
    let first = json(app.report(&bob, "thread", thread).await).await["id"]
        .as_i64()
        .expect("id");
    let second = json(app.report(&cyd, "thread", thread).await).await["id"]
        .as_i64()
        .expect("id");
    let third = json(app.report(&bob, "thread", other).await).await["id"]
        .as_i64()
        .expect("id");

    let queue = json(
        app.get_as("/api/v1/mod/reports", &moderator.access_token)
            .await,
    )
    .await;
    let ids: Vec<i64> = queue["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, [first, second, third]);
    assert_eq!(queue["items"][0]["open_reports"], 2);
    assert_eq!(queue["items"][0]["target"]["title"], "Buy cheap watches");
    let page = json(
        app.get_as("/api/v1/mod/reports?limit=2", &moderator.access_token)
            .await,
    )
    .await;
    let cursor = page["next_cursor"].as_str().expect("cursor").to_string();
    let rest = json(
        app.get_as(
            &format!("/api/v1/mod/reports?limit=2&cursor={cursor}"),
            &moderator.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(rest["items"][0]["id"], third);

    let response = app
        .call(
            Method::POST,
            &format!("/api/v1/mod/reports/{first}/resolve"),
            Some(&moderator.access_token),
            Some(&json!({"action": "hide", "note": "Spam, hidden"})),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let resolved = json(response).await;
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["action"], "hide");
    assert_eq!(resolved["handled_by"], "mod");
    assert_eq!(resolved["target"]["hidden"], true);
    // The other report of the same target was resolved with it.
    let open = json(
        app.get_as("/api/v1/mod/reports", &moderator.access_token)
            .await,
    )
    .await;
    let open_ids: Vec<i64> = open["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(open_ids, [third]);
    let closed = json(
        app.get_as(
            "/api/v1/mod/reports?status=resolved",
            &moderator.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(closed["items"].as_array().map(Vec::len), Some(2));
    let email = mail.wait_for_subject(&ada.email, "hidden", MAIL_WAIT).await;
    assert!(
        email.text.contains("Buy cheap watches") && email.text.contains("Spam, hidden"),
        "{}",
        email.text
    );
    assert_problem(
        app.get(&format!("/api/v1/threads/{thread}")).await,
        404,
        "not_found",
    )
    .await;

    assert_problem(
        app.call(
            Method::POST,
            &format!("/api/v1/mod/reports/{second}/resolve"),
            Some(&moderator.access_token),
            Some(&json!({"action": "none"})),
        )
        .await,
        409,
        "report_closed",
    )
    .await;
    let dismissed = json(
        app.call(
            Method::POST,
            &format!("/api/v1/mod/reports/{third}/dismiss"),
            Some(&moderator.access_token),
            Some(&json!({"note": "Fine"})),
        )
        .await,
    )
    .await;
    assert_eq!(dismissed["status"], "dismissed");
    assert_problem(
        app.moderate(&moderator, &format!("/api/v1/mod/reports/{third}/dismiss"))
            .await,
        409,
        "report_closed",
    )
    .await;
    // A closed report lets its reporter report again.
    assert_eq!(
        app.report(&bob, "thread", other).await.status().as_u16(),
        201
    );

    let user_report = json(app.report(&bob, "user", ada.id).await).await["id"]
        .as_i64()
        .expect("id");
    assert_problem(
        app.call(
            Method::POST,
            &format!("/api/v1/mod/reports/{user_report}/resolve"),
            Some(&moderator.access_token),
            Some(&json!({"action": "hide"})),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.call(
            Method::POST,
            &format!("/api/v1/mod/reports/{user_report}/resolve"),
            Some(&moderator.access_token),
            Some(&json!({"action": "delete"})),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get_as("/api/v1/mod/reports?status=closed", &moderator.access_token)
            .await,
        400,
        "invalid_query",
    )
    .await;
}

#[tokio::test]
async fn reports_from_three_members_hide_content_as_the_system() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let ada = app.member("ada").await;
    let thread = app.create_thread(&ada, "Obvious spam here", &[]).await;
    let mut reporters = Vec::new();
    for name in ["rep1", "rep2", "rep3"] {
        reporters.push(app.member(name).await);
    }
    // Reports from `new` accounts alone never hide anything (tests/api/trust.rs).
    app.sql(
        "UPDATE users SET trust_level = 'basic', trust_level_pinned = true \
         WHERE username LIKE 'rep%'",
    );
    app.report(&reporters[0], "thread", thread).await;
    app.report(&reporters[1], "thread", thread).await;
    assert_eq!(
        app.get(&format!("/api/v1/threads/{thread}"))
            .await
            .status()
            .as_u16(),
        200
    );
    app.report(&reporters[2], "thread", thread).await;
    assert_problem(
        app.get(&format!("/api/v1/threads/{thread}")).await,
        404,
        "not_found",
    )
    .await;
    let moderator = app.staff("mod", "moderator").await;
    let log = json(app.get_as("/api/v1/mod/log", &moderator.access_token).await).await;
    assert_eq!(log["items"][0]["action"], "auto_hide");
    assert_eq!(log["items"][0]["actor"], Value::Null);
    let email = mail.wait_for_subject(&ada.email, "hidden", MAIL_WAIT).await;
    assert!(
        email.text.contains("Reported by 3 members"),
        "{}",
        email.text
    );
    // The reports wait in the queue for a moderator's decision.
    let queue = json(
        app.get_as("/api/v1/mod/reports", &moderator.access_token)
            .await,
    )
    .await;
    assert_eq!(queue["items"].as_array().map(Vec::len), Some(3));
    assert_eq!(queue["items"][0]["target"]["hidden"], true);
}

#[tokio::test]
async fn a_reported_reply_in_the_queue_names_its_author_and_its_thread() {
    let app = spawn_app().await;
    let (ada, bob, cyd) = (
        app.member("ada").await,
        app.member("bob").await,
        app.member("cyd").await,
    );
    let moderator = app.staff("mod", "moderator").await;
    let thread = app.create_thread(&ada, "Where the abuse was", &[]).await;
    let reply = app.reply_id(&bob, thread, "Something rude").await;
    assert_eq!(
        app.report(&cyd, "reply", reply).await.status().as_u16(),
        201
    );
    let queue = json(
        app.get_as("/api/v1/mod/reports", &moderator.access_token)
            .await,
    )
    .await;
    let target = &queue["items"][0]["target"];
    assert_eq!(target["author"]["username"], "bob", "{target}");
    assert_eq!(target["thread_id"], thread);
    assert_eq!(target["thread_title"], "Where the abuse was");

    // The log links what it names: the reply in its thread, the member's profile.
    let hidden = app
        .call(
            Method::POST,
            &format!("/api/v1/mod/replies/{reply}/hide"),
            Some(&moderator.access_token),
            Some(&json!({"reason": "rude"})),
        )
        .await;
    assert_eq!(hidden.status().as_u16(), 200);
    let log = json(app.get_as("/api/v1/mod/log", &moderator.access_token).await).await;
    let entry = &log["items"][0];
    assert_eq!(entry["target_type"], "reply", "{log}");
    assert_eq!(entry["target_path"], format!("/t/{thread}#reply-{reply}"));
}
