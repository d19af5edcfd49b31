//! What search must do on either engine; `on_every_engine!` in `mod.rs` runs each case on
//! PostgreSQL and on Meilisearch.

use super::*;

pub(super) async fn new_and_edited_content_is_searchable_within_two_seconds(engine: Engine) {
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

pub(super) async fn deleted_content_leaves_the_index_and_hidden_content_never_shows(
    engine: Engine,
) {
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

pub(super) async fn a_typo_still_finds_the_thread(engine: Engine) {
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

pub(super) async fn snippets_mark_the_matches_and_escape_the_text(engine: Engine) {
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

pub(super) async fn facets_count_kinds_and_tags_and_filters_narrow_the_hits(engine: Engine) {
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

pub(super) async fn an_empty_query_lists_recent_content_of_the_requested_type(engine: Engine) {
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

pub(super) async fn results_page_with_limit_and_offset(engine: Engine) {
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

pub(super) async fn mentor_profiles_are_found_by_headline_skills_and_bio(engine: Engine) {
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

pub(super) async fn meetups_are_found_by_words_city_and_date_until_cancelled(engine: Engine) {
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

pub(super) async fn reindex_rebuilds_the_index_from_the_database(engine: Engine) {
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

pub(super) async fn threads_are_filtered_by_having_a_solution(engine: Engine) {
    let app = spawn_on(&engine).await;
    let (ada, bob) = (app.member("ada").await, app.member("bob").await);
    let open = app
        .post_thread(&ada, "Quokka question open", "Still open.", &["rust"])
        .await;
    let solved = app
        .post_thread(&ada, "Quokka question solved", "Answered.", &["rust"])
        .await;
    let answer = app.post_reply(&bob, solved, "Quokka answer.").await;
    app.search_until("q=quokka", FRESHNESS, |b| b["estimated_total"] == 3)
        .await;

    app.choose_solution(&ada, solved, answer).await;
    let (found, _) = app
        .search_until("q=quokka&solved=true", FRESHNESS, |b| {
            hit_refs(b) == [("thread".to_string(), solved)]
        })
        .await;
    assert_eq!(found["estimated_total"], 1);
    // `solved=false` finds the open thread and no replies; with an empty query too.
    let unsolved = app.search("q=quokka&solved=false").await;
    assert_eq!(hit_refs(&unsolved), [("thread".to_string(), open)]);
    let recent = app.search("solved=true").await;
    assert_eq!(hit_refs(&recent), [("thread".to_string(), solved)]);

    // Removing the solution is synced like any other change.
    let removed = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/threads/{solved}/solution"),
            Some(&ada.access_token),
            None,
        )
        .await;
    assert_eq!(removed.status().as_u16(), 204);
    app.search_until("q=quokka&solved=true", FRESHNESS, |b| {
        b["hits"] == json!([])
    })
    .await;

    // Only threads have solutions: another kind, or a meetup filter, is refused.
    for query in [
        "q=quokka&solved=true&type=reply",
        "solved=false&city=Berlin",
        "solved=maybe",
    ] {
        let response = app.get(&format!("/api/v1/search?{query}")).await;
        assert!(
            matches!(response.status().as_u16(), 400 | 422),
            "{query}: {}",
            response.status()
        );
    }
}
