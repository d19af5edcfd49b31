//! Meilisearch as the engine: start-up, outages, slow tasks and retries.

use super::*;

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
