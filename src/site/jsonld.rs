//! Structured data (schema.org as JSON-LD) for the public pages: what search engines read as
//! a discussion, a question with its accepted answer, an event, and where a page sits.
//! Plain functions of the views; the page embeds them as `<script type="application/ld+json">`.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
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

/// A post's text from its rendered HTML, for the structured data of every reply on a page:
/// tags dropped (a block's end is a space), entities of the escaper read back, whitespace
/// collapsed, at most `TEXT_BUDGET` characters. Linear in the HTML, without parsing the
/// Markdown again (which a page of 50 replies would do 50 times).
pub fn text_of_html(html: &str) -> String {
    const BLOCKS: &[&str] = &[
        "p",
        "/p",
        "br",
        "li",
        "/li",
        "pre",
        "/pre",
        "div",
        "/div",
        "blockquote",
        "/blockquote",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "/h1",
        "/h2",
        "/h3",
        "/h4",
        "/h5",
        "/h6",
        "tr",
        "td",
        "th",
        "hr",
        "aside",
        "/aside",
        "ul",
        "ol",
    ];
    let mut raw = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        raw.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[start + 1..start + end];
        let name = tag
            .split(|c: char| c.is_whitespace() || c == '/' && !tag.starts_with('/'))
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if BLOCKS.contains(&name.as_str()) {
            raw.push(' ');
        }
        rest = &rest[start + end + 1..];
    }
    raw.push_str(rest);
    let mut text = String::with_capacity(raw.len());
    let mut chars = 0;
    for word in raw.split_whitespace() {
        let word = decode_entities(word);
        let length = word.chars().count();
        if chars + length + 1 >= TEXT_BUDGET {
            break;
        }
        if !text.is_empty() {
            text.push(' ');
            chars += 1;
        }
        text.push_str(&word);
        chars += length;
    }
    text
}

/// The entities `markdown::escape` writes, read back (`&amp;` last, so `&amp;lt;` stays `&lt;`).
fn decode_entities(word: &str) -> std::borrow::Cow<'_, str> {
    if !word.contains('&') {
        return std::borrow::Cow::Borrowed(word);
    }
    let mut out = String::with_capacity(word.len());
    let mut rest = word;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let (entity, character) = [
            ("&lt;", '<'),
            ("&gt;", '>'),
            ("&quot;", '"'),
            ("&#39;", '\''),
            ("&#x27;", '\''),
            ("&amp;", '&'),
        ]
        .into_iter()
        .find(|(entity, _)| rest.starts_with(entity))
        .unwrap_or(("&", '&'));
        out.push(character);
        rest = &rest[entity.len()..];
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

fn person(site: &Site, member: &MemberSummary) -> Value {
    json!({
        "@type": "Person",
        "name": member.display_name.as_deref().unwrap_or(&member.username),
        "url": site.profile(&member.username),
    })
}

/// A schema.org `Person`, serialised as it is (a page's replies are many: no `Value` tree).
#[derive(Serialize)]
struct Person<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: &'a str,
    url: String,
}

impl<'a> Person<'a> {
    fn of(site: &Site, member: &'a MemberSummary) -> Self {
        Person {
            kind: "Person",
            name: member.display_name.as_deref().unwrap_or(&member.username),
            url: site.profile(&member.username),
        }
    }
}

/// A reply as a `Comment` (or, on a question's page, a suggested `Answer`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Reply<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    text: String,
    date_published: DateTime<Utc>,
    date_created: DateTime<Utc>,
    url: String,
    author: Person<'a>,
    upvote_count: i32,
}

/// `@context` and `@type` before an object's own properties.
#[derive(Serialize)]
struct Typed<T: Serialize> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(flatten)]
    properties: T,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Posting<'a> {
    #[serde(rename = "@id")]
    id: String,
    url: &'a str,
    headline: &'a str,
    text: String,
    date_published: DateTime<Utc>,
    date_modified: DateTime<Utc>,
    author: Person<'a>,
    keywords: String,
    interaction_statistic: Value,
    comment: Vec<Reply<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QaPage<'a> {
    url: &'a str,
    main_entity: Question<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Question<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: &'a str,
    text: String,
    url: String,
    date_created: DateTime<Utc>,
    date_published: DateTime<Utc>,
    date_modified: DateTime<Utc>,
    author: Person<'a>,
    answer_count: i32,
    upvote_count: i32,
    keywords: String,
    accepted_answer: Value,
    suggested_answer: Vec<Reply<'a>>,
}

fn reply_url(page_url: &str, reply: &ReplyView) -> String {
    format!("{page_url}#reply-{}", reply.id)
}

/// A thread: `DiscussionForumPosting` with its replies on this page as `comment`s, or, when it
/// has a solution, `QAPage` whose `Question` has the `acceptedAnswer` (with `accepted_text`, the
/// answer's text) and the page's other replies as `suggestedAnswer`s. Serialised for a
/// `<script>` ([`script_text`]).
pub fn thread(
    site: &Site,
    view: &ThreadView,
    replies: &[ReplyView],
    page_url: &str,
    accepted_text: Option<&str>,
) -> String {
    let canonical = site.thread(view.id.get(), &view.slug);
    let text = plain(&view.body);
    let replies_as = |kind: &'static str, skip: Option<i64>| -> Vec<Reply<'_>> {
        replies
            .iter()
            .filter(|reply| Some(reply.id.get()) != skip)
            .map(|reply| Reply {
                kind,
                text: text_of_html(&reply.body_html),
                date_published: reply.created_at,
                date_created: reply.created_at,
                url: reply_url(page_url, reply),
                author: Person::of(site, &reply.author),
                upvote_count: reply.score,
            })
            .collect()
    };
    match (&view.solution, accepted_text) {
        (Some(solution), Some(answer_text)) => script_text(&Typed {
            context: "https://schema.org",
            kind: "QAPage",
            properties: QaPage {
                url: page_url,
                main_entity: Question {
                    kind: "Question",
                    name: &view.title,
                    text,
                    url: canonical.clone(),
                    date_created: view.created_at,
                    date_published: view.created_at,
                    date_modified: view.updated_at,
                    author: Person::of(site, &view.author),
                    answer_count: view.reply_count,
                    upvote_count: view.score,
                    keywords: view.tags.join(", "),
                    accepted_answer: json!({
                        "@type": "Answer",
                        "text": answer_text,
                        "dateCreated": solution.chosen_at,
                        "url": format!("{canonical}#reply-{}", solution.reply_id),
                        "author": person(site, &solution.author),
                    }),
                    suggested_answer: replies_as("Answer", Some(solution.reply_id.get())),
                },
            },
        }),
        _ => script_text(&Typed {
            context: "https://schema.org",
            kind: "DiscussionForumPosting",
            properties: Posting {
                id: canonical,
                url: page_url,
                headline: &view.title,
                text,
                date_published: view.created_at,
                date_modified: view.updated_at,
                author: Person::of(site, &view.author),
                keywords: view.tags.join(", "),
                interaction_statistic: json!([
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
                ]),
                comment: replies_as("Comment", None),
            },
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
pub fn script_text(value: &impl Serialize) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "null".to_string())
        .replace('<', "\\u003c")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_of_html_reads_like_the_post() {
        assert_eq!(
            text_of_html("<p>Check the <strong>toolchain</strong> version.</p>\n<p>Then <code>cargo build</code>.</p>"),
            "Check the toolchain version. Then cargo build."
        );
        assert_eq!(
            text_of_html("<pre><code class=\"language-rust\"><span class=\"hl-keyword\">let</span> a = &amp;b &lt; 3;</code></pre>"),
            "let a = &b < 3;"
        );
        assert_eq!(
            text_of_html("<p>a<br>b</p><ul><li>c</li><li>d</li></ul>"),
            "a b c d"
        );
        assert_eq!(
            text_of_html("<p>&amp;lt; stays &amp;lt;</p>"),
            "&lt; stays &lt;"
        );
        assert_eq!(text_of_html("unclosed <b"), "unclosed");
        assert!(text_of_html(&"<p>word </p>".repeat(2_000)).chars().count() < TEXT_BUDGET);
    }

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
