//! Preview cards ("oneboxes"): what a link alone on its line becomes once its page has been
//! fetched (`oneboxes`), as HTML built here from escaped values and then sanitised with the
//! rest of the post. Images only through the card's own `https` URL.

use serde::{Deserialize, Serialize};

use super::escape::escape;

/// What a page says of itself (Open Graph, oEmbed or its title), or what GitHub's API says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    /// The URL as the post wrote it.
    pub url: String,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub site_name: Option<String>,
    /// `https` only.
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub kind: CardKind,
}

/// GitHub's kinds of page get a card of their own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CardKind {
    #[default]
    Page,
    GithubRepository {
        repository: String,
    },
    GithubIssue {
        repository: String,
        number: u64,
        pull_request: bool,
        /// `open`, `closed` or `merged`, when the API told.
        state: Option<String>,
        author: Option<String>,
    },
    GithubFile {
        repository: String,
        path: String,
        /// The first and last line the link names.
        lines: Option<(u32, u32)>,
        /// Those lines, when the API could be read.
        code: Option<String>,
    },
}

/// Links alone on their line that get a card, per post (the rest stay links).
pub const MAX_PER_POST: usize = 10;

/// The longest description a card shows.
pub const DESCRIPTION_CHARS: usize = 300;

fn cut(text: &str, max: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max {
        return text;
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// The card's HTML (still to be sanitised with its post).
pub fn html(card: &Card) -> String {
    let url = escape(&card.url);
    let mut out = String::new();
    let github = !matches!(card.kind, CardKind::Page);
    out.push_str(&format!(
        "<aside class=\"onebox{}\" data-url=\"{url}\">",
        if github { " onebox-github" } else { "" }
    ));
    let source = card.site_name.as_deref().unwrap_or("");
    if !source.is_empty() {
        out.push_str(&format!(
            "<p class=\"onebox-source\">{}</p>",
            escape(&cut(source, 80))
        ));
    }
    if let Some(image) = card.image.as_deref().filter(|i| i.starts_with("https://")) {
        if matches!(card.kind, CardKind::Page) {
            out.push_str(&format!(
                "<img class=\"onebox-image\" src=\"{}\" alt=\"\">",
                escape(image)
            ));
        }
    }
    out.push_str(&format!(
        "<p class=\"onebox-title\"><a href=\"{url}\">{}</a></p>",
        escape(&cut(&card.title, 200))
    ));
    match &card.kind {
        CardKind::GithubIssue {
            repository,
            number,
            pull_request,
            state,
            author,
        } => {
            let what = if *pull_request {
                "Pull request"
            } else {
                "Issue"
            };
            let mut meta = format!("{what} #{number} · {}", escape(repository));
            if let Some(author) = author {
                meta.push_str(&format!(" · opened by {}", escape(author)));
            }
            out.push_str("<p class=\"onebox-meta\">");
            if let Some(state) = state
                .as_deref()
                .filter(|s| ["open", "closed", "merged"].contains(s))
            {
                out.push_str(&format!(
                    "<span class=\"onebox-state onebox-{state}\">{}</span> ",
                    capitalised(state)
                ));
            }
            out.push_str(&meta);
            out.push_str("</p>");
        }
        CardKind::GithubFile {
            repository,
            path,
            lines,
            code,
        } => {
            let range = match lines {
                Some((from, to)) if from == to => format!(" · line {from}"),
                Some((from, to)) => format!(" · lines {from}–{to}"),
                None => String::new(),
            };
            out.push_str(&format!(
                "<p class=\"onebox-meta\">{} · {}{range}</p>",
                escape(repository),
                escape(path)
            ));
            if let Some(code) = code {
                out.push_str(&format!("<pre><code>{}</code></pre>", escape(code)));
            }
        }
        CardKind::GithubRepository { repository } => {
            out.push_str(&format!(
                "<p class=\"onebox-meta\">Repository · {}</p>",
                escape(repository)
            ));
        }
        CardKind::Page => {}
    }
    if let Some(description) = card.description.as_deref().filter(|d| !d.trim().is_empty()) {
        out.push_str(&format!(
            "<p class=\"onebox-description\">{}</p>",
            escape(&cut(description, DESCRIPTION_CHARS))
        ));
    }
    out.push_str("</aside>\n");
    out
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The classes cards use (the sanitiser's list).
pub const CLASSES: &[&str] = &[
    "onebox",
    "onebox-github",
    "onebox-source",
    "onebox-image",
    "onebox-title",
    "onebox-meta",
    "onebox-description",
    "onebox-state",
    "onebox-open",
    "onebox-closed",
    "onebox-merged",
];
