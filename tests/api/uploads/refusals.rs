//! Unhappy paths of `POST /uploads` and `GET /uploads/{id}`: they answer a problem and store
//! nothing.

use reqwest::multipart::{Form, Part};

use super::*;
use crate::helpers::assert_problem;

on_every_backend!(
    bad_forms_are_refused_and_store_nothing,
    the_daily_quota_follows_the_trust_level,
    a_file_over_its_types_limit_is_refused,
);

async fn bad_forms_are_refused_and_store_nothing(backend: Backend) {
    let h = Harness::start(backend).await;
    let ada = h.app.member("ada").await;
    let unverified = h.app.signed_up("newbie").await;
    let url = h.app.url("/api/v1/uploads");
    let client = &h.app.client;
    let form = || Form::new().part("file", Part::bytes(png(8, 8)).file_name("a.png"));

    let anonymous = client.post(&url).multipart(form()).send().await.unwrap();
    assert_problem(anonymous, 401, "unauthorized").await;
    let not_verified = client
        .post(&url)
        .bearer_auth(&unverified.access_token)
        .multipart(form())
        .send()
        .await
        .unwrap();
    assert_eq!(not_verified.status().as_u16(), 403);
    let json_body = client
        .post(&url)
        .bearer_auth(&ada.access_token)
        .json(&serde_json::json!({"file": "x"}))
        .send()
        .await
        .unwrap();
    assert_problem(json_body, 415, "unsupported_media_type").await;
    let no_file = client
        .post(&url)
        .bearer_auth(&ada.access_token)
        .multipart(Form::new().text("purpose", "post"))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(no_file, 422, "validation_failed").await;
    assert!(problem["errors"]["file"].is_array(), "{problem}");
    let bad_purpose = client
        .post(&url)
        .bearer_auth(&ada.access_token)
        .multipart(form().text("purpose", "banner"))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(bad_purpose, 422, "validation_failed").await;
    assert!(problem["errors"]["purpose"].is_array(), "{problem}");
    let extra = client
        .post(&url)
        .bearer_auth(&ada.access_token)
        .multipart(form().text("owner", "grace"))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(extra, 422, "validation_failed").await;
    assert!(problem["errors"]["owner"].is_array(), "{problem}");
    let two_files = client
        .post(&url)
        .bearer_auth(&ada.access_token)
        .multipart(form().part("file", Part::bytes(png(9, 9)).file_name("b.png")))
        .send()
        .await
        .unwrap();
    assert_problem(two_files, 422, "validation_failed").await;
    let empty = h
        .upload_as(&ada, Vec::new(), "empty.png", "image/png", "post")
        .await;
    assert_problem(empty, 415, "unsupported_upload_type").await;
    let pdf_avatar = h
        .upload_as(
            &ada,
            b"%PDF-1.4\n%%EOF\n".to_vec(),
            "me.pdf",
            "application/pdf",
            "avatar",
        )
        .await;
    assert_problem(pdf_avatar, 415, "unsupported_upload_type").await;

    assert_eq!(h.app.count("SELECT count(*) AS n FROM uploads"), 0);
    assert!(h.objects().is_empty(), "{:?}", h.objects());
    for path in ["/api/v1/uploads/987654", "/api/v1/uploads/abc"] {
        assert_problem(
            h.app.get_as(path, &ada.access_token).await,
            404,
            "not_found",
        )
        .await;
    }
}

async fn the_daily_quota_follows_the_trust_level(backend: Backend) {
    let h = Harness::start_with(backend, |s| {
        s.uploads.daily.new.count = 2;
        s.uploads.daily.basic.count = 3;
        s.uploads.daily.basic.megabytes = 1;
    })
    .await;
    let ada = h.app.member("ada").await;
    h.uploaded(&ada, png(10, 10), "1.png").await;
    h.uploaded(&ada, png(11, 10), "2.png").await;
    let over = assert_problem(
        h.upload_as(&ada, png(12, 10), "3.png", "image/png", "post")
            .await,
        429,
        "upload_quota",
    )
    .await;
    assert!(over["detail"].as_str().unwrap().contains("trust level"));
    // At `basic`, one more.
    h.app.sql(&format!(
        "UPDATE users SET trust_level = 'basic', trust_level_pinned = true WHERE id = {}",
        ada.id
    ));
    h.uploaded(&ada, png(12, 10), "3.png").await;
    assert_problem(
        h.upload_as(&ada, png(13, 10), "4.png", "image/png", "post")
            .await,
        429,
        "upload_quota",
    )
    .await;
    // Bytes count too: 1 MiB a day at `basic` here.
    h.app
        .sql("UPDATE uploads SET created_at = now() - interval '25 hours'");
    h.app
        .sql("UPDATE users SET trust_level = 'basic' WHERE username = 'ada'");
    let big = h.uploaded(&ada, png(700, 500), "big.png").await;
    assert!(big["size"].as_i64().unwrap() > 512 * 1024, "{big}");
    assert_problem(
        h.upload_as(&ada, png(701, 500), "big2.png", "image/png", "post")
            .await,
        429,
        "upload_quota",
    )
    .await;
    assert_eq!(h.app.count("SELECT count(*) AS n FROM uploads"), 4);
}

async fn a_file_over_its_types_limit_is_refused(backend: Backend) {
    let h = Harness::start_with(backend, |s| s.uploads.max_image_bytes = 50_000).await;
    let ada = h.app.member("ada").await;
    let big = png(800, 600);
    assert!(big.len() > 50_000);
    assert_problem(
        h.upload_as(&ada, big, "big.png", "image/png", "post").await,
        413,
        "upload_too_large",
    )
    .await;
    assert_eq!(h.app.count("SELECT count(*) AS n FROM uploads"), 0);
    assert!(h.objects().is_empty());
}
