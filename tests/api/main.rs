//! One integration-test binary (faster to link than many); each module one area.

// Tests state their expectations with expect(); a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod account_deletion;
mod accounts;
mod appeals;
mod browser;
mod cli;
mod config;
mod deliverability;
mod github_standin;
mod hardening;
mod helpers;
mod http_errors;
mod identities;
mod imap;
mod jobs;
mod mail;
mod meetup_reminders;
mod meetup_series;
mod meetups;
mod meili_standin;
mod mentorship;
mod mentorship_timers;
mod migrations;
mod moderation;
mod notification_mail;
mod notifications;
mod oidc_provider;
mod operations;
mod outage;
mod own_account;
mod personal_calendar;
mod postgres_server;
mod read_replica;
mod relevance;
mod relevance_corpus;
mod s3_server;
mod scale_out;
mod search;
mod second_factor;
mod support;
mod threads;
mod trust;
mod uploads;
mod web_client;
