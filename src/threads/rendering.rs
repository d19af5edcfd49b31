//! Finishing a post's rendering outside the request: a thread or reply is rendered without
//! code highlighting and without preview cards when written (`markdown::render_in_request`),
//! and this job, enqueued in the same transaction when the post has code to highlight or
//! links alone on their line, fetches the cards through `oneboxes` (never in the request) and
//! renders the post again with both, unless it was edited meanwhile (the edit enqueued its own
//! job). A reply's request thus pays neither a grammar (about 50 µs a line of code) nor a
//! fetch; the worker does, moments later.

use std::sync::Arc;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde::{Deserialize, Serialize};

use crate::ids::{ReplyId, ThreadId};
use crate::jobs::JobContext;
use crate::markdown;
use crate::oneboxes::{self, Previews};

pub const KIND: &str = "threads.render";

/// A post whose cards to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostRef {
    Thread(ThreadId),
    Reply(ReplyId),
}

impl PostRef {
    fn table(self) -> (&'static str, i64) {
        match self {
            PostRef::Thread(id) => ("threads", id.get()),
            PostRef::Reply(id) => ("replies", id.get()),
        }
    }
}

/// The job's payload: one of a thread or a reply (flat, so the statement that posts a reply
/// can write the reply's id into it).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct RenderPost {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<ThreadId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<ReplyId>,
}

impl RenderPost {
    fn post(&self) -> Option<PostRef> {
        match (self.thread, self.reply) {
            (_, Some(reply)) => Some(PostRef::Reply(reply)),
            (Some(thread), None) => Some(PostRef::Thread(thread)),
            (None, None) => None,
        }
    }
}

impl crate::jobs::Task for RenderPost {
    const KIND: &'static str = KIND;
    type Needs = Previews;

    async fn run(self, ctx: JobContext, needs: Arc<Previews>) -> anyhow::Result<()> {
        let Some(post) = self.post() else {
            return Ok(());
        };
        if !needs.settings.enabled {
            return ctx.with_conn(move |conn| finish(conn, post)).await;
        }
        let settings = needs.settings.clone();
        let stale = ctx
            .with_conn(move |conn| {
                let Some(body) = body_of(conn, post)? else {
                    return Ok(Vec::new());
                };
                Ok(oneboxes::stale(
                    conn,
                    &markdown::lone_links(&body),
                    &settings,
                )?)
            })
            .await?;
        oneboxes::refresh(&needs, &ctx.pool, stale).await?;
        ctx.with_conn(move |conn| finish(conn, post)).await
    }
}

/// Whether a post rendered in the request needs the job: code to highlight, or links that
/// may become cards.
pub fn unfinished(rendered: &markdown::Rendered) -> bool {
    rendered.highlight_pending || !rendered.lone_links.is_empty()
}

/// Enqueues the job of a post just written, in the caller's transaction, if it needs one.
pub fn enqueue(
    conn: &mut PgConnection,
    post: PostRef,
    rendered: &markdown::Rendered,
) -> anyhow::Result<()> {
    if unfinished(rendered) {
        enqueue_for(conn, post)?;
    }
    Ok(())
}

/// Enqueues the job of a post, in the caller's transaction.
pub fn enqueue_for(conn: &mut PgConnection, post: PostRef) -> anyhow::Result<()> {
    let work = match post {
        PostRef::Thread(id) => RenderPost {
            thread: Some(id),
            reply: None,
        },
        PostRef::Reply(id) => RenderPost {
            thread: None,
            reply: Some(id),
        },
    };
    crate::jobs::enqueue(conn, KIND, &serde_json::to_value(work)?)?;
    Ok(())
}

/// The job for a reply the same statement inserts (its id filled in by the statement).
pub fn new_reply_job() -> anyhow::Result<crate::jobs::JobForNewRow> {
    Ok(crate::jobs::JobForNewRow {
        spec: crate::jobs::JobSpec {
            kind: KIND,
            payload: serde_json::json!({ "reply": 0 }),
        },
        id_at: "reply",
    })
}

#[derive(QueryableByName)]
struct Body {
    #[diesel(sql_type = Text)]
    body: String,
}

fn body_of(conn: &mut PgConnection, post: PostRef) -> QueryResult<Option<String>> {
    let (table, id) = post.table();
    diesel::sql_query(format!("SELECT body FROM {table} WHERE id = $1"))
        .bind::<BigInt, _>(id)
        .get_result::<Body>(conn)
        .optional()
        .map(|b| b.map(|b| b.body))
}

/// Renders the post again, highlighted and with the cards cached for its links; writes only
/// a changed HTML of an unchanged body, and never `updated_at` (finishing is no edit).
pub fn finish(conn: &mut PgConnection, post: PostRef) -> anyhow::Result<()> {
    let Some(body) = body_of(conn, post)? else {
        return Ok(());
    };
    let cards = oneboxes::cached(conn, &markdown::lone_links(&body))?;
    let html = markdown::render_with_cards(&body, &cards).html;
    let (table, id) = post.table();
    diesel::sql_query(format!(
        "UPDATE {table} SET body_html = $3 WHERE id = $1 AND body = $2 AND body_html <> $3"
    ))
    .bind::<BigInt, _>(id)
    .bind::<Text, _>(&body)
    .bind::<Text, _>(&html)
    .execute(conn)?;
    Ok(())
}
