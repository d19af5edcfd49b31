//! The forum itself: threads, replies, votes and tags.

pub mod domain;
pub mod model;
pub mod routes;
pub mod rules;
pub mod service;
pub mod views;
