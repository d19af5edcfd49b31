//! The rows of API tokens (`accounts::api_tokens`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::User;
use crate::accounts::api_tokens::Scope;
use crate::ids::{ApiTokenId, UserId};
use crate::schema::{api_tokens, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_tokens)]
pub struct ApiTokenRow {
    pub id: ApiTokenId,
    pub user_id: UserId,
    pub name: String,
    pub scopes: Vec<String>,
    pub secret_hash: Vec<u8>,
    pub generation: i32,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl ApiTokenRow {
    /// Its scopes as the rule reads them (the table's CHECK admits no others).
    pub fn scopes(&self) -> Vec<Scope> {
        self.scopes.iter().filter_map(|s| s.parse().ok()).collect()
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct NewApiToken<'a> {
    pub user_id: UserId,
    pub name: &'a str,
    pub scopes: Vec<String>,
    pub secret_hash: Vec<u8>,
    pub generation: i32,
    pub expires_at: Option<DateTime<Utc>>,
}

pub fn insert(conn: &mut PgConnection, new: &NewApiToken<'_>) -> QueryResult<ApiTokenRow> {
    diesel::insert_into(api_tokens::table)
        .values(new)
        .returning(ApiTokenRow::as_returning())
        .get_result(conn)
}

/// A member's tokens, newest first.
pub fn of_user(conn: &mut PgConnection, user: UserId) -> QueryResult<Vec<ApiTokenRow>> {
    api_tokens::table
        .filter(api_tokens::user_id.eq(user))
        .order(api_tokens::id.desc())
        .select(ApiTokenRow::as_select())
        .load(conn)
}

pub fn count_of_user(conn: &mut PgConnection, user: UserId) -> QueryResult<i64> {
    api_tokens::table
        .filter(api_tokens::user_id.eq(user))
        .count()
        .get_result(conn)
}

/// Deletes one of the member's tokens; whether there was one.
pub fn delete(conn: &mut PgConnection, user: UserId, id: ApiTokenId) -> QueryResult<bool> {
    let deleted = diesel::delete(
        api_tokens::table
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::user_id.eq(user)),
    )
    .execute(conn)?;
    Ok(deleted > 0)
}

/// A token with its account as it is now (one primary-key join): what authentication reads.
pub fn find_with_account(
    conn: &mut PgConnection,
    id: ApiTokenId,
) -> QueryResult<Option<(ApiTokenRow, User)>> {
    api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::id.eq(id))
        .filter(users::deleted_at.is_null())
        .select((ApiTokenRow::as_select(), User::as_select()))
        .first(conn)
        .optional()
}

/// Notes a use, unless one was noted within the last minute.
pub fn touch(conn: &mut PgConnection, id: ApiTokenId, at: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(
        api_tokens::table.filter(api_tokens::id.eq(id)).filter(
            api_tokens::last_used_at
                .is_null()
                .or(api_tokens::last_used_at.lt(at - chrono::Duration::minutes(1))),
        ),
    )
    .set(api_tokens::last_used_at.eq(at))
    .execute(conn)?;
    Ok(())
}
