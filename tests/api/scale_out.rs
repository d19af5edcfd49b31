//! Several API processes on one database (issue 21): what one process counts, all count.
//! Each test starts two real servers on the same database; they share nothing in memory.

use devforum::config::RateLimitStore;
use devforum::startup::BuildOptions;

use crate::helpers::*;

async fn status(response: reqwest::Response) -> u16 {
    response.status().as_u16()
}

#[tokio::test]
async fn a_login_limit_counts_the_logins_of_every_process() {
    let a = spawn_app_with(
        |s| s.rate_limits.login_per_minute = 4,
        BuildOptions::default(),
    )
    .await;
    let b = spawn_app_beside(&a, |s| s.rate_limits.login_per_minute = 4).await;
    a.register("shared_sam").await;
    // Alternating between the processes, as a load balancer does: four in all, not four each.
    for (i, app) in [&a, &b, &a, &b].into_iter().enumerate() {
        assert_eq!(
            status(app.login("shared_sam", PASSWORD).await).await,
            200,
            "login {i}"
        );
    }
    for app in [&a, &b] {
        let refused = app.login("shared_sam", PASSWORD).await;
        assert!(refused.headers().get("retry-after").is_some());
        assert_problem(refused, 429, "rate_limited").await;
    }
}

#[tokio::test]
async fn a_posting_limit_counts_a_members_replies_on_every_process() {
    let a = spawn_app_with(
        |s| s.rate_limits.replies_per_hour = 2,
        BuildOptions::default(),
    )
    .await;
    let b = spawn_app_beside(&a, |s| s.rate_limits.replies_per_hour = 2).await;
    let ada = a.member("ada_two_doors").await;
    let id = a.create_thread(&ada, "Shared limits", &[]).await;
    assert_eq!(status(a.create_reply(&ada, id, "one").await).await, 201);
    assert_eq!(status(b.create_reply(&ada, id, "two").await).await, 201);
    assert_problem(a.create_reply(&ada, id, "three").await, 429, "rate_limited").await;
    assert_problem(b.create_reply(&ada, id, "three").await, 429, "rate_limited").await;
    assert_eq!(
        a.count("SELECT count(*) AS n FROM replies"),
        2,
        "a refusal writes nothing"
    );
}

#[tokio::test]
async fn limits_kept_in_memory_are_per_process() {
    // The trade-off `rate_limits.store = "memory"` makes, and why it is not the default.
    let memory = |s: &mut devforum::config::Settings| {
        s.rate_limits.store = RateLimitStore::Memory;
        s.rate_limits.login_per_minute = 2;
    };
    let a = spawn_app_with(memory, BuildOptions::default()).await;
    let b = spawn_app_beside(&a, memory).await;
    a.register("memory_mo").await;
    for app in [&a, &a, &b, &b] {
        assert_eq!(status(app.login("memory_mo", PASSWORD).await).await, 200);
    }
    assert_problem(a.login("memory_mo", PASSWORD).await, 429, "rate_limited").await;
    assert_eq!(a.count("SELECT count(*) AS n FROM rate_limit_buckets"), 0);
}

#[tokio::test]
async fn a_failing_limit_store_lets_requests_through_and_says_so() {
    let app = spawn_app_with(
        |s| s.rate_limits.login_per_minute = 1,
        BuildOptions::default(),
    )
    .await;
    app.register("open_olive").await;
    assert_eq!(status(app.login("open_olive", PASSWORD).await).await, 200);
    assert_problem(app.login("open_olive", PASSWORD).await, 429, "rate_limited").await;
    // The limiter's own table is gone: logins go on (fail open), each one counted.
    app.sql("ALTER TABLE rate_limit_buckets RENAME TO rate_limit_buckets_away");
    for _ in 0..3 {
        assert_eq!(status(app.login("open_olive", PASSWORD).await).await, 200);
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("devforum_rate_limit_store_errors_total 3"),
        "{}",
        metrics
            .lines()
            .filter(|l| l.contains("rate_limit"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Back in place, the limit holds again (the bucket still remembers the first login).
    app.sql("ALTER TABLE rate_limit_buckets_away RENAME TO rate_limit_buckets");
    assert_problem(app.login("open_olive", PASSWORD).await, 429, "rate_limited").await;
}

async fn login_from(app: &TestApp, forwarded_for: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", forwarded_for)
        .json(&serde_json::json!({ "login": "proxied_pat", "password": PASSWORD }))
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_address_has_its_own_budget() {
    let app = spawn_app_with(
        |s| {
            s.rate_limits.login_per_minute = 1;
            s.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        },
        BuildOptions::default(),
    )
    .await;
    app.register("proxied_pat").await;
    assert_eq!(status(login_from(&app, "203.0.113.1").await).await, 200);
    assert_eq!(status(login_from(&app, "203.0.113.2").await).await, 200);
    assert_problem(login_from(&app, "203.0.113.1").await, 429, "rate_limited").await;
    // A client cannot pick its address: what it wrote itself is left of the proxy's hop.
    assert_problem(
        login_from(&app, "198.51.100.7, 203.0.113.2").await,
        429,
        "rate_limited",
    )
    .await;
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = spawn_app_with(
        |s| s.rate_limits.login_per_minute = 1,
        BuildOptions::default(),
    )
    .await;
    app.register("proxied_pat").await;
    assert_eq!(status(login_from(&app, "203.0.113.1").await).await, 200);
    assert_problem(login_from(&app, "203.0.113.2").await, 429, "rate_limited").await;
}
