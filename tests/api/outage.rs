//! A database restart costs no request: 503 problem documents while PostgreSQL is down,
//! nothing half-written, no 500 after it is back, and a worker that waits it out without
//! spending its jobs' attempts. Each test runs on a PostgreSQL server of its own, which it
//! really stops and starts.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use devforum::ids::JobId;
use std::time::Duration;

use devforum::jobs::{Job, JobRegistry};
use devforum::startup::BuildOptions;
use serde_json::{json, Value};
use tokio::sync::Notify;

use crate::helpers::{assert_problem, spawn_app_on, wait_until, TestApp, TestDatabase, TestUser};
use crate::postgres_server::PostgresServer;

async fn app_on(server: &PostgresServer) -> TestApp {
    app_with_jobs_on(server, None).await
}

async fn app_with_jobs_on(server: &PostgresServer, jobs: Option<JobRegistry>) -> TestApp {
    let db = TestDatabase::create_migrated_on(&server.url("postgres"));
    spawn_app_on(
        db,
        |_| {},
        BuildOptions {
            jobs,
            ..Default::default()
        },
    )
    .await
}

/// Asserts the answer an outage gives: 503, `database_unavailable`, `Retry-After`.
async fn assert_unavailable(response: reqwest::Response) {
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    assert!(retry_after.is_some_and(|s| s > 0), "no Retry-After");
    assert_problem(response, 503, "database_unavailable").await;
}

/// Several requests at once, so the pool holds several connections that will all go stale.
async fn warm_the_pool(app: &TestApp) {
    let reads = (0..8).map(|_| app.get("/api/v1/threads?limit=5"));
    for response in futures_util::future::join_all(reads).await {
        assert_eq!(response.status().as_u16(), 200);
    }
}

async fn post_reply(app: &TestApp, user: &TestUser, thread: i64, body: &str) -> reqwest::Response {
    app.send_as(
        reqwest::Method::POST,
        &format!("/api/v1/threads/{thread}/replies"),
        &user.access_token,
        &json!({ "body": body }),
    )
    .await
}

fn metric(text: &str, line_start: &str) -> f64 {
    text.lines()
        .find(|line| line.starts_with(line_start))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn while_the_database_is_down_every_endpoint_answers_503_and_nothing_is_half_written() {
    let server = PostgresServer::start();
    let app = app_on(&server).await;
    let ada = app.member("ada").await;
    let thread = app.create_thread(&ada, "Before the outage", &["ops"]).await;
    warm_the_pool(&app).await;

    server.stop();
    let thread_path = format!("/api/v1/threads/{thread}");
    // Reads, anonymous and signed in (the token is checked against the database too).
    assert_unavailable(app.get("/api/v1/threads").await).await;
    assert_unavailable(app.get(&thread_path).await).await;
    assert_unavailable(app.get_as(&thread_path, &ada.access_token).await).await;
    assert_unavailable(app.get("/api/v1/meetups").await).await;
    assert_unavailable(app.get("/api/v1/search?q=outage").await).await;
    // Writes.
    assert_unavailable(post_reply(&app, &ada, thread, "during the outage").await).await;
    let new_thread = app
        .send_as(
            reqwest::Method::POST,
            "/api/v1/threads",
            &ada.access_token,
            &json!({"title": "Written while down", "body": "lost?", "tags": []}),
        )
        .await;
    assert_unavailable(new_thread).await;
    assert_unavailable(app.login("ada", crate::helpers::PASSWORD).await).await;
    // Operations: the process lives, the readiness probe says why it is not ready.
    assert_eq!(app.get("/health").await.status().as_u16(), 200);
    assert_problem(app.get("/ready").await, 503, "not_ready").await;
    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert_eq!(metric(&metrics, "devforum_db_available "), 0.0, "{metrics}");
    assert!(
        metric(&metrics, "devforum_db_errors_total{kind=\"unreachable\"}") >= 1.0,
        "{metrics}"
    );

    server.start_again();
    // The pool reconnects by itself, within a couple of seconds.
    let mut status = 0;
    for _ in 0..100 {
        status = app.get("/api/v1/threads").await.status().as_u16();
        if status == 200 {
            break;
        }
        assert_eq!(status, 503);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200);
    assert_eq!(app.count("SELECT count(*) AS n FROM threads"), 1);
    assert_eq!(app.count("SELECT count(*) AS n FROM replies"), 0);
    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert_eq!(metric(&metrics, "devforum_db_available "), 1.0, "{metrics}");
}

#[tokio::test]
async fn a_write_sent_right_after_a_restart_succeeds_on_a_warm_pool() {
    let server = PostgresServer::start();
    let app = app_on(&server).await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let thread = app.create_thread(&ada, "Restart me", &[]).await;
    warm_the_pool(&app).await;

    server.stop();
    server.start_again();

    // Every pooled connection died with the old server; none of them may fail this.
    let response = post_reply(&app, &bob, thread, "first words after the restart").await;
    assert_eq!(
        response.status().as_u16(),
        201,
        "{}",
        response.text().await.unwrap_or_default()
    );
    let path = format!("/api/v1/threads/{thread}/replies");
    let reads = (0..10).map(|_| app.get(&path));
    for response in futures_util::future::join_all(reads).await {
        assert_eq!(response.status().as_u16(), 200);
        let page: Value = response.json().await.expect("json");
        assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    }
    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(
        metric(
            &metrics,
            "devforum_db_errors_total{kind=\"connection_lost\"}"
        ) >= 1.0,
        "the stale connections were noticed: {metrics}"
    );
}

#[tokio::test]
async fn connections_ended_by_the_server_are_never_handed_to_a_request() {
    let server = PostgresServer::start();
    let app = app_on(&server).await;
    let ada = app.member("ada").await;
    let thread = app.create_thread(&ada, "Terminated sessions", &[]).await;
    warm_the_pool(&app).await;

    // What a failover or an operator does to the sessions: end every one of the app's.
    let sessions = format!(
        "FROM pg_stat_activity WHERE datname = '{}' AND pid <> pg_backend_pid()",
        app.db.name
    );
    let terminated_at = chrono::Utc::now().to_rfc3339();
    app.sql(&format!("SELECT pg_terminate_backend(pid) {sessions}"));
    // Terminating only signals the sessions; they are gone a moment later. (Only those:
    // the live listener's own connection comes back by itself within 250 ms.)
    assert!(
        wait_until(Duration::from_secs(5), || {
            app.count(&format!(
                "SELECT count(*) AS n {sessions} AND backend_start <= '{terminated_at}'"
            )) == 0
        })
        .await
    );

    // 30 reads, 10 at a time (before the fix: 27 of them answered 500).
    let path = format!("/api/v1/threads/{thread}");
    for _ in 0..3 {
        let reads = (0..10).map(|_| app.get(&path));
        for response in futures_util::future::join_all(reads).await {
            assert_eq!(response.status().as_u16(), 200);
        }
    }
    let response = post_reply(&app, &ada, thread, "still here").await;
    assert_eq!(response.status().as_u16(), 201);
}

#[tokio::test]
async fn two_hundred_requests_across_a_restart_get_no_500_and_every_acknowledged_write_is_kept() {
    let server = Arc::new(PostgresServer::start());
    let app = app_on(&server).await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let thread = app.create_thread(&ada, "Across the restart", &[]).await;
    warm_the_pool(&app).await;

    // The restart happens while the requests are under way: a short outage in the middle.
    let restart = {
        let server = server.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            tokio::task::spawn_blocking(move || {
                server.stop();
                std::thread::sleep(Duration::from_millis(700));
                server.start_again();
            })
            .await
            .expect("restart");
        })
    };

    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    let mut acknowledged = Vec::new();
    for round in 0..20 {
        let requests = (0..10).map(|i| {
            let (app, bob) = (&app, &bob);
            async move {
                if i % 2 == 0 {
                    let body = format!("reply {round}-{i}");
                    let response = post_reply(app, bob, thread, &body).await;
                    (response.status().as_u16(), Some(body), response)
                } else {
                    let response = app.get(&format!("/api/v1/threads/{thread}")).await;
                    (response.status().as_u16(), None, response)
                }
            }
        });
        for (status, body, response) in futures_util::future::join_all(requests).await {
            *statuses.entry(status).or_default() += 1;
            if status == 503 {
                assert_unavailable(response).await;
            } else if status == 201 {
                acknowledged.push(body.expect("a write"));
            }
        }
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    restart.await.expect("restart task");

    assert_eq!(statuses.values().sum::<usize>(), 200);
    let unexpected: Vec<_> = statuses
        .iter()
        .filter(|(status, _)| ![200, 201, 503].contains(*status))
        .collect();
    assert!(unexpected.is_empty(), "statuses: {statuses:?}");
    assert!(
        statuses.contains_key(&503),
        "the outage was seen: {statuses:?}"
    );
    // Every acknowledged reply is in the database.
    for body in &acknowledged {
        assert_eq!(
            app.count(&format!(
                "SELECT count(*) AS n FROM replies WHERE body = '{body}'"
            )),
            1,
            "acknowledged reply {body:?} is missing (statuses: {statuses:?})"
        );
    }
    // And once the server is back, everything works again.
    let after = post_reply(&app, &bob, thread, "after it all").await;
    assert_eq!(after.status().as_u16(), 201);
}

#[tokio::test]
async fn the_worker_waits_out_an_outage_without_spending_attempts() {
    let server = PostgresServer::start();
    let runs: Arc<Mutex<Vec<(JobId, i32, bool)>>> = Arc::default();
    let release = Arc::new(Notify::new());
    let started = Arc::new(Notify::new());
    let mut registry = JobRegistry::new();
    {
        let (runs, release, started) = (runs.clone(), release.clone(), started.clone());
        // A job that needs the database; the first run is held until the test releases it.
        registry.register("test.needs_db", move |ctx, job: Job| {
            let (runs, release, started) = (runs.clone(), release.clone(), started.clone());
            async move {
                let first = runs.lock().expect("lock").is_empty();
                if first {
                    started.notify_one();
                    release.notified().await;
                }
                let result = devforum::db::read(&ctx.pool, devforum::db::Cost::Large, |conn| {
                    use diesel::RunQueryDsl;
                    diesel::sql_query("SELECT 1").execute(conn)?;
                    Ok(())
                })
                .await;
                runs.lock()
                    .expect("lock")
                    .push((job.id, job.attempts, result.is_ok()));
                Ok(result?)
            }
        });
    }
    let app = app_with_jobs_on(&server, Some(registry)).await;
    let enqueue = |delay_ms: i64| {
        app.sql(&format!(
            "INSERT INTO jobs (kind, payload, max_attempts, run_at) \
             VALUES ('test.needs_db', '{{}}', 2, now() + interval '{delay_ms} milliseconds')"
        ));
    };
    enqueue(0);
    started.notified().await;
    // More work falls due while the database is away.
    for _ in 0..3 {
        enqueue(200);
    }

    server.stop();
    release.notify_one();
    // The held job meets the outage; the others fall due meanwhile. Give the worker time to
    // try (and fail) to claim them: nothing may be charged for that.
    assert!(
        wait_until(Duration::from_secs(10), || !runs
            .lock()
            .expect("lock")
            .is_empty())
        .await,
        "the held job never ran"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.start_again();

    assert!(
        wait_until(Duration::from_secs(20), || {
            app.count("SELECT count(*) AS n FROM jobs") == 0
        })
        .await,
        "jobs left: {:?}",
        runs.lock().expect("lock")
    );
    let runs = runs.lock().expect("lock").clone();
    // Four jobs, each finally done; the interrupted one ran twice, both times as attempt 1.
    assert_eq!(runs.iter().filter(|(_, _, ok)| *ok).count(), 4, "{runs:?}");
    assert!(
        runs.iter().all(|(_, attempts, _)| *attempts == 1),
        "{runs:?}"
    );
    assert_eq!(runs.iter().filter(|(_, _, ok)| !*ok).count(), 1, "{runs:?}");
}
