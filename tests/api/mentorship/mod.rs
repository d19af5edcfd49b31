//! Mentorship: every row of the contract's table, happy and unhappy paths, the capacity rule
//! under concurrent accepts, and the emails each step sends, read from a real SMTP server.

mod requests;

use reqwest::Method;
use serde_json::{json, Value};

use devforum::mentorship::views::MentorSummary;
use devforum::pagination::Page;

use crate::helpers::{assert_problem, json, read_as, spawn_app, TestApp, TestUser};
use crate::mail::{spawn_app_with_mail, MailServer, MAIL_WAIT};

fn profile(capacity: i64, accepting: bool) -> Value {
    json!({
        "headline": "Rust and systems programming",
        "bio": "I have shipped **Rust** in production for years.",
        "skills": ["Rust", "systems"],
        "languages": ["en", "de"],
        "timezone": "Europe/Berlin",
        "capacity": capacity,
        "accepting_requests": accepting,
    })
}

impl TestApp {
    async fn put_profile(&self, user: &TestUser, body: &Value) -> reqwest::Response {
        self.send_as(Method::PUT, "/api/v1/mentors/me", &user.access_token, body)
            .await
    }

    /// A verified member with a mentor profile.
    async fn mentor(&self, username: &str, capacity: i64, accepting: bool) -> TestUser {
        let user = self.member(username).await;
        let response = self.put_profile(&user, &profile(capacity, accepting)).await;
        assert_eq!(response.status().as_u16(), 200, "{}", json(response).await);
        user
    }

    async fn ask(&self, mentee: &TestUser, mentor: &str) -> reqwest::Response {
        self.send_as(
            Method::POST,
            "/api/v1/mentorship-requests",
            &mentee.access_token,
            &json!({
                "mentor": mentor,
                "message": "Hi! I am learning Rust.",
                "goals": "Write my first crate.",
            }),
        )
        .await
    }

    /// A pending request from `mentee` to `mentor`; its id.
    async fn asked(&self, mentee: &TestUser, mentor: &TestUser) -> i64 {
        let response = self.ask(mentee, &mentor.username).await;
        assert_eq!(response.status().as_u16(), 201);
        json(response).await["id"].as_i64().expect("id")
    }

    async fn act(&self, user: &TestUser, id: i64, action: &str) -> reqwest::Response {
        let path = format!("/api/v1/mentorship-requests/{id}/{action}");
        self.post_as(&path, &user.access_token).await
    }

    fn suspend(&self, user: &TestUser) {
        self.sql(&format!(
            "UPDATE users SET suspended_at = now(), suspended_until = now() + interval '1 day' \
             WHERE id = {}",
            user.id
        ));
    }
}

#[tokio::test]
async fn a_member_becomes_a_mentor_and_updates_the_profile() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let response = app.put_profile(&ada, &profile(3, true)).await;
    assert_eq!(response.status().as_u16(), 200);
    let created = json(response).await;
    assert_eq!(created["username"], "ada");
    assert_eq!(created["headline"], "Rust and systems programming");
    assert_eq!(created["skills"], json!(["rust", "systems"]), "normalised");
    assert_eq!(created["languages"], json!(["en", "de"]));
    assert_eq!(created["timezone"], "Europe/Berlin");
    assert_eq!(created["capacity"], 3);
    assert_eq!(created["active_mentees"], 0);
    assert_eq!(created["accepting_requests"], true);
    assert!(created["bio_html"]
        .as_str()
        .expect("bio_html")
        .contains("<strong>Rust</strong>"));

    let mut changed = profile(5, false);
    changed["headline"] = json!("Now mentoring in Go");
    changed["bio"] = json!("<script>alert(1)</script><a href=\"javascript:x()\">me</a>");
    changed["languages"] = json!(["PT"]);
    let updated = json(app.put_profile(&ada, &changed).await).await;
    assert_eq!(updated["headline"], "Now mentoring in Go");
    assert_eq!(updated["languages"], json!(["pt"]));
    assert_eq!(updated["capacity"], 5);
    assert_eq!(updated["accepting_requests"], false);
    assert_eq!(updated["created_at"], created["created_at"]);
    let bio_html = updated["bio_html"].as_str().expect("bio_html");
    assert!(
        !bio_html.contains("<script") && !bio_html.contains("javascript:"),
        "{bio_html}"
    );

    let fetched = json(app.get("/api/v1/mentors/ADA").await).await;
    assert_eq!(fetched["headline"], "Now mentoring in Go");
}

#[tokio::test]
async fn a_mentor_profile_reports_every_bad_field_at_once_and_changes_nothing() {
    let app = spawn_app().await;
    let ada = app.mentor("ada", 2, true).await;
    let response = app
        .put_profile(
            &ada,
            &json!({
                "headline": "",
                "bio": "x".repeat(10_001),
                "skills": [],
                "languages": ["english"],
                "timezone": "Mars/Olympus",
                "capacity": 21,
            }),
        )
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    let fields: Vec<&str> = problem["errors"]
        .as_object()
        .expect("errors")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        [
            "accepting_requests",
            "bio",
            "capacity",
            "headline",
            "languages",
            "skills",
            "timezone"
        ]
    );
    for bad in [
        json!({"capacity": 0}),
        json!({"capacity": 2.5}),
        json!({"capacity": "3"}),
        json!({"skills": ["c++"]}),
        json!({"skills": (0..16).map(|i| format!("s{i}")).collect::<Vec<_>>()}),
        json!({"languages": []}),
        json!({"headline": "x".repeat(121)}),
        json!({"accepting_requests": "yes"}),
        json!({"role": "admin"}),
    ] {
        let mut body = profile(2, true);
        for (key, value) in bad.as_object().expect("object") {
            body[key] = value.clone();
        }
        let response = app.put_profile(&ada, &body).await;
        assert_problem(response, 422, "validation_failed").await;
    }
    let unchanged = json(app.get("/api/v1/mentors/ada").await).await;
    assert_eq!(unchanged["capacity"], 2);
}

#[tokio::test]
async fn only_verified_unsuspended_members_become_mentors() {
    let app = spawn_app().await;
    let anonymous = app
        .client
        .put(app.url("/api/v1/mentors/me"))
        .json(&profile(2, true))
        .send()
        .await
        .expect("request");
    assert_problem(anonymous, 401, "unauthorized").await;

    let unverified = app.signed_up("newbie").await;
    let response = app.put_profile(&unverified, &profile(2, true)).await;
    assert_problem(response, 403, "email_not_verified").await;

    let suspended = app.member("troll").await;
    app.suspend(&suspended);
    let response = app.put_profile(&suspended, &profile(2, true)).await;
    assert_problem(response, 403, "account_suspended").await;

    assert_eq!(
        app.get("/api/v1/mentors/newbie").await.status().as_u16(),
        404
    );
    assert_eq!(
        app.get("/api/v1/mentors/troll").await.status().as_u16(),
        404
    );
}

#[tokio::test]
async fn one_mentor_by_username_and_404_for_members_who_are_not() {
    let app = spawn_app().await;
    app.mentor("ada", 2, true).await;
    app.member("bob").await;
    assert_eq!(app.get("/api/v1/mentors/ada").await.status().as_u16(), 200);
    for missing in ["bob", "nobody"] {
        let response = app.get(&format!("/api/v1/mentors/{missing}")).await;
        assert_problem(response, 404, "not_found").await;
    }
    // `me` is the caller's own profile, if they have one.
    let ada = app.signed_in("ada").await;
    let bob = app.signed_in("bob").await;
    let mine = json(app.get_as("/api/v1/mentors/me", &ada.access_token).await).await;
    assert_eq!(mine["username"], "ada");
    assert_problem(
        app.get_as("/api/v1/mentors/me", &bob.access_token).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(app.get("/api/v1/mentors/me").await, 401, "unauthorized").await;

    let bad_token = app
        .client
        .get(app.url("/api/v1/mentors/ada"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .expect("request");
    assert_problem(bad_token, 401, "unauthorized").await;
}

#[tokio::test]
async fn the_directory_filters_by_skill_language_and_availability() {
    let app = spawn_app().await;
    let ada = app.mentor("ada", 1, true).await;
    let bob = app.member("bob").await;
    let mut go = profile(2, true);
    go["skills"] = json!(["go"]);
    go["languages"] = json!(["fr"]);
    assert_eq!(app.put_profile(&bob, &go).await.status().as_u16(), 200);
    app.mentor("cyd", 2, false).await;

    let usernames = |body: &Value| -> Vec<String> {
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|m| m["username"].as_str().expect("username").to_string())
            .collect()
    };
    let all = json(app.get("/api/v1/mentors").await).await;
    assert_eq!(usernames(&all), ["cyd", "bob", "ada"], "newest first");
    assert_eq!(all["next_cursor"], Value::Null);
    let first = &all["items"][2];
    for field in [
        "display_name",
        "headline",
        "skills",
        "languages",
        "timezone",
        "capacity",
        "active_mentees",
        "accepting_requests",
    ] {
        assert!(first.get(field).is_some(), "{field} missing: {first}");
    }

    let names = |page: &Page<MentorSummary>| -> Vec<String> {
        page.items.iter().map(|m| m.username.clone()).collect()
    };
    let rust: Page<MentorSummary> = read_as(app.get("/api/v1/mentors?skill=rust").await).await;
    assert_eq!(names(&rust), ["cyd", "ada"]);
    let rust: Page<MentorSummary> = read_as(app.get("/api/v1/mentors?skill=Rust").await).await;
    assert_eq!(names(&rust), ["cyd", "ada"], "skills are normalised");
    let french: Page<MentorSummary> = read_as(app.get("/api/v1/mentors?language=fr").await).await;
    assert_eq!(names(&french), ["bob"]);
    let open: Page<MentorSummary> = read_as(app.get("/api/v1/mentors?accepting=true").await).await;
    assert_eq!(names(&open), ["bob", "ada"]);

    // Ada takes one mentee and is full: she no longer counts as accepting.
    let mentee = app.member("dee").await;
    let id = app.asked(&mentee, &ada).await;
    assert_eq!(app.act(&ada, id, "accept").await.status().as_u16(), 200);
    let open: Page<MentorSummary> = read_as(app.get("/api/v1/mentors?accepting=true").await).await;
    assert_eq!(names(&open), ["bob"]);
    let closed: Page<MentorSummary> =
        read_as(app.get("/api/v1/mentors?accepting=false").await).await;
    assert_eq!(names(&closed), ["cyd", "ada"]);
    let ada_now = &closed.items[1];
    assert_eq!((ada_now.active_mentees, ada_now.capacity), (1, 1));
    assert!(!ada_now.accepting_requests && ada_now.open_to_requests);

    // A suspended mentor takes no requests either.
    app.suspend(&bob);
    let open: Page<MentorSummary> = read_as(app.get("/api/v1/mentors?accepting=true").await).await;
    assert_eq!(names(&open), Vec::<String>::new());
}

#[tokio::test]
async fn the_directory_pages_with_a_stable_cursor() {
    let app = spawn_app().await;
    for name in ["mentor1", "mentor2", "mentor3", "mentor4", "mentor5"] {
        app.mentor(name, 2, true).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/mentors?limit=2&cursor={c}"),
            None => "/api/v1/mentors?limit=2".to_string(),
        };
        let page = json(app.get(&path).await).await;
        for item in page["items"].as_array().expect("items") {
            seen.push(item["username"].as_str().expect("username").to_string());
        }
        if seen.len() == 2 && cursor.is_none() {
            // A mentor who joins meanwhile does not shift the pages that follow.
            app.mentor("late", 2, true).await;
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["mentor5", "mentor4", "mentor3", "mentor2", "mentor1"]
    );

    for (query, status, code) in [
        ("cursor=garbage", 400, "invalid_cursor"),
        ("limit=0", 422, "validation_failed"),
        ("limit=101", 422, "validation_failed"),
        ("language=english", 422, "validation_failed"),
        ("skill=c%2B%2B", 422, "validation_failed"),
        ("accepting=maybe", 400, "invalid_query"),
    ] {
        let response = app.get(&format!("/api/v1/mentors?{query}")).await;
        assert_problem(response, status, code).await;
    }
    let threads_cursor =
        json(app.get("/api/v1/threads?limit=1").await).await["next_cursor"].clone();
    if let Some(cursor) = threads_cursor.as_str() {
        let response = app.get(&format!("/api/v1/mentors?cursor={cursor}")).await;
        assert_problem(response, 400, "invalid_cursor").await;
    }
}
