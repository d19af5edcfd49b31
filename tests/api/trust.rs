//! Graduated trust: levels computed from activity, what `new` accounts may post, a rising
//! level lifting the limits at once, reports weighed by their reporters' levels, and an
//! admin's pinned level.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, json, spawn_app_with, test_settings, TestApp, TestUser};
use devforum::config::Settings;
use devforum::startup::BuildOptions;

/// The shipped limits of `new` accounts (the test configuration lifts them) and thresholds a
/// test can reach: `basic` after two posts, `member` after two replies received.
fn graduated(s: &mut Settings) {
    s.trust.new_limits = devforum::config::NewAccountLimits {
        threads_per_day: 1,
        replies_per_day: 20,
        conversations_per_day: 2,
        links_per_post: 2,
        images: false,
        meetup_seats: 20,
    };
    s.trust.basic = devforum::config::LevelThresholds {
        days: 0,
        posts: 2,
        replies_received: 0,
        solutions: 0,
    };
    s.trust.member = devforum::config::LevelThresholds {
        days: 0,
        posts: 2,
        replies_received: 2,
        solutions: 0,
    };
    s.trust.regular = devforum::config::LevelThresholds {
        days: 30,
        posts: 50,
        replies_received: 20,
        solutions: 1,
    };
}

async fn spawn_graduated(customise: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with(
        |s| {
            graduated(s);
            customise(s);
        },
        BuildOptions::default(),
    )
    .await
}

impl TestApp {
    async fn write_thread(&self, user: &TestUser, title: &str, body: &str) -> reqwest::Response {
        self.send_as(
            Method::POST,
            "/api/v1/threads",
            &user.access_token,
            &json!({"title": title, "body": body, "tags": []}),
        )
        .await
    }

    async fn report_thread(&self, user: &TestUser, id: i64) -> reqwest::Response {
        self.send_as(
            Method::POST,
            "/api/v1/reports",
            &user.access_token,
            &json!({"target_type": "thread", "target_id": id, "reason": "spam"}),
        )
        .await
    }

    async fn level_of(&self, username: &str) -> Value {
        json(self.get(&format!("/api/v1/users/{username}")).await).await["trust_level"].clone()
    }

    async fn pin_level(&self, admin: &TestUser, username: &str, level: Value) -> reqwest::Response {
        self.send_as(
            Method::PUT,
            &format!("/api/v1/admin/users/{username}/trust-level"),
            &admin.access_token,
            &json!({ "level": level }),
        )
        .await
    }

    async fn create_meetup_with(&self, user: &TestUser, capacity: Value) -> reqwest::Response {
        let start = chrono::Utc::now() + chrono::Duration::days(3);
        self.send_as(
            Method::POST,
            "/api/v1/meetups",
            &user.access_token,
            &json!({"title": "Rust night", "description": "Talks", "starts_at": start.to_rfc3339(),
                    "ends_at": (start + chrono::Duration::hours(2)).to_rfc3339(), "timezone": "UTC",
                    "online_url": "https://meet.example/rust", "capacity": capacity}),
        )
        .await
    }
}

const THREE_LINKS: &str =
    "See [a](https://a.example), [b](https://b.example) and <https://c.example>.";

#[tokio::test]
async fn a_new_accounts_links_images_and_meetup_seats_are_limited_and_the_refusal_says_what_lifts_it(
) {
    // `basic` is out of reach here: one day after joining.
    let app = spawn_graduated(|s| s.trust.basic.days = 1).await;
    let ada = app.member("ada").await;
    assert_eq!(app.level_of("ada").await, "new");

    let problem = assert_problem(
        app.write_thread(&ada, "Three links", THREE_LINKS).await,
        403,
        "new_account_links",
    )
    .await;
    let detail = problem["detail"].as_str().expect("detail");
    assert!(detail.contains("at most 2 links"), "{detail}");
    assert!(
        detail.contains("basic trust level (1 day after joining, 2 posts)"),
        "{detail}"
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM threads"), 0);
    assert_problem(
        app.write_thread(&ada, "An image", "![x](https://img.example/x.png)")
            .await,
        403,
        "new_account_images",
    )
    .await;

    let two = "[a](https://a.example) and [b](https://b.example); [me](/users/ada) is no link.";
    let response = app.write_thread(&ada, "Two links", two).await;
    assert_eq!(response.status().as_u16(), 201);
    let thread = json(response).await["id"].as_i64().expect("id");
    // Editing cannot smuggle the links in either, and changes nothing.
    assert_problem(
        app.send_as(
            Method::PATCH,
            &format!("/api/v1/threads/{thread}"),
            &ada.access_token,
            &json!({"body": THREE_LINKS}),
        )
        .await,
        403,
        "new_account_links",
    )
    .await;
    let shown = json(app.get(&format!("/api/v1/threads/{thread}")).await).await;
    assert_eq!(shown["body"], two);
    assert_problem(
        app.create_reply(&ada, thread, THREE_LINKS).await,
        403,
        "new_account_links",
    )
    .await;

    assert_problem(
        app.create_meetup_with(&ada, json!(21)).await,
        403,
        "new_account_meetup_seats",
    )
    .await;
    assert_problem(
        app.create_meetup_with(&ada, Value::Null).await,
        403,
        "new_account_meetup_seats",
    )
    .await;
    assert_eq!(
        app.create_meetup_with(&ada, json!(20))
            .await
            .status()
            .as_u16(),
        201
    );

    // Staff and higher levels are not limited.
    let moderator = app.staff("mod", "moderator").await;
    assert_eq!(
        app.write_thread(&moderator, "Staff links", THREE_LINKS)
            .await
            .status()
            .as_u16(),
        201
    );
    let admin = app.staff("boss", "admin").await;
    let pinned = app.pin_level(&admin, "ada", json!("basic")).await;
    assert_eq!(pinned.status().as_u16(), 200);
    assert_eq!(
        app.create_reply(&ada, thread, THREE_LINKS)
            .await
            .status()
            .as_u16(),
        201
    );
    assert_eq!(
        app.create_meetup_with(&ada, Value::Null)
            .await
            .status()
            .as_u16(),
        201
    );
}

#[tokio::test]
async fn a_level_that_rises_lifts_the_limits_at_once() {
    let app = spawn_graduated(|_| {}).await;
    let ada = app.member("ada").await;
    let first = json(app.write_thread(&ada, "My first thread", "Hello").await).await["id"]
        .as_i64()
        .expect("id");
    assert_eq!(app.level_of("ada").await, "new");

    // One thread a day while `new`: a 429 that says when, and what lifts it.
    let response = app.write_thread(&ada, "My second thread", "Again").await;
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!(
        retry_after > 23 * 3600 && retry_after <= 24 * 3600,
        "{retry_after}"
    );
    let problem = assert_problem(response, 429, "new_account_daily_limit").await;
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("1 threads a day") && d.contains("basic trust level")),
        "{problem}"
    );
    // Deleting the thread does not give the day's thread back.
    assert_eq!(
        app.call(
            Method::DELETE,
            &format!("/api/v1/threads/{first}"),
            Some(&ada.access_token),
            None
        )
        .await
        .status()
        .as_u16(),
        204
    );
    assert_problem(
        app.write_thread(&ada, "My third thread", "Again").await,
        429,
        "new_account_daily_limit",
    )
    .await;

    // Two posts make her `basic`: the very next request is no longer limited.
    let bob = app.member("bob").await;
    let other = json(app.write_thread(&bob, "Bob's thread", "Hi").await).await["id"]
        .as_i64()
        .expect("id");
    assert_eq!(
        app.create_reply(&ada, other, "A reply")
            .await
            .status()
            .as_u16(),
        201
    );
    assert_eq!(app.level_of("ada").await, "new");
    assert_eq!(
        app.create_reply(&ada, other, "Another")
            .await
            .status()
            .as_u16(),
        201
    );
    assert_eq!(app.level_of("ada").await, "basic");
    let me = json(app.get_as("/api/v1/users/me", &ada.access_token).await).await;
    assert_eq!(me["trust_level"], "basic");
    assert_eq!(
        app.write_thread(&ada, "Now I may", THREE_LINKS)
            .await
            .status()
            .as_u16(),
        201
    );
}

#[tokio::test]
async fn replies_received_raise_the_author_and_a_moderation_action_holds_them_back() {
    let app = spawn_graduated(|s| s.trust.new_limits.threads_per_day = 10).await;
    let ada = app.member("ada").await;
    let thread = json(app.write_thread(&ada, "Ask me anything", "Go").await).await["id"]
        .as_i64()
        .expect("id");
    json(app.write_thread(&ada, "Second thread", "More").await).await;
    assert_eq!(app.level_of("ada").await, "basic");
    for name in ["bob", "cyd"] {
        let replier = app.member(name).await;
        assert_eq!(
            app.create_reply(&replier, thread, "Good question")
                .await
                .status()
                .as_u16(),
            201
        );
    }
    // Two replies from others in her thread: `member`, at once.
    assert_eq!(app.level_of("ada").await, "member");

    // A hide of her content holds her below `member` for `clean_days`.
    let moderator = app.staff("mod", "moderator").await;
    let other = json(app.write_thread(&ada, "Third thread", "Hm").await).await["id"]
        .as_i64()
        .expect("id");
    let hidden = app
        .call(
            Method::POST,
            &format!("/api/v1/mod/threads/{other}/hide"),
            Some(&moderator.access_token),
            None,
        )
        .await;
    assert_eq!(hidden.status().as_u16(), 200);
    assert_eq!(app.level_of("ada").await, "basic");
}

#[tokio::test]
async fn solutions_received_count_towards_trust_while_they_are_shown() {
    // Regular needs what `member` needs and one solution.
    let app = spawn_graduated(|s| {
        s.trust.regular = devforum::config::LevelThresholds {
            days: 0,
            posts: 2,
            replies_received: 0,
            solutions: 1,
        };
    })
    .await;
    let (ada, bob) = (app.member("ada").await, app.member("bob").await);
    let thread = json(app.write_thread(&ada, "How do I do this?", "Help").await).await["id"]
        .as_i64()
        .expect("id");
    let answer = app.reply_id(&bob, thread, "Like this").await;
    app.reply_id(&bob, thread, "Or like that").await;
    assert_eq!(app.level_of("bob").await, "basic");

    app.choose_solution(&ada, thread, answer).await;
    assert_eq!(app.level_of("bob").await, "regular");

    // Removed, the solution no longer counts.
    let removed = app
        .call(
            Method::DELETE,
            &format!("/api/v1/threads/{thread}/solution"),
            Some(&ada.access_token),
            None,
        )
        .await;
    assert_eq!(removed.status().as_u16(), 204);
    assert_eq!(app.level_of("bob").await, "basic");
}

#[tokio::test]
async fn reports_weigh_by_their_reporters_level_and_new_accounts_alone_never_hide() {
    let app = spawn_graduated(|s| {
        s.moderation.auto_hide_reports = 2;
        s.trust.new_limits.threads_per_day = 10;
    })
    .await;
    let ada = app.member("ada").await;
    let first = json(app.write_thread(&ada, "Reported by newcomers", "x").await).await["id"]
        .as_i64()
        .expect("id");
    let second = json(app.write_thread(&ada, "Reported by a regular", "y").await).await["id"]
        .as_i64()
        .expect("id");
    for name in ["new1", "new2", "new3", "new4"] {
        let newcomer = app.member(name).await;
        assert_eq!(
            app.report_thread(&newcomer, first).await.status().as_u16(),
            201
        );
    }
    assert_eq!(
        app.get(&format!("/api/v1/threads/{first}"))
            .await
            .status()
            .as_u16(),
        200,
        "four reports from new accounts hid it"
    );

    let admin = app.staff("boss", "admin").await;
    let veteran = app.member("veteran").await;
    assert_eq!(
        app.pin_level(&admin, "veteran", json!("regular"))
            .await
            .status()
            .as_u16(),
        200
    );
    // The token's user is read afresh on each request: the pin counts at once.
    assert_eq!(
        app.report_thread(&veteran, second).await.status().as_u16(),
        201
    );
    assert_problem(
        app.get(&format!("/api/v1/threads/{second}")).await,
        404,
        "not_found",
    )
    .await;

    // The queue shows the reporter's level and the author's.
    let queue = json(
        app.get_as(
            "/api/v1/mod/reports?target_type=thread&min_reporters=1&sort=newest",
            &admin.access_token,
        )
        .await,
    )
    .await;
    let top = &queue["items"][0];
    assert_eq!(top["target_id"], second);
    assert_eq!(top["reporter_trust_level"], "regular");
    // Two posts made her `basic`; one of them hidden, she is `new` again.
    assert_eq!(top["author_trust_level"], "new");
    assert_eq!(queue["items"][1]["reporter_trust_level"], "new");
}

#[tokio::test]
async fn an_admin_pins_a_level_and_lets_it_be_computed_again() {
    let app = spawn_graduated(|_| {}).await;
    let ada = app.member("ada").await;
    let moderator = app.staff("mod", "moderator").await;
    let admin = app.staff("boss", "admin").await;

    let pinned = json(app.pin_level(&admin, "ada", json!("regular")).await).await;
    assert_eq!(pinned["trust_level"], "regular");
    assert_eq!(pinned["trust_level_pinned"], true);
    assert_eq!(app.level_of("ada").await, "regular");
    // Members do not see whether a level is pinned.
    let public = json(app.get("/api/v1/users/ada").await).await;
    assert!(public.get("trust_level_pinned").is_none(), "{public}");
    // Activity does not move a pinned level.
    let thread = json(app.write_thread(&ada, "Pinned and posting", "x").await).await["id"]
        .as_i64()
        .expect("id");
    app.create_reply(&ada, thread, "more").await;
    assert_eq!(app.level_of("ada").await, "regular");

    let log = json(app.get_as("/api/v1/mod/log", &admin.access_token).await).await;
    assert_eq!(log["items"][0]["action"], "set_trust_level");
    assert_eq!(log["items"][0]["reason"], "pinned at regular");

    let unpinned = json(app.pin_level(&admin, "ada", Value::Null).await).await;
    assert_eq!(
        unpinned["trust_level"], "basic",
        "computed from her two posts"
    );
    assert_eq!(unpinned["trust_level_pinned"], false);

    assert_problem(
        app.pin_level(&moderator, "ada", json!("regular")).await,
        403,
        "insufficient_role",
    )
    .await;
    assert_problem(
        app.pin_level(&admin, "nobody", json!("regular")).await,
        404,
        "not_found",
    )
    .await;
    let bad = app.pin_level(&admin, "ada", json!("elder")).await;
    assert_eq!(bad.status().as_u16(), 422);
    let missing = app
        .call(
            Method::PUT,
            "/api/v1/admin/users/ada/trust-level",
            None,
            Some(&json!({"level": "regular"})),
        )
        .await;
    assert_eq!(missing.status().as_u16(), 401);
    assert_eq!(app.level_of("ada").await, "basic");
}

#[tokio::test]
async fn the_periodic_recomputation_catches_up_with_time() {
    // A day must pass before `basic`.
    let app = spawn_graduated(|s| {
        s.trust.basic.days = 1;
        s.trust.new_limits.threads_per_day = 10;
    })
    .await;
    let ada = app.member("ada").await;
    app.write_thread(&ada, "First of two", "x").await;
    app.write_thread(&ada, "Second of two", "y").await;
    assert_eq!(app.level_of("ada").await, "new");
    app.sql("UPDATE users SET created_at = now() - interval '2 days' WHERE username = 'ada'");

    let mut settings = test_settings(&app.db.url);
    graduated(&mut settings);
    settings.trust.basic.days = 1;
    let changed = devforum::trust::service::recompute_all(
        &mut app.conn(),
        &settings.trust,
        chrono::Utc::now(),
    )
    .expect("recompute");
    assert_eq!(changed, 1);
    assert_eq!(app.level_of("ada").await, "basic");
}
