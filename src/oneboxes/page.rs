//! A page's own card: its Open Graph tags (`og:title`, `og:description`, `og:site_name`,
//! `og:image`), else its `<title>` and description meta.

use scraper::{Html, Selector};

use crate::markdown::cards::{Card, CardKind};
use crate::outbound::{Outbound, Refused};

/// Fetches `url` (HTML only) and reads its card.
pub async fn card(outbound: &Outbound, url: &str) -> Result<Card, Refused> {
    let page = outbound
        .get(url, &["text/html", "application/xhtml+xml"])
        .await?;
    let html = String::from_utf8_lossy(&page.body);
    read(url, &html).ok_or(Refused::NothingToShow)
}

/// The card a page's HTML describes; `None` when it names no title at all.
pub fn read(url: &str, html: &str) -> Option<Card> {
    let document = Html::parse_document(html);
    let meta = |names: &[&str]| -> Option<String> {
        for name in names {
            let selector =
                Selector::parse(&format!("meta[property=\"{name}\"], meta[name=\"{name}\"]"))
                    .ok()?;
            if let Some(content) = document
                .select(&selector)
                .filter_map(|m| m.value().attr("content"))
                .map(str::trim)
                .find(|c| !c.is_empty())
            {
                return Some(content.to_string());
            }
        }
        None
    };
    let title = meta(&["og:title", "twitter:title"]).or_else(|| {
        let selector = Selector::parse("title").ok()?;
        document
            .select(&selector)
            .next()
            .map(|t| t.text().collect::<String>().trim().to_string())
            .filter(|t| !t.is_empty())
    })?;
    let image = meta(&["og:image", "twitter:image"])
        .and_then(|i| url::Url::parse(url).ok()?.join(&i).ok())
        .filter(|i| i.scheme() == "https")
        .map(String::from);
    Some(Card {
        url: url.to_string(),
        title,
        description: meta(&["og:description", "twitter:description", "description"]),
        site_name: meta(&["og:site_name"]).or_else(|| {
            url::Url::parse(url)
                .ok()
                .and_then(|u| u.host_str().map(String::from))
        }),
        image,
        kind: CardKind::Page,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_graph_wins_and_the_title_is_the_fallback() {
        let card = read(
            "https://blog.example/post",
            r#"<html><head><title>Plain</title>
               <meta property="og:title" content="Pinning, explained">
               <meta property="og:description" content="Why Pin&lt;T&gt; exists.">
               <meta property="og:site_name" content="A blog">
               <meta property="og:image" content="/cover.png"></head></html>"#,
        )
        .expect("a card");
        assert_eq!(card.title, "Pinning, explained");
        assert_eq!(card.description.as_deref(), Some("Why Pin<T> exists."));
        assert_eq!(card.site_name.as_deref(), Some("A blog"));
        assert_eq!(
            card.image.as_deref(),
            Some("https://blog.example/cover.png")
        );

        let plain = read(
            "http://intranet.example:8080/x",
            r#"<title> Just a title </title><meta name="description" content="Words">
               <meta property="og:image" content="http://insecure.example/i.png">"#,
        )
        .expect("a card");
        assert_eq!(plain.title, "Just a title");
        assert_eq!(plain.description.as_deref(), Some("Words"));
        assert_eq!(plain.site_name.as_deref(), Some("intranet.example"));
        assert_eq!(plain.image, None, "images only over https");
        assert!(read("https://x.example", "<p>no title</p>").is_none());
    }
}
