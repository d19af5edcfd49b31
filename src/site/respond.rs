//! What every public page's handler answers with: the frame (the site, the web client), the
//! headers of pages and feeds, conditional answers, redirects and the HTML 404 page.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use minijinja::context;
use sha2::{Digest, Sha256};

use crate::accounts::browser::REFRESH_COOKIE;
use crate::config::Settings;
use crate::error::ApiError;
use crate::http::conditional::Validators;
use crate::http::web_client::{WebClient, CONTENT_SECURITY_POLICY};
use crate::site::pages::{self, Head};
use crate::site::urls::Site;

/// How long a visitor's browser or a cache may keep a page, and serve it stale while asking
/// again.
pub(crate) const PUBLIC: &str = "public, max-age=60, stale-while-revalidate=300";
/// Sitemaps and `robots.txt` change slowly.
pub(crate) const SLOW: &str = "public, max-age=600";
pub(crate) const HTML: &str = "text/html; charset=utf-8";
pub(crate) const ATOM: &str = "application/atom+xml; charset=utf-8";
pub(crate) const XML: &str = "application/xml; charset=utf-8";
/// Characters of a post in a page's description.
pub(crate) const DESCRIPTION_CHARS: usize = 160;

/// What every page handler needs besides the database.
pub(crate) struct Frame<'a> {
    pub(crate) site: Site,
    client: Option<&'a WebClient>,
}

impl<'a> Frame<'a> {
    pub(crate) fn new(settings: &Settings, client: &'a Option<WebClient>) -> Self {
        Frame {
            site: Site::new(&settings.web.base_url),
            client: client.as_ref(),
        }
    }

    pub(crate) fn assets(&self) -> &str {
        self.client.map_or("", WebClient::assets)
    }

    pub(crate) fn build(&self) -> &str {
        self.client.map_or("api", WebClient::build)
    }

    /// The web client, for a signed-in member: pages are for visitors.
    pub(crate) fn client_for(&self, req: &HttpRequest) -> Option<HttpResponse> {
        let signed_in = req.cookie(REFRESH_COOKIE).is_some();
        let client = self.client.filter(|_| signed_in)?;
        let mut answer = client.index(req);
        answer
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Cookie"));
        Some(answer)
    }

    pub(crate) fn not_found(&self) -> Result<HttpResponse, ApiError> {
        let mut head = Head::new("Not found", "There is nothing at this address.");
        head.noindex = true;
        let body = pages::render("not_found.html", &head, self.assets(), None, context! {})?;
        let mut builder = HttpResponse::NotFound();
        html_headers(&mut builder);
        Ok(builder.body(body))
    }

    /// `result`, or the HTML 404 page when it is `NotFound`.
    pub(crate) fn or_not_found(
        &self,
        result: Result<HttpResponse, ApiError>,
    ) -> Result<HttpResponse, ApiError> {
        match result {
            Err(ApiError::NotFound) => self.not_found(),
            other => other,
        }
    }
}

pub(crate) fn html_headers(builder: &mut actix_web::HttpResponseBuilder) {
    builder
        .content_type(HTML)
        .insert_header((header::CACHE_CONTROL, PUBLIC))
        .insert_header((header::VARY, "Cookie"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"));
}

/// A page or feed with its validators: `304` when the client holds it already.
pub(crate) fn answer(
    req: &HttpRequest,
    validators: &Validators,
    content_type: &'static str,
    cache_control: &'static str,
    body: String,
) -> HttpResponse {
    if validators.is_fresh(req) {
        return not_modified(validators, content_type, cache_control);
    }
    let mut builder = HttpResponse::Ok();
    if content_type == HTML {
        html_headers(&mut builder);
    } else {
        builder
            .content_type(content_type)
            .insert_header((header::CACHE_CONTROL, cache_control));
    }
    validators.apply(&mut builder);
    builder.body(body)
}

/// A page with its validators (after the conditional request was looked at).
pub(crate) fn page_answer(validators: &Validators, body: Bytes) -> HttpResponse {
    let mut builder = HttpResponse::Ok();
    html_headers(&mut builder);
    validators.apply(&mut builder);
    builder.body(body)
}

/// `304 Not Modified`; a page's says it varies with the cookie, as the page does.
pub(crate) fn not_modified(
    validators: &Validators,
    content_type: &'static str,
    cache_control: &'static str,
) -> HttpResponse {
    let mut answer = validators.not_modified(cache_control);
    if content_type == HTML {
        answer
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Cookie"));
    }
    answer
}

/// The first 12 bytes of a document's SHA-256, in hex: what its `ETag` says.
pub(crate) fn digest_of(document: &str) -> String {
    Sha256::digest(document.as_bytes())
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Validators from what a document says (feeds, tag and profile pages, sitemaps): it is
/// built, but not sent again.
pub(crate) fn validators_of(kind: &str, body: &str, last_modified: DateTime<Utc>) -> Validators {
    Validators {
        tag: format!("{kind}.{}", digest_of(body)),
        last_modified,
    }
}

pub(crate) fn moved(location: String) -> HttpResponse {
    HttpResponse::MovedPermanently()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .finish()
}

/// A path's id: a positive number, or nothing (`404`).
pub(crate) fn id_of(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().filter(|id| *id > 0)
}

/// The first picture of a post's HTML (its `og:image`).
pub(crate) fn first_image(html: &str) -> Option<String> {
    let start = html.find("<img src=\"")? + "<img src=\"".len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].replace("&amp;", "&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_image_of_a_post_is_its_preview_picture() {
        assert_eq!(
            first_image(
                "<p>x</p><p><img src=\"/files/ab.png\" alt=\"shot\"></p><img src=\"/files/c.png\">"
            ),
            Some("/files/ab.png".into())
        );
        assert_eq!(
            first_image("<img src=\"https://x.example/a.png?a=1&amp;b=2\" alt=\"\">"),
            Some("https://x.example/a.png?a=1&b=2".into())
        );
        assert_eq!(first_image("<p>no picture</p>"), None);
    }
}
