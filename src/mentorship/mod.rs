//! Mentorship: mentor profiles and a directory to find them, and requests from mentees that
//! mentors accept or decline (`lifecycle`), with email at each answer.

pub mod check_in;
pub mod domain;
pub mod lifecycle;
pub mod model;
pub mod routes;
pub mod rules;
pub mod service;
pub mod timers;
pub mod views;
