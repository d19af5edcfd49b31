//! Search: the same tests run on every engine available. PostgreSQL always; a live
//! Meilisearch when `MEILI_URL` (and `MEILI_MASTER_KEY`) point at one, each test in an index
//! of its own. The Meilisearch adapter's failure handling (down, slow, failed tasks) is tested
//! against a local stand-in (`meili_standin.rs`).

mod cases;
mod meilisearch;

use cases::*;

use std::time::{Duration, Instant};

use devforum::config::{SearchEngineKind, Settings};
use devforum::startup::BuildOptions;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, json, spawn_app_with, TestApp, TestUser};
use crate::meili_standin::{Mode, StandIn};
use crate::relevance::{
    judged_queries_put_the_expected_thread_in_the_top_three, synonyms_find_what_others_spelled_out,
    title_matches_come_first_then_votes_then_recency,
};

/// The engine a test runs on.
#[derive(Debug, Clone)]
pub enum Engine {
    Postgres,
    Meilisearch {
        url: String,
        key: String,
        index: String,
    },
}

impl Engine {
    /// The live Meilisearch named by `MEILI_URL`/`MEILI_MASTER_KEY`, with a fresh index.
    fn live_meilisearch() -> Option<Engine> {
        let url = std::env::var("MEILI_URL").ok().filter(|u| !u.is_empty())?;
        Some(Engine::Meilisearch {
            url,
            key: std::env::var("MEILI_MASTER_KEY").unwrap_or_default(),
            index: format!("devforum_test_{}", uuid::Uuid::new_v4().simple()),
        })
    }

    fn configure(&self, settings: &mut Settings) {
        match self {
            Engine::Postgres => settings.search.engine = SearchEngineKind::Postgres,
            Engine::Meilisearch { url, key, index } => {
                settings.search.engine = SearchEngineKind::Meilisearch;
                settings.search.meilisearch.url = url.clone();
                settings.search.meilisearch.api_key = key.clone().into();
                settings.search.meilisearch.index = index.clone();
            }
        }
    }

    /// The environment `devforum` (the binary) needs to use this engine.
    fn env(&self) -> Vec<(&'static str, String)> {
        match self {
            Engine::Postgres => vec![("DEVFORUM__SEARCH__ENGINE", "postgres".into())],
            Engine::Meilisearch { url, key, index } => vec![
                ("DEVFORUM__SEARCH__ENGINE", "meilisearch".into()),
                ("DEVFORUM__SEARCH__MEILISEARCH__URL", url.clone()),
                ("DEVFORUM__SEARCH__MEILISEARCH__API_KEY", key.clone()),
                ("DEVFORUM__SEARCH__MEILISEARCH__INDEX", index.clone()),
            ],
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Meilisearch { .. } => "meilisearch",
        }
    }

    /// Deletes the test's indexes from a live Meilisearch.
    async fn clean_up(&self) {
        if let Engine::Meilisearch { url, key, index } = self {
            let client = reqwest::Client::new();
            for uid in [index.clone(), format!("{index}_rebuild")] {
                let _ = client
                    .delete(format!("{}/indexes/{uid}", url.trim_end_matches('/')))
                    .bearer_auth(key)
                    .send()
                    .await;
            }
        }
    }
}

/// Without a live Meilisearch a test says it skipped, and how to run it; in CI (`CI=true`)
/// it fails instead: CI runs every search test on both engines.
pub fn skip_without_meilisearch() {
    let how = "scripts/test starts one when it finds a server (MEILISEARCH_BIN or \
               `meilisearch` on the PATH); or set MEILI_URL and MEILI_MASTER_KEY";
    assert!(
        std::env::var("CI").map_or(true, |ci| ci != "true"),
        "CI runs the search tests on a live Meilisearch, and none is configured: {how}"
    );
    eprintln!("skipped: no live Meilisearch ({how})");
}

/// Declares each shared test once per engine: `on_postgres::name` always runs;
/// `on_meilisearch::name` runs when a live server is configured and says it skipped otherwise.
macro_rules! on_every_engine {
    ($($name:ident),* $(,)?) => {
        mod on_postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::Engine::Postgres).await;
                }
            )*
        }
        mod on_meilisearch {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(engine) = super::Engine::live_meilisearch() else {
                        super::skip_without_meilisearch();
                        return;
                    };
                    super::$name(engine.clone()).await;
                    engine.clean_up().await;
                }
            )*
        }
    };
}

on_every_engine!(
    new_and_edited_content_is_searchable_within_two_seconds,
    deleted_content_leaves_the_index_and_hidden_content_never_shows,
    a_typo_still_finds_the_thread,
    snippets_mark_the_matches_and_escape_the_text,
    facets_count_kinds_and_tags_and_filters_narrow_the_hits,
    an_empty_query_lists_recent_content_of_the_requested_type,
    results_page_with_limit_and_offset,
    reindex_rebuilds_the_index_from_the_database,
    mentor_profiles_are_found_by_headline_skills_and_bio,
    meetups_are_found_by_words_city_and_date_until_cancelled,
    judged_queries_put_the_expected_thread_in_the_top_three,
    title_matches_come_first_then_votes_then_recency,
    synonyms_find_what_others_spelled_out,
    threads_are_filtered_by_having_a_solution,
);

/// The longest a change may take to become searchable.
const FRESHNESS: Duration = Duration::from_secs(2);

pub async fn spawn_on(engine: &Engine) -> TestApp {
    let configured = engine.clone();
    let app = spawn_app_with(move |s| configured.configure(s), BuildOptions::default()).await;
    app.wait_until_search_is_up().await;
    app
}

impl TestApp {
    /// Waits until `/ready` says search can answer (a new Meilisearch index is being made).
    pub async fn wait_until_search_is_up(&self) {
        let started = Instant::now();
        loop {
            let ready = json(self.get("/ready").await).await;
            if ready["search"]["state"] == "up" {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "search never came up: {ready}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn search(&self, query: &str) -> Value {
        let response = self.get(&format!("/api/v1/search?{query}")).await;
        let status = response.status().as_u16();
        let body = json(response).await;
        assert_eq!(status, 200, "{query}: {body}");
        body
    }

    /// Polls a search until `done` holds, failing after `within`; returns the answer and how
    /// long it took.
    async fn search_until(
        &self,
        query: &str,
        within: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> (Value, Duration) {
        let started = Instant::now();
        loop {
            let body = self.search(query).await;
            if done(&body) {
                return (body, started.elapsed());
            }
            assert!(
                started.elapsed() < within,
                "{query}: not as expected within {within:?}; last answer {body}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub(crate) async fn post_thread(
        &self,
        user: &TestUser,
        title: &str,
        body: &str,
        tags: &[&str],
    ) -> i64 {
        crate::support::a_thread(self, user)
            .titled(title)
            .body(body)
            .tags(tags)
            .create()
            .await
    }

    async fn post_reply(&self, user: &TestUser, thread_id: i64, body: &str) -> i64 {
        let response = self.create_reply(user, thread_id, body).await;
        assert_eq!(response.status().as_u16(), 201);
        json(response).await["id"].as_i64().expect("id")
    }

    /// Waits until no search update is waiting for the engine.
    pub async fn search_caught_up(&self, within: Duration) {
        let started = Instant::now();
        loop {
            let pending: i64 =
                self.count("SELECT count(*) AS n FROM jobs WHERE kind = 'search.sync'");
            if pending == 0 {
                return;
            }
            assert!(
                started.elapsed() < within,
                "{pending} search.sync jobs still waiting"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// (type, id) of every hit, in order.
fn hit_refs(body: &Value) -> Vec<(String, i64)> {
    body["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| {
            (
                h["type"].as_str().expect("type").to_string(),
                h["id"].as_i64().expect("id"),
            )
        })
        .collect()
}

fn has_hit(body: &Value, kind: &str, id: i64) -> bool {
    hit_refs(body).contains(&(kind.to_string(), id))
}

/// Every index and constraint of the search tables, with its definition.
fn search_schema(app: &TestApp) -> Vec<String> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Object {
        #[diesel(sql_type = diesel::sql_types::Text)]
        object: String,
    }
    diesel::sql_query(
        "SELECT indexname || ': ' || indexdef AS object FROM pg_indexes \
         WHERE tablename IN ('search_documents', 'search_lexemes') \
         UNION ALL \
         SELECT conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE conrelid IN ('search_documents'::regclass, 'search_lexemes'::regclass) \
         UNION ALL \
         SELECT attname || ': ' || format_type(atttypid, atttypmod) || ' ' || attgenerated::text \
         FROM pg_attribute WHERE attrelid = 'search_documents'::regclass AND attnum > 0 \
         AND NOT attisdropped \
         ORDER BY 1",
    )
    .load::<Object>(&mut app.conn())
    .expect("schema")
    .into_iter()
    .map(|o| o.object)
    .collect()
}

// --- PostgreSQL only: its query syntax and the request contract -------------------------

#[tokio::test]
async fn web_search_syntax_quotes_exclusion_and_or() {
    let app = spawn_on(&Engine::Postgres).await;
    let ada = app.member("ada").await;
    let async_rust = app
        .post_thread(
            &ada,
            "Async rust runtime",
            "Which async runtime for rust?",
            &[],
        )
        .await;
    let rust_async = app
        .post_thread(&ada, "Rust without async", "Rust, then async later.", &[])
        .await;
    let python = app
        .post_thread(&ada, "Python runtime", "Python runtime choices.", &[])
        .await;
    app.search_caught_up(FRESHNESS).await;
    let ids = |body: Value| {
        let mut ids: Vec<i64> = hit_refs(&body).into_iter().map(|(_, id)| id).collect();
        ids.sort();
        ids
    };
    assert_eq!(
        ids(app.search("q=%22async%20rust%22").await),
        [async_rust],
        "a quoted phrase keeps its order"
    );
    assert_eq!(ids(app.search("q=runtime%20-python").await), [async_rust]);
    let mut either = vec![async_rust, rust_async, python];
    either.sort();
    assert_eq!(ids(app.search("q=rust%20or%20python").await), either);
}

#[tokio::test]
async fn every_bad_parameter_is_a_problem_document_naming_it() {
    let app = spawn_on(&Engine::Postgres).await;
    let long = "x".repeat(201);
    for (query, field) in [
        (format!("q={long}"), "q"),
        ("q=x&type=".to_string(), "type"),
        ("q=x&tag=".to_string(), "tag"),
        ("q=x&type=post".to_string(), "type"),
        ("q=x&tag=no%20way!".to_string(), "tag"),
        ("q=x&limit=0".to_string(), "limit"),
        ("q=x&limit=51".to_string(), "limit"),
        ("q=x&offset=1001".to_string(), "offset"),
        ("q=x&offset=-1".to_string(), "offset"),
    ] {
        let problem = assert_problem(
            app.get(&format!("/api/v1/search?{query}")).await,
            422,
            "validation_failed",
        )
        .await;
        assert!(problem["errors"][field].is_array(), "{query}: {problem}");
    }
    for query in ["limit=ten", "offset=1.5", "limit=99999999999999999999"] {
        assert_problem(
            app.get(&format!("/api/v1/search?q=x&{query}")).await,
            400,
            "invalid_query",
        )
        .await;
    }
    // Control characters read as spaces.
    app.search("q=a%07b").await;
    // At the limits, all is well.
    let long_ok = "y".repeat(200);
    app.search(&format!(
        "q={long_ok}&limit=50&offset=1000&type=mentor&tag=rust"
    ))
    .await;
}

#[tokio::test]
async fn search_is_measured_and_its_backlog_reported() {
    let app = spawn_on(&Engine::Postgres).await;
    app.search("q=anything").await;
    let ready = json(app.get("/ready").await).await;
    assert_eq!(
        ready["search"],
        json!({"engine": "postgres", "state": "up"})
    );
    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(
        metrics.contains(
            "devforum_search_duration_seconds_count{engine=\"postgres\",outcome=\"ok\"} 1"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("devforum_search_sync_backlog 0"),
        "{metrics}"
    );
}

// --- The Meilisearch adapter against a stand-in ------------------------------------------

async fn spawn_on_standin(url: &str, timeout_ms: u64) -> TestApp {
    let url = url.to_string();
    spawn_app_with(
        move |s| {
            s.search.engine = SearchEngineKind::Meilisearch;
            s.search.meilisearch.url = url;
            s.search.meilisearch.index = "devforum".into();
            s.search.meilisearch.timeout_ms = timeout_ms;
        },
        BuildOptions::default(),
    )
    .await
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    port
}

/// Waits until every `search.sync` job has failed at least `attempts` times and none is done.
async fn jobs_retrying(app: &TestApp, attempts: i64) -> String {
    let started = Instant::now();
    loop {
        let waiting = app.count("SELECT count(*) AS n FROM jobs WHERE kind = 'search.sync'");
        let retried = app.count(&format!(
            "SELECT count(*) AS n FROM jobs WHERE kind = 'search.sync' AND attempts >= {attempts}"
        ));
        if waiting > 0 && retried == waiting {
            use diesel::prelude::*;
            #[derive(QueryableByName)]
            struct LastError {
                #[diesel(sql_type = diesel::sql_types::Text)]
                last_error: String,
            }
            return diesel::sql_query(
                "SELECT last_error FROM jobs WHERE kind = 'search.sync' AND last_error IS NOT NULL LIMIT 1",
            )
            .get_result::<LastError>(&mut app.conn())
            .expect("last error")
            .last_error;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "search.sync jobs did not retry: {waiting} waiting, {retried} retried"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
