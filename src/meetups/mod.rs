//! Meetups: listings, RSVPs that never overbook (seats are given under the meetup's row lock
//! and bounded by a CHECK), waitlists served in arrival order, and iCalendar feeds.

pub mod calendar;
pub mod domain;
pub mod model;
pub mod recurrence;
pub mod reminders;
pub mod routes;
pub mod rules;
pub mod service;
pub mod views;
