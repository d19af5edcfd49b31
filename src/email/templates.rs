//! Email templates (minijinja), compiled into the binary. Each message has a subject, a
//! plain-text part and an HTML part (auto-escaped) that extends a shared layout.

use std::sync::LazyLock;

use anyhow::Context;
use minijinja::{AutoEscape, Environment};

use super::OutgoingEmail;

/// Every template name a caller may render.
#[cfg(test)]
const TEMPLATES: &[&str] = &[
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
    "email_change_verify",
    "email_change_notice",
    "export_ready",
    "mentorship_reminder",
    "mentorship_expired",
    "meetup_reminder",
    "mentorship_check_in",
    "appeal_decided",
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
        message!("email_change_verify"),
        message!("email_change_notice"),
        message!("export_ready"),
        message!("mentorship_reminder"),
        message!("mentorship_expired"),
        message!("meetup_reminder"),
        message!("mentorship_check_in"),
        message!("appeal_decided"),
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_renders_and_escapes_html() -> anyhow::Result<()> {
        let context = serde_json::json!({
            "username": "<script>alert(1)</script>",
            "mentor": "<script>alert(1)</script>",
            "mentee": "<script>alert(1)</script>",
            "message": "<script>alert(1)</script>",
            "goals": "<script>alert(1)</script>",
            "reason": "<script>alert(1)</script>",
            "title": "<script>alert(1)</script>",
            "when": "<script>alert(1)</script>",
            "place": "<script>alert(1)</script>",
            "what": "<script>alert(1)</script>",
            "until": "<script>alert(1)</script>",
            "link": "https://forum.example/verify?token=abc",
            "headline": "<script>alert(1)</script>",
            "sentence": "<script>alert(1)</script>",
            "excerpt": "<script>alert(1)</script>",
            "new_email": "<script>alert(1)</script>",
            "size": "<script>alert(1)</script>",
            "other": "<script>alert(1)</script>",
            "days": 11,
            "as_mentor": false,
            "yours": "<script>alert(1)</script>",
            "done_link": "https://forum.example/verify?token=abc&answer=done",
            "appeal_link": "https://forum.example/verify?token=abc",
            "note": "<script>alert(1)</script>",
            "overturned": true,
        });
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
