//! Search: the same tests run on every engine available. PostgreSQL always; a live
//! Meilisearch when `MEILI_URL` (and `MEILI_MASTER_KEY`) point at one, each test in an index
//! of its own. The Meilisearch adapter's failure handling (down, slow, failed tasks) is tested
//! against a local stand-in (`meili_standin.rs`).

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

async fn new_and_edited_content_is_searchable_within_two_seconds(engine: Engine) {
    let app = spawn_on(&engine).await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;

    let thread = app
        .post_thread(
            &ada,
            "Zeppelin lifetimes",
            "How do **lifetimes** work here?",
            &["rust"],
        )
        .await;
    let (found, took) = app
        .search_until("q=zeppelin", FRESHNESS, |b| has_hit(b, "thread", thread))
        .await;
    let hit = &found["hits"][0];
    assert_eq!(hit["title"], "Zeppelin lifetimes");
    assert_eq!(hit["tags"], json!(["rust"]));
    assert_eq!(hit["author"], "ada");
    assert!(hit["score"].is_number(), "{hit}");
    assert_eq!(found["engine"], engine.name());
    eprintln!(
        "{}: a new thread was searchable after {took:?}",
        engine.name()
    );

    let reply = app
        .post_reply(&bob, thread, "Try the quokka pattern: borrow, then clone.")
        .await;
    let (found, _) = app
        .search_until("q=quokka", FRESHNESS, |b| has_hit(b, "reply", reply))
        .await;
    assert_eq!(found["hits"][0]["thread_id"], thread);
    assert_eq!(found["hits"][0]["title"], "Zeppelin lifetimes");

    let edited = app
        .send_as(
            reqwest::Method::PATCH,
            &format!("/api/v1/threads/{thread}"),
            &ada.access_token,
            &json!({"title": "Dirigible lifetimes"}),
        )
        .await;
    assert_eq!(edited.status().as_u16(), 200);
    app.search_until("q=dirigible", FRESHNESS, |b| has_hit(b, "thread", thread))
        .await;
    // The reply shows its thread's new title too.
    app.search_until("q=quokka", FRESHNESS, |b| {
        b["hits"][0]["title"] == "Dirigible lifetimes"
    })
    .await;
    app.search_until("q=zeppelin", FRESHNESS, |b| b["estimated_total"] == 0)
        .await;

    let edited = app
        .send_as(
            reqwest::Method::PATCH,
            &format!("/api/v1/replies/{reply}"),
            &bob.access_token,
            &json!({"body": "Try the wombat pattern instead."}),
        )
        .await;
    assert_eq!(edited.status().as_u16(), 200);
    app.search_until("q=wombat", FRESHNESS, |b| has_hit(b, "reply", reply))
        .await;
    app.search_until("q=quokka", FRESHNESS, |b| b["estimated_total"] == 0)
        .await;
}

async fn deleted_content_leaves_the_index_and_hidden_content_never_shows(engine: Engine) {
    let app = spawn_on(&engine).await;
    let ada = app.member("ada").await;
    let thread = app
        .post_thread(
            &ada,
            "Marmalade macros",
            "Declarative marmalade.",
            &["rust"],
        )
        .await;
    let reply = app.post_reply(&ada, thread, "More marmalade here.").await;
    let other = app
        .post_thread(&ada, "Marmalade traits", "Marmalade in traits.", &[])
        .await;
    app.search_until("q=marmalade", FRESHNESS, |b| b["estimated_total"] == 3)
        .await;

    // Hidden by a moderator (here straight in the database, so no index update is made):
    // the query-time guard still keeps it out of the hits.
    app.sql(&format!(
        "UPDATE threads SET hidden = true WHERE id = {other}"
    ));
    let found = app.search("q=marmalade").await;
    assert!(!has_hit(&found, "thread", other), "{found}");
    assert!(has_hit(&found, "thread", thread), "{found}");

    // Deleting a reply removes it from the index itself.
    let deleted = app
        .send_as(
            reqwest::Method::DELETE,
            &format!("/api/v1/replies/{reply}"),
            &ada.access_token,
            &json!({}),
        )
        .await;
    assert_eq!(deleted.status().as_u16(), 204);
    app.search_until("q=marmalade&type=reply", FRESHNESS, |b| {
        b["estimated_total"] == 0
    })
    .await;

    // Deleting a thread removes it and every reply it had.
    let reply = app.post_reply(&ada, thread, "Marmalade again.").await;
    app.search_until("q=marmalade", FRESHNESS, |b| has_hit(b, "reply", reply))
        .await;
    let deleted = app
        .send_as(
            reqwest::Method::DELETE,
            &format!("/api/v1/threads/{thread}"),
            &ada.access_token,
            &json!({}),
        )
        .await;
    assert_eq!(deleted.status().as_u16(), 204);
    let (found, _) = app
        .search_until("q=marmalade", FRESHNESS, |b| {
            !has_hit(b, "thread", thread) && b["facets"]["type"]["reply"] == 0
        })
        .await;
    assert!(hit_refs(&found).is_empty(), "{found}");
}

async fn a_typo_still_finds_the_thread(engine: Engine) {
    let app = spawn_on(&engine).await;
    let ada = app.member("ada").await;
    let thread = app
        .post_thread(
            &ada,
            "Borrow checker rejects my iterator",
            "The compiler says the value was moved.",
            &["rust"],
        )
        .await;
    app.search_until("q=borrow", FRESHNESS, |b| has_hit(b, "thread", thread))
        .await;
    for typo in ["borow", "iteratr", "borow%20iteratr"] {
        let found = app.search(&format!("q={typo}")).await;
        assert!(has_hit(&found, "thread", thread), "{typo}: {found}");
    }
}

async fn snippets_mark_the_matches_and_escape_the_text(engine: Engine) {
    let app = spawn_on(&engine).await;
    let ada = app.member("ada").await;
    let thread = app
        .post_thread(
            &ada,
            "Scheduling question",
            "When a < b & the tokio runtime is busy, which task runs \"first\"?",
            &[],
        )
        .await;
    let (found, _) = app
        .search_until("q=tokio", FRESHNESS, |b| has_hit(b, "thread", thread))
        .await;
    let snippet = found["hits"][0]["snippet"].as_str().expect("snippet");
    assert!(snippet.contains("<mark>tokio</mark>"), "{snippet}");
    assert!(snippet.contains("a &lt; b &amp; the"), "{snippet}");
    assert!(snippet.contains("&quot;first"), "{snippet}");
    let without_marks = snippet.replace("<mark>", "").replace("</mark>", "");
    assert!(!without_marks.contains('<'), "{snippet}");
}

async fn facets_count_kinds_and_tags_and_filters_narrow_the_hits(engine: Engine) {
    let app = spawn_on(&engine).await;
    let ada = app.member("ada").await;
    let first = app
        .post_thread(&ada, "Ferris one", "About ferris.", &["rust", "beginners"])
        .await;
    let second = app
        .post_thread(&ada, "Ferris two", "More ferris.", &["rust"])
        .await;
    let third = app
        .post_thread(
            &ada,
            "Gopher and ferris",
            "Ferris meets the gopher.",
            &["go"],
        )
        .await;
    let reply = app.post_reply(&ada, third, "Ferris says hi.").await;
    app.post_thread(&ada, "Unrelated", "Nothing to see.", &["rust"])
        .await;
    let (found, _) = app
        .search_until("q=ferris", FRESHNESS, |b| b["estimated_total"] == 4)
        .await;
    assert_eq!(
        found["facets"]["type"],
        json!({"thread": 3, "reply": 1, "meetup": 0, "mentor": 0})
    );
    // A reply carries its thread's tags.
    assert_eq!(
        found["facets"]["tags"],
        json!({"rust": 2, "go": 2, "beginners": 1})
    );

    let replies = app.search("q=ferris&type=reply").await;
    assert_eq!(hit_refs(&replies), [("reply".to_string(), reply)]);
    let rust = app.search("q=ferris&tag=rust&type=thread").await;
    let mut ids: Vec<i64> = hit_refs(&rust).into_iter().map(|(_, id)| id).collect();
    ids.sort();
    assert_eq!(ids, [first, second]);
    let nothing = app.search("q=ferris&type=meetup").await;
    assert_eq!(nothing["hits"], json!([]));
    assert_eq!(nothing["estimated_total"], 0);
}

async fn an_empty_query_lists_recent_content_of_the_requested_type(engine: Engine) {
    let app = spawn_on(&engine).await;
    let ada = app.member("ada").await;
    let mut threads = Vec::new();
    for n in 0..3 {
        threads.push(
            app.post_thread(&ada, &format!("Recent number {n}"), "Body.", &["news"])
                .await,
        );
        // Distinct creation times, so "newest first" has one answer.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let reply = app.post_reply(&ada, threads[0], "A reply.").await;
    app.search_caught_up(FRESHNESS).await;
    let (found, _) = app
        .search_until("type=thread", FRESHNESS, |b| {
            b["hits"].as_array().is_some_and(|h| h.len() == 3)
        })
        .await;
    let newest_first: Vec<i64> = threads.iter().rev().copied().collect();
    assert_eq!(
        hit_refs(&found)
            .into_iter()
            .map(|(_, id)| id)
            .collect::<Vec<_>>(),
        newest_first
    );
    assert!(found["hits"][0].get("score").is_none(), "{found}");
    let everything = app.search("q=").await;
    assert_eq!(hit_refs(&everything)[0], ("reply".to_string(), reply));
    assert_eq!(everything["estimated_total"], 4);
}

async fn results_page_with_limit_and_offset(engine: Engine) {
    let app = spawn_on(&engine).await;
    let ada = app.member("ada").await;
    for n in 0..5 {
        app.post_thread(&ada, &format!("Paging kestrel {n}"), "Kestrel.", &[])
            .await;
    }
    app.search_until("q=kestrel", FRESHNESS, |b| b["estimated_total"] == 5)
        .await;
    let all = hit_refs(&app.search("q=kestrel&limit=5").await);
    let first = hit_refs(&app.search("q=kestrel&limit=2").await);
    let second = hit_refs(&app.search("q=kestrel&limit=2&offset=2").await);
    let last = app.search("q=kestrel&limit=2&offset=4").await;
    assert_eq!(first, all[..2]);
    assert_eq!(second, all[2..4]);
    assert_eq!(hit_refs(&last), all[4..]);
    assert_eq!(last["estimated_total"], 5);
}

async fn mentor_profiles_are_found_by_headline_skills_and_bio(engine: Engine) {
    let app = spawn_on(&engine).await;
    let ada = app.member("ada").await;
    let profile = |headline: &str| {
        json!({
            "headline": headline,
            "bio": "I review **borrowck** puzzles.",
            "skills": ["rust", "Embedded Systems"],
            "languages": ["en", "es"],
            "timezone": "America/Mexico_City",
            "capacity": 2,
            "accepting_requests": true,
        })
    };
    let put = |body: Value| {
        let app = &app;
        let token = ada.access_token.clone();
        async move {
            let response = app
                .send_as(reqwest::Method::PUT, "/api/v1/mentors/me", &token, &body)
                .await;
            assert_eq!(response.status().as_u16(), 200);
        }
    };
    put(profile("Quokka firmware mentor")).await;
    let (found, took) = app
        .search_until("q=quokka", FRESHNESS, |b| has_hit(b, "mentor", ada.id))
        .await;
    assert!(took < FRESHNESS);
    let hit = &found["hits"][0];
    assert_eq!(hit["type"], "mentor");
    assert_eq!(hit["title"], "Quokka firmware mentor");
    assert_eq!(hit["author"], "ada");
    assert_eq!(hit["skills"], json!(["rust", "embedded-systems"]));
    assert_eq!(hit["languages"], json!(["en", "es"]));
    assert_eq!(found["facets"]["type"]["mentor"], 1);

    // Skills are the mentor's tags; the bio is searchable too.
    let by_skill = app
        .search("q=quokka&tag=embedded-systems&type=mentor")
        .await;
    assert!(has_hit(&by_skill, "mentor", ada.id), "{by_skill}");
    let by_bio = app.search("q=borrowck&type=mentor").await;
    assert!(has_hit(&by_bio, "mentor", ada.id), "{by_bio}");
    let not_threads = app.search("q=quokka&type=thread").await;
    assert_eq!(not_threads["hits"], json!([]));

    // An edited profile is found by its new words, not its old ones.
    put(profile("Wombat compiler mentor")).await;
    app.search_until("q=wombat", FRESHNESS, |b| has_hit(b, "mentor", ada.id))
        .await;
    app.search_until("q=quokka", FRESHNESS, |b| b["hits"] == json!([]))
        .await;
}

async fn meetups_are_found_by_words_city_and_date_until_cancelled(engine: Engine) {
    let app = spawn_on(&engine).await;
    let ada = app.member("ada").await;
    let post = |title: &str, city: &str, in_days: i64| {
        let starts = chrono::Utc::now() + chrono::Duration::days(in_days);
        let body = json!({
            "title": title,
            "description": "Talks about **axolotl** tooling.",
            "starts_at": starts.to_rfc3339(),
            "ends_at": (starts + chrono::Duration::hours(2)).to_rfc3339(),
            "timezone": "Europe/Lisbon",
            "venue": {"name": "Hall", "address": "Rua 1", "city": city, "country": "PT"},
            "tags": ["rust"],
        });
        let app = &app;
        let token = ada.access_token.clone();
        async move {
            let response = app
                .send_as(reqwest::Method::POST, "/api/v1/meetups", &token, &body)
                .await;
            assert_eq!(response.status().as_u16(), 201);
            json(response).await["id"].as_i64().expect("id")
        }
    };
    let lisbon = post("Axolotl night Lisbon", "Lisbon", 3).await;
    let porto = post("Axolotl night Porto", "Porto", 20).await;
    let (found, took) = app
        .search_until("q=axolotl&type=meetup", FRESHNESS, |b| {
            has_hit(b, "meetup", lisbon) && has_hit(b, "meetup", porto)
        })
        .await;
    assert!(took < FRESHNESS);
    let hit = found["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .find(|h| h["id"] == lisbon)
        .expect("lisbon hit");
    assert_eq!(hit["city"], "Lisbon");
    assert!(hit["starts_at"].is_string(), "{hit}");
    assert_eq!(hit["author"], "ada");

    let in_lisbon = app.search("q=axolotl&city=Lisbon").await;
    assert_eq!(hit_refs(&in_lisbon), [("meetup".to_string(), lisbon)]);
    let soon = (chrono::Utc::now() + chrono::Duration::days(10)).to_rfc3339();
    let before = app
        .search(&format!("q=axolotl&to={}", soon.replace('+', "%2B")))
        .await;
    assert_eq!(hit_refs(&before), [("meetup".to_string(), lisbon)]);
    let after = app
        .search(&format!("q=axolotl&from={}", soon.replace('+', "%2B")))
        .await;
    assert_eq!(hit_refs(&after), [("meetup".to_string(), porto)]);

    // A cancelled meetup leaves the index.
    let response = app
        .post_as(
            &format!("/api/v1/meetups/{porto}/cancel"),
            &ada.access_token,
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    app.search_until("q=axolotl&type=meetup", FRESHNESS, |b| {
        !has_hit(b, "meetup", porto)
    })
    .await;
}

async fn reindex_rebuilds_the_index_from_the_database(engine: Engine) {
    let app = spawn_on(&engine).await;
    let ada = app.member("ada").await;
    let kept = app
        .post_thread(&ada, "Pelican patterns", "Pelican.", &[])
        .await;
    let gone = app
        .post_thread(&ada, "Pelican pitfalls", "Pelican.", &[])
        .await;
    app.search_until("q=pelican", FRESHNESS, |b| b["estimated_total"] == 2)
        .await;
    // Changes made behind the service's back (a restore from backup, a bulk import): the
    // index does not know about them until it is rebuilt.
    app.sql(&format!(
        "UPDATE threads SET deleted_at = now() WHERE id = {gone}"
    ));
    app.sql(&format!(
        "INSERT INTO threads (author_id, title, body, body_html, excerpt, tags) \
         VALUES ({}, 'Imported pelican', 'Pelican import.', '<p>Pelican import.</p>', 'Pelican import.', '{{}}')",
        ada.id
    ));
    app.sql(&format!(
        "INSERT INTO mentor_profiles (user_id, headline, skills, languages, timezone, capacity, accepting_requests) \
         VALUES ({}, 'Pelican mentor', '{{birds}}', '{{en}}', 'UTC', 2, true)",
        ada.id
    ));
    let stale = app.search("q=pelican").await;
    assert_eq!(stale["estimated_total"], 2, "{stale}");
    let schema_before = search_schema(&app);

    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_devforum"));
    command
        .arg("reindex")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DEVFORUM_CONFIG_DIR", crate::helpers::config_dir())
        .env("DEVFORUM_ENV", "test")
        .env("DATABASE_URL", &app.db.url);
    for (key, value) in engine.env() {
        command.env(key, value);
    }
    let output = command.output().expect("run devforum reindex");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("reindexed 3 documents"), "{stdout}");
    // The PostgreSQL rebuild swaps in new tables: the same indexes and constraints, by name.
    assert_eq!(search_schema(&app), schema_before);

    let found = app.search("q=pelican").await;
    let titles: Vec<&str> = found["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .filter_map(|h| h["title"].as_str())
        .collect();
    assert_eq!(found["estimated_total"], 3, "{found}");
    assert!(has_hit(&found, "thread", kept), "{found}");
    assert!(has_hit(&found, "mentor", ada.id), "{found}");
    assert!(!has_hit(&found, "thread", gone), "{found}");
    assert!(titles.contains(&"Imported pelican"), "{found}");
    // The index keeps following changes after the rebuild.
    let after = app
        .post_thread(&ada, "Pelican postscript", "Pelican.", &[])
        .await;
    app.search_until("q=pelican", FRESHNESS, |b| has_hit(b, "thread", after))
        .await;
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
        ("q=x&tag=Not%20A%20Tag".to_string(), "tag"),
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

#[tokio::test]
async fn the_meilisearch_index_and_its_settings_are_made_at_start_up() {
    let standin = StandIn::start(Mode::Healthy);
    let app = spawn_on_standin(&standin.url, 500).await;
    let started = Instant::now();
    let settings = loop {
        if let Some(settings) = standin.settings("devforum") {
            break settings;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no settings were applied"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let list = |key: &str| -> Vec<String> {
        settings[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key} in {settings}"))
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    };
    assert_eq!(list("searchableAttributes")[..2], ["title", "tags"]);
    assert_eq!(
        list("searchableAttributes").last().map(String::as_str),
        Some("body")
    );
    for attribute in ["type", "tags", "city", "starts_at", "skills"] {
        assert!(
            list("filterableAttributes").contains(&attribute.to_string()),
            "{attribute}"
        );
    }
    assert_eq!(list("sortableAttributes"), ["created_at", "starts_at"]);
    assert!(list("rankingRules").contains(&"typo".to_string()));
    assert_eq!(settings["pagination"]["maxTotalHits"], 1050);
    app.wait_until_search_is_up().await;
    // Settings the SDK has no fields for, sent on their own once the others are in.
    let settings = standin.settings("devforum").expect("settings");
    assert_eq!(settings["prefixSearch"], "disabled", "{settings}");
    assert_eq!(settings["facetSearch"], false, "{settings}");
    assert!(list("rankingRules").contains(&"votes:desc".to_string()));
    assert!(settings["synonyms"]["k8s"]
        .as_array()
        .is_some_and(|s| s.contains(&json!("kubernetes"))));
    let ready = json(app.get("/ready").await).await;
    assert_eq!(
        ready["search"],
        json!({"engine": "meilisearch", "state": "up"})
    );
    standin.stop().await;
}

#[tokio::test]
async fn search_is_a_503_when_meilisearch_is_down_and_ready_says_so() {
    let app = spawn_on_standin(&format!("http://127.0.0.1:{}", closed_port()), 500).await;
    let started = Instant::now();
    let problem = assert_problem(
        app.get("/api/v1/search?q=anything").await,
        503,
        "search_unavailable",
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
    // The rest of the service works on, and readiness tells operators what is wrong.
    let ready = app.get("/ready").await;
    assert_eq!(ready.status().as_u16(), 200);
    assert_eq!(
        json(ready).await["search"],
        json!({"engine": "meilisearch", "state": "down"})
    );
    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(
        metrics.contains(
            "devforum_search_duration_seconds_count{engine=\"meilisearch\",outcome=\"error\"} 1"
        ),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_slow_meilisearch_is_a_503_after_the_timeout_not_a_hang() {
    let standin = StandIn::start(Mode::Healthy);
    let app = spawn_on_standin(&standin.url, 300).await;
    app.search("q=warm").await;
    standin.set_mode(Mode::Slow(Duration::from_secs(10)));
    let started = Instant::now();
    assert_problem(
        app.get("/api/v1/search?q=anything").await,
        503,
        "search_unavailable",
    )
    .await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "took {took:?}");
    standin.stop().await;
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

#[tokio::test]
async fn changes_made_while_meilisearch_is_down_reach_it_when_it_is_back() {
    let standin = StandIn::start(Mode::Unavailable);
    let app = spawn_on_standin(&standin.url, 500).await;
    let ada = app.member("ada").await;
    let thread = app
        .post_thread(&ada, "Written during the outage", "Albatross.", &["ops"])
        .await;
    let reply = app.post_reply(&ada, thread, "Albatross reply.").await;
    let error = jobs_retrying(&app, 2).await;
    assert!(error.contains("Meilisearch"), "{error}");
    assert!(standin.documents("devforum").is_empty());
    assert_problem(
        app.get("/api/v1/search?q=albatross").await,
        503,
        "search_unavailable",
    )
    .await;

    standin.set_mode(Mode::Healthy);
    app.search_caught_up(Duration::from_secs(10)).await;
    let documents = standin.documents("devforum");
    let thread_uid = format!("thread-{thread}");
    let reply_uid = format!("reply-{reply}");
    assert_eq!(
        documents.keys().cloned().collect::<Vec<_>>(),
        [reply_uid.clone(), thread_uid.clone()]
    );
    assert_eq!(documents[&thread_uid]["title"], "Written during the outage");
    assert_eq!(documents[&thread_uid]["tags"], json!(["ops"]));
    assert_eq!(documents[&reply_uid]["thread_id"], thread);
    let found = app.search("q=albatross").await;
    assert_eq!(found["engine"], "meilisearch");
    assert_eq!(found["estimated_total"], 2);
    assert!(has_hit(&found, "thread", thread) && has_hit(&found, "reply", reply));
    assert_eq!(
        app.count("SELECT count(*) AS n FROM jobs WHERE status = 'failed'"),
        0
    );
    standin.stop().await;
}

#[tokio::test]
async fn a_failed_meilisearch_task_is_retried_until_it_succeeds() {
    let standin = StandIn::start(Mode::FailingTasks);
    let app = spawn_on_standin(&standin.url, 500).await;
    let ada = app.member("ada").await;
    let thread = app
        .post_thread(&ada, "Failing tasks", "Cormorant.", &[])
        .await;
    let error = jobs_retrying(&app, 2).await;
    assert!(error.contains("failed"), "{error}");
    assert!(standin.documents("devforum").is_empty());

    standin.set_mode(Mode::Healthy);
    app.search_caught_up(Duration::from_secs(10)).await;
    assert!(standin
        .documents("devforum")
        .contains_key(&format!("thread-{thread}")));
    // Hidden in the database but still in the engine's answer: the guard drops it.
    app.sql(&format!(
        "UPDATE threads SET hidden = true WHERE id = {thread}"
    ));
    let found = app.search("q=cormorant").await;
    assert_eq!(found["hits"], json!([]), "{found}");
    assert!(standin.requests() > 0);
    standin.stop().await;
}

/// A Meilisearch sync reads the rows and hands them to the engine under the index writers'
/// lock, holding one pooled connection and one transaction until the engine has answered
/// (at most `timeout_ms`): that keeps the engine's task order the order of the reads. Members
/// never take that lock, so a slow engine never makes them wait: their writes finish while a
/// sync is still waiting on it.
#[tokio::test]
async fn members_writes_do_not_wait_for_a_sync_stuck_on_a_slow_meilisearch() {
    let standin = StandIn::start(Mode::Healthy);
    let app = spawn_on_standin(&standin.url, 20_000).await;
    let ada = app.member("ada").await;
    app.post_thread(&ada, "Before the slowdown", "Albatross.", &["ops"])
        .await;
    app.search_caught_up(Duration::from_secs(10)).await;

    standin.set_mode(Mode::Slow(Duration::from_secs(6)));
    app.post_thread(&ada, "Synced slowly", "Albatross.", &["ops"])
        .await;
    let started = Instant::now();
    while standin.writes_in_flight() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the sync never reached the engine"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut took = Vec::new();
    for n in 0..5 {
        let started = Instant::now();
        let thread = app
            .post_thread(
                &ada,
                &format!("Written meanwhile {n}"),
                "Albatross.",
                &["ops"],
            )
            .await;
        app.post_reply(&ada, thread, "Albatross, meanwhile.").await;
        took.push(started.elapsed());
    }
    assert!(
        standin.writes_in_flight() > 0,
        "every write finished while the sync still waited on the engine"
    );
    eprintln!("thread + reply while a sync waits on a slow engine: {took:?}");

    standin.set_mode(Mode::Healthy);
    app.search_caught_up(Duration::from_secs(30)).await;
    let found = app.search("q=albatross&limit=50").await;
    assert_eq!(found["estimated_total"], 12, "{found}");
    standin.stop().await;
}
