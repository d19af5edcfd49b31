//! `/mentors/*` and `/mentorship-requests/*`.

use actix_web::{get, post, put};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::domain::{self, LanguageCodeSchema, MentorProfileInput, RawProfile, RequestInput};
use super::lifecycle::{Action, Status};
use super::model::{DirectoryFilter, RequestFilter, RequestRole};
use super::service::{self, DIRECTORY_LISTING, REQUESTS_LISTING};
use super::views::{MentorSummary, MentorView, RequestView};
use crate::accounts::auth::{ActiveUser, AuthUser, MaybeUser, Member};
use crate::config::Settings;
use crate::db::{self, Cost, DbPool};
use crate::error::ApiError;
use crate::http::{Json, OptionalJson};
use crate::ids::MentorshipRequestId;
use crate::pagination::{self, Page};
use crate::rate_limit::PostingLimits;
use crate::reads::ReadPool;
use crate::tags::TagNameSchema;
use crate::validation::TimezoneName;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_mentors)
        .service(get_my_profile)
        .service(put_my_profile)
        .service(get_mentor)
        .service(list_requests)
        .service(create_request)
        .service(get_request)
        .service(accept)
        .service(decline)
        .service(withdraw)
        .service(complete)
        .service(check_in);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MentorProfileRequest {
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 120, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$")]
    pub headline: Option<String>,
    /// Markdown; may be empty.
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 10000, pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$")]
    pub bio: Option<String>,
    /// 1 to 15 tags, lowercase `[a-z0-9-]` (other input is normalised: "Rust Async" → "rust-async").
    #[serde(default)]
    #[schema(value_type = Vec<TagNameSchema>, required = true, min_items = 1, max_items = 15)]
    pub skills: Option<Vec<String>>,
    /// 1 to 10 ISO 639-1 language codes.
    #[serde(default)]
    #[schema(value_type = Vec<LanguageCodeSchema>, required = true, min_items = 1, max_items = 10)]
    pub languages: Option<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = TimezoneName, required = true)]
    pub timezone: Option<String>,
    /// How many mentees at once, 1 to 20.
    #[serde(default)]
    #[schema(value_type = i64, required = true, minimum = 1, maximum = 20)]
    pub capacity: Option<f64>,
    #[serde(default)]
    #[schema(value_type = bool, required = true)]
    pub accepting_requests: Option<bool>,
    /// Pause until this moment ("away until …"; within a year): not accepting until then,
    /// lifting by itself. `null` or left out: not away.
    #[serde(default)]
    pub away_until: Option<chrono::DateTime<chrono::Utc>>,
}

/// Create or replace one's mentor profile (verified members).
#[utoipa::path(
    tag = "mentorship",
    security(("bearer_auth" = [])),
    request_body = MentorProfileRequest,
    responses(
        (status = 200, description = "The caller's mentor profile", body = MentorView),
        (status = 403, description = "Unverified email (`email_not_verified`) or suspended (`account_suspended`)"),
        (status = 422, description = "Invalid fields, every one named"),
    )
)]
#[put("/mentors/me")]
pub async fn put_my_profile(
    Member(user): Member,
    body: Json<MentorProfileRequest>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let input = MentorProfileInput::parse(RawProfile {
        headline: body.headline.as_deref(),
        bio: body.bio.as_deref(),
        skills: body.skills.as_deref(),
        languages: body.languages.as_deref(),
        timezone: body.timezone.as_deref(),
        capacity: body.capacity,
        accepting_requests: body.accepting_requests,
        away_until: body.away_until,
        now: chrono::Utc::now(),
    })?;
    let mentor = db::write(&pool, move |conn| service::put_profile(conn, &user, &input)).await?;
    Ok(HttpResponse::Ok().json(mentor))
}

/// The caller's own mentor profile; `404` if they are not a mentor.
#[utoipa::path(
    tag = "mentorship",
    security(("bearer_auth" = [])),
    responses(
        (status = 200, description = "The caller's mentor profile", body = MentorView),
        (status = 404, description = "The caller is not a mentor"),
    )
)]
#[get("/mentors/me")]
pub async fn get_my_profile(
    AuthUser(user): AuthUser,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let mentor = db::read(&pool, Cost::Large, move |conn| {
        service::mentor_of(conn, user.id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(mentor))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectoryQuery {
    /// Only mentors with this skill.
    #[param(value_type = Option<TagNameSchema>)]
    pub skill: Option<String>,
    /// Only mentors speaking this language (ISO 639-1).
    #[param(value_type = Option<LanguageCodeSchema>)]
    pub language: Option<String>,
    /// `true`: only mentors taking requests now (willing and not full); `false`: only the others.
    pub accepting: Option<bool>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The mentor directory, newest profiles first.
#[utoipa::path(
    tag = "mentorship",
    params(DirectoryQuery),
    responses(
        (status = 200, description = "A page of mentors", body = Page<MentorSummary>),
        (status = 401, description = "A token was sent but is invalid"),
        (status = 422, description = "Invalid `skill`, `language` or `limit`"),
    )
)]
#[get("/mentors")]
pub async fn list_mentors(
    // A token is not needed, but one that is sent must be valid.
    _viewer: MaybeUser,
    query: web::Query<DirectoryQuery>,
    pool: ReadPool,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let domain::DirectoryFields { skill, language } =
        domain::parse_directory_fields(query.skill.as_deref(), query.language.as_deref())?;
    let filter = DirectoryFilter {
        skill,
        language,
        accepting: query.accepting,
        after: pagination::decode_optional(DIRECTORY_LISTING, query.cursor.as_deref())?,
        limit: pagination::limit(query.limit)?,
    };
    let page = db::read(&pool, Cost::Small, move |conn| {
        service::list_mentors(conn, &filter)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One mentor's profile; `404` if the member is not a mentor.
#[utoipa::path(
    tag = "mentorship",
    params(("username" = String, Path, description = "The mentor's username, any case")),
    responses(
        (status = 200, description = "The mentor", body = MentorView),
        (status = 401, description = "A token was sent but is invalid"),
        (status = 404, description = "No such mentor"),
    )
)]
#[get("/mentors/{username}")]
pub async fn get_mentor(
    _viewer: MaybeUser,
    username: web::Path<String>,
    pool: ReadPool,
) -> Result<HttpResponse, ApiError> {
    let username = username.into_inner();
    let mentor = db::read(&pool, Cost::Small, move |conn| {
        service::get_mentor(conn, &username)
    })
    .await?;
    Ok(HttpResponse::Ok().json(mentor))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRequestBody {
    /// The mentor's username.
    #[serde(default)]
    #[schema(value_type = String, required = true, pattern = r"^[a-zA-Z0-9_-]{3,32}$")]
    pub mentor: Option<String>,
    /// Plain text: who you are and what you ask.
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 2000, pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$")]
    pub message: Option<String>,
    /// Plain text: what you want to get out of the mentorship.
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 2000, pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$")]
    pub goals: Option<String>,
}

/// Ask a mentor (verified members); the mentor is emailed.
#[utoipa::path(
    tag = "mentorship",
    security(("bearer_auth" = [])),
    request_body = NewRequestBody,
    responses(
        (status = 201, description = "The new request, `pending`", body = RequestView),
        (status = 403, description = "Unverified email (`email_not_verified`) or suspended (`account_suspended`)"),
        (status = 409, description = "An open request to this mentor exists (`request_exists`)"),
        (status = 422, description = "Invalid fields, no such mentor, oneself (`validation_failed`), or the mentor is not accepting or full (`mentor_unavailable`)"),
        (status = 429, description = "Request limit reached"),
    )
)]
#[post("/mentorship-requests")]
pub async fn create_request(
    Member(mentee): Member,
    body: Json<NewRequestBody>,
    pool: web::Data<DbPool>,
    limits: web::Data<PostingLimits>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let input = RequestInput::parse(
        body.mentor.as_deref(),
        body.message.as_deref(),
        body.goals.as_deref(),
    )?;
    limits.mentorship_requests.check(&mentee.id).await?;
    let base_url = settings.web.base_url.clone();
    let request = db::write(&pool, move |conn| {
        service::create_request(conn, &mentee, &input, &base_url)
    })
    .await?;
    Ok(HttpResponse::Created().json(request))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestListQuery {
    /// `mentor`: requests sent to the caller; `mentee`: requests the caller sent; both when absent.
    #[param(inline)]
    pub role: Option<RequestRole>,
    #[param(inline)]
    pub status: Option<Status>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The caller's own requests, as mentor and/or mentee, newest first.
#[utoipa::path(
    tag = "mentorship",
    security(("bearer_auth" = [])),
    params(RequestListQuery),
    responses(
        (status = 200, description = "A page of the caller's requests", body = Page<RequestView>),
        (status = 422, description = "Invalid `limit`"),
    )
)]
#[get("/mentorship-requests")]
pub async fn list_requests(
    AuthUser(user): AuthUser,
    query: web::Query<RequestListQuery>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let filter = RequestFilter {
        user_id: user.id,
        role: query.role,
        status: query.status,
        after: pagination::decode_optional(REQUESTS_LISTING, query.cursor.as_deref())?,
        limit: pagination::limit(query.limit)?,
    };
    let page = db::read(&pool, Cost::Large, move |conn| {
        service::list_requests(conn, &filter)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One request: its participants and moderators see it; anyone else gets `404`.
#[utoipa::path(
    tag = "mentorship",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Request id")),
    responses(
        (status = 200, description = "The request", body = RequestView),
        (status = 404, description = "No such request, or not the caller's"),
    )
)]
#[get("/mentorship-requests/{id}")]
pub async fn get_request(
    AuthUser(viewer): AuthUser,
    id: web::Path<MentorshipRequestId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let request = db::read(&pool, Cost::Large, move |conn| {
        service::get_request(conn, id, &viewer)
    })
    .await?;
    Ok(HttpResponse::Ok().json(request))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// A note to the mentee (plain text), sent with the answer.
    #[schema(
        max_length = 1000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub reason: Option<String>,
}

/// Moves the request along its lifecycle as `actor`; a note is sent with accept and decline.
async fn run_transition(
    actor: crate::accounts::User,
    id: MentorshipRequestId,
    action: Action,
    body: Option<OptionalJson<AnswerBody>>,
    pool: &DbPool,
    settings: &Settings,
) -> Result<HttpResponse, ApiError> {
    let reason = match body {
        Some(body) => {
            domain::parse_reason(body.into_inner().unwrap_or_default().reason.as_deref())?
        }
        None => None,
    };
    let base_url = settings.web.base_url.clone();
    let request = db::write(pool, move |conn| {
        service::transition(conn, id, &actor, action, reason.as_deref(), &base_url)
    })
    .await?;
    Ok(HttpResponse::Ok().json(request))
}

/// One endpoint per lifecycle action, as moderation declares its actions: the path, the
/// action, who may take it (403) and from which state (409). `with_note` endpoints take an
/// optional note to the mentee.
macro_rules! transition {
    (
        $name:ident, $path:literal, $action:expr, $summary:literal,
        done: $done:literal, forbidden: $forbidden:literal, conflict: $conflict:literal,
        with_note: $note:literal, unprocessable: $unprocessable:literal
    ) => {
        #[doc = $summary]
        #[utoipa::path(
                    tag = "mentorship",
                    security(("bearer_auth" = [])),
                    params(("id" = i64, Path, description = "Request id")),
                    request_body(content = Option<AnswerBody>, description = $note),
                    responses(
                        (status = 200, description = $done, body = RequestView),
                        (status = 403, description = $forbidden),
                        (status = 404, description = "No such request, or not the caller's"),
                        (status = 409, description = $conflict),
                        (status = 422, description = $unprocessable),
                    )
                )]
        #[post($path)]
        pub async fn $name(
            ActiveUser(actor): ActiveUser,
            id: web::Path<MentorshipRequestId>,
            body: OptionalJson<AnswerBody>,
            pool: web::Data<DbPool>,
            settings: web::Data<Settings>,
        ) -> Result<HttpResponse, ApiError> {
            run_transition(
                actor,
                id.into_inner(),
                $action,
                Some(body),
                &pool,
                &settings,
            )
            .await
        }
    };
    (
        $name:ident, $path:literal, $action:expr, $summary:literal,
        done: $done:literal, forbidden: $forbidden:literal, conflict: $conflict:literal
    ) => {
        #[doc = $summary]
        #[utoipa::path(
                    tag = "mentorship",
                    security(("bearer_auth" = [])),
                    params(("id" = i64, Path, description = "Request id")),
                    responses(
                        (status = 200, description = $done, body = RequestView),
                        (status = 403, description = $forbidden),
                        (status = 404, description = "No such request, or not the caller's"),
                        (status = 409, description = $conflict),
                    )
                )]
        #[post($path)]
        pub async fn $name(
            ActiveUser(actor): ActiveUser,
            id: web::Path<MentorshipRequestId>,
            pool: web::Data<DbPool>,
            settings: web::Data<Settings>,
        ) -> Result<HttpResponse, ApiError> {
            run_transition(actor, id.into_inner(), $action, None, &pool, &settings).await
        }
    };
}

transition!(
    accept,
    "/mentorship-requests/{id}/accept",
    Action::Accept,
    "The mentor accepts a pending request (`422 mentor_unavailable` when full); the mentee is emailed.",
    done: "The request, `accepted`",
    forbidden: "Not the mentor (`wrong_participant`) or suspended",
    conflict: "Not pending (`invalid_transition`)",
    with_note: "Optional; a note to the mentee",
    unprocessable: "No free place (`mentor_unavailable`) or an invalid `reason`"
);
transition!(
    decline,
    "/mentorship-requests/{id}/decline",
    Action::Decline,
    "The mentor declines a pending request, optionally saying why; the mentee is emailed.",
    done: "The request, `declined`",
    forbidden: "Not the mentor (`wrong_participant`) or suspended",
    conflict: "Not pending (`invalid_transition`)",
    with_note: "Optional; the reason, sent to the mentee",
    unprocessable: "Invalid `reason`"
);
transition!(
    withdraw,
    "/mentorship-requests/{id}/withdraw",
    Action::Withdraw,
    "The mentee withdraws a pending request.",
    done: "The request, `withdrawn`",
    forbidden: "Not the mentee (`wrong_participant`) or suspended",
    conflict: "Not pending (`invalid_transition`)"
);
transition!(
    complete,
    "/mentorship-requests/{id}/complete",
    Action::Complete,
    "Either participant marks an accepted mentorship completed, freeing the mentor's place.",
    done: "The request, `completed`",
    forbidden: "Not a participant (`wrong_participant`) or suspended",
    conflict: "Not accepted (`invalid_transition`)"
);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInRequest {
    /// The token from the check-in mail's link.
    #[schema(min_length = 1, max_length = 2000)]
    pub token: String,
    pub answer: super::service::check_in::Answer,
}

/// Answer a check-in from its mailed link (no sign-in: the link names the member and the
/// mentorship). When both sides have said `done`, the mentorship completes.
#[utoipa::path(
    tag = "mentorship",
    request_body = CheckInRequest,
    responses(
        (status = 200, description = "The answer is kept; `status` is the request's now", body = super::service::check_in::CheckInView),
        (status = 400, description = "Unknown or expired link (`invalid_token`)"),
        (status = 422, description = "An answer other than `active` or `done`"),
    )
)]
#[post("/mentorship-check-ins")]
pub async fn check_in(
    body: Json<CheckInRequest>,
    pool: web::Data<DbPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let CheckInRequest { token, answer } = body.into_inner();
    let keys = super::service::check_in::CheckInKeys::new(&settings.auth.jwt_secret);
    let base_url = settings.web.base_url.clone();
    let view = db::write(&pool, move |conn| {
        super::service::check_in::answer(conn, &keys, &token, answer, &base_url)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
