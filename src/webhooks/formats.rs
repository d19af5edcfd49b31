//! A delivery's body in each format: `standard` (`{type, timestamp, data}`), Discord's
//! webhook message (an embed: <https://discord.com/developers/docs/resources/webhook#execute-webhook>)
//! and Slack's incoming-webhook message (Block Kit with a `text` fallback:
//! <https://api.slack.com/messaging/webhooks>).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::domain::{EventType, Format};
use super::payloads::{summary, Summary};

/// devforum's accent, as Discord takes a colour.
const COLOUR: u32 = 0x2f6feb;

pub fn body(format: Format, event: EventType, at: DateTime<Utc>, data: &Value) -> Vec<u8> {
    let value = match format {
        Format::Standard => json!({
            "type": event.as_str(),
            "timestamp": at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "data": data,
        }),
        Format::Discord => discord(&summary(event, data), at),
        Format::Slack => slack(&summary(event, data)),
    };
    serde_json::to_vec(&value).unwrap_or_default()
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

fn discord(s: &Summary, at: DateTime<Utc>) -> Value {
    let mut embed = json!({
        "title": cut(&s.title, 256),
        "description": cut(&s.excerpt, 4096),
        "timestamp": at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "color": COLOUR,
        "footer": { "text": s.headline },
    });
    if let Some(url) = &s.url {
        embed["url"] = json!(url);
    }
    if let Some(author) = &s.author {
        embed["author"] = json!({ "name": cut(author, 256) });
    }
    json!({
        "username": "devforum",
        "content": cut(&s.headline, 2000),
        "embeds": [embed],
        // Nobody is pinged by what members wrote.
        "allowed_mentions": { "parse": [] },
    })
}

/// Slack's mrkdwn control characters, escaped as its documentation says.
fn mrkdwn(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn slack(s: &Summary) -> Value {
    let title = match &s.url {
        Some(url) => format!("*<{}|{}>*", url.replace('|', "%7C"), mrkdwn(&s.title)),
        None => format!("*{}*", mrkdwn(&s.title)),
    };
    let section = if s.excerpt.is_empty() {
        title
    } else {
        format!("{title}\n{}", mrkdwn(&s.excerpt))
    };
    let context = match &s.author {
        Some(author) => format!("{} · by {}", mrkdwn(&s.headline), mrkdwn(author)),
        None => mrkdwn(&s.headline),
    };
    json!({
        "text": cut(&format!("{}: {}", s.headline, s.title), 3000),
        "blocks": [
            { "type": "section", "text": { "type": "mrkdwn", "text": cut(&section, 3000) } },
            { "type": "context", "elements": [ { "type": "mrkdwn", "text": cut(&context, 3000) } ] },
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply() -> Value {
        json!({
            "thread": { "id": 7, "title": "Why <does> my build fail?", "url": "https://f.example/t/7/why" },
            "reply": {
                "id": 9, "url": "https://f.example/t/7/why#reply-9", "excerpt": "Try `cargo clean` & rebuild",
                "author": { "username": "ada", "url": "https://f.example/u/ada" },
            },
        })
    }

    #[test]
    fn a_standard_body_is_type_timestamp_and_data() {
        let at = DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z")
            .expect("date")
            .to_utc();
        let body: Value = serde_json::from_slice(&body(
            Format::Standard,
            EventType::ReplyCreated,
            at,
            &reply(),
        ))
        .expect("json");
        assert_eq!(body["type"], "reply.created");
        assert_eq!(body["timestamp"], "2026-12-07T10:00:00.000Z");
        assert_eq!(body["data"], reply());
    }

    #[test]
    fn discord_gets_an_embed_with_title_link_excerpt_and_author_and_pings_nobody() {
        let at = Utc::now();
        let body: Value = serde_json::from_slice(&body(
            Format::Discord,
            EventType::ReplyCreated,
            at,
            &reply(),
        ))
        .expect("json");
        let embed = &body["embeds"][0];
        assert_eq!(embed["title"], "Why <does> my build fail?");
        assert_eq!(embed["url"], "https://f.example/t/7/why#reply-9");
        assert_eq!(embed["description"], "Try `cargo clean` & rebuild");
        assert_eq!(embed["author"]["name"], "ada");
        assert_eq!(body["allowed_mentions"]["parse"], json!([]));
    }

    #[test]
    fn slack_gets_blocks_with_escaped_mrkdwn_and_a_text_fallback() {
        let body: Value = serde_json::from_slice(&body(
            Format::Slack,
            EventType::ReplyCreated,
            Utc::now(),
            &reply(),
        ))
        .expect("json");
        assert_eq!(body["text"], "New reply: Why <does> my build fail?");
        let section = body["blocks"][0]["text"]["text"].as_str().expect("text");
        assert_eq!(
            section,
            "*<https://f.example/t/7/why#reply-9|Why &lt;does&gt; my build fail?>*\nTry `cargo clean` &amp; rebuild"
        );
        assert_eq!(
            body["blocks"][1]["elements"][0]["text"],
            "New reply · by ada"
        );
    }
}
