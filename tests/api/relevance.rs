//! Results people want first, on both engines: a judged query set over a small forum, title
//! matches before body matches, better voted and newer first among equals, and synonyms.
//! Run through `search.rs`'s `on_every_engine!`.

use std::collections::HashMap;
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use serde_json::Value;

use crate::helpers::TestApp;
use crate::relevance_corpus::{DECOYS, JUDGED, REPLIES, THREADS};
use crate::search::{spawn_on, Engine};

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Writes rows the way a long-lived forum has them (ages and votes chosen by the test), then
/// lets the search worker index them all.
struct Forum<'a> {
    app: &'a TestApp,
    conn: PgConnection,
    author: i64,
}

impl<'a> Forum<'a> {
    fn new(app: &'a TestApp) -> Self {
        let mut conn = app.conn();
        let author = diesel::sql_query(
            "INSERT INTO users (username, email, password_hash, email_verified) \
             VALUES ('corpus', 'corpus@example.com', 'x', true) RETURNING id",
        )
        .get_result::<Id>(&mut conn)
        .expect("author")
        .id;
        Forum { app, conn, author }
    }

    fn thread(&mut self, title: &str, body: &str, tags: &[&str], days_ago: i64, score: i32) -> i64 {
        diesel::sql_query(
            "INSERT INTO threads (author_id, title, body, body_html, excerpt, tags, score, \
                                  created_at, updated_at) \
             VALUES ($1, $2, $3, $3, left($3, 200), $4, $5, \
                     now() - make_interval(days => $6), now() - make_interval(days => $6)) \
             RETURNING id",
        )
        .bind::<BigInt, _>(self.author)
        .bind::<diesel::sql_types::Text, _>(title)
        .bind::<diesel::sql_types::Text, _>(body)
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(
            tags.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
        )
        .bind::<diesel::sql_types::Integer, _>(score)
        .bind::<diesel::sql_types::Integer, _>(i32::try_from(days_ago).expect("days"))
        .get_result::<Id>(&mut self.conn)
        .expect("thread")
        .id
    }

    fn reply(&mut self, thread: i64, body: &str, days_ago: i64, score: i32) -> i64 {
        diesel::sql_query(
            "INSERT INTO replies (thread_id, author_id, body, body_html, score, created_at, updated_at) \
             VALUES ($1, $2, $3, $3, $4, now() - make_interval(days => $5), \
                     now() - make_interval(days => $5)) RETURNING id",
        )
        .bind::<BigInt, _>(thread)
        .bind::<BigInt, _>(self.author)
        .bind::<diesel::sql_types::Text, _>(body)
        .bind::<diesel::sql_types::Integer, _>(score)
        .bind::<diesel::sql_types::Integer, _>(i32::try_from(days_ago).expect("days"))
        .get_result::<Id>(&mut self.conn)
        .expect("reply")
        .id
    }

    /// Asks the search worker to index every thread and reply, and waits until it has.
    async fn index_everything(&mut self) {
        diesel::sql_query(
            "INSERT INTO jobs (kind, payload) \
             SELECT 'search.sync', jsonb_build_object('type', 'thread', 'id', id) FROM threads \
             UNION ALL \
             SELECT 'search.sync', jsonb_build_object('type', 'reply', 'id', id) FROM replies",
        )
        .execute(&mut self.conn)
        .expect("enqueue");
        self.app.search_caught_up(Duration::from_secs(30)).await;
    }
}

/// The thread ids of the hits, in order (a reply counts as its thread).
fn thread_order(body: &Value) -> Vec<i64> {
    let mut order = Vec::new();
    for hit in body["hits"].as_array().expect("hits") {
        let id = match hit["type"].as_str() {
            Some("thread") => hit["id"].as_i64(),
            Some("reply") => hit["thread_id"].as_i64(),
            _ => None,
        };
        if let Some(id) = id.filter(|id| !order.contains(id)) {
            order.push(id);
        }
    }
    order
}

fn encode(query: &str) -> String {
    url::form_urlencoded::byte_serialize(query.as_bytes()).collect()
}

/// Each judged query puts a thread a person expects in the top three for at least 90 % of the
/// queries; the mean reciprocal rank is printed so that a change in ranking shows.
pub async fn judged_queries_put_the_expected_thread_in_the_top_three(engine: Engine) {
    let app = spawn_on(&engine).await;
    let mut forum = Forum::new(&app);
    let mut ids: HashMap<&str, i64> = HashMap::new();
    // The threads people want are the older ones, with few votes...
    for (n, (key, title, body, tags)) in THREADS.iter().enumerate() {
        let id = forum.thread(title, body, tags, 400 - n as i64 * 7, (n % 3) as i32);
        ids.insert(key, id);
    }
    // ...the decoys and replies that mention their words are recent and well voted.
    for (n, (title, body, tags)) in DECOYS.iter().enumerate() {
        forum.thread(title, body, tags, 1 + n as i64 % 5, 40);
    }
    for (n, (key, body)) in REPLIES.iter().enumerate() {
        forum.reply(ids[key], body, 2 + n as i64 % 7, 15);
    }
    forum.index_everything().await;

    let mut in_top_three = 0;
    let mut reciprocal_ranks = 0.0;
    let mut misses = Vec::new();
    for (query, expected) in JUDGED {
        let found = app.search(&format!("q={}&limit=10", encode(query))).await;
        let order = thread_order(&found);
        let wanted: Vec<i64> = expected.iter().map(|key| ids[key]).collect();
        let rank = order.iter().position(|id| wanted.contains(id));
        if rank.is_some_and(|r| r < 3) {
            in_top_three += 1;
        } else {
            misses.push(format!("{query:?} → rank {:?}", rank.map(|r| r + 1)));
        }
        reciprocal_ranks += rank.map_or(0.0, |r| 1.0 / (r as f64 + 1.0));
    }
    let total = JUDGED.len();
    let mrr = reciprocal_ranks / total as f64;
    eprintln!(
        "{}: {in_top_three} of {total} judged queries have an expected thread in the top 3; \
         MRR {mrr:.3}; misses: {misses:?}",
        engine.name()
    );
    assert!(
        in_top_three * 10 >= total * 9,
        "{}: only {in_top_three} of {total} in the top 3; misses: {misses:?}",
        engine.name()
    );
}

/// A title match ranks above a document that only mentions the word in its body, even a newer
/// and better voted one; among equal matches, better voted comes first, then newer.
pub async fn title_matches_come_first_then_votes_then_recency(engine: Engine) {
    let app = spawn_on(&engine).await;
    let mut forum = Forum::new(&app);
    let titled = forum.thread("Zeppelin tuning guide", "How we tuned it.", &[], 300, 0);
    let mentioned = forum.thread(
        "Weekly roundup",
        "Links: a zeppelin story, plus other news.",
        &[],
        1,
        90,
    );
    // Equal text: the better voted first whatever its age...
    let old_voted = forum.thread("Quasar notes", "Quasar basics.", &[], 200, 30);
    let new_unvoted = forum.thread("Quasar notes", "Quasar basics.", &[], 2, 0);
    // ...and with equal votes, the newer first.
    let older = forum.thread("Nebula notes", "Nebula basics.", &[], 100, 5);
    let newer = forum.thread("Nebula notes", "Nebula basics.", &[], 10, 5);
    forum.index_everything().await;

    let order = |body: Value| thread_order(&body);
    assert_eq!(
        order(app.search("q=zeppelin").await),
        [titled, mentioned],
        "{}",
        engine.name()
    );
    assert_eq!(
        order(app.search("q=quasar").await),
        [old_voted, new_unvoted],
        "{}",
        engine.name()
    );
    assert_eq!(
        order(app.search("q=nebula").await),
        [newer, older],
        "{}",
        engine.name()
    );
}

/// Abbreviations developers write find what others spelled out, and the reverse, on both
/// engines, from the synonyms in the configuration.
pub async fn synonyms_find_what_others_spelled_out(engine: Engine) {
    let app = spawn_on(&engine).await;
    let mut forum = Forum::new(&app);
    let kubernetes = forum.thread("Kubernetes upgrade notes", "Drain first.", &[], 5, 0);
    let k8s = forum.thread("k8s ingress tips", "Use one controller.", &[], 5, 0);
    let postgres = forum.thread("PostgreSQL vacuum tuning", "Autovacuum.", &[], 5, 0);
    let pg = forum.thread("pg connection limits", "Use a pool.", &[], 5, 0);
    let js = forum.thread("JS bundle size", "Tree shaking.", &[], 5, 0);
    let unrelated = forum.thread("Gardening", "Tomatoes.", &[], 5, 0);
    forum.index_everything().await;

    let found = |query: &str| {
        let app = &app;
        let query = query.to_string();
        async move {
            let mut ids = thread_order(&app.search(&format!("q={}", encode(&query))).await);
            ids.sort();
            ids
        }
    };
    let mut both_k8s = vec![kubernetes, k8s];
    both_k8s.sort();
    assert_eq!(found("k8s").await, both_k8s, "{}", engine.name());
    assert_eq!(found("kubernetes").await, both_k8s, "{}", engine.name());
    let mut both_pg = vec![postgres, pg];
    both_pg.sort();
    assert_eq!(found("postgresql").await, both_pg, "{}", engine.name());
    assert_eq!(found("pg").await, both_pg, "{}", engine.name());
    assert_eq!(found("postgres").await, both_pg, "{}", engine.name());
    assert_eq!(found("javascript").await, [js], "{}", engine.name());
    assert!(!found("gardening k8s").await.contains(&unrelated));
}
