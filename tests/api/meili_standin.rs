//! A local HTTP stand-in for the parts of Meilisearch's API devforum uses, for testing how the
//! adapter behaves when the engine is down, slow, or fails its tasks. No package registry
//! ships a Meilisearch server; the same search tests run against a real one when
//! `MEILI_URL` is set (see `search.rs`).

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};

/// How the stand-in behaves at the moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Answers like a healthy server whose tasks succeed.
    Healthy,
    /// Answers every request with `503` (a server up but not serving).
    Unavailable,
    /// Accepts writes, but their tasks end `failed`.
    FailingTasks,
    /// Answers only after this long.
    Slow(Duration),
}

#[derive(Debug)]
struct TaskRecord {
    index: String,
    kind: &'static str,
    failed: bool,
}

#[derive(Debug)]
struct State {
    mode: Mode,
    tasks: Vec<TaskRecord>,
    /// Documents by index uid, then by primary key.
    documents: BTreeMap<String, BTreeMap<String, Value>>,
    /// The last settings each index was given.
    settings: BTreeMap<String, Value>,
    requests: usize,
    /// Writes (anything but GET) received and not yet answered.
    writes_in_flight: usize,
}

#[derive(Clone)]
pub struct StandIn {
    pub url: String,
    state: Arc<Mutex<State>>,
    handle: actix_web::dev::ServerHandle,
}

impl StandIn {
    pub fn start(mode: Mode) -> StandIn {
        let state = Arc::new(Mutex::new(State {
            mode,
            tasks: Vec::new(),
            documents: BTreeMap::new(),
            settings: BTreeMap::new(),
            requests: 0,
            writes_in_flight: 0,
        }));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind stand-in");
        let port = listener.local_addr().expect("address").port();
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
                .default_service(web::to(handle))
        })
        .listen(listener)
        .expect("listen")
        .workers(1)
        .disable_signals()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        StandIn {
            url: format!("http://127.0.0.1:{port}"),
            state,
            handle,
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        self.state.lock().expect("state").mode = mode;
    }

    /// The documents an index holds now.
    pub fn documents(&self, index: &str) -> BTreeMap<String, Value> {
        self.state
            .lock()
            .expect("state")
            .documents
            .get(index)
            .cloned()
            .unwrap_or_default()
    }

    /// The settings an index was last given, if any.
    pub fn settings(&self, index: &str) -> Option<Value> {
        self.state
            .lock()
            .expect("state")
            .settings
            .get(index)
            .cloned()
    }

    pub fn requests(&self) -> usize {
        self.state.lock().expect("state").requests
    }

    /// Writes the stand-in is holding (slow) and has not answered yet.
    pub fn writes_in_flight(&self) -> usize {
        self.state.lock().expect("state").writes_in_flight
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

const TIME: &str = "2026-11-24T12:00:00Z";

fn task_info(uid: usize, record: &TaskRecord) -> HttpResponse {
    HttpResponse::Accepted().json(json!({
        "taskUid": uid,
        "indexUid": record.index,
        "status": "enqueued",
        "type": record.kind,
        "enqueuedAt": TIME,
    }))
}

fn task_status(uid: usize, record: &TaskRecord) -> Value {
    let mut task = json!({
        "uid": uid,
        "indexUid": record.index,
        "status": if record.failed { "failed" } else { "succeeded" },
        "type": record.kind,
        "duration": "PT0.001S",
        "enqueuedAt": TIME,
        "startedAt": TIME,
        "finishedAt": TIME,
    });
    if record.failed {
        task["error"] = json!({
            "message": "the stand-in failed this task",
            "code": "internal",
            "type": "internal",
            "link": "https://docs.meilisearch.com/errors#internal",
        });
    }
    task
}

async fn handle(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<Arc<Mutex<State>>>,
) -> HttpResponse {
    let write = request.method() != actix_web::http::Method::GET;
    if write {
        state.lock().expect("state").writes_in_flight += 1;
    }
    let response = answer(&request, body, &state).await;
    if write {
        state.lock().expect("state").writes_in_flight -= 1;
    }
    response
}

async fn answer(
    request: &HttpRequest,
    body: web::Bytes,
    state: &web::Data<Arc<Mutex<State>>>,
) -> HttpResponse {
    let mode = {
        let mut state = state.lock().expect("state");
        state.requests += 1;
        state.mode
    };
    match mode {
        Mode::Unavailable => {
            return HttpResponse::ServiceUnavailable().json(json!({
                "message": "unavailable", "code": "internal", "type": "internal", "link": ""
            }))
        }
        Mode::Slow(delay) => tokio::time::sleep(delay).await,
        Mode::Healthy | Mode::FailingTasks => {}
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let path: Vec<String> = request
        .path()
        .trim_matches('/')
        .split('/')
        .map(str::to_string)
        .collect();
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let method = request.method().as_str();
    let mut state = state.lock().expect("state");
    let failing = mode == Mode::FailingTasks;
    let enqueue = |state: &mut State, index: &str, kind: &'static str, fails: bool| {
        state.tasks.push(TaskRecord {
            index: index.to_string(),
            kind,
            failed: fails,
        });
        let uid = state.tasks.len() - 1;
        task_info(uid, &state.tasks[uid])
    };
    match (method, path.as_slice()) {
        ("GET", ["health"]) => HttpResponse::Ok().json(json!({"status": "available"})),
        ("POST", ["indexes"]) => {
            let uid = body["uid"].as_str().unwrap_or_default().to_string();
            state.documents.entry(uid.clone()).or_default();
            enqueue(&mut state, &uid, "indexCreation", false)
        }
        ("GET", ["indexes", uid]) => HttpResponse::Ok().json(json!({
            "uid": uid, "primaryKey": "uid", "createdAt": TIME, "updatedAt": TIME
        })),
        ("PATCH", ["indexes", uid, "settings"]) => {
            // As Meilisearch does: the fields sent replace those stored, the others stay.
            let stored = state
                .settings
                .entry(uid.to_string())
                .or_insert_with(|| json!({}));
            if let (Some(stored), Some(sent)) = (stored.as_object_mut(), body.as_object()) {
                for (key, value) in sent {
                    stored.insert(key.clone(), value.clone());
                }
            }
            enqueue(&mut state, uid, "settingsUpdate", false)
        }
        ("GET", ["indexes", uid, "settings"]) => {
            HttpResponse::Ok().json(state.settings.get(*uid).cloned().unwrap_or(json!({})))
        }
        ("POST" | "PUT", ["indexes", uid, "documents"]) => {
            if !failing {
                let stored = state.documents.entry(uid.to_string()).or_default();
                for document in body.as_array().cloned().unwrap_or_default() {
                    let key = document["uid"].as_str().unwrap_or_default().to_string();
                    stored.insert(key, document);
                }
            }
            enqueue(&mut state, uid, "documentAdditionOrUpdate", failing)
        }
        ("POST", ["indexes", uid, "documents", "delete-batch"]) => {
            if !failing {
                let stored = state.documents.entry(uid.to_string()).or_default();
                for key in body.as_array().cloned().unwrap_or_default() {
                    stored.remove(key.as_str().unwrap_or_default());
                }
            }
            enqueue(&mut state, uid, "documentDeletion", failing)
        }
        ("POST", ["indexes", uid, "documents", "delete"]) => {
            enqueue(&mut state, uid, "documentDeletion", failing)
        }
        ("GET", ["tasks", uid]) => match uid
            .parse::<usize>()
            .ok()
            .and_then(|n| state.tasks.get(n).map(|record| task_status(n, record)))
        {
            Some(task) => HttpResponse::Ok().json(task),
            None => HttpResponse::NotFound().json(json!({
                "message": "no such task", "code": "task_not_found",
                "type": "invalid_request", "link": ""
            })),
        },
        ("POST", ["indexes", uid, "search"]) => {
            let words = body["q"].as_str().unwrap_or_default().to_lowercase();
            let hits: Vec<Value> = state
                .documents
                .get(*uid)
                .map(|documents| {
                    documents
                        .values()
                        .filter(|d| {
                            let text = format!("{} {}", d["title"], d["body"]).to_lowercase();
                            words.split_whitespace().all(|w| text.contains(w))
                        })
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
            for hit in &hits {
                *kinds
                    .entry(hit["type"].as_str().unwrap_or_default().to_string())
                    .or_default() += 1;
            }
            HttpResponse::Ok().json(json!({
                "hits": hits,
                "query": words,
                "processingTimeMs": 1,
                "limit": body["limit"],
                "offset": body["offset"],
                "estimatedTotalHits": hits.len(),
                "facetDistribution": {"type": kinds, "tags": {}},
            }))
        }
        _ => HttpResponse::NotFound().json(json!({
            "message": format!("the stand-in does not know {method} {}", request.path()),
            "code": "index_not_found", "type": "invalid_request", "link": ""
        })),
    }
}
