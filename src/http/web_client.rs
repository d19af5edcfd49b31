//! The web client (`web/`, built by Vite into `web.dist_dir`) served from the API's own origin,
//! so a browser needs no CORS and the session cookie stays first-party.
//!
//! - Files of the build are served as they are: hashed assets (`/assets/…`) are cached for a
//!   year (`immutable`); anything else, `index.html` above all, is revalidated on every use
//!   (`no-cache`), so a deploy reaches every browser at once.
//! - A `GET` of any other path outside the API is a client route: it answers `index.html`.
//! - When the browser accepts it, a precompressed sibling (`.br`, then `.gz`) is sent instead.
//! - The client's pages carry a strict Content-Security-Policy: scripts and styles only from
//!   this origin (no inline script), no framing.

use std::path::{Component, Path, PathBuf};

use actix_files::NamedFile;
use actix_web::http::header::{self, ContentEncoding, HeaderValue};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};

use super::methods::KnownRoutes;
use super::problems;

/// The policy of the client's pages. Images may come from anywhere over HTTPS (posts link
/// them); everything else only from this origin.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data: https:; font-src 'self'; connect-src 'self'; \
     object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Paths that belong to the server, never to the client's router.
const SERVER_PREFIXES: &[&str] = &["/api", "/docs", "/health", "/ready", "/metrics"];

/// A built client on disk.
#[derive(Debug, Clone)]
pub struct WebClient {
    root: PathBuf,
    /// The tags of `index.html`'s head that load the build (its script, style sheet and
    /// preloads), for the server-rendered pages the client takes over.
    assets: String,
    /// Names this build (a hash of `index.html`): part of the server-rendered pages' ETags.
    build: String,
}

impl WebClient {
    /// The client built into `dist`, if it has a readable `index.html`.
    pub fn at(dist: &Path) -> Option<WebClient> {
        let index = std::fs::read_to_string(dist.join("index.html")).ok()?;
        Some(WebClient {
            root: dist.to_path_buf(),
            assets: asset_tags(&index),
            build: build_id(&index),
        })
    }

    /// The head tags that load the build.
    pub fn assets(&self) -> &str {
        &self.assets
    }

    /// This build's name.
    pub fn build(&self) -> &str {
        &self.build
    }

    /// The client's `index.html`, as any client route answers it.
    pub fn index(&self, req: &HttpRequest) -> HttpResponse {
        send(req, &self.root.join("index.html"), "/index.html")
    }

    /// The client built into `dist`, saying in the log whether there is one.
    pub fn load(dist: &Path) -> Option<WebClient> {
        let client = WebClient::at(dist);
        match client {
            Some(_) => tracing::info!(dist = %dist.display(), "serving the web client"),
            None => tracing::info!(
                dist = %dist.display(),
                "no built web client there (npm run build in web/); serving the API alone"
            ),
        }
        client
    }

    /// The file of the build a request path names, if it names one (never outside the root).
    fn file(&self, path: &str) -> Option<PathBuf> {
        let relative = Path::new(path.trim_start_matches('/'));
        if relative
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
        {
            return None;
        }
        let file = self.root.join(relative);
        file.is_file().then_some(file)
    }
}

/// The `<script>` and `<link>` lines of a built `index.html` that name files of the build
/// (`/assets/…`), in their order.
fn asset_tags(index: &str) -> String {
    let head = index.split("</head>").next().unwrap_or_default();
    head.lines()
        .map(str::trim)
        .filter(|line| {
            (line.starts_with("<script") || line.starts_with("<link")) && line.contains("/assets/")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A short name of a build: the first 12 hex digits of its `index.html`'s SHA-256.
fn build_id(index: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(index.as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// Whether a path is the server's (the API, its docs, the probes) rather than a client route.
pub fn is_server_path(path: &str) -> bool {
    SERVER_PREFIXES.iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// How long a browser may keep a file of the build.
pub fn cache_control(path: &str) -> &'static str {
    if path.trim_start_matches('/').starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

/// The precompressed sibling to send for this `Accept-Encoding`, if the build has one.
fn precompressed(file: &Path, accept_encoding: &str) -> Option<(PathBuf, ContentEncoding)> {
    let accepts = |coding: &str| {
        accept_encoding.split(',').any(|part| {
            let mut fields = part.split(';');
            let name = fields.next().unwrap_or_default().trim();
            let refused = fields.any(|f| {
                f.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    == Some(0.0)
            });
            name.eq_ignore_ascii_case(coding) && !refused
        })
    };
    [
        ("br", ContentEncoding::Brotli),
        ("gzip", ContentEncoding::Gzip),
    ]
    .into_iter()
    .filter(|(coding, _)| accepts(coding))
    .find_map(|(coding, encoding)| {
        let extension = if coding == "br" { "br" } else { "gz" };
        let mut name = file.as_os_str().to_owned();
        name.push(".");
        name.push(extension);
        let sibling = PathBuf::from(name);
        sibling.is_file().then_some((sibling, encoding))
    })
}

/// Sends one file of the build with its caching, encoding and page headers.
fn send(req: &HttpRequest, file: &Path, path: &str) -> HttpResponse {
    let accept = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mime = actix_files::file_extension_to_mime(
        file.extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default(),
    );
    let opened = match precompressed(file, accept) {
        Some((sibling, encoding)) => NamedFile::open(sibling)
            .map(|f| f.set_content_type(mime).set_content_encoding(encoding)),
        None => NamedFile::open(file).map(|f| f.set_content_type(mime)),
    };
    let Ok(named) = opened else {
        return problems::no_route(req);
    };
    let mut response = named.into_response(req);
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control(path)),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if file.extension().is_some_and(|e| e == "html") {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}

/// Every request no route took: a file of the client, a client route, the API's 405 (a path
/// it has, another method) or its 404.
pub async fn fallback(
    req: HttpRequest,
    client: web::Data<Option<WebClient>>,
    routes: web::Data<KnownRoutes>,
) -> HttpResponse {
    let path = req.path().to_string();
    let readable = req.method() == Method::GET || req.method() == Method::HEAD;
    match client.as_ref() {
        Some(client) if readable && !is_server_path(&path) => match client.file(&path) {
            Some(file) => send(&req, &file, &path),
            None => send(&req, &client.root.join("index.html"), "/index.html"),
        },
        _ => routes
            .method_not_allowed(&req)
            .unwrap_or_else(|| problems::no_route(&req)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_paths_are_never_client_routes() {
        for path in [
            "/api/v1/threads",
            "/docs",
            "/docs/",
            "/health",
            "/ready",
            "/metrics",
        ] {
            assert!(is_server_path(path), "{path}");
        }
        for path in [
            "/",
            "/threads/7",
            "/verify-email",
            "/apis",
            "/healthy-habits",
        ] {
            assert!(!is_server_path(path), "{path}");
        }
    }

    #[test]
    fn hashed_assets_are_immutable_and_pages_revalidate() {
        assert_eq!(
            cache_control("/assets/index-3f2a.js"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(cache_control("/index.html"), "no-cache");
        assert_eq!(cache_control("/favicon.svg"), "no-cache");
    }

    #[test]
    fn paths_stay_inside_the_build() {
        let dir = std::env::temp_dir().join(format!("devforum-web-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(
            dir.join("index.html"),
            "<!doctype html>\n<head>\n  <title>devforum</title>\n  \
             <script type=\"module\" crossorigin src=\"/assets/index-1.js\"></script>\n  \
             <link rel=\"stylesheet\" crossorigin href=\"/assets/index-2.css\">\n  \
             <link rel=\"icon\" href=\"/favicon.svg\">\n</head>\n<body></body>",
        )
        .unwrap();
        std::fs::write(dir.join("assets/app.js"), "1").unwrap();
        std::fs::write(dir.join("assets/app.js.br"), "1").unwrap();
        let client = WebClient::at(&dir).expect("a client");
        assert_eq!(
            client.assets(),
            "<script type=\"module\" crossorigin src=\"/assets/index-1.js\"></script>\n\
             <link rel=\"stylesheet\" crossorigin href=\"/assets/index-2.css\">"
        );
        assert_eq!(client.build().len(), 12);
        assert!(client.file("/assets/app.js").is_some());
        assert!(client.file("/../index.html").is_none());
        assert!(client.file("/assets/../../etc/passwd").is_none());
        assert!(client.file("/missing.js").is_none());
        let js = dir.join("assets/app.js");
        assert_eq!(
            precompressed(&js, "gzip, deflate, br").map(|(_, e)| e),
            Some(ContentEncoding::Brotli)
        );
        assert_eq!(precompressed(&js, "gzip").map(|(_, e)| e), None);
        assert_eq!(precompressed(&js, "br;q=0, gzip").map(|(_, e)| e), None);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(WebClient::at(&dir).is_none());
    }
}
