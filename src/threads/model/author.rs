//! The author of a thread, reply or solution, as every read shows them.

use diesel::prelude::*;

use crate::schema::users;

/// What listings and single reads show of an author.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct AuthorRow {
    pub username: String,
    pub display_name: Option<String>,
    pub avatar_url: Option<String>,
}
