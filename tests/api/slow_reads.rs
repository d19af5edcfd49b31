//! The bulkhead (issue 47): searches and staff queues share a bounded part of the pool and
//! a statement time limit, so a flood of slow ones answers `503` with `Retry-After` while
//! thread pages keep their connections. A search is made slow for certain by a lock the test
//! holds on the search table (lock waits count towards `statement_timeout`).

use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::PgConnection;

use crate::helpers::{json, spawn_app_with, TestApp};
use crate::support::a_thread;
use devforum::startup::BuildOptions;

/// Holds `table` locked against everyone (readers too) until dropped.
struct Locked(PgConnection);

impl Locked {
    fn take(app: &TestApp, table: &str) -> Self {
        let mut conn = app.conn();
        diesel::sql_query("BEGIN")
            .execute(&mut conn)
            .expect("begin");
        diesel::sql_query(format!("LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
            .execute(&mut conn)
            .expect("lock");
        Locked(conn)
    }
}

impl Drop for Locked {
    fn drop(&mut self) {
        let _ = diesel::sql_query("ROLLBACK").execute(&mut self.0);
    }
}

async fn problem_code(response: reqwest::Response) -> (u16, Option<String>, String) {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap_or_default().to_string());
    let body = json(response).await;
    (
        status,
        retry_after,
        body["code"].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test]
async fn a_slow_search_is_cancelled_at_its_time_limit_and_answers_503_query_timeout() {
    let app = spawn_app_with(
        |s| s.database.slow_statement_timeout_ms = 300,
        BuildOptions::default(),
    )
    .await;
    let ada = app.member("ada").await;
    a_thread(&app, &ada)
        .titled("Borrow checker woes")
        .create()
        .await;

    let lock = Locked::take(&app, "search_documents");
    let started = Instant::now();
    let (status, retry_after, code) = problem_code(app.get("/api/v1/search?q=borrow").await).await;
    assert_eq!((status, code.as_str()), (503, "query_timeout"));
    assert_eq!(retry_after.as_deref(), Some("2"));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // The moderation log is a slow read too.
    let staff = app.staff("modo", "moderator").await;
    let log_lock = Locked::take(&app, "moderation_log");
    let (status, _, code) =
        problem_code(app.get_as("/api/v1/mod/log", &staff.access_token).await).await;
    assert_eq!((status, code.as_str()), (503, "query_timeout"));
    drop(log_lock);

    drop(lock);
    let found = app.get("/api/v1/search?q=borrow").await;
    assert_eq!(found.status().as_u16(), 200);
    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(
        metrics.contains("devforum_slow_reads_refused_total{reason=\"timeout\"} 2"),
        "{metrics}"
    );
}

#[tokio::test]
async fn searches_beyond_their_share_answer_busy_while_thread_pages_keep_answering() {
    let app = spawn_app_with(
        |s| {
            s.database.pool_size = 4;
            s.database.slow_reads = 1;
            s.database.slow_read_wait_ms = 100;
            s.database.slow_statement_timeout_ms = 5_000;
        },
        BuildOptions::default(),
    )
    .await;
    let ada = app.member("ada").await;
    let thread = a_thread(&app, &ada)
        .titled("Lifetimes explained")
        .create()
        .await;

    let lock = Locked::take(&app, "search_documents");
    // The one search allowed at a time waits on the lock, holding the share.
    let client = app.client.clone();
    let first_url = app.url("/api/v1/search?q=lifetimes");
    let first = tokio::spawn(async move { client.get(first_url).send().await });
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Every other search is refused quickly, with Retry-After; a thread page is not delayed.
    for _ in 0..5 {
        let started = Instant::now();
        let (status, retry_after, code) =
            problem_code(app.get("/api/v1/search?q=lifetimes").await).await;
        assert_eq!((status, code.as_str()), (503, "busy"));
        assert_eq!(retry_after.as_deref(), Some("2"));
        assert!(started.elapsed() < Duration::from_secs(2));
        let started = Instant::now();
        let page = app.get(&format!("/api/v1/threads/{thread}")).await;
        assert_eq!(page.status().as_u16(), 200);
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    drop(lock);
    let first = first.await.expect("join").expect("first search");
    assert_eq!(first.status().as_u16(), 200);
    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(
        metrics.contains("devforum_slow_reads_refused_total{reason=\"busy\"} 5"),
        "{metrics}"
    );
}
