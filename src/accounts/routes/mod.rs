//! `/auth/*` and `/users/*`: extract, call the account logic, shape the answer.

pub mod api_tokens;
pub mod passkeys;
pub mod second_factor;

use actix_web::http::header;
use actix_web::{delete, get, patch, post, put};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::browser::{self, SessionMode};
use super::domain::{self, UpdateProfileRequest};
use super::jwt::JwtKeys;
use super::password::{self, HashingPool};
use super::service::{self, LoginAttempt};
use super::tokens::RefreshPolicy;
use super::views::{LoginAnswer, MfaRequired, SessionList, SessionView, TokenPair, UserView};
use super::{EmailAddress, User};
use crate::accounts::auth::{ActiveUser, AuthUser, MaybeUser, SignedIn};
use crate::config::Settings;
use crate::db::{self, Cost, DbPool};
use crate::error::ApiError;
use crate::http::client_ip::client_ip;
use crate::http::{Json, OptionalJson};
use crate::rate_limit::AuthRateLimits;
use crate::reads::ReadPool;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(register)
        .service(verify_email)
        .service(resend_verification)
        .service(undo_email_change)
        .service(logout_everywhere)
        .service(login)
        .service(refresh)
        .service(logout)
        .service(request_password_reset)
        .service(confirm_password_reset)
        .service(get_me)
        .service(update_me)
        .service(choose_username)
        .service(delete_me)
        .service(change_password)
        .service(change_email)
        .service(list_sessions)
        .service(request_export)
        .service(download_export)
        .service(end_session)
        .service(get_user);
    second_factor::configure(cfg);
    api_tokens::configure(cfg);
    passkeys::configure(cfg);
}

/// The `User-Agent` a login or refresh came with, as text (a session keeps it).
pub fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[serde(default)]
    #[schema(value_type = String, required = true, pattern = "^[A-Za-z0-9_-]{3,32}$", example = "ada_l")]
    pub username: Option<String>,
    #[serde(default)]
    #[schema(value_type = String, required = true, format = Email, example = "ada@example.com")]
    pub email: Option<String>,
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 10, max_length = 1024, format = Password)]
    pub password: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub display_name: Option<String>,
}

/// Create an account; a verification email is sent.
#[utoipa::path(
    tag = "accounts",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created; verification email on its way", body = UserView),
        (status = 409, description = "Username (`username_taken`) or email (`email_taken`) in use"),
        (status = 429, description = "Too many registrations from this address"),
    )
)]
#[post("/auth/register")]
pub async fn register(
    req: HttpRequest,
    body: Json<RegisterRequest>,
    pool: web::Data<DbPool>,
    limits: web::Data<AuthRateLimits>,
    hashing: web::Data<HashingPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    limits.register.check(&client_ip(&req)).await?;
    let body = body.into_inner();
    let account = domain::parse_registration(domain::RawRegistration {
        username: body.username.as_deref(),
        email: body.email.as_deref(),
        password: body.password.as_deref(),
        display_name: body.display_name.as_deref(),
    })?;
    let (username, email) = (account.username.clone(), account.email.clone());
    db::read(&pool, Cost::Large, move |conn| {
        service::ensure_available(conn, &username, &email)
    })
    .await?;
    let password = account.password;
    let password_hash = hashing.run(move || password::hash(&password)).await??;
    let base_url = settings.web.base_url.clone();
    let (username, email, display_name) = (account.username, account.email, account.display_name);
    let user = db::write(&pool, move |conn| {
        service::register(
            conn,
            &username,
            &email,
            display_name.as_deref(),
            &password_hash,
            &base_url,
        )
    })
    .await?;
    Ok(HttpResponse::Created().json(UserView::private(&user)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The token from the emailed link.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub token: String,
}

/// Confirm an email address with the token from the verification email.
#[utoipa::path(
    tag = "accounts",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "Email verified", body = UserView),
        (status = 400, description = "Unknown, used or expired token (`invalid_token`)"),
        (status = 429, description = "Too many links checked from this address (`rate_limits.verify_email_per_hour`)"),
    )
)]
#[post("/auth/verify-email")]
pub async fn verify_email(
    req: HttpRequest,
    body: Json<TokenRequest>,
    pool: web::Data<DbPool>,
    limits: web::Data<AuthRateLimits>,
) -> Result<HttpResponse, ApiError> {
    limits.verify_email.check(&client_ip(&req)).await?;
    let token =
        domain::emailed_token(&body.token).map_err(|m| ApiError::invalid_field("token", m))?;
    let user = db::write(&pool, move |conn| service::verify_email(conn, &token)).await?;
    Ok(HttpResponse::Ok().json(UserView::private(&user)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// A username or an email address.
    #[schema(min_length = 1, max_length = 254)]
    pub login: String,
    #[schema(min_length = 1, max_length = 1024, format = Password)]
    pub password: String,
}

/// Sign in with a username or email and a password. With `X-Session-Mode: cookie` the refresh
/// token is set as an HttpOnly cookie instead of sent in the body. With a second factor set,
/// the answer is `{mfa_required, mfa_token, methods}` for `POST /auth/login/mfa`, and no token.
#[utoipa::path(
    tag = "accounts",
    params(SessionModeHeader),
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in, or (with a second factor set) the second step to take", body = LoginAnswer),
        (status = 400, description = "An `X-Session-Mode` other than `cookie` (`invalid_session_mode`)"),
        (status = 401, description = "Wrong login or password (`invalid_credentials`), the same for an unknown user; in cookie mode, an origin that may not use the cookie (`origin_not_allowed`)"),
        (status = 429, description = "Too many attempts from this address or on this account"),
    )
)]
#[post("/auth/login")]
#[allow(clippy::too_many_arguments)]
pub async fn login(
    req: HttpRequest,
    body: Json<LoginRequest>,
    pool: web::Data<DbPool>,
    limits: web::Data<AuthRateLimits>,
    hashing: web::Data<HashingPool>,
    keys: web::Data<JwtKeys>,
    policy: web::Data<RefreshPolicy>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    limits.login.check(&client_ip(&req)).await?;
    let mode = session_mode(&req, &settings)?;
    let LoginRequest { login, password } = body.into_inner();
    let credentials = domain::parse_credentials(login, password)?;
    let user = authenticate(credentials, &pool, &hashing, &settings).await?;
    first_factor_passed(&req, mode, user, "password", &pool, &keys, &policy).await
}

/// The session mode a sign-in asks for; in cookie mode, only from an origin that may hold the
/// cookie.
pub fn session_mode(req: &HttpRequest, settings: &Settings) -> Result<SessionMode, ApiError> {
    let mode = browser::mode_of(req)?;
    if mode == SessionMode::Cookie {
        browser::check_origin(
            req,
            &settings.web.base_url,
            &settings.server.cors_allowed_origins,
        )?;
    }
    Ok(mode)
}

/// The answer to a sign-in whose first factor (`method`: `password` or a provider's id)
/// passed: the session, or with a second factor set, the second step's token.
pub async fn first_factor_passed(
    req: &HttpRequest,
    mode: SessionMode,
    user: User,
    method: &str,
    pool: &DbPool,
    keys: &JwtKeys,
    policy: &RefreshPolicy,
) -> Result<HttpResponse, ApiError> {
    let user_id = user.id;
    let method = method.to_string();
    if user.two_factor {
        let (mfa_token, methods) = db::write(pool, move |conn| {
            service::second_factor::open_challenge(conn, user_id, &method)
        })
        .await?;
        return Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(MfaRequired {
                mfa_required: true,
                mfa_token,
                methods,
            }));
    }
    let ttl = policy.ttl;
    let agent = user_agent(req);
    let (session, refresh_token) = db::write(pool, move |conn| {
        service::complete_login(conn, user_id, ttl, agent.as_deref(), &method)
    })
    .await?;
    signed_in(mode, keys, policy, &user, session, refresh_token)
}

/// The account these credentials open, after the account's login delay and a password check
/// on the hashing pool; an unknown login costs what a wrong password costs.
async fn authenticate(
    credentials: domain::Credentials,
    pool: &DbPool,
    hashing: &HashingPool,
    settings: &Settings,
) -> Result<User, ApiError> {
    let domain::Credentials {
        login: name,
        password,
    } = credentials;
    let auth = settings.auth.clone();
    let attempt = db::read(pool, Cost::Large, move |conn| {
        service::begin_login(conn, &name, &auth)
    })
    .await?;
    let (user, stored_hash) = match attempt {
        LoginAttempt::Throttled { retry_after_secs } => {
            return Err(ApiError::RateLimited { retry_after_secs })
        }
        LoginAttempt::Known(user) => {
            let hash = user.password_hash.clone();
            (Some(*user), hash)
        }
        LoginAttempt::Unknown => (None, password::dummy_hash().to_string()),
    };
    let matches = hashing
        .run(move || password::verify(&password, &stored_hash))
        .await?;
    match user {
        Some(user) if matches => Ok(user),
        Some(user) => {
            let user_id = user.id;
            db::write(pool, move |conn| {
                service::record_failed_login(conn, user_id)
            })
            .await?;
            Err(invalid_credentials())
        }
        None => Err(invalid_credentials()),
    }
}

fn invalid_credentials() -> ApiError {
    ApiError::Unauthorized {
        code: "invalid_credentials",
        detail: "Wrong login or password.".into(),
    }
}

/// The answer to a login or a refresh: the token pair, or in cookie mode the access token
/// with the refresh token set as the cookie.
pub fn signed_in(
    mode: SessionMode,
    keys: &JwtKeys,
    policy: &RefreshPolicy,
    user: &User,
    session: uuid::Uuid,
    refresh_token: String,
) -> Result<HttpResponse, ApiError> {
    let mut pair = TokenPair {
        access_token: keys.issue_in_session(user.id, user.session_generation, Some(session))?,
        token_type: "Bearer".into(),
        expires_in: keys.ttl().as_secs(),
        refresh_token: None,
        user: UserView::private(user),
    };
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    match mode {
        SessionMode::Json => pair.refresh_token = Some(refresh_token),
        SessionMode::Cookie => {
            response.cookie(browser::refresh_cookie(refresh_token, policy.ttl));
        }
    }
    Ok(response.json(pair))
}

/// `X-Session-Mode: cookie` selects the HttpOnly cookie for the refresh token.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct SessionModeHeader {
    /// `cookie`: the refresh token travels in the `__Host-devforum_refresh` cookie.
    #[serde(rename = "X-Session-Mode")]
    #[param(rename = "X-Session-Mode", value_type = SessionModeValue, inline, required = false)]
    pub mode: Option<SessionModeValue>,
}

/// The one value `X-Session-Mode` takes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SessionModeValue {
    Cookie,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// Required unless `X-Session-Mode: cookie`, which reads it from the cookie instead.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub refresh_token: Option<String>,
}

/// The refresh token this request presents (cookie or body).
fn presented(
    req: &HttpRequest,
    mode: SessionMode,
    body: OptionalJson<RefreshRequest>,
    settings: &Settings,
) -> Result<String, ApiError> {
    let body = body.into_inner().unwrap_or_default();
    browser::presented_token(
        req,
        mode,
        body.refresh_token.as_deref(),
        &settings.web.base_url,
        &settings.server.cors_allowed_origins,
    )
}

/// Exchange a refresh token for a new token pair. Each refresh token works once; presented
/// again within `auth.refresh_reuse_grace_secs` it gives the same successor (two tabs at once),
/// later it revokes every token of that login.
#[utoipa::path(
    tag = "accounts",
    params(SessionModeHeader),
    request_body(content = Option<RefreshRequest>, description = "The refresh token; empty in cookie mode"),
    responses(
        (status = 200, description = "A new token pair (in cookie mode: a new cookie)", body = TokenPair),
        (status = 400, description = "An `X-Session-Mode` other than `cookie` (`invalid_session_mode`)"),
        (status = 401, description = "No, an unknown, expired, revoked or reused refresh token (`invalid_refresh_token`); the cookie without `X-Session-Mode: cookie` (`session_mode_required`) or from another origin (`origin_not_allowed`)"),
        (status = 429, description = "Too many refreshes from this address"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    req: HttpRequest,
    body: OptionalJson<RefreshRequest>,
    pool: web::Data<DbPool>,
    limits: web::Data<AuthRateLimits>,
    keys: web::Data<JwtKeys>,
    policy: web::Data<RefreshPolicy>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    limits.refresh.check(&client_ip(&req)).await?;
    let mode = browser::mode_of(&req)?;
    let token = presented(&req, mode, body, &settings)?;
    let rotation_policy = policy.clone();
    let agent = user_agent(&req);
    let (user, session, refresh_token) = db::write(&pool, move |conn| {
        service::refresh(conn, &token, &rotation_policy, agent.as_deref())
    })
    .await?;
    signed_in(mode, &keys, &policy, &user, session, refresh_token)
}

/// End the login a refresh token belongs to; in cookie mode the cookie is cleared too.
#[utoipa::path(
    tag = "accounts",
    params(SessionModeHeader),
    request_body(content = Option<RefreshRequest>, description = "The refresh token; empty in cookie mode"),
    responses(
        (status = 204, description = "Signed out; the refresh token no longer works"),
        (status = 400, description = "An `X-Session-Mode` other than `cookie` (`invalid_session_mode`)"),
        (status = 401, description = "No refresh token (`invalid_refresh_token`); the cookie without `X-Session-Mode: cookie` (`session_mode_required`) or from another origin (`origin_not_allowed`)"),
        (status = 429, description = "Too many requests from this address"),
    )
)]
#[post("/auth/logout")]
pub async fn logout(
    req: HttpRequest,
    body: OptionalJson<RefreshRequest>,
    pool: web::Data<DbPool>,
    limits: web::Data<AuthRateLimits>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    limits.refresh.check(&client_ip(&req)).await?;
    let mode = browser::mode_of(&req)?;
    let token = presented(&req, mode, body, &settings)?;
    db::write(&pool, move |conn| service::logout(conn, &token)).await?;
    let mut response = HttpResponse::NoContent();
    if mode == SessionMode::Cookie {
        response.cookie(browser::removal_cookie());
    }
    Ok(response.finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    #[schema(format = Email, example = "ada@example.com")]
    pub email: String,
}

/// Ask for a password-reset email. Always 202, whether or not the account exists.
#[utoipa::path(
    tag = "accounts",
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "If the account exists, a reset email is on its way"),
        (status = 429, description = "Too many requests from this address"),
    )
)]
#[post("/auth/password-reset/request")]
pub async fn request_password_reset(
    req: HttpRequest,
    body: Json<PasswordResetRequest>,
    pool: web::Data<DbPool>,
    limits: web::Data<AuthRateLimits>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    limits.password_reset.check(&client_ip(&req)).await?;
    let email =
        EmailAddress::parse(&body.email).map_err(|e| ApiError::invalid_field("email", e))?;
    let base_url = settings.web.base_url.clone();
    db::write(&pool, move |conn| {
        service::request_password_reset(conn, &email, &base_url)
    })
    .await?;
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200, pattern = r"\S")]
    pub token: Option<String>,
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 10, max_length = 1024, format = Password)]
    pub new_password: Option<String>,
}

/// Set a new password with the token from the reset email; every session of the account ends.
#[utoipa::path(
    tag = "accounts",
    request_body = PasswordResetConfirm,
    responses(
        (status = 204, description = "Password changed; every earlier session revoked"),
        (status = 400, description = "Unknown, used or expired token (`invalid_token`)"),
        (status = 429, description = "Too many requests from this address"),
    )
)]
#[post("/auth/password-reset/confirm")]
pub async fn confirm_password_reset(
    req: HttpRequest,
    body: Json<PasswordResetConfirm>,
    pool: web::Data<DbPool>,
    limits: web::Data<AuthRateLimits>,
    hashing: web::Data<HashingPool>,
) -> Result<HttpResponse, ApiError> {
    limits.password_reset.check(&client_ip(&req)).await?;
    let body = body.into_inner();
    let domain::PasswordReset {
        token,
        new_password,
    } = domain::parse_password_reset(body.token.as_deref(), body.new_password.as_deref())?;
    let password_hash = hashing.run(move || password::hash(&new_password)).await??;
    db::write(&pool, move |conn| {
        service::reset_password(conn, &token, &password_hash)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's own profile, email included.
#[utoipa::path(
    tag = "accounts",
    security(("bearer_auth" = [])),
    responses(
        (status = 200, description = "The caller's profile", body = UserView),
        (status = 401, description = "Missing, invalid or expired token"),
    )
)]
#[get("/users/me")]
pub async fn get_me(AuthUser(user): AuthUser) -> HttpResponse {
    HttpResponse::Ok().json(UserView::private(&user))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChooseUsernameRequest {
    #[schema(pattern = "^[A-Za-z0-9_-]{3,32}$", example = "ada_l")]
    pub username: String,
}

/// Confirm or change the username a provider sign-up suggested (`username_pending`); once.
#[utoipa::path(
    tag = "accounts",
    security(("bearer_auth" = [])),
    request_body = ChooseUsernameRequest,
    responses(
        (status = 200, description = "The profile with its chosen username", body = UserView),
        (status = 401, description = "Missing, invalid or expired token"),
        (status = 403, description = "Suspended (`account_suspended`)"),
        (status = 409, description = "Taken (`username_taken`), or chosen already (`username_chosen`)"),
        (status = 422, description = "Not a valid username"),
    )
)]
#[put("/users/me/username")]
pub async fn choose_username(
    ActiveUser(user): ActiveUser,
    body: Json<ChooseUsernameRequest>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let username = super::Username::parse(&body.username)
        .map_err(|e| ApiError::invalid_field("username", e))?;
    let user_id = user.id;
    let user = db::write(&pool, move |conn| {
        service::choose_username(conn, user_id, &username)
    })
    .await?;
    Ok(HttpResponse::Ok().json(UserView::private(&user)))
}

/// Change one's profile. `role`, `email_verified`, `id` and other fields are refused (422).
#[utoipa::path(
    tag = "accounts",
    security(("bearer_auth" = [])),
    request_body = UpdateProfileRequest,
    responses(
        (status = 200, description = "The updated profile", body = UserView),
        (status = 401, description = "Missing, invalid or expired token"),
        (status = 403, description = "Suspended (`account_suspended`)"),
        (status = 422, description = "Invalid or unknown fields"),
    )
)]
#[patch("/users/me")]
pub async fn update_me(
    ActiveUser(user): ActiveUser,
    body: Json<UpdateProfileRequest>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let changes = domain::parse_profile_changes(body.into_inner())?;
    let user_id = user.id;
    let user = db::write(&pool, move |conn| {
        service::update_profile(conn, user_id, &changes)
    })
    .await?;
    Ok(HttpResponse::Ok().json(UserView::private(&user)))
}

/// A member's public profile (staff also see the email).
#[utoipa::path(
    tag = "accounts",
    params(("username" = String, Path, description = "The username, any case")),
    responses(
        (status = 200, description = "The profile", body = UserView),
        (status = 401, description = "A token was sent but is invalid"),
        (status = 404, description = "No such member"),
    )
)]
#[get("/users/{username}")]
pub async fn get_user(
    MaybeUser(viewer): MaybeUser,
    username: web::Path<String>,
    pool: ReadPool,
) -> Result<HttpResponse, ApiError> {
    let username = username.into_inner();
    let user = db::read(&pool, Cost::Small, move |conn| {
        service::member_named(conn, &username)
    })
    .await?;
    Ok(HttpResponse::Ok().json(UserView::for_viewer(&user, viewer.as_ref())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResendVerificationRequest {
    #[schema(format = Email, example = "ada@example.com")]
    pub email: String,
}

/// Ask for another verification email. Always 202: whether the account exists, is verified
/// already, or has asked too often lately, the answer is the same.
#[utoipa::path(
    tag = "accounts",
    request_body = ResendVerificationRequest,
    responses(
        (status = 202, description = "If the account exists and is not verified, a fresh verification email is on its way (earlier links stop working)"),
        (status = 429, description = "Too many requests from this address"),
    )
)]
#[post("/auth/verify-email/resend")]
pub async fn resend_verification(
    req: HttpRequest,
    body: Json<ResendVerificationRequest>,
    pool: web::Data<DbPool>,
    limits: web::Data<AuthRateLimits>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    limits.verification_resend.check(&client_ip(&req)).await?;
    let email =
        EmailAddress::parse(&body.email).map_err(|e| ApiError::invalid_field("email", e))?;
    if limits
        .verification_resend_per_address
        .allows(&email.as_str().to_lowercase())
        .await
    {
        let base_url = settings.web.base_url.clone();
        db::write(&pool, move |conn| {
            service::resend_verification(conn, &email, &base_url)
        })
        .await?;
    }
    Ok(HttpResponse::Accepted().finish())
}

/// Checks `password` against the caller's account, as login does: per-address limit, the
/// account's delay after repeated failures, the hash on the hashing pool. A wrong password is
/// `403 wrong_password` and counts as a failed login.
pub async fn confirm_password(
    req: &HttpRequest,
    user: &User,
    password: String,
    pool: &DbPool,
    limits: &AuthRateLimits,
    hashing: &HashingPool,
    settings: &Settings,
) -> Result<(), ApiError> {
    limits.login.check(&client_ip(req)).await?;
    if let Some(retry_after_secs) = service::seconds_to_wait(user, &settings.auth) {
        return Err(ApiError::RateLimited { retry_after_secs });
    }
    let stored = user.password_hash.clone();
    if hashing
        .run(move || password::verify(&password, &stored))
        .await?
    {
        return Ok(());
    }
    let user_id = user.id;
    db::write(pool, move |conn| {
        service::record_failed_login(conn, user_id)
    })
    .await?;
    Err(ApiError::forbidden(
        "wrong_password",
        "The password is not this account's.",
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 1024, format = Password)]
    pub current_password: Option<String>,
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 10, max_length = 1024, format = Password)]
    pub new_password: Option<String>,
}

/// Change one's password. Every other session ends; access tokens issued before end too (this
/// session's client refreshes and goes on); the member is told by email.
#[utoipa::path(
    tag = "accounts",
    security(("bearer_auth" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Password changed; every other session revoked; a notice mailed"),
        (status = 401, description = "Missing, invalid or expired token"),
        (status = 403, description = "The current password is wrong (`wrong_password`)"),
        (status = 422, description = "A missing field or a new password too short or too long"),
        (status = 429, description = "Too many attempts from this address or on this account"),
    )
)]
#[post("/users/me/password")]
#[allow(clippy::too_many_arguments)]
pub async fn change_password(
    req: HttpRequest,
    SignedIn { user, session }: SignedIn,
    body: Json<ChangePasswordRequest>,
    pool: web::Data<DbPool>,
    limits: web::Data<AuthRateLimits>,
    hashing: web::Data<HashingPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let change = domain::parse_password_change(
        body.current_password.as_deref(),
        body.new_password.as_deref(),
    )?;
    confirm_password(
        &req,
        &user,
        change.current_password,
        &pool,
        &limits,
        &hashing,
        &settings,
    )
    .await?;
    let new_password = change.new_password;
    let password_hash = hashing.run(move || password::hash(&new_password)).await??;
    let base_url = settings.web.base_url.clone();
    db::write(&pool, move |conn| {
        service::change_password(conn, &user, session, &password_hash, &base_url)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeEmailRequest {
    #[serde(default)]
    #[schema(value_type = String, required = true, format = Email, example = "ada@example.org")]
    pub new_email: Option<String>,
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 1024, format = Password)]
    pub password: Option<String>,
}

/// Change one's email address. A link goes to the new address and the change applies when it is
/// used (`POST /auth/verify-email`); the old address is told, with a link that undoes the change
/// for 7 days (`POST /auth/email-change/undo`).
#[utoipa::path(
    tag = "accounts",
    security(("bearer_auth" = [])),
    request_body = ChangeEmailRequest,
    responses(
        (status = 202, description = "A verification email is on its way to the new address, a notice to the old one"),
        (status = 401, description = "Missing, invalid or expired token"),
        (status = 403, description = "The password is wrong (`wrong_password`)"),
        (status = 409, description = "Another account uses that address (`email_taken`; whose is not said)"),
        (status = 422, description = "A missing field, an invalid address, or the address the account has"),
        (status = 429, description = "Too many attempts from this address or on this account"),
    )
)]
#[post("/users/me/email")]
pub async fn change_email(
    req: HttpRequest,
    AuthUser(user): AuthUser,
    body: Json<ChangeEmailRequest>,
    pool: web::Data<DbPool>,
    limits: web::Data<AuthRateLimits>,
    hashing: web::Data<HashingPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let change = domain::parse_email_change(body.new_email.as_deref(), body.password.as_deref())?;
    confirm_password(
        &req,
        &user,
        change.password,
        &pool,
        &limits,
        &hashing,
        &settings,
    )
    .await?;
    let base_url = settings.web.base_url.clone();
    let new_email = change.new_email;
    db::write(&pool, move |conn| {
        service::request_email_change(conn, &user, &new_email, &base_url)
    })
    .await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Undo an email change with the link sent to the old address: a pending change is cancelled;
/// a change already made is reversed and every session of the account ends.
#[utoipa::path(
    tag = "accounts",
    request_body = TokenRequest,
    responses(
        (status = 204, description = "The account keeps (or has back) the old address"),
        (status = 400, description = "Unknown, used or expired token (`invalid_token`)"),
        (status = 409, description = "Another account has taken the old address since (`email_taken`)"),
        (status = 429, description = "Too many requests from this address"),
    )
)]
#[post("/auth/email-change/undo")]
pub async fn undo_email_change(
    req: HttpRequest,
    body: Json<TokenRequest>,
    pool: web::Data<DbPool>,
    limits: web::Data<AuthRateLimits>,
) -> Result<HttpResponse, ApiError> {
    limits.password_reset.check(&client_ip(&req)).await?;
    let token =
        domain::emailed_token(&body.token).map_err(|m| ApiError::invalid_field("token", m))?;
    db::write(&pool, move |conn| service::undo_email_change(conn, &token)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's signed-in devices: one per login still working, the most recently used first.
#[utoipa::path(
    tag = "accounts",
    security(("bearer_auth" = [])),
    responses(
        (status = 200, description = "The sessions; `current` marks the one asking", body = SessionList),
        (status = 401, description = "Missing, invalid or expired token"),
    )
)]
#[get("/users/me/sessions")]
pub async fn list_sessions(
    SignedIn { user, session }: SignedIn,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let user_id = user.id;
    let sessions = db::read(&pool, Cost::Large, move |conn| {
        service::sessions(conn, user_id)
    })
    .await?;
    let items = sessions
        .into_iter()
        .map(|row| SessionView::new(row, session))
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(SessionList { items }))
}

/// Sign one device out: its refresh and access tokens stop working at once.
#[utoipa::path(
    tag = "accounts",
    security(("bearer_auth" = [])),
    params(("id" = uuid::Uuid, Path, description = "A session's id from `GET /users/me/sessions`")),
    responses(
        (status = 204, description = "The session ended"),
        (status = 401, description = "Missing, invalid or expired token"),
        (status = 404, description = "The caller has no working session with that id"),
    )
)]
#[delete("/users/me/sessions/{id}")]
pub async fn end_session(
    AuthUser(user): AuthUser,
    id: web::Path<String>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let session = uuid::Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?;
    let user_id = user.id;
    db::write(&pool, move |conn| {
        service::end_session(conn, user_id, session)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sign out everywhere: every refresh token and every access token of the account stop working
/// at once, the caller's included.
#[utoipa::path(
    tag = "accounts",
    security(("bearer_auth" = [])),
    params(SessionModeHeader),
    responses(
        (status = 204, description = "Every session ended; in cookie mode the cookie is cleared"),
        (status = 400, description = "An `X-Session-Mode` other than `cookie` (`invalid_session_mode`)"),
        (status = 401, description = "Missing, invalid or expired token"),
    )
)]
#[post("/auth/logout-everywhere")]
pub async fn logout_everywhere(
    req: HttpRequest,
    AuthUser(user): AuthUser,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let mode = browser::mode_of(&req)?;
    let user_id = user.id;
    db::write(&pool, move |conn| service::logout_everywhere(conn, user_id)).await?;
    let mut response = HttpResponse::NoContent();
    if mode == SessionMode::Cookie {
        response.cookie(browser::removal_cookie());
    }
    Ok(response.finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAccountRequest {
    /// The account's password (required when it has one).
    #[serde(default)]
    #[schema(value_type = String, min_length = 1, max_length = 1024, format = Password)]
    pub password: Option<String>,
    /// For an account without a password (made through a provider): its username, typed to
    /// confirm.
    #[serde(default)]
    #[schema(value_type = String, min_length = 1, max_length = 32)]
    pub confirm_username: Option<String>,
}

/// The settings an erasure needs.
pub fn erasure_settings(
    settings: &Settings,
    steps: &super::service::erasure::ErasureSteps,
) -> super::service::erasure::ErasureSettings {
    super::service::erasure::ErasureSettings {
        base_url: settings.web.base_url.clone(),
        username_reserved_days: settings.auth.username_reserved_days,
        steps: steps.clone(),
    }
}

/// Delete one's account, confirmed with the password. In one transaction: personal data
/// erased (email, names, profile, mentor profile, sessions, settings, blocks, follows, inbox);
/// posts stay, shown as by "deleted member"; RSVPs to meetups ahead withdrawn (waitlists move
/// on); open mentorship requests withdrawn, declined or completed with the other side told;
/// open reports filed dismissed; the moderation log keeps its entries with an anonymous
/// reference for the account; the username stays reserved (`auth.username_reserved_days`).
#[utoipa::path(
    tag = "accounts",
    security(("bearer_auth" = [])),
    params(SessionModeHeader),
    request_body = DeleteAccountRequest,
    responses(
        (status = 204, description = "The account is erased; every session ended (in cookie mode the cookie is cleared)"),
        (status = 401, description = "Missing, invalid or expired token"),
        (status = 403, description = "The password is wrong (`wrong_password`)"),
        (status = 409, description = "The only admin (`last_admin`): make someone else an admin first"),
        (status = 422, description = "No password; for an account without one, no or another `confirm_username`"),
        (status = 429, description = "Too many attempts from this address or on this account"),
    )
)]
#[delete("/users/me")]
// Extractors, each one thing the handler needs; a struct of them would only rename them.
#[allow(clippy::too_many_arguments)]
pub async fn delete_me(
    req: HttpRequest,
    AuthUser(user): AuthUser,
    body: Json<DeleteAccountRequest>,
    pool: web::Data<DbPool>,
    limits: web::Data<AuthRateLimits>,
    hashing: web::Data<HashingPool>,
    settings: web::Data<Settings>,
    steps: web::Data<super::service::erasure::ErasureSteps>,
) -> Result<HttpResponse, ApiError> {
    let mode = browser::mode_of(&req)?;
    let DeleteAccountRequest {
        password,
        confirm_username,
    } = body.into_inner();
    if user.has_password() {
        let password = domain::parse_confirming_password(password.as_deref())?;
        confirm_password(&req, &user, password, &pool, &limits, &hashing, &settings).await?;
    } else if !confirm_username
        .as_deref()
        .is_some_and(|typed| typed.trim().eq_ignore_ascii_case(&user.username))
    {
        // No password to ask for: the member types the account's name, as for any deletion
        // that cannot be undone.
        return Err(ApiError::invalid_field(
            "confirm_username",
            "type your username to confirm",
        ));
    }
    let erasure = erasure_settings(&settings, &steps);
    let user_id = user.id;
    db::write(&pool, move |conn| {
        service::delete_own_account(conn, user_id, &erasure)
    })
    .await?;
    let mut response = HttpResponse::NoContent();
    if mode == SessionMode::Cookie {
        response.cookie(browser::removal_cookie());
    }
    Ok(response.finish())
}

/// Ask for an archive of everything one wrote or did (format: `docs/account-export.md`). A
/// job builds it; a mail brings a link that works once, for 7 days. Asking again while one is
/// being built changes nothing.
#[utoipa::path(
    tag = "accounts",
    security(("bearer_auth" = [])),
    responses(
        (status = 202, description = "The archive is being built; a mail with its link follows"),
        (status = 401, description = "Missing, invalid or expired token"),
        (status = 429, description = "Too many archives asked for today (`rate_limits.exports_per_day`)"),
    )
)]
#[post("/users/me/export")]
pub async fn request_export(
    AuthUser(user): AuthUser,
    pool: web::Data<DbPool>,
    limits: web::Data<crate::rate_limit::PostingLimits>,
) -> Result<HttpResponse, ApiError> {
    limits.exports.check(&user.id).await?;
    let user_id = user.id;
    db::write(&pool, move |conn| {
        Ok(service::export::request(conn, user_id)?)
    })
    .await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Download an archive with the link from its mail (no sign-in: the link is the key). The
/// link works once; the archive streams as it is stored, piece by piece.
#[utoipa::path(
    tag = "accounts",
    params(("token" = String, Path, description = "The token from the mailed link")),
    responses(
        (status = 200, description = "The archive (JSON, `docs/account-export.md`), as an attachment", content_type = "application/json"),
        (status = 404, description = "Unknown, used or expired link"),
    )
)]
#[get("/exports/{token}")]
pub async fn download_export(
    token: web::Path<String>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let token = domain::emailed_token(&token).map_err(|_| ApiError::NotFound)?;
    let claimed = db::write(&pool, move |conn| service::export::claim(conn, &token)).await?;
    let filename = format!(
        "devforum-{}-{}.json",
        claimed.username,
        claimed.created_at.format("%Y-%m-%d")
    );
    let pool = pool.into_inner();
    let export_id = claimed.id;
    let body = futures_util::stream::unfold(Some(0_i32), move |state| {
        let pool = pool.clone();
        async move {
            let seq = state?;
            let read = db::read(&pool, Cost::Large, move |conn| {
                Ok(service::export::chunk(conn, export_id, seq)?)
            })
            .await;
            match read {
                Ok(Some(data)) => Some((Ok(web::Bytes::from(data)), Some(seq + 1))),
                Ok(None) => {
                    let discarded = db::write(&pool, move |conn| {
                        Ok(service::export::discard_chunks(conn, export_id)?)
                    })
                    .await;
                    if let Err(error) = discarded {
                        tracing::warn!(%error, export_id, "a downloaded archive stays until the sweep");
                    }
                    None
                }
                Err(error) => Some((Err(error), None)),
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .no_chunking(claimed.size_bytes as u64)
        .streaming(body))
}
