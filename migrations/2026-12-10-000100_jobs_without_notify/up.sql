-- Workers find due jobs with a probe (one indexed EXISTS every 25 ms per worker process,
-- jobs::worker), not NOTIFY: a NOTIFY makes its transaction take a database-wide lock from
-- pre-commit to the end of the commit's flush, so every transaction that enqueued a job (each
-- reply) committed one at a time. bench/reply_ceiling.sh measured 1,226 tps with it and
-- 1,906-2,105 without, on the same statements.
DROP TRIGGER jobs_notify_insert ON jobs;
DROP FUNCTION devforum_notify_jobs();
