//! `HEAD` is answered as `GET` is, without the body (RFC 9110, 9.3.2): the routes are declared
//! for `GET` only, and link checkers, uptime monitors and caches ask with `HEAD`.
//!
//! The request is routed as a `GET`; the HTTP/1 codec has already noted that it was a `HEAD`,
//! so it writes the answer's headers (its `Content-Length` included) and leaves the body out.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::Error;

pub async fn as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}
