//! Thread, meetup, tag and profile pages: readable HTML, metadata, structured data, canonical
//! URLs, caching, and nothing the public may not see.

use reqwest::Method;
use serde_json::json;

use super::Fetched;
use crate::helpers::{json, spawn_app, spawn_app_with};
use crate::support::a_thread;

const BASE: &str = "http://localhost:3000";

fn assert_page(page: &Fetched) {
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    assert!(
        page.text.starts_with("<!doctype html>\n<html lang=\"en\">"),
        "{}",
        page.text
    );
    assert_eq!(
        page.header("cache-control"),
        "public, max-age=60, stale-while-revalidate=300"
    );
    assert!(page.header("vary").contains("Cookie"), "{:?}", page.headers);
    assert!(page
        .header("content-security-policy")
        .contains("script-src 'self'"));
    assert!(
        !page.text.contains("@example.com"),
        "an email on a public page"
    );
}

#[tokio::test]
async fn a_thread_page_reads_without_javascript_and_says_what_it_is() {
    let app = spawn_app().await;
    let (ada, bob) = (app.member("ada").await, app.member("bob").await);
    let id = a_thread(&app, &ada)
        .titled("Why does cargo build fail on CI?")
        .body("It works locally.\n\n![the error](https://img.example/ci.png)\n\nAny idea?")
        .tags(&["rust", "ci"])
        .create()
        .await;
    app.reply_id(&bob, id, "Check the **toolchain** version.")
        .await;
    let path = app.thread_path(id).await;
    assert_eq!(path, format!("/t/{id}/why-does-cargo-build-fail-on-ci"));

    let page = app.visit(&path).await;
    assert_page(&page);
    let canonical = format!("{BASE}{path}");
    assert_eq!(page.link("canonical").as_deref(), Some(canonical.as_str()));
    assert_eq!(page.texts("h1"), ["Why does cargo build fail on CI?"]);
    assert_eq!(
        page.texts("title"),
        ["Why does cargo build fail on CI? · devforum"]
    );
    assert_eq!(
        page.meta("description").as_deref(),
        Some("It works locally. the error Any idea?")
    );
    assert_eq!(
        page.meta("og:title").as_deref(),
        Some("Why does cargo build fail on CI?")
    );
    assert_eq!(page.meta("og:url").as_deref(), Some(canonical.as_str()));
    assert_eq!(page.meta("og:type").as_deref(), Some("article"));
    assert_eq!(
        page.meta("og:image").as_deref(),
        Some("https://img.example/ci.png")
    );
    assert_eq!(
        page.meta("twitter:card").as_deref(),
        Some("summary_large_image")
    );
    assert_eq!(
        page.link("alternate").as_deref(),
        Some(format!("{BASE}/t/{id}.atom").as_str())
    );
    // The posts, their authors and dates, and tags linking to tag pages.
    let replies = page.texts("ol.replies > li .body");
    assert_eq!(replies, ["Check the toolchain version."]);
    assert!(
        page.text.contains("<a href=\"/u/bob\">bob</a>"),
        "{}",
        page.text
    );
    assert!(page.text.contains("<a href=\"/tags/rust\">#rust</a>"));
    assert!(page.text.contains("<time datetime=\""));

    let posting = page
        .typed("DiscussionForumPosting")
        .expect("DiscussionForumPosting");
    assert_eq!(posting["@context"], "https://schema.org");
    assert_eq!(posting["headline"], "Why does cargo build fail on CI?");
    assert_eq!(posting["url"], canonical);
    assert_eq!(posting["author"]["name"], "ada");
    assert_eq!(posting["author"]["url"], format!("{BASE}/u/ada"));
    assert!(posting["text"]
        .as_str()
        .expect("text")
        .starts_with("It works locally."));
    assert!(posting["datePublished"].is_string());
    let comments = posting["comment"].as_array().expect("comments");
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0]["@type"], "Comment");
    assert_eq!(comments[0]["author"]["name"], "bob");
    assert_eq!(comments[0]["text"], "Check the toolchain version.");
    let counters = posting["interactionStatistic"]
        .as_array()
        .expect("statistics");
    assert!(counters.iter().any(
        |c| c["interactionType"] == "https://schema.org/CommentAction"
            && c["userInteractionCount"] == 1
    ));
    assert!(
        page.typed("QAPage").is_none(),
        "no accepted answer while unsolved"
    );
    let crumbs = page.typed("BreadcrumbList").expect("breadcrumbs");
    let items = crumbs["itemListElement"].as_array().expect("items");
    assert_eq!(items.len(), 3);
    assert_eq!(items[1]["item"], format!("{BASE}/tags/rust"));
    assert_eq!(items[2]["item"], canonical);
    // The web client's first data, for it to take over without fetching it again.
    let initial = page.texts("script#initial-data");
    let initial: serde_json::Value = serde_json::from_str(&initial[0]).expect("initial data");
    assert_eq!(initial["thread"]["thread"]["id"], id);
    assert_eq!(
        initial["thread"]["replies"]["items"][0]["body"],
        "Check the **toolchain** version."
    );
}

#[tokio::test]
async fn a_solved_thread_is_a_question_with_its_accepted_answer_first() {
    let app = spawn_app().await;
    let (ada, bob, cyd) = (
        app.member("ada").await,
        app.member("bob").await,
        app.member("cyd").await,
    );
    let id = app
        .create_thread(&ada, "How do I pin a nightly toolchain?", &[])
        .await;
    let other = app.reply_id(&cyd, id, "Reinstall everything.").await;
    let answer = app
        .reply_id(&bob, id, "Add a `rust-toolchain.toml` file.")
        .await;
    app.choose_solution(&ada, id, answer).await;
    let path = app.thread_path(id).await;

    let page = app.visit(&path).await;
    assert_page(&page);
    assert!(page.typed("DiscussionForumPosting").is_none());
    let qa = page.typed("QAPage").expect("QAPage");
    let question = &qa["mainEntity"];
    assert_eq!(question["@type"], "Question");
    assert_eq!(question["name"], "How do I pin a nightly toolchain?");
    assert_eq!(question["answerCount"], 2);
    let accepted = &question["acceptedAnswer"];
    assert_eq!(accepted["@type"], "Answer");
    assert_eq!(accepted["text"], "Add a rust-toolchain.toml file.");
    assert_eq!(accepted["author"]["name"], "bob");
    assert_eq!(accepted["url"], format!("{BASE}{path}#reply-{answer}"));
    let suggested = question["suggestedAnswer"].as_array().expect("suggested");
    assert_eq!(suggested.len(), 1);
    assert_eq!(suggested[0]["url"], format!("{BASE}{path}#reply-{other}"));
    // The solution is shown under the question, before the replies.
    let solution_at = page
        .text
        .find("id=\"solution-heading\"")
        .expect("solution section");
    let replies_at = page.text.find("<ol class=\"replies\">").expect("replies");
    assert!(solution_at < replies_at);
    assert!(page
        .text
        .contains(&format!("<li id=\"reply-{answer}\" class=\"solution\">")));
}

#[tokio::test]
async fn slugs_are_derived_never_trusted_and_unknown_pages_are_html_404s() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let id = app
        .create_thread(&ada, "Tokio: spawn or spawn_blocking?", &[])
        .await;
    let canonical = format!("{BASE}/t/{id}/tokio-spawn-or-spawn-blocking");
    for (path, to) in [
        (format!("/t/{id}"), canonical.clone()),
        (format!("/t/{id}/wrong-slug"), canonical.clone()),
        (format!("/t/{id}/wrong-slug?page=1"), canonical.clone()),
        (format!("/t/{id}/x?utm_source=chat"), canonical.clone()),
    ] {
        let answer = app.visit(&path).await;
        assert_eq!(answer.status, 301, "{path}");
        assert_eq!(answer.header("location"), to, "{path}");
    }
    for path in [
        "/t/999999/anything".to_string(),
        "/t/999999".to_string(),
        "/t/abc/x".to_string(),
        "/t/0".to_string(),
        format!("/t/{id}/tokio-spawn-or-spawn-blocking?page=2"),
        format!("/t/{id}/tokio-spawn-or-spawn-blocking?page=0"),
        format!("/t/{id}/tokio-spawn-or-spawn-blocking?page=two"),
        "/m/999999/x".to_string(),
        "/tags/Not-A-Tag".to_string(),
        "/tags/unused".to_string(),
        "/u/nobody-here".to_string(),
    ] {
        let page = app.visit(&path).await;
        assert_eq!(page.status, 404, "{path}");
        assert_eq!(
            page.header("content-type"),
            "text/html; charset=utf-8",
            "{path}"
        );
        assert_eq!(page.meta("robots").as_deref(), Some("noindex"), "{path}");
        assert_eq!(page.texts("h1"), ["Not found"], "{path}");
    }
}

#[tokio::test]
async fn long_threads_come_fifty_replies_a_page_linked_by_prev_and_next() {
    let app = spawn_app().await;
    let (ada, bob) = (app.member("ada").await, app.member("bob").await);
    let id = app.create_thread(&ada, "A very long discussion", &[]).await;
    app.sql(&format!(
        "INSERT INTO replies (thread_id, author_id, body, body_html, created_at) \
         SELECT {id}, {bob}, 'Reply ' || n, '<p>Reply ' || n || '</p>', now() + n * interval '1 second' \
         FROM generate_series(1, 55) AS n",
        bob = bob.id
    ));
    app.sql(&format!(
        "UPDATE thread_activity SET reply_count = 55, last_activity_at = now() WHERE thread_id = {id}"
    ));
    let path = app.thread_path(id).await;

    let first = app.visit(&path).await;
    assert_page(&first);
    let bodies = first.texts("ol.replies > li .body");
    assert_eq!(bodies.len(), 50);
    assert_eq!(bodies[0], "Reply 1");
    assert_eq!(first.link("next"), Some(format!("{BASE}{path}?page=2")));
    assert_eq!(first.link("prev"), None);
    assert!(first.text.contains("<a rel=\"next\" href=\""));

    let second = app.visit(&format!("{path}?page=2")).await;
    assert_page(&second);
    assert_eq!(
        second.texts("ol.replies > li .body"),
        ["Reply 51", "Reply 52", "Reply 53", "Reply 54", "Reply 55"]
    );
    assert_eq!(
        second.link("canonical"),
        Some(format!("{BASE}{path}?page=2"))
    );
    assert_eq!(second.link("prev"), Some(format!("{BASE}{path}")));
    assert_eq!(second.link("next"), None);
    let comments = second.typed("DiscussionForumPosting").expect("posting")["comment"]
        .as_array()
        .expect("comments")
        .len();
    assert_eq!(comments, 5, "the page's own replies");
    assert_eq!(app.visit(&format!("{path}?page=3")).await.status, 404);
}

#[tokio::test]
async fn a_page_is_revalidated_from_the_threads_activity_and_changes_with_it() {
    let app = spawn_app().await;
    let (ada, bob) = (app.member("ada").await, app.member("bob").await);
    let id = app.create_thread(&ada, "Caching question", &["http"]).await;
    let path = app.thread_path(id).await;
    let page = app.visit(&path).await;
    let etag = page.header("etag");
    let modified = page.header("last-modified");
    assert!(etag.starts_with("W/\""), "{etag}");
    assert!(modified.ends_with(" GMT"), "{modified}");

    let again = app.visit_with(&path, &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, 304);
    assert!(again.text.is_empty());
    assert_eq!(again.header("etag"), etag);
    assert!(
        again.header("vary").contains("Cookie"),
        "{:?}",
        again.headers
    );
    assert_eq!(
        again.header("cache-control"),
        "public, max-age=60, stale-while-revalidate=300"
    );
    let since = app
        .visit_with(&path, &[("if-modified-since", &modified)])
        .await;
    assert_eq!(since.status, 304);
    let other = app
        .visit_with(&path, &[("if-none-match", "W/\"something-else\"")])
        .await;
    assert_eq!(other.status, 200);

    // A reply, an edit of it, and its hiding each make a new page.
    let reply = app.reply_id(&bob, id, "First answer.").await;
    let replied = app.visit_with(&path, &[("if-none-match", &etag)]).await;
    assert_eq!(replied.status, 200);
    assert_eq!(replied.texts("ol.replies > li .body"), ["First answer."]);
    let etag = replied.header("etag");
    assert_ne!(etag, page.header("etag"));

    let edited = app
        .send_as(
            Method::PATCH,
            &format!("/api/v1/replies/{reply}"),
            &bob.access_token,
            &json!({ "body": "First answer, corrected." }),
        )
        .await;
    assert_eq!(edited.status().as_u16(), 200);
    let after_edit = app.visit_with(&path, &[("if-none-match", &etag)]).await;
    assert_eq!(after_edit.status, 200);
    assert_eq!(
        after_edit.texts("ol.replies > li .body"),
        ["First answer, corrected."]
    );
    let etag = after_edit.header("etag");

    let moderator = app.staff("moe", "moderator").await;
    let hidden = app
        .call(
            Method::POST,
            &format!("/api/v1/mod/replies/{reply}/hide"),
            Some(&moderator.access_token),
            Some(&json!({ "reason": "off topic" })),
        )
        .await;
    assert_eq!(
        hidden.status().as_u16(),
        200,
        "{}",
        hidden.text().await.unwrap_or_default()
    );
    let after_hiding = app.visit_with(&path, &[("if-none-match", &etag)]).await;
    assert_eq!(after_hiding.status, 200);
    assert!(after_hiding.texts("ol.replies > li .body").is_empty());
    assert!(!after_hiding.text.contains("corrected"));
}

#[tokio::test]
async fn hidden_and_deleted_threads_are_in_no_page() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let moderator = app.staff("moe", "moderator").await;
    let hidden = app
        .create_thread(&ada, "Buy cheap watches now", &["rust"])
        .await;
    let deleted = app
        .create_thread(&ada, "Posted by mistake", &["rust"])
        .await;
    let kept = app.create_thread(&ada, "A real question", &["rust"]).await;
    let hidden_path = app.thread_path(hidden).await;
    let deleted_path = app.thread_path(deleted).await;
    let answer = app
        .call(
            Method::POST,
            &format!("/api/v1/mod/threads/{hidden}/hide"),
            Some(&moderator.access_token),
            Some(&json!({ "reason": "spam" })),
        )
        .await;
    assert_eq!(answer.status().as_u16(), 200);
    let answer = app
        .call(
            Method::DELETE,
            &format!("/api/v1/threads/{deleted}"),
            Some(&ada.access_token),
            None,
        )
        .await;
    assert!(answer.status().is_success());

    for path in [
        hidden_path.clone(),
        format!("/t/{hidden}"),
        format!("/t/{hidden}.atom"),
        deleted_path.clone(),
        format!("/t/{deleted}.atom"),
    ] {
        assert_eq!(app.visit(&path).await.status, 404, "{path}");
    }
    for path in [
        "/tags/rust",
        "/tags/rust.atom",
        "/latest.atom",
        "/u/ada",
        "/sitemaps/threads-1.xml",
    ] {
        let page = app.visit(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(page.text.contains(&format!("/t/{kept}/")), "{path}");
        assert!(
            !page.text.contains("cheap watches") && !page.text.contains(&format!("/t/{hidden}/")),
            "{path}"
        );
        assert!(
            !page.text.contains("by mistake") && !page.text.contains(&format!("/t/{deleted}/")),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_signed_in_member_gets_the_web_client_and_titles_are_escaped() {
    let dist = crate::web_client::fake_build();
    let for_settings = dist.clone();
    let app = spawn_app_with(
        move |settings| settings.web.dist_dir = for_settings,
        devforum::startup::BuildOptions::default(),
    )
    .await;
    let ada = app.member("ada").await;
    let id = app
        .create_thread(&ada, "Why is </script><script>alert(1)</script> bad?", &[])
        .await;
    let path = app.thread_path(id).await;
    let visitor = app.visit(&path).await;
    assert_page(&visitor);
    assert!(
        !visitor.text.contains("<script>alert(1)"),
        "{}",
        visitor.text
    );
    assert_eq!(
        visitor.texts("h1"),
        ["Why is </script><script>alert(1)</script> bad?"]
    );
    assert_eq!(
        visitor.typed("DiscussionForumPosting").expect("posting")["headline"],
        "Why is </script><script>alert(1)</script> bad?"
    );

    let member = app
        .visit_with(&path, &[("cookie", "__Host-devforum_refresh=some-session")])
        .await;
    assert_eq!(member.status, 200);
    assert!(
        member
            .text
            .starts_with("<!doctype html><title>devforum</title>"),
        "{}",
        member.text
    );
    assert_eq!(member.header("cache-control"), "no-cache");
    assert!(member.header("vary").contains("Cookie"));
    std::fs::remove_dir_all(dist).ok();
}

#[tokio::test]
async fn a_meetup_page_is_an_event_with_its_place_time_and_status() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let starts = "2031-01-15T18:00:00Z";
    let created = app
        .send_as(
            Method::POST,
            "/api/v1/meetups",
            &ada.access_token,
            &json!({
                "title": "Rust Berlin: async in practice",
                "description": "Talks, then **pizza**.",
                "starts_at": starts,
                "ends_at": "2031-01-15T21:00:00Z",
                "timezone": "Europe/Berlin",
                "venue": {"name": "Hall 1", "address": "Main St 1", "city": "Berlin", "country": "DE"},
                "capacity": 30,
                "tags": ["rust"],
            }),
        )
        .await;
    assert_eq!(created.status().as_u16(), 201);
    let meetup = json(created).await;
    let id = meetup["id"].as_i64().expect("id");
    let path = format!("/m/{id}/rust-berlin-async-in-practice");
    assert_eq!(meetup["slug"], "rust-berlin-async-in-practice");
    let short = app.visit(&format!("/m/{id}")).await;
    assert_eq!(short.status, 301);
    assert_eq!(short.header("location"), format!("{BASE}{path}"));

    let page = app.visit(&path).await;
    assert_page(&page);
    assert_eq!(page.texts("h1"), ["Rust Berlin: async in practice"]);
    assert!(
        page.text.contains("Wed 15 Jan 2031, 19:00–22:00"),
        "{}",
        page.text
    );
    let event = page.typed("Event").expect("Event");
    assert_eq!(event["name"], "Rust Berlin: async in practice");
    assert_eq!(event["startDate"], "2031-01-15T19:00:00+01:00");
    assert_eq!(event["endDate"], "2031-01-15T22:00:00+01:00");
    assert_eq!(event["eventStatus"], "https://schema.org/EventScheduled");
    assert_eq!(
        event["eventAttendanceMode"],
        "https://schema.org/OfflineEventAttendanceMode"
    );
    assert_eq!(event["location"]["@type"], "Place");
    assert_eq!(event["location"]["address"]["addressLocality"], "Berlin");
    assert_eq!(event["organizer"]["name"], "ada");
    assert_eq!(event["url"], format!("{BASE}{path}"));

    let cancelled = app
        .call(
            Method::POST,
            &format!("/api/v1/meetups/{id}/cancel"),
            Some(&ada.access_token),
            Some(&json!({})),
        )
        .await;
    assert!(
        cancelled.status().is_success(),
        "{}",
        cancelled.text().await.unwrap_or_default()
    );
    let page = app.visit(&path).await;
    assert_eq!(
        page.typed("Event").expect("Event")["eventStatus"],
        "https://schema.org/EventCancelled"
    );
    assert!(page.text.contains("This meetup is cancelled."));

    let moderator = app.staff("moe", "moderator").await;
    let hidden = app
        .call(
            Method::POST,
            &format!("/api/v1/mod/meetups/{id}/hide"),
            Some(&moderator.access_token),
            Some(&json!({ "reason": "spam" })),
        )
        .await;
    assert!(hidden.status().is_success());
    assert_eq!(app.visit(&path).await.status, 404);
    assert!(!app
        .visit("/sitemaps/meetups.xml")
        .await
        .text
        .contains(&format!("/m/{id}/")));
}

#[tokio::test]
async fn tag_and_profile_pages_list_public_threads_by_their_canonical_urls() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let id = app
        .create_thread(&ada, "Lifetimes explained", &["rust"])
        .await;
    app.sql(&format!(
        "UPDATE users SET display_name = 'Ada L.', bio = 'Writes compilers.' WHERE id = {}",
        ada.id
    ));

    let tag = app.visit("/tags/rust").await;
    assert_page(&tag);
    assert_eq!(tag.texts("h1"), ["#rust"]);
    assert_eq!(tag.link("canonical"), Some(format!("{BASE}/tags/rust")));
    assert_eq!(
        tag.link("alternate"),
        Some(format!("{BASE}/tags/rust.atom"))
    );
    assert!(tag.text.contains(&format!(
        "<a class=\"title\" href=\"/t/{id}/lifetimes-explained\">Lifetimes explained</a>"
    )));
    assert!(tag.typed("BreadcrumbList").is_some());
    assert_eq!(app.visit("/tags/rust?cursor=").await.status, 200);
    let garbage = app.visit("/tags/rust?cursor=not-one-of-ours").await;
    assert_eq!(garbage.status, 400);
    assert!(garbage.text.contains("invalid_cursor"), "{}", garbage.text);

    let profile = app.visit("/u/ada").await;
    assert_page(&profile);
    assert!(
        profile.texts("h1")[0].ends_with("Ada L."),
        "{:?}",
        profile.texts("h1")
    );
    assert_eq!(profile.meta("og:type").as_deref(), Some("profile"));
    assert_eq!(
        profile.meta("description").as_deref(),
        Some("Writes compilers.")
    );
    let person = profile.typed("ProfilePage").expect("ProfilePage");
    assert_eq!(person["mainEntity"]["name"], "Ada L.");
    assert_eq!(person["mainEntity"]["alternateName"], "ada");
    assert!(profile
        .text
        .contains(&format!("/t/{id}/lifetimes-explained")));
}
