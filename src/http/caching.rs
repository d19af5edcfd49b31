//! Answers made for a signed-in caller (a request with `Authorization`) are never stored by a
//! browser or a proxy: they can hold the member's address, inbox, requests or staff queues.
//! A handler that chose its own `Cache-Control` keeps it.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, AUTHORIZATION, CACHE_CONTROL};
use actix_web::middleware::Next;
use actix_web::Error;

pub const PRIVATE: &str = "private, no-store";

pub async fn private_when_signed_in(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let signed_in = req.headers().contains_key(AUTHORIZATION);
    let mut response = next.call(req).await?;
    if signed_in && !response.headers().contains_key(CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static(PRIVATE));
    }
    Ok(response)
}
