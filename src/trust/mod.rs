//! Graduated trust: each member's level (`new`, `basic`, `member`, `regular`) is computed from
//! their activity, what a `new` account may post, and how much a report weighs by its
//! reporter's level.

pub mod domain;
pub mod model;
pub mod routes;
pub mod rules;
pub mod service;

pub use domain::TrustLevel;

/// The periodic recomputation of every member's level.
pub const RECOMPUTE_JOB: &str = "trust.recompute";
