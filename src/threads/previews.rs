//! Link previews of posts: a thread or reply with links alone on their line is rendered
//! without cards when written, and this job (enqueued in the same transaction) fetches the
//! cards through `oneboxes`, never in the request, then renders the post again with them,
//! unless it was edited meanwhile (the edit enqueued its own job).

use std::sync::Arc;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde::{Deserialize, Serialize};

use crate::ids::{ReplyId, ThreadId};
use crate::jobs::JobContext;
use crate::markdown;
use crate::oneboxes::{self, Previews};

pub const KIND: &str = "threads.previews";

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
pub struct FetchPreviews {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<ThreadId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<ReplyId>,
}

impl FetchPreviews {
    fn post(&self) -> Option<PostRef> {
        match (self.thread, self.reply) {
            (_, Some(reply)) => Some(PostRef::Reply(reply)),
            (Some(thread), None) => Some(PostRef::Thread(thread)),
            (None, None) => None,
        }
    }
}

impl crate::jobs::Task for FetchPreviews {
    const KIND: &'static str = KIND;
    type Needs = Previews;

    async fn run(self, ctx: JobContext, needs: Arc<Previews>) -> anyhow::Result<()> {
        if !needs.settings.enabled {
            return Ok(());
        }
        let Some(post) = self.post() else {
            return Ok(());
        };
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
        ctx.with_conn(move |conn| show_cards(conn, post)).await
    }
}

/// Enqueues the job of a post written (or edited) with links alone on their line, in the
/// caller's transaction; a post without any needs none.
pub fn enqueue(
    conn: &mut PgConnection,
    post: PostRef,
    lone_links: &[String],
) -> anyhow::Result<()> {
    if lone_links.is_empty() {
        return Ok(());
    }
    let work = match post {
        PostRef::Thread(id) => FetchPreviews {
            thread: Some(id),
            reply: None,
        },
        PostRef::Reply(id) => FetchPreviews {
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

/// Renders the post again with the cards cached for its links; writes only a changed HTML of
/// an unchanged body, and never `updated_at` (a card is no edit).
pub fn show_cards(conn: &mut PgConnection, post: PostRef) -> anyhow::Result<()> {
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
