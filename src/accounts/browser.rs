//! Sessions in a browser (API.md, "Sessions in a browser"; RFC 9700 and the OAuth
//! browser-based-apps BCP): the refresh token lives in an HttpOnly `__Host-` cookie that
//! JavaScript cannot read, and the access token only in the page's memory.
//!
//! The cookie is honoured only on requests that say `X-Session-Mode: cookie` (a cross-site
//! form cannot set a custom header, and a cross-site script cannot send one without CORS
//! allowing it) and whose `Origin`, when present, is the API's own or an allowed one.
//! `SameSite=Strict` keeps other sites' requests from carrying the cookie at all.

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::HttpRequest;

use crate::error::ApiError;

/// The header a browser client sends on `login`, `refresh` and `logout`.
pub const SESSION_MODE_HEADER: &str = "x-session-mode";
/// The refresh token's cookie: `__Host-` means Secure, no Domain, `Path=/`.
pub const REFRESH_COOKIE: &str = "__Host-devforum_refresh";

/// Where the refresh token travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionMode {
    /// In JSON bodies (other clients).
    Json,
    /// In the HttpOnly cookie (browsers).
    Cookie,
}

/// The session mode a request asks for: `X-Session-Mode: cookie`, or none.
pub fn session_mode(header: Option<&str>) -> Result<SessionMode, ApiError> {
    match header.map(str::trim) {
        None => Ok(SessionMode::Json),
        Some(value) if value.eq_ignore_ascii_case("cookie") => Ok(SessionMode::Cookie),
        Some(_) => Err(ApiError::bad_request(
            "invalid_session_mode",
            "X-Session-Mode must be `cookie` (or left out for tokens in the body).",
        )),
    }
}

/// The session mode of this request.
pub fn mode_of(req: &HttpRequest) -> Result<SessionMode, ApiError> {
    let header = req
        .headers()
        .get(SESSION_MODE_HEADER)
        .map(|value| value.to_str().unwrap_or("?"));
    session_mode(header)
}

/// Whether a request from `origin` may use the cookie: the API's own origin(s) or one
/// configured in `server.cors_allowed_origins` (`*` does not extend to credentials).
pub fn origin_allowed(origin: &str, own: &[String], allowed: &[String]) -> bool {
    let origin = origin.trim_end_matches('/');
    own.iter()
        .chain(allowed.iter().filter(|a| a.as_str() != "*"))
        .any(|candidate| candidate.trim_end_matches('/').eq_ignore_ascii_case(origin))
}

/// `scheme://host[:port]` of a URL, as browsers send it in `Origin`.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| format!("{}://{}", scheme.to_ascii_lowercase(), host))
}

/// Refuses a cookie-mode request from an origin that may not use the cookie.
pub fn check_origin(req: &HttpRequest, base_url: &str, allowed: &[String]) -> Result<(), ApiError> {
    let Some(origin) = req.headers().get(actix_web::http::header::ORIGIN) else {
        // Same-origin GETs and non-browser clients send none; SameSite=Strict and the custom
        // header already keep cross-site requests out.
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or_default();
    let info = req.connection_info();
    let mut own = vec![format!("{}://{}", info.scheme(), info.host())];
    own.extend(origin_of(base_url));
    if origin_allowed(origin, &own, allowed) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized {
            code: "origin_not_allowed",
            detail: format!("Requests from {origin} may not use the session cookie."),
        })
    }
}

/// The cookie that carries a refresh token for `max_age`.
pub fn refresh_cookie(token: String, max_age: chrono::Duration) -> Cookie<'static> {
    Cookie::build(REFRESH_COOKIE, token)
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(time::Duration::seconds(max_age.num_seconds()))
        .finish()
}

/// The same cookie, expired: the browser forgets it.
pub fn removal_cookie() -> Cookie<'static> {
    let mut cookie = refresh_cookie(String::new(), chrono::Duration::zero());
    cookie.make_removal();
    cookie
}

/// The refresh token a request presents. In cookie mode it is the cookie's (after the
/// origin check); otherwise the body's. A request that carries only the cookie, without
/// `X-Session-Mode: cookie`, is refused: that is how a cross-site form would arrive.
pub fn presented_token(
    req: &HttpRequest,
    mode: SessionMode,
    body_token: Option<&str>,
    base_url: &str,
    allowed_origins: &[String],
) -> Result<String, ApiError> {
    let cookie = req.cookie(REFRESH_COOKIE).map(|c| c.value().to_string());
    match mode {
        SessionMode::Cookie => {
            check_origin(req, base_url, allowed_origins)?;
            let token = cookie
                .filter(|t| !t.is_empty())
                .ok_or_else(|| ApiError::Unauthorized {
                    code: "invalid_refresh_token",
                    detail: "There is no session cookie; sign in again.".into(),
                })?;
            super::domain::refresh_token(&token).map_err(|_| ApiError::Unauthorized {
                code: "invalid_refresh_token",
                detail: "The session cookie is not a refresh token; sign in again.".into(),
            })
        }
        SessionMode::Json => match body_token {
            Some(raw) => super::domain::refresh_token(raw)
                .map_err(|m| ApiError::invalid_field("refresh_token", m)),
            None if cookie.is_some() => Err(ApiError::Unauthorized {
                code: "session_mode_required",
                detail: "The session cookie is honoured only with `X-Session-Mode: cookie`.".into(),
            }),
            // The body may be left out (cookie mode); without a token there is no session.
            None => Err(ApiError::Unauthorized {
                code: "invalid_refresh_token",
                detail: "No refresh token was sent: send it in the body, or send \
                         `X-Session-Mode: cookie` to use the session cookie."
                    .into(),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mode_is_cookie_only_when_asked_for() {
        assert_eq!(session_mode(None).unwrap(), SessionMode::Json);
        assert_eq!(session_mode(Some("cookie")).unwrap(), SessionMode::Cookie);
        assert_eq!(session_mode(Some(" Cookie ")).unwrap(), SessionMode::Cookie);
        assert!(session_mode(Some("header")).is_err());
        assert!(session_mode(Some("")).is_err());
    }

    #[test]
    fn origins_match_exactly_and_a_wildcard_grants_no_cookie() {
        let own = vec!["https://forum.example".to_string()];
        let allowed = vec!["https://app.example".to_string(), "*".to_string()];
        assert!(origin_allowed("https://forum.example", &own, &allowed));
        assert!(origin_allowed("https://app.example", &own, &allowed));
        assert!(origin_allowed("https://FORUM.example/", &own, &allowed));
        assert!(!origin_allowed("https://evil.example", &own, &allowed));
        assert!(!origin_allowed("http://forum.example", &own, &allowed));
        assert!(!origin_allowed(
            "https://forum.example.evil",
            &own,
            &allowed
        ));
        assert!(!origin_allowed("null", &own, &[]));
    }

    #[test]
    fn a_url_has_an_origin() {
        assert_eq!(
            origin_of("https://forum.example/path?x=1").as_deref(),
            Some("https://forum.example")
        );
        assert_eq!(
            origin_of("http://localhost:3000").as_deref(),
            Some("http://localhost:3000")
        );
        assert_eq!(origin_of("not a url"), None);
    }

    #[test]
    fn the_cookie_is_host_only_secure_http_only_and_strict() {
        let cookie = refresh_cookie("t".into(), chrono::Duration::days(30));
        let text = cookie.to_string();
        for part in [
            "__Host-devforum_refresh=t",
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/",
        ] {
            assert!(text.contains(part), "{text}");
        }
        assert!(!text.contains("Domain"), "{text}");
        assert!(removal_cookie().to_string().contains("Max-Age=0"));
    }
}
