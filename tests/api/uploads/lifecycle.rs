//! An upload's life: stored once, used by posts and avatars, removed when nothing uses it,
//! withdrawn with the content that shows it, exported and erased with its member.

use reqwest::Method;
use serde_json::json;

use super::*;
use crate::helpers::{assert_problem, PASSWORD};
use crate::support::{a_meetup, a_thread};

on_every_backend!(
    identical_bytes_are_stored_once,
    the_sweep_removes_unused_uploads_and_keeps_used_ones,
    hidden_contents_uploads_are_404_to_members_and_not_to_staff,
    a_post_shows_someone_elses_upload_only_once_it_is_public,
    an_export_lists_the_members_uploads_with_links_that_work,
    deleting_an_account_takes_its_avatar_and_unused_uploads,
);

async fn identical_bytes_are_stored_once(backend: Backend) {
    let h = Harness::start(backend).await;
    let ada = h.app.member("ada").await;
    let grace = h.app.member("grace").await;
    let first = h.uploaded(&ada, png(300, 200), "a.png").await;
    let objects = h.objects();
    assert_eq!(objects.len(), 3, "original and two thumbnails: {objects:?}");
    let second = h.uploaded(&grace, png(300, 200), "b.png").await;
    assert_ne!(first["id"], second["id"], "each upload is its member's");
    assert_eq!(first["sha256"], second["sha256"]);
    assert_eq!(first["url"], second["url"]);
    assert_eq!(h.objects(), objects, "nothing stored twice");
    assert_eq!(h.app.count("SELECT count(*) AS n FROM upload_objects"), 1);
    // Objects are sharded by their hash.
    let sha = first["sha256"].as_str().unwrap();
    assert!(
        objects
            .iter()
            .all(|o| o.starts_with(&format!("{}/{}/{sha}", &sha[..2], &sha[2..4]))),
        "{objects:?}"
    );
}

async fn the_sweep_removes_unused_uploads_and_keeps_used_ones(backend: Backend) {
    let h = Harness::start(backend).await;
    let ada = h.app.member("ada").await;
    let used = h.uploaded(&ada, png(50, 40), "used.png").await;
    let unused = h.uploaded(&ada, png(60, 40), "unused.png").await;
    let avatar = h
        .upload_as(&ada, png(64, 64), "me.png", "image/png", "avatar")
        .await;
    let avatar: Value = avatar.json().await.unwrap();
    let fresh_later = png(70, 40);
    // A meetup's description records no uses, but what it names is kept.
    let flyer = h.uploaded(&ada, png(61, 40), "flyer.png").await;
    a_meetup(&h.app, &ada)
        .with(
            "description",
            json!(format!(
                "Our flyer: ![flyer]({})",
                flyer["url"].as_str().unwrap()
            )),
        )
        .create()
        .await;
    let thread = a_thread(&h.app, &ada)
        .body(&format!(
            "The build fails:\n\n![error]({})",
            used["url"].as_str().unwrap()
        ))
        .create()
        .await;
    let set = h
        .app
        .send_as(
            Method::PUT,
            "/api/v1/users/me/avatar",
            &ada.access_token,
            &json!({"upload_id": avatar["id"]}),
        )
        .await;
    assert_eq!(set.status().as_u16(), 200);

    // A day has not passed: nothing goes.
    let swept = h.sweep().await;
    assert_eq!((swept.uploads, swept.objects), (0, 0));
    h.age_everything();
    let recent = h.uploaded(&ada, fresh_later, "recent.png").await;
    let swept = h.sweep().await;
    assert_eq!(
        (swept.uploads, swept.objects),
        (1, 1),
        "only the unused, old one"
    );
    assert_eq!(
        h.get(unused["url"].as_str().unwrap())
            .await
            .status()
            .as_u16(),
        404
    );
    for kept in [&used, &avatar, &recent, &flyer] {
        assert_eq!(
            h.get(kept["url"].as_str().unwrap()).await.status().as_u16(),
            200
        );
    }
    let unused_sha = unused["sha256"].as_str().unwrap();
    assert!(
        !h.objects().iter().any(|o| o.contains(unused_sha)),
        "the unused upload's files are gone from the store"
    );
    assert_eq!(h.objects().len(), 12, "three files each for the four kept");

    // Edited out of its post, the image goes at the next sweep; its thread stays.
    let edit = h
        .app
        .send_as(
            Method::PATCH,
            &format!("/api/v1/threads/{thread}"),
            &ada.access_token,
            &json!({"body": "Fixed it, no picture needed."}),
        )
        .await;
    assert_eq!(edit.status().as_u16(), 200);
    h.age_everything();
    let swept = h.sweep().await;
    assert_eq!(
        (swept.uploads, swept.objects),
        (2, 2),
        "the edited-out one and the recent one"
    );
    assert_eq!(
        h.get(used["url"].as_str().unwrap()).await.status().as_u16(),
        404
    );
    assert_eq!(
        h.get(avatar["url"].as_str().unwrap())
            .await
            .status()
            .as_u16(),
        200
    );
}

async fn hidden_contents_uploads_are_404_to_members_and_not_to_staff(backend: Backend) {
    let h = Harness::start(backend).await;
    let ada = h.app.member("ada").await;
    let grace = h.app.member("grace").await;
    let moderator = h.app.staff("mod", "moderator").await;
    let thread = a_thread(&h.app, &grace).create().await;
    let shot = h.uploaded(&ada, png(80, 60), "shot.png").await;
    let url = shot["url"].as_str().unwrap().to_string();
    let reply = h
        .app
        .send_as(
            Method::POST,
            &format!("/api/v1/threads/{thread}/replies"),
            &ada.access_token,
            &json!({"body": format!("Look: ![shot]({url})")}),
        )
        .await;
    assert_eq!(reply.status().as_u16(), 201);
    let reply: Value = reply.json().await.unwrap();
    assert!(
        reply["body_html"]
            .as_str()
            .unwrap()
            .contains(&format!("src=\"{url}\"")),
        "{reply}"
    );
    let public = h.get(&url).await;
    assert_eq!(
        public.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let small = shot["thumbnails"]["small"].as_str().unwrap().to_string();

    let hide = h
        .app
        .post_as(
            &format!("/api/v1/mod/replies/{}/hide", reply["id"]),
            &moderator.access_token,
        )
        .await;
    assert_eq!(hide.status().as_u16(), 200);
    for path in [&url, &small] {
        assert_problem(h.get(path).await, 404, "not_found").await;
    }
    // Metadata: to staff and the uploader, with signed URLs that work; to others, nothing.
    let id = shot["id"].as_i64().unwrap();
    let for_staff: Value = h
        .app
        .get_as(&format!("/api/v1/uploads/{id}"), &moderator.access_token)
        .await
        .json()
        .await
        .unwrap();
    let signed = for_staff["url"].as_str().unwrap();
    assert!(signed.contains("signature="), "{for_staff}");
    let through = h.get(signed).await;
    assert_eq!(through.status().as_u16(), 200);
    assert_eq!(through.headers()["cache-control"], "private, no-store");
    let tampered = signed.replace("expires=", "expires=1");
    assert_problem(h.get(&tampered).await, 404, "not_found").await;
    assert_eq!(
        h.app
            .get_as(&format!("/api/v1/uploads/{id}"), &ada.access_token)
            .await
            .status()
            .as_u16(),
        200
    );
    assert_problem(
        h.app
            .get_as(&format!("/api/v1/uploads/{id}"), &grace.access_token)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        h.app.get(&format!("/api/v1/uploads/{id}")).await,
        404,
        "not_found",
    )
    .await;

    let restore = h
        .app
        .post_as(
            &format!("/api/v1/mod/replies/{}/restore", reply["id"]),
            &moderator.access_token,
        )
        .await;
    assert_eq!(restore.status().as_u16(), 200);
    assert_eq!(h.get(&url).await.status().as_u16(), 200);
    assert_eq!(
        h.app
            .get(&format!("/api/v1/uploads/{id}"))
            .await
            .status()
            .as_u16(),
        200
    );
    // Deleted by its author: gone again.
    let delete = h
        .app
        .call(
            Method::DELETE,
            &format!("/api/v1/replies/{}", reply["id"]),
            Some(&ada.access_token),
            None,
        )
        .await;
    assert_eq!(delete.status().as_u16(), 204);
    assert_problem(h.get(&url).await, 404, "not_found").await;
}

async fn a_post_shows_someone_elses_upload_only_once_it_is_public(backend: Backend) {
    let h = Harness::start(backend).await;
    let ada = h.app.member("ada").await;
    let grace = h.app.member("grace").await;
    let thread = a_thread(&h.app, &ada).create().await;
    let shot = h.uploaded(&ada, png(90, 60), "mine.png").await;
    let body = json!({"body": format!("Borrowed: ![x]({})", shot["url"].as_str().unwrap())});
    let path = format!("/api/v1/threads/{thread}/replies");
    let refused = assert_problem(
        h.app
            .send_as(Method::POST, &path, &grace.access_token, &body)
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(refused["errors"]["body"].is_array(), "{refused}");
    assert_eq!(h.app.count("SELECT count(*) AS n FROM replies"), 0);
    // Once Ada's own post shows it, it is public and anyone may show it.
    let own = h
        .app
        .send_as(Method::POST, &path, &ada.access_token, &body)
        .await;
    assert_eq!(own.status().as_u16(), 201);
    let borrowed = h
        .app
        .send_as(Method::POST, &path, &grace.access_token, &body)
        .await;
    assert_eq!(borrowed.status().as_u16(), 201);
    assert_eq!(h.app.count("SELECT count(*) AS n FROM upload_uses"), 2);
}

async fn an_export_lists_the_members_uploads_with_links_that_work(backend: Backend) {
    let h = Harness::start(backend).await;
    let ada = h.app.member("ada").await;
    let moderator = h.app.staff("mod", "moderator").await;
    let shot = h.uploaded(&ada, png(40, 40), "shot.png").await;
    let thread = a_thread(&h.app, &ada)
        .body(&format!("![shot]({})", shot["url"].as_str().unwrap()))
        .create()
        .await;
    // Hidden: members no longer see the file, but the archive's link still works.
    let hide = h
        .app
        .post_as(
            &format!("/api/v1/mod/threads/{thread}/hide"),
            &moderator.access_token,
        )
        .await;
    assert_eq!(hide.status().as_u16(), 200);
    let needs = devforum::accounts::service::export::ExportNeeds {
        base_url: "https://forum.example".into(),
        links: devforum::signed_urls::UrlSigner::new(secrecy::ExposeSecret::expose_secret(
            &h.settings.auth.jwt_secret,
        )),
    };
    devforum::accounts::service::export::build(
        &mut h.app.conn(),
        devforum::ids::UserId(ada.id),
        &needs,
    )
    .unwrap()
    .expect("an archive");
    #[derive(diesel::QueryableByName)]
    struct Archive {
        #[diesel(sql_type = diesel::sql_types::Text)]
        text: String,
    }
    use diesel::RunQueryDsl;
    let archive: Archive = diesel::sql_query(
        "SELECT string_agg(convert_from(data, 'UTF8'), '' ORDER BY seq) AS text FROM account_export_chunks",
    )
    .get_result(&mut h.app.conn())
    .unwrap();
    let archive: Value = serde_json::from_str(&archive.text).unwrap();
    let uploads = archive["uploads"].as_array().unwrap();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0]["original_name"], "shot.png");
    assert_eq!(uploads[0]["content_type"], "image/png");
    let link = uploads[0]["url"].as_str().unwrap();
    let path = link
        .strip_prefix("https://forum.example")
        .expect("a link to the forum");
    assert!(path.contains("signature="));
    assert_eq!(h.get(path).await.status().as_u16(), 200);
    assert_problem(h.get(shot["url"].as_str().unwrap()).await, 404, "not_found").await;
}

async fn deleting_an_account_takes_its_avatar_and_unused_uploads(backend: Backend) {
    let h = Harness::start(backend).await;
    let ada = h.app.member("ada").await;
    let avatar: Value = h
        .upload_as(&ada, png(64, 64), "me.png", "image/png", "avatar")
        .await
        .json()
        .await
        .unwrap();
    let set = h
        .app
        .send_as(
            Method::PUT,
            "/api/v1/users/me/avatar",
            &ada.access_token,
            &json!({"upload_id": avatar["id"]}),
        )
        .await;
    assert_eq!(set.status().as_u16(), 200);
    let unused = h.uploaded(&ada, png(30, 30), "draft.png").await;
    let shown = h.uploaded(&ada, png(31, 30), "shown.png").await;
    let thread = a_thread(&h.app, &ada)
        .body(&format!("![x]({})", shown["url"].as_str().unwrap()))
        .create()
        .await;
    let avatar_url = h
        .app
        .get_as("/api/v1/users/me", &ada.access_token)
        .await
        .json::<Value>()
        .await
        .unwrap()["avatar_url"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(h.get(&avatar_url).await.status().as_u16(), 200);

    let gone = h
        .app
        .send_as(
            Method::DELETE,
            "/api/v1/users/me",
            &ada.access_token,
            &json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(gone.status().as_u16(), 204);
    assert_problem(h.get(&avatar_url).await, 404, "not_found").await;
    assert_problem(
        h.get(unused["url"].as_str().unwrap()).await,
        404,
        "not_found",
    )
    .await;
    // The post stays, and so does its image.
    assert_eq!(
        h.get(shown["url"].as_str().unwrap())
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(h.app.count("SELECT count(*) AS n FROM uploads"), 1);
    let page: Value = h
        .app
        .get(&format!("/api/v1/threads/{thread}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["author"]["avatar_url"], Value::Null);
    // The sweep then removes what no upload names.
    h.age_everything();
    let swept = h.sweep().await;
    assert_eq!(swept.objects, 2);
    assert_eq!(h.objects().len(), 3);
}
