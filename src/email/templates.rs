//! Email templates (minijinja), compiled into the binary. Each message has a subject, a
//! plain-text part and an HTML part (auto-escaped) that extends a shared layout.

use std::sync::LazyLock;

use anyhow::Context;
use minijinja::{AutoEscape, Environment};

use super::message::OutgoingEmail;

/// Every template name a caller may render.
pub const TEMPLATES: &[&str] = &[
    "verify_email",
    "password_reset",
    "mentorship_request",
    "mentorship_accepted",
    "mentorship_declined",
    "meetup_seat",
    "meetup_changed",
    "meetup_cancelled",
    "content_hidden",
    "account_suspended",
    "notification",
    "password_changed",
    "two_factor_changed",
    "email_change_verify",
    "email_change_notice",
    "export_ready",
    "mentorship_reminder",
    "mentorship_expired",
    "meetup_reminder",
    "mentorship_check_in",
    "appeal_decided",
    "webhook_disabled",
    "digest",
];

static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    // One entry per message: its subject, plain-text and HTML parts.
    macro_rules! message {
        ($name:literal) => {
            [
                (
                    concat!($name, ".subject"),
                    include_str!(concat!("templates/", $name, ".subject")),
                ),
                (
                    concat!($name, ".txt"),
                    include_str!(concat!("templates/", $name, ".txt")),
                ),
                (
                    concat!($name, ".html"),
                    include_str!(concat!("templates/", $name, ".html")),
                ),
            ]
        };
    }
    let messages = [
        message!("verify_email"),
        message!("password_reset"),
        message!("mentorship_request"),
        message!("mentorship_accepted"),
        message!("mentorship_declined"),
        message!("meetup_seat"),
        message!("meetup_changed"),
        message!("meetup_cancelled"),
        message!("content_hidden"),
        message!("account_suspended"),
        message!("notification"),
        message!("digest"),
        message!("password_changed"),
        message!("two_factor_changed"),
        message!("email_change_verify"),
        message!("email_change_notice"),
        message!("export_ready"),
        message!("mentorship_reminder"),
        message!("mentorship_expired"),
        message!("meetup_reminder"),
        message!("mentorship_check_in"),
        message!("appeal_decided"),
        message!("webhook_disabled"),
    ];
    let layout = [("layout.html", include_str!("templates/layout.html"))];
    let sources = layout.iter().chain(messages.iter().flatten());
    for (name, source) in sources {
        // The sources are compiled in; a syntax error is caught by the unit test below.
        if let Err(error) = env.add_template(name, source) {
            tracing::error!(%error, template = name, "invalid email template");
        }
    }
    env
});

/// Renders the three parts of `template` with `context`.
pub fn render(
    template: &str,
    to: &str,
    context: serde_json::Value,
) -> anyhow::Result<OutgoingEmail> {
    let part = |suffix: &str| -> anyhow::Result<String> {
        let name = format!("{template}.{suffix}");
        ENVIRONMENT
            .get_template(&name)
            .and_then(|t| t.render(&context))
            .with_context(|| format!("rendering email template {name}"))
    };
    Ok(OutgoingEmail {
        to: to.to_string(),
        subject: part("subject")?.trim().to_string(),
        text: part("txt")?,
        html: part("html")?,
        list_unsubscribe: None,
        category: super::rules::category_of(template),
        message_id: Some(uuid::Uuid::new_v4()),
        conversation: None,
    })
}

/// A context every template renders with: each variable any template uses, member-written
/// ones as `text` (which tests make hostile: markup, line breaks, long non-ASCII runs), links
/// as `link`. Used by the template tests and by the deliverability checks that send one
/// message of every kind (`tests/api/mail_headers.rs`, `scripts/mail-check`).
pub fn sample_context(text: &str, link: &str) -> serde_json::Value {
    let thread = serde_json::json!({ "id": 42, "title": text, "replies": 3 });
    serde_json::json!({
        "username": text,
        "mentor": text,
        "mentee": text,
        "message": text,
        "goals": text,
        "reason": text,
        "title": text,
        "when": text,
        "place": text,
        "what": text,
        "until": text,
        "link": link,
        "headline": text,
        "sentence": text,
        "excerpt": text,
        "new_email": text,
        "size": text,
        "other": text,
        "days": 11,
        "as_mentor": false,
        "yours": text,
        "done_link": format!("{link}&answer=done"),
        "appeal_link": link,
        "note": text,
        "overturned": true,
        "enabled": true,
        "period": "day",
        "base_url": link,
        "watched": [thread.clone()],
        "tagged": [thread.clone()],
        "popular": [thread],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_renders_and_escapes_html() -> anyhow::Result<()> {
        let context = sample_context(
            "<script>alert(1)</script>",
            "https://forum.example/verify?token=abc",
        );
        for template in TEMPLATES {
            let email = render(template, "a@example.com", context.clone())?;
            assert!(!email.subject.is_empty());
            assert!(
                email
                    .text
                    .contains("https://forum.example/verify?token=abc"),
                "{template}"
            );
            // minijinja escapes '/' too; HTML parsers read `&#x2f;` back as '/'.
            let html = email.html.replace("&#x2f;", "/");
            assert!(
                html.contains("https://forum.example/verify?token=abc"),
                "{template}"
            );
            assert!(
                !email.html.contains("<script>"),
                "{template} does not escape"
            );
        }
        Ok(())
    }

    #[test]
    fn a_missing_variable_is_an_error_not_an_empty_string() {
        assert!(render("verify_email", "a@example.com", serde_json::json!({})).is_err());
    }
}
