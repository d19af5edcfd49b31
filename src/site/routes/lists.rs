//! Pages and feeds of many threads: a tag's (`/tags/{name}`, `.atom`), a member's profile
//! (`/u/{username}`) and the latest (`/latest.atom`).

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::DateTime;
use minijinja::context;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::config::Settings;
use crate::db::{self, Cost};
use crate::error::ApiError;
use crate::http::web_client::WebClient;
use crate::markdown;
use crate::reads::ReadPool;
use crate::site::pages::{self, Head, HeadLink};
use crate::site::respond::{answer, validators_of, Frame, ATOM, DESCRIPTION_CHARS, HTML, PUBLIC};
use crate::site::service::{self};
use crate::site::urls::{Site, NAME};
use crate::site::{feeds, jsonld};
use crate::tags::TagName;

#[derive(Debug, Deserialize, IntoParams)]
pub struct CursorQuery {
    /// Where the previous page ended.
    cursor: Option<String>,
}

/// A tag's newest threads as HTML (`{name}.atom`: their Atom feed).
#[utoipa::path(
    tag = "pages",
    params(("name" = String, Path, description = "The tag; `{name}.atom` is its Atom feed"), CursorQuery),
    responses(
        (status = 200, description = "The tag's newest threads", content_type = "text/html", body = String),
        (status = 304, description = "The copy the client holds is current"),
        (status = 404, description = "No public thread has this tag", content_type = "text/html", body = String),
    )
)]
#[get("/tags/{name}")]
pub async fn tag_page(
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<CursorQuery>,
    pool: ReadPool,
    settings: web::Data<Settings>,
    client: web::Data<Option<WebClient>>,
) -> Result<HttpResponse, ApiError> {
    let frame = Frame::new(&settings, &client);
    let text = path.into_inner();
    let (name, feed) = match text.strip_suffix(".atom") {
        Some(name) => (name.to_string(), true),
        None => (text, false),
    };
    if !feed {
        if let Some(client) = frame.client_for(&req) {
            return Ok(client);
        }
    }
    let Ok(tag) = TagName::parse(&name) else {
        return frame.not_found();
    };
    let cursor = if feed {
        None
    } else {
        query.into_inner().cursor.filter(|c| !c.is_empty())
    };
    let tag_name = tag.as_str().to_string();
    let limit = if feed {
        feeds::LIST_ENTRIES
    } else {
        service::THREADS_PER_PAGE
    };
    let listed = {
        let cursor = cursor.clone();
        let tag_name = tag_name.clone();
        db::read(&pool, Cost::Small, move |conn| {
            service::newest_threads(conn, Some(&tag_name), None, cursor.as_deref(), limit)
        })
        .await?
    };
    if listed.items.is_empty() && cursor.is_none() {
        return frame.not_found();
    }
    let site = &frame.site;
    let newest = listed
        .items
        .iter()
        .map(|t| t.last_activity_at)
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH);
    if feed {
        let body = feeds::threads(
            site,
            &format!("#{tag_name} on {NAME}"),
            site.tag(&tag_name),
            site.tag_feed(&tag_name),
            &listed.items,
        )
        .to_string();
        return Ok(answer(
            &req,
            &validators_of("f", &body, newest),
            ATOM,
            PUBLIC,
            body,
        ));
    }
    let mut head = Head::new(
        format!("#{tag_name}"),
        format!("The newest threads tagged {tag_name} on {NAME}."),
    );
    head.canonical = Some(site.tag(&tag_name));
    head.noindex = cursor.is_some();
    head.links.push(HeadLink {
        rel: "alternate",
        href: site.tag_feed(&tag_name),
        media_type: Some("application/atom+xml"),
        title: Some(format!("Threads tagged {tag_name}")),
    });
    let next = listed.next_cursor.as_ref().map(|c| {
        format!(
            "/tags/{tag_name}?cursor={}",
            url::form_urlencoded::byte_serialize(c.as_bytes()).collect::<String>()
        )
    });
    head.structured_data
        .push(jsonld::script_text(&jsonld::breadcrumbs(
            site,
            &[(format!("#{tag_name}").as_str(), site.tag(&tag_name))],
        )));
    let body = pages::render(
        "tag.html",
        &head,
        frame.assets(),
        None,
        context! { tag => &tag_name, threads => &listed.items, next },
    )?;
    Ok(answer(
        &req,
        &validators_of("g", &body, newest),
        HTML,
        PUBLIC,
        body,
    ))
}

/// A member's public profile and newest threads, as HTML.
#[utoipa::path(
    tag = "pages",
    params(("username" = String, Path, description = "The member's username")),
    responses(
        (status = 200, description = "The member's public profile", content_type = "text/html", body = String),
        (status = 304, description = "The copy the client holds is current"),
        (status = 404, description = "No such member", content_type = "text/html", body = String),
    )
)]
#[get("/u/{username}")]
pub async fn user_page(
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
    let username = path.into_inner();
    let loaded = db::read(&pool, Cost::Small, move |conn| {
        service::member(conn, &username)
    })
    .await;
    let result = loaded.and_then(|(user, threads)| {
        let site = &frame.site;
        let name = user
            .display_name
            .clone()
            .unwrap_or_else(|| user.username.clone());
        let url = site.profile(&user.username);
        let description = if user.bio.is_empty() {
            format!("{name} on {NAME}.")
        } else {
            markdown::excerpt(&user.bio, DESCRIPTION_CHARS)
        };
        let mut head = Head::new(format!("{name} (@{})", user.username), description);
        head.canonical = Some(url.clone());
        head.og_type = "profile";
        head.image = user.avatar_url.as_deref().map(|src| site.absolute(src));
        head.structured_data
            .push(jsonld::script_text(&serde_json::json!({
                "@context": "https://schema.org",
                "@type": "ProfilePage",
                "dateCreated": user.created_at,
                "mainEntity": {
                    "@type": "Person",
                    "name": name,
                    "alternateName": user.username,
                    "url": url,
                    "description": user.bio,
                    "knowsAbout": user.skills,
                },
            })));
        let newest = threads
            .iter()
            .map(|t| t.last_activity_at)
            .max()
            .unwrap_or(user.created_at);
        let body = pages::render(
            "user.html",
            &head,
            frame.assets(),
            Some(jsonld::script_text(&serde_json::json!({
                "profile": { "user": &user, "threads": &threads },
            }))),
            context! { user => &user, threads => &threads },
        )?;
        Ok(answer(
            &req,
            &validators_of("u", &body, newest),
            HTML,
            PUBLIC,
            body,
        ))
    });
    frame.or_not_found(result)
}

/// The newest threads, as an Atom feed.
#[utoipa::path(
    tag = "pages",
    responses(
        (status = 200, description = "The newest public threads", content_type = "application/atom+xml", body = String),
        (status = 304, description = "The copy the client holds is current"),
    )
)]
#[get("/latest.atom")]
pub async fn latest_feed(
    req: HttpRequest,
    pool: ReadPool,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let site = Site::new(&settings.web.base_url);
    let listed = db::read(&pool, Cost::Small, move |conn| {
        service::newest_threads(conn, None, None, None, feeds::LIST_ENTRIES)
    })
    .await?;
    let body = feeds::threads(
        &site,
        &format!("Latest threads on {NAME}"),
        site.home(),
        site.latest_feed(),
        &listed.items,
    )
    .to_string();
    let newest = listed
        .items
        .iter()
        .map(|t| t.last_activity_at)
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH);
    Ok(answer(
        &req,
        &validators_of("f", &body, newest),
        ATOM,
        PUBLIC,
        body,
    ))
}
