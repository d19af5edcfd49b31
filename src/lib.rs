//! devforum: a backend for developer communities.
//!
//! Each feature folder owns its routes (with their OpenAPI operations), jobs, types, queries
//! and rules, and declares itself once (`feature::Feature`); `features` lists them and
//! `startup` wires the HTTP server and the background worker from that list; `db`, `error`,
//! `http`, `jobs`, `config` and `telemetry` are the plumbing they share.

pub mod accounts;
pub mod config;
pub mod conversations;
pub mod db;
pub mod email;
pub mod error;
pub mod feature;
pub mod features;
pub mod http;
pub mod identities;
pub mod ids;
pub mod jobs;
pub mod markdown;
pub mod meetups;
pub mod mentorship;
pub mod metrics;
pub mod moderation;
pub mod notifications;
pub mod oneboxes;
pub mod openapi;
pub mod operations;
pub mod outbound;
pub mod pagination;
pub mod progress;
pub mod rate_limit;
pub mod reads;
pub mod rerender;
pub mod schema;
pub mod search;
pub mod seed;
pub mod signed_urls;
pub mod site;
pub mod slow_reads;
pub mod slugs;
pub mod sql;
pub mod startup;
pub mod stats;
pub mod tags;
pub mod telemetry;
pub mod text_enum;
pub mod threads;
pub mod trust;
pub mod uploads;
pub mod validation;
pub mod visibility;
pub mod webhooks;
