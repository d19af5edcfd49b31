-- The statements behind the benchmarked endpoints, as diesel sends them (binds inlined),
-- on the seeded database: psql "$URL" -v tid=<thread id> -f bench/plans.sql
\echo '== GET /api/v1/threads?limit=20 (first page, then a later page)'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF)
SELECT threads.id, threads.title, threads.excerpt, threads.tags, thread_activity.reply_count,
       threads.score, threads.pinned, threads.locked, threads.hidden, threads.created_at,
       threads.updated_at, thread_activity.last_activity_at, users.username, users.display_name
FROM threads INNER JOIN users ON users.id = threads.author_id
             INNER JOIN thread_activity ON thread_activity.thread_id = threads.id
WHERE threads.deleted_at IS NULL AND NOT threads.hidden
ORDER BY threads.pinned DESC, threads.created_at DESC, threads.id DESC LIMIT 21;
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF)
SELECT threads.id, threads.title, users.username
FROM threads INNER JOIN users ON users.id = threads.author_id
WHERE threads.deleted_at IS NULL AND NOT threads.hidden
  AND (threads.pinned, threads.created_at, threads.id) < (false, now() - interval '30 days', 0)
ORDER BY threads.pinned DESC, threads.created_at DESC, threads.id DESC LIMIT 21;
\echo '== GET /api/v1/threads?sort=active&limit=20 (the activity rows index)'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF)
SELECT threads.id, threads.title, thread_activity.reply_count, thread_activity.last_activity_at,
       users.username
FROM threads INNER JOIN users ON users.id = threads.author_id
             INNER JOIN thread_activity ON thread_activity.thread_id = threads.id
WHERE threads.deleted_at IS NULL AND NOT threads.hidden AND thread_activity.deleted = false
ORDER BY thread_activity.pinned DESC, thread_activity.last_activity_at DESC,
         thread_activity.thread_id DESC LIMIT 21;
\echo '== GET /api/v1/threads/{id}'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF)
SELECT threads.*, thread_activity.reply_count, thread_activity.last_activity_at,
       users.username, users.display_name
FROM threads INNER JOIN users ON users.id = threads.author_id
             INNER JOIN thread_activity ON thread_activity.thread_id = threads.id
WHERE threads.id = :tid LIMIT 1;
\echo '== GET /api/v1/threads/{id}/replies?limit=50'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF)
SELECT replies.*, users.username, users.display_name
FROM replies INNER JOIN users ON users.id = replies.author_id
             INNER JOIN threads ON threads.id = replies.thread_id
WHERE replies.thread_id = :tid AND replies.deleted_at IS NULL AND threads.deleted_at IS NULL
  AND NOT replies.hidden AND NOT threads.hidden
ORDER BY replies.created_at, replies.id LIMIT 51;
\echo '== the same page for staff, who also see hidden replies'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF)
SELECT replies.*, users.username, users.display_name
FROM replies INNER JOIN users ON users.id = replies.author_id
             INNER JOIN threads ON threads.id = replies.thread_id
WHERE replies.thread_id = :tid AND replies.deleted_at IS NULL AND threads.deleted_at IS NULL
ORDER BY replies.created_at, replies.id LIMIT 51;
\echo '== GET /api/v1/threads?limit=20 for staff'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF)
SELECT threads.id, threads.title, users.username
FROM threads INNER JOIN users ON users.id = threads.author_id
WHERE threads.deleted_at IS NULL
ORDER BY threads.pinned DESC, threads.created_at DESC, threads.id DESC LIMIT 21;
\echo '== POST /api/v1/threads/{id}/replies (count on the activity row, insert; rolled back)'
BEGIN;
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF)
UPDATE thread_activity SET reply_count = reply_count + 1, last_activity_at = now()
WHERE thread_id = :tid RETURNING author_id, locked, hidden, deleted;
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF)
INSERT INTO replies (thread_id, author_id, body, body_html) VALUES (:tid, 1, 'x', '<p>x</p>') RETURNING id;
ROLLBACK;
