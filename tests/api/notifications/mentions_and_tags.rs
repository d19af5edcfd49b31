//! Mentions, muted threads, watched and muted tags, blocks.

use super::*;

#[tokio::test]
async fn a_reply_that_mentions_its_addressee_tells_them_once_and_mentions_link_profiles() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let cyd = app.member("cyd").await;
    let dee = app.member("dee").await;
    let thread = app.create_thread(&ada, "Pinning futures", &[]).await;
    let response = app
        .create_reply(
            &bob,
            thread,
            "@ada see @Cyd's answer, not `@dee` nor\n\n```\n@dee\n```\n\n> @dee wrote this\n\n\
             and @nobody_here.",
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let reply = json(response).await;
    let html = reply["body_html"].as_str().unwrap();
    assert!(
        html.contains(r#"<a class="mention" href="/users/ada""#),
        "{html}"
    );
    app.notified().await;

    // Ada is both the thread's author and mentioned: one notification, the mention.
    assert_eq!(app.inbox_kinds(&ada).await, ["mention"]);
    assert_eq!(app.unread(&ada).await, 1);
    let cyds = app.inbox(&cyd, "").await;
    assert_eq!(cyds.len(), 1);
    assert_eq!(cyds[0]["kind"], "mention");
    assert_eq!(cyds[0]["actor"]["username"], "bob");
    assert_eq!(cyds[0]["reply_id"], reply["id"]);
    assert_eq!(cyds[0]["thread_id"], thread);
    // Code spans, code blocks and quotes mention nobody.
    assert!(app.inbox(&dee, "").await.is_empty());

    // A mention of oneself tells nobody.
    app.reply_id(&bob, thread, "Note to self, @bob: test it.")
        .await;
    app.notified().await;
    assert!(app.inbox(&bob, "").await.is_empty());
}

#[tokio::test]
async fn an_edit_tells_only_members_mentioned_for_the_first_time() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let cyd = app.member("cyd").await;
    let thread = app
        .post_thread(&ada, "Code review", "What do you think, @bob?", &[])
        .await;
    app.notified().await;
    assert_eq!(app.inbox_kinds(&bob).await, ["mention"]);

    let edit = app
        .send_as(
            Method::PATCH,
            &format!("/api/v1/threads/{thread}"),
            &ada.access_token,
            &json!({"body": "What do you think, @bob and @cyd?"}),
        )
        .await;
    assert_eq!(edit.status().as_u16(), 200);
    app.notified().await;
    assert_eq!(app.inbox_kinds(&bob).await, ["mention"], "bob once");
    assert_eq!(app.inbox_kinds(&cyd).await, ["mention"]);

    let reply = app.reply_id(&bob, thread, "Looks fine.").await;
    app.notified().await;
    let edit = app
        .send_as(
            Method::PATCH,
            &format!("/api/v1/replies/{reply}"),
            &bob.access_token,
            &json!({"body": "Looks fine, @ada and @cyd."}),
        )
        .await;
    assert_eq!(edit.status().as_u16(), 200);
    app.notified().await;
    // Ada was told of the reply already: the edit's mention tells her nothing more.
    assert_eq!(app.inbox_kinds(&ada).await, ["reply"]);
    assert_eq!(app.inbox_kinds(&cyd).await, ["mention", "mention"]);
}

#[tokio::test]
async fn a_muted_thread_tells_nothing_mentions_included() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let thread = app.create_thread(&ada, "Muted", &[]).await;
    assert_eq!(app.subscribe(&ada, thread, "muted").await.status(), 200);
    app.reply_id(&bob, thread, "@ada are you there?").await;
    app.notified().await;
    assert!(app.inbox(&ada, "").await.is_empty());
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM notifications WHERE user_id = {}",
            ada.id
        )),
        0,
        "no row at all"
    );
}

#[tokio::test]
async fn tags_tell_of_new_threads_and_a_muted_tag_yields_to_a_watched_thread() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let cyd = app.member("cyd").await;
    // Tags exist once a thread uses them.
    let first = app
        .create_thread(&ada, "Async basics", &["async", "rust"])
        .await;
    app.notified().await;

    let level = |user: &TestUser| {
        let app = &app;
        let token = user.access_token.clone();
        async move { json(app.get_as("/api/v1/tags/async/subscription", &token).await).await }
    };
    assert_eq!(level(&bob).await, json!({"level": "normal"}));
    assert_eq!(
        app.put_tag(&bob, "async", "watching_first_post")
            .await
            .status(),
        200
    );
    assert_eq!(level(&bob).await, json!({"level": "watching_first_post"}));
    assert_eq!(
        app.put_tag(&cyd, "async", "watching_first_post")
            .await
            .status(),
        200
    );
    assert_eq!(app.put_tag(&cyd, "rust", "muted").await.status(), 200);

    let second = app
        .create_thread(&ada, "Async traits", &["async", "rust"])
        .await;
    app.notified().await;
    let bobs = app.inbox(&bob, "").await;
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0]["kind"], "new_thread_in_tag");
    assert_eq!(bobs[0]["thread_id"], second);
    assert_eq!(bobs[0]["title"], "Async traits");
    // A muted tag beats a watched one for new threads.
    assert!(app.inbox(&cyd, "").await.is_empty());

    // Cyd watches the first thread itself: replies there reach her despite the muted tag; in
    // the second, which she does not watch, the muted tag silences even a mention.
    assert_eq!(app.subscribe(&cyd, first, "watching").await.status(), 200);
    app.reply_id(&bob, first, "A reply in a watched thread.")
        .await;
    app.reply_id(&bob, second, "@cyd what do you think?").await;
    app.notified().await;
    let cyds = app.inbox(&cyd, "").await;
    assert_eq!(cyds.len(), 1, "{cyds:?}");
    assert_eq!(cyds[0]["kind"], "watched_reply");
    assert_eq!(cyds[0]["thread_id"], first);

    // Back to normal: the row goes.
    assert_eq!(app.put_tag(&bob, "async", "normal").await.status(), 200);
    assert_eq!(level(&bob).await, json!({"level": "normal"}));
    assert_eq!(
        app.count("SELECT count(*) AS n FROM tag_subscriptions WHERE tag = 'async'"),
        1
    );
}

#[tokio::test]
async fn tag_subscriptions_refuse_what_they_should() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    app.create_thread(&ada, "Tagged", &["rust"]).await;
    let unknown = app.put_tag(&ada, "no-such-tag", "muted").await;
    assert_problem(unknown, 404, "not_found").await;
    let bad = app.put_tag(&ada, "rust", "loud").await;
    assert!(bad.status().is_client_error(), "{}", bad.status());
    let missing = app
        .send_as(
            Method::PUT,
            "/api/v1/tags/rust/subscription",
            &ada.access_token,
            &json!({}),
        )
        .await;
    assert_problem(missing, 422, "validation_failed").await;
    let anonymous = app
        .call(Method::GET, "/api/v1/tags/rust/subscription", None, None)
        .await;
    assert_problem(anonymous, 401, "unauthorized").await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM tag_subscriptions"),
        0,
        "nothing changed"
    );
}

#[tokio::test]
async fn a_blocked_member_notifies_nobody_and_leaves_the_blockers_inbox() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let cyd = app.member("cyd").await;
    let thread = app.create_thread(&ada, "Blocking", &[]).await;
    app.reply_id(&bob, thread, "First, before the block.").await;
    // Each fan-out runs as its own job; waiting between them fixes the inbox's order.
    app.notified().await;
    app.reply_id(&cyd, thread, "@ada hello from cyd").await;
    app.notified().await;
    assert_eq!(app.unread(&ada).await, 2);

    assert_eq!(app.block(&ada, "BOB", Method::PUT).await, 204);
    assert_eq!(
        app.block(&ada, "bob", Method::PUT).await,
        204,
        "again is fine"
    );
    // What bob did leaves ada's inbox and count at once; cyd's stays.
    assert_eq!(app.inbox_kinds(&ada).await, ["mention"]);
    assert_eq!(app.unread(&ada).await, 1);
    // And bob's new replies and mentions tell her nothing.
    app.reply_id(&bob, thread, "@ada, are you ignoring me?")
        .await;
    app.notified().await;
    assert_eq!(app.inbox_kinds(&ada).await, ["mention"]);
    let thread_by_bob = app
        .post_thread(&bob, "Hey there, look", "@ada look at this", &[])
        .await;
    app.notified().await;
    assert_eq!(app.inbox_kinds(&ada).await, ["mention"], "{thread_by_bob}");

    // Unblocking brings back what was there; what happened meanwhile stays untold.
    assert_eq!(app.block(&ada, "bob", Method::DELETE).await, 204);
    assert_eq!(app.block(&ada, "bob", Method::DELETE).await, 204);
    assert_eq!(app.inbox_kinds(&ada).await, ["mention", "reply"]);
    assert_eq!(app.unread(&ada).await, 2);

    // Refusals.
    assert_eq!(app.block(&ada, "ada", Method::PUT).await, 409);
    assert_eq!(app.block(&ada, "nobody_here", Method::PUT).await, 404);
    let anonymous = app
        .call(Method::PUT, "/api/v1/users/bob/block", None, None)
        .await;
    assert_problem(anonymous, 401, "unauthorized").await;
    assert_eq!(app.count("SELECT count(*) AS n FROM user_blocks"), 0);
}

#[tokio::test]
async fn a_mention_in_a_thread_the_member_cannot_see_tells_nobody() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let moderator = app.staff("mia", "moderator").await;
    let thread = app.create_thread(&ada, "Soon hidden", &[]).await;
    let hide = app
        .post_as(
            &format!("/api/v1/mod/threads/{thread}/hide"),
            &moderator.access_token,
        )
        .await;
    assert_eq!(hide.status().as_u16(), 200);
    // A reply that reached the hidden thread (as one posted just before the hide would),
    // mentioning a member and a moderator, then its fan-out.
    app.sql(&format!(
        "INSERT INTO replies (thread_id, author_id, body, body_html) \
         VALUES ({thread}, {}, '@ada and @mia, look', '<p>look</p>')",
        bob.id
    ));
    app.sql("INSERT INTO jobs (kind, payload) SELECT 'notify_reply', jsonb_build_object('reply_id', max(id)) FROM replies");
    app.notified().await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM notifications WHERE kind <> 'content_hidden'"),
        0
    );
    // Its author hears that it was hidden (that notification stays in the inbox).
    assert_eq!(app.inbox_kinds(&ada).await, ["content_hidden"]);
}
