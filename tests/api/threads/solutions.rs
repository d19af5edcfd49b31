//! Solutions: who may mark one, what may be one, what the thread, the lists, the author's
//! inbox and the staff log show of it, and how moderation suspends it.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, json, spawn_app, TestApp, TestUser};

impl TestApp {
    pub async fn choose_solution(&self, user: &TestUser, thread: i64, reply: i64) -> Value {
        let response = self
            .send_as(
                Method::PUT,
                &format!("/api/v1/threads/{thread}/solution"),
                &user.access_token,
                &json!({ "reply_id": reply }),
            )
            .await;
        let status = response.status().as_u16();
        let body = json(response).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn statuses(&self, status: &str) -> Vec<i64> {
        let page = json(self.get(&format!("/api/v1/threads?status={status}")).await).await;
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|t| t["id"].as_i64().expect("id"))
            .collect()
    }

    async fn solution_notifications(&self, user: &TestUser) -> Vec<Value> {
        let inbox = json(
            self.get_as("/api/v1/notifications", &user.access_token)
                .await,
        )
        .await;
        inbox["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|n| n["kind"] == "solution")
            .cloned()
            .collect()
    }
}

#[tokio::test]
async fn the_author_marks_a_solution_replaces_it_and_removes_it() {
    let app = spawn_app().await;
    let (ada, bob, cyd) = (
        app.member("ada").await,
        app.member("bob").await,
        app.member("cyd").await,
    );
    let thread = app
        .create_thread(&ada, "Why does my borrow fail?", &[])
        .await;
    let first = app
        .reply_id(
            &bob,
            thread,
            "Clone it:\n\n```rust\nlet b = a.clone();\n```\n\nThat is all.",
        )
        .await;
    let second = app.reply_id(&cyd, thread, "Use a reference instead.").await;

    let answer = app.choose_solution(&ada, thread, first).await;
    assert_eq!(answer["solved"], true);
    let solution = &answer["solution"];
    assert_eq!(solution["reply_id"], first);
    assert_eq!(solution["author"]["username"], "bob");
    assert_eq!(solution["chosen_by"]["username"], "ada");
    assert!(solution["chosen_at"].is_string(), "{solution}");
    let excerpt = solution["excerpt_html"].as_str().expect("excerpt");
    assert!(
        excerpt.contains("Clone it")
            && excerpt.contains("language-rust")
            && excerpt.contains("clone"),
        "{excerpt}"
    );
    // Anyone reading the thread sees it; the summary says solved.
    let read = json(app.get(&format!("/api/v1/threads/{thread}")).await).await;
    assert_eq!(read["solution"]["reply_id"], first);
    let summary = json(app.get("/api/v1/threads").await).await;
    assert_eq!(summary["items"][0]["solved"], true);

    // The reply's author is told once: choosing the same reply again tells nobody.
    app.choose_solution(&ada, thread, first).await;
    let told = app.solution_notifications(&bob).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["actor"]["username"], "ada", "{}", told[0]);
    assert!(app.solution_notifications(&ada).await.is_empty());

    // Another choice replaces it.
    let replaced = app.choose_solution(&ada, thread, second).await;
    assert_eq!(replaced["solution"]["reply_id"], second);
    assert_eq!(app.solution_notifications(&cyd).await.len(), 1);

    // Removed: unsolved, and `solution` is null.
    let removed = app
        .call(
            Method::DELETE,
            &format!("/api/v1/threads/{thread}/solution"),
            Some(&ada.access_token),
            None,
        )
        .await;
    assert_eq!(removed.status().as_u16(), 204);
    let read = json(app.get(&format!("/api/v1/threads/{thread}")).await).await;
    assert_eq!(
        (read["solved"].clone(), read["solution"].clone()),
        (json!(false), Value::Null)
    );

    // Staff read each choice in the moderation log.
    let moderator = app.staff("mod", "moderator").await;
    let log = json(app.get_as("/api/v1/mod/log", &moderator.access_token).await).await;
    let actions: Vec<(String, String)> = log["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["target_type"] == "thread" && e["target_id"] == thread)
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_string(),
                e["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("unmark_solution".to_string(), format!("reply {second}")),
            ("mark_solution".to_string(), format!("reply {second}")),
            ("mark_solution".to_string(), format!("reply {first}")),
        ],
        "{log}"
    );
}

#[tokio::test]
async fn staff_choose_for_any_thread_and_other_members_are_refused() {
    let app = spawn_app().await;
    let (ada, bob) = (app.member("ada").await, app.member("bob").await);
    let moderator = app.staff("mod", "moderator").await;
    let thread = app.create_thread(&ada, "A question for staff", &[]).await;
    let reply = app.reply_id(&bob, thread, "An answer").await;
    let path = format!("/api/v1/threads/{thread}/solution");
    let body = json!({ "reply_id": reply });

    // Another member, even the reply's author: 403, and nothing changes.
    let refused = app
        .send_as(Method::PUT, &path, &bob.access_token, &body)
        .await;
    assert_problem(refused, 403, "not_author").await;
    let refused = app
        .call(Method::DELETE, &path, Some(&bob.access_token), None)
        .await;
    assert_problem(refused, 403, "not_author").await;
    assert_eq!(app.statuses("solved").await, Vec::<i64>::new());

    let chosen = app.choose_solution(&moderator, thread, reply).await;
    assert_eq!(chosen["solution"]["chosen_by"]["username"], "mod");
    let removed = app
        .call(Method::DELETE, &path, Some(&moderator.access_token), None)
        .await;
    assert_eq!(removed.status().as_u16(), 204);
}

#[tokio::test]
async fn only_a_reply_of_the_thread_that_readers_see_can_be_the_solution() {
    let app = spawn_app().await;
    let (ada, bob) = (app.member("ada").await, app.member("bob").await);
    let moderator = app.staff("mod", "moderator").await;
    let thread = app.create_thread(&ada, "The question", &[]).await;
    let other = app.create_thread(&ada, "Another question", &[]).await;
    let elsewhere = app.reply_id(&bob, other, "Elsewhere").await;
    let hidden = app.reply_id(&bob, thread, "Hidden answer").await;
    let deleted = app.reply_id(&bob, thread, "Deleted answer").await;
    let hide = app
        .post_as(
            &format!("/api/v1/mod/replies/{hidden}/hide"),
            &moderator.access_token,
        )
        .await;
    assert_eq!(hide.status().as_u16(), 200);
    let delete = app
        .call(
            Method::DELETE,
            &format!("/api/v1/replies/{deleted}"),
            Some(&bob.access_token),
            None,
        )
        .await;
    assert_eq!(delete.status().as_u16(), 204);

    let path = format!("/api/v1/threads/{thread}/solution");
    let token = Some(ada.access_token.as_str());
    app.assert_refusals(
        Method::PUT,
        &path,
        token,
        &[
            (
                Some(json!({ "reply_id": elsewhere })),
                422,
                "invalid_solution",
                None,
            ),
            (
                Some(json!({ "reply_id": hidden })),
                422,
                "invalid_solution",
                None,
            ),
            (
                Some(json!({ "reply_id": deleted })),
                422,
                "invalid_solution",
                None,
            ),
            (
                Some(json!({ "reply_id": 999_999 })),
                422,
                "invalid_solution",
                None,
            ),
            (Some(json!({})), 422, "validation_failed", Some("reply_id")),
            (
                Some(json!({ "reply_id": "x" })),
                422,
                "validation_failed",
                Some("reply_id"),
            ),
            (
                Some(json!({ "reply_id": elsewhere, "extra": 1 })),
                422,
                "validation_failed",
                Some("extra"),
            ),
            (None, 415, "unsupported_media_type", None),
        ],
    )
    .await;
    // Without a token, and on an unknown or hidden thread.
    app.assert_refusals(
        Method::PUT,
        &path,
        None,
        &[(
            Some(json!({ "reply_id": elsewhere })),
            401,
            "unauthorized",
            None,
        )],
    )
    .await;
    app.assert_refusals(
        Method::DELETE,
        &path,
        None,
        &[(None, 401, "unauthorized", None)],
    )
    .await;
    app.assert_refusals(
        Method::PUT,
        "/api/v1/threads/999999/solution",
        token,
        &[(
            Some(json!({ "reply_id": elsewhere })),
            404,
            "not_found",
            None,
        )],
    )
    .await;
    app.assert_refusals(
        Method::DELETE,
        "/api/v1/threads/999999/solution",
        token,
        &[(None, 404, "not_found", None)],
    )
    .await;
    let read = json(app.get(&format!("/api/v1/threads/{thread}")).await).await;
    assert_eq!(
        (read["solved"].clone(), read["solution"].clone()),
        (json!(false), Value::Null)
    );
}

#[tokio::test]
async fn a_hidden_solution_stops_counting_until_it_is_restored() {
    let app = spawn_app().await;
    let (ada, bob) = (app.member("ada").await, app.member("bob").await);
    let moderator = app.staff("mod", "moderator").await;
    let thread = app.create_thread(&ada, "Hidden answers", &[]).await;
    let reply = app.reply_id(&bob, thread, "The answer").await;
    app.choose_solution(&ada, thread, reply).await;
    assert_eq!(app.statuses("solved").await, [thread]);

    let hide = app
        .post_as(
            &format!("/api/v1/mod/replies/{reply}/hide"),
            &moderator.access_token,
        )
        .await;
    assert_eq!(hide.status().as_u16(), 200);
    let read = json(app.get(&format!("/api/v1/threads/{thread}")).await).await;
    assert_eq!(
        (read["solved"].clone(), read["solution"].clone()),
        (json!(false), Value::Null)
    );
    assert_eq!(app.statuses("solved").await, Vec::<i64>::new());
    assert_eq!(app.statuses("unsolved").await, [thread]);
    // Nor is a hidden reply's thread answered.
    assert_eq!(app.statuses("unanswered").await, [thread]);

    let restore = app
        .post_as(
            &format!("/api/v1/mod/replies/{reply}/restore"),
            &moderator.access_token,
        )
        .await;
    assert_eq!(restore.status().as_u16(), 200);
    let read = json(app.get(&format!("/api/v1/threads/{thread}")).await).await;
    assert_eq!(read["solution"]["reply_id"], reply);
    assert_eq!(app.statuses("solved").await, [thread]);
    assert_eq!(app.statuses("unanswered").await, Vec::<i64>::new());

    // A deleted solution is gone for good: unsolved, and another can be chosen.
    let delete = app
        .call(
            Method::DELETE,
            &format!("/api/v1/replies/{reply}"),
            Some(&bob.access_token),
            None,
        )
        .await;
    assert_eq!(delete.status().as_u16(), 204);
    assert_eq!(app.statuses("unsolved").await, [thread]);
}

#[tokio::test]
async fn lists_filter_unanswered_unsolved_and_solved_threads_page_by_page() {
    let app = spawn_app().await;
    let (ada, bob) = (app.member("ada").await, app.member("bob").await);
    // Oldest first: an unanswered one (only its author replied), an answered one, a solved
    // one, and a fresh one nobody replied to.
    let own_reply_only = app
        .create_thread(&ada, "Only the author replied", &[])
        .await;
    app.reply_id(&ada, own_reply_only, "Bump: anyone?").await;
    let answered = app.create_thread(&ada, "Answered but open", &[]).await;
    app.reply_id(&bob, answered, "Maybe this?").await;
    let solved = app.create_thread(&ada, "Answered and solved", &[]).await;
    let answer = app.reply_id(&bob, solved, "This works").await;
    app.choose_solution(&ada, solved, answer).await;
    let fresh = app.create_thread(&bob, "Nobody replied yet", &[]).await;

    assert_eq!(app.statuses("unanswered").await, [fresh, own_reply_only]);
    assert_eq!(
        app.statuses("unsolved").await,
        [fresh, answered, own_reply_only]
    );
    assert_eq!(app.statuses("solved").await, [solved]);
    let active = json(
        app.get("/api/v1/threads?status=unanswered&sort=active")
            .await,
    )
    .await;
    let ids: Vec<i64> = active["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|t| t["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, [fresh, own_reply_only]);
    let top = json(app.get("/api/v1/threads?status=solved&sort=top").await).await;
    assert_eq!(top["items"][0]["id"], solved);

    // Page by page, each filter keeps its own cursor.
    for status in ["unanswered", "unsolved"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/threads?status={status}&limit=1&cursor={c}"),
                None => format!("/api/v1/threads?status={status}&limit=1"),
            };
            let page = json(app.get(&path).await).await;
            seen.extend(
                page["items"]
                    .as_array()
                    .expect("items")
                    .iter()
                    .map(|t| t["id"].as_i64().expect("id")),
            );
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => break,
            }
        }
        assert_eq!(seen, app.statuses(status).await, "{status}");
    }

    // A bad status is a 400 problem naming the parameter.
    let bad = app.get("/api/v1/threads?status=open").await;
    assert_problem(bad, 400, "invalid_query").await;
}
