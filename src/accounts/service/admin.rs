//! `devforum create-admin`: bootstraps the first administrator, idempotently.

use diesel::prelude::*;

use crate::accounts::model::{NewUser, User};
use crate::accounts::password;
use crate::accounts::{EmailAddress, Password, Role, Username};

#[derive(Debug, PartialEq, Eq)]
pub enum CreateAdminOutcome {
    Created,
    Promoted,
    AlreadyAdmin,
}

/// Creates `username` as a verified admin, or makes the existing account with that username
/// an admin (its password and email are left as they are).
pub fn create_admin(
    conn: &mut PgConnection,
    username: &Username,
    email: &EmailAddress,
    password: &Password,
) -> anyhow::Result<CreateAdminOutcome> {
    // Hash before the transaction so no lock is held during the slow part.
    let password_hash = password::hash(password)?;
    conn.transaction(|conn| {
        if let Some(existing) = User::find_by_username(conn, username.as_str())? {
            if existing.role == Role::Admin {
                return Ok(CreateAdminOutcome::AlreadyAdmin);
            }
            User::set_role(conn, existing.id, Role::Admin)?;
            return Ok(CreateAdminOutcome::Promoted);
        }
        if User::find_by_email(conn, email.as_str())?.is_some() {
            anyhow::bail!("the email {email} belongs to another account");
        }
        User::insert(
            conn,
            &NewUser {
                username: username.as_str(),
                email: email.as_str(),
                password_hash: &password_hash,
                role: Role::Admin,
                email_verified: true,
                display_name: None,
                username_pending: false,
            },
        )?;
        Ok(CreateAdminOutcome::Created)
    })
}
