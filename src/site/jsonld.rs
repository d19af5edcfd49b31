//! Structured data (schema.org as JSON-LD) for the public pages: what search engines read as
//! a discussion, a question with its accepted answer, an event, and where a page sits.
//! Plain functions of the views; the page embeds them as `<script type="application/ld+json">`.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};

use super::urls::Site;
use crate::accounts::views::MemberSummary;
use crate::markdown;
use crate::meetups::domain::MeetupStatus;
use crate::meetups::views::MeetupView;
use crate::threads::views::{ReplyView, ThreadView};

/// How much of a post's text goes into the structured data.
const TEXT_BUDGET: usize = 3_000;

/// A post's text for structured data: its Markdown as plain text, shortened.
pub fn plain(markdown_source: &str) -> String {
    markdown::excerpt(markdown_source, TEXT_BUDGET)
}

fn person(site: &Site, member: &MemberSummary) -> Value {
    json!({
        "@type": "Person",
        "name": member.display_name.as_deref().unwrap_or(&member.username),
        "url": site.profile(&member.username),
    })
}

fn reply_url(page_url: &str, reply: &ReplyView) -> String {
    format!("{page_url}#reply-{}", reply.id)
}

/// A thread: `DiscussionForumPosting` with its replies on this page as `comment`s, or, when it
/// has a solution, `QAPage` whose `Question` has the `acceptedAnswer` (with `accepted_text`, the
/// answer's text) and the page's other replies as `suggestedAnswer`s.
pub fn thread(
    site: &Site,
    view: &ThreadView,
    replies: &[ReplyView],
    page_url: &str,
    accepted_text: Option<&str>,
) -> Value {
    let canonical = site.thread(view.id.get(), &view.slug);
    let text = plain(&view.body);
    let comments = |skip: Option<i64>| -> Vec<Value> {
        replies
            .iter()
            .filter(|reply| Some(reply.id.get()) != skip)
            .map(|reply| {
                json!({
                    "@type": if skip.is_some() { "Answer" } else { "Comment" },
                    "text": plain(&reply.body),
                    "datePublished": reply.created_at,
                    "dateCreated": reply.created_at,
                    "url": reply_url(page_url, reply),
                    "author": person(site, &reply.author),
                    "upvoteCount": reply.score,
                })
            })
            .collect()
    };
    match (&view.solution, accepted_text) {
        (Some(solution), Some(answer_text)) => json!({
            "@context": "https://schema.org",
            "@type": "QAPage",
            "url": page_url,
            "mainEntity": {
                "@type": "Question",
                "name": view.title,
                "text": text,
                "url": canonical,
                "dateCreated": view.created_at,
                "datePublished": view.created_at,
                "dateModified": view.updated_at,
                "author": person(site, &view.author),
                "answerCount": view.reply_count,
                "upvoteCount": view.score,
                "keywords": view.tags.join(", "),
                "acceptedAnswer": {
                    "@type": "Answer",
                    "text": answer_text,
                    "dateCreated": solution.chosen_at,
                    "url": format!("{canonical}#reply-{}", solution.reply_id),
                    "author": person(site, &solution.author),
                },
                "suggestedAnswer": comments(Some(solution.reply_id.get())),
            },
        }),
        _ => json!({
            "@context": "https://schema.org",
            "@type": "DiscussionForumPosting",
            "@id": canonical,
            "url": page_url,
            "headline": view.title,
            "text": text,
            "datePublished": view.created_at,
            "dateModified": view.updated_at,
            "author": person(site, &view.author),
            "keywords": view.tags.join(", "),
            "interactionStatistic": [
                {
                    "@type": "InteractionCounter",
                    "interactionType": "https://schema.org/CommentAction",
                    "userInteractionCount": view.reply_count,
                },
                {
                    "@type": "InteractionCounter",
                    "interactionType": "https://schema.org/LikeAction",
                    "userInteractionCount": view.score.max(0),
                },
            ],
            "comment": comments(None),
        }),
    }
}

/// A time in the meetup's own zone, with its offset (`2026-12-10T19:00:00+01:00`).
pub fn local_time(at: DateTime<Utc>, zone: &str) -> String {
    match zone.parse::<Tz>() {
        Ok(tz) => at.with_timezone(&tz).to_rfc3339(),
        Err(_) => at.to_rfc3339(),
    }
}

/// A meetup as an `Event`: where (a `Place`, a `VirtualLocation`, or both), when (with the
/// offset of its zone), whether it still takes place, and who organises it.
pub fn event(site: &Site, view: &MeetupView) -> Value {
    let mut locations = Vec::new();
    if let Some(venue) = &view.venue {
        locations.push(json!({
            "@type": "Place",
            "name": venue.name,
            "address": {
                "@type": "PostalAddress",
                "streetAddress": venue.address,
                "addressLocality": venue.city,
                "addressCountry": venue.country,
            },
        }));
    }
    if let Some(url) = &view.online_url {
        locations.push(json!({ "@type": "VirtualLocation", "url": url }));
    }
    let mode = match (view.venue.is_some(), view.online_url.is_some()) {
        (true, true) => "https://schema.org/MixedEventAttendanceMode",
        (false, true) => "https://schema.org/OnlineEventAttendanceMode",
        _ => "https://schema.org/OfflineEventAttendanceMode",
    };
    let status = match view.status {
        MeetupStatus::Scheduled => "https://schema.org/EventScheduled",
        MeetupStatus::Cancelled => "https://schema.org/EventCancelled",
    };
    let location = match locations.len() {
        1 => locations.remove(0),
        _ => Value::Array(locations),
    };
    json!({
        "@context": "https://schema.org",
        "@type": "Event",
        "name": view.title,
        "description": plain(&view.description),
        "url": site.meetup(view.id.get(), &view.slug),
        "startDate": local_time(view.starts_at, &view.timezone),
        "endDate": local_time(view.ends_at, &view.timezone),
        "eventStatus": status,
        "eventAttendanceMode": mode,
        "location": location,
        "organizer": person(site, &view.organizer),
    })
}

/// Where a page sits: the forum, then each `(name, url)` down to the page.
pub fn breadcrumbs(site: &Site, trail: &[(&str, String)]) -> Value {
    let home = (site.name(), site.home());
    let items: Vec<Value> = std::iter::once((home.0, home.1))
        .chain(trail.iter().map(|(name, url)| (*name, url.clone())))
        .enumerate()
        .map(|(index, (name, url))| {
            json!({ "@type": "ListItem", "position": index + 1, "name": name, "item": url })
        })
        .collect();
    json!({
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": items,
    })
}

/// JSON for inside a `<script>` element: `<` written as `\u003c`, so no text can close it.
pub fn script_text(value: &Value) -> String {
    value.to_string().replace('<', "\\u003c")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_carry_the_zone_offset() {
        let at = DateTime::parse_from_rfc3339("2026-07-01T17:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(local_time(at, "Europe/Berlin"), "2026-07-01T19:00:00+02:00");
        assert_eq!(local_time(at, "UTC"), "2026-07-01T17:00:00+00:00");
    }

    #[test]
    fn script_text_cannot_close_its_element() {
        let value = json!({ "text": "</script><script>alert(1)</script>" });
        let text = script_text(&value);
        assert!(!text.contains("</"), "{text}");
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn breadcrumbs_start_at_the_forum() {
        let site = Site::new("https://forum.example/");
        let crumbs = breadcrumbs(&site, &[("rust", site.tag("rust"))]);
        let items = crumbs["itemListElement"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["item"], "https://forum.example/");
        assert_eq!(items[1]["position"], 2);
        assert_eq!(items[1]["item"], "https://forum.example/tags/rust");
    }
}
