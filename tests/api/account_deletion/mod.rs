//! Deleting an account (API.md "Members own their accounts"): personal data erased in one
//! transaction, content kept under "deleted member", everyone else's side settled.

mod by_admins;

use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::Text;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, wait_until, TestApp, TestUser, PASSWORD};
use crate::support::a_meetup;

const EMAIL: &str = "ada.byron@example.com";
const DISPLAY_NAME: &str = "Augusta Byron-King";

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Every (table, column) of the schema holding `needle` (any case) in a text, text array or
/// JSON column.
fn columns_holding(app: &TestApp, needle: &str) -> Vec<String> {
    let mut conn = app.conn();
    let columns: Vec<Column> = diesel::sql_query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name \
         FROM information_schema.columns \
         WHERE table_schema = 'public' \
           AND (data_type IN ('text', 'character varying', 'jsonb', 'json', 'tsvector') \
                OR udt_name IN ('_text', '_varchar'))",
    )
    .load(&mut conn)
    .unwrap();
    assert!(
        columns.len() > 40,
        "the schema's text columns were not found"
    );
    let mut holding = Vec::new();
    for column in columns {
        let found: Found = diesel::sql_query(format!(
            "SELECT count(*) AS n FROM \"{}\" WHERE strpos(lower(\"{}\"::text), lower($1)) > 0",
            column.table_name, column.column_name
        ))
        .bind::<Text, _>(needle)
        .get_result(&mut conn)
        .unwrap();
        if found.n > 0 {
            holding.push(format!("{}.{}", column.table_name, column.column_name));
        }
    }
    holding
}

async fn ok(response: reqwest::Response, status: u16) -> Value {
    let got = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    body
}

async fn jobs_done(app: &TestApp) {
    let drained = wait_until(Duration::from_secs(15), || {
        app.count("SELECT count(*) AS n FROM jobs WHERE status <> 'failed'") == 0
    })
    .await;
    assert!(drained, "jobs did not run");
}

/// A meetup a week ahead with `seats`, organised by `by` in London; its id.
async fn meetup(app: &TestApp, by: &TestUser, title: &str, seats: i64) -> i64 {
    a_meetup(app, by)
        .titled(title)
        .seats(seats)
        .with("description", json!("Talks, then pizza."))
        .with("timezone", json!("Europe/London"))
        .with(
            "venue",
            json!({"name": "Hall", "address": "Main St 1", "city": "London", "country": "GB"}),
        )
        .with("tags", json!(["rust"]))
        .create()
        .await
}

async fn mentor_profile(app: &TestApp, user: &TestUser) {
    let body = json!({
        "headline": "Analytical engines",
        "bio": "Notes on the engine.",
        "skills": ["Rust", "maths"],
        "languages": ["en"],
        "timezone": "Europe/London",
        "capacity": 3,
        "accepting_requests": true,
    });
    ok(
        app.send_as(Method::PUT, "/api/v1/mentors/me", &user.access_token, &body)
            .await,
        200,
    )
    .await;
}

async fn ask(app: &TestApp, mentee: &TestUser, mentor: &str) -> i64 {
    let body =
        json!({"mentor": mentor, "message": "Hello, could you help?", "goals": "Ship a crate."});
    let created = ok(
        app.send_as(
            Method::POST,
            "/api/v1/mentorship-requests",
            &mentee.access_token,
            &body,
        )
        .await,
        201,
    )
    .await;
    created["id"].as_i64().unwrap()
}

async fn request_status(app: &TestApp, user: &TestUser, id: i64) -> String {
    let body = ok(
        app.get_as(
            &format!("/api/v1/mentorship-requests/{id}"),
            &user.access_token,
        )
        .await,
        200,
    )
    .await;
    body["status"].as_str().unwrap().to_string()
}

/// Ada with everything a member can have: profile, mentor profile, posts, a vote, RSVPs,
/// mentorships on both sides, a report, a block, follows, notifications, moderation history.
struct World {
    ada: TestUser,
    grace: TestUser,
    linus: TestUser,
    moderator: TestUser,
    ada_thread: i64,
    grace_thread: i64,
    meetup: i64,
    ada_asks_grace: i64,
    linus_asks_ada: i64,
}

async fn world(app: &TestApp) -> World {
    app.register("adalove").await;
    let mut ada = app.signed_in("adalove").await;
    app.sql(&format!(
        "UPDATE users SET email_verified = true, email = '{EMAIL}' WHERE id = {}",
        ada.id
    ));
    ada.email = EMAIL.into();
    ok(
        app.send_as(
            Method::PATCH,
            "/api/v1/users/me",
            &ada.access_token,
            &json!({"display_name": DISPLAY_NAME, "bio": "Poet of numbers.", "location": "Marylebone", "skills": ["maths"]}),
        )
        .await,
        200,
    )
    .await;
    let grace = app.member("grace").await;
    let linus = app.member("linus").await;
    let troll = app.member("troll").await;
    let moderator = app.staff("moderator", "moderator").await;

    mentor_profile(app, &ada).await;
    mentor_profile(app, &grace).await;
    let ada_thread = app
        .create_thread(&ada, "Engines of the future", &["rust"])
        .await;
    let grace_thread = app
        .create_thread(&grace, "Compilers for everyone", &["rust"])
        .await;
    ok(
        app.create_reply(&ada, grace_thread, "The engine could weave patterns.")
            .await,
        201,
    )
    .await;
    let grace_reply = ok(
        app.create_reply(&grace, ada_thread, "Tell us more about weaving.")
            .await,
        201,
    )
    .await;
    ok(
        app.send_as(
            Method::PUT,
            &format!("/api/v1/threads/{grace_thread}/vote"),
            &ada.access_token,
            &json!({"value": 1}),
        )
        .await,
        200,
    )
    .await;
    // One seat: Ada has it, Linus waits.
    let meetup = meetup(app, &grace, "Difference engine night", 1).await;
    ok(
        app.call(
            Method::PUT,
            &format!("/api/v1/meetups/{meetup}/rsvp"),
            Some(&ada.access_token),
            None,
        )
        .await,
        200,
    )
    .await;
    let waiting = ok(
        app.call(
            Method::PUT,
            &format!("/api/v1/meetups/{meetup}/rsvp"),
            Some(&linus.access_token),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(waiting["status"], "waitlisted");

    let ada_asks_grace = ask(app, &ada, "grace").await;
    let linus_asks_ada = ask(app, &linus, "adalove").await;
    ok(
        app.post_as(
            &format!("/api/v1/mentorship-requests/{linus_asks_ada}/accept"),
            &ada.access_token,
        )
        .await,
        200,
    )
    .await;

    ok(
        app.send_as(
            Method::POST,
            "/api/v1/reports",
            &ada.access_token,
            &json!({"target_type": "reply", "target_id": grace_reply["id"], "reason": "off_topic"}),
        )
        .await,
        201,
    )
    .await;
    ok(
        app.call(
            Method::PUT,
            &format!("/api/v1/users/{}/block", troll.username),
            Some(&ada.access_token),
            None,
        )
        .await,
        204,
    )
    .await;
    ok(
        app.send_as(
            Method::PUT,
            "/api/v1/tags/rust/subscription",
            &ada.access_token,
            &json!({"level": "watching_first_post"}),
        )
        .await,
        200,
    )
    .await;
    // Moderation history about her, with her names in the reasons.
    ok(
        app.send_as(
            Method::POST,
            "/api/v1/mod/users/adalove/suspend",
            &moderator.access_token,
            &json!({"reason": format!("adalove ({DISPLAY_NAME}, {EMAIL}) posted spam")}),
        )
        .await,
        200,
    )
    .await;
    ok(
        app.post_as(
            "/api/v1/mod/users/adalove/unsuspend",
            &moderator.access_token,
        )
        .await,
        200,
    )
    .await;
    app.notified().await;
    jobs_done(app).await;
    World {
        ada,
        grace,
        linus,
        moderator,
        ada_thread,
        grace_thread,
        meetup,
        ada_asks_grace,
        linus_asks_ada,
    }
}

#[tokio::test]
async fn deleting_an_account_erases_every_personal_trace_and_keeps_what_others_rely_on() {
    let app = spawn_app().await;
    let w = world(&app).await;
    // Before: her names are where one expects them.
    assert!(!columns_holding(&app, EMAIL).is_empty());
    assert!(!columns_holding(&app, DISPLAY_NAME).is_empty());
    let found = app.search("q=engines%20future&type=thread").await;
    assert_eq!(found["hits"][0]["author"], "adalove", "{found}");
    // What she was writing and where she left off go with her.
    let ada = w.ada.id;
    for statement in [
        "INSERT INTO drafts (user_id, key, body) VALUES ({ada}, 'new-thread', 'unfinished')",
        "INSERT INTO thread_reads (user_id, thread_id) SELECT {ada}, id FROM threads LIMIT 1",
        "INSERT INTO reading_marks (user_id, all_read_at) VALUES ({ada}, now())",
    ] {
        app.sql(&statement.replace("{ada}", &ada.to_string()));
    }
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM thread_reads WHERE user_id = {ada}"
        )),
        1
    );

    app.assert_refusals(
        Method::DELETE,
        "/api/v1/users/me",
        Some(&w.ada.access_token),
        &[
            (Some(json!({})), 422, "validation_failed", Some("password")),
            (
                Some(json!({"password": "not my password"})),
                403,
                "wrong_password",
                None,
            ),
            (
                Some(json!({"password": PASSWORD, "also": 1})),
                422,
                "validation_failed",
                None,
            ),
        ],
    )
    .await;
    app.assert_refusals(
        Method::DELETE,
        "/api/v1/users/me",
        None,
        &[(
            Some(json!({"password": PASSWORD})),
            401,
            "unauthorized",
            None,
        )],
    )
    .await;
    assert_eq!(app.login("adalove", PASSWORD).await.status().as_u16(), 200);
    // Her ways to sign in: a linked identity (holding her address), a passkey, a second factor.
    let ada = w.ada.id;
    app.sql(&format!("INSERT INTO identities (user_id, provider, subject, email) VALUES ({ada}, 'github', '1815', '{EMAIL}')"));
    app.sql(&format!("INSERT INTO passkeys (user_id, name, credential_id, credential) VALUES ({ada}, 'Analytical engine', '\\x0102', '{{}}')"));
    app.sql(&format!("INSERT INTO totp_secrets (user_id, secret, confirmed_at) VALUES ({ada}, '\\x000102030405060708090a0b0c0d0e0f10111213', now())"));
    app.sql(&format!(
        "INSERT INTO recovery_codes (user_id, code_hash) VALUES ({ada}, 'hash')"
    ));
    app.sql(&format!(
        "UPDATE users SET two_factor = true WHERE id = {ada}"
    ));

    let response = app
        .send_as(
            Method::DELETE,
            "/api/v1/users/me",
            &w.ada.access_token,
            &json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 204);
    jobs_done(&app).await;

    for table in [
        "identities",
        "passkeys",
        "totp_secrets",
        "recovery_codes",
        "drafts",
        "thread_reads",
        "reading_marks",
    ] {
        assert_eq!(
            app.count(&format!(
                "SELECT count(*) AS n FROM {table} WHERE user_id = {ada}"
            )),
            0,
            "{table}"
        );
    }
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM users WHERE id = {ada} AND two_factor"
        )),
        0
    );

    // Nothing holds her email or names, in any text of any table.
    for needle in [
        EMAIL,
        DISPLAY_NAME,
        "adalove",
        "Marylebone",
        "Poet of numbers",
    ] {
        assert_eq!(
            columns_holding(&app, needle),
            Vec::<String>::new(),
            "{needle}"
        );
    }
    // She cannot come back in: tokens, refresh, login all fail.
    assert_problem(
        app.get_as("/api/v1/users/me", &w.ada.access_token).await,
        401,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": w.ada.refresh_token}),
        )
        .await,
        401,
        "invalid_refresh_token",
    )
    .await;
    assert_problem(
        app.login("adalove", PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_problem(app.login(EMAIL, PASSWORD).await, 401, "invalid_credentials").await;
    assert_problem(app.get("/api/v1/users/adalove").await, 404, "not_found").await;
    assert_problem(app.get("/api/v1/mentors/adalove").await, 404, "not_found").await;

    // Her thread still opens for others, by "deleted member"; her reply and vote still count.
    let thread = ok(
        app.get_as(
            &format!("/api/v1/threads/{}", w.ada_thread),
            &w.grace.access_token,
        )
        .await,
        200,
    )
    .await;
    let reference = thread["author"]["username"].as_str().unwrap().to_string();
    assert!(reference.starts_with("deleted-"), "{thread}");
    assert_eq!(thread["author"]["display_name"], "deleted member");
    let grace_thread = ok(
        app.get(&format!("/api/v1/threads/{}", w.grace_thread))
            .await,
        200,
    )
    .await;
    assert_eq!(grace_thread["score"], 1);
    assert_eq!(grace_thread["reply_count"], 1);
    let replies = ok(
        app.get(&format!("/api/v1/threads/{}/replies", w.grace_thread))
            .await,
        200,
    )
    .await;
    assert_eq!(
        replies["items"][0]["author"]["username"],
        reference.as_str()
    );

    // Search finds her writing, under the reference, and never her name.
    for name in ["adalove", "Byron"] {
        let by_name = app.search(&format!("q={name}")).await;
        assert_eq!(by_name["hits"].as_array().unwrap().len(), 0, "{by_name}");
    }
    let by_title = app.search("q=engines%20future&type=thread").await;
    assert_eq!(
        by_title["hits"][0]["author"],
        reference.as_str(),
        "{by_title}"
    );
    let mentors = app.search("q=analytical&type=mentor").await;
    assert_eq!(
        mentors["hits"].as_array().unwrap().len(),
        1,
        "only Grace is a mentor now: {mentors}"
    );

    // Her seat went to Linus; her mentorships ended with the other side told.
    let attendees = ok(
        app.get_as(
            &format!("/api/v1/meetups/{}/attendees", w.meetup),
            &w.grace.access_token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(attendees["going"][0]["username"], "linus", "{attendees}");
    assert_eq!(attendees["waitlisted"].as_array().unwrap().len(), 0);
    assert_eq!(
        request_status(&app, &w.grace, w.ada_asks_grace).await,
        "withdrawn"
    );
    assert_eq!(
        request_status(&app, &w.linus, w.linus_asks_ada).await,
        "completed"
    );
    let grace_inbox = ok(
        app.get_as("/api/v1/notifications", &w.grace.access_token)
            .await,
        200,
    )
    .await;
    assert!(
        grace_inbox.to_string().contains("mentorship_withdrawn"),
        "{grace_inbox}"
    );
    let linus_inbox = ok(
        app.get_as("/api/v1/notifications", &w.linus.access_token)
            .await,
        200,
    )
    .await;
    assert!(
        linus_inbox.to_string().contains("mentorship_completed"),
        "{linus_inbox}"
    );

    // Her open report is dismissed; the log keeps both actions, about the reference.
    assert_eq!(
        app.count("SELECT count(*) AS n FROM reports WHERE status = 'open'"),
        0
    );
    let log = ok(
        app.get_as("/api/v1/mod/log", &w.moderator.access_token)
            .await,
        200,
    )
    .await;
    let about_her: Vec<&Value> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target_type"] == "user")
        .collect();
    assert_eq!(about_her.len(), 2, "{log}");
    for entry in about_her {
        assert_eq!(entry["target_id"], 0);
        assert_eq!(entry["target_ref"], reference.as_str());
        assert_eq!(entry["actor"], "moderator");
    }
    assert!(
        log.to_string()
            .contains("[deleted member] ([deleted member], [deleted member]) posted spam"),
        "{log}"
    );

    // The username stays reserved; the reference itself names no account anyone can use.
    let again = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"username": "AdaLove", "email": "new@example.com", "password": PASSWORD}),
        )
        .await;
    assert_problem(again, 409, "username_taken").await;
    assert_problem(app.login(&reference, "!").await, 401, "invalid_credentials").await;
}

#[tokio::test]
async fn a_reserved_username_is_free_again_once_its_reservation_ends() {
    let app = spawn_app().await;
    let gone = app.member("fleeting").await;
    let response = app
        .send_as(
            Method::DELETE,
            "/api/v1/users/me",
            &gone.access_token,
            &json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 204);
    assert_problem(app.register("fleeting").await, 409, "username_taken").await;
    app.sql("UPDATE reserved_usernames SET reserved_until = now() - interval '1 second'");
    assert_eq!(app.register("fleeting").await.status().as_u16(), 201);
    // Its email address was free at once.
    assert_eq!(
        app.count("SELECT count(*) AS n FROM users WHERE email = 'fleeting@example.com'"),
        1
    );
}

#[tokio::test]
async fn an_archive_asked_for_before_a_deletion_is_never_built_or_mailed() {
    // No worker: the export job waits while the account is deleted.
    let app =
        crate::helpers::spawn_app_with(|s| s.worker.enabled = false, Default::default()).await;
    let ada = app.member("ada").await;
    assert_eq!(
        app.post_as("/api/v1/users/me/export", &ada.access_token)
            .await
            .status()
            .as_u16(),
        202
    );
    let response = app
        .send_as(
            Method::DELETE,
            "/api/v1/users/me",
            &ada.access_token,
            &json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 204);
    let built = devforum::accounts::service::export::build(
        &mut app.conn(),
        devforum::ids::UserId(ada.id),
        &devforum::accounts::service::export::ExportNeeds {
            base_url: "https://forum.example".into(),
            links: devforum::signed_urls::UrlSigner::new("test"),
        },
    )
    .unwrap();
    assert!(built.is_none());
    assert_eq!(app.count("SELECT count(*) AS n FROM account_exports"), 0);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM jobs WHERE kind = 'email.send' AND payload->>'subject' LIKE '%ready to download%'"),
        0
    );
}
