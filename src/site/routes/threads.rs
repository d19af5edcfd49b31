//! A thread's page (`/t/{id}/{slug}`, 50 replies a page), its short URL and its feed (`/t/{id}.atom`).

use actix_web::{get, web, HttpRequest, HttpResponse};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use minijinja::context;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::config::Settings;
use crate::db::{self, Cost};
use crate::error::ApiError;
use crate::http::conditional::{Conditions, Validators};
use crate::http::web_client::WebClient;
use crate::ids::ThreadId;
use crate::markdown;
use crate::reads::ReadPool;
use crate::site::cache::PageCache;
use crate::site::model::PageStamp;
use crate::site::pages::{self, Head, HeadLink};
use crate::site::respond::{
    answer, first_image, id_of, moved, not_modified, page_answer, validators_of, Frame, ATOM,
    DESCRIPTION_CHARS, HTML, PUBLIC,
};
use crate::site::service::{self, ThreadPage};
use crate::site::{feeds, jsonld};

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

#[cfg(test)]
mod tests {
    use super::*;

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
