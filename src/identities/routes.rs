//! `GET /auth/providers`, the code flow (`/auth/oauth/{provider}/start`, its callback,
//! `/auth/oauth/exchange`) and the member's linked identities (`/users/me/identities`).

use actix_web::http::header;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::domain::{Intent, ProviderAccount, ProviderError, ReturnTo};
use super::model::PendingSignIn;
use super::providers::Providers;
use super::service::{self, Finished};
use super::views::{AuthorizationView, IdentityList, IdentityView, ProviderList, ProviderView};
use crate::accounts::auth::{AuthUser, MaybeUser};
use crate::accounts::jwt::JwtKeys;
use crate::accounts::routes::{first_factor_passed, session_mode, SessionModeHeader};
use crate::accounts::tokens::RefreshPolicy;
use crate::accounts::views::LoginAnswer;
use crate::config::{ProviderSettings, Settings};
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::http::client_ip::client_ip;
use crate::http::Json;
use crate::rate_limit::AuthRateLimits;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_providers)
        .service(start)
        .service(callback)
        .service(exchange)
        .service(list_identities)
        .service(unlink);
}

/// The sign-in providers the operator configured (none by default).
#[utoipa::path(
    tag = "identities",
    responses((status = 200, description = "The providers, in the operator's order", body = ProviderList))
)]
#[get("/auth/providers")]
pub async fn list_providers(settings: web::Data<Settings>) -> HttpResponse {
    let items = settings
        .auth
        .providers
        .iter()
        .map(ProviderView::from)
        .collect();
    HttpResponse::Ok().json(ProviderList { items })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// `login` signs in (or up); `link` adds the provider's account to the signed-in member's.
    pub intent: Intent,
    /// A path of the web client to come back to (`/threads/7`).
    #[schema(max_length = 512, pattern = "^/[^/\\\\]")]
    pub return_to: Option<String>,
}

fn unknown_provider() -> ApiError {
    ApiError::NotFound
}

fn unavailable(error: ProviderError) -> ApiError {
    tracing::warn!(%error, "sign-in provider unavailable");
    ApiError::Unavailable {
        code: "provider_unavailable",
        detail: "The sign-in provider cannot be reached; try again in a moment.".into(),
    }
}

/// Begin signing in (or linking) through a provider: the answer is the provider's address,
/// where the browser goes next. `state`, `nonce` and the PKCE verifier stay on the server for
/// 10 minutes and work once.
#[utoipa::path(
    tag = "identities",
    params(("provider" = String, Path, description = "A provider's id from `GET /auth/providers`")),
    request_body = StartRequest,
    responses(
        (status = 200, description = "Where to send the browser", body = AuthorizationView),
        (status = 401, description = "`link` without being signed in"),
        (status = 404, description = "No provider by that id"),
        (status = 422, description = "A bad `intent` or `return_to`"),
        (status = 429, description = "Too many sign-ins begun from this address"),
        (status = 503, description = "The provider cannot be reached (`provider_unavailable`)"),
    )
)]
#[post("/auth/oauth/{provider}/start")]
pub async fn start(
    req: HttpRequest,
    path: web::Path<String>,
    MaybeUser(user): MaybeUser,
    body: Json<StartRequest>,
    pool: web::Data<DbPool>,
    limits: web::Data<AuthRateLimits>,
    providers: web::Data<Providers>,
) -> Result<HttpResponse, ApiError> {
    limits.oauth_start.check(&client_ip(&req)).await?;
    let provider = providers.find(&path).ok_or_else(unknown_provider)?;
    let StartRequest { intent, return_to } = body.into_inner();
    let return_to = return_to
        .as_deref()
        .map(ReturnTo::parse)
        .transpose()
        .map_err(|e| ApiError::invalid_field("return_to", e))?;
    let member = match intent {
        Intent::Login => None,
        Intent::Link => Some(
            user.ok_or_else(|| ApiError::unauthorized("Sign in to link an account."))?
                .id,
        ),
    };
    let authorization = providers
        .authorization(provider)
        .await
        .map_err(unavailable)?;
    let id = provider.id.clone();
    let url = authorization.url.clone();
    db::write(&pool, move |conn| {
        service::begin(
            conn,
            &id,
            intent,
            member,
            return_to.as_ref(),
            &authorization,
        )
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(AuthorizationView {
            authorization_url: url,
        }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CallbackQuery {
    /// The authorization code.
    pub code: Option<String>,
    /// The `state` `start` made.
    pub state: Option<String>,
    /// Set by the provider instead of `code` when the member declined or it failed.
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// The client's page the callback sends the browser to, with `code` or `linked` (or `error`)
/// and the `return_to` the sign-in began with.
fn to_client(
    base_url: &str,
    outcome: &[(&str, &str)],
    return_to: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let mut url = url::Url::parse(&format!("{}/auth/callback", base_url.trim_end_matches('/')))
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("web.base_url: {e}")))?;
    {
        let mut query = url.query_pairs_mut();
        for (key, value) in outcome {
            query.append_pair(key, value);
        }
        if let Some(path) = return_to {
            query.append_pair("return_to", path);
        }
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, url.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        // The code must not leak to another site through the client page's requests.
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .finish())
}

/// The provider sends the browser back here. The state is checked and used up, the code
/// exchanged with the PKCE verifier, the ID token verified (or GitHub's user and verified
/// emails read); then the browser goes to the client's `/auth/callback` with a one-time `code`
/// for `POST /auth/oauth/exchange`, `linked`, or an `error`: `invalid_state`, `cancelled`,
/// `provider_error`, `verification_failed`, `account_exists`, `identity_taken`,
/// `email_required`, `rate_limited`.
#[utoipa::path(
    tag = "identities",
    params(
        ("provider" = String, Path, description = "A provider's id"),
        CallbackQuery,
    ),
    responses(
        (status = 303, description = "To the client's `/auth/callback`, with `code`, `linked` or `error`"),
        (status = 404, description = "No provider by that id"),
    )
)]
#[get("/auth/oauth/{provider}/callback")]
pub async fn callback(
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<CallbackQuery>,
    pool: web::Data<DbPool>,
    limits: web::Data<AuthRateLimits>,
    providers: web::Data<Providers>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let base_url = settings.web.base_url.clone();
    let provider = providers.find(&path).ok_or_else(unknown_provider)?;
    if limits.oauth_callback.check(&client_ip(&req)).await.is_err() {
        return to_client(&base_url, &[("error", "rate_limited")], None);
    }
    let CallbackQuery {
        code,
        state,
        error,
        error_description,
    } = query.into_inner();
    let error = error.map(|error| (error, error_description));
    let id = provider.id.clone();
    let pending = match state {
        Some(state) => {
            db::write(&pool, move |conn| service::take_pending(conn, &id, &state)).await?
        }
        None => None,
    };
    let Some(pending) = pending else {
        tracing::warn!(provider = %provider.id, "sign-in callback with a missing, used, expired or foreign state");
        return to_client(&base_url, &[("error", "invalid_state")], None);
    };
    let return_to = pending.return_to.clone();
    let back = |outcome: &[(&str, &str)]| to_client(&base_url, outcome, return_to.as_deref());
    let account = match verified_account(&providers, provider, &pending, code, error).await {
        Ok(account) => account,
        Err(refusal) => return back(&[("error", refusal)]),
    };
    let base = settings.web.base_url.clone();
    let provider_id = provider.id.clone();
    let finished = db::write(&pool, move |conn| {
        service::finish(conn, &pending, &account, &base)
    })
    .await?;
    match finished {
        Finished::SignIn { code, new_account } => {
            let mut outcome = vec![("code", code.as_str())];
            if new_account {
                outcome.push(("new_account", "1"));
            }
            back(&outcome)
        }
        Finished::Linked => back(&[("linked", provider_id.as_str())]),
        Finished::Refused(refusal) => {
            tracing::info!(provider = %provider_id, refusal = refusal.code(), "sign-in through a provider refused");
            back(&[("error", refusal.code())])
        }
    }
}

/// The account the provider vouches for, back from it with `code` (or an `error` it sent);
/// the `error` the client is told otherwise. Every refusal is logged.
async fn verified_account(
    providers: &Providers,
    provider: &ProviderSettings,
    pending: &PendingSignIn,
    code: Option<String>,
    error: Option<(String, Option<String>)>,
) -> Result<ProviderAccount, &'static str> {
    if let Some((error, description)) = error {
        tracing::info!(provider = %provider.id, %error, ?description, "the provider sent an error back");
        return Err(if error == "access_denied" {
            "cancelled"
        } else {
            "provider_error"
        });
    }
    let code = code.filter(|c| !c.is_empty()).ok_or("provider_error")?;
    let nonce = (!pending.nonce.is_empty()).then_some(pending.nonce.as_str());
    providers
        .account(provider, &code, &pending.pkce_verifier, nonce)
        .await
        .map_err(|error| match error {
            ProviderError::Unavailable(reason) => {
                tracing::warn!(provider = %provider.id, %reason, "sign-in provider unavailable at the callback");
                "provider_error"
            }
            ProviderError::Refused(reason) => {
                tracing::warn!(provider = %provider.id, %reason, "sign-in refused: the provider's answer failed verification");
                "verification_failed"
            }
        })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeRequest {
    /// The `code` the callback gave the client.
    #[schema(min_length = 1, max_length = 200)]
    pub code: String,
}

/// Exchange the callback's one-time code for a login: the same answer as `POST /auth/login`
/// (cookie mode honoured; with a second factor set, the second step). A code works once,
/// for 60 seconds.
#[utoipa::path(
    tag = "identities",
    params(SessionModeHeader),
    request_body = ExchangeRequest,
    responses(
        (status = 200, description = "Signed in, or the second step to take", body = LoginAnswer),
        (status = 400, description = "An `X-Session-Mode` other than `cookie` (`invalid_session_mode`)"),
        (status = 401, description = "An unknown, used or expired code (`invalid_code`); in cookie mode, an origin that may not use the cookie"),
        (status = 429, description = "Too many exchanges from this address"),
    )
)]
#[post("/auth/oauth/exchange")]
#[allow(clippy::too_many_arguments)]
pub async fn exchange(
    req: HttpRequest,
    body: Json<ExchangeRequest>,
    pool: web::Data<DbPool>,
    limits: web::Data<AuthRateLimits>,
    keys: web::Data<JwtKeys>,
    policy: web::Data<RefreshPolicy>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    limits.oauth_exchange.check(&client_ip(&req)).await?;
    let mode = session_mode(&req, &settings)?;
    let code = body.into_inner().code;
    let (user, provider) = db::write(&pool, move |conn| service::exchange(conn, &code)).await?;
    first_factor_passed(&req, mode, user, &provider, &pool, &keys, &policy).await
}

/// The accounts at providers linked to the caller's.
#[utoipa::path(
    tag = "identities",
    security(("bearer_auth" = [])),
    responses(
        (status = 200, description = "Oldest first", body = IdentityList),
        (status = 401, description = "Missing, invalid or expired token"),
    )
)]
#[get("/users/me/identities")]
pub async fn list_identities(
    AuthUser(user): AuthUser,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let user_id = user.id;
    let items = db::write(&pool, move |conn| service::identities(conn, user_id))
        .await?
        .into_iter()
        .map(IdentityView::from)
        .collect();
    Ok(HttpResponse::Ok().json(IdentityList { items }))
}

/// Unlink an account at a provider. The last way to sign in cannot go: an account without a
/// password keeps at least one identity (or passkey).
#[utoipa::path(
    tag = "identities",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "An identity's id from `GET /users/me/identities`")),
    responses(
        (status = 204, description = "Unlinked"),
        (status = 401, description = "Missing, invalid or expired token"),
        (status = 404, description = "The caller has no identity by that id"),
        (status = 409, description = "It is the account's last way to sign in (`last_sign_in_method`)"),
    )
)]
#[delete("/users/me/identities/{id}")]
pub async fn unlink(
    AuthUser(user): AuthUser,
    id: web::Path<String>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    db::write(&pool, move |conn| service::unlink(conn, &user, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
