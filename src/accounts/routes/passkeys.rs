//! `/users/me/passkeys/*` and `/auth/passkey/*`: registering, listing and removing passkeys,
//! and signing in with one. Options and credentials travel in the W3C JSON forms
//! (`PublicKeyCredentialCreationOptionsJSON`, `RegistrationResponseJSON` and their
//! authentication twins), as browsers' `PublicKeyCredential.parseCreationOptionsFromJSON` and
//! `toJSON` read and write them.

use actix_web::http::header;
use actix_web::{delete, get, post};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};
use webauthn_rs::Webauthn;

use super::{session_mode, signed_in, user_agent, SessionModeHeader};
use crate::accounts::auth::AuthUser;
use crate::accounts::jwt::JwtKeys;
use crate::accounts::model::passkeys::PasskeyRow;
use crate::accounts::passkeys::NAME_CHARS;
use crate::accounts::service::passkeys as service;
use crate::accounts::tokens::RefreshPolicy;
use crate::accounts::views::TokenPair;
use crate::config::Settings;
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::http::client_ip::client_ip;
use crate::http::Json;
use crate::rate_limit::AuthRateLimits;
use crate::validation;

/// The relying party, when the client's address can be one (`accounts::passkeys`).
pub struct RelyingParty(pub Option<Webauthn>);

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(start_registration)
        .service(finish_registration)
        .service(list_passkeys)
        .service(remove_passkey)
        .service(start_sign_in)
        .service(finish_sign_in);
}

fn relying_party(rp: &RelyingParty) -> Result<&Webauthn, ApiError> {
    rp.0.as_ref().ok_or_else(|| ApiError::Unavailable {
        code: "passkeys_unavailable",
        detail: "Passkeys need the forum to be served from a domain name.".into(),
    })
}

/// Options for `navigator.credentials.create`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreationOptions {
    /// `{publicKey: PublicKeyCredentialCreationOptionsJSON}`.
    #[schema(value_type = Object)]
    pub options: serde_json::Value,
}

/// Begin registering a passkey: options for the browser (a discoverable credential, the
/// account's passkeys excluded), valid 5 minutes.
#[utoipa::path(
    tag = "accounts",
    security(("bearer_auth" = [])),
    responses(
        (status = 200, description = "Options for `navigator.credentials.create`", body = CreationOptions),
        (status = 401, description = "Missing, invalid or expired token"),
        (status = 409, description = "The account holds 20 passkeys (`too_many_passkeys`)"),
        (status = 429, description = "Too many second-factor requests from this address"),
        (status = 503, description = "Not served from a domain name (`passkeys_unavailable`)"),
    )
)]
#[post("/users/me/passkeys/register/start")]
pub async fn start_registration(
    req: HttpRequest,
    AuthUser(user): AuthUser,
    pool: web::Data<DbPool>,
    limits: web::Data<AuthRateLimits>,
    rp: web::Data<RelyingParty>,
) -> Result<HttpResponse, ApiError> {
    limits.second_factor.check(&client_ip(&req)).await?;
    let rp = rp.into_inner();
    relying_party(&rp)?;
    let options = db::write(&pool, move |conn| {
        service::start_registration(conn, relying_party(&rp)?, &user)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CreationOptions {
            options: serde_json::to_value(options).map_err(|e| ApiError::Internal(e.into()))?,
        }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishRegistrationRequest {
    /// What the member calls it ("Laptop", "Phone").
    #[schema(min_length = 1, max_length = 64)]
    pub name: String,
    /// The created credential (`RegistrationResponseJSON`).
    #[schema(value_type = Object)]
    pub credential: RegisterPublicKeyCredential,
}

/// A passkey of the member's.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PasskeyView {
    pub id: i64,
    pub name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<PasskeyRow> for PasskeyView {
    fn from(row: PasskeyRow) -> Self {
        PasskeyView {
            id: row.id,
            name: row.name,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PasskeyCreated {
    pub passkey: PasskeyView,
}

/// Finish registering: the authenticator's credential for the pending registration, named.
#[utoipa::path(
    tag = "accounts",
    security(("bearer_auth" = [])),
    request_body = FinishRegistrationRequest,
    responses(
        (status = 201, description = "Registered", body = PasskeyCreated),
        (status = 401, description = "Missing, invalid or expired token"),
        (status = 409, description = "No registration begun or it expired (`no_registration`); registered already (`passkey_exists`)"),
        (status = 422, description = "A bad name, or a credential the server refuses (`invalid_credential`)"),
        (status = 429, description = "Too many second-factor requests from this address"),
        (status = 503, description = "Not served from a domain name (`passkeys_unavailable`)"),
    )
)]
#[post("/users/me/passkeys/register/finish")]
pub async fn finish_registration(
    req: HttpRequest,
    AuthUser(user): AuthUser,
    body: Json<FinishRegistrationRequest>,
    pool: web::Data<DbPool>,
    limits: web::Data<AuthRateLimits>,
    rp: web::Data<RelyingParty>,
) -> Result<HttpResponse, ApiError> {
    limits.second_factor.check(&client_ip(&req)).await?;
    let FinishRegistrationRequest { name, credential } = body.into_inner();
    let name = validation::text(&name, 1, NAME_CHARS, false)
        .map_err(|e| ApiError::invalid_field("name", e))?;
    let rp = rp.into_inner();
    relying_party(&rp)?;
    let row = db::write(&pool, move |conn| {
        service::finish_registration(conn, relying_party(&rp)?, &user, &name, &credential)
    })
    .await?;
    Ok(HttpResponse::Created().json(PasskeyCreated {
        passkey: row.into(),
    }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PasskeyList {
    pub items: Vec<PasskeyView>,
}

/// The member's passkeys, oldest first.
#[utoipa::path(
    tag = "accounts",
    security(("bearer_auth" = [])),
    responses(
        (status = 200, description = "The passkeys", body = PasskeyList),
        (status = 401, description = "Missing, invalid or expired token"),
    )
)]
#[get("/users/me/passkeys")]
pub async fn list_passkeys(
    AuthUser(user): AuthUser,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let user_id = user.id;
    let items = db::write(&pool, move |conn| service::passkeys(conn, user_id))
        .await?
        .into_iter()
        .map(PasskeyView::from)
        .collect();
    Ok(HttpResponse::Ok().json(PasskeyList { items }))
}

/// Remove a passkey; the last way to sign in cannot go.
#[utoipa::path(
    tag = "accounts",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "A passkey's id from `GET /users/me/passkeys`")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Missing, invalid or expired token"),
        (status = 404, description = "The caller has no passkey by that id"),
        (status = 409, description = "It is the account's last way to sign in (`last_sign_in_method`)"),
    )
)]
#[delete("/users/me/passkeys/{id}")]
pub async fn remove_passkey(
    AuthUser(user): AuthUser,
    id: web::Path<String>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let user_id = user.id;
    db::write(&pool, move |conn| service::remove(conn, user_id, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Options for `navigator.credentials.get`, and the ceremony they belong to.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RequestOptions {
    /// For `POST /auth/passkey/finish`; valid 5 minutes, once.
    pub challenge_id: uuid::Uuid,
    /// `{publicKey: PublicKeyCredentialRequestOptionsJSON}` (no `allowCredentials`: the
    /// authenticator offers the passkeys it holds for this site).
    #[schema(value_type = Object)]
    pub options: serde_json::Value,
}

/// Begin signing in with a passkey (no username needed).
#[utoipa::path(
    tag = "accounts",
    responses(
        (status = 200, description = "Options for `navigator.credentials.get`", body = RequestOptions),
        (status = 429, description = "Too many second-factor requests from this address"),
        (status = 503, description = "Not served from a domain name (`passkeys_unavailable`)"),
    )
)]
#[post("/auth/passkey/start")]
pub async fn start_sign_in(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    limits: web::Data<AuthRateLimits>,
    rp: web::Data<RelyingParty>,
) -> Result<HttpResponse, ApiError> {
    limits.second_factor.check(&client_ip(&req)).await?;
    let rp = rp.into_inner();
    relying_party(&rp)?;
    let (challenge_id, options) = db::write(&pool, move |conn| {
        service::start_sign_in(conn, relying_party(&rp)?)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(RequestOptions {
            challenge_id,
            options: serde_json::to_value(options).map_err(|e| ApiError::Internal(e.into()))?,
        }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishSignInRequest {
    pub challenge_id: uuid::Uuid,
    /// The assertion (`AuthenticationResponseJSON`).
    #[schema(value_type = Object)]
    pub credential: PublicKeyCredential,
}

/// Sign in with the passkey the authenticator chose: both factors at once, so no second step.
/// The same answer as a login (cookie mode honoured).
#[utoipa::path(
    tag = "accounts",
    params(SessionModeHeader),
    request_body = FinishSignInRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 401, description = "An unknown, used or expired ceremony, or a passkey that does not verify (`invalid_passkey`)"),
        (status = 422, description = "A malformed body"),
        (status = 429, description = "Too many second-factor requests from this address"),
        (status = 503, description = "Not served from a domain name (`passkeys_unavailable`)"),
    )
)]
#[post("/auth/passkey/finish")]
#[allow(clippy::too_many_arguments)]
pub async fn finish_sign_in(
    req: HttpRequest,
    body: Json<FinishSignInRequest>,
    pool: web::Data<DbPool>,
    limits: web::Data<AuthRateLimits>,
    rp: web::Data<RelyingParty>,
    keys: web::Data<JwtKeys>,
    policy: web::Data<RefreshPolicy>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    limits.second_factor.check(&client_ip(&req)).await?;
    let mode = session_mode(&req, &settings)?;
    let FinishSignInRequest {
        challenge_id,
        credential,
    } = body.into_inner();
    let rp = rp.into_inner();
    relying_party(&rp)?;
    let ttl = policy.ttl;
    let agent = user_agent(&req);
    let (user, session, refresh_token) = db::write(&pool, move |conn| {
        service::finish_sign_in(
            conn,
            relying_party(&rp)?,
            challenge_id,
            &credential,
            ttl,
            agent.as_deref(),
        )
    })
    .await?;
    signed_in(mode, &keys, &policy, &user, session, refresh_token)
}
