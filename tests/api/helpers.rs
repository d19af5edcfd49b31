//! Test harness: every test gets its own PostgreSQL database, cloned from a template that is
//! migrated once per migration set, and a real server on a random port.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use devforum::config::Settings;
use devforum::startup::{Application, BuildOptions};
use diesel::prelude::*;
use diesel::{Connection, PgConnection};
use tokio_util::sync::CancellationToken;

/// The server the tests point at; `scripts/test` starts a private cluster and sets it.
pub fn base_database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:54329/devforum".to_string())
}

/// `url` with its database name replaced by `name`.
pub fn database_url(url: &str, name: &str) -> String {
    let (without_query, query) = match url.split_once('?') {
        Some((head, query)) => (head, format!("?{query}")),
        None => (url, String::new()),
    };
    let prefix = without_query
        .rsplit_once('/')
        .map(|(p, _)| p)
        .unwrap_or(without_query);
    format!("{prefix}/{name}{query}")
}

fn admin_connection() -> PgConnection {
    let url = database_url(&base_database_url(), "postgres");
    PgConnection::establish(&url)
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {url}: {e}; run scripts/test"))
}

/// A fingerprint of the migrations, so a changed migration gets a fresh template.
fn migrations_fingerprint() -> String {
    use std::hash::{Hash, Hasher};
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("migrations dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    entries.sort();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for entry in entries {
        entry.file_name().hash(&mut hasher);
        for file in ["up.sql", "down.sql"] {
            std::fs::read(entry.join(file))
                .unwrap_or_default()
                .hash(&mut hasher);
        }
    }
    format!("{:016x}", hasher.finish())
}

/// Creates (once, across every test process) the migrated template database.
fn template_database() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let name = format!("devforum_tpl_{}", migrations_fingerprint());
        let mut conn = admin_connection();
        // Tests run in several processes at once: serialise template creation.
        diesel::sql_query("SELECT pg_advisory_lock(727272)")
            .execute(&mut conn)
            .expect("lock");
        let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
            "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}')"
        )))
        .get_result(&mut conn)
        .expect("template lookup");
        if !exists {
            let building = format!("{name}_building");
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
                .execute(&mut conn)
                .expect("drop stale template");
            diesel::sql_query(format!("CREATE DATABASE {building}"))
                .execute(&mut conn)
                .expect("create template");
            {
                let mut template =
                    PgConnection::establish(&database_url(&base_database_url(), &building))
                        .expect("connect to template");
                devforum::db::run_migrations(&mut template).expect("migrate template");
            }
            // Renaming makes a half-built template impossible to pick up.
            diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {name}"))
                .execute(&mut conn)
                .expect("publish template");
        }
        diesel::sql_query("SELECT pg_advisory_unlock(727272)")
            .execute(&mut conn)
            .expect("unlock");
        name
    })
}

/// A database of one's own, dropped (connections and all) when the value goes away.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
    /// The `postgres` database of the same server, to drop this one from.
    admin_url: String,
}

impl TestDatabase {
    pub fn create() -> Self {
        let template = template_database();
        let name = format!("devforum_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = admin_connection();
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .execute(&mut conn)
            .expect("create test database");
        Self::named(&base_database_url(), name)
    }

    /// An empty database with no migrations applied.
    pub fn create_empty() -> Self {
        let name = format!("devforum_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = admin_connection();
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create test database");
        Self::named(&base_database_url(), name)
    }

    /// A migrated database on another server (`server_url` names any database on it).
    pub fn create_migrated_on(server_url: &str) -> Self {
        let name = format!("devforum_test_{}", uuid::Uuid::new_v4().simple());
        let database = Self::named(server_url, name);
        let mut admin = PgConnection::establish(&database.admin_url).expect("connect to server");
        diesel::sql_query(format!("CREATE DATABASE {}", database.name))
            .execute(&mut admin)
            .expect("create database");
        devforum::db::run_migrations(&mut database.connect()).expect("migrate");
        database
    }

    fn named(server_url: &str, name: String) -> Self {
        TestDatabase {
            url: database_url(server_url, &name),
            admin_url: database_url(server_url, "postgres"),
            name,
        }
    }

    pub fn connect(&self) -> PgConnection {
        PgConnection::establish(&self.url).expect("connect to test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Never panics: a test may end with its server stopped.
        if let Ok(mut conn) = PgConnection::establish(&self.admin_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes; whether it held.
pub async fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    condition()
}

/// The environment a test server reads its settings from.
pub fn test_env(database_url: &str) -> HashMap<String, String> {
    HashMap::from([
        ("DEVFORUM_ENV".to_string(), "test".to_string()),
        ("DATABASE_URL".to_string(), database_url.to_string()),
    ])
}

pub fn config_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")
}

pub fn test_settings(database_url: &str) -> Settings {
    Settings::load_from(&config_dir(), &test_env(database_url)).expect("test settings")
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    shutdown: CancellationToken,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    // Dropped last: the server must let go of its connections first. Shared with the other
    // processes a test starts on the same database (`spawn_app_beside`).
    pub db: Arc<TestDatabase>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub fn conn(&self) -> PgConnection {
        self.db.connect()
    }

    /// Stops the server as SIGTERM would and waits until it has finished.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        match self.server.take() {
            Some(server) => server.await?,
            None => Ok(()),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}, BuildOptions::default()).await
}

pub async fn spawn_app_with(
    customise: impl FnOnce(&mut Settings),
    options: BuildOptions,
) -> TestApp {
    spawn_app_on(TestDatabase::create(), customise, options).await
}

/// A server on a database made by the caller (another PostgreSQL server, say).
pub async fn spawn_app_on(
    db: TestDatabase,
    customise: impl FnOnce(&mut Settings),
    options: BuildOptions,
) -> TestApp {
    spawn_on(Arc::new(db), customise, options).await
}

/// A second API process on the database of `app`, as a load balancer would have beside it:
/// nothing in memory is shared between the two, only the database.
pub async fn spawn_app_beside(app: &TestApp, customise: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_on(app.db.clone(), customise, BuildOptions::default()).await
}

async fn spawn_on(
    db: Arc<TestDatabase>,
    customise: impl FnOnce(&mut Settings),
    options: BuildOptions,
) -> TestApp {
    init_test_logging();
    let mut settings = test_settings(&db.url);
    // The template is migrated already; checking again costs a connection per test.
    settings.database.migrate_on_start = false;
    // Each test's uploads in a folder of its own (the filesystem backend; S3 tests point
    // elsewhere).
    settings.uploads.dir = std::env::temp_dir()
        .join("devforum-test-uploads")
        .join(&db.name);
    customise(&mut settings);
    let application = Application::build_with(settings, options)
        .await
        .expect("build application");
    let port = application.port();
    let shutdown = application.shutdown_token();
    let server = tokio::spawn(application.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client"),
        shutdown,
        server: Some(server),
        db,
    }
}

/// `TEST_LOG=1 cargo test` shows the service's logs.
fn init_test_logging() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            devforum::telemetry::init(&devforum::config::LogSettings {
                format: devforum::config::LogFormat::Pretty,
                level: "debug".into(),
            });
        }
    });
}

/// Asserts a problem document and returns it.
pub async fn assert_problem(
    response: reqwest::Response,
    status: u16,
    code: &str,
) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        content_type.starts_with("application/problem+json"),
        "content type was {content_type:?}"
    );
    let body: serde_json::Value = response.json().await.expect("problem body is JSON");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["type"].is_string() && body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    body
}

/// An unhappy path: a JSON body (or none), the status and `code` of the problem document it
/// must answer, and for a `422` the field `errors` must name.
pub type Refusal<'a> = (Option<serde_json::Value>, u16, &'a str, Option<&'a str>);

impl TestApp {
    /// Sends each body to `method path` as the owner of `token` (or anonymously) and checks the
    /// problem document it answers: the table-driven form of the unhappy-path tests.
    pub async fn assert_refusals(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        cases: &[Refusal<'_>],
    ) {
        for (body, status, code, field) in cases {
            let response = self.call(method.clone(), path, token, body.as_ref()).await;
            let problem = assert_problem(response, *status, code).await;
            if let Some(field) = field {
                assert!(
                    problem["errors"][*field].is_array(),
                    "{method} {path} with {body:?}: {problem}"
                );
            }
        }
    }
}

pub const PASSWORD: &str = "correct horse battery";

/// A member the tests act as.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub access_token: String,
    pub refresh_token: String,
}

impl TestApp {
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// The one way tests send an API request: as the owner of `token` (or anonymously), with a
    /// JSON body or none. Tests that need a malformed request build it on `client` themselves.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request")
    }

    pub async fn get_as(&self, path: &str, token: &str) -> reqwest::Response {
        self.call(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    /// A request with a JSON body, as the owner of `token`.
    pub async fn send_as(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.call(method, path, Some(token), Some(body)).await
    }

    /// A body-less POST (an action), as the owner of `token`.
    pub async fn post_as(&self, path: &str, token: &str) -> reqwest::Response {
        self.call(reqwest::Method::POST, path, Some(token), None)
            .await
    }

    pub async fn register(&self, username: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/auth/register",
            &serde_json::json!({
                "username": username,
                "email": format!("{username}@example.com"),
                "password": PASSWORD,
            }),
        )
        .await
    }

    pub async fn login(&self, login: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/auth/login",
            &serde_json::json!({ "login": login, "password": password }),
        )
        .await
    }

    /// Registers `username` and signs in, without verifying the email.
    pub async fn signed_up(&self, username: &str) -> TestUser {
        let response = self.register(username).await;
        assert_eq!(
            response.status().as_u16(),
            201,
            "{}",
            response.text().await.unwrap_or_default()
        );
        self.signed_in(username).await
    }

    pub async fn signed_in(&self, username: &str) -> TestUser {
        let response = self.login(username, PASSWORD).await;
        assert_eq!(
            response.status().as_u16(),
            200,
            "{}",
            response.text().await.unwrap_or_default()
        );
        let body: serde_json::Value = response.json().await.expect("json");
        TestUser {
            id: body["user"]["id"].as_i64().expect("id"),
            username: username.to_string(),
            email: format!("{username}@example.com"),
            access_token: body["access_token"]
                .as_str()
                .expect("access token")
                .to_string(),
            refresh_token: body["refresh_token"]
                .as_str()
                .expect("refresh token")
                .to_string(),
        }
    }

    /// A verified member allowed to publish.
    pub async fn member(&self, username: &str) -> TestUser {
        let user = self.signed_up(username).await;
        self.sql(&format!(
            "UPDATE users SET email_verified = true WHERE id = {}",
            user.id
        ));
        user
    }

    /// A verified member with `role`.
    pub async fn staff(&self, username: &str, role: &str) -> TestUser {
        let user = self.member(username).await;
        self.sql(&format!(
            "UPDATE users SET role = '{role}' WHERE id = {}",
            user.id
        ));
        user
    }

    /// The `n` a counting statement (`SELECT count(*) AS n ...`) returns.
    pub fn count(&self, sql: &str) -> i64 {
        diesel::sql_query(sql)
            .get_result::<devforum::db::Count>(&mut self.conn())
            .expect("count")
            .n
    }

    /// Runs a statement directly, as an operator (or another feature) would.
    pub fn sql(&self, statement: &str) {
        diesel::sql_query(statement)
            .execute(&mut self.conn())
            .expect("sql");
    }
}

/// The response's JSON body.
pub async fn json(response: reqwest::Response) -> serde_json::Value {
    response.json().await.expect("json body")
}

/// A 200 answer read as one of the API's own view types (`devforum::threads::views::ThreadView`
/// and the like), so a test reads fields by name and type and fails when the answer's shape
/// drifts from the type the server serialises. Tests about the wire format itself (how a
/// date or a null is written) read the JSON instead.
pub async fn read_as<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> T {
    let status = response.status();
    let text = response.text().await.expect("a body");
    assert!(status.is_success(), "status {status}: {text}");
    serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("not a {}: {error}\n{text}", std::any::type_name::<T>()))
}
