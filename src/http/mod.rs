//! HTTP plumbing shared by every feature: request ids, JSON bodies, problem documents for
//! actix's own errors, no caching of signed-in answers.

pub mod caching;
pub mod client_ip;
pub mod compression;
pub mod conditional;
pub mod head;
pub mod json;
pub mod methods;
pub mod problems;
pub mod request_id;
pub mod web_client;

pub use json::{Json, OptionalJson};
pub use request_id::RequestId;
