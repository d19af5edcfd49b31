//! Sessions by device, and logging out everywhere.

use super::*;

#[tokio::test]
async fn each_login_is_a_session_with_its_device_and_ending_one_stops_its_refresh_at_once() {
    let app = spawn_app().await;
    app.member("ada").await;
    let phone = login_from(&app, "ada", "Mozilla/5.0 (iPhone) Safari").await;
    let laptop = login_from(&app, "ada", "Mozilla/5.0 (X11; Linux) Firefox").await;
    let grace = app.member("grace").await;

    let seen = sessions_of(&app, &laptop).await;
    // The registration's own login, the phone and the laptop; the laptop asked.
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(seen[0]["user_agent"], "Mozilla/5.0 (X11; Linux) Firefox");
    assert_eq!(seen[0]["current"], true);
    assert!(seen[1..].iter().all(|s| s["current"] == false));
    for session in &seen {
        assert!(session["id"].as_str().unwrap().len() == 36);
        assert!(session["created_at"].is_string() && session["last_used_at"].is_string());
    }
    let phone_session = seen
        .iter()
        .find(|s| s["user_agent"] == "Mozilla/5.0 (iPhone) Safari")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // A refresh moves the session to the top and keeps it the same session.
    let mut phone = phone;
    refreshed(&app, &mut phone).await;
    let seen = sessions_of(&app, &phone).await;
    assert_eq!(seen[0]["id"], phone_session.as_str());
    assert_eq!(seen[0]["current"], true);
    assert!(seen[0]["last_used_at"].as_str() > seen[0]["created_at"].as_str());

    // Someone else's session, an unknown id and garbage are all "no such session".
    let grace_session = sessions_of(&app, &grace).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for id in [
        grace_session.as_str(),
        "00000000-0000-0000-0000-000000000000",
        "nope",
    ] {
        assert_problem(
            app.call(
                Method::DELETE,
                &format!("/api/v1/users/me/sessions/{id}"),
                Some(&laptop.access_token),
                None,
            )
            .await,
            404,
            "not_found",
        )
        .await;
    }
    assert_eq!(sessions_of(&app, &grace).await.len(), 1);
    assert_problem(
        app.call(
            Method::DELETE,
            &format!("/api/v1/users/me/sessions/{phone_session}"),
            None,
            None,
        )
        .await,
        401,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.get("/api/v1/users/me/sessions").await,
        401,
        "unauthorized",
    )
    .await;

    // The laptop ends the phone's session: its next refresh fails.
    let ended = app
        .call(
            Method::DELETE,
            &format!("/api/v1/users/me/sessions/{phone_session}"),
            Some(&laptop.access_token),
            None,
        )
        .await;
    assert_eq!(ended.status().as_u16(), 204);
    assert_problem(
        refresh(&app, &phone.refresh_token).await,
        401,
        "invalid_refresh_token",
    )
    .await;
    let seen = sessions_of(&app, &laptop).await;
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|s| s["id"] != phone_session.as_str()));
    assert_problem(
        app.call(
            Method::DELETE,
            &format!("/api/v1/users/me/sessions/{phone_session}"),
            Some(&laptop.access_token),
            None,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    // Logging out ends a session too.
    let logout = app
        .post_json(
            "/api/v1/auth/logout",
            &json!({ "refresh_token": laptop.refresh_token }),
        )
        .await;
    assert_eq!(logout.status().as_u16(), 204);
    assert_eq!(app.count("SELECT count(*) AS n FROM sessions WHERE revoked_at IS NULL AND user_id = (SELECT id FROM users WHERE username = 'ada')"), 1);
}

#[tokio::test]
async fn logging_out_everywhere_ends_every_session_and_access_token_at_once() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let laptop = app.signed_in("ada").await;
    let grace = app.member("grace").await;
    assert_problem(
        app.post_json("/api/v1/auth/logout-everywhere", &json!({}))
            .await,
        401,
        "unauthorized",
    )
    .await;
    let response = app
        .post_as("/api/v1/auth/logout-everywhere", &laptop.access_token)
        .await;
    assert_eq!(response.status().as_u16(), 204);
    for session in [&ada, &laptop] {
        assert_problem(
            refresh(&app, &session.refresh_token).await,
            401,
            "invalid_refresh_token",
        )
        .await;
        assert_problem(
            app.get_as("/api/v1/users/me", &session.access_token).await,
            401,
            "unauthorized",
        )
        .await;
    }
    // Nobody else is touched.
    assert_eq!(me(&app, &grace).await["username"], "grace");
    assert_eq!(
        refresh(&app, &grace.refresh_token).await.status().as_u16(),
        200
    );
    let back = app.signed_in("ada").await;
    assert_eq!(sessions_of(&app, &back).await.len(), 1);
}
