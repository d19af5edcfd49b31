//! The member's data archive.

use super::*;

#[tokio::test]
async fn an_export_holds_everything_the_member_did_and_nothing_private_of_anyone_else() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let ada = app.member("ada").await;
    let grace = app.member("grace").await;
    let linus = app.member("linus").await;
    let moderator = app.staff("moderator", "moderator").await;
    let mentor_profile = json!({
        "headline": "Compilers", "bio": "Ask me.", "skills": ["Rust"], "languages": ["en"],
        "timezone": "UTC", "capacity": 3, "accepting_requests": true,
    });
    let response = app
        .send_as(
            Method::PUT,
            "/api/v1/mentors/me",
            &grace.access_token,
            &mentor_profile,
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);

    let hidden = app
        .create_thread(&ada, "A thread moderators hid", &["rust"])
        .await;
    let kept = app.create_thread(&grace, "Grace's thread", &[]).await;
    assert_eq!(
        app.create_reply(&ada, kept, "Ada's reply")
            .await
            .status()
            .as_u16(),
        201
    );
    let vote = app
        .send_as(
            Method::PUT,
            &format!("/api/v1/threads/{kept}/vote"),
            &ada.access_token,
            &json!({"value": 1}),
        )
        .await;
    assert_eq!(vote.status().as_u16(), 200);
    for (mentee, message) in [
        (&ada, "Ada would like help."),
        (&linus, "LINUS PRIVATE NOTE"),
    ] {
        let response = app
            .send_as(
                Method::POST,
                "/api/v1/mentorship-requests",
                &mentee.access_token,
                &json!({"mentor": "grace", "message": message, "goals": "Learn."}),
            )
            .await;
        assert_eq!(response.status().as_u16(), 201);
    }
    let report = app
        .send_as(
            Method::POST,
            "/api/v1/reports",
            &ada.access_token,
            &json!({"target_type": "thread", "target_id": kept, "reason": "spam", "details": "Looks odd."}),
        )
        .await;
    assert_eq!(report.status().as_u16(), 201);
    let hide = app
        .post_as(
            &format!("/api/v1/mod/threads/{hidden}/hide"),
            &moderator.access_token,
        )
        .await;
    assert_eq!(hide.status().as_u16(), 200);
    let hide_entry = app.count("SELECT max(id) AS n FROM moderation_log");
    let appeal = app
        .send_as(
            Method::POST,
            "/api/v1/appeals",
            &ada.access_token,
            &json!({"log_id": hide_entry, "text": "Please look again."}),
        )
        .await;
    assert_eq!(appeal.status().as_u16(), 201);

    // What she was writing, and where she left off.
    for (key, body) in [
        ("new-thread".to_string(), "A question I have not finished"),
        (format!("reply-{kept}"), "A reply in progress"),
    ] {
        let saved = app
            .send_as(
                Method::PUT,
                &format!("/api/v1/drafts/{key}"),
                &ada.access_token,
                &json!({ "body": body }),
            )
            .await;
        assert_eq!(saved.status().as_u16(), 200);
    }
    let read = app
        .send_as(
            Method::PUT,
            &format!("/api/v1/threads/{kept}/read"),
            &ada.access_token,
            &json!({ "last_read_reply_id": null }),
        )
        .await;
    assert_eq!(read.status().as_u16(), 204);

    // Ways to sign in: the archive names them, never their secrets.
    for statement in [
        "INSERT INTO identities (user_id, provider, subject, email) VALUES ({id}, 'github', '583231', 'ada@github.test')",
        "INSERT INTO passkeys (user_id, name, credential_id, credential) VALUES ({id}, 'Ada''s laptop', '\\x0102', '{\"cred\": \"public-key-material\"}')",
        "INSERT INTO totp_secrets (user_id, secret, confirmed_at) VALUES ({id}, '\\x000102030405060708090a0b0c0d0e0f10111213', now())",
        "INSERT INTO api_tokens (user_id, name, scopes, secret_hash, generation) VALUES ({id}, 'CI bot', ARRAY['read'], '\\xfeedfacefeedface', 0)",
    ] {
        app.sql(&statement.replace("{id}", &ada.id.to_string()));
    }
    // Her conversations: what she wrote and what was written to her, nobody else's.
    let talk = |from: &TestUser, body: Value| {
        let (app, token) = (&app, from.access_token.clone());
        async move {
            let response = app
                .send_as(Method::POST, "/api/v1/conversations", &token, &body)
                .await;
            assert_eq!(response.status().as_u16(), 201);
            json(response).await["id"].as_i64().unwrap()
        }
    };
    let conversation = talk(
        &ada,
        json!({"to": ["grace"], "subject": "About compilers", "body": "Ada writes to Grace"}),
    )
    .await;
    let answer = app
        .send_as(
            Method::POST,
            &format!("/api/v1/conversations/{conversation}/messages"),
            &grace.access_token,
            &json!({"body": "Grace answers Ada"}),
        )
        .await;
    assert_eq!(answer.status().as_u16(), 201);
    talk(
        &grace,
        json!({"to": ["linus"], "subject": "Between us", "body": "GRACE AND LINUS ONLY"}),
    )
    .await;
    assert_problem(
        app.post_json("/api/v1/users/me/export", &json!({})).await,
        401,
        "unauthorized",
    )
    .await;
    let response = app
        .post_as("/api/v1/users/me/export", &ada.access_token)
        .await;
    assert_eq!(response.status().as_u16(), 202);
    let email = mail
        .wait_for_subject(&ada.email, "ready to download", MAIL_WAIT)
        .await;
    assert!(email.text.contains("works once and expires in 7 days"));
    let path = export_path(&email);

    let download = app.get(&path).await;
    assert_eq!(download.status().as_u16(), 200);
    let headers = download.headers().clone();
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment; filename=\"devforum-ada-"));
    assert_eq!(headers["cache-control"], "no-store");
    let text = download.text().await.unwrap();
    let archive: Value = serde_json::from_str(&text).expect("the archive is JSON");

    assert_eq!(archive["format"], "devforum-account-export");
    assert_eq!(archive["version"], 1);
    assert_eq!(archive["account"]["email"], ada.email.as_str());
    assert_eq!(archive["account"]["username"], "ada");
    assert_eq!(
        archive["account"]["linked_identities"][0]["provider"],
        "github"
    );
    assert_eq!(
        archive["account"]["linked_identities"][0]["subject"],
        "583231"
    );
    assert_eq!(archive["account"]["passkeys"][0]["name"], "Ada's laptop");
    assert_eq!(archive["account"]["api_tokens"][0]["name"], "CI bot");
    assert_eq!(
        archive["account"]["api_tokens"][0]["scopes"],
        json!(["read"])
    );
    for secret in ["public-key-material", "000102030405", "feedface"] {
        assert!(!text.contains(secret), "the archive holds {secret}");
    }
    let threads = archive["threads"].as_array().unwrap();
    assert_eq!(threads.len(), 1);
    // Hidden from everyone else, it is still hers.
    assert_eq!(threads[0]["title"], "A thread moderators hid");
    assert_eq!(threads[0]["hidden"], true);
    assert_eq!(archive["replies"][0]["body"], "Ada's reply");
    assert_eq!(archive["thread_votes"][0]["thread_id"], kept);
    let requests = archive["mentorship_requests"].as_array().unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["with"], "grace");
    assert_eq!(requests[0]["role"], "mentee");
    assert_eq!(archive["reports"][0]["details"], "Looks odd.");
    assert_eq!(archive["appeals"][0]["text"], "Please look again.");
    assert_eq!(archive["appeals"][0]["status"], "open");
    let drafts: Vec<&str> = archive["drafts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        drafts,
        ["A question I have not finished", "A reply in progress"]
    );
    assert_eq!(archive["reading_positions"][0]["thread_id"], kept);
    assert_eq!(archive["account"]["messages"], "everyone");
    assert_eq!(archive["conversations"][0]["subject"], "About compilers");
    assert_eq!(
        archive["conversations"][0]["participants"],
        json!(["ada", "grace"])
    );
    let messages: Vec<(&str, &str)> = archive["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["author"].as_str().unwrap(), m["body"].as_str().unwrap()))
        .collect();
    assert_eq!(
        messages,
        [
            ("ada", "Ada writes to Grace"),
            ("grace", "Grace answers Ada")
        ]
    );
    // Nothing private of anyone else.
    for private in [
        grace.email.as_str(),
        linus.email.as_str(),
        moderator.email.as_str(),
        "LINUS PRIVATE NOTE",
        "GRACE AND LINUS ONLY",
    ] {
        assert!(!text.contains(private), "the archive holds {private}");
    }

    // The link worked once.
    assert_problem(app.get(&path).await, 404, "not_found").await;
    assert_problem(
        app.get("/api/v1/exports/unknown-token").await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM account_export_chunks"),
        0
    );
}

#[tokio::test]
async fn a_history_of_ten_thousand_posts_exports_in_pieces_without_a_request_waiting() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let ada = app.member("ada").await;
    let thread = app.create_thread(&ada, "A long conversation", &[]).await;
    app.sql(&format!(
        "INSERT INTO replies (thread_id, author_id, body, body_html) \
         SELECT {thread}, {}, 'Reply number ' || n || ' with some words to make it longer', '' \
         FROM generate_series(1, 10000) AS n",
        ada.id
    ));

    // The request answers at once; the job does the work.
    let started = std::time::Instant::now();
    let response = app
        .post_as("/api/v1/users/me/export", &ada.access_token)
        .await;
    assert_eq!(response.status().as_u16(), 202);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // Asking again while it is being built adds nothing.
    let again = app
        .post_as("/api/v1/users/me/export", &ada.access_token)
        .await;
    assert_eq!(again.status().as_u16(), 202);
    let queued = app.count("SELECT count(*) AS n FROM jobs WHERE kind = 'account.export'");
    let built = app.count("SELECT count(*) AS n FROM account_exports");
    assert!(queued + built <= 1, "{queued} queued, {built} built");

    let email = mail
        .wait_for_subject(
            &ada.email,
            "ready to download",
            std::time::Duration::from_secs(60),
        )
        .await;
    let pieces = app.count("SELECT count(*) AS n FROM account_export_chunks");
    assert!(pieces > 1, "stored in {pieces} piece(s)");
    assert_eq!(
        app.count("SELECT max(length(data))::bigint AS n FROM account_export_chunks"),
        256 * 1024
    );
    let text = app.get(&export_path(&email)).await.text().await.unwrap();
    let archive: Value = serde_json::from_str(&text).unwrap();
    let replies = archive["replies"].as_array().unwrap();
    assert_eq!(replies.len(), 10_000);
    assert_eq!(
        replies[9_999]["body"],
        "Reply number 10000 with some words to make it longer"
    );
    assert_eq!(
        app.count("SELECT size_bytes AS n FROM account_exports"),
        text.len() as i64
    );
}

#[tokio::test]
async fn exports_are_limited_per_member_per_day() {
    let app = spawn_app_with(|s| s.rate_limits.exports_per_day = 1, Default::default()).await;
    let ada = app.member("ada").await;
    assert_eq!(
        app.post_as("/api/v1/users/me/export", &ada.access_token)
            .await
            .status()
            .as_u16(),
        202
    );
    let limited = app
        .post_as("/api/v1/users/me/export", &ada.access_token)
        .await;
    assert!(limited.headers().contains_key("retry-after"));
    assert_problem(limited, 429, "rate_limited").await;
    // Someone else is not limited by Ada's asking.
    let grace = app.member("grace").await;
    assert_eq!(
        app.post_as("/api/v1/users/me/export", &grace.access_token)
            .await
            .status()
            .as_u16(),
        202
    );
}
