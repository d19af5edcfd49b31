//! Moderation and administration: reports and the review queue, hiding and restoring
//! content, locking and pinning threads, suspensions, roles, and the append-only log every
//! action writes to in its own transaction.
//!
//! # Moderation
//!
//! - **One transaction per action, logged inside it.** Hiding, restoring, locking, pinning,
//!   suspending, role changes and report decisions each lock their target row, act, and append
//!   to `moderation_log` in the same transaction: an action without its record (or the reverse)
//!   cannot be committed. The log is append-only in the database itself: triggers refuse
//!   `UPDATE`, `DELETE` and `TRUNCATE` on it whoever connects.
//! - **Hidden means hidden.** Threads, replies and meetups carry `hidden`; every member-facing
//!   read (GET, lists, replies of a thread, calendars, RSVPs, search's query-time guard and its
//!   loaders) leaves hidden rows out, and staff see them marked `hidden: true`. Hiding a thread
//!   re-syncs its replies' search documents; hiding a reply adjusts its thread's `reply_count`.
//!   The author is emailed with the reason.
//! - **Reports.** One open report per reporter and target (partial unique index; a lost race maps
//!   to the same `409 report_exists`); only targets the reporter can see can be reported (404
//!   otherwise). When a target's open reports reach `moderation.auto_hide_reports` (default 3,
//!   0 = off) it is hidden in the report's transaction, logged with no actor (the system). The
//!   queue is oldest first, each report with the target as staff see it now and the target's
//!   open-report count. Resolving (with `hide` or `none`) closes the target's other open reports
//!   too unless `resolve_others: false`.
//! - **Who acts on whom** (`moderation::rules`): nobody suspends themselves or an admin; only
//!   admins suspend moderators; demoting the last admin is `409 last_admin` (all admin rows are
//!   locked while counting, so two demotions cannot both pass). Suspensions end by themselves
//!   at `until`: `User::is_suspended_at` compares with the clock on every request.
//! - **Authorization matrix.** `tests/api/moderation.rs` checks every moderation and admin
//!   operation against anonymous, member, moderator and admin callers from one table, and checks
//!   that table against the operations the OpenAPI document lists.

pub mod domain;
pub mod model;
pub mod routes;
pub mod rules;
pub mod service;
pub mod views;

use utoipa::OpenApi;

use crate::feature::{no_jobs, Feature};

pub const FEATURE: Feature = Feature::api(Doc::openapi, routes::configure, no_jobs);

#[derive(OpenApi)]
#[openapi(tags((
    name = "moderation",
    description = "Reports, the review queue, moderation actions, roles and the log"
)))]
struct Doc;
