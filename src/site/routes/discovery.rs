//! What crawlers read first: `robots.txt` and the sitemaps.

use actix_web::http::header::{self};
use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::config::Settings;
use crate::db::{self, Cost};
use crate::error::ApiError;
use crate::http::conditional::Validators;
use crate::reads::ReadPool;
use crate::site::respond::{answer, SLOW, XML};
use crate::site::sitemaps::{Sitemap, Sitemaps};
use crate::site::urls::Site;

/// What crawlers may read, and where the sitemap is.
#[utoipa::path(
    tag = "pages",
    responses((status = 200, description = "robots.txt", content_type = "text/plain", body = String))
)]
#[get("/robots.txt")]
pub async fn robots(settings: web::Data<Settings>) -> HttpResponse {
    let site = Site::new(&settings.web.base_url);
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, SLOW))
        .body(robots_txt(&site))
}

/// `robots.txt`: the API and the member-only parts of the client are not for crawlers.
pub fn robots_txt(site: &Site) -> String {
    format!(
        "User-agent: *\nDisallow: /api/\nDisallow: /settings\nDisallow: /mod\nDisallow: /admin\n\
         Disallow: /notifications\nDisallow: /search\n\nSitemap: {}\n",
        site.sitemap_index()
    )
}

/// The sitemap index.
#[utoipa::path(
    tag = "pages",
    responses(
        (status = 200, description = "A sitemap index of the threads' and meetups' sitemaps", content_type = "application/xml", body = String),
        (status = 304, description = "The copy the client holds is current"),
    )
)]
#[get("/sitemap.xml")]
pub async fn sitemap_index(
    req: HttpRequest,
    pool: ReadPool,
    settings: web::Data<Settings>,
    sitemaps: web::Data<Sitemaps>,
) -> Result<HttpResponse, ApiError> {
    sitemap(req, pool, settings, sitemaps, Sitemap::Index).await
}

/// One sitemap: `threads-{n}.xml` (at most 50,000 threads) or `meetups.xml`.
#[utoipa::path(
    tag = "pages",
    params(("file" = String, Path, description = "`threads-{n}.xml` or `meetups.xml`")),
    responses(
        (status = 200, description = "A sitemap", content_type = "application/xml", body = String),
        (status = 304, description = "The copy the client holds is current"),
        (status = 404, description = "No such sitemap"),
    )
)]
#[get("/sitemaps/{file}")]
pub async fn sitemap_file(
    req: HttpRequest,
    path: web::Path<String>,
    pool: ReadPool,
    settings: web::Data<Settings>,
    sitemaps: web::Data<Sitemaps>,
) -> Result<HttpResponse, ApiError> {
    let Some(which) = Sitemap::named(&path) else {
        return Err(ApiError::NotFound);
    };
    sitemap(req, pool, settings, sitemaps, which).await
}

async fn sitemap(
    req: HttpRequest,
    pool: ReadPool,
    settings: web::Data<Settings>,
    sitemaps: web::Data<Sitemaps>,
    which: Sitemap,
) -> Result<HttpResponse, ApiError> {
    let site = Site::new(&settings.web.base_url);
    let sitemaps = sitemaps.into_inner();
    let built = db::read(&pool, Cost::Large, move |conn| {
        sitemaps.get(conn, &site, &which)
    })
    .await?
    .ok_or(ApiError::NotFound)?;
    let validators = Validators {
        tag: built.etag.clone(),
        last_modified: built.last_modified,
    };
    Ok(answer(&req, &validators, XML, SLOW, built.xml.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robots_names_the_sitemap_and_keeps_crawlers_out_of_the_api() {
        let text = robots_txt(&Site::new("https://forum.example"));
        for line in [
            "Disallow: /api/",
            "Disallow: /settings",
            "Disallow: /mod",
            "Disallow: /admin",
        ] {
            assert!(text.lines().any(|l| l == line), "{line}");
        }
        assert!(text.ends_with("Sitemap: https://forum.example/sitemap.xml\n"));
    }
}
