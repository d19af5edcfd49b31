//! The public pages' handlers: each reads as a visitor, answers `304` when it can, and renders.
//! A signed-in member (the refresh cookie) asking for a page gets the web client instead.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{get, web, HttpRequest, HttpResponse};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use minijinja::context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::cache::PageCache;
use super::model::PageStamp;
use super::pages::{self, Head, HeadLink};
use super::service::{self, ThreadPage};
use super::sitemaps::{Sitemap, Sitemaps};
use super::urls::{Site, NAME};
use super::{feeds, jsonld};
use crate::accounts::browser::REFRESH_COOKIE;
use crate::config::Settings;
use crate::db::{self, Cost};
use crate::error::ApiError;
use crate::http::conditional::{Conditions, Validators};
use crate::http::web_client::{WebClient, CONTENT_SECURITY_POLICY};
use crate::ids::{MeetupId, ThreadId};
use crate::markdown;
use crate::reads::ReadPool;
use crate::tags::TagName;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(thread_short)
        .service(thread_page)
        .service(meetup_short)
        .service(meetup_page)
        .service(tag_page)
        .service(user_page)
        .service(latest_feed)
        .service(robots)
        .service(sitemap_index)
        .service(sitemap_file);
}

/// How long a visitor's browser or a cache may keep a page, and serve it stale while asking
/// again.
const PUBLIC: &str = "public, max-age=60, stale-while-revalidate=300";
/// Sitemaps and `robots.txt` change slowly.
const SLOW: &str = "public, max-age=600";
const HTML: &str = "text/html; charset=utf-8";
const ATOM: &str = "application/atom+xml; charset=utf-8";
const XML: &str = "application/xml; charset=utf-8";
/// Characters of a post in a page's description.
const DESCRIPTION_CHARS: usize = 160;

/// What every page handler needs besides the database.
struct Frame<'a> {
    site: Site,
    client: Option<&'a WebClient>,
}

impl<'a> Frame<'a> {
    fn new(settings: &Settings, client: &'a Option<WebClient>) -> Self {
        Frame {
            site: Site::new(&settings.web.base_url),
            client: client.as_ref(),
        }
    }

    fn assets(&self) -> &str {
        self.client.map_or("", WebClient::assets)
    }

    fn build(&self) -> &str {
        self.client.map_or("api", WebClient::build)
    }

    /// The web client, for a signed-in member: pages are for visitors.
    fn client_for(&self, req: &HttpRequest) -> Option<HttpResponse> {
        let signed_in = req.cookie(REFRESH_COOKIE).is_some();
        let client = self.client.filter(|_| signed_in)?;
        let mut answer = client.index(req);
        answer
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Cookie"));
        Some(answer)
    }

    fn not_found(&self) -> Result<HttpResponse, ApiError> {
        let mut head = Head::new("Not found", "There is nothing at this address.");
        head.noindex = true;
        let body = pages::render("not_found.html", &head, self.assets(), None, context! {})?;
        let mut builder = HttpResponse::NotFound();
        html_headers(&mut builder);
        Ok(builder.body(body))
    }

    /// `result`, or the HTML 404 page when it is `NotFound`.
    fn or_not_found(
        &self,
        result: Result<HttpResponse, ApiError>,
    ) -> Result<HttpResponse, ApiError> {
        match result {
            Err(ApiError::NotFound) => self.not_found(),
            other => other,
        }
    }
}

fn html_headers(builder: &mut actix_web::HttpResponseBuilder) {
    builder
        .content_type(HTML)
        .insert_header((header::CACHE_CONTROL, PUBLIC))
        .insert_header((header::VARY, "Cookie"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"));
}

/// A page or feed with its validators: `304` when the client holds it already.
fn answer(
    req: &HttpRequest,
    validators: &Validators,
    content_type: &'static str,
    cache_control: &'static str,
    body: String,
) -> HttpResponse {
    if validators.is_fresh(req) {
        return not_modified(validators, content_type, cache_control);
    }
    let mut builder = HttpResponse::Ok();
    if content_type == HTML {
        html_headers(&mut builder);
    } else {
        builder
            .content_type(content_type)
            .insert_header((header::CACHE_CONTROL, cache_control));
    }
    validators.apply(&mut builder);
    builder.body(body)
}

/// A page with its validators (after the conditional request was looked at).
fn page_answer(validators: &Validators, body: Bytes) -> HttpResponse {
    let mut builder = HttpResponse::Ok();
    html_headers(&mut builder);
    validators.apply(&mut builder);
    builder.body(body)
}

/// `304 Not Modified`; a page's says it varies with the cookie, as the page does.
fn not_modified(
    validators: &Validators,
    content_type: &'static str,
    cache_control: &'static str,
) -> HttpResponse {
    let mut answer = validators.not_modified(cache_control);
    if content_type == HTML {
        answer
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Cookie"));
    }
    answer
}

/// Validators from what a document says (feeds, tag and profile pages, sitemaps): it is
/// built, but not sent again.
fn validators_of(kind: &str, body: &str, last_modified: DateTime<Utc>) -> Validators {
    let digest = Sha256::digest(body.as_bytes());
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    Validators {
        tag: format!("{kind}.{hex}"),
        last_modified,
    }
}

fn moved(location: String) -> HttpResponse {
    HttpResponse::MovedPermanently()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .finish()
}

/// A path's id: a positive number, or nothing (`404`).
fn id_of(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().filter(|id| *id > 0)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    /// The page of replies, from 1 (50 a page).
    page: Option<String>,
}

impl PageQuery {
    /// The page asked for: 1 when absent, `None` when not a page number.
    fn number(&self) -> Option<i64> {
        match &self.page {
            None => Some(1),
            Some(text) => id_of(text),
        }
    }
}

/// A thread's page, as HTML (`{id}.atom`: its Atom feed).
#[utoipa::path(
    tag = "pages",
    params(("id" = String, Path, description = "The thread's id; `{id}.atom` is its Atom feed"), PageQuery),
    responses(
        (status = 200, description = "The thread's feed (`{id}.atom`)", content_type = "application/atom+xml", body = String),
        (status = 301, description = "To the thread's canonical URL, `/t/{id}/{slug}`"),
        (status = 304, description = "The copy the client holds is current"),
        (status = 404, description = "No such public thread", content_type = "text/html", body = String),
    )
)]
#[get("/t/{id}")]
pub async fn thread_short(
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
    pool: ReadPool,
    settings: web::Data<Settings>,
    client: web::Data<Option<WebClient>>,
) -> Result<HttpResponse, ApiError> {
    let frame = Frame::new(&settings, &client);
    let text = path.into_inner();
    if let Some(id) = text.strip_suffix(".atom") {
        let Some(id) = id_of(id) else {
            return frame.not_found();
        };
        let site = frame.site.clone();
        let result = db::read(&pool, Cost::Small, move |conn| {
            service::thread_feed(conn, ThreadId(id))
        })
        .await
        .map(|(thread, replies)| {
            let body = feeds::thread(&site, &thread, &replies).to_string();
            let updated = thread.last_activity_at.max(thread.updated_at);
            answer(
                &req,
                &validators_of("f", &body, updated),
                ATOM,
                PUBLIC,
                body,
            )
        });
        return frame.or_not_found(result);
    }
    if let Some(client) = frame.client_for(&req) {
        return Ok(client);
    }
    let (Some(id), Some(page)) = (id_of(&text), query.number()) else {
        return frame.not_found();
    };
    let result = db::read(&pool, Cost::Small, move |conn| {
        service::stamp(conn, ThreadId(id))
    })
    .await
    .map(|stamp| {
        let slug = crate::slugs::of(&stamp.title, "thread");
        moved(frame.site.thread_page(id, &slug, page))
    });
    frame.or_not_found(result)
}

/// The first data the web client would fetch for a thread page, embedded in it.
#[derive(Serialize)]
struct ThreadData<'a> {
    thread: &'a crate::threads::views::ThreadView,
    replies: &'a crate::pagination::Page<crate::threads::views::ReplyView>,
    page: i64,
}

/// A thread as HTML: its posts, 50 replies a page, with its metadata and structured data.
#[utoipa::path(
    tag = "pages",
    params(("id" = String, Path, description = "The thread's id"), ("slug" = String, Path, description = "Its slug; any other answers 301 to the canonical one"), PageQuery),
    responses(
        (status = 200, description = "The thread, readable without JavaScript", content_type = "text/html", body = String),
        (status = 301, description = "To the canonical URL (another slug)"),
        (status = 304, description = "The copy the client holds is current"),
        (status = 404, description = "No such public thread, or no such page", content_type = "text/html", body = String),
    )
)]
#[get("/t/{id}/{slug}")]
pub async fn thread_page(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    query: web::Query<PageQuery>,
    pool: ReadPool,
    settings: web::Data<Settings>,
    client: web::Data<Option<WebClient>>,
    cache: web::Data<PageCache>,
) -> Result<HttpResponse, ApiError> {
    let frame = Frame::new(&settings, &client);
    if let Some(client) = frame.client_for(&req) {
        return Ok(client);
    }
    let (id_text, slug) = path.into_inner();
    let (Some(id), Some(page)) = (id_of(&id_text), query.number()) else {
        return frame.not_found();
    };
    // One trip to the database: the validators from the activity row, and the page only
    // when the client's copy is not current.
    let conditions = Conditions::of(&req);
    let build = frame.build().to_string();
    let kept = cache.clone().into_inner();
    let outcome = db::read(&pool, Cost::Small, move |conn| {
        let stamp = service::stamp(conn, ThreadId(id))?;
        let canonical = crate::slugs::of(&stamp.title, "thread");
        if canonical != slug {
            return Ok(ThreadOutcome::Moved(canonical));
        }
        let validators = thread_validators(id, page, &build, &stamp);
        if validators.satisfies(&conditions) {
            return Ok(ThreadOutcome::Fresh(validators));
        }
        if let Some(body) = kept.get(&validators.tag) {
            return Ok(ThreadOutcome::Kept(validators, body));
        }
        let loaded = service::thread(conn, ThreadId(id), page)?;
        Ok(ThreadOutcome::Page(validators, Box::new(loaded)))
    })
    .await;
    let result = outcome.and_then(|outcome| match outcome {
        ThreadOutcome::Moved(canonical) => Ok(moved(frame.site.thread_page(id, &canonical, page))),
        ThreadOutcome::Fresh(validators) => Ok(not_modified(&validators, HTML, PUBLIC)),
        ThreadOutcome::Kept(validators, body) => Ok(page_answer(&validators, body)),
        ThreadOutcome::Page(validators, loaded) => {
            let body = Bytes::from(render_thread(&frame, &loaded, page)?);
            cache.keep(validators.tag.clone(), body.clone());
            Ok(page_answer(&validators, body))
        }
    });
    frame.or_not_found(result)
}

/// What a thread page's one trip to the database found.
enum ThreadOutcome {
    /// Another slug: to the canonical one.
    Moved(String),
    /// The client's copy is current.
    Fresh(Validators),
    /// Rendered for this ETag already (`cache`).
    Kept(Validators, Bytes),
    Page(Validators, Box<ThreadPage>),
}

/// A thread page's `ETag` (the page, the client's build, and what changes the page: last
/// activity, `changed_at`, the reply count, the thread's score) and `Last-Modified`.
fn thread_validators(id: i64, page: i64, build: &str, stamp: &PageStamp) -> Validators {
    Validators {
        tag: format!(
            "t{id}.{page}.{build}.{:x}.{:x}.{}.{}",
            stamp.last_activity_at.timestamp_micros(),
            stamp.changed_at.timestamp_micros(),
            stamp.reply_count,
            stamp.score
        ),
        last_modified: stamp.last_activity_at.max(stamp.changed_at),
    }
}

fn render_thread(frame: &Frame<'_>, loaded: &ThreadPage, page: i64) -> Result<String, ApiError> {
    let site = &frame.site;
    let thread = &loaded.thread;
    let id = thread.id.get();
    let page_url = site.thread_page(id, &thread.slug, page);
    let mut head = Head::new(
        if page > 1 {
            format!("{} (page {page})", thread.title)
        } else {
            thread.title.clone()
        },
        markdown::excerpt(&thread.body, DESCRIPTION_CHARS),
    );
    head.canonical = Some(page_url.clone());
    head.og_type = "article";
    head.image = first_image(&thread.body_html).map(|src| site.absolute(&src));
    head.links.push(HeadLink {
        rel: "alternate",
        href: site.thread_feed(id),
        media_type: Some("application/atom+xml"),
        title: Some(format!("Replies to {}", thread.title)),
    });
    let prev = (page > 1).then(|| site.thread_page(id, &thread.slug, page - 1));
    let next = (page < loaded.pages).then(|| site.thread_page(id, &thread.slug, page + 1));
    for (rel, href) in [("prev", &prev), ("next", &next)] {
        if let Some(href) = href {
            head.links.push(HeadLink {
                rel,
                href: href.clone(),
                media_type: None,
                title: None,
            });
        }
    }
    head.structured_data.push(jsonld::thread(
        site,
        thread,
        &loaded.replies.items,
        &page_url,
        loaded.accepted_text.as_deref(),
    ));
    let mut trail = Vec::new();
    if let Some(tag) = thread.tags.first() {
        trail.push((tag.as_str(), site.tag(tag)));
    }
    trail.push((thread.title.as_str(), site.thread(id, &thread.slug)));
    head.structured_data
        .push(jsonld::script_text(&jsonld::breadcrumbs(site, &trail)));
    let initial = serde_json::json!({ "thread": ThreadData {
        thread,
        replies: &loaded.replies,
        page,
    }});
    let solution_href = thread.solution.as_ref().map(|solution| {
        let on_this_page = loaded
            .replies
            .items
            .iter()
            .any(|r| r.id == solution.reply_id);
        if on_this_page {
            format!("#reply-{}", solution.reply_id)
        } else {
            format!(
                "{}#reply-{}",
                site.thread(id, &thread.slug),
                solution.reply_id
            )
        }
    });
    pages::render(
        "thread.html",
        &head,
        frame.assets(),
        Some(jsonld::script_text(&initial)),
        context! {
            thread,
            replies => loaded.replies.items.iter().map(ReplyItem::from).collect::<Vec<_>>(),
            page,
            pages => loaded.pages,
            prev,
            next,
            solution_href,
        },
    )
}

/// What the template shows of a reply (not its Markdown, which the page's data carries).
#[derive(Serialize)]
struct ReplyItem<'a> {
    id: i64,
    author: &'a crate::accounts::views::MemberSummary,
    created_at: DateTime<Utc>,
    body_html: &'a str,
}

impl<'a> From<&'a crate::threads::views::ReplyView> for ReplyItem<'a> {
    fn from(reply: &'a crate::threads::views::ReplyView) -> Self {
        ReplyItem {
            id: reply.id.get(),
            author: &reply.author,
            created_at: reply.created_at,
            body_html: &reply.body_html,
        }
    }
}

/// The first picture of a post's HTML (its `og:image`).
fn first_image(html: &str) -> Option<String> {
    let start = html.find("<img src=\"")? + "<img src=\"".len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].replace("&amp;", "&"))
}

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

/// What crawlers may read, and where the sitemap is.
#[utoipa::path(
    tag = "pages",
    responses((status = 200, description = "robots.txt", content_type = "text/plain", body = String))
)]
#[get("/robots.txt")]
pub async fn robots(settings: web::Data<Settings>) -> HttpResponse {
    let site = Site::new(&settings.web.base_url);
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, SLOW))
        .body(robots_txt(&site))
}

/// `robots.txt`: the API and the member-only parts of the client are not for crawlers.
pub fn robots_txt(site: &Site) -> String {
    format!(
        "User-agent: *\nDisallow: /api/\nDisallow: /settings\nDisallow: /mod\nDisallow: /admin\n\
         Disallow: /notifications\nDisallow: /search\n\nSitemap: {}\n",
        site.sitemap_index()
    )
}

/// The sitemap index.
#[utoipa::path(
    tag = "pages",
    responses(
        (status = 200, description = "A sitemap index of the threads' and meetups' sitemaps", content_type = "application/xml", body = String),
        (status = 304, description = "The copy the client holds is current"),
    )
)]
#[get("/sitemap.xml")]
pub async fn sitemap_index(
    req: HttpRequest,
    pool: ReadPool,
    settings: web::Data<Settings>,
    sitemaps: web::Data<Sitemaps>,
) -> Result<HttpResponse, ApiError> {
    sitemap(req, pool, settings, sitemaps, Sitemap::Index).await
}

/// One sitemap: `threads-{n}.xml` (at most 50,000 threads) or `meetups.xml`.
#[utoipa::path(
    tag = "pages",
    params(("file" = String, Path, description = "`threads-{n}.xml` or `meetups.xml`")),
    responses(
        (status = 200, description = "A sitemap", content_type = "application/xml", body = String),
        (status = 304, description = "The copy the client holds is current"),
        (status = 404, description = "No such sitemap"),
    )
)]
#[get("/sitemaps/{file}")]
pub async fn sitemap_file(
    req: HttpRequest,
    path: web::Path<String>,
    pool: ReadPool,
    settings: web::Data<Settings>,
    sitemaps: web::Data<Sitemaps>,
) -> Result<HttpResponse, ApiError> {
    let Some(which) = Sitemap::named(&path) else {
        return Err(ApiError::NotFound);
    };
    sitemap(req, pool, settings, sitemaps, which).await
}

async fn sitemap(
    req: HttpRequest,
    pool: ReadPool,
    settings: web::Data<Settings>,
    sitemaps: web::Data<Sitemaps>,
    which: Sitemap,
) -> Result<HttpResponse, ApiError> {
    let site = Site::new(&settings.web.base_url);
    let sitemaps = sitemaps.into_inner();
    let built = db::read(&pool, Cost::Large, move |conn| {
        sitemaps.get(conn, &site, &which)
    })
    .await?
    .ok_or(ApiError::NotFound)?;
    let validators = Validators {
        tag: built.etag.clone(),
        last_modified: built.last_modified,
    };
    Ok(answer(&req, &validators, XML, SLOW, built.xml.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_image_of_a_post_is_its_preview_picture() {
        assert_eq!(
            first_image(
                "<p>x</p><p><img src=\"/files/ab.png\" alt=\"shot\"></p><img src=\"/files/c.png\">"
            ),
            Some("/files/ab.png".into())
        );
        assert_eq!(
            first_image("<img src=\"https://x.example/a.png?a=1&amp;b=2\" alt=\"\">"),
            Some("https://x.example/a.png?a=1&b=2".into())
        );
        assert_eq!(first_image("<p>no picture</p>"), None);
    }

    #[test]
    fn robots_names_the_sitemap_and_keeps_crawlers_out_of_the_api() {
        let text = robots_txt(&Site::new("https://forum.example"));
        for line in [
            "Disallow: /api/",
            "Disallow: /settings",
            "Disallow: /mod",
            "Disallow: /admin",
        ] {
            assert!(text.lines().any(|l| l == line), "{line}");
        }
        assert!(text.ends_with("Sitemap: https://forum.example/sitemap.xml\n"));
    }

    #[test]
    fn page_numbers_are_positive() {
        let page = |p: Option<&str>| {
            PageQuery {
                page: p.map(str::to_string),
            }
            .number()
        };
        assert_eq!(page(None), Some(1));
        assert_eq!(page(Some("3")), Some(3));
        assert_eq!(page(Some("0")), None);
        assert_eq!(page(Some("-1")), None);
        assert_eq!(page(Some("x")), None);
    }
}
