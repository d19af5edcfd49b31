//! A meetup's page (`/m/{id}/{slug}`) and its short URL.

use actix_web::{get, web, HttpRequest, HttpResponse};
use minijinja::context;

use crate::config::Settings;
use crate::db::{self, Cost};
use crate::error::ApiError;
use crate::http::conditional::Validators;
use crate::http::web_client::WebClient;
use crate::ids::MeetupId;
use crate::markdown;
use crate::reads::ReadPool;
use crate::site::jsonld;
use crate::site::pages::{self, Head};
use crate::site::respond::{
    answer, first_image, id_of, moved, not_modified, Frame, DESCRIPTION_CHARS, HTML, PUBLIC,
};
use crate::site::service::{self};

/// A meetup's short URL: `301` to its page.
#[utoipa::path(
    tag = "pages",
    params(("id" = String, Path, description = "The meetup's id")),
    responses(
        (status = 301, description = "To the meetup's canonical URL, `/m/{id}/{slug}`"),
        (status = 404, description = "No such public meetup", content_type = "text/html", body = String),
    )
)]
#[get("/m/{id}")]
pub async fn meetup_short(
    req: HttpRequest,
    path: web::Path<String>,
    pool: ReadPool,
    settings: web::Data<Settings>,
    client: web::Data<Option<WebClient>>,
) -> Result<HttpResponse, ApiError> {
    let frame = Frame::new(&settings, &client);
    if let Some(client) = frame.client_for(&req) {
        return Ok(client);
    }
    let Some(id) = id_of(&path) else {
        return frame.not_found();
    };
    let result = db::read(&pool, Cost::Small, move |conn| {
        service::meetup(conn, MeetupId(id))
    })
    .await
    .map(|meetup| moved(frame.site.meetup(id, &meetup.slug)));
    frame.or_not_found(result)
}

/// A meetup as HTML, with its `Event` structured data.
#[utoipa::path(
    tag = "pages",
    params(("id" = String, Path, description = "The meetup's id"), ("slug" = String, Path, description = "Its slug; any other answers 301 to the canonical one")),
    responses(
        (status = 200, description = "The meetup, readable without JavaScript", content_type = "text/html", body = String),
        (status = 301, description = "To the canonical URL (another slug)"),
        (status = 304, description = "The copy the client holds is current"),
        (status = 404, description = "No such public meetup", content_type = "text/html", body = String),
    )
)]
#[get("/m/{id}/{slug}")]
pub async fn meetup_page(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    pool: ReadPool,
    settings: web::Data<Settings>,
    client: web::Data<Option<WebClient>>,
) -> Result<HttpResponse, ApiError> {
    let frame = Frame::new(&settings, &client);
    if let Some(client) = frame.client_for(&req) {
        return Ok(client);
    }
    let (id_text, slug) = path.into_inner();
    let Some(id) = id_of(&id_text) else {
        return frame.not_found();
    };
    let loaded = db::read(&pool, Cost::Small, move |conn| {
        service::meetup(conn, MeetupId(id))
    })
    .await;
    let result = loaded.and_then(|meetup| {
        if meetup.slug != slug {
            return Ok(moved(frame.site.meetup(id, &meetup.slug)));
        }
        let validators = Validators {
            tag: format!(
                "m{id}.{}.{:x}.{}.{}.{}",
                frame.build(),
                meetup.updated_at.timestamp_micros(),
                meetup.going_count,
                meetup.waitlist_count,
                meetup.status.as_str()
            ),
            last_modified: meetup.updated_at,
        };
        if validators.is_fresh(&req) {
            return Ok(not_modified(&validators, HTML, PUBLIC));
        }
        let site = &frame.site;
        let url = site.meetup(id, &meetup.slug);
        let mut head = Head::new(
            meetup.title.clone(),
            markdown::excerpt(&meetup.description, DESCRIPTION_CHARS),
        );
        head.canonical = Some(url.clone());
        head.image = first_image(&meetup.description_html).map(|src| site.absolute(&src));
        head.structured_data
            .push(jsonld::script_text(&jsonld::event(site, &meetup)));
        head.structured_data
            .push(jsonld::script_text(&jsonld::breadcrumbs(
                site,
                &[
                    ("Meetups", format!("{}meetups", site.home())),
                    (meetup.title.as_str(), url),
                ],
            )));
        let when = jsonld::local_time(meetup.starts_at, &meetup.timezone);
        let human = meetup_when(&meetup);
        let initial = serde_json::json!({ "meetup": &meetup });
        let body = pages::render(
            "meetup.html",
            &head,
            frame.assets(),
            Some(jsonld::script_text(&initial)),
            context! { meetup => &meetup, starts_local => when, when => human },
        )?;
        Ok(answer(&req, &validators, HTML, PUBLIC, body))
    });
    frame.or_not_found(result)
}

/// When a meetup is, in its own zone: `Thu 10 Dec 2026, 19:00–21:00`.
fn meetup_when(meetup: &crate::meetups::views::MeetupView) -> String {
    let zone = meetup
        .timezone
        .parse::<chrono_tz::Tz>()
        .unwrap_or(chrono_tz::UTC);
    let starts = meetup.starts_at.with_timezone(&zone);
    let ends = meetup.ends_at.with_timezone(&zone);
    if starts.date_naive() == ends.date_naive() {
        format!(
            "{}–{}",
            starts.format("%a %-d %b %Y, %H:%M"),
            ends.format("%H:%M")
        )
    } else {
        format!(
            "{} – {}",
            starts.format("%a %-d %b %Y, %H:%M"),
            ends.format("%a %-d %b %Y, %H:%M")
        )
    }
}
