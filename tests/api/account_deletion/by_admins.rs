//! Deletion by admins, and the log outside an erasure.

use super::*;

#[tokio::test]
async fn admins_delete_accounts_with_a_logged_reason_and_the_last_admin_cannot_go() {
    let app = spawn_app().await;
    let admin = app.staff("root", "admin").await;
    let member = app.member("spammer").await;
    let bystander = app.member("bystander").await;
    let thread = app.create_thread(&member, "Cheap watches", &[]).await;

    // Alone, the admin can delete neither way.
    assert_problem(
        app.send_as(
            Method::DELETE,
            "/api/v1/users/me",
            &admin.access_token,
            &json!({"password": PASSWORD}),
        )
        .await,
        409,
        "last_admin",
    )
    .await;
    assert_problem(
        app.send_as(
            Method::DELETE,
            "/api/v1/admin/users/root",
            &admin.access_token,
            &json!({"reason": "leaving"}),
        )
        .await,
        409,
        "last_admin",
    )
    .await;

    app.assert_refusals(
        Method::DELETE,
        "/api/v1/admin/users/spammer",
        Some(&admin.access_token),
        &[
            (Some(json!({})), 422, "validation_failed", Some("reason")),
            (
                Some(json!({"reason": "   "})),
                422,
                "validation_failed",
                Some("reason"),
            ),
            (
                Some(json!({"reason": "x".repeat(2001)})),
                422,
                "validation_failed",
                Some("reason"),
            ),
        ],
    )
    .await;
    app.assert_refusals(
        Method::DELETE,
        "/api/v1/admin/users/spammer",
        Some(&bystander.access_token),
        &[(
            Some(json!({"reason": "spam"})),
            403,
            "insufficient_role",
            None,
        )],
    )
    .await;
    app.assert_refusals(
        Method::DELETE,
        "/api/v1/admin/users/nobody_here",
        Some(&admin.access_token),
        &[(Some(json!({"reason": "spam"})), 404, "not_found", None)],
    )
    .await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM users WHERE deleted_at IS NOT NULL"),
        0
    );

    let response = app
        .send_as(
            Method::DELETE,
            "/api/v1/admin/users/SPAMMER",
            &admin.access_token,
            &json!({"reason": "spammer sold watches"}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 204);
    assert_problem(
        app.get_as("/api/v1/users/me", &member.access_token).await,
        401,
        "unauthorized",
    )
    .await;
    let log = ok(
        app.get_as("/api/v1/mod/log", &admin.access_token).await,
        200,
    )
    .await;
    let entry = &log["items"][0];
    assert_eq!(entry["action"], "delete_account");
    assert_eq!(entry["actor"], "root");
    assert_eq!(entry["target_id"], 0);
    assert_eq!(entry["reason"], "[deleted member] sold watches");
    let shown = ok(app.get(&format!("/api/v1/threads/{thread}")).await, 200).await;
    assert_eq!(entry["target_ref"], shown["author"]["username"]);
    // Deleted once: a second time there is no such member.
    assert_problem(
        app.send_as(
            Method::DELETE,
            &format!(
                "/api/v1/admin/users/{}",
                shown["author"]["username"].as_str().unwrap()
            ),
            &admin.access_token,
            &json!({"reason": "again"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;

    // With a second admin, the first may go; the log keeps their actions under a reference.
    let heir = app.member("heir").await;
    ok(
        app.send_as(
            Method::PUT,
            "/api/v1/admin/users/heir/role",
            &admin.access_token,
            &json!({"role": "admin"}),
        )
        .await,
        200,
    )
    .await;
    let heir = app.signed_in(&heir.username).await;
    let response = app
        .send_as(
            Method::DELETE,
            "/api/v1/users/me",
            &admin.access_token,
            &json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 204);
    let log = ok(app.get_as("/api/v1/mod/log", &heir.access_token).await, 200).await;
    let actors: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert!(actors.iter().all(|a| a.starts_with("deleted-")), "{log}");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM moderation_log WHERE actor_id IS NOT NULL"),
        0
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM users WHERE role = 'admin'"),
        1
    );
}

#[tokio::test]
async fn the_moderation_log_stays_append_only_outside_an_erasure() {
    let app = spawn_app().await;
    let moderator = app.staff("moderator", "moderator").await;
    app.member("target").await;
    ok(
        app.send_as(
            Method::POST,
            "/api/v1/mod/users/target/suspend",
            &moderator.access_token,
            &json!({"reason": "spam"}),
        )
        .await,
        200,
    )
    .await;
    let mut conn = app.conn();
    for statement in [
        "UPDATE moderation_log SET target_id = 0, target_ref = 'deleted-000000000000'",
        "BEGIN; SET LOCAL devforum.erasing = 'on'; UPDATE moderation_log SET action = 'hide'; COMMIT",
        "BEGIN; SET LOCAL devforum.erasing = 'on'; DELETE FROM moderation_log; COMMIT",
    ] {
        let error = diesel::connection::SimpleConnection::batch_execute(&mut conn, statement)
            .expect_err(statement);
        assert!(error.to_string().contains("append-only"), "{statement}: {error}");
        let _ = diesel::connection::SimpleConnection::batch_execute(&mut conn, "ROLLBACK");
    }
    assert_eq!(
        app.count("SELECT count(*) AS n FROM moderation_log WHERE target_id <> 0"),
        1
    );
}
