//! Webhooks' types and the parsing of what an admin sends.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::validation::{self, Validator};

crate::text_enum! {
    /// What happened (the contract's list).
    #[derive(Serialize, Deserialize, ToSchema)]
    pub enum EventType ("event type") {
        #[serde(rename = "thread.created")]
        ThreadCreated => "thread.created",
        #[serde(rename = "reply.created")]
        ReplyCreated => "reply.created",
        #[serde(rename = "thread.solved")]
        ThreadSolved => "thread.solved",
        #[serde(rename = "mentorship.requested")]
        MentorshipRequested => "mentorship.requested",
        #[serde(rename = "mentorship.accepted")]
        MentorshipAccepted => "mentorship.accepted",
        #[serde(rename = "meetup.created")]
        MeetupCreated => "meetup.created",
        #[serde(rename = "meetup.cancelled")]
        MeetupCancelled => "meetup.cancelled",
        /// Staff hooks only.
        #[serde(rename = "report.created")]
        ReportCreated => "report.created",
        /// Staff hooks only.
        #[serde(rename = "moderation.action")]
        ModerationAction => "moderation.action",
        /// Sent by `POST /admin/webhooks/{id}/test`.
        #[serde(rename = "ping")]
        Ping => "ping",
    }
}

impl EventType {
    /// Events about staff work: only hooks an admin marked `staff` may listen to them.
    pub fn is_for_staff(self) -> bool {
        matches!(self, EventType::ReportCreated | EventType::ModerationAction)
    }
}

crate::text_enum! {
    /// How a delivery's body is written.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum Format ("webhook format") {
        /// `{type, timestamp, data}`, signed as Standard Webhooks says.
        Standard => "standard",
        /// A Discord webhook's message (an embed).
        Discord => "discord",
        /// A Slack incoming webhook's message (Block Kit, with `text` for notifications).
        Slack => "slack",
    }
}

crate::text_enum! {
    /// Where a delivery is.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum DeliveryStatus ("delivery status") {
        /// Waiting for its (next) attempt.
        Pending => "pending",
        /// A `2xx` answer.
        Delivered => "delivered",
        /// Given up: out of time, refused for good, or its hook was turned off.
        Failed => "failed",
    }
}

crate::text_enum! {
    /// Why devforum turned a hook off by itself.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum DisabledReason ("disabled reason") {
        /// The receiver answered `410 Gone`.
        Gone => "gone",
        /// Its deliveries failed for a day without a success.
        Failing => "failing",
    }
}

/// A hook as an admin describes it, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct HookInput {
    pub url: String,
    pub events: Vec<EventType>,
    pub format: Format,
    pub active: bool,
    pub staff: bool,
    pub description: String,
}

/// A change to a hook; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HookChanges {
    pub url: Option<String>,
    pub events: Option<Vec<EventType>>,
    pub format: Option<Format>,
    pub active: Option<bool>,
    pub staff: Option<bool>,
    pub description: Option<String>,
}

/// A target URL: absolute `http(s)` with a host, no credentials, at most 2,000 characters.
/// (Whether its addresses may be reached is the outbound client's rule, checked apart.)
pub fn parse_url(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.chars().count() > 2000 {
        return Err("must be a URL of 1 to 2000 characters".into());
    }
    let url = url::Url::parse(raw).map_err(|_| "must be an absolute URL".to_string())?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err("must be an https URL".into());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("must name a host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password".into());
    }
    Ok(url.to_string())
}

/// The events a hook listens to: one or more known names, each once (`ping` is implied).
pub fn parse_events(raw: &[String]) -> Result<Vec<EventType>, String> {
    if raw.is_empty() {
        return Err("must name at least one event".into());
    }
    let mut events = Vec::new();
    for name in raw {
        let event: EventType = name
            .parse()
            .map_err(|_| format!("{name:?} is not an event"))?;
        if events.contains(&event) {
            return Err(format!("names {name:?} twice"));
        }
        events.push(event);
    }
    Ok(events)
}

/// What `POST /admin/webhooks` sends, checked: every bad field named in one `422`.
pub fn parse_new(
    url: Option<&str>,
    events: Option<&[String]>,
    format: Option<&str>,
    active: Option<bool>,
    staff: Option<bool>,
    description: Option<&str>,
) -> Result<HookInput, crate::error::ApiError> {
    let mut v = Validator::new();
    let url = v.require("url", url, parse_url);
    let events = match events {
        Some(raw) => v.check("events", parse_events(raw)),
        None => {
            v.add("events", "is required".into());
            None
        }
    };
    let format = v.require("format", format, parse_format);
    let description = v.check(
        "description",
        validation::text(description.unwrap_or(""), 0, 200, false),
    );
    let staff = staff.unwrap_or(false);
    if let Some(events) = &events {
        if let Err(message) = staff_events_need_staff(events, staff) {
            v.add("events", message);
        }
    }
    v.finish()?;
    Ok(HookInput {
        url: validation::validated(url)?,
        events: validation::validated(events)?,
        format: validation::validated(format)?,
        active: active.unwrap_or(true),
        staff,
        description: validation::validated(description)?,
    })
}

/// What `PATCH /admin/webhooks/{id}` sends, checked (the staff rule is checked against the
/// hook as it will be, in the service).
pub fn parse_changes(
    url: Option<&str>,
    events: Option<&[String]>,
    format: Option<&str>,
    active: Option<bool>,
    staff: Option<bool>,
    description: Option<&str>,
) -> Result<HookChanges, crate::error::ApiError> {
    let mut v = Validator::new();
    let changes = HookChanges {
        url: url.and_then(|raw| v.check("url", parse_url(raw))),
        events: events.and_then(|raw| v.check("events", parse_events(raw))),
        format: format.and_then(|raw| v.check("format", parse_format(raw))),
        active,
        staff,
        description: description
            .and_then(|raw| v.check("description", validation::text(raw, 0, 200, false))),
    };
    v.finish()?;
    Ok(changes)
}

fn parse_format(raw: &str) -> Result<Format, String> {
    raw.parse()
        .map_err(|_| "must be standard, discord or slack".to_string())
}

/// `report.created` and `moderation.action` go only to hooks an admin marked `staff`.
pub fn staff_events_need_staff(events: &[EventType], staff: bool) -> Result<(), String> {
    match events.iter().find(|e| e.is_for_staff()) {
        Some(event) if !staff => Err(format!(
            "{event} carries staff work: only a hook marked staff may listen to it"
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_hook_needs_an_http_url_known_events_once_and_a_format() {
        let hook = parse_new(
            Some(" https://example.com/hook "),
            Some(&names(&["thread.created", "reply.created"])),
            Some("discord"),
            None,
            None,
            None,
        )
        .expect("valid");
        assert_eq!(hook.url, "https://example.com/hook");
        assert_eq!(
            hook.events,
            vec![EventType::ThreadCreated, EventType::ReplyCreated]
        );
        assert!(hook.active && !hook.staff);
        for (url, events, format, field) in [
            (None, Some(names(&["ping"])), Some("standard"), "url"),
            (
                Some("ftp://example.com"),
                Some(names(&["ping"])),
                Some("standard"),
                "url",
            ),
            (
                Some("https://u:p@example.com"),
                Some(names(&["ping"])),
                Some("standard"),
                "url",
            ),
            (
                Some("/relative"),
                Some(names(&["ping"])),
                Some("standard"),
                "url",
            ),
            (
                Some("https://example.com"),
                None,
                Some("standard"),
                "events",
            ),
            (
                Some("https://example.com"),
                Some(names(&[])),
                Some("standard"),
                "events",
            ),
            (
                Some("https://example.com"),
                Some(names(&["thread.deleted"])),
                Some("standard"),
                "events",
            ),
            (
                Some("https://example.com"),
                Some(names(&["ping", "ping"])),
                Some("standard"),
                "events",
            ),
            (
                Some("https://example.com"),
                Some(names(&["report.created"])),
                Some("standard"),
                "events",
            ),
            (
                Some("https://example.com"),
                Some(names(&["ping"])),
                Some("teams"),
                "format",
            ),
            (
                Some("https://example.com"),
                Some(names(&["ping"])),
                None,
                "format",
            ),
        ] {
            match parse_new(url, events.as_deref(), format, None, None, None) {
                Err(crate::error::ApiError::Validation(errors)) => {
                    assert!(errors.contains_key(field), "{field}: {errors:?}")
                }
                other => panic!("{field}: {:?}", other.map(|_| ())),
            }
        }
        // Staff events with a staff hook are fine.
        assert!(parse_new(
            Some("https://example.com"),
            Some(&names(&["report.created", "moderation.action"])),
            Some("slack"),
            None,
            Some(true),
            None
        )
        .is_ok());
    }
}
