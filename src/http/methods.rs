//! Which methods each path answers, for a `405 Method Not Allowed` with `Allow` where a path
//! exists but not for the method asked. A handler is its own resource (`#[get("/x")]`), so the
//! router alone only knows "no match"; the methods come from the OpenAPI document, which is
//! collected from the same registrations.

use actix_web::dev::ResourceDef;
use actix_web::http::{header, Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse};

use crate::error::Problem;

/// Every documented path with the methods it answers.
pub struct KnownRoutes {
    routes: Vec<(ResourceDef, Vec<Method>)>,
}

impl KnownRoutes {
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    (item.get.is_some(), Method::GET),
                    (item.post.is_some(), Method::POST),
                    (item.put.is_some(), Method::PUT),
                    (item.patch.is_some(), Method::PATCH),
                    (item.delete.is_some(), Method::DELETE),
                ]
                .into_iter()
                .filter_map(|(present, method)| present.then_some(method))
                .collect();
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        KnownRoutes { routes }
    }

    /// The methods `path` answers, if any route has it (GET implies HEAD), in a fixed order.
    /// A path written out in full wins over a template that would also take it:
    /// `/meetups/calendar.ics` is not `/meetups/{id}` (whose routes take digits only).
    pub fn allowed(&self, path: &str) -> Option<Vec<Method>> {
        let matching: Vec<&(ResourceDef, Vec<Method>)> = self
            .routes
            .iter()
            .filter(|(resource, _)| resource.is_match(path))
            .collect();
        let literal = matching
            .iter()
            .any(|(resource, _)| !resource.is_prefix() && resource.pattern() == Some(path));
        let mut found: Vec<Method> = matching
            .iter()
            .filter(|(resource, _)| !literal || resource.pattern() == Some(path))
            .flat_map(|(_, methods)| methods.iter().cloned())
            .collect();
        if found.is_empty() {
            return None;
        }
        if found.contains(&Method::GET) {
            found.push(Method::HEAD);
        }
        let order = [
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ];
        Some(order.into_iter().filter(|m| found.contains(m)).collect())
    }

    /// `405` with `Allow` when `req`'s path exists under other methods.
    pub fn method_not_allowed(&self, req: &HttpRequest) -> Option<HttpResponse> {
        let allowed = self.allowed(req.path())?;
        if allowed.contains(req.method()) {
            return None;
        }
        let list = allowed
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        let mut response = Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!(
                "{} {} is not allowed; it answers {list}.",
                req.method(),
                req.path()
            ),
        )
        .to_response();
        if let Ok(value) = header::HeaderValue::from_str(&list) {
            response.headers_mut().insert(header::ALLOW, value);
        }
        Some(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem, PathsBuilder};

    fn routes() -> KnownRoutes {
        let doc = utoipa::openapi::OpenApiBuilder::new()
            .paths(
                PathsBuilder::new()
                    .path(
                        "/api/v1/threads/{id}",
                        PathItem::new(HttpMethod::Get, OperationBuilder::new().build()),
                    )
                    .path(
                        "/api/v1/auth/login",
                        PathItem::new(HttpMethod::Post, OperationBuilder::new().build()),
                    )
                    .path(
                        "/api/v1/meetups/{id}",
                        PathItem::new(HttpMethod::Patch, OperationBuilder::new().build()),
                    )
                    .path(
                        "/api/v1/meetups/calendar.ics",
                        PathItem::new(HttpMethod::Get, OperationBuilder::new().build()),
                    ),
            )
            .build();
        KnownRoutes::from_openapi(&doc)
    }

    #[test]
    fn a_known_path_with_another_method_is_405_with_allow() {
        let req = TestRequest::delete()
            .uri("/api/v1/threads/7")
            .to_http_request();
        let response = routes().method_not_allowed(&req).expect("405");
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers().get(header::ALLOW).unwrap(), "GET, HEAD");
    }

    #[test]
    fn a_known_method_or_an_unknown_path_is_not_this_answer() {
        let routes = routes();
        let get = TestRequest::get()
            .uri("/api/v1/threads/7")
            .to_http_request();
        assert!(routes.method_not_allowed(&get).is_none());
        let unknown = TestRequest::get().uri("/api/v1/nothing").to_http_request();
        assert!(routes.method_not_allowed(&unknown).is_none());
        let login = TestRequest::get()
            .uri("/api/v1/auth/login")
            .to_http_request();
        let response = routes.method_not_allowed(&login).expect("405");
        assert_eq!(response.headers().get(header::ALLOW).unwrap(), "POST");
    }

    #[test]
    fn a_path_written_out_wins_over_a_template_that_would_take_it() {
        let feed = TestRequest::patch()
            .uri("/api/v1/meetups/calendar.ics")
            .to_http_request();
        let response = routes().method_not_allowed(&feed).expect("405");
        assert_eq!(response.headers().get(header::ALLOW).unwrap(), "GET, HEAD");
    }
}
