//! Accounts: who members are, how they prove it, and what they may do.

pub mod admin;
pub mod domain;
pub mod password;
pub mod user;

pub use domain::{EmailAddress, Password, Role, Username};
pub use user::User;
