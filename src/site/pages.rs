//! The public pages' HTML: minijinja templates compiled into the binary, auto-escaped, with
//! the post HTML the API already sanitised passed through as it is (`|safe`).

use std::sync::LazyLock;

use chrono::DateTime;
use minijinja::{context, AutoEscape, Environment, Value};
use serde::Serialize;

use super::urls::NAME;
use crate::error::ApiError;

static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_formatter(escape_text);
    env.add_filter("day", day);
    env.add_filter("hue", hue);
    for (name, source) in [
        ("base.html", include_str!("templates/base.html")),
        ("macros.html", include_str!("templates/macros.html")),
        ("thread.html", include_str!("templates/thread.html")),
        ("meetup.html", include_str!("templates/meetup.html")),
        ("tag.html", include_str!("templates/tag.html")),
        ("user.html", include_str!("templates/user.html")),
        ("not_found.html", include_str!("templates/not_found.html")),
    ] {
        if let Err(error) = env.add_template(name, source) {
            // The templates are part of the binary; a test renders each.
            tracing::error!(%error, name, "a page template does not parse");
        }
    }
    env
});

/// Writes a value into the page: text escaped by markdown's HTML escaper (minijinja's own also
/// writes every `/` as `&#x2f;`, which URLs in attributes are full of), anything else as
/// minijinja does.
fn escape_text(
    out: &mut minijinja::Output<'_>,
    state: &minijinja::State<'_, '_>,
    value: &Value,
) -> Result<(), minijinja::Error> {
    match value.as_str() {
        Some(text) if !value.is_safe() && state.auto_escape() == AutoEscape::Html => {
            out.write_str(&crate::markdown::escape(text)).map_err(|_| {
                minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "writing a page")
            })
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// A date as people read it (`7 Dec 2026`), from the RFC 3339 text a view serialises to.
fn day(value: String) -> String {
    DateTime::parse_from_rfc3339(&value)
        .map(|at| at.format("%-d %b %Y").to_string())
        .unwrap_or(value)
}

/// One of twelve colours for a member without a picture, from their username (CSS classes
/// `hue-0` to `hue-11`: the pages' policy allows no inline style).
fn hue(username: String) -> u32 {
    username.chars().fold(7u32, |h, c| {
        (h.wrapping_mul(31).wrapping_add(c as u32)) % 360
    }) / 30
}

/// A `<link>` of a page's head (`alternate` feeds, `prev`/`next` pages).
#[derive(Debug, Clone, Serialize)]
pub struct HeadLink {
    pub rel: &'static str,
    pub href: String,
    pub media_type: Option<&'static str>,
    pub title: Option<String>,
}

/// What a page says about itself: title, description, canonical URL, its Open Graph type and
/// image, links, and structured data (JSON-LD texts, safe inside `<script>`).
#[derive(Debug, Clone, Serialize)]
pub struct Head {
    pub title: String,
    pub description: String,
    pub canonical: Option<String>,
    pub og_type: &'static str,
    pub image: Option<String>,
    pub noindex: bool,
    pub links: Vec<HeadLink>,
    pub structured_data: Vec<String>,
}

impl Head {
    pub fn new(title: impl Into<String>, description: impl Into<String>) -> Self {
        Head {
            title: title.into(),
            description: description.into(),
            canonical: None,
            og_type: "website",
            image: None,
            noindex: false,
            links: Vec::new(),
            structured_data: Vec::new(),
        }
    }
}

/// Renders a page: `template` with the head, the client's asset tags (so it takes over in a
/// browser), the first data it would fetch (JSON, safe inside `<script>`), and the page's own
/// values.
pub fn render(
    template: &str,
    head: &Head,
    assets: &str,
    initial: Option<String>,
    page: Value,
) -> Result<String, ApiError> {
    // A page is about twice its embedded data (the same posts as HTML) plus its head: sized
    // once, the page is written without growing (and copying) its buffer.
    let embedded: usize = initial.as_ref().map_or(0, String::len)
        + head.structured_data.iter().map(String::len).sum::<usize>();
    let mut out = Vec::with_capacity(2 * embedded + 8 * 1024);
    let context = context! { head, assets, initial, site_name => NAME, ..page };
    ENVIRONMENT
        .get_template(template)
        .and_then(|t| t.render_captured_to(context, &mut out).map(drop))
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("rendering {template}: {error:#}")))?;
    String::from_utf8(out).map_err(|error| ApiError::Internal(error.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        for name in [
            "base.html",
            "macros.html",
            "thread.html",
            "meetup.html",
            "tag.html",
            "user.html",
            "not_found.html",
        ] {
            assert!(ENVIRONMENT.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn the_not_found_page_escapes_its_head_and_says_noindex() {
        let mut head = Head::new("<b>Not found</b>", "\"quoted\"");
        head.noindex = true;
        let html = render("not_found.html", &head, "", None, context! {}).unwrap();
        assert!(
            html.contains("<title>&lt;b&gt;Not found&lt;/b&gt; · devforum</title>"),
            "{html}"
        );
        assert!(html.contains("<a href=\"/\">"), "{html}");
        assert!(html.contains("content=\"&quot;quoted&quot;\""), "{html}");
        assert!(
            html.contains("<meta name=\"robots\" content=\"noindex\">"),
            "{html}"
        );
        assert!(
            html.starts_with("<!doctype html>\n<html lang=\"en\">"),
            "{html}"
        );
    }

    #[test]
    fn days_and_hues() {
        assert_eq!(day("2026-12-07T10:00:00Z".into()), "7 Dec 2026");
        assert_eq!(day("soon".into()), "soon");
        assert!(hue("ada".into()) < 12);
    }
}
