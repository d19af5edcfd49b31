//! Markdown written by members, rendered once at write time and sanitised; fenced code is
//! highlighted then (`highlight`).

pub mod cards;
mod escape;
pub mod highlight;

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use pulldown_cmark::{html, CodeBlockKind, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

pub use cards::Card;
pub(crate) use escape::escape;

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("nofollow ugc noopener"))
        // Members' links must be absolute; the only relative links are the profile links
        // that mentions become, and uploaded files.
        .url_relative(ammonia::UrlRelative::Custom(Box::new(site_links_only)))
        .add_allowed_classes("a", ["mention"])
        .add_allowed_classes("code", CODE_CLASSES.iter().map(String::as_str))
        .add_allowed_classes("span", highlight::token_classes())
        // Preview cards (`cards`).
        .add_tags(["aside"])
        .add_tag_attributes("aside", ["data-url"])
        .add_allowed_classes("aside", ["onebox", "onebox-github"])
        .add_allowed_classes("p", cards::CLASSES.iter().copied())
        .add_allowed_classes("span", cards::CLASSES.iter().copied())
        .add_allowed_classes("img", ["onebox-image"]);
    builder
});

/// The `language-…` classes a code block may carry: the highlighted languages'.
static CODE_CLASSES: LazyLock<Vec<String>> =
    LazyLock::new(|| highlight::language_classes().collect());

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// The relative links a post may hold: profiles (what mentions become) and uploaded files.
fn site_links_only(url: &str) -> Option<std::borrow::Cow<'_, str>> {
    let allowed = match url.strip_prefix(PROFILE_PATH) {
        Some(name) => is_username(name),
        None => url.strip_prefix(FILES_PATH).is_some_and(is_file_name),
    };
    allowed.then_some(std::borrow::Cow::Borrowed(url))
}

/// The renderer's version: raise it when a change to rendering should reach stored posts
/// (`devforum rerender` renders them all again once per version). 2: highlighted code.
pub const RENDER_VERSION: i32 = 2;

/// Where uploaded files are served, relative to the site.
pub const FILES_PATH: &str = "/files/";

/// `<64 hex>[_small|_large].<ext>`: the names `/files/` serves.
fn is_file_name(name: &str) -> bool {
    name.len() <= 80
        && name.len() > 65
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
}

/// Where a member's profile page is, relative to the site.
const PROFILE_PATH: &str = "/users/";

/// Markdown → safe HTML: no scripts, no event handlers, no `javascript:`/`data:` URLs,
/// links marked `rel="nofollow ugc noopener"`; `@name` outside code, quotes and links becomes
/// a link to the member's profile.
pub fn render(markdown: &str) -> String {
    render_counting(markdown).html
}

/// A post rendered, with what it embeds counted in the same pass.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub html: String,
    pub embeds: Embeds,
    /// Links alone on their line (`http(s)`), each once: preview cards to fetch.
    pub lone_links: Vec<String>,
    /// Code in a highlighted language was left plain ([`render_in_request`]): rendering the
    /// post again highlights it.
    pub highlight_pending: bool,
}

/// [`render`], counting links and images ([`embeds`]) as it goes: a post is parsed once for
/// both its HTML and the checks of what `new` accounts may embed.
pub fn render_counting(markdown: &str) -> Rendered {
    render_counting_with(markdown, true)
}

/// [`render_counting`], with code highlighting left out when `highlight` is false: what
/// rendering cost before highlighting (`benches/render.rs` compares the two).
pub fn render_counting_with(markdown: &str, highlight: bool) -> Rendered {
    render_full(markdown, highlight, &HashMap::new())
}

/// What a request renders when a post is written: everything but code highlighting (about
/// 50 µs a line) and preview cards, which the post's rendering job adds moments later
/// (`threads::rendering`). Code keeps its `language-…` class meanwhile.
pub fn render_in_request(markdown: &str) -> Rendered {
    render_full(markdown, false, &HashMap::new())
}

/// [`render_counting`], with the cards fetched so far for links alone on their line (by the
/// link's URL): each such link whose card is known is shown as that card.
pub fn render_with_cards(markdown: &str, cards: &HashMap<String, Card>) -> Rendered {
    render_full(markdown, true, cards)
}

fn render_full(markdown: &str, highlight: bool, cards: &HashMap<String, Card>) -> Rendered {
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    let mut context = Context::default();
    let mut embeds = Embeds::default();
    let mut events: Vec<Event<'_>> = Vec::new();
    // A fenced block in a highlighted language: its name, grammar and code so far.
    let mut code: Option<(&str, &syntect::parsing::SyntaxReference, String)> = None;
    let mut budget = if highlight {
        highlight::MAX_POST_BYTES
    } else {
        0
    };
    let mut highlight_pending = false;
    for event in Parser::new_ext(markdown, options()) {
        count_embed(&event, &mut embeds);
        context.enter(&event);
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(ref info))) => {
                match highlight::language(info) {
                    Some((name, syntax)) => code = Some((name, syntax, String::new())),
                    // An unknown language is plain code, with no class to carry.
                    None => events.push(Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(
                        CowStr::Borrowed(""),
                    )))),
                }
            }
            Event::Text(text) if code.is_some() => {
                if let Some((_, _, source)) = code.as_mut() {
                    source.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) if code.is_some() => {
                if let Some((name, syntax, source)) = code.take() {
                    highlight_pending |= !highlight;
                    let mut block = String::with_capacity(source.len() * 3);
                    highlight::block(name, syntax, &source, &mut budget, &mut block);
                    events.push(Event::Html(CowStr::from(block)));
                }
            }
            Event::Text(text) if context.links_count() => {
                inline_text(text, context.mentions_count(), &mut embeds, &mut events);
            }
            other => events.push(other),
        }
    }
    let lone_links = show_cards(&mut events, cards);
    html::push_html(&mut unsafe_html, events.into_iter());
    Rendered {
        html: SANITIZER.clean(&unsafe_html).to_string(),
        embeds,
        lone_links,
        highlight_pending,
    }
}

/// Plain text as a post shows it: bare `http(s)` URLs become links (as on GitHub), and
/// `@name` mentions (where they count) links to profiles.
fn inline_text<'a>(
    text: CowStr<'a>,
    mentions: bool,
    embeds: &mut Embeds,
    events: &mut Vec<Event<'a>>,
) {
    let plain = |piece: &str, events: &mut Vec<Event<'a>>| {
        if piece.is_empty() {
            return;
        }
        let piece = CowStr::from(piece.to_string());
        if mentions && piece.contains('@') {
            events.extend(link_mentions(piece));
        } else {
            events.push(Event::Text(piece));
        }
    };
    if !text.contains("://") {
        if mentions && text.contains('@') {
            events.extend(link_mentions(text));
        } else {
            events.push(Event::Text(text));
        }
        return;
    }
    let mut finder = linkify::LinkFinder::new();
    finder.kinds(&[linkify::LinkKind::Url]);
    let mut at = 0;
    for link in finder.links(&text) {
        let url = link.as_str();
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            continue;
        }
        plain(&text[at..link.start()], events);
        embeds.links += 1;
        let dest = CowStr::from(url.to_string());
        events.push(Event::Start(Tag::Link {
            link_type: LinkType::Autolink,
            dest_url: dest.clone(),
            title: CowStr::Borrowed(""),
            id: CowStr::Borrowed(""),
        }));
        events.push(Event::Text(dest));
        events.push(Event::End(TagEnd::Link));
        at = link.end();
    }
    plain(&text[at..], events);
}

/// Finds the links alone in a top-level paragraph (an autolink or a bare URL whose text is
/// the URL) and shows those with a card as the card. Returns every such `http(s)` URL, in
/// order, each once, up to [`cards::MAX_PER_POST`]: what the preview job fetches.
fn show_cards(events: &mut Vec<Event<'_>>, cards: &HashMap<String, Card>) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < events.len() {
        let lone = match &events[i..] {
            [Event::Start(Tag::Paragraph), Event::Start(Tag::Link { dest_url, .. }), Event::Text(text), Event::End(TagEnd::Link), Event::End(TagEnd::Paragraph), ..]
                if depth == 0
                    && text.as_ref() == dest_url.as_ref()
                    && (dest_url.starts_with("https://") || dest_url.starts_with("http://")) =>
            {
                Some(dest_url.to_string())
            }
            _ => None,
        };
        // Past the first few, links stay links: each card is a fetch.
        let lone = lone.filter(|url| found.contains(url) || found.len() < cards::MAX_PER_POST);
        if let Some(url) = lone {
            if !found.contains(&url) {
                found.push(url.clone());
            }
            if let Some(card) = cards.get(&url) {
                events.splice(i..i + 5, [Event::Html(CowStr::from(cards::html(card)))]);
                i += 1;
                continue;
            }
        }
        match &events[i] {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    found
}

/// The links a post shows alone on their line: what may become preview cards.
pub fn lone_links(markdown: &str) -> Vec<String> {
    render_full(markdown, false, &HashMap::new()).lone_links
}

/// The members a post mentions (`@name` in its text, not in code spans, code blocks, quotes or
/// link texts), each once, in order of first mention, as written.
pub fn mentions(markdown: &str) -> Vec<String> {
    let mut context = Context::default();
    let mut found: Vec<String> = Vec::new();
    for event in Parser::new_ext(markdown, options()) {
        context.enter(&event);
        if let Event::Text(text) = &event {
            if context.mentions_count() {
                for (start, end) in mention_spans(text) {
                    let name = &text[start + 1..end];
                    if !found.iter().any(|seen| seen.eq_ignore_ascii_case(name)) {
                        found.push(name.to_string());
                    }
                }
            }
        }
    }
    found
}

/// Links and images a post holds, as its rendering shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Embeds {
    /// Links to other sites (links to members' profiles are not counted).
    pub links: usize,
    /// Images on other sites (what a spammer or a tracking pixel shows); files uploaded here
    /// are not counted: the daily upload quota of the member's trust level limits those.
    pub images: usize,
}

/// Counts the links (bare URLs too) and images of a post: what a new account's limits are
/// about.
pub fn embeds(markdown: &str) -> Embeds {
    render_full(markdown, false, &HashMap::new()).embeds
}

fn count_embed(event: &Event<'_>, found: &mut Embeds) {
    match event {
        Event::Start(Tag::Link { dest_url, .. }) if site_links_only(dest_url).is_none() => {
            found.links += 1;
        }
        Event::Start(Tag::Image { dest_url, .. }) if site_links_only(dest_url).is_none() => {
            found.images += 1;
        }
        _ => {}
    }
}

/// Where in the document the parser is: mentions count only in plain text.
#[derive(Default)]
struct Context {
    code_blocks: usize,
    quotes: usize,
    links: usize,
}

impl Context {
    fn enter(&mut self, event: &Event<'_>) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => self.code_blocks += 1,
            Event::End(TagEnd::CodeBlock) => self.code_blocks -= 1,
            Event::Start(Tag::BlockQuote(_)) => self.quotes += 1,
            Event::End(TagEnd::BlockQuote(_)) => self.quotes -= 1,
            Event::Start(Tag::Link { .. } | Tag::Image { .. }) => self.links += 1,
            Event::End(TagEnd::Link | TagEnd::Image) => self.links -= 1,
            _ => {}
        }
    }

    fn mentions_count(&self) -> bool {
        self.code_blocks == 0 && self.quotes == 0 && self.links == 0
    }

    /// Bare URLs become links outside code and links.
    fn links_count(&self) -> bool {
        self.code_blocks == 0 && self.links == 0
    }
}

fn is_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-'
}

/// A username's shape (3–32 of `[A-Za-z0-9_-]`), the accounts rule.
fn is_username(name: &str) -> bool {
    (3..=32).contains(&name.len()) && name.bytes().all(is_name_byte)
}

/// The byte ranges of `@name` in a text: `@` at the start or after a character that is not
/// part of a name or an address (so `a@b.com` is no mention), then a whole username.
fn mention_spans(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'@' && (i == 0 || !(is_name_byte(bytes[i - 1]) || bytes[i - 1] == b'.')) {
            let end = (i + 1..bytes.len())
                .find(|&j| !is_name_byte(bytes[j]))
                .unwrap_or(bytes.len());
            if is_username(&text[i + 1..end]) {
                spans.push((i, end));
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    spans
}

/// A text event with its mentions as profile links.
fn link_mentions(text: CowStr<'_>) -> Vec<Event<'_>> {
    let spans = mention_spans(&text);
    if spans.is_empty() {
        return vec![Event::Text(text)];
    }
    let mut events = Vec::with_capacity(spans.len() * 2 + 1);
    let mut at = 0;
    for (start, end) in spans {
        if start > at {
            events.push(Event::Text(CowStr::from(text[at..start].to_string())));
        }
        let name = &text[start + 1..end];
        events.push(Event::InlineHtml(CowStr::from(format!(
            "<a class=\"mention\" href=\"{PROFILE_PATH}{name}\">@{name}</a>"
        ))));
        at = end;
    }
    if at < text.len() {
        events.push(Event::Text(CowStr::from(text[at..].to_string())));
    }
    events
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

/// The start of a post as HTML, for showing an answer under its question: whole top-level
/// blocks (paragraphs, lists, code, not highlighted) while their text stays within `budget`
/// characters; when even the first is longer, its plain text cut to the budget.
pub fn excerpt_html(markdown: &str, budget: usize) -> String {
    let mut depth = 0usize;
    let mut end = 0;
    let mut used = 0;
    for (event, range) in Parser::new_ext(markdown, options()).into_offset_iter() {
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth -= 1;
                if depth == 0 {
                    let chars = plain_text(&markdown[end..range.end], budget + 1)
                        .chars()
                        .count();
                    if used + chars > budget {
                        break;
                    }
                    used += chars;
                    end = range.end;
                }
            }
            _ => {}
        }
    }
    if end == 0 {
        let text = escape(&excerpt(markdown, budget));
        return format!("<p>{text}</p>");
    }
    // Rendered on every read of a solved thread: code stays plain (no highlighting cost).
    render_in_request(&markdown[..end]).html
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
    fn one_pass_counts_what_the_embed_count_counts() {
        for post in [
            "plain",
            "[a](https://a.example) and ![img](https://i.example/x.png) and @ada",
            "[ada](/u/ada) `[not](https://x.example)` [b](https://b.example)",
        ] {
            assert_eq!(render_counting(post).embeds, embeds(post), "{post}");
            assert_eq!(render_counting(post).html, render(post), "{post}");
        }
    }

    #[test]
    fn embeds_count_links_and_images_but_not_profile_links() {
        let post = "See [docs](https://docs.rs), <https://example.com>, [me](/users/alice) \
                    and ![chart](https://img.example/c.png). `[no](https://x.y)` \
                    https://bare.example is a link too, as on GitHub.";
        assert_eq!(
            embeds(post),
            Embeds {
                links: 3,
                images: 1
            }
        );
        assert_eq!(embeds("plain words"), Embeds::default());
    }

    #[test]
    fn uploaded_files_are_neither_links_nor_images_from_elsewhere() {
        let file = format!("/files/{}.png", "ab".repeat(32));
        let post = format!("![shot]({file}) and [log]({file}) but ![x](https://img.example/x.png)");
        assert_eq!(
            embeds(&post),
            Embeds {
                links: 0,
                images: 1
            }
        );
        let html = render(&post);
        assert!(
            html.contains(&format!("<img src=\"{file}\" alt=\"shot\"")),
            "{html}"
        );
        assert!(
            !render("![x](/files/../etc/passwd.png)").contains("src="),
            "only file names"
        );
    }

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
    fn mentions_are_found_in_text_only() {
        let body = "Hi @alice and @Bob_2, not a@b.com nor `@carol` nor\n\n\
                    ```\n@dave\n```\n\n> @erin said\n\n[@frank](https://x.dev) @al \
                    again @ALICE, @gus-h.";
        assert_eq!(mentions(body), vec!["alice", "Bob_2", "gus-h"]);
    }

    #[test]
    fn mentions_become_profile_links_and_other_relative_links_stay_out() {
        let html = render("ping @alice_1, see `@bob` and [x](/admin)");
        assert!(
            html.contains(
                r#"<a class="mention" href="/users/alice_1" rel="nofollow ugc noopener">@alice_1</a>,"#
            ),
            "{html}"
        );
        assert!(html.contains("<code>@bob</code>"), "{html}");
        assert!(!html.contains("/admin"), "{html}");
        let escaped = render("@<script>alert(1)</script>");
        assert!(!escaped.contains("<script"), "{escaped}");
    }

    #[test]
    fn html_excerpts_keep_whole_blocks_within_the_budget() {
        let post = "Use `Arc`:\n\n```rust\nlet a = Arc::new(1);\n```\n\nThen a long tail. "
            .to_string()
            + &"word ".repeat(100);
        let html = excerpt_html(&post, 60);
        assert!(html.contains("<code>Arc</code>"), "{html}");
        assert!(html.contains("<code class=\"language-rust\">"), "{html}");
        assert!(!html.contains("long tail"), "{html}");
        let only_long = excerpt_html(&format!("<b>{}</b>", "x".repeat(100)), 20);
        assert_eq!(only_long, format!("<p>{}…</p>", "x".repeat(19)));
        let short = excerpt_html("Just *this* & that", 50);
        assert!(
            short.contains("<p>Just <em>this</em> &amp; that</p>"),
            "{short}"
        );
        let escaped = excerpt_html(&format!("`<x>` {}", "y".repeat(50)), 10);
        assert!(escaped.starts_with("<p>&lt;x&gt; y"), "{escaped}");
    }

    #[test]
    fn bare_urls_are_links_and_a_link_alone_on_its_line_is_a_card_candidate() {
        let post = "See https://docs.rs/tokio for more.\n\n\
                    https://github.com/tokio-rs/tokio/issues/1\n\n\
                    <https://blog.example/post>\n\n\
                    [named](https://named.example/)\n\n\
                    > https://quoted.example/\n\n\
                    `https://code.example/`\n\n\
                    https://github.com/tokio-rs/tokio/issues/1";
        let rendered = render_counting(post);
        assert!(
            rendered
                .html
                .contains(r#"<a href="https://docs.rs/tokio" rel="nofollow ugc noopener">https://docs.rs/tokio</a>"#),
            "{}",
            rendered.html
        );
        assert_eq!(
            rendered.lone_links,
            [
                "https://github.com/tokio-rs/tokio/issues/1",
                "https://blog.example/post"
            ],
            "a named link, a quote and code are no cards; each URL once"
        );
        assert!(
            !rendered.html.contains("href=\"https://code.example/"),
            "{}",
            rendered.html
        );
    }

    #[test]
    fn a_request_renders_code_plain_and_says_highlighting_is_pending() {
        let post = "```rust\nfn main() {}\n```";
        let quick = render_in_request(post);
        assert_eq!(
            quick.html,
            "<pre><code class=\"language-rust\">fn main() {}\n</code></pre>\n"
        );
        assert!(quick.highlight_pending);
        let full = render_counting(post);
        assert!(
            full.html.contains("<span class=\"hl-keyword\">fn</span>"),
            "{}",
            full.html
        );
        assert!(!full.highlight_pending);
        assert!(!render_in_request("```\nplain\n```").highlight_pending);
    }

    #[test]
    fn only_the_first_links_of_a_post_become_cards() {
        let post: Vec<String> = (0..cards::MAX_PER_POST + 3)
            .map(|n| format!("https://site{n}.example/"))
            .collect();
        let found = render_counting(&post.join("\n\n")).lone_links;
        assert_eq!(found, post[..cards::MAX_PER_POST]);
    }

    #[test]
    fn a_card_replaces_its_link_and_is_sanitised_like_the_post() {
        let url = "https://blog.example/post";
        let card = Card {
            url: url.into(),
            title: "Pin <explained>".into(),
            description: Some("<script>alert(1)</script> & more".into()),
            site_name: Some("Blog".into()),
            image: Some("https://blog.example/i.png".into()),
            kind: cards::CardKind::Page,
        };
        let html = render_with_cards(
            &format!("Read this:\n\n{url}\n\nThanks."),
            &HashMap::from([(url.to_string(), card.clone())]),
        )
        .html;
        assert!(
            html.contains(&format!("<aside class=\"onebox\" data-url=\"{url}\">")),
            "{html}"
        );
        assert!(html.contains("Pin &lt;explained&gt;"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"),
            "{html}"
        );
        assert!(
            html.contains("<img class=\"onebox-image\" src=\"https://blog.example/i.png\""),
            "{html}"
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("<p>Thanks.</p>"), "{html}");
        // Only an https image, and never another kind of URL in data-url.
        let mut plain = card;
        plain.image = Some("http://blog.example/i.png".into());
        plain.url = "https://blog.example/\"onmouseover=\"x".into();
        let html = cards::html(&plain);
        let cleaned = SANITIZER.clean(&html).to_string();
        assert!(!cleaned.contains("<img"), "{cleaned}");
        assert!(!cleaned.contains("onmouseover=\"x"), "{cleaned}");
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
