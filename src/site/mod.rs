//! Public pages: what search engines, link unfurlers and feed readers read, at the root of the
//! site (`API.md`, "Public pages for search engines, link previews and feed readers").
//!
//! - `/t/{id}/{slug}` (a thread, 50 replies a page), `/m/{id}/{slug}` (a meetup), `/tags/{name}`
//!   and `/u/{username}` are server-rendered HTML (`pages.rs`, minijinja) readable without
//!   JavaScript, with a canonical link, Open Graph and Twitter card tags and schema.org
//!   JSON-LD (`jsonld.rs`). They load the web client's build, which takes over in a browser
//!   from the JSON embedded in the page (`#initial-data`), without fetching it again.
//!   A slug is derived from the title (`crate::slugs`), never trusted: any other answers `301`.
//! - `/robots.txt`, `/sitemap.xml` and `/sitemaps/…` (`sitemaps.rs`), Atom feeds
//!   (`feeds.rs`): `/latest.atom`, `/tags/{name}.atom`, `/t/{id}.atom`. The handlers are
//!   `routes/`, one file per kind of page, answering through `respond.rs`.
//! - A visitor gets `Cache-Control: public, max-age=60, stale-while-revalidate=300`, an `ETag`
//!   and `Last-Modified`, and `304` to a matching conditional request; a thread page's come
//!   from its activity row alone (`thread_activity.changed_at`, kept by triggers), so a `304`
//!   costs one primary-key read, and a page rendered for that ETag is kept (`cache.rs`). A
//!   signed-in member (the refresh cookie) gets the web client as for any of its routes.
//! - Only what the public sees is anywhere here: a hidden or deleted thread, reply or meetup
//!   is `404` and in no sitemap or feed, and no email address is ever shown.

pub mod cache;
pub mod feeds;
pub mod jsonld;
pub mod model;
pub mod pages;
pub mod respond;
pub mod routes;
pub mod service;
pub mod sitemaps;
pub mod urls;

use utoipa::OpenApi;

use crate::feature::{no_jobs, Feature, Mount};

pub const FEATURE: Feature = Feature {
    mount: Mount::Root,
    doc: Doc::openapi,
    routes: routes::configure,
    jobs: no_jobs,
};

#[derive(OpenApi)]
#[openapi(tags((name = "pages", description = "Public pages for search engines, link previews and feed readers: server-rendered HTML, sitemaps and Atom feeds")))]
struct Doc;
