//! Server-kept drafts (`drafts`): what a member is writing, one row per member and composer.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::ids::UserId;
use crate::schema::drafts;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = drafts)]
pub struct DraftRow {
    pub key: String,
    pub title: Option<String>,
    pub body: String,
    pub tags: Vec<String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = drafts, treat_none_as_null = true)]
pub struct DraftChanges<'a> {
    pub title: Option<&'a str>,
    pub body: &'a str,
    pub tags: &'a [String],
}

/// The member's drafts, the latest first.
pub fn list(conn: &mut PgConnection, user: UserId) -> QueryResult<Vec<DraftRow>> {
    drafts::table
        .filter(drafts::user_id.eq(user))
        .order(drafts::updated_at.desc())
        .select(DraftRow::as_select())
        .load(conn)
}

pub fn find(conn: &mut PgConnection, user: UserId, key: &str) -> QueryResult<Option<DraftRow>> {
    drafts::table
        .find((user, key))
        .select(DraftRow::as_select())
        .first(conn)
        .optional()
}

pub fn count(conn: &mut PgConnection, user: UserId) -> QueryResult<i64> {
    drafts::table
        .filter(drafts::user_id.eq(user))
        .count()
        .get_result(conn)
}

/// Writes the draft (a new one, or over the one under `key`).
pub fn save(
    conn: &mut PgConnection,
    user: UserId,
    key: &str,
    draft: &DraftChanges<'_>,
) -> QueryResult<DraftRow> {
    diesel::insert_into(drafts::table)
        .values((drafts::user_id.eq(user), drafts::key.eq(key), draft))
        .on_conflict((drafts::user_id, drafts::key))
        .do_update()
        .set((draft, drafts::updated_at.eq(diesel::dsl::now)))
        .returning(DraftRow::as_returning())
        .get_result(conn)
}

/// Removes the draft under `key`; whether there was one.
pub fn remove(conn: &mut PgConnection, user: UserId, key: &str) -> QueryResult<bool> {
    diesel::delete(drafts::table.find((user, key)))
        .execute(conn)
        .map(|n| n > 0)
}

/// An erased member's drafts go with their account.
pub fn forget(conn: &mut PgConnection, user: UserId) -> QueryResult<()> {
    diesel::delete(drafts::table.filter(drafts::user_id.eq(user)))
        .execute(conn)
        .map(drop)
}
