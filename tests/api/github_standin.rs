//! A stand-in for the three GitHub endpoints devforum's GitHub sign-in uses, as GitHub
//! documents them (no GitHub can be reached from here):
//!
//! - `GET /login/oauth/authorize`: the member approves at once and is sent back to the
//!   `redirect_uri` with `code` and `state` (or `error=access_denied` when told to refuse);
//! - `POST /login/oauth/access_token`: form fields `client_id`, `client_secret`, `code`,
//!   `redirect_uri`, `code_verifier` (PKCE S256 checked); a bad one answers `200` with
//!   `{"error": "bad_verification_code"}` as GitHub does;
//! - `GET /user` and `GET /user/emails` with the bearer token (and a `User-Agent`, which
//!   GitHub requires).
//!
//! What only the real GitHub can confirm: its consent screen, scopes and rate limits, and that
//! the field names and status codes stay as documented.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "gh-client";
pub const CLIENT_SECRET: &str = "gh-secret";

/// The GitHub account that approves the next sign-in.
#[derive(Debug, Clone)]
pub struct GithubAccount {
    pub id: u64,
    pub login: String,
    /// `(email, primary, verified)`.
    pub emails: Vec<(String, bool, bool)>,
}

impl GithubAccount {
    pub fn new(id: u64, login: &str) -> Self {
        GithubAccount {
            id,
            login: login.into(),
            emails: vec![(format!("{login}@github.test"), true, true)],
        }
    }
}

#[derive(Debug)]
struct Grant {
    account: GithubAccount,
    challenge: String,
    redirect_uri: String,
}

#[derive(Debug, Default)]
struct State {
    account: Option<GithubAccount>,
    refuse: bool,
    codes: HashMap<String, Grant>,
    tokens: HashMap<String, GithubAccount>,
    /// The authorize requests seen, as their query parameters.
    authorize_requests: Vec<HashMap<String, String>>,
}

pub struct GithubStandIn {
    pub url: String,
    state: Arc<Mutex<State>>,
    handle: actix_web::dev::ServerHandle,
}

impl GithubStandIn {
    pub fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind stand-in");
        let port = listener.local_addr().expect("address").port();
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/login/oauth/authorize", web::get().to(authorize))
                .route("/login/oauth/access_token", web::post().to(access_token))
                .route("/user", web::get().to(user))
                .route("/user/emails", web::get().to(emails))
        })
        .listen(listener)
        .expect("listen")
        .workers(1)
        .disable_signals()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        GithubStandIn {
            url: format!("http://127.0.0.1:{port}"),
            state,
            handle,
        }
    }

    /// The account that approves the next sign-ins.
    pub fn sign_in_as(&self, account: GithubAccount) {
        let mut state = self.state.lock().expect("state");
        state.account = Some(account);
        state.refuse = false;
    }

    /// The member declines at GitHub: `error=access_denied`.
    pub fn refuse(&self) {
        self.state.lock().expect("state").refuse = true;
    }

    pub fn last_authorize_request(&self) -> HashMap<String, String> {
        self.state
            .lock()
            .expect("state")
            .authorize_requests
            .last()
            .cloned()
            .expect("an authorize request")
    }
}

impl Drop for GithubStandIn {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        tokio::spawn(async move { handle.stop(false).await });
    }
}

type Shared = web::Data<Arc<Mutex<State>>>;

async fn authorize(query: web::Query<HashMap<String, String>>, state: Shared) -> HttpResponse {
    let query = query.into_inner();
    let mut state = state.lock().expect("state");
    state.authorize_requests.push(query.clone());
    let redirect = query.get("redirect_uri").cloned().unwrap_or_default();
    let mut back = url::Url::parse(&redirect).expect("redirect_uri is a URL");
    let good = query.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && query.get("code_challenge_method").map(String::as_str) == Some("S256")
        && query.contains_key("code_challenge")
        && query.contains_key("state");
    if state.refuse || !good {
        back.query_pairs_mut().append_pair("error", "access_denied");
    } else {
        let account = state.account.clone().expect("sign_in_as first");
        let code = uuid::Uuid::new_v4().simple().to_string();
        state.codes.insert(
            code.clone(),
            Grant {
                account,
                challenge: query["code_challenge"].clone(),
                redirect_uri: redirect.clone(),
            },
        );
        back.query_pairs_mut().append_pair("code", &code);
    }
    if let Some(s) = query.get("state") {
        back.query_pairs_mut().append_pair("state", s);
    }
    HttpResponse::Found()
        .insert_header(("Location", back.to_string()))
        .finish()
}

async fn access_token(
    req: HttpRequest,
    form: web::Form<HashMap<String, String>>,
    state: Shared,
) -> HttpResponse {
    let form = form.into_inner();
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let mut state = state.lock().expect("state");
    let grant = state.codes.remove(&field("code"));
    let verifier_hash = URL_SAFE_NO_PAD.encode(Sha256::digest(field("code_verifier").as_bytes()));
    let wants_json = req
        .headers()
        .get("Accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let ok = field("client_id") == CLIENT_ID
        && field("client_secret") == CLIENT_SECRET
        && grant.as_ref().is_some_and(|g| {
            g.challenge == verifier_hash && g.redirect_uri == field("redirect_uri")
        });
    if !wants_json {
        return HttpResponse::Ok()
            .content_type("application/x-www-form-urlencoded")
            .body("error=unsupported_accept");
    }
    let Some(grant) = grant.filter(|_| ok) else {
        return HttpResponse::Ok().json(json!({
            "error": "bad_verification_code",
            "error_description": "The code passed is incorrect or expired.",
        }));
    };
    let token = format!("gho_{}", uuid::Uuid::new_v4().simple());
    state.tokens.insert(token.clone(), grant.account);
    HttpResponse::Ok().json(json!({
        "access_token": token,
        "token_type": "bearer",
        "scope": "read:user,user:email",
    }))
}

fn account_of(req: &HttpRequest, state: &Shared) -> Result<GithubAccount, Box<HttpResponse>> {
    if req.headers().get("User-Agent").is_none() {
        return Err(Box::new(
            HttpResponse::Forbidden().body("Request forbidden by administrative rules."),
        ));
    }
    let token = req
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    state
        .lock()
        .expect("state")
        .tokens
        .get(token)
        .cloned()
        .ok_or_else(|| {
            Box::new(HttpResponse::Unauthorized().json(json!({"message": "Bad credentials"})))
        })
}

async fn user(req: HttpRequest, state: Shared) -> HttpResponse {
    match account_of(&req, &state) {
        Ok(account) => HttpResponse::Ok().json(json!({
            "id": account.id,
            "login": account.login,
            "name": Value::Null,
            "email": Value::Null,
        })),
        Err(response) => *response,
    }
}

async fn emails(req: HttpRequest, state: Shared) -> HttpResponse {
    match account_of(&req, &state) {
        Ok(account) => HttpResponse::Ok().json(
            account
                .emails
                .iter()
                .map(|(email, primary, verified)| {
                    json!({"email": email, "primary": primary, "verified": verified, "visibility": Value::Null})
                })
                .collect::<Vec<_>>(),
        ),
        Err(response) => *response,
    }
}
