//! The public pages' handlers: each reads as a visitor, answers `304` when it can, and renders
//! (the answers themselves are `respond.rs`'s). A signed-in member (the refresh cookie) asking
//! for a page gets the web client instead.

pub mod discovery;
pub mod lists;
pub mod meetups;
pub mod threads;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(threads::thread_short)
        .service(threads::thread_page)
        .service(meetups::meetup_short)
        .service(meetups::meetup_page)
        .service(lists::tag_page)
        .service(lists::user_page)
        .service(lists::latest_feed)
        .service(discovery::robots)
        .service(discovery::sitemap_index)
        .service(discovery::sitemap_file);
}
