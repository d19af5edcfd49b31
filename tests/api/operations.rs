use devforum::startup::BuildOptions;

use crate::helpers::{assert_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn health_answers_200_with_a_request_id() {
    let app = spawn_app().await;
    let response = app.get("/health").await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers().get("x-request-id").is_some());
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn ready_reports_the_database_and_the_search_engine() {
    let app = spawn_app().await;
    let response = app.get("/ready").await;
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"]["state"], "up");
    assert_eq!(body["search"]["engine"], "postgres");
}

#[tokio::test]
async fn ready_is_503_while_the_database_is_unreachable_and_health_stays_200() {
    let app = spawn_app_with(
        |settings| {
            // A port nothing listens on.
            settings.database.url = "postgres://postgres:postgres@127.0.0.1:1/nothing"
                .to_string()
                .into();
            settings.database.connection_timeout_secs = 1;
            settings.worker.enabled = false;
        },
        BuildOptions::default(),
    )
    .await;
    assert_eq!(app.get("/health").await.status().as_u16(), 200);
    let body = assert_problem(app.get("/ready").await, 503, "not_ready").await;
    assert_eq!(body["database"]["state"], "down");
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_and_report_pool_and_queue() {
    let app = spawn_app().await;
    app.get("/health").await;
    app.get("/no/such/route/42").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status().as_u16(), 200);
    let text = response.text().await.expect("text");
    assert!(
        text.contains(
            r#"devforum_http_requests_total{endpoint="/health",method="GET",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains("devforum_http_requests_duration_seconds_bucket"),
        "{text}"
    );
    // Unmatched paths are folded into one label value, so scanners cannot explode cardinality.
    assert!(text.contains(r#"endpoint="UNMATCHED""#), "{text}");
    assert!(!text.contains("/no/such/route/42"), "{text}");
    assert!(
        text.contains(r#"devforum_db_pool_connections{state="in_use"}"#),
        "{text}"
    );
    assert!(
        text.contains(r#"devforum_db_pool_connections{state="idle"}"#),
        "{text}"
    );
    assert!(
        text.contains(r#"devforum_jobs{status="pending"} 0"#),
        "{text}"
    );
    assert!(
        text.contains(r#"devforum_jobs{status="failed"} 0"#),
        "{text}"
    );
}

#[tokio::test]
async fn metrics_report_the_job_queue_depth() {
    let app = spawn_app_with(|s| s.worker.enabled = false, BuildOptions::default()).await;
    let mut conn = app.conn();
    for _ in 0..3 {
        devforum::jobs::enqueue(&mut conn, "test.nobody_runs_this", &serde_json::json!({}))
            .expect("enqueue");
    }
    let text = app.get("/metrics").await.text().await.expect("text");
    assert!(
        text.contains(r#"devforum_jobs{status="pending"} 3"#),
        "{text}"
    );
}

#[tokio::test]
async fn the_served_openapi_document_is_the_generated_one_and_valid() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status().as_u16(), 200);
    let served: serde_json::Value = response.json().await.expect("json");
    let generated = serde_json::to_value(devforum::openapi::document()).expect("serialise");
    assert_eq!(served, generated);
    // It parses back into a typed OpenAPI 3.1 model, and documents the operations.
    let parsed: utoipa::openapi::OpenApi =
        serde_json::from_value(served.clone()).expect("valid OpenAPI");
    assert_eq!(served["openapi"], "3.1.0");
    for path in ["/health", "/ready", "/metrics"] {
        assert!(
            parsed.paths.paths.contains_key(path),
            "{path} is not documented"
        );
    }
    assert!(served["components"]["schemas"]["Problem"].is_object());
    // Operation ids are unique (they are named after handlers: two `mark_read`s in two
    // features once made the generated client read one operation's body as the other's).
    let mut operation_ids = std::collections::BTreeMap::new();
    for (path, item) in served["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            if let Some(id) = operation["operationId"].as_str() {
                let earlier = operation_ids.insert(id.to_string(), format!("{method} {path}"));
                assert!(earlier.is_none(), "{id}: {earlier:?} and {method} {path}");
            }
        }
    }
    // Every reference resolves, and ids are integers under their own names.
    let mut refs = Vec::new();
    collect_refs(&served, &mut refs);
    for reference in &refs {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected reference {reference}"));
        assert!(
            served["components"]["schemas"][name].is_object(),
            "{reference} does not resolve"
        );
    }
    let schemas = &served["components"]["schemas"];
    assert_eq!(
        schemas["ThreadView"]["properties"]["id"]["$ref"],
        "#/components/schemas/ThreadId"
    );
    for id in [
        "UserId",
        "ThreadId",
        "ReplyId",
        "MeetupId",
        "MentorshipRequestId",
        "ReportId",
    ] {
        assert_eq!(schemas[id]["type"], "integer", "{id}");
        assert_eq!(schemas[id]["format"], "int64", "{id}");
    }
    // Schemas are named by their Rust type's name: two types of one name would silently
    // replace each other (search's Kind and notifications' kinds once did).
    for (schema, value) in [
        ("Kind", "thread"),
        ("NotificationKind", "watched_reply"),
        ("Status", "pending"),
        ("SubscriptionLevel", "muted"),
    ] {
        let values = schemas[schema]["enum"].as_array().expect(schema);
        assert!(
            values.contains(&serde_json::json!(value)),
            "{schema}: {values:?}"
        );
    }
}

fn collect_refs(value: &serde_json::Value, refs: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", serde_json::Value::String(reference)) => refs.push(reference.clone()),
                    _ => collect_refs(value, refs),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| collect_refs(item, refs)),
        _ => {}
    }
}

#[tokio::test]
async fn interactive_docs_are_served_without_reaching_the_internet() {
    let app = spawn_app().await;
    let redirect = app.get("/docs").await;
    assert_eq!(redirect.status().as_u16(), 308);
    let page = app.get("/docs/").await;
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("swagger-ui"), "{html}");
    // Every script and stylesheet comes from this server.
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    for asset in [
        "/docs/swagger-ui.css",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-initializer.js",
    ] {
        let response = app.get(asset).await;
        assert_eq!(response.status().as_u16(), 200, "{asset}");
    }
    let initializer = app
        .get("/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .expect("js");
    assert!(
        initializer.contains("/api/v1/openapi.json"),
        "{initializer}"
    );
}

/// Set when `/test/slow` has begun: the shutdown test stops the server only once its request
/// is truly in flight (a fixed pause lost that race on a busy machine).
static SLOW_STARTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

async fn slow() -> actix_web::HttpResponse {
    SLOW_STARTED.store(true, std::sync::atomic::Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    actix_web::HttpResponse::Ok().body("finished")
}

fn slow_routes(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(actix_web::web::resource("/test/slow").route(actix_web::web::get().to(slow)));
}

#[tokio::test]
async fn graceful_shutdown_lets_in_flight_requests_finish_then_refuses_new_ones() {
    let app = spawn_app_with(
        |_| {},
        BuildOptions {
            extra_routes: Some(slow_routes),
            ..Default::default()
        },
    )
    .await;
    let client = app.client.clone();
    let url = app.url("/test/slow");
    let health = app.url("/health");
    let in_flight = tokio::spawn(async move {
        let response = client.get(url).send().await?;
        Ok::<_, reqwest::Error>((response.status().as_u16(), response.text().await?))
    });
    assert!(
        crate::helpers::wait_until(std::time::Duration::from_secs(20), || {
            SLOW_STARTED.load(std::sync::atomic::Ordering::SeqCst)
        })
        .await,
        "the slow request never reached the server"
    );
    app.stop().await.expect("clean stop");
    let (status, body) = in_flight
        .await
        .expect("task")
        .expect("in-flight request completed");
    assert_eq!((status, body.as_str()), (200, "finished"));
    let refused = reqwest::Client::new().get(health).send().await;
    assert!(refused.is_err(), "the stopped server still answers");
}
