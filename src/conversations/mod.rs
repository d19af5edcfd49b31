//! Private conversations: members talk to each other (2 to 11 of them) without sharing
//! addresses, and an accepted mentorship request opens its pair's conversation.
//!
//! - **Who sees.** Only members present in a conversation see it or its messages: anyone
//!   else, staff included, gets `404`. Staff see a reported message alone, through the report
//!   (moderation asks `service::reported_message`, and logs each time it is shown).
//! - **Who may write** (`rules`): a new conversation needs every member named to take
//!   messages from the sender (their `messages` setting — `everyone`, `connections`,
//!   `nobody` — and no block); in a conversation going on, a message goes while someone in
//!   it takes it. The refusal is one, `403 cannot_message`, whatever the reason.
//! - **Inbox.** Each participant's row carries the conversation's last activity, so the
//!   inbox is one range of `conversation_participants_inbox`; unread counts are the others'
//!   messages after the member's reading position.
//! - **Notifications.** A message tells the others with a `message` notification that groups
//!   per conversation until read (as replies per thread), mails as their settings say, and
//!   reaches open pages over the notification stream.

pub mod domain;
pub mod model;
pub mod routes;
pub mod rules;
pub mod service;
pub mod views;

use utoipa::OpenApi;

use crate::feature::Feature;

pub const FEATURE: Feature = Feature::api(Doc::openapi, routes::configure, no_jobs);

#[derive(OpenApi)]
#[openapi(tags((
    name = "conversations",
    description = "Private conversations between members"
)))]
struct Doc;

fn no_jobs(_: &crate::config::Settings, _: &mut crate::jobs::JobRegistry) -> anyhow::Result<()> {
    Ok(())
}
