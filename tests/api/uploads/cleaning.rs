//! What is stored of an image: the pixels, upright, and nothing else; and what is refused.

use std::time::{Duration, Instant};

use super::*;
use crate::helpers::assert_problem;

on_every_backend!(
    a_photo_is_stored_upright_without_its_exif_and_gps,
    thumbnails_are_made_in_two_sizes,
    an_animated_gif_becomes_a_still,
    the_type_is_read_from_the_bytes_not_the_name,
    a_decompression_bomb_is_refused_before_it_is_decoded,
    an_image_that_needs_more_memory_than_allowed_is_refused,
);

async fn a_photo_is_stored_upright_without_its_exif_and_gps(backend: Backend) {
    let h = Harness::start(backend).await;
    let ada = h.app.member("ada").await;
    let photo = jpeg_with_gps(64, 48);
    assert_eq!(
        gps_latitude(&photo).as_deref(),
        Some("52 deg 31 min 0 sec"),
        "the test photo carries GPS"
    );
    let upload = h.uploaded(&ada, photo, "IMG_2041.jpg").await;
    assert_eq!(upload["content_type"], "image/jpeg");
    // Orientation 6: the stored photo is turned, 48 wide and 64 high.
    assert_eq!(
        (upload["width"].as_i64(), upload["height"].as_i64()),
        (Some(48), Some(64))
    );
    let url = upload["url"].as_str().unwrap();
    assert!(url.starts_with("/files/") && url.ends_with(".jpg"), "{url}");

    let stored = bytes_of(h.get(url).await).await;
    assert_eq!(
        gps_latitude(&stored),
        None,
        "GPS tags left in the stored file"
    );
    assert!(
        exif::Reader::new()
            .read_from_container(&mut Cursor::new(&stored))
            .is_err(),
        "any EXIF left in the stored file"
    );
    let decoded = image::load_from_memory(&stored).expect("a JPEG");
    assert_eq!((decoded.width(), decoded.height()), (48, 64));
    // The hash names the stored (cleaned) bytes.
    use sha2::Digest;
    assert_eq!(
        upload["sha256"].as_str().unwrap(),
        format!("{:x}", sha2::Sha256::digest(&stored))
    );
    assert_eq!(upload["size"].as_u64(), Some(stored.len() as u64));
}

async fn thumbnails_are_made_in_two_sizes(backend: Backend) {
    let h = Harness::start(backend).await;
    let ada = h.app.member("ada").await;
    let upload = h.uploaded(&ada, png(2400, 1000), "wide.png").await;
    assert_eq!(upload["content_type"], "image/png");
    for (size, width, height) in [("small", 200, 83), ("large", 1200, 500)] {
        let url = upload["thumbnails"][size].as_str().unwrap();
        let thumbnail = image::load_from_memory(&bytes_of(h.get(url).await).await).unwrap();
        assert_eq!(
            (thumbnail.width(), thumbnail.height()),
            (width, height),
            "{size}"
        );
    }
    let original =
        image::load_from_memory(&bytes_of(h.get(upload["url"].as_str().unwrap()).await).await)
            .unwrap();
    assert_eq!((original.width(), original.height()), (2400, 1000));
}

async fn an_animated_gif_becomes_a_still(backend: Backend) {
    let h = Harness::start(backend).await;
    let ada = h.app.member("ada").await;
    let upload = h.uploaded(&ada, animated_gif(), "spinner.gif").await;
    // Its first frame, stored as a PNG (README: "Uploads").
    assert_eq!(upload["content_type"], "image/png");
    assert_eq!(
        (upload["width"].as_i64(), upload["height"].as_i64()),
        (Some(40), Some(30))
    );
    let still = bytes_of(h.get(upload["url"].as_str().unwrap()).await).await;
    assert!(still.starts_with(b"\x89PNG"));
}

async fn the_type_is_read_from_the_bytes_not_the_name(backend: Backend) {
    let h = Harness::start(backend).await;
    let ada = h.app.member("ada").await;
    let page = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>".to_vec();
    assert_problem(
        h.upload_as(&ada, page, "cat.png", "image/png", "post")
            .await,
        415,
        "unsupported_upload_type",
    )
    .await;
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec();
    assert_problem(
        h.upload_as(&ada, svg, "logo.svg", "image/svg+xml", "post")
            .await,
        415,
        "unsupported_upload_type",
    )
    .await;
    // A real PNG named like a PDF is a PNG.
    let upload = h
        .upload_as(&ada, png(10, 10), "report.pdf", "application/pdf", "post")
        .await;
    assert_eq!(upload.status().as_u16(), 201);
    let upload: Value = upload.json().await.unwrap();
    assert_eq!(upload["content_type"], "image/png");
    assert!(upload["url"].as_str().unwrap().ends_with(".png"));
    // A new account uploads images only; a PDF is refused, then taken once the level allows
    // attachments, and served as a download.
    let pdf = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec();
    assert_problem(
        h.upload_as(&ada, pdf.clone(), "notes.pdf", "application/pdf", "post")
            .await,
        415,
        "unsupported_upload_type",
    )
    .await;
    h.app.sql(&format!(
        "UPDATE users SET trust_level = 'basic', trust_level_pinned = true WHERE id = {}",
        ada.id
    ));
    let attachment = h.uploaded(&ada, pdf.clone(), "build notes.pdf").await;
    assert_eq!(attachment["content_type"], "application/pdf");
    assert!(attachment.get("thumbnails").is_none());
    let response = h.get(attachment["url"].as_str().unwrap()).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert!(disposition.contains("build notes.pdf"), "{disposition}");
    assert_eq!(response.bytes().await.unwrap().to_vec(), pdf);
    // Only what was accepted is stored: a PNG and a PDF, the PNG with its two thumbnails.
    assert_eq!(h.app.count("SELECT count(*) AS n FROM uploads"), 2);
    assert_eq!(h.objects().len(), 4, "{:?}", h.objects());
}

async fn a_decompression_bomb_is_refused_before_it_is_decoded(backend: Backend) {
    let h = Harness::start(backend).await;
    let ada = h.app.member("ada").await;
    // 900 million pixels claimed: 2.7 GB if decoded. The header alone refuses it.
    let bomb = png_claiming(30_000, 30_000);
    assert!(bomb.len() < 200);
    let started = Instant::now();
    let problem = assert_problem(
        h.upload_as(&ada, bomb, "bomb.png", "image/png", "post")
            .await,
        422,
        "image_too_large",
    )
    .await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("30000 × 30000"),
        "{problem}"
    );
    // Not a timing test: decoding 2.7 GB would take minutes here, not this.
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(h.app.count("SELECT count(*) AS n FROM uploads"), 0);
    assert!(h.objects().is_empty());
}

async fn an_image_that_needs_more_memory_than_allowed_is_refused(backend: Backend) {
    let h = Harness::start_with(backend, |s| s.uploads.max_decode_bytes = 10_000).await;
    let ada = h.app.member("ada").await;
    // 100 × 100 RGB is 30,000 bytes decoded.
    assert_problem(
        h.upload_as(&ada, png(100, 100), "shot.png", "image/png", "post")
            .await,
        422,
        "image_too_large",
    )
    .await;
    assert_problem(
        h.upload_as(
            &ada,
            b"\x89PNG\r\n\x1a\nbroken".to_vec(),
            "x.png",
            "image/png",
            "post",
        )
        .await,
        422,
        "invalid_image",
    )
    .await;
    assert_eq!(h.app.count("SELECT count(*) AS n FROM uploads"), 0);
}
