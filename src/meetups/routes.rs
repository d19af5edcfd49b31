//! `/meetups/*`.

use actix_web::http::header;
use actix_web::{delete, get, patch, post, put};
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::calendar;
use super::domain::{self, RawMeetup, VenueInput};
use super::model::MeetupFilter;
use super::service::{self, LISTING};
use super::views::{AttendeeList, MeetupSummary, MeetupView, RsvpView};
use crate::accounts::auth::{ActiveUser, AuthUser, MaybeUser, Member};
use crate::config::Settings;
use crate::db::{self, Cost, DbPool};
use crate::error::ApiError;
use crate::http::Json;
use crate::ids::MeetupId;
use crate::pagination::{self, Page};
use crate::reads::ReadPool;
use crate::tags::TagNameSchema;
use crate::validation::{double_option, TimezoneName};
use crate::visibility::Audience;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_meetups)
        .service(create_meetup)
        .service(upcoming_calendar)
        .service(get_meetup)
        .service(update_meetup)
        .service(cancel_meetup)
        .service(rsvp)
        .service(withdraw_rsvp)
        .service(attendees)
        .service(meetup_calendar)
        .service(rotate_calendar_feed)
        .service(revoke_calendar_feed)
        .service(personal_calendar);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMeetupRequest {
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 5, max_length = 200, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$")]
    pub title: Option<String>,
    /// Markdown.
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 20000, pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$")]
    pub description: Option<String>,
    /// In the future.
    #[serde(default)]
    #[schema(value_type = String, format = DateTime, required = true)]
    pub starts_at: Option<DateTime<Utc>>,
    /// After `starts_at`, at most 7 days later.
    #[serde(default)]
    #[schema(value_type = String, format = DateTime, required = true)]
    pub ends_at: Option<DateTime<Utc>>,
    /// The IANA zone the meetup is held in.
    #[serde(default)]
    #[schema(value_type = TimezoneName, required = true)]
    pub timezone: Option<String>,
    /// Where it is held in person; a venue, an `online_url` or both.
    #[serde(default)]
    pub venue: Option<VenueInput>,
    /// An http or https URL.
    #[serde(default)]
    #[schema(max_length = 2000, pattern = r"^[hH][tT][tT][pP][sS]?://[^\s/?#]+")]
    pub online_url: Option<String>,
    /// Seats, 1 to 10,000; none means no limit.
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 10000)]
    pub capacity: Option<f64>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<TagNameSchema>>, max_items = 5)]
    pub tags: Option<Vec<String>>,
    /// Makes it a recurring meetup: occurrences by this rule (RFC 5545 semantics, in the
    /// meetup's timezone), each a meetup of its own with its own RSVPs and `series_id`; the
    /// first is this one, and the answer.
    #[serde(default)]
    pub recurrence: Option<super::recurrence::RecurrenceRequest>,
}

/// List a meetup (verified members).
#[utoipa::path(
    tag = "meetups",
    security(("bearer_auth" = [])),
    request_body = CreateMeetupRequest,
    responses(
        (status = 201, description = "The new meetup", body = MeetupView),
        (status = 403, description = "Unverified email (`email_not_verified`), suspended (`account_suspended`), or a `new` account's limits (`new_account_meetup_seats`, `new_account_links`, `new_account_images`)"),
        (status = 422, description = "Invalid fields, every one named"),
        (status = 429, description = "Posting limit reached"),
    )
)]
#[post("/meetups")]
pub async fn create_meetup(
    Member(organizer): Member,
    body: Json<CreateMeetupRequest>,
    pool: web::Data<DbPool>,
    limits: web::Data<crate::rate_limit::PostingLimits>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let input = domain::parse(
        RawMeetup {
            title: body.title.as_deref(),
            description: body.description.as_deref(),
            starts_at: body.starts_at,
            ends_at: body.ends_at,
            timezone: body.timezone.as_deref(),
            venue: Some(body.venue.as_ref()),
            online_url: Some(body.online_url.as_deref()),
            capacity: Some(body.capacity),
            tags: Some(body.tags.as_deref().unwrap_or_default()),
        },
        None,
        Utc::now(),
    )?;
    let rule = match &body.recurrence {
        Some(raw) => Some(
            super::recurrence::parse(raw, input.starts_at, &input.timezone).map_err(
                |problems| {
                    let mut v = crate::validation::Validator::new();
                    for (field, message) in problems {
                        v.add(&field, message);
                    }
                    v.finish().err().unwrap_or(ApiError::NotFound)
                },
            )?,
        ),
        None => None,
    };
    crate::trust::service::check_meetup(
        &organizer,
        Some(&input.description),
        Some(input.capacity.map(i64::from)),
        &settings.trust,
    )?;
    limits.meetups.check(&organizer.id).await?;
    let meetup = db::write(&pool, move |conn| match &rule {
        Some(rule) => service::create_series(conn, &organizer, &input, rule),
        None => service::create(conn, &organizer, &input),
    })
    .await?;
    Ok(HttpResponse::Created().json(meetup))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MeetupListQuery {
    /// Only meetups starting at or after this instant; by default, those not over yet.
    pub from: Option<DateTime<Utc>>,
    /// Only meetups starting before this instant.
    pub to: Option<DateTime<Utc>>,
    #[param(value_type = Option<TagNameSchema>)]
    pub tag: Option<String>,
    /// The venue's city, any case.
    #[param(max_length = 100)]
    pub city: Option<String>,
    /// `true`: meetups with an online URL; `false`: in person only.
    pub online: Option<bool>,
    /// Include cancelled meetups.
    pub include_cancelled: Option<bool>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Meetups, soonest first.
#[utoipa::path(
    tag = "meetups",
    params(MeetupListQuery),
    responses(
        (status = 200, description = "A page of meetups", body = Page<MeetupSummary>),
        (status = 401, description = "A token was sent but is invalid"),
        (status = 422, description = "Invalid `tag`, `city`, `to` or `limit`"),
    )
)]
#[get("/meetups")]
pub async fn list_meetups(
    MaybeUser(viewer): MaybeUser,
    query: web::Query<MeetupListQuery>,
    pool: ReadPool,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let domain::ListingFields { tag, city } = domain::parse_listing_fields(
        query.tag.as_deref(),
        query.city.as_deref(),
        query.from,
        query.to,
        chrono::Utc::now(),
    )?;
    let filter = MeetupFilter {
        from: query.from,
        to: query.to,
        tag,
        city,
        online: query.online,
        include_cancelled: query.include_cancelled.unwrap_or(false),
        audience: Audience::of(viewer.as_ref()),
        after: pagination::decode_optional(LISTING, query.cursor.as_deref())?,
        limit: pagination::limit(query.limit)?,
    };
    let page = db::read(&pool, Cost::Small, move |conn| service::list(conn, &filter)).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One meetup, with the caller's RSVP when signed in.
#[utoipa::path(
    tag = "meetups",
    params(("id" = i64, Path, description = "Meetup id")),
    responses(
        (status = 200, description = "The meetup", body = MeetupView),
        (status = 401, description = "A token was sent but is invalid"),
        (status = 404, description = "No such meetup"),
    )
)]
#[get("/meetups/{id:\\d+}")]
pub async fn get_meetup(
    MaybeUser(viewer): MaybeUser,
    id: web::Path<MeetupId>,
    pool: ReadPool,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let meetup = db::read(&pool, Cost::Small, move |conn| {
        service::get(conn, id, viewer.as_ref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(meetup))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeetupRequest {
    #[schema(
        min_length = 5,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub title: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 20000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub description: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ends_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<TimezoneName>)]
    pub timezone: Option<String>,
    /// `null` removes the venue (an `online_url` must remain).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<VenueInput>)]
    pub venue: Option<Option<VenueInput>>,
    /// `null` removes it (a venue must remain).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 2000, pattern = r"^[hH][tT][tT][pP][sS]?://[^\s/?#]+")]
    pub online_url: Option<Option<String>>,
    /// `null` removes the limit; never below the number already going.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 10000)]
    pub capacity: Option<Option<f64>>,
    #[schema(value_type = Option<Vec<TagNameSchema>>, max_items = 5)]
    pub tags: Option<Vec<String>>,
}

/// Edit a meetup (its organizer or a moderator); a new time or place is emailed to everyone
/// going or waitlisted.
#[utoipa::path(
    tag = "meetups",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Meetup id"), ScopeQuery),
    request_body = UpdateMeetupRequest,
    responses(
        (status = 200, description = "The edited meetup", body = MeetupView),
        (status = 403, description = "Not the organizer (`not_organizer`), suspended, or a `new` account's limits (`new_account_meetup_seats`, `new_account_links`, `new_account_images`)"),
        (status = 404, description = "No such meetup"),
        (status = 409, description = "The meetup is cancelled (`meetup_cancelled`)"),
        (status = 422, description = "Invalid fields; `scope=following` on a one-off, or moving a series to another day"),
    )
)]
#[patch("/meetups/{id:\\d+}")]
pub async fn update_meetup(
    ActiveUser(actor): ActiveUser,
    id: web::Path<MeetupId>,
    scope: web::Query<ScopeQuery>,
    body: Json<UpdateMeetupRequest>,
    pool: web::Data<DbPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let id = id.into_inner();
    crate::trust::service::check_meetup(
        &actor,
        body.description.as_deref(),
        body.capacity.map(|c| c.map(|seats| seats.ceil() as i64)),
        &settings.trust,
    )?;
    let base_url = settings.web.base_url.clone();
    let meetup = db::write(&pool, move |conn| {
        let raw = RawMeetup {
            title: body.title.as_deref(),
            description: body.description.as_deref(),
            starts_at: body.starts_at,
            ends_at: body.ends_at,
            timezone: body.timezone.as_deref(),
            venue: body.venue.as_ref().map(Option::as_ref),
            online_url: body.online_url.as_ref().map(Option::as_deref),
            capacity: body.capacity,
            tags: body.tags.as_deref(),
        };
        match scope.scope.unwrap_or_default() {
            service::Scope::This => service::update(conn, id, &actor, raw, &base_url),
            service::Scope::Following => {
                service::update_following(conn, id, &actor, raw, &base_url)
            }
        }
    })
    .await?;
    Ok(HttpResponse::Ok().json(meetup))
}

/// Cancel a meetup (its organizer or a moderator); everyone going or waitlisted is emailed.
#[utoipa::path(
    tag = "meetups",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Meetup id"), ScopeQuery),
    responses(
        (status = 200, description = "The meetup, `cancelled`", body = MeetupView),
        (status = 403, description = "Not the organizer (`not_organizer`) or suspended"),
        (status = 404, description = "No such meetup"),
        (status = 409, description = "Already cancelled (`meetup_cancelled`)"),
        (status = 422, description = "`scope=following` on a one-off"),
    )
)]
#[post("/meetups/{id}/cancel")]
pub async fn cancel_meetup(
    ActiveUser(actor): ActiveUser,
    id: web::Path<MeetupId>,
    scope: web::Query<ScopeQuery>,
    pool: web::Data<DbPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let base_url = settings.web.base_url.clone();
    let meetup = db::write(&pool, move |conn| match scope.scope.unwrap_or_default() {
        service::Scope::This => service::cancel(conn, id, &actor, &base_url),
        service::Scope::Following => service::cancel_following(conn, id, &actor, &base_url),
    })
    .await?;
    Ok(HttpResponse::Ok().json(meetup))
}

/// RSVP: `going` while seats remain, otherwise `waitlisted`; asking again changes nothing.
#[utoipa::path(
    tag = "meetups",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Meetup id")),
    responses(
        (status = 200, description = "The caller's RSVP", body = RsvpView),
        (status = 403, description = "Suspended (`account_suspended`)"),
        (status = 404, description = "No such meetup"),
        (status = 409, description = "Cancelled (`meetup_cancelled`) or started (`meetup_past`)"),
    )
)]
#[put("/meetups/{id}/rsvp")]
pub async fn rsvp(
    ActiveUser(member): ActiveUser,
    id: web::Path<MeetupId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let rsvp = db::write(&pool, move |conn| service::rsvp(conn, id, &member)).await?;
    Ok(HttpResponse::Ok().json(rsvp))
}

/// Withdraw one's RSVP; a freed seat goes to the first waitlisted member, who is emailed.
#[utoipa::path(
    tag = "meetups",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Meetup id")),
    responses(
        (status = 204, description = "No RSVP any more"),
        (status = 403, description = "Suspended (`account_suspended`)"),
        (status = 404, description = "No such meetup"),
        (status = 409, description = "The meetup has started (`meetup_past`)"),
    )
)]
#[delete("/meetups/{id}/rsvp")]
pub async fn withdraw_rsvp(
    ActiveUser(member): ActiveUser,
    id: web::Path<MeetupId>,
    pool: web::Data<DbPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let base_url = settings.web.base_url.clone();
    db::write(&pool, move |conn| {
        service::withdraw_rsvp(conn, id, &member, &base_url)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who is going and who waits, in RSVP order (the organizer and moderators only).
#[utoipa::path(
    tag = "meetups",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Meetup id")),
    responses(
        (status = 200, description = "Going and waitlisted members", body = AttendeeList),
        (status = 403, description = "Not the organizer or a moderator (`not_organizer`)"),
        (status = 404, description = "No such meetup"),
    )
)]
#[get("/meetups/{id}/attendees")]
pub async fn attendees(
    AuthUser(viewer): AuthUser,
    id: web::Path<MeetupId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let list = db::read(&pool, Cost::Large, move |conn| {
        service::attendees(conn, id, &viewer)
    })
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

fn ics(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, calendar::CONTENT_TYPE))
        .body(body)
}

/// One meetup as an RFC 5545 calendar (`STATUS:CANCELLED` once cancelled).
#[utoipa::path(
    tag = "meetups",
    params(("id" = i64, Path, description = "Meetup id")),
    responses(
        (status = 200, description = "An iCalendar object with one VEVENT", body = String, content_type = "text/calendar"),
        (status = 404, description = "No such meetup"),
    )
)]
#[get("/meetups/{id}/calendar.ics")]
pub async fn meetup_calendar(
    id: web::Path<MeetupId>,
    pool: ReadPool,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let base_url = settings.web.base_url.clone();
    let body = db::read(&pool, Cost::Large, move |conn| {
        service::calendar_of(conn, id, &base_url)
    })
    .await?;
    Ok(ics(body))
}

/// Upcoming meetups as a calendar feed to subscribe to (cancelled ones marked as such).
#[utoipa::path(
    tag = "meetups",
    responses(
        (status = 200, description = "An iCalendar object, one VEVENT per meetup", body = String, content_type = "text/calendar"),
    )
)]
#[get("/meetups/calendar.ics")]
pub async fn upcoming_calendar(
    pool: ReadPool,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let base_url = settings.web.base_url.clone();
    let body = db::read(&pool, Cost::Large, move |conn| {
        service::upcoming_calendar(conn, &base_url)
    })
    .await?;
    Ok(ics(body))
}

/// The secret URL of a member's own calendar.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct CalendarFeedView {
    /// Works in calendar apps without signing in; anyone with it sees the member's meetups.
    pub url: String,
}

/// Make (or rotate) one's personal calendar URL: the meetups one organises or is going to. A
/// URL made before stops working.
#[utoipa::path(
    tag = "meetups",
    security(("bearer_auth" = [])),
    responses(
        (status = 200, description = "The new secret URL", body = CalendarFeedView),
        (status = 401, description = "Missing, invalid or expired token"),
    )
)]
#[post("/users/me/calendar-feed")]
pub async fn rotate_calendar_feed(
    AuthUser(user): AuthUser,
    pool: web::Data<DbPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let base_url = settings.web.base_url.clone();
    let url = db::write(&pool, move |conn| {
        service::rotate_calendar_feed(conn, user.id, &base_url)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(CalendarFeedView { url }))
}

/// Revoke one's personal calendar URL (it answers 404 from now on).
#[utoipa::path(
    tag = "meetups",
    security(("bearer_auth" = [])),
    responses(
        (status = 204, description = "Revoked (or there was none)"),
        (status = 401, description = "Missing, invalid or expired token"),
    )
)]
#[delete("/users/me/calendar-feed")]
pub async fn revoke_calendar_feed(
    AuthUser(user): AuthUser,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    db::write(&pool, move |conn| {
        service::revoke_calendar_feed(conn, user.id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A member's own calendar, by its secret URL (no sign-in): the meetups they organise or are
/// going to, from a month back on, cancelled ones marked as such, and the check-in day of each
/// of their accepted mentorships (an all-day event).
#[utoipa::path(
    tag = "meetups",
    params(("token" = String, Path, description = "The secret token of the URL (with or without `.ics`)")),
    responses(
        (status = 200, description = "An iCalendar object, one VEVENT per meetup", body = String, content_type = "text/calendar"),
        (status = 404, description = "Unknown, rotated or revoked URL"),
    )
)]
#[get("/calendar-feeds/{token}")]
pub async fn personal_calendar(
    token: web::Path<String>,
    pool: ReadPool,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let token = token.into_inner();
    let base_url = settings.web.base_url.clone();
    let check_in_after = chrono::Duration::days(i64::from(settings.mentorship.check_in_after_days));
    let body = db::read(&pool, Cost::Large, move |conn| {
        service::personal_calendar(conn, &token, check_in_after, &base_url)
    })
    .await?;
    let mut response = ics(body);
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("private, no-cache"),
    );
    Ok(response)
}

/// `?scope=` of an edit or a cancellation.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScopeQuery {
    /// `this` (default): this meetup only; `following`: this occurrence of a series and every
    /// later one.
    #[param(value_type = Option<service::Scope>, inline)]
    pub scope: Option<service::Scope>,
}
