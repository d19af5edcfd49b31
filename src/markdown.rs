//! Markdown written by members, rendered once at write time and sanitised.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{html, Event, Options, Parser, TagEnd};

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("nofollow ugc noopener"))
        .url_relative(ammonia::UrlRelative::Deny)
        .add_allowed_classes(
            "code",
            [
                "language-rust",
                "language-python",
                "language-js",
                "language-ts",
                "language-go",
                "language-sql",
                "language-sh",
                "language-json",
                "language-toml",
                "language-yaml",
                "language-html",
                "language-css",
                "language-c",
                "language-cpp",
                "language-java",
            ],
        );
    builder
});

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// Markdown → safe HTML: no scripts, no event handlers, no `javascript:`/`data:` URLs,
/// links marked `rel="nofollow ugc noopener"`.
pub fn render(markdown: &str) -> String {
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options()));
    SANITIZER.clean(&unsafe_html).to_string()
}

/// The first `max_chars` characters of the text a reader sees (no markup), for summaries.
pub fn excerpt(markdown: &str, max_chars: usize) -> String {
    let collapsed = plain_text(markdown, max_chars.saturating_mul(2));
    if collapsed.chars().count() <= max_chars {
        return collapsed;
    }
    let mut cut: String = collapsed
        .chars()
        .take(max_chars.saturating_sub(1))
        .collect();
    cut.push('…');
    cut
}

/// The text a reader sees (no markup, whitespace collapsed), about `budget` characters at
/// most: what search indexes and cuts snippets from.
pub fn plain_text(markdown: &str, budget: usize) -> String {
    let mut text = String::new();
    let mut chars = 0usize;
    for event in Parser::new_ext(markdown, options()) {
        let piece: &str = match &event {
            Event::Text(t) | Event::Code(t) => t,
            Event::SoftBreak | Event::HardBreak => " ",
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::CodeBlock,
            ) => " ",
            _ => continue,
        };
        text.push_str(piece);
        chars += piece.chars().count();
        if chars > budget {
            break;
        }
    }
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= budget {
        collapsed
    } else {
        collapsed.chars().take(budget).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_markdown() {
        let html = render("# Title\n\nSome *emphasis* and `code`.\n\n```rust\nfn main() {}\n```");
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<em>emphasis</em>"), "{html}");
        assert!(html.contains("<code class=\"language-rust\">"), "{html}");
    }

    #[test]
    fn links_are_marked_and_dangerous_urls_dropped() {
        let html = render(
            "[site](https://example.com) [bad](javascript:alert(1)) [data](data:text/html,hi)",
        );
        assert!(html.contains(r#"href="https://example.com""#), "{html}");
        assert!(html.contains(r#"rel="nofollow ugc noopener""#), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("data:"), "{html}");
    }

    #[test]
    fn excerpts_are_plain_text_and_bounded() {
        assert_eq!(
            excerpt("# Hi\n\nSome **bold** text.", 100),
            "Hi Some bold text."
        );
        let long = excerpt(&"word ".repeat(100), 20);
        assert_eq!(long.chars().count(), 20);
        assert!(long.ends_with('…'));
    }
}
