//! devforum: a backend for developer communities.
//!
//! `startup` wires the HTTP server and the background worker; each feature folder owns its
//! routes, types, queries and rules; `db`, `error`, `http`, `jobs`, `config` and
//! `telemetry` are the plumbing they share.

pub mod accounts;
pub mod config;
pub mod db;
pub mod error;
pub mod http;
pub mod jobs;
pub mod openapi;
pub mod operations;
pub mod schema;
pub mod startup;
pub mod telemetry;
