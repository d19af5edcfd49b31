//! Appeals of moderation actions, and the tools of a busy queue: claims, filters and sorting,
//! bulk resolution, and actions on a member's whole recent content. Mail is read from a real
//! SMTP server.

mod queue;

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, json, spawn_app, TestApp, TestUser};
use crate::mail::{spawn_app_with_mail, MailServer, MAIL_WAIT};

impl TestApp {
    async fn mod_act(&self, user: &TestUser, path: &str, body: Option<Value>) -> reqwest::Response {
        self.call(Method::POST, path, Some(&user.access_token), body.as_ref())
            .await
    }

    async fn appeal(&self, user: &TestUser, log_id: i64, text: &str) -> reqwest::Response {
        self.mod_act(
            user,
            "/api/v1/appeals",
            Some(json!({"log_id": log_id, "text": text})),
        )
        .await
    }

    async fn decide(
        &self,
        user: &TestUser,
        appeal: i64,
        outcome: &str,
        note: &str,
    ) -> reqwest::Response {
        self.mod_act(
            user,
            &format!("/api/v1/mod/appeals/{appeal}/decide"),
            Some(json!({"outcome": outcome, "note": note})),
        )
        .await
    }

    /// The newest log entry's id and action.
    async fn last_log(&self, staff: &TestUser) -> (i64, String) {
        let log = json(
            self.get_as("/api/v1/mod/log?limit=1", &staff.access_token)
                .await,
        )
        .await;
        let entry = &log["items"][0];
        (
            entry["id"].as_i64().expect("id"),
            entry["action"].as_str().expect("action").to_string(),
        )
    }

    async fn file_report(&self, user: &TestUser, kind: &str, id: i64, reason: &str) -> i64 {
        let response = self
            .mod_act(
                user,
                "/api/v1/reports",
                Some(json!({"target_type": kind, "target_id": id, "reason": reason})),
            )
            .await;
        assert_eq!(response.status().as_u16(), 201);
        json(response).await["id"].as_i64().expect("id")
    }

    /// Whether search finds the thread within the two seconds the contract allows (and some).
    async fn eventually_found(&self, word: &str, thread: i64) -> bool {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            let found = json(self.get(&format!("/api/v1/search?q={word}")).await).await;
            let hit = found["hits"].as_array().is_some_and(|hits| {
                hits.iter()
                    .any(|h| h["type"] == "thread" && h["id"] == thread)
            });
            if hit || std::time::Instant::now() > deadline {
                return hit;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn thread_status(app: &TestApp, thread: i64) -> u16 {
    app.get(&format!("/api/v1/threads/{thread}"))
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_hide_is_appealed_once_and_overturned_by_another_moderator_which_restores_it_everywhere()
{
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let first_mod = app.staff("first", "moderator").await;
    let second_mod = app.staff("second", "moderator").await;
    let thread = app
        .create_thread(&ada, "Zeppelin maintenance", &["rust"])
        .await;
    assert!(app.eventually_found("zeppelin", thread).await);

    let hidden = app
        .mod_act(
            &first_mod,
            &format!("/api/v1/mod/threads/{thread}/hide"),
            Some(json!({"reason": "Looks like an advert"})),
        )
        .await;
    assert_eq!(hidden.status().as_u16(), 200);
    let (log_id, action) = app.last_log(&first_mod).await;
    assert_eq!(action, "hide");
    // The mail says how to appeal.
    let email = mail.wait_for_subject(&ada.email, "hidden", MAIL_WAIT).await;
    let link = email.link_to("/appeal/").expect("appeal link");
    assert_eq!(link, format!("https://forum.example/appeal/{log_id}"));
    assert!(email.text.contains("appeal once"), "{}", email.text);

    // Only the author can appeal, once.
    assert_problem(app.appeal(&bob, log_id, "Not mine").await, 404, "not_found").await;
    let response = app
        .appeal(&ada, log_id, "It is a question, not an advert.")
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let appeal = json(response).await;
    assert_eq!(appeal["status"], "open");
    assert_eq!(appeal["appellant"], "ada");
    assert!(
        appeal.get("action").is_none() && appeal.get("content").is_none(),
        "{appeal}"
    );
    let appeal_id = appeal["id"].as_i64().expect("id");
    assert_problem(
        app.appeal(&ada, log_id, "Again").await,
        409,
        "appeal_exists",
    )
    .await;

    // The queue shows the action, who took it, the reason and the content.
    let queue = json(
        app.get_as("/api/v1/mod/appeals", &second_mod.access_token)
            .await,
    )
    .await;
    let listed = &queue["items"][0];
    assert_eq!(listed["id"], appeal_id);
    assert_eq!(listed["action"]["actor"], "first");
    assert_eq!(listed["action"]["action"], "hide");
    assert_eq!(listed["action"]["reason"], "Looks like an advert");
    assert_eq!(listed["content"]["title"], "Zeppelin maintenance");
    assert_eq!(listed["content"]["hidden"], true);
    assert_eq!(listed["appellant_trust_level"], "new");

    // The moderator who acted cannot decide; another can.
    assert_problem(
        app.decide(&first_mod, appeal_id, "upheld", "I stand by it")
            .await,
        403,
        "own_action",
    )
    .await;
    let decided = app
        .decide(&second_mod, appeal_id, "overturned", "A fair question.")
        .await;
    assert_eq!(decided.status().as_u16(), 200);
    let decided = json(decided).await;
    assert_eq!(decided["status"], "overturned");
    assert_eq!(decided["decided_by"], "second");
    assert_eq!(decided["note"], "A fair question.");
    assert_problem(
        app.decide(&second_mod, appeal_id, "upheld", "Changed my mind")
            .await,
        409,
        "appeal_decided",
    )
    .await;

    // Back for members, in lists and in search.
    assert_eq!(thread_status(&app, thread).await, 200);
    let list = json(app.get("/api/v1/threads").await).await;
    assert_eq!(list["items"][0]["id"], thread);
    assert!(
        app.eventually_found("zeppelin", thread).await,
        "the restored thread is searchable again"
    );
    let log = json(
        app.get_as("/api/v1/mod/log?limit=2", &second_mod.access_token)
            .await,
    )
    .await;
    assert_eq!(log["items"][0]["action"], "appeal_overturned");
    assert_eq!(log["items"][0]["target_type"], "appeal");
    assert_eq!(log["items"][1]["action"], "restore");
    let email = mail.wait_for_subject(&ada.email, "appeal", MAIL_WAIT).await;
    assert!(
        email.text.contains("the action is undone"),
        "{}",
        email.text
    );
    assert!(email.text.contains("A fair question."), "{}", email.text);
    let inbox = json(app.get_as("/api/v1/notifications", &ada.access_token).await).await;
    assert_eq!(inbox["items"][0]["kind"], "appeal_decided");
    let decided_list = json(
        app.get_as(
            "/api/v1/mod/appeals?status=decided",
            &second_mod.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(decided_list["items"][0]["id"], appeal_id);
    let open = json(
        app.get_as("/api/v1/mod/appeals", &second_mod.access_token)
            .await,
    )
    .await;
    assert_eq!(open["items"], json!([]));
}

#[tokio::test]
async fn a_suspended_member_appeals_an_admin_may_decide_their_own_action_and_overturning_lifts_it()
{
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let ada = app.member("ada").await;
    let cy = app.member("cyd").await;
    let moderator = app.staff("mod", "moderator").await;
    let admin = app.staff("boss", "admin").await;

    // Upheld: nothing changes, and the member hears so.
    let suspended = app
        .mod_act(
            &admin,
            "/api/v1/mod/users/cyd/suspend",
            Some(json!({"reason": "Flooding"})),
        )
        .await;
    assert_eq!(suspended.status().as_u16(), 200);
    let (log_id, _) = app.last_log(&admin).await;
    let response = app.appeal(&cy, log_id, "I was excited.").await;
    assert_eq!(
        response.status().as_u16(),
        201,
        "suspended members may appeal"
    );
    let appeal = json(response).await["id"].as_i64().expect("id");
    let decided = app
        .decide(&admin, appeal, "upheld", "Three warnings.")
        .await;
    assert_eq!(
        decided.status().as_u16(),
        200,
        "an admin decides any appeal"
    );
    let me = json(app.get_as("/api/v1/users/me", &cy.access_token).await).await;
    assert!(me["suspended_until"].is_object(), "{me}");
    let email = mail.wait_for_subject(&cy.email, "appeal", MAIL_WAIT).await;
    assert!(email.text.contains("the action stands"), "{}", email.text);
    assert_eq!(app.last_log(&admin).await.1, "appeal_upheld");

    // Overturned: the suspension is lifted in the same transaction.
    app.mod_act(
        &moderator,
        "/api/v1/mod/users/ada/suspend",
        Some(json!({"reason": "Rude"})),
    )
    .await;
    let (log_id, _) = app.last_log(&moderator).await;
    let email = mail
        .wait_for_subject(&ada.email, "suspended", MAIL_WAIT)
        .await;
    assert_eq!(
        email.link_to("/appeal/").as_deref(),
        Some(format!("https://forum.example/appeal/{log_id}").as_str())
    );
    let appeal = json(app.appeal(&ada, log_id, "Sarcasm, not rudeness.").await).await["id"]
        .as_i64()
        .expect("id");
    assert_problem(
        app.decide(&moderator, appeal, "overturned", "Mine").await,
        403,
        "own_action",
    )
    .await;
    assert_eq!(
        app.decide(&admin, appeal, "overturned", "Read in context it is fine.")
            .await
            .status()
            .as_u16(),
        200
    );
    let thread = app.create_thread(&ada, "Back again", &[]).await;
    assert!(thread > 0);
}

#[tokio::test]
async fn appeals_of_automatic_hides_come_first() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let moderator = app.staff("mod", "moderator").await;
    let manual = app.create_thread(&ada, "Hidden by hand", &[]).await;
    let automatic = app.create_thread(&ada, "Hidden by reports", &[]).await;
    app.mod_act(
        &moderator,
        &format!("/api/v1/mod/threads/{manual}/hide"),
        None,
    )
    .await;
    let (manual_log, _) = app.last_log(&moderator).await;
    assert_eq!(
        app.appeal(&ada, manual_log, "Please look again")
            .await
            .status()
            .as_u16(),
        201
    );
    for name in ["rep1", "rep2", "rep3"] {
        let reporter = app.member(name).await;
        app.sql(&format!(
            "UPDATE users SET trust_level = 'basic', trust_level_pinned = true WHERE username = '{name}'"
        ));
        app.file_report(&reporter, "thread", automatic, "spam")
            .await;
    }
    let (auto_log, action) = app.last_log(&moderator).await;
    assert_eq!(action, "auto_hide");
    assert_eq!(
        app.appeal(&ada, auto_log, "Brigaded")
            .await
            .status()
            .as_u16(),
        201
    );
    let queue = json(
        app.get_as("/api/v1/mod/appeals?limit=1", &moderator.access_token)
            .await,
    )
    .await;
    assert_eq!(queue["items"][0]["log_id"], auto_log);
    assert_eq!(queue["items"][0]["automatic"], true);
    assert_eq!(queue["items"][0]["action"]["actor"], Value::Null);
    let cursor = queue["next_cursor"].as_str().expect("more");
    let next = json(
        app.get_as(
            &format!("/api/v1/mod/appeals?limit=1&cursor={cursor}"),
            &moderator.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(next["items"][0]["log_id"], manual_log);
    assert_eq!(next["next_cursor"], Value::Null);
    // The automatic hide has no moderator: any moderator decides it.
    let id = queue["items"][0]["id"].as_i64().expect("id");
    assert_eq!(
        app.decide(&moderator, id, "overturned", "Brigading")
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(thread_status(&app, automatic).await, 200);
}

#[tokio::test]
async fn bad_appeals_and_decisions_change_nothing() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let moderator = app.staff("mod", "moderator").await;
    let thread = app.create_thread(&ada, "Locked and hidden", &[]).await;
    app.mod_act(
        &moderator,
        &format!("/api/v1/mod/threads/{thread}/lock"),
        None,
    )
    .await;
    let (lock_log, _) = app.last_log(&moderator).await;
    app.mod_act(
        &moderator,
        &format!("/api/v1/mod/threads/{thread}/hide"),
        None,
    )
    .await;
    let (hide_log, _) = app.last_log(&moderator).await;

    app.assert_refusals(
        Method::POST,
        "/api/v1/appeals",
        Some(&ada.access_token),
        &[
            (
                Some(json!({"log_id": hide_log})),
                422,
                "validation_failed",
                Some("text"),
            ),
            (
                Some(json!({"log_id": hide_log, "text": "  "})),
                422,
                "validation_failed",
                Some("text"),
            ),
            (
                Some(json!({"log_id": hide_log, "text": "x".repeat(2001)})),
                422,
                "validation_failed",
                Some("text"),
            ),
            (
                Some(json!({"log_id": 999999, "text": "why"})),
                404,
                "not_found",
                None,
            ),
            // A lock cannot be appealed.
            (
                Some(json!({"log_id": lock_log, "text": "why"})),
                404,
                "not_found",
                None,
            ),
        ],
    )
    .await;
    let anonymous = app
        .call(
            Method::POST,
            "/api/v1/appeals",
            None,
            Some(&json!({"log_id": hide_log, "text": "why"})),
        )
        .await;
    assert_problem(anonymous, 401, "unauthorized").await;
    assert_problem(
        app.appeal(&bob, hide_log, "not mine").await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(app.count("SELECT count(*) AS n FROM appeals"), 0);

    // Restored meanwhile: nothing left to appeal.
    app.mod_act(
        &moderator,
        &format!("/api/v1/mod/threads/{thread}/restore"),
        None,
    )
    .await;
    assert_problem(
        app.appeal(&ada, hide_log, "why").await,
        409,
        "action_undone",
    )
    .await;
    app.mod_act(
        &moderator,
        &format!("/api/v1/mod/threads/{thread}/hide"),
        None,
    )
    .await;
    let (again, _) = app.last_log(&moderator).await;
    let appeal = json(app.appeal(&ada, again, "why").await).await["id"]
        .as_i64()
        .expect("id");

    let other = app.staff("other", "moderator").await;
    let path = format!("/api/v1/mod/appeals/{appeal}/decide");
    app.assert_refusals(
        Method::POST,
        &path,
        Some(&other.access_token),
        &[
            (
                Some(json!({"outcome": "maybe", "note": "x"})),
                422,
                "validation_failed",
                None,
            ),
            (
                Some(json!({"outcome": "upheld"})),
                422,
                "validation_failed",
                Some("note"),
            ),
            (
                Some(json!({"outcome": "upheld", "note": " "})),
                422,
                "validation_failed",
                Some("note"),
            ),
        ],
    )
    .await;
    assert_problem(
        app.decide(&other, 999999, "upheld", "x").await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.decide(&ada, appeal, "overturned", "mine").await,
        403,
        "insufficient_role",
    )
    .await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM appeals WHERE status = 'open'"),
        1
    );
    assert_eq!(thread_status(&app, thread).await, 404);
}

fn url_encoded(text: &str) -> String {
    text.replace(':', "%3A").replace('+', "%2B")
}
