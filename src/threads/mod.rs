//! The forum itself: threads, replies, votes and tags.
//!
//! # The forum
//!
//! - **Counters under concurrency.** What every reply changes (`reply_count`,
//!   `last_activity_at`) lives in `thread_activity`, a narrow row beside the thread's with two
//!   indexes, so a reply never rewrites the wide `threads` row and its six. Counting a reply is
//!   one relative `UPDATE` of that row, which also returns the thread's switches (copied there
//!   by a trigger on `threads`, so moderation's changes take the same row lock and are ordered
//!   with replies). Votes, edits and moderation lock both rows (`FOR NO KEY UPDATE`, thread
//!   first) and move `score` with relative updates. Votes are one row per (member, target), so
//!   a repeated vote changes nothing.
//! - **Tag counts** live in `tags` and are kept by a trigger on `threads` that compares the
//!   visible tags before and after each write; hiding, deleting and re-tagging all go through it.
//! - **Listings** are keyset-paginated: the cursor is the sort key of the last row served
//!   (`(pinned, created_at, id)`, the activity row's `(pinned, last_activity_at, thread_id)`
//!   or `(score, id)`), compared as
//!   a row value so each page is one range scan of a partial index over live (not deleted)
//!   threads; the public's queries skip the few hidden rows as they read them, and staff, who
//!   see those, use the same index. `NOT hidden` is written into the SQL, never bound as
//!   `hidden = $n`: a generic plan cannot use a partial index that says `NOT hidden` (the
//!   inbox's do) with a bound value, and PostgreSQL then plans the statement on every execution.
//!   For the same reason the thread list's `LIMIT` is written in (`sql::literal_limit`): a
//!   generic plan of `LIMIT $1` is costed as if a tenth of the table were read.
//!   New threads never shift a page; a cursor from another listing or garbage is a 400.
//! - **Visibility.** Deleted threads and replies are 404 for everyone; hidden ones are 404 for
//!   members and shown to staff with `hidden: true`; a reply is seen only with its thread.
//!   `src/visibility.rs` decides it for every kind of content (`Audience`, `Flags`, `can_see`),
//!   and gives the same rule as diesel conditions (`public_threads`, …) for listings and the
//!   search guard, and as SQL text for the rebuild's source queries; a test checks that the tag
//!   count trigger counts exactly what `public_threads` shows.

pub mod domain;
pub mod model;
pub mod rendering;
pub mod routes;
pub mod rules;
pub mod service;
pub mod views;

use utoipa::OpenApi;

use crate::config::Settings;
use crate::feature::Feature;
use crate::jobs::JobRegistry;

pub const FEATURE: Feature = Feature::api(Doc::openapi, routes::configure, jobs);

/// A post's code highlighting and preview cards are added by a job (`rendering`), never in
/// the request.
fn jobs(settings: &Settings, registry: &mut JobRegistry) -> anyhow::Result<()> {
    registry.add::<rendering::RenderPost>(crate::oneboxes::Previews::new(settings));
    Ok(())
}

/// `Sort` and `ThreadStatus` are named only by query parameters, which do not collect their
/// schemas.
#[derive(OpenApi)]
#[openapi(
    tags((name = "threads", description = "Threads, replies, votes and tags")),
    components(schemas(
        domain::Sort,
        domain::ThreadStatus,
        domain::ReadFilter,
        crate::tags::TagFilterSchema
    ))
)]
struct Doc;
