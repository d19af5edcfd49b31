//! The `users` table.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::schema::users;

diesel::define_sql_function! {
    /// PostgreSQL's `lower(text)`; the unique indexes on users are built on it.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub email_verified: bool,
    pub display_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub email_verified: bool,
    pub display_name: Option<&'a str>,
}

impl User {
    pub fn find_by_username(conn: &mut PgConnection, username: &str) -> QueryResult<Option<User>> {
        users::table
            .filter(lower(users::username).eq(lower(username)))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    pub fn find_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<User>> {
        users::table
            .filter(lower(users::email).eq(lower(email)))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(conn: &mut PgConnection, new_user: &NewUser<'_>) -> QueryResult<User> {
        diesel::insert_into(users::table)
            .values(new_user)
            .returning(User::as_returning())
            .get_result(conn)
    }

    pub fn set_role(conn: &mut PgConnection, user_id: i64, role: &str) -> QueryResult<User> {
        diesel::update(users::table.find(user_id))
            .set((users::role.eq(role), users::updated_at.eq(diesel::dsl::now)))
            .returning(User::as_returning())
            .get_result(conn)
    }
}
