//! Public pages (`src/site`): what a search engine, a link unfurler and a feed reader get,
//! read with a real HTML parser (scraper), the JSON-LD parsed as JSON, and the feeds with a
//! real feed parser (feed-rs).

mod discovery;
mod pages;

use reqwest::header::HeaderMap;
use scraper::{Html, Selector};
use serde_json::Value;

use crate::helpers::TestApp;

/// A client that shows redirects instead of following them.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A page as a crawler reads it: status, headers, the parsed document and its text.
pub struct Fetched {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Fetched {
    pub fn html(&self) -> Html {
        Html::parse_document(&self.text)
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }

    /// The `content` of `<meta property|name=…>`.
    pub fn meta(&self, key: &str) -> Option<String> {
        let selector = Selector::parse(&format!("meta[property=\"{key}\"], meta[name=\"{key}\"]"))
            .expect("selector");
        self.html()
            .select(&selector)
            .next()
            .and_then(|e| e.value().attr("content").map(str::to_string))
    }

    /// The `href` of the first `<link rel=…>`.
    pub fn link(&self, rel: &str) -> Option<String> {
        let selector = Selector::parse(&format!("link[rel=\"{rel}\"]")).expect("selector");
        self.html()
            .select(&selector)
            .next()
            .and_then(|e| e.value().attr("href").map(str::to_string))
    }

    /// Every JSON-LD document of the page, parsed.
    pub fn structured_data(&self) -> Vec<Value> {
        let selector = Selector::parse("script[type=\"application/ld+json\"]").expect("selector");
        self.html()
            .select(&selector)
            .map(|e| {
                let text: String = e.text().collect();
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("JSON-LD: {e}: {text}"))
            })
            .collect()
    }

    /// The JSON-LD document of `@type`.
    pub fn typed(&self, kind: &str) -> Option<Value> {
        self.structured_data()
            .into_iter()
            .find(|data| data["@type"] == kind)
    }

    /// The text of every element `selector` matches.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let selector = Selector::parse(selector).expect("selector");
        self.html()
            .select(&selector)
            .map(|e| e.text().collect::<String>().trim().to_string())
            .collect()
    }
}

impl TestApp {
    /// `path` as a visitor (no redirects followed), with extra request headers.
    pub async fn visit_with(&self, path: &str, headers: &[(&str, &str)]) -> Fetched {
        let mut request = no_redirects().get(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request");
        Fetched {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            text: response.text().await.expect("body"),
        }
    }

    pub async fn visit(&self, path: &str) -> Fetched {
        self.visit_with(path, &[]).await
    }

    /// A thread's canonical path (from the API's `slug`).
    pub async fn thread_path(&self, id: i64) -> String {
        let thread = crate::helpers::json(self.get(&format!("/api/v1/threads/{id}")).await).await;
        format!("/t/{id}/{}", thread["slug"].as_str().expect("slug"))
    }
}
