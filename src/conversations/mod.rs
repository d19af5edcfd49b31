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
//! - **Writing** is one statement: the message if the author is in the conversation and
//!   someone in it takes it (`model::post`; the rule's SQL twin), the conversation's and each
//!   member's last activity, the author's reading position, and a job with the message's id.
//! - **Notifications.** That job tells the others with a `message` notification that groups
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

pub const FEATURE: Feature = Feature::api(Doc::openapi, routes::configure, jobs);

#[derive(OpenApi)]
#[openapi(tags((
    name = "conversations",
    description = "Private conversations between members"
)))]
struct Doc;

/// A message's readers are told by a job, never in the request.
fn jobs(
    _: &crate::config::Settings,
    registry: &mut crate::jobs::JobRegistry,
) -> anyhow::Result<()> {
    registry.add::<service::NotifyMessage>(());
    Ok(())
}
