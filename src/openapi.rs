//! The OpenAPI document, generated from the handlers' annotations and served at
//! `/api/v1/openapi.json`, with Swagger UI (bundled into the binary) at `/docs`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::error::Problem;
use crate::operations;
use crate::{accounts, meetups, mentorship, moderation, notifications, search, threads};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "devforum API",
        description = "Forum threads, mentorship, meetups, search and moderation for developer communities. \
                       Errors are RFC 9457 problem documents (`application/problem+json`) with a stable `code`.",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(
        operations::probes::health,
        operations::probes::ready,
        operations::metrics::metrics,
        accounts::routes::register,
        accounts::routes::verify_email,
        accounts::routes::login,
        accounts::routes::refresh,
        accounts::routes::logout,
        accounts::routes::request_password_reset,
        accounts::routes::confirm_password_reset,
        accounts::routes::get_me,
        accounts::routes::update_me,
        accounts::routes::get_user,
        accounts::routes::resend_verification,
        accounts::routes::change_password,
        accounts::routes::change_email,
        accounts::routes::undo_email_change,
        accounts::routes::list_sessions,
        accounts::routes::end_session,
        accounts::routes::logout_everywhere,
        accounts::routes::delete_me,
        accounts::routes::request_export,
        accounts::routes::download_export,
        threads::routes::list_tags,
        threads::routes::list_threads,
        threads::routes::create_thread,
        threads::routes::get_thread,
        threads::routes::update_thread,
        threads::routes::delete_thread,
        threads::routes::list_replies,
        threads::routes::create_reply,
        threads::routes::update_reply,
        threads::routes::delete_reply,
        threads::routes::vote_on_thread,
        threads::routes::vote_on_reply,
        threads::routes::preview_markdown,
        search::routes::search,
        mentorship::routes::get_my_profile,
        mentorship::routes::put_my_profile,
        mentorship::routes::list_mentors,
        mentorship::routes::get_mentor,
        mentorship::routes::create_request,
        mentorship::routes::list_requests,
        mentorship::routes::get_request,
        mentorship::routes::accept,
        mentorship::routes::decline,
        mentorship::routes::withdraw,
        mentorship::routes::complete,
        mentorship::routes::check_in,
        meetups::routes::create_meetup,
        meetups::routes::list_meetups,
        meetups::routes::get_meetup,
        meetups::routes::update_meetup,
        meetups::routes::cancel_meetup,
        meetups::routes::rsvp,
        meetups::routes::withdraw_rsvp,
        meetups::routes::attendees,
        meetups::routes::meetup_calendar,
        meetups::routes::upcoming_calendar,
        meetups::routes::rotate_calendar_feed,
        meetups::routes::revoke_calendar_feed,
        meetups::routes::personal_calendar,
        moderation::routes::create_report,
        moderation::routes::review_queue,
        moderation::routes::resolve_report,
        moderation::routes::dismiss_report,
        moderation::routes::hide_thread,
        moderation::routes::restore_thread,
        moderation::routes::hide_reply,
        moderation::routes::restore_reply,
        moderation::routes::hide_meetup,
        moderation::routes::restore_meetup,
        moderation::routes::lock_thread,
        moderation::routes::unlock_thread,
        moderation::routes::pin_thread,
        moderation::routes::unpin_thread,
        moderation::routes::suspend,
        moderation::routes::unsuspend,
        moderation::routes::set_role,
        moderation::routes::delete_user,
        moderation::routes::moderation_log,
        crate::trust::routes::pin_level,
        moderation::routes::file_appeal,
        moderation::routes::appeal_queue,
        moderation::routes::decide_appeal,
        moderation::routes::claim_report,
        moderation::routes::release_report,
        moderation::routes::bulk_resolve,
        moderation::routes::hide_member_content,
        moderation::routes::undo_action,
        notifications::routes::list_notifications,
        notifications::routes::unread_count,
        notifications::routes::mark_read,
        notifications::routes::mark_read_up_to,
        notifications::routes::stream,
        notifications::routes::get_subscription,
        notifications::routes::put_subscription,
        notifications::routes::get_tag_subscription,
        notifications::routes::put_tag_subscription,
        notifications::routes::block,
        notifications::routes::unblock,
        notifications::routes::get_settings,
        notifications::routes::patch_settings,
        notifications::routes::preview_unsubscribe,
        notifications::routes::unsubscribe,
    ),
    // Schemas only a query parameter refers to are not collected from the handlers.
    components(schemas(Problem, threads::domain::Sort)),
    modifiers(
        &BearerAuth,
        &BodyProblems,
        &AuthProblems,
        &StaffProblems,
        &QueryProblems,
        &UnavailableProblems
    ),
    tags(
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "accounts", description = "Registration, sessions, password reset and profiles"),
        (name = "threads", description = "Threads, replies, votes and tags"),
        (name = "search", description = "One search over threads, replies, meetups and mentors"),
        (name = "mentorship", description = "Mentor profiles, the directory, and mentorship requests"),
        (name = "meetups", description = "Meetups, RSVPs with waitlists, and iCalendar feeds"),
        (name = "moderation", description = "Reports, the review queue, moderation actions, roles and the log"),
        (name = "notifications", description = "The inbox, unread counts, and how members follow threads"),
    )
)]
pub struct ApiDoc;

/// Declares the `Authorization: Bearer <access_token>` scheme the operations refer to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer_auth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token from /api/v1/auth/login or /api/v1/auth/refresh",
                    ))
                    .build(),
            ),
        );
    }
}

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// A problem-document response with this description.
fn problem_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            crate::error::PROBLEM_CONTENT_TYPE,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

/// Adds `answers` to every operation `applies` accepts, leaving a response an operation
/// documents itself (with its own, more precise description) as it is.
fn add_responses(
    openapi: &mut utoipa::openapi::OpenApi,
    answers: &[(&str, &str)],
    applies: impl Fn(&str, &utoipa::openapi::path::Operation) -> bool,
) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            if !applies(path, operation) {
                continue;
            }
            for (status, description) in answers {
                operation
                    .responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| problem_response(description));
            }
        }
    }
}

/// Every operation that takes a JSON body can answer 400 (not JSON), 413 (too large), 415
/// (not `application/json`) and 422 (wrong shape or invalid fields); documenting them once
/// here keeps each handler's list about its own outcomes.
struct BodyProblems;

impl Modify for BodyProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let answers = [
            ("400", "The body is not valid JSON (`malformed_json`)"),
            (
                "413",
                "The body is larger than `server.json_limit` (`payload_too_large`)",
            ),
            (
                "415",
                "The body is not `application/json` (`unsupported_media_type`)",
            ),
            (
                "422",
                "The body has the wrong shape or invalid fields (`validation_failed`, each field \
                 named in `errors`)",
            ),
        ];
        add_responses(openapi, &answers, |_, operation| {
            operation.request_body.is_some()
        });
    }
}

/// Every operation that requires a bearer token answers 401 without a valid one.
struct AuthProblems;

impl Modify for AuthProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        add_responses(
            openapi,
            &[("401", "Missing or invalid token")],
            |_, operation| operation.security.as_ref().is_some_and(|s| !s.is_empty()),
        );
    }
}

/// Every operation with query parameters answers 400 when one is not of its type, and a
/// listing also when its cursor is not one it gave.
struct QueryProblems;

impl Modify for QueryProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        add_responses(
            openapi,
            &[(
                "400",
                "A query parameter is not of its type (`invalid_query`), or the cursor is not \
                 one this listing gave (`invalid_cursor`)",
            )],
            |_, operation| {
                operation.parameters.iter().flatten().any(|parameter| {
                    parameter.parameter_in == utoipa::openapi::path::ParameterIn::Query
                })
            },
        );
    }
}

/// Staff operations refuse everyone else: `/mod/*` needs a moderator or admin, `/admin/*` an
/// admin.
struct StaffProblems;

impl Modify for StaffProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        add_responses(
            openapi,
            &[("403", "Not a moderator (`insufficient_role`)")],
            |path, _| path.starts_with("/api/v1/mod/"),
        );
        add_responses(
            openapi,
            &[("403", "Not an admin (`insufficient_role`)")],
            |path, _| path.starts_with("/api/v1/admin/"),
        );
    }
}

/// Every API operation reads or writes the database, and answers 503 with `Retry-After`
/// while it cannot be reached (the probes document their own answers).
struct UnavailableProblems;

impl Modify for UnavailableProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        add_responses(
            openapi,
            &[(
                "503",
                "The database cannot be reached (`database_unavailable`); nothing was changed \
                 unless the problem says so; try again after `Retry-After` seconds",
            )],
            |path, _| path.starts_with("/api/"),
        );
    }
}
