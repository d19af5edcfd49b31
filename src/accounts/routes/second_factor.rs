//! `/users/me/2fa/*` and `POST /auth/login/mfa`: TOTP set up, confirmed and turned off, and
//! the login's second step.

use actix_web::http::header;
use actix_web::{delete, get, post};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::{confirm_password, session_mode, signed_in, user_agent, SessionModeHeader};
use crate::accounts::auth::AuthUser;
use crate::accounts::jwt::JwtKeys;
use crate::accounts::password::HashingPool;
use crate::accounts::service::second_factor::{self as service, Answer, SecondFactor};
use crate::accounts::tokens::RefreshPolicy;
use crate::accounts::views::TokenPair;
use crate::config::Settings;
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::http::client_ip::client_ip;
use crate::http::Json;
use crate::rate_limit::AuthRateLimits;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(second_factor_status)
        .service(start_totp)
        .service(confirm_totp)
        .service(disable_totp)
        .service(login_mfa);
}

fn now_secs() -> u64 {
    chrono::Utc::now().timestamp().max(0) as u64
}

/// The account's second factors, for its security settings.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SecondFactorStatus {
    /// Whether TOTP is on (a confirmed secret).
    pub totp: bool,
    /// Recovery codes not used yet.
    pub recovery_codes_left: i64,
    /// The account's passkeys (`GET /users/me/passkeys` lists them).
    pub passkeys: i64,
}

/// Which second factors guard the caller's account.
#[utoipa::path(
    tag = "accounts",
    security(("bearer_auth" = [])),
    responses(
        (status = 200, description = "The account's second factors", body = SecondFactorStatus),
        (status = 401, description = "Missing, invalid or expired token"),
    )
)]
#[get("/users/me/2fa")]
pub async fn second_factor_status(
    AuthUser(user): AuthUser,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let user_id = user.id;
    let (totp, recovery_codes_left, passkeys) =
        db::write(&pool, move |conn| service::status(conn, user_id)).await?;
    Ok(HttpResponse::Ok().json(SecondFactorStatus {
        totp,
        recovery_codes_left,
        passkeys,
    }))
}

/// A pending TOTP secret, for the member's authenticator app.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TotpSetupView {
    /// Base32, for typing into the app.
    pub secret: String,
    /// `otpauth://totp/…`, for a QR code.
    pub otpauth_url: String,
}

/// Begin setting up two-factor sign-in: a new pending RFC 6238 secret (SHA-1, 6 digits, 30 s),
/// confirmed by `POST /users/me/2fa/totp/confirm`.
#[utoipa::path(
    tag = "accounts",
    security(("bearer_auth" = [])),
    responses(
        (status = 200, description = "The pending secret", body = TotpSetupView),
        (status = 401, description = "Missing, invalid or expired token"),
        (status = 409, description = "Two-factor sign-in is on already (`totp_enabled`)"),
        (status = 429, description = "Too many second-factor requests from this address"),
    )
)]
#[post("/users/me/2fa/totp")]
pub async fn start_totp(
    req: HttpRequest,
    AuthUser(user): AuthUser,
    pool: web::Data<DbPool>,
    limits: web::Data<AuthRateLimits>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    limits.second_factor.check(&client_ip(&req)).await?;
    let base_url = settings.web.base_url.clone();
    let setup = db::write(&pool, move |conn| {
        service::start_totp(conn, &user, &base_url)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(TotpSetupView {
            secret: setup.secret,
            otpauth_url: setup.otpauth_url,
        }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCodeRequest {
    /// The 6 digits the authenticator shows.
    #[schema(pattern = "^[0-9]{6}$", example = "123456")]
    pub code: String,
}

/// The recovery codes, shown this once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RecoveryCodes {
    /// Ten one-time codes for when the authenticator is lost.
    pub recovery_codes: Vec<String>,
}

/// Confirm the pending secret with a first code: two-factor sign-in is on, the member is
/// mailed, and the ten recovery codes are returned (never again).
#[utoipa::path(
    tag = "accounts",
    security(("bearer_auth" = [])),
    request_body = TotpCodeRequest,
    responses(
        (status = 200, description = "Two-factor sign-in is on", body = RecoveryCodes),
        (status = 401, description = "Missing, invalid or expired token"),
        (status = 409, description = "No set-up begun (`totp_not_started`), or on already (`totp_enabled`)"),
        (status = 422, description = "Not the code the authenticator shows now (`invalid_otp`)"),
        (status = 429, description = "Too many second-factor requests from this address"),
    )
)]
#[post("/users/me/2fa/totp/confirm")]
pub async fn confirm_totp(
    req: HttpRequest,
    AuthUser(user): AuthUser,
    body: Json<TotpCodeRequest>,
    pool: web::Data<DbPool>,
    limits: web::Data<AuthRateLimits>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    limits.second_factor.check(&client_ip(&req)).await?;
    let code = body.into_inner().code;
    let base_url = settings.web.base_url.clone();
    let recovery_codes = db::write(&pool, move |conn| {
        service::confirm_totp(conn, &user, &code, now_secs(), &base_url)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(RecoveryCodes { recovery_codes }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableTotpRequest {
    /// The account's password; an account without one gives a current `code` instead.
    #[schema(min_length = 1, max_length = 1024, format = Password)]
    pub password: Option<String>,
    #[schema(pattern = "^[0-9]{6}$")]
    pub code: Option<String>,
}

/// Turn two-factor sign-in off (the recovery codes go too); the member is mailed.
#[utoipa::path(
    tag = "accounts",
    security(("bearer_auth" = [])),
    request_body = DisableTotpRequest,
    responses(
        (status = 204, description = "Two-factor sign-in is off"),
        (status = 401, description = "Missing, invalid or expired token"),
        (status = 403, description = "A wrong password (`wrong_password`)"),
        (status = 404, description = "Two-factor sign-in was not on"),
        (status = 422, description = "No password given (`password`), or for an account without one, a wrong or missing `code` (`invalid_otp`)"),
        (status = 429, description = "Too many tries"),
    )
)]
#[delete("/users/me/2fa/totp")]
#[allow(clippy::too_many_arguments)]
pub async fn disable_totp(
    req: HttpRequest,
    AuthUser(user): AuthUser,
    body: Json<DisableTotpRequest>,
    pool: web::Data<DbPool>,
    limits: web::Data<AuthRateLimits>,
    hashing: web::Data<HashingPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let DisableTotpRequest { password, code } = body.into_inner();
    if user.has_password() {
        let password =
            password.ok_or_else(|| ApiError::invalid_field("password", "is required"))?;
        confirm_password(&req, &user, password, &pool, &limits, &hashing, &settings).await?;
    } else {
        limits.second_factor.check(&client_ip(&req)).await?;
        if let Some(retry_after_secs) =
            crate::accounts::service::seconds_to_wait(&user, &settings.auth)
        {
            return Err(ApiError::RateLimited { retry_after_secs });
        }
        let code = code.unwrap_or_default();
        let user_id = user.id;
        let right = db::write(&pool, move |conn| {
            service::check_code(conn, user_id, &code, now_secs())
        })
        .await?;
        if !right {
            return Err(service::invalid_otp());
        }
    }
    let base_url = settings.web.base_url.clone();
    db::write(&pool, move |conn| {
        service::disable_totp(conn, &user, &base_url)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaLoginRequest {
    /// From the `mfa_required` answer of the first step.
    #[schema(min_length = 1, max_length = 200)]
    pub mfa_token: String,
    /// The 6 digits the authenticator shows; or instead,
    #[schema(pattern = "^[0-9]{6}$")]
    pub code: Option<String>,
    /// one of the recovery codes.
    #[schema(min_length = 1, max_length = 64)]
    pub recovery_code: Option<String>,
}

/// The login's second step: a code from the authenticator, or a recovery code. An
/// `mfa_token` lives 5 minutes and allows 5 tries; each wrong try counts toward the account's
/// login delay; a TOTP code is accepted once, a recovery code never again.
#[utoipa::path(
    tag = "accounts",
    params(SessionModeHeader),
    request_body = MfaLoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 401, description = "A wrong code (`invalid_otp`); an unknown, used, expired or exhausted `mfa_token` (`invalid_mfa_token`)"),
        (status = 422, description = "Neither or both of `code` and `recovery_code`"),
        (status = 429, description = "Too many tries from this address, or the account's login delay"),
    )
)]
#[post("/auth/login/mfa")]
#[allow(clippy::too_many_arguments)]
pub async fn login_mfa(
    req: HttpRequest,
    body: Json<MfaLoginRequest>,
    pool: web::Data<DbPool>,
    limits: web::Data<AuthRateLimits>,
    keys: web::Data<JwtKeys>,
    policy: web::Data<RefreshPolicy>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    limits.second_factor.check(&client_ip(&req)).await?;
    let mode = session_mode(&req, &settings)?;
    let MfaLoginRequest {
        mfa_token,
        code,
        recovery_code,
    } = body.into_inner();
    let factor = match (code, recovery_code) {
        (Some(code), None) => SecondFactor::Code(code),
        (None, Some(code)) => SecondFactor::RecoveryCode(code),
        _ => {
            return Err(ApiError::invalid_field(
                "code",
                "give either code or recovery_code",
            ))
        }
    };
    let auth = settings.auth.clone();
    let ttl = policy.ttl;
    let agent = user_agent(&req);
    let answer = db::write(&pool, move |conn| {
        service::answer_challenge(
            conn,
            &mfa_token,
            &factor,
            now_secs(),
            &auth,
            ttl,
            agent.as_deref(),
        )
    })
    .await?;
    match answer {
        Answer::SignedIn {
            user,
            session,
            refresh_token,
        } => signed_in(mode, &keys, &policy, &user, session, refresh_token),
        Answer::Wrong => Err(ApiError::Unauthorized {
            code: "invalid_otp",
            detail: "That code is wrong, or was used already.".into(),
        }),
    }
}
