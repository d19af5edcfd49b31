//! Moderation actions: hiding, locking, pinning, suspensions, roles and the log.

use super::*;

#[tokio::test]
async fn hidden_content_leaves_lists_search_and_get_for_members_but_not_for_staff() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let moderator = app.staff("mod", "moderator").await;
    let thread = app
        .create_thread(&ada, "Flamingo flamewar", &["rust"])
        .await;
    // A reply in the thread about to be hidden: search must drop it with its thread.
    let response = app.create_reply(&bob, thread, "Flamingo reply").await;
    assert_eq!(response.status().as_u16(), 201);
    let kept = app.create_thread(&ada, "Flamingo facts", &["rust"]).await;
    let kept_reply = json(app.create_reply(&bob, kept, "Flamingo fact reply").await).await["id"]
        .as_i64()
        .expect("id");
    let start = chrono::Utc::now() + chrono::Duration::days(3);
    let meetup = json(
        app.send_as(
            Method::POST,
            "/api/v1/meetups",
            &ada.access_token,
            &json!({"title": "Flamingo meetup", "description": "Pink", "starts_at": start.to_rfc3339(),
                    "ends_at": (start + chrono::Duration::hours(2)).to_rfc3339(), "timezone": "UTC",
                    "online_url": "https://meet.example/pink"}),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("id");

    let hidden = json(
        app.moderate(&moderator, &format!("/api/v1/mod/threads/{thread}/hide"))
            .await,
    )
    .await;
    assert_eq!(hidden["hidden"], true);
    let hidden_reply = json(
        app.moderate(
            &moderator,
            &format!("/api/v1/mod/replies/{kept_reply}/hide"),
        )
        .await,
    )
    .await;
    assert_eq!(hidden_reply["hidden"], true);
    let hidden_meetup = json(
        app.moderate(&moderator, &format!("/api/v1/mod/meetups/{meetup}/hide"))
            .await,
    )
    .await;
    assert_eq!(hidden_meetup["hidden"], true);

    // Members: gone from GET, lists and search.
    assert_problem(
        app.get_as(&format!("/api/v1/threads/{thread}"), &bob.access_token)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/meetups/{meetup}")).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/meetups/{meetup}/calendar.ics"))
            .await,
        404,
        "not_found",
    )
    .await;
    let listed = json(app.get("/api/v1/threads?tag=rust").await).await;
    let ids: Vec<i64> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|t| t["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, [kept]);
    let kept_thread = json(app.get(&format!("/api/v1/threads/{kept}")).await).await;
    assert_eq!(
        kept_thread["reply_count"], 0,
        "a hidden reply is not counted"
    );
    let replies = json(app.get(&format!("/api/v1/threads/{kept}/replies")).await).await;
    assert_eq!(replies["items"], json!([]));
    let meetups = json(app.get("/api/v1/meetups").await).await;
    assert_eq!(meetups["items"], json!([]));
    assert_problem(app.rsvp_status(&bob, meetup).await, 404, "not_found").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let found = json(app.get("/api/v1/search?q=flamingo").await).await;
        let refs: Vec<(String, i64)> = found["hits"]
            .as_array()
            .expect("hits")
            .iter()
            .map(|h| {
                (
                    h["type"].as_str().expect("type").to_string(),
                    h["id"].as_i64().expect("id"),
                )
            })
            .collect();
        if refs == [("thread".to_string(), kept)] {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "search still shows {refs:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Staff: still there, marked.
    let seen = json(
        app.get_as(
            &format!("/api/v1/threads/{thread}"),
            &moderator.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(seen["hidden"], true);
    let seen = json(
        app.get_as(
            &format!("/api/v1/meetups/{meetup}"),
            &moderator.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(seen["hidden"], true);
    let staff_list = json(app.get_as("/api/v1/meetups", &moderator.access_token).await).await;
    assert_eq!(staff_list["items"][0]["hidden"], true);

    // Restoring brings everything back.
    app.moderate(&moderator, &format!("/api/v1/mod/threads/{thread}/restore"))
        .await;
    app.moderate(
        &moderator,
        &format!("/api/v1/mod/replies/{kept_reply}/restore"),
    )
    .await;
    let restored = json(
        app.moderate(&moderator, &format!("/api/v1/mod/meetups/{meetup}/restore"))
            .await,
    )
    .await;
    assert_eq!(restored["hidden"], false);
    assert_eq!(
        app.get(&format!("/api/v1/threads/{thread}"))
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        app.get(&format!("/api/v1/meetups/{meetup}"))
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        json(app.get(&format!("/api/v1/threads/{kept}")).await).await["reply_count"],
        1
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let found = json(app.get("/api/v1/search?q=flamingo&limit=10").await).await;
        if found["estimated_total"] == 5 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "search not restored: {found}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn locked_threads_take_no_replies_and_pinned_ones_come_first() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let moderator = app.staff("mod", "moderator").await;
    let old = app.create_thread(&ada, "Community rules", &[]).await;
    let new = app.create_thread(&ada, "Newest question", &[]).await;
    let locked = json(
        app.moderate(&moderator, &format!("/api/v1/mod/threads/{old}/lock"))
            .await,
    )
    .await;
    assert_eq!(locked["locked"], true);
    assert_problem(
        app.create_reply(&ada, old, "Can I still?").await,
        409,
        "thread_locked",
    )
    .await;
    app.moderate(&moderator, &format!("/api/v1/mod/threads/{old}/unlock"))
        .await;
    assert_eq!(
        app.create_reply(&ada, old, "Now I can")
            .await
            .status()
            .as_u16(),
        201
    );

    let pinned = json(
        app.moderate(&moderator, &format!("/api/v1/mod/threads/{old}/pin"))
            .await,
    )
    .await;
    assert_eq!(pinned["pinned"], true);
    let listed = json(app.get("/api/v1/threads").await).await;
    assert_eq!(listed["items"][0]["id"], old);
    app.moderate(&moderator, &format!("/api/v1/mod/threads/{old}/unpin"))
        .await;
    let listed = json(app.get("/api/v1/threads").await).await;
    assert_eq!(listed["items"][0]["id"], new);
    assert_eq!(app.log_actions(), ["lock", "unlock", "pin", "unpin"]);
}

/// A lock racing replies: a reply is counted on the thread's activity row, and the lock
/// writes that row too (a trigger copies the switch), so each reply lands wholly before the
/// lock or is refused after it: the count is the replies accepted, and nothing sent after the
/// lock answered gets in.
#[tokio::test]
async fn a_lock_racing_replies_lets_in_only_what_came_first_and_the_count_agrees() {
    let app = spawn_app().await;
    let moderator = app.staff("mod", "moderator").await;
    let ada = app.member("ada").await;
    let thread = app.create_thread(&ada, "Heated thread", &[]).await;
    let mut posters = Vec::new();
    for n in 0..8 {
        posters.push(app.member(&format!("poster{n}")).await);
    }
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for poster in posters {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            for n in 0..4 {
                let sent = std::time::Instant::now();
                let response = app
                    .create_reply(&poster, thread, &format!("take {n}"))
                    .await;
                answers.push((sent, response.status().as_u16()));
            }
            answers
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let locked = app
        .moderate(&moderator, &format!("/api/v1/mod/threads/{thread}/lock"))
        .await;
    let lock_answered = std::time::Instant::now();
    assert_eq!(locked.status().as_u16(), 200);

    let mut accepted = 0;
    for task in tasks {
        for (sent, status) in task.await.expect("poster") {
            assert!(status == 201 || status == 409, "{status}");
            if sent > lock_answered {
                assert_eq!(status, 409, "a reply sent after the lock answered got in");
            }
            accepted += usize::from(status == 201);
        }
    }
    let view = json(app.get(&format!("/api/v1/threads/{thread}")).await).await;
    assert_eq!(view["reply_count"], accepted);
    assert_eq!(view["locked"], true);
    let page = json(
        app.get(&format!("/api/v1/threads/{thread}/replies?limit=100"))
            .await,
    )
    .await;
    assert_eq!(page["items"].as_array().expect("items").len(), accepted);
}

#[tokio::test]
async fn suspensions_stop_writes_at_once_lift_by_themselves_and_spare_staff() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let troll = app.member("troll").await;
    let moderator = app.staff("mod", "moderator").await;
    let other_mod = app.staff("mod2", "moderator").await;
    let admin = app.staff("boss", "admin").await;
    let until = chrono::Utc::now() + chrono::Duration::days(7);
    let suspended = json(
        app.call(
            Method::POST,
            "/api/v1/mod/users/troll/suspend",
            Some(&moderator.access_token),
            Some(&json!({"until": until.to_rfc3339(), "reason": "Repeated spam"})),
        )
        .await,
    )
    .await;
    assert_eq!(suspended["username"], "troll");
    assert_problem(
        app.send_as(
            Method::POST,
            "/api/v1/threads",
            &troll.access_token,
            &json!({"title": "Still here", "body": "Hi"}),
        )
        .await,
        403,
        "account_suspended",
    )
    .await;
    assert_eq!(
        app.get_as("/api/v1/users/me", &troll.access_token)
            .await
            .status()
            .as_u16(),
        200,
        "reading is fine"
    );
    let email = mail
        .wait_for_subject(&troll.email, "suspended", MAIL_WAIT)
        .await;
    assert!(email.text.contains("Repeated spam"), "{}", email.text);

    // The end passes: writes work again without anyone lifting it.
    app.sql(&format!(
        "UPDATE users SET suspended_until = now() - interval '1 second' WHERE id = {}",
        troll.id
    ));
    assert_eq!(
        app.send_as(
            Method::POST,
            "/api/v1/threads",
            &troll.access_token,
            &json!({"title": "I am back", "body": "Hi"})
        )
        .await
        .status()
        .as_u16(),
        201
    );

    // Indefinite, then lifted by hand.
    app.call(
        Method::POST,
        "/api/v1/mod/users/troll/suspend",
        Some(&moderator.access_token),
        Some(&json!({"reason": "Again"})),
    )
    .await;
    assert_problem(
        app.report(&troll, "user", moderator.id).await,
        403,
        "account_suspended",
    )
    .await;
    app.moderate(&moderator, "/api/v1/mod/users/troll/unsuspend")
        .await;
    // The member reads each step in the app as well; the moderator is not named.
    let inbox = json(
        app.get_as("/api/v1/notifications", &troll.access_token)
            .await,
    )
    .await;
    let kinds: Vec<&str> = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "account_unsuspended",
            "account_suspended",
            "account_suspended"
        ]
    );
    assert!(inbox["items"][0].get("actor").is_none());
    assert_eq!(
        app.report(&troll, "user", moderator.id)
            .await
            .status()
            .as_u16(),
        201
    );

    for (actor, target, code) in [
        (&moderator, "mod2", "cannot_moderate_staff"),
        (&moderator, "boss", "cannot_moderate_staff"),
        (&admin, "boss", "cannot_moderate_self"),
    ] {
        let response = app
            .call(
                Method::POST,
                &format!("/api/v1/mod/users/{target}/suspend"),
                Some(&actor.access_token),
                Some(&json!({"reason": "x"})),
            )
            .await;
        assert_problem(response, 403, code).await;
    }
    assert_eq!(
        app.call(
            Method::POST,
            "/api/v1/mod/users/mod2/suspend",
            Some(&admin.access_token),
            Some(&json!({"reason": "Abuse of tools"}))
        )
        .await
        .status()
        .as_u16(),
        200
    );
    // A suspended moderator cannot moderate either.
    assert_problem(
        app.moderate(&other_mod, "/api/v1/mod/users/troll/unsuspend")
            .await,
        403,
        "account_suspended",
    )
    .await;
    for bad in [
        json!({"reason": ""}),
        json!({"reason": "x", "until": "2001-01-01T00:00:00Z"}),
        json!({}),
    ] {
        let response = app
            .call(
                Method::POST,
                "/api/v1/mod/users/troll/suspend",
                Some(&moderator.access_token),
                Some(&bad),
            )
            .await;
        assert_problem(response, 422, "validation_failed").await;
    }
}

#[tokio::test]
async fn admins_set_roles_but_never_remove_the_last_admin() {
    let app = spawn_app().await;
    let admin = app.staff("boss", "admin").await;
    let ada = app.member("ada").await;
    let set = |user: &TestUser, target: &str, role: &str| {
        let body = json!({"role": role});
        let path = format!("/api/v1/admin/users/{target}/role");
        let app = &app;
        let user = user.clone();
        async move {
            app.call(Method::PUT, &path, Some(&user.access_token), Some(&body))
                .await
        }
    };
    let promoted = json(set(&admin, "ada", "moderator").await).await;
    assert_eq!(promoted["role"], "moderator");
    // The role applies to ada's very next request.
    assert_eq!(
        app.get_as("/api/v1/mod/log", &ada.access_token)
            .await
            .status()
            .as_u16(),
        200
    );
    assert_problem(set(&admin, "boss", "member").await, 409, "last_admin").await;
    assert_problem(set(&admin, "ada", "owner").await, 422, "validation_failed").await;
    assert_problem(set(&ada, "boss", "member").await, 403, "insufficient_role").await;
    json(set(&admin, "ada", "admin").await).await;
    let demoted = json(set(&ada, "boss", "member").await).await;
    assert_eq!(demoted["role"], "member");
    assert_problem(set(&ada, "ada", "moderator").await, 409, "last_admin").await;

    let log = json(app.get_as("/api/v1/mod/log", &ada.access_token).await).await;
    let entries = log["items"].as_array().expect("items");
    assert_eq!(entries[0]["action"], "set_role");
    assert_eq!(entries[0]["actor"], "ada");
    assert_eq!(entries[0]["target_id"], admin.id);
    assert_eq!(entries[0]["reason"], "admin → member");
    assert_eq!(entries.len(), 3);
}

#[tokio::test]
async fn the_log_records_every_action_and_the_database_refuses_to_change_it() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let moderator = app.staff("mod", "moderator").await;
    let thread = app.create_thread(&ada, "Log me please", &[]).await;
    app.call(
        Method::POST,
        &format!("/api/v1/mod/threads/{thread}/hide"),
        Some(&moderator.access_token),
        Some(&json!({"reason": "Testing"})),
    )
    .await;
    app.moderate(&moderator, &format!("/api/v1/mod/threads/{thread}/restore"))
        .await;
    let log = json(
        app.get_as("/api/v1/mod/log?limit=1", &moderator.access_token)
            .await,
    )
    .await;
    assert_eq!(log["items"][0]["action"], "restore");
    assert_eq!(log["items"][0]["actor"], "mod");
    assert_eq!(log["items"][0]["target_type"], "thread");
    assert_eq!(log["items"][0]["target_id"], thread);
    let cursor = log["next_cursor"].as_str().expect("cursor").to_string();
    let older = json(
        app.get_as(
            &format!("/api/v1/mod/log?limit=1&cursor={cursor}"),
            &moderator.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(older["items"][0]["action"], "hide");
    assert_eq!(older["items"][0]["reason"], "Testing");

    use diesel::prelude::*;
    let mut conn = app.conn();
    for statement in [
        "UPDATE moderation_log SET reason = 'rewritten'",
        "DELETE FROM moderation_log",
        // CASCADE: appeals and member-content actions refer to the log.
        "TRUNCATE moderation_log CASCADE",
    ] {
        let error = diesel::sql_query(statement)
            .execute(&mut conn)
            .expect_err(statement);
        assert!(
            error.to_string().contains("append-only"),
            "{statement}: {error}"
        );
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM moderation_log"), 2);
}
