//! Every error class answers a problem document, actix's own included.

use actix_web::{web, HttpResponse};
use devforum::http::Json;
use devforum::startup::BuildOptions;

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, TestApp};

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Echo {
    title: String,
    count: u8,
    kind: EchoKind,
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum EchoKind {
    Thread,
    Reply,
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct EchoQuery {
    limit: u8,
}

async fn echo(body: Json<Echo>) -> HttpResponse {
    let kind = match body.kind {
        EchoKind::Thread => "thread",
        EchoKind::Reply => "reply",
    };
    HttpResponse::Ok().json(serde_json::json!({ "title": body.title, "kind": kind }))
}

async fn items(path: web::Path<i64>, query: web::Query<EchoQuery>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "id": path.into_inner(), "limit": query.limit }))
}

async fn crash() -> Result<HttpResponse, devforum::error::ApiError> {
    Err(anyhow::anyhow!("secret connection string postgres://admin:hunter2@db").into())
}

fn test_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/test/echo").route(web::post().to(echo)))
        .service(web::resource("/test/items/{id}").route(web::get().to(items)))
        .service(web::resource("/test/crash").route(web::get().to(crash)));
}

async fn app() -> TestApp {
    spawn_app_with(
        |s| s.server.json_limit = 1024,
        BuildOptions {
            extra_routes: Some(test_routes),
            ..Default::default()
        },
    )
    .await
}

async fn post_raw(
    app: &TestApp,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let mut request = app.client.post(app.url("/test/echo")).body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    request.send().await.expect("request")
}

#[tokio::test]
async fn a_well_formed_body_is_accepted() {
    let app = app().await;
    let response = post_raw(
        &app,
        Some("application/json"),
        r#"{"title":"hi","count":3,"kind":"reply"}"#,
    )
    .await;
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let app = app().await;
    assert_problem(
        post_raw(&app, Some("application/json"), "{\"title\": ").await,
        400,
        "malformed_json",
    )
    .await;
    assert_problem(
        post_raw(&app, Some("application/json"), "not json").await,
        400,
        "malformed_json",
    )
    .await;
    assert_problem(
        post_raw(&app, Some("application/json"), "").await,
        400,
        "malformed_json",
    )
    .await;
}

#[tokio::test]
async fn wrong_or_missing_content_type_is_a_415_problem() {
    let app = app().await;
    let body = r#"{"title":"hi","count":3,"kind":"reply"}"#;
    assert_problem(
        post_raw(&app, Some("text/plain"), body).await,
        415,
        "unsupported_media_type",
    )
    .await;
    assert_problem(
        post_raw(&app, None, body).await,
        415,
        "unsupported_media_type",
    )
    .await;
}

#[tokio::test]
async fn wrong_shapes_unknown_enum_values_and_unknown_fields_name_the_field() {
    let app = app().await;
    let cases = [
        (r#"{"title":"hi","count":"three","kind":"reply"}"#, "count"),
        (r#"{"title":"hi","count":300,"kind":"reply"}"#, "count"),
        (r#"{"title":"hi","count":3,"kind":"poll"}"#, "kind"),
        (
            r#"{"title":"hi","count":3,"kind":"reply","role":"admin"}"#,
            "role",
        ),
    ];
    for (body, field) in cases {
        let problem = assert_problem(
            post_raw(&app, Some("application/json"), body).await,
            422,
            "validation_failed",
        )
        .await;
        assert!(problem["errors"][field].is_array(), "{body} → {problem}");
    }
}

#[tokio::test]
async fn an_oversize_body_is_a_413_problem() {
    let app = app().await;
    let big = format!(
        r#"{{"title":"{}","count":3,"kind":"reply"}}"#,
        "x".repeat(4096)
    );
    assert_problem(
        post_raw(&app, Some("application/json"), big).await,
        413,
        "payload_too_large",
    )
    .await;
}

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = spawn_app().await;
    assert_problem(app.get("/api/v1/does-not-exist").await, 404, "not_found").await;
    assert_problem(app.get("/").await, 404, "not_found").await;
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem() {
    let app = spawn_app().await;
    let response = app
        .client
        .delete(app.url("/health"))
        .send()
        .await
        .expect("request");
    assert_problem(response, 405, "method_not_allowed").await;

    // A handler is its own resource: a path the API has, asked with a method none of its
    // handlers takes, is a 405 naming the methods it does take, also where a neighbouring
    // route with a parameter would take the method (`PATCH /meetups/{id}`).
    for (method, path, allow) in [
        (
            reqwest::Method::PATCH,
            "/api/v1/meetups/calendar.ics",
            "GET, HEAD",
        ),
        (reqwest::Method::GET, "/api/v1/auth/login", "POST"),
        (
            reqwest::Method::PUT,
            "/api/v1/threads/7",
            "GET, HEAD, PATCH, DELETE",
        ),
    ] {
        let response = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .expect("request");
        let allowed = response
            .headers()
            .get(reqwest::header::ALLOW)
            .map(|v| v.to_str().unwrap().to_string());
        assert_eq!(allowed.as_deref(), Some(allow), "{method} {path}");
        assert_problem(response, 405, "method_not_allowed").await;
    }
    // A segment that is not an id names nothing.
    assert_problem(app.get("/api/v1/meetups/tomorrow").await, 404, "not_found").await;
    let app = self::app().await;
    let response = app
        .client
        .get(app.url("/test/echo"))
        .send()
        .await
        .expect("request");
    assert_problem(response, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn bad_query_and_path_parameters_are_problems() {
    let app = app().await;
    assert_eq!(
        app.get("/test/items/7?limit=5").await.status().as_u16(),
        200
    );
    assert_problem(
        app.get("/test/items/7?limit=lots").await,
        400,
        "invalid_query",
    )
    .await;
    assert_problem(app.get("/test/items/7").await, 400, "invalid_query").await;
    assert_problem(
        app.get("/test/items/not-a-number?limit=5").await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn a_server_error_reveals_nothing_and_carries_the_request_id() {
    let app = app().await;
    let response = app
        .client
        .get(app.url("/test/crash"))
        .header("x-request-id", "crash-42")
        .send()
        .await
        .expect("request");
    assert_eq!(
        response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("crash-42")
    );
    let body = assert_problem(response, 500, "internal_error").await;
    let text = body.to_string();
    assert!(
        !text.contains("hunter2") && !text.contains("postgres://"),
        "{text}"
    );
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "trace-abc.123")
        .send()
        .await
        .expect("request");
    assert_eq!(
        response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("trace-abc.123")
    );

    let generated = app.get("/health").await;
    let id = generated
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id:?}");

    // A header that could forge log lines is replaced, not echoed.
    let hostile = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "a b\"c")
        .send()
        .await
        .expect("request");
    let id = hostile
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id:?}");

    // Error answers carry it too.
    let missing = app
        .client
        .get(app.url("/nope"))
        .header("x-request-id", "nope-1")
        .send()
        .await
        .expect("request");
    assert_eq!(
        missing
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("nope-1")
    );
}

#[tokio::test]
async fn cors_allows_configured_origins_only() {
    let app = spawn_app_with(
        |s| s.server.cors_allowed_origins = vec!["https://forum.example".into()],
        BuildOptions::default(),
    )
    .await;
    let allowed = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/health"))
        .header("origin", "https://forum.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .expect("request");
    assert_eq!(allowed.status().as_u16(), 200);
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://forum.example")
    );
    let refused = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/health"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .expect("request");
    assert!(refused
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    assert_problem(refused, 400, "bad_request").await;
}
