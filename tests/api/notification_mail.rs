//! Notifications by email, read from a real SMTP server: preferences, the away-wait, one mail
//! per notification, the daily cap, digests, and one-click unsubscribe links (RFC 8058).

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, json, spawn_app, wait_until, TestApp, TestUser};
use crate::mail::{
    spawn_app_with_mail, spawn_app_with_mail_and, MailServer, ReceivedEmail, MAIL_WAIT,
};

impl TestApp {
    /// Waits until every mail job has decided, every message is handed to SMTP and the
    /// bounce mailbox is read.
    pub(crate) async fn mails_settled(&self) {
        let settled = wait_until(Duration::from_secs(15), || {
            self.count(
                "SELECT count(*) AS n FROM jobs \
                 WHERE kind IN ('notify_reply', 'notify_thread', 'notification.mail', \
                                'notification.digests', 'email.send', 'email.bounces') \
                   AND status IN ('pending', 'running') AND run_at <= now()",
            ) == 0
        })
        .await;
        assert!(settled, "the mail jobs did not finish");
    }

    async fn settings(
        &self,
        user: &TestUser,
        method: Method,
        body: Option<&Value>,
    ) -> reqwest::Response {
        self.call(
            method,
            "/api/v1/users/me/notification-settings",
            Some(&user.access_token),
            body,
        )
        .await
    }

    /// The one-click POST a mail provider sends: no cookie, no token header, the RFC 8058 body.
    async fn one_click(&self, url: &str) -> reqwest::Response {
        reqwest::Client::new()
            .post(url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .expect("one-click request")
    }
}

/// The notification mail and digests `user` got (every one has an unsubscribe link; the
/// account mail of signing up has none).
fn mails_to(mail: &MailServer, user: &TestUser) -> Vec<ReceivedEmail> {
    mail.received()
        .into_iter()
        .filter(|email| email.to.eq_ignore_ascii_case(&user.email))
        .filter(|email| email.list_unsubscribe.is_some())
        .collect()
}

/// The `List-Unsubscribe` URL of `email`, pointed at the test server (mail links use
/// `https://forum.example`).
fn one_click_url(app: &TestApp, email: &ReceivedEmail) -> String {
    let header = email
        .list_unsubscribe
        .as_deref()
        .unwrap_or_else(|| panic!("no List-Unsubscribe on {:?}", email.subject));
    let url = header.trim_start_matches('<').trim_end_matches('>');
    assert!(
        url.starts_with("https://forum.example/api/v1/unsubscribe?token="),
        "{url}"
    );
    url.replace("https://forum.example", &app.address)
}

#[tokio::test]
async fn a_reply_mails_its_thread_author_once_with_a_one_click_link_that_mutes_the_thread() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let thread = app
        .create_thread(&ada, "Lifetimes in async traits", &[])
        .await;
    app.reply_id(
        &bob,
        thread,
        "Use `Box<dyn Future>` until **RPITIT** lands.",
    )
    .await;

    let email = mail
        .wait_for_subject(&ada.email, "replied", MAIL_WAIT)
        .await;
    assert!(
        email
            .subject
            .contains("bob replied to your thread “Lifetimes in async traits”"),
        "{}",
        email.subject
    );
    assert!(email.text.contains("RPITIT"), "{}", email.text);
    assert!(email
        .text
        .contains(&format!("https://forum.example/threads/{thread}#reply-")));
    assert_eq!(
        email.list_unsubscribe_post.as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(email
        .text
        .contains("Stop notifications about “Lifetimes in async traits”"));

    // More replies join the unread group: still one notification, so still one mail.
    app.reply_id(&bob, thread, "Or use the async-trait crate.")
        .await;
    app.reply_id(&bob, thread, "Third thought.").await;
    app.mails_settled().await;
    assert_eq!(mails_to(&mail, &ada).len(), 1, "one mail per notification");
    assert_eq!(app.unread(&ada).await, 1);
    assert!(
        mails_to(&mail, &bob).is_empty(),
        "nobody hears of their own replies"
    );

    // The one-click POST works without logging in; the thread is muted.
    let url = one_click_url(&app, &email);
    let preview = app.client.get(&url).send().await.expect("preview");
    assert_eq!(preview.status().as_u16(), 200);
    let preview = json(preview).await;
    assert_eq!(preview["done"], false);
    assert_eq!(preview["scope"], "thread");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM thread_subscriptions WHERE user_id = {} AND level = 'muted'",
            ada.id
        )),
        0,
        "a GET changes nothing"
    );
    let done = app.one_click(&url).await;
    assert_eq!(done.status().as_u16(), 200);
    let done = json(done).await;
    assert_eq!(
        (done["scope"].as_str(), done["done"].as_bool()),
        (Some("thread"), Some(true))
    );
    assert_eq!(done["thread_id"], thread);
    let level = app
        .get_as(
            &format!("/api/v1/threads/{thread}/subscription"),
            &ada.access_token,
        )
        .await;
    assert_eq!(json(level).await["level"], "muted");

    // Used once: again is refused and changes nothing more.
    assert_problem(app.one_click(&url).await, 400, "invalid_token").await;
    assert_problem(
        app.client.get(&url).send().await.expect("get"),
        400,
        "invalid_token",
    )
    .await;
}

#[tokio::test]
async fn reading_within_the_wait_or_coming_back_means_no_mail_and_the_away_mail_waits() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail_and(&mail, |s| s.notifications.mail_wait_secs = 3).await;
    let ada = app.member("ada").await;
    let cyd = app.member("cyd").await;
    let dan = app.member("dan").await;
    let bob = app.member("bob").await;
    let adas = app.create_thread(&ada, "Ada asks", &[]).await;
    let cyds = app.create_thread(&cyd, "Cyd asks", &[]).await;
    let dans = app.create_thread(&dan, "Dan asks", &[]).await;
    let started = std::time::Instant::now();
    for thread in [adas, cyds, dans] {
        app.reply_id(&bob, thread, "An answer.").await;
    }
    app.notified().await;

    // Ada reads hers; Dan opens his thread; Cyd stays away.
    let id = app.inbox(&ada, "").await[0]["id"].as_i64().expect("id");
    let read = app
        .post_as(
            &format!("/api/v1/notifications/{id}/read"),
            &ada.access_token,
        )
        .await;
    assert_eq!(read.status().as_u16(), 204);
    let opened = app
        .get_as(&format!("/api/v1/threads/{dans}"), &dan.access_token)
        .await;
    assert_eq!(opened.status().as_u16(), 200);
    assert!(mails_to(&mail, &cyd).is_empty(), "the away-mail waits");

    let email = mail
        .wait_for_subject(&cyd.email, "replied", MAIL_WAIT)
        .await;
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "sent before the wait was over"
    );
    assert!(email.subject.contains("Cyd asks"));
    app.mails_settled().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(mails_to(&mail, &ada).is_empty(), "read within the wait");
    assert!(
        mails_to(&mail, &dan).is_empty(),
        "came back within the wait"
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM notifications WHERE mailed_at IS NOT NULL"),
        1
    );
}

#[tokio::test]
async fn never_means_no_mail_always_means_at_once_and_the_daily_cap_holds() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail_and(&mail, |s| {
        s.notifications.mail_wait_secs = 600;
        s.notifications.daily_mail_cap = 2;
    })
    .await;
    let ada = app.member("ada").await;
    let eve = app.member("eve").await;
    let bob = app.member("bob").await;
    let always = json!({ "email": "always" });
    assert_eq!(
        app.settings(&ada, Method::PATCH, Some(&always))
            .await
            .status()
            .as_u16(),
        200
    );
    let never = json!({ "email": "never" });
    assert_eq!(
        app.settings(&eve, Method::PATCH, Some(&never))
            .await
            .status()
            .as_u16(),
        200
    );

    for n in 0..3 {
        let thread = app.create_thread(&ada, &format!("Question {n}"), &[]).await;
        app.reply_id(&bob, thread, &format!("@eve see answer {n}"))
            .await;
    }
    app.notified().await;
    app.mails_settled().await;
    // `always` does not wait for the 10 minutes; the cap stops the third.
    assert_eq!(mails_to(&mail, &ada).len(), 2, "the daily cap");
    assert_eq!(app.unread(&ada).await, 3, "the inbox has them all");
    assert!(mails_to(&mail, &eve).is_empty());
    assert_eq!(app.unread(&eve).await, 3, "never is about mail only");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM jobs WHERE kind = 'notification.mail' AND payload->>'notification_id' IN \
             (SELECT id::text FROM notifications WHERE user_id = {})",
            eve.id
        )),
        0,
        "no mail job for a member who wants none"
    );
}

#[tokio::test]
async fn settings_are_read_and_changed_and_garbage_changes_nothing() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let response = app.settings(&ada, Method::GET, None).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        json(response).await,
        json!({ "email": "away", "digest": "weekly", "messages": "everyone" })
    );

    let response = app
        .settings(&ada, Method::PATCH, Some(&json!({ "digest": "daily" })))
        .await;
    assert_eq!(
        json(response).await,
        json!({ "email": "away", "digest": "daily", "messages": "everyone" })
    );
    let response = app.settings(&ada, Method::PATCH, Some(&json!({}))).await;
    assert_eq!(
        json(response).await,
        json!({ "email": "away", "digest": "daily", "messages": "everyone" })
    );

    for bad in [
        json!({ "email": "sometimes" }),
        json!({ "digest": "hourly" }),
        json!({ "email": 1 }),
        json!({ "email": "never", "sms": "always" }),
        json!({ "messages": "friends" }),
    ] {
        let response = app.settings(&ada, Method::PATCH, Some(&bad)).await;
        assert!(
            response.status().is_client_error(),
            "{bad}: {}",
            response.status()
        );
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{bad}"
        );
    }
    let response = app.settings(&ada, Method::GET, None).await;
    assert_eq!(
        json(response).await,
        json!({ "email": "away", "digest": "daily", "messages": "everyone" }),
        "nothing changed"
    );

    for method in [Method::GET, Method::PATCH] {
        let anonymous = app
            .call(
                method,
                "/api/v1/users/me/notification-settings",
                None,
                Some(&json!({})),
            )
            .await;
        assert_problem(anonymous, 401, "unauthorized").await;
    }
}

#[tokio::test]
async fn forged_expired_or_misused_unsubscribe_tokens_change_nothing_and_say_nothing() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let forged = [
        String::new(),
        "garbage".to_string(),
        ada.access_token.clone(),
        // Well-formed, with a signature made by no key of ours.
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwiYXVkIjoiZGV2Zm9ydW0tdW5zdWJzY3JpYmUiLCJzY29wZSI6ImFsbCIsImp0aSI6IjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMCIsImlhdCI6MCwiZXhwIjo5OTk5OTk5OTk5fQ.3Kx0nFZQ2p0Ck2Xv2mBTKjDdQ4M4n9g5lqZQ0lJ6o8Q".to_string(),
    ];
    for token in &forged {
        let url = app.url(&format!("/api/v1/unsubscribe?token={token}"));
        let post = app.one_click(&url).await;
        let body = assert_problem(post, 400, "invalid_token").await;
        assert!(!body.to_string().contains("ada"), "reveals nothing: {body}");
        assert_problem(
            app.client.get(&url).send().await.expect("get"),
            400,
            "invalid_token",
        )
        .await;
    }
    let missing = app.one_click(&app.url("/api/v1/unsubscribe")).await;
    assert_problem(missing, 400, "invalid_token").await;
    let response = app.settings(&ada, Method::GET, None).await;
    assert_eq!(
        json(response).await,
        json!({ "email": "away", "digest": "weekly", "messages": "everyone" })
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM unsubscribe_tokens_used"),
        0
    );
}

#[tokio::test]
async fn two_digest_runs_at_once_send_one_digest_and_a_member_with_nothing_new_gets_none() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let cyd = app.member("cyd").await;
    let rusty = app.create_thread(&ada, "Rust in production", &[]).await;
    // Ada hears of bob's reply at once; the digest tells her of it again among the rest.
    app.reply_id(&bob, rusty, "We run it at work.").await;
    app.reply_id(&cyd, rusty, "So do we.").await;
    app.notified().await;
    app.mails_settled().await;
    // Ada's digest is due; cyd's is due too, but cyd was here after everything happened.
    app.sql(&format!(
        "UPDATE users SET last_digest_at = now() - interval '8 days', \
                          last_seen_at = now() - interval '1 hour' WHERE id = {}",
        ada.id
    ));
    app.sql(&format!(
        "UPDATE users SET last_digest_at = now() - interval '8 days', last_seen_at = now() \
         WHERE id = {}",
        cyd.id
    ));
    app.sql(&format!(
        "UPDATE users SET digest = 'never' WHERE id = {}",
        bob.id
    ));
    app.sql(
        "INSERT INTO jobs (kind, payload) VALUES \
         ('notification.digests', '{}'), ('notification.digests', '{}')",
    );
    let digest = mail.wait_for_subject(&ada.email, "digest", MAIL_WAIT).await;
    app.mails_settled().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let digests = |user: &TestUser| {
        mails_to(&mail, user)
            .into_iter()
            .filter(|email| email.subject.contains("digest"))
            .count()
    };
    assert_eq!(digests(&ada), 1, "two runs, one digest");
    assert_eq!(digests(&cyd), 0, "nothing new since cyd's visit");
    assert_eq!(digests(&bob), 0, "bob wants none");
    assert!(
        digest.text.contains("Rust in production (2 new replies)"),
        "{}",
        digest.text
    );
    assert!(digest
        .text
        .contains(&format!("https://forum.example/threads/{rusty}")));

    // Its link stops the digest and nothing else.
    let url = one_click_url(&app, &digest);
    let done = json(app.one_click(&url).await).await;
    assert_eq!(done["scope"], "digest");
    let response = app.settings(&ada, Method::GET, None).await;
    assert_eq!(
        json(response).await,
        json!({ "email": "away", "digest": "never", "messages": "everyone" })
    );
}

#[tokio::test]
async fn a_digest_lists_watched_threads_new_threads_in_watched_tags_and_the_most_active_and_leaves_out_what_the_member_should_not_see(
) {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let cyd = app.member("cyd").await;
    let dee = app.member("dee").await;
    assert_eq!(app.block(&ada, "dee", Method::PUT).await, 204);

    // Watched by ada: cyd's two replies count; ada's own and blocked dee's do not.
    let watched = app.create_thread(&bob, "Async traits", &[]).await;
    assert_eq!(app.subscribe(&ada, watched, "watching").await.status(), 200);
    app.reply_id(&cyd, watched, "One").await;
    app.reply_id(&cyd, watched, "Two").await;
    app.reply_id(&ada, watched, "Mine").await;
    app.reply_id(&dee, watched, "Blocked").await;
    // A new thread in a tag ada watches; and the most active thread she does not follow.
    let tagged = app
        .create_thread(&cyd, "Rust to WebAssembly", &["wasm"])
        .await;
    // (A tag can be followed once a thread carries it; the digest reads follows when it runs.)
    let follow = app.put_tag(&ada, "wasm", "watching_first_post").await;
    assert_eq!(follow.status(), 200);
    let busy = app.create_thread(&cyd, "Which editor", &[]).await;
    for n in 0..3 {
        app.reply_id(&bob, busy, &format!("Reply {n}")).await;
    }
    // Left out: a thread ada muted, and a thread by the member she blocked.
    let muted = app.create_thread(&bob, "Muted chatter", &[]).await;
    assert_eq!(app.subscribe(&ada, muted, "muted").await.status(), 200);
    let blocked = app.create_thread(&dee, "From a blocked member", &[]).await;
    for thread in [muted, blocked] {
        for n in 0..4 {
            app.reply_id(&cyd, thread, &format!("Noise {n}")).await;
        }
    }
    app.notified().await;
    app.mails_settled().await;

    app.sql(&format!(
        "UPDATE users SET last_digest_at = now() - interval '8 days', last_seen_at = NULL \
         WHERE id = {}",
        ada.id
    ));
    app.sql("INSERT INTO jobs (kind, payload) VALUES ('notification.digests', '{}')");
    let digest = mail.wait_for_subject(&ada.email, "digest", MAIL_WAIT).await;
    let text = &digest.text;
    let base = "https://forum.example/threads";
    let watched_line = format!("- Async traits (2 new replies): {base}/{watched}");
    let tagged_line = format!("- Rust to WebAssembly: {base}/{tagged}");
    let busy_line = format!("- Which editor (3 new replies): {base}/{busy}");
    for line in [&watched_line, &tagged_line, &busy_line] {
        assert!(text.contains(line.as_str()), "{line} missing from:\n{text}");
    }
    let (in_watched, in_tagged, in_popular) = (
        text.find("In threads you watch:"),
        text.find("New threads in tags you watch:"),
        text.find("Most active this week:"),
    );
    assert!(in_watched < in_tagged && in_tagged < in_popular, "{text}");
    assert!(text.find(&watched_line) < in_tagged, "{text}");
    assert!(text.find(&busy_line) > in_popular, "{text}");
    for absent in ["Muted chatter", "From a blocked member"] {
        assert!(!text.contains(absent), "{absent} in:\n{text}");
    }
}
