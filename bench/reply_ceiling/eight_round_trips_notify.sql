\set tid random(95000, 100000)
\set uid random(1, 2000)
SELECT id, username, email, password_hash, role FROM users WHERE id = :uid;
INSERT INTO rate_limit_buckets AS b (key, tat) VALUES ('replies:' || :uid, clock_timestamp()) ON CONFLICT (key) DO UPDATE SET tat = greatest(b.tat, clock_timestamp()) RETURNING 1;
BEGIN;
UPDATE thread_activity SET reply_count = reply_count + 1, last_activity_at = now() WHERE thread_id = :tid RETURNING author_id, locked, hidden, deleted;
INSERT INTO replies (thread_id, author_id, body, body_html) VALUES (:tid, :uid, 'A reply with some words in it to store.', '<p>A reply with some words in it to store.</p>') RETURNING id, created_at;
INSERT INTO thread_subscriptions (user_id, thread_id, level, reason) VALUES (:uid, :tid, 'watching', 'replied') ON CONFLICT DO NOTHING;
INSERT INTO jobs (kind, payload, max_attempts, run_at) VALUES ('bench.a', '{}', 5, now()), ('bench.b', '{}', 5, now());
SELECT pg_notify('devforum_jobs', '');
COMMIT;
