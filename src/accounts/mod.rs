//! Accounts: registration, email verification, sessions (JWT access tokens and rotating
//! refresh tokens), password reset, profiles, and `create-admin`.

pub mod admin;
pub mod browser;
pub mod domain;
pub mod erasure;
pub mod export;
pub mod jwt;
pub mod model;
pub mod password;
pub mod routes;
pub mod rules;
pub mod service;
pub mod tokens;
pub mod views;

pub use domain::{EmailAddress, Password, Role, Username};
pub use model::User;
