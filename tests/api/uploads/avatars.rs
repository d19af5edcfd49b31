//! Avatars: a square picture, in every member summary.

use reqwest::Method;
use serde_json::json;

use super::*;
use crate::helpers::assert_problem;
use crate::support::a_thread;

on_every_backend!(an_avatar_is_square_and_shown_wherever_the_member_is);

async fn an_avatar_is_square_and_shown_wherever_the_member_is(backend: Backend) {
    let h = Harness::start(backend).await;
    let ada = h.app.member("ada").await;
    let grace = h.app.member("grace").await;
    let upload: Value = h
        .upload_as(&ada, png(300, 180), "portrait.png", "image/png", "avatar")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (upload["width"].as_i64(), upload["height"].as_i64()),
        (Some(180), Some(180))
    );
    let me: Value = h
        .app
        .send_as(
            Method::PUT,
            "/api/v1/users/me/avatar",
            &ada.access_token,
            &json!({"upload_id": upload["id"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let avatar_url = me["avatar_url"].as_str().expect("avatar_url").to_string();
    assert_eq!(avatar_url, upload["thumbnails"]["small"].as_str().unwrap());
    let picture = image::load_from_memory(&bytes_of(h.get(&avatar_url).await).await).unwrap();
    assert_eq!(
        (picture.width(), picture.height()),
        (180, 180),
        "never enlarged"
    );

    // Everywhere a member is shown: the thread list, a thread, a reply, a profile.
    let thread = a_thread(&h.app, &ada).create().await;
    let reply = h
        .app
        .send_as(
            Method::POST,
            &format!("/api/v1/threads/{thread}/replies"),
            &ada.access_token,
            &json!({"body": "Me again"}),
        )
        .await;
    assert_eq!(
        reply.json::<Value>().await.unwrap()["author"]["avatar_url"],
        avatar_url.as_str()
    );
    let list: Value = h.app.get("/api/v1/threads").await.json().await.unwrap();
    assert_eq!(
        list["items"][0]["author"]["avatar_url"],
        avatar_url.as_str(),
        "{list}"
    );
    let page: Value = h
        .app
        .get(&format!("/api/v1/threads/{thread}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["author"]["avatar_url"], avatar_url.as_str());
    let profile: Value = h.app.get("/api/v1/users/ada").await.json().await.unwrap();
    assert_eq!(profile["avatar_url"], avatar_url.as_str());
    let other: Value = h.app.get("/api/v1/users/grace").await.json().await.unwrap();
    assert_eq!(other["avatar_url"], Value::Null);

    // Only one's own avatar uploads.
    let post_upload = h.uploaded(&ada, png(20, 20), "post.png").await;
    assert_problem(
        h.app
            .send_as(
                Method::PUT,
                "/api/v1/users/me/avatar",
                &ada.access_token,
                &json!({"upload_id": post_upload["id"]}),
            )
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        h.app
            .send_as(
                Method::PUT,
                "/api/v1/users/me/avatar",
                &grace.access_token,
                &json!({"upload_id": upload["id"]}),
            )
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        h.app
            .send_as(
                Method::PUT,
                "/api/v1/users/me/avatar",
                &grace.access_token,
                &json!({"upload_id": 987654}),
            )
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        h.app
            .send_as(
                Method::PUT,
                "/api/v1/users/me/avatar",
                &grace.access_token,
                &json!({"upload_id": "x"}),
            )
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        h.app
            .call(
                Method::PUT,
                "/api/v1/users/me/avatar",
                None,
                Some(&json!({"upload_id": upload["id"]})),
            )
            .await,
        401,
        "unauthorized",
    )
    .await;
    assert_problem(
        h.app
            .call(Method::DELETE, "/api/v1/users/me/avatar", None, None)
            .await,
        401,
        "unauthorized",
    )
    .await;

    // Removed: null everywhere again.
    let removed = h
        .app
        .call(
            Method::DELETE,
            "/api/v1/users/me/avatar",
            Some(&ada.access_token),
            None,
        )
        .await;
    assert_eq!(removed.status().as_u16(), 204);
    let page: Value = h
        .app
        .get(&format!("/api/v1/threads/{thread}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["author"]["avatar_url"], Value::Null);
}
