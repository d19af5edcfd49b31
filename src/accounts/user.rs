//! The `users` table.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::domain::ProfileChanges;
use super::Role;
use crate::ids::UserId;
use crate::schema::users;

diesel::define_sql_function! {
    /// PostgreSQL's `lower(text)`; the unique indexes on users are built on it.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub email_verified: bool,
    pub display_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub bio: String,
    pub location: Option<String>,
    pub timezone: Option<String>,
    pub skills: Vec<String>,
    pub suspended_at: Option<DateTime<Utc>>,
    pub suspended_until: Option<DateTime<Utc>>,
    pub suspension_reason: Option<String>,
    pub session_generation: i32,
    pub failed_login_count: i32,
    pub last_failed_login_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub email_verified: bool,
    pub display_name: Option<&'a str>,
}

impl User {
    pub fn role(&self) -> Role {
        self.role
    }

    pub fn is_staff(&self) -> bool {
        self.role().is_staff()
    }

    /// Suspended while a suspension is recorded and its end (if any) is still ahead.
    pub fn is_suspended_at(&self, now: DateTime<Utc>) -> bool {
        is_suspended(self.suspended_at, self.suspended_until, now)
    }

    pub fn find(conn: &mut PgConnection, id: UserId) -> QueryResult<User> {
        users::table.find(id).select(User::as_select()).first(conn)
    }

    pub fn find_by_username(conn: &mut PgConnection, username: &str) -> QueryResult<Option<User>> {
        if !storable(username) {
            return Ok(None);
        }
        users::table
            .filter(lower(users::username).eq(lower(username)))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    pub fn find_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<User>> {
        if !storable(email) {
            return Ok(None);
        }
        users::table
            .filter(lower(users::email).eq(lower(email)))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    /// Finds by email when `login` looks like one, by username otherwise.
    pub fn find_by_login(conn: &mut PgConnection, login: &str) -> QueryResult<Option<User>> {
        if login.contains('@') {
            Self::find_by_email(conn, login)
        } else {
            Self::find_by_username(conn, login)
        }
    }

    pub fn insert(conn: &mut PgConnection, new_user: &NewUser<'_>) -> QueryResult<User> {
        diesel::insert_into(users::table)
            .values(new_user)
            .returning(User::as_returning())
            .get_result(conn)
    }

    pub fn set_role(conn: &mut PgConnection, user_id: UserId, role: Role) -> QueryResult<User> {
        diesel::update(users::table.find(user_id))
            .set((users::role.eq(role), users::updated_at.eq(diesel::dsl::now)))
            .returning(User::as_returning())
            .get_result(conn)
    }

    pub fn update_profile(
        conn: &mut PgConnection,
        user_id: UserId,
        changes: &ProfileChanges,
    ) -> QueryResult<User> {
        if changes.is_empty() {
            return Self::find(conn, user_id);
        }
        diesel::update(users::table.find(user_id))
            .set((changes, users::updated_at.eq(diesel::dsl::now)))
            .returning(User::as_returning())
            .get_result(conn)
    }

    /// Suspends the account from now until `until` (for good when `None`).
    pub fn suspend(
        conn: &mut PgConnection,
        user_id: UserId,
        until: Option<DateTime<Utc>>,
        reason: &str,
    ) -> QueryResult<User> {
        diesel::update(users::table.find(user_id))
            .set((
                users::suspended_at.eq(Some(Utc::now())),
                users::suspended_until.eq(until),
                users::suspension_reason.eq(Some(reason)),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .returning(User::as_returning())
            .get_result(conn)
    }

    pub fn unsuspend(conn: &mut PgConnection, user_id: UserId) -> QueryResult<User> {
        diesel::update(users::table.find(user_id))
            .set((
                users::suspended_at.eq(None::<DateTime<Utc>>),
                users::suspended_until.eq(None::<DateTime<Utc>>),
                users::suspension_reason.eq(None::<String>),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .returning(User::as_returning())
            .get_result(conn)
    }

    /// Locks every admin's row and counts them, so two demotions cannot both pass as "not
    /// the last admin".
    pub fn lock_admins(conn: &mut PgConnection) -> QueryResult<i64> {
        let ids: Vec<UserId> = users::table
            .filter(users::role.eq(Role::Admin))
            .select(users::id)
            .for_update()
            .load(conn)?;
        Ok(ids.len() as i64)
    }

    pub fn mark_email_verified(conn: &mut PgConnection, user_id: UserId) -> QueryResult<User> {
        diesel::update(users::table.find(user_id))
            .set((
                users::email_verified.eq(true),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .returning(User::as_returning())
            .get_result(conn)
    }

    pub fn record_failed_login(conn: &mut PgConnection, user_id: UserId) -> QueryResult<()> {
        diesel::update(users::table.find(user_id))
            .set((
                users::failed_login_count.eq(users::failed_login_count + 1),
                users::last_failed_login_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
        Ok(())
    }

    pub fn clear_failed_logins(conn: &mut PgConnection, user_id: UserId) -> QueryResult<()> {
        diesel::update(
            users::table
                .find(user_id)
                .filter(users::failed_login_count.gt(0)),
        )
        .set((
            users::failed_login_count.eq(0),
            users::last_failed_login_at.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)?;
        Ok(())
    }

    /// Sets a new password and ends every session: access tokens carry the old generation.
    pub fn reset_password(
        conn: &mut PgConnection,
        user_id: UserId,
        password_hash: &str,
    ) -> QueryResult<()> {
        diesel::update(users::table.find(user_id))
            .set((
                users::password_hash.eq(password_hash),
                users::session_generation.eq(users::session_generation + 1),
                users::failed_login_count.eq(0),
                users::last_failed_login_at.eq(None::<DateTime<Utc>>),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
        Ok(())
    }
}

/// A verified, unsuspended account with `role`, for unit tests of rules.
#[cfg(test)]
pub fn fixture(id: i64, role: Role) -> User {
    User {
        id: UserId(id),
        username: format!("u{id}"),
        email: format!("u{id}@example.com"),
        password_hash: String::new(),
        role,
        email_verified: true,
        display_name: None,
        created_at: Utc::now(),
        updated_at: Utc::now(),
        bio: String::new(),
        location: None,
        timezone: None,
        skills: vec![],
        suspended_at: None,
        suspended_until: None,
        suspension_reason: None,
        session_generation: 0,
        failed_login_count: 0,
        last_failed_login_at: None,
    }
}

/// PostgreSQL text cannot hold NUL: such a value names nothing, and sending it would fail.
pub fn storable(text: &str) -> bool {
    !text.contains('\0')
}

pub fn is_suspended(
    suspended_at: Option<DateTime<Utc>>,
    suspended_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    suspended_at.is_some() && suspended_until.is_none_or(|until| until > now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn suspension_holds_until_its_end() {
        let now = Utc::now();
        assert!(!is_suspended(None, None, now));
        assert!(is_suspended(Some(now), None, now));
        assert!(is_suspended(Some(now), Some(now + Duration::hours(1)), now));
        assert!(!is_suspended(
            Some(now),
            Some(now - Duration::seconds(1)),
            now
        ));
    }
}
