//! Keeping the index in step with PostgreSQL.
//!
//! Every change that affects search enqueues a `search.sync` job naming the changed row, in
//! the transaction of the change. The worker takes these jobs in batches, reads the rows'
//! current state and writes it to the engine: the document when the row is visible, its
//! removal when it is gone, hidden or deleted. A job only says *what* changed, never *how*,
//! so retries, duplicates and out-of-order delivery all converge on the current state.
//!
//! Writers (the batches and `devforum reindex`) take one advisory lock around "read the rows,
//! hand the writes to the engine", so two writers can never hand the engine an older state
//! after a newer one.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde::{Deserialize, Serialize};

use super::document::{self, DocRef, Document, Kind};
use crate::ids::{JobId, ReplyId, ThreadId};
use crate::jobs::{self, Job};

pub const SEARCH_SYNC_JOB: &str = "search.sync";

/// Jobs one batch takes at most.
pub const MAX_BATCH: usize = 500;

/// The advisory lock key that serialises index writers ("devforum search" in ASCII, roughly).
const WRITER_LOCK_KEY: i64 = 0x6465_7673_6561_7263;

/// The payload of a `search.sync` job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    #[serde(flatten)]
    pub target: DocRef,
    /// A thread whose title, tags or visibility changed: its replies' documents carry them.
    #[serde(default)]
    pub with_replies: bool,
}

/// Enqueues a sync of one row (a thread, reply or meetup id, or `DocRef::mentor`); call it
/// in the transaction of the change.
pub fn enqueue(conn: &mut PgConnection, target: impl Into<DocRef>) -> QueryResult<()> {
    enqueue_request(
        conn,
        SyncRequest {
            target: target.into(),
            with_replies: false,
        },
    )
}

/// Enqueues a sync of a thread and of all its replies.
pub fn enqueue_thread_and_replies(conn: &mut PgConnection, thread_id: ThreadId) -> QueryResult<()> {
    enqueue_request(
        conn,
        SyncRequest {
            target: DocRef::from(thread_id),
            with_replies: true,
        },
    )
}

fn enqueue_request(conn: &mut PgConnection, request: SyncRequest) -> QueryResult<()> {
    let job = request_job(request)?;
    jobs::enqueue(conn, job.kind, &job.payload)?;
    Ok(())
}

/// The job [`enqueue`] would add, for a caller that enqueues it with others
/// (`jobs::enqueue_all`).
pub fn sync_job(target: impl Into<DocRef>) -> QueryResult<jobs::JobSpec> {
    request_job(SyncRequest {
        target: target.into(),
        with_replies: false,
    })
}

/// The sync job of a reply the same statement inserts (`jobs::JobForNewRow`).
pub fn sync_new_reply_job() -> QueryResult<jobs::JobForNewRow> {
    Ok(jobs::JobForNewRow {
        spec: sync_job(ReplyId(0))?,
        id_at: "id",
    })
}

fn request_job(request: SyncRequest) -> QueryResult<jobs::JobSpec> {
    let payload = serde_json::to_value(request)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    Ok(jobs::JobSpec {
        kind: SEARCH_SYNC_JOB,
        payload,
    })
}

/// What the engine must do to reflect the current state of some rows.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Changes {
    /// Current documents of visible rows (insert or replace).
    pub documents: Vec<Document>,
    /// Rows that have no document any more.
    pub removals: Vec<DocRef>,
    /// Threads gone from search, whose replies go with them.
    pub replies_removed_with: Vec<i64>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.documents.is_empty()
            && self.removals.is_empty()
            && self.replies_removed_with.is_empty()
    }
}

/// Reads the current state of the requested rows.
pub fn plan(conn: &mut PgConnection, requests: &[SyncRequest]) -> QueryResult<Changes> {
    let mut wanted: BTreeMap<Kind, BTreeSet<i64>> = BTreeMap::new();
    for request in requests {
        wanted
            .entry(request.target.kind)
            .or_default()
            .insert(request.target.id);
    }
    let mut documents: BTreeMap<(Kind, i64), Document> = BTreeMap::new();
    let mut removals = Vec::new();
    for (kind, ids) in &wanted {
        let ids: Vec<i64> = ids.iter().copied().collect();
        let found = document::load(conn, *kind, &ids)?;
        let present: BTreeSet<i64> = found.iter().map(|d| d.source_id).collect();
        removals.extend(
            ids.iter()
                .filter(|id| !present.contains(id))
                .map(|&id| DocRef { kind: *kind, id }),
        );
        documents.extend(found.into_iter().map(|d| ((d.kind, d.source_id), d)));
    }
    let cascading: BTreeSet<i64> = requests
        .iter()
        .filter(|r| r.with_replies && r.target.kind == Kind::Thread)
        .map(|r| r.target.id)
        .collect();
    let (visible, gone): (Vec<i64>, Vec<i64>) = cascading
        .into_iter()
        .partition(|id| documents.contains_key(&(Kind::Thread, *id)));
    for reply in document::load_replies_of(conn, &visible)? {
        documents.insert((reply.kind, reply.source_id), reply);
    }
    Ok(Changes {
        documents: documents.into_values().collect(),
        removals,
        replies_removed_with: gone,
    })
}

/// Takes the index writers' lock until the end of the caller's transaction.
pub fn lock_writers(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<BigInt, _>(WRITER_LOCK_KEY)
        .execute(conn)?;
    Ok(())
}

/// Takes the index writers' lock for the session (a rebuild spanning many transactions);
/// release it with `unlock_writers_for_session`.
pub fn lock_writers_for_session(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<BigInt, _>(WRITER_LOCK_KEY)
        .execute(conn)?;
    Ok(())
}

pub fn unlock_writers_for_session(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(WRITER_LOCK_KEY)
        .execute(conn)?;
    Ok(())
}

/// Splits a claimed batch into requests and the jobs whose payload can never be understood.
pub fn requests_of(jobs: &[Job]) -> (Vec<SyncRequest>, Vec<(JobId, String)>) {
    let mut requests = Vec::with_capacity(jobs.len());
    let mut rejected = Vec::new();
    for job in jobs {
        match serde_json::from_value::<SyncRequest>(job.payload.clone()) {
            Ok(request) => requests.push(request),
            Err(error) => {
                rejected.push((job.id, format!("malformed search.sync payload: {error}")))
            }
        }
    }
    (requests, rejected)
}

/// The Meilisearch index being rebuilt, if a reindex is under way.
pub fn index_being_rebuilt(conn: &mut PgConnection) -> QueryResult<Option<String>> {
    #[derive(QueryableByName)]
    struct Rebuild {
        #[diesel(sql_type = Text)]
        index_uid: String,
    }
    Ok(
        diesel::sql_query("SELECT index_uid FROM search_rebuilds ORDER BY started_at DESC LIMIT 1")
            .get_result::<Rebuild>(conn)
            .optional()?
            .map(|r| r.index_uid),
    )
}

/// An account is erased: every search document of the member's content is written again (its
/// author is now the reference), by the search worker, as any change is.
pub fn on_member_erased(
    conn: &mut PgConnection,
    erasing: &crate::accounts::service::erasure::Erasing<'_>,
) -> Result<(), crate::error::ApiError> {
    let id = erasing.member.id;
    diesel::sql_query(
        "INSERT INTO jobs (kind, payload, max_attempts) \
         SELECT $2, jsonb_build_object('type', kind, 'id', source_id), $3 FROM ( \
             SELECT 'thread' AS kind, id AS source_id FROM threads WHERE author_id = $1 \
             UNION ALL SELECT 'reply', id FROM replies WHERE author_id = $1 \
             UNION ALL SELECT 'meetup', id FROM meetups WHERE organizer_id = $1 \
         ) AS content ORDER BY kind, source_id",
    )
    .bind::<BigInt, _>(id)
    .bind::<Text, _>(SEARCH_SYNC_JOB)
    .bind::<diesel::sql_types::Integer, _>(crate::jobs::DEFAULT_MAX_ATTEMPTS)
    .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_reply_s_job_takes_its_id_where_the_payload_names_the_row() {
        let template = sync_new_reply_job().expect("job");
        assert_eq!(template.for_row(7), sync_job(ReplyId(7)).expect("job"));
    }

    #[test]
    fn payloads_round_trip_and_default_to_the_row_alone() {
        let request = SyncRequest {
            target: DocRef {
                kind: Kind::Reply,
                id: 7,
            },
            with_replies: false,
        };
        let json = serde_json::to_value(request).expect("serialises");
        assert_eq!(
            json,
            serde_json::json!({"type": "reply", "id": 7, "with_replies": false})
        );
        let parsed: SyncRequest =
            serde_json::from_value(serde_json::json!({"type": "thread", "id": 3})).expect("parses");
        assert!(!parsed.with_replies);
        assert!(serde_json::from_value::<SyncRequest>(
            serde_json::json!({"type": "post", "id": 3})
        )
        .is_err());
    }
}
