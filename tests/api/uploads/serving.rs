//! `/files/...`: the headers, ranges, `ETag`/`304`, and the redirect mode of S3.

use super::*;
use crate::helpers::assert_problem;

on_every_backend!(files_answer_ranges_and_conditional_requests);

async fn files_answer_ranges_and_conditional_requests(backend: Backend) {
    let h = Harness::start(backend).await;
    let ada = h.app.member("ada").await;
    let upload = h.uploaded(&ada, png(400, 300), "shot.png").await;
    let url = upload["url"].as_str().unwrap();
    let whole = h.get(url).await;
    assert_eq!(whole.status().as_u16(), 200);
    let headers = whole.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["accept-ranges"], "bytes");
    assert!(
        headers.get("content-disposition").is_none(),
        "images are shown inline"
    );
    // Not used by any post yet: served to whoever has the URL, never kept by shared caches.
    assert_eq!(headers["cache-control"], "private, no-cache");
    let etag = headers["etag"].to_str().unwrap().to_string();
    let bytes = whole.bytes().await.unwrap();
    assert_eq!(bytes.len() as i64, upload["size"].as_i64().unwrap());

    let client = &h.app.client;
    let not_modified = client
        .get(h.app.url(url))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(not_modified.status().as_u16(), 304);
    assert_eq!(not_modified.headers()["etag"], etag.as_str());
    let other_tag = client
        .get(h.app.url(url))
        .header("If-None-Match", "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other_tag.status().as_u16(), 200);

    let part = client
        .get(h.app.url(url))
        .header("Range", "bytes=10-109")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status().as_u16(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 10-109/{}", bytes.len()).as_str()
    );
    assert_eq!(part.bytes().await.unwrap(), bytes.slice(10..110));
    let tail = client
        .get(h.app.url(url))
        .header("Range", "bytes=-16")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.status().as_u16(), 206);
    assert_eq!(tail.bytes().await.unwrap(), bytes.slice(bytes.len() - 16..));
    let outside = client
        .get(h.app.url(url))
        .header("Range", format!("bytes={}-", bytes.len() + 10))
        .send()
        .await
        .unwrap();
    assert_eq!(outside.status().as_u16(), 416);
    assert_eq!(
        outside.headers()["content-range"],
        format!("bytes */{}", bytes.len()).as_str()
    );

    // Names that are no stored file.
    let sha = upload["sha256"].as_str().unwrap();
    for missing in [
        format!("/files/{sha}.jpg"),
        format!("/files/{sha}_huge.png"),
        format!("/files/{}.png", "0".repeat(64)),
        "/files/not-a-file".to_string(),
        format!("/files/{sha}.png?expires=1"),
    ] {
        assert_problem(h.get(&missing).await, 404, "not_found").await;
    }
}

/// The redirect mode (S3 only): a `302` to a pre-signed URL of the store, which answers the
/// bytes with the type stored with them.
#[tokio::test]
async fn redirect_mode_hands_out_pre_signed_urls_of_the_store() {
    let Some(server) = crate::s3_server::server() else {
        crate::s3_server::skip_without_s3();
        return;
    };
    let h = Harness::start_with(Backend::S3(server), |s| {
        s.uploads.serve = devforum::config::ServeMode::Redirect;
        s.uploads.presigned_url_secs = 60;
    })
    .await;
    let ada = h.app.member("ada").await;
    let upload = h.uploaded(&ada, png(120, 80), "shot.png").await;
    let response = h.get(upload["url"].as_str().unwrap()).await;
    assert_eq!(response.status().as_u16(), 302);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(&server.endpoint), "{location}");
    assert!(location.contains("X-Amz-Signature="), "{location}");
    assert!(location.contains("X-Amz-Expires=60"), "{location}");
    let stored = reqwest::get(&location).await.unwrap();
    assert_eq!(stored.status().as_u16(), 200);
    assert_eq!(stored.headers()["content-type"], "image/png");
    let image = image::load_from_memory(&stored.bytes().await.unwrap()).unwrap();
    assert_eq!((image.width(), image.height()), (120, 80));
    // Tampered with, the store refuses it.
    let tampered = location.replace("X-Amz-Expires=60", "X-Amz-Expires=6000");
    assert_eq!(
        reqwest::get(&tampered).await.unwrap().status().as_u16(),
        403
    );
}

/// Redirect mode needs a store that can sign URLs: the filesystem cannot, and the
/// configuration says so at start.
#[test]
fn redirect_mode_needs_the_s3_backend() {
    let vars = std::collections::HashMap::from([
        ("DEVFORUM_ENV".to_string(), "test".to_string()),
        (
            "DEVFORUM__UPLOADS__SERVE".to_string(),
            "redirect".to_string(),
        ),
    ]);
    let error = devforum::config::Settings::load_from(&crate::helpers::config_dir(), &vars)
        .expect_err("refused");
    assert!(error.to_string().contains("uploads.serve"), "{error}");
}
