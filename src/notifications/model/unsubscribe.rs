//! The statements of unsubscribe links (`service::unsubscribe` holds the use cases).

use diesel::prelude::*;
use uuid::Uuid;

use crate::ids::{ThreadId, UserId};

/// The thread's title; `None` when there is no such thread.
pub fn thread_title(conn: &mut PgConnection, thread: ThreadId) -> QueryResult<Option<String>> {
    use crate::schema::threads::dsl as t;
    t::threads
        .find(thread)
        .select(t::title)
        .first(conn)
        .optional()
}

/// Whether the link with this id has been used.
pub fn token_used(conn: &mut PgConnection, token_id: Uuid) -> QueryResult<bool> {
    use crate::schema::unsubscribe_tokens_used::dsl as u;
    diesel::select(diesel::dsl::exists(
        u::unsubscribe_tokens_used.find(token_id),
    ))
    .get_result(conn)
}

/// Uses up the link with this id; false when it was used already.
pub fn use_token(conn: &mut PgConnection, token_id: Uuid, user: UserId) -> QueryResult<bool> {
    use crate::schema::unsubscribe_tokens_used::dsl as u;
    let inserted = diesel::insert_into(u::unsubscribe_tokens_used)
        .values((u::token_id.eq(token_id), u::user_id.eq(user)))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(inserted == 1)
}

/// No more notification mail and no digest for the member.
pub fn stop_mail(conn: &mut PgConnection, user: UserId) -> QueryResult<()> {
    use crate::schema::users::dsl as users;
    diesel::update(users::users.find(user))
        .set((
            users::email_notifications.eq("never"),
            users::digest.eq("never"),
        ))
        .execute(conn)?;
    Ok(())
}

/// No more digest for the member.
pub fn stop_digest(conn: &mut PgConnection, user: UserId) -> QueryResult<()> {
    use crate::schema::users::dsl as users;
    diesel::update(users::users.find(user))
        .set(users::digest.eq("never"))
        .execute(conn)?;
    Ok(())
}
