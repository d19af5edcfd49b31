//! Claims, the queue's filters, bulk resolution and member-content actions.

use super::*;

#[tokio::test]
async fn two_moderators_claiming_one_report_cannot_both_have_it() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let first = app.staff("first", "moderator").await;
    let second = app.staff("second", "moderator").await;
    let admin = app.staff("boss", "admin").await;
    let thread = app.create_thread(&ada, "Claimed report", &[]).await;
    let report = app.file_report(&bob, "thread", thread, "spam").await;
    let claim = format!("/api/v1/mod/reports/{report}/claim");

    // At the same moment: exactly one wins.
    let (a, b) = tokio::join!(
        app.mod_act(&first, &claim, None),
        app.mod_act(&second, &claim, None)
    );
    let statuses = [a.status().as_u16(), b.status().as_u16()];
    assert!(
        statuses.contains(&200) && statuses.contains(&409),
        "{statuses:?}"
    );
    let holder = if statuses[0] == 200 { &first } else { &second };
    // Released by its holder, the report is free for anyone.
    assert_eq!(
        app.call(Method::DELETE, &claim, Some(&holder.access_token), None)
            .await
            .status()
            .as_u16(),
        204
    );

    let claimed = json(app.mod_act(&first, &claim, None).await).await;
    assert_eq!(claimed["claim"]["moderator"], "first");
    let problem = assert_problem(
        app.mod_act(&second, &claim, None).await,
        409,
        "report_claimed",
    )
    .await;
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("first")),
        "{problem}"
    );
    for (path, body) in [
        (
            format!("/api/v1/mod/reports/{report}/resolve"),
            Some(json!({"action": "hide"})),
        ),
        (format!("/api/v1/mod/reports/{report}/dismiss"), None),
        (
            "/api/v1/mod/reports/bulk-resolve".to_string(),
            Some(json!({"ids": [report], "action": "hide"})),
        ),
    ] {
        assert_problem(
            app.mod_act(&second, &path, body).await,
            409,
            "report_claimed",
        )
        .await;
    }
    assert_eq!(thread_status(&app, thread).await, 200);
    // The queue can leave out what others hold.
    let free = json(
        app.get_as("/api/v1/mod/reports?unclaimed=true", &second.access_token)
            .await,
    )
    .await;
    assert_eq!(free["items"], json!([]));
    let mine = json(
        app.get_as("/api/v1/mod/reports?unclaimed=true", &first.access_token)
            .await,
    )
    .await;
    assert_eq!(mine["items"][0]["id"], report);
    // Claiming again renews; another's claim is not theirs to release.
    assert_eq!(
        app.mod_act(&first, &claim, None).await.status().as_u16(),
        200
    );
    assert_problem(
        app.call(Method::DELETE, &claim, Some(&second.access_token), None)
            .await,
        409,
        "report_claimed",
    )
    .await;

    // A claim expires.
    app.sql("UPDATE report_claims SET expires_at = now() - interval '1 second'");
    let taken = json(app.mod_act(&second, &claim, None).await).await;
    assert_eq!(taken["claim"]["moderator"], "second");
    // An admin may release anyone's.
    assert_eq!(
        app.call(Method::DELETE, &claim, Some(&admin.access_token), None)
            .await
            .status()
            .as_u16(),
        204
    );
    let resolved = app
        .mod_act(
            &first,
            &format!("/api/v1/mod/reports/{report}/resolve"),
            Some(json!({"action": "none"})),
        )
        .await;
    assert_eq!(resolved.status().as_u16(), 200);
    assert_eq!(app.count("SELECT count(*) AS n FROM report_claims"), 0);
    assert_problem(
        app.mod_act(&second, &claim, None).await,
        409,
        "report_closed",
    )
    .await;
}

#[tokio::test]
async fn the_queue_filters_and_sorts_and_bulk_resolution_is_all_or_nothing() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let moderator = app.staff("mod", "moderator").await;
    let popular = app.create_thread(&ada, "Reported by many", &[]).await;
    let quiet = app.create_thread(&ada, "Reported once", &[]).await;
    let reply = json(app.create_reply(&ada, quiet, "A rude reply").await).await["id"]
        .as_i64()
        .expect("id");
    let mut reporters = Vec::new();
    for name in ["rep1", "rep2", "rep3"] {
        reporters.push(app.member(name).await);
    }
    let once = app
        .file_report(&reporters[0], "thread", quiet, "off_topic")
        .await;
    let mut on_popular = Vec::new();
    for reporter in &reporters {
        on_popular.push(app.file_report(reporter, "thread", popular, "spam").await);
    }
    let rude = app
        .file_report(&reporters[1], "reply", reply, "abuse")
        .await;
    app.sql(&format!(
        "UPDATE reports SET created_at = now() - interval '3 days' WHERE id = {once}"
    ));

    let ids = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|r| r["id"].as_i64().expect("id"))
            .collect()
    };
    let get = |query: &str| {
        let path = format!("/api/v1/mod/reports?{query}");
        let token = moderator.access_token.clone();
        let app = &app;
        async move { json(app.get_as(&path, &token).await).await }
    };
    assert_eq!(
        ids(&get("").await),
        [once, on_popular[0], on_popular[1], on_popular[2], rude]
    );
    assert_eq!(ids(&get("reason=abuse").await), [rude]);
    assert_eq!(ids(&get("target_type=reply").await), [rude]);
    assert_eq!(ids(&get("min_reporters=3").await), on_popular);
    assert_eq!(
        ids(&get("sort=newest").await),
        [rude, on_popular[2], on_popular[1], on_popular[0], once]
    );
    let day_ago = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let before = url_encoded(&day_ago);
    assert_eq!(ids(&get(&format!("created_before={before}")).await), [once]);
    assert_eq!(
        ids(&get(&format!("created_after={before}&reason=spam")).await),
        on_popular
    );
    // Most reported first, and its pages follow each other.
    let first = get("sort=most_reported&limit=2").await;
    assert_eq!(ids(&first), [on_popular[0], on_popular[1]]);
    assert_eq!(first["items"][0]["open_reports"], 3);
    let cursor = first["next_cursor"].as_str().expect("more").to_string();
    let second = get(&format!("sort=most_reported&limit=2&cursor={cursor}")).await;
    assert_eq!(ids(&second), [on_popular[2], once]);
    // A cursor is good for its own order only.
    assert_problem(
        app.get_as(
            &format!("/api/v1/mod/reports?sort=newest&cursor={cursor}"),
            &moderator.access_token,
        )
        .await,
        400,
        "invalid_cursor",
    )
    .await;
    for bad in [
        "min_reporters=0",
        "sort=loudest",
        "reason=boring",
        "created_before=yesterday",
    ] {
        let response = app
            .get_as(
                &format!("/api/v1/mod/reports?{bad}"),
                &moderator.access_token,
            )
            .await;
        assert!(
            [400, 422].contains(&response.status().as_u16()),
            "{bad}: {}",
            response.status()
        );
    }

    // All or nothing: a closed report among them changes nothing.
    let dismissed = app
        .mod_act(
            &moderator,
            &format!("/api/v1/mod/reports/{once}/dismiss"),
            None,
        )
        .await;
    assert_eq!(dismissed.status().as_u16(), 200);
    let bulk = "/api/v1/mod/reports/bulk-resolve";
    let mut with_closed = on_popular.clone();
    with_closed.push(once);
    assert_problem(
        app.mod_act(
            &moderator,
            bulk,
            Some(json!({"ids": with_closed, "action": "hide"})),
        )
        .await,
        409,
        "report_closed",
    )
    .await;
    assert_problem(
        app.mod_act(
            &moderator,
            bulk,
            Some(json!({"ids": [on_popular[0], 999999], "action": "hide"})),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    app.assert_refusals(
        Method::POST,
        bulk,
        Some(&moderator.access_token),
        &[
            (
                Some(json!({"ids": [], "action": "hide"})),
                422,
                "validation_failed",
                Some("ids"),
            ),
            (
                Some(json!({"ids": (1..=101).collect::<Vec<i64>>(), "action": "hide"})),
                422,
                "validation_failed",
                Some("ids"),
            ),
            (
                Some(json!({"ids": on_popular, "action": "burn"})),
                422,
                "validation_failed",
                None,
            ),
        ],
    )
    .await;
    assert_eq!(thread_status(&app, popular).await, 200);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM reports WHERE status = 'open'"),
        4
    );

    let mut all = on_popular.clone();
    all.push(rude);
    let done = json(
        app.mod_act(
            &moderator,
            bulk,
            Some(json!({"ids": all, "action": "hide", "note": "cleanup"})),
        )
        .await,
    )
    .await;
    let items = done["items"].as_array().expect("items");
    assert_eq!(items.len(), 4);
    assert!(items
        .iter()
        .all(|r| r["status"] == "resolved" && r["action"] == "hide"));
    assert_eq!(thread_status(&app, popular).await, 404);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM moderation_log WHERE action = 'hide'"),
        2,
        "the thread and the reply are hidden once each"
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM moderation_log WHERE action = 'resolve_report'"),
        4
    );
}

#[tokio::test]
async fn a_spammers_recent_content_is_hidden_in_one_action_undone_in_one_and_appealable() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let spammer = app.member("spammer").await;
    let ada = app.member("ada").await;
    let moderator = app.staff("mod", "moderator").await;
    let other_mod = app.staff("other", "moderator").await;
    let admin = app.staff("boss", "admin").await;
    let old = app
        .create_thread(&spammer, "An honest old question", &[])
        .await;
    app.sql(&format!(
        "UPDATE threads SET created_at = now() - interval '10 days' WHERE id = {old}"
    ));
    let since = chrono::Utc::now() - chrono::Duration::seconds(1);
    let spam = [
        app.create_thread(&spammer, "Cheap watches", &[]).await,
        app.create_thread(&spammer, "Cheaper watches", &[]).await,
    ];
    let ada_thread = app.create_thread(&ada, "Ada's thread", &[]).await;
    let spam_reply = json(app.create_reply(&spammer, ada_thread, "Buy watches").await).await["id"]
        .as_i64()
        .expect("id");
    let path = "/api/v1/mod/users/spammer/hide-content";

    app.assert_refusals(
        Method::POST,
        path,
        Some(&moderator.access_token),
        &[
            (Some(json!({"since": since.to_rfc3339()})), 422, "validation_failed", None),
            (Some(json!({"since": since.to_rfc3339(), "reason": " "})), 422, "validation_failed", Some("reason")),
            (
                Some(json!({"since": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339(), "reason": "x"})),
                422,
                "validation_failed",
                Some("since"),
            ),
        ],
    )
    .await;
    assert_problem(
        app.mod_act(
            &moderator,
            "/api/v1/mod/users/nobody/hide-content",
            Some(json!({"since": since.to_rfc3339(), "reason": "x"})),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.mod_act(
            &moderator,
            "/api/v1/mod/users/boss/hide-content",
            Some(json!({"since": since.to_rfc3339(), "reason": "x"})),
        )
        .await,
        403,
        "cannot_moderate_staff",
    )
    .await;

    let done = app
        .mod_act(
            &moderator,
            path,
            Some(json!({"since": since.to_rfc3339(), "reason": "Watch spam"})),
        )
        .await;
    assert_eq!(done.status().as_u16(), 200);
    let done = json(done).await;
    assert_eq!(
        (
            done["threads"].as_i64(),
            done["replies"].as_i64(),
            done["meetups"].as_i64()
        ),
        (Some(2), Some(1), Some(0))
    );
    let log_id = done["log_id"].as_i64().expect("log id");
    // One logged action, not one per post.
    assert_eq!(
        app.count("SELECT count(*) AS n FROM moderation_log WHERE action IN ('hide', 'hide_member_content')"),
        1
    );
    for thread in spam {
        assert_eq!(thread_status(&app, thread).await, 404);
    }
    assert_eq!(thread_status(&app, old).await, 200, "older content stays");
    let replies = json(
        app.get(&format!("/api/v1/threads/{ada_thread}/replies"))
            .await,
    )
    .await;
    assert_eq!(replies["items"], json!([]));
    let email = mail
        .wait_for_subject(&spammer.email, "hidden", MAIL_WAIT)
        .await;
    assert!(email.text.contains("3 posts"), "{}", email.text);
    assert_eq!(
        email.link_to("/appeal/").as_deref(),
        Some(format!("https://forum.example/appeal/{log_id}").as_str())
    );
    assert_problem(
        app.mod_act(
            &moderator,
            path,
            Some(json!({"since": since.to_rfc3339(), "reason": "again"})),
        )
        .await,
        409,
        "nothing_to_hide",
    )
    .await;

    // Undone in one action, once.
    let undo = format!("/api/v1/mod/log/{log_id}/undo");
    let undone = json(app.mod_act(&moderator, &undo, None).await).await;
    assert_eq!(
        (undone["threads"].as_i64(), undone["replies"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(thread_status(&app, spam[0]).await, 200);
    let replies = json(
        app.get(&format!("/api/v1/threads/{ada_thread}/replies"))
            .await,
    )
    .await;
    assert_eq!(replies["items"][0]["id"], spam_reply);
    assert_eq!(app.last_log(&moderator).await.1, "restore_member_content");
    assert_problem(
        app.mod_act(&moderator, &undo, None).await,
        409,
        "already_undone",
    )
    .await;
    let (lock_entry, _) = {
        app.mod_act(&moderator, &format!("/api/v1/mod/threads/{old}/lock"), None)
            .await;
        app.last_log(&moderator).await
    };
    assert_problem(
        app.mod_act(
            &moderator,
            &format!("/api/v1/mod/log/{lock_entry}/undo"),
            None,
        )
        .await,
        404,
        "not_found",
    )
    .await;

    // Hidden again, then appealed and overturned by another moderator: undone the same way.
    let again = json(
        app.mod_act(
            &moderator,
            path,
            Some(json!({"since": since.to_rfc3339(), "reason": "Watch spam"})),
        )
        .await,
    )
    .await["log_id"]
        .as_i64()
        .expect("log id");
    let appeal = json(app.appeal(&spammer, again, "My shop is real").await).await;
    let appeal_id = appeal["id"].as_i64().expect("id");
    let queue = json(
        app.get_as("/api/v1/mod/appeals", &other_mod.access_token)
            .await,
    )
    .await;
    assert_eq!(queue["items"][0]["action"]["action"], "hide_member_content");
    assert_eq!(queue["items"][0]["content"]["username"], "spammer");
    assert_eq!(
        app.decide(&other_mod, appeal_id, "overturned", "Fine, one chance")
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(thread_status(&app, spam[1]).await, 200);
    let _ = admin;
}
