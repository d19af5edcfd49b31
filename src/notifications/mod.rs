//! Notifications: what each member is told about what happened to them and to what they
//! follow, the inbox that shows it, and how members follow threads.
//!
//! Recipients are never computed in the request: a reply enqueues a `notify_reply` job in its
//! own transaction; the worker fans the event out with one set-based statement that records
//! each delivery, so a replayed or duplicated job tells nobody twice.

pub mod digest;
pub mod domain;
pub mod events;
pub mod live;
pub mod mail;
pub mod model;
pub mod routes;
pub mod service;
pub mod unsubscribe;
pub mod views;

pub use domain::NotificationKind;
pub use events::{NOTIFY_REPLY_JOB, NOTIFY_THREAD_JOB};
pub use mail::Draft;
pub use model::Subject;
