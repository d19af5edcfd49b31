-- Background jobs: enqueued in the same transaction as the change that causes them,
-- claimed by workers with FOR UPDATE SKIP LOCKED, retried with backoff, kept when exhausted.
CREATE TABLE jobs (
    id           BIGSERIAL PRIMARY KEY,
    kind         TEXT        NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
    payload      JSONB       NOT NULL DEFAULT '{}'::jsonb,
    status       TEXT        NOT NULL DEFAULT 'pending'
                             CHECK (status IN ('pending', 'running', 'failed')),
    attempts     INTEGER     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts INTEGER     NOT NULL DEFAULT 12 CHECK (max_attempts >= 1),
    run_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    locked_at    TIMESTAMPTZ,
    locked_by    TEXT,
    last_error   TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The claim query walks only runnable jobs, oldest due first.
CREATE INDEX jobs_pending_run_at_idx ON jobs (run_at, id) WHERE status = 'pending';
-- Finding abandoned jobs (a worker died mid-job).
CREATE INDEX jobs_running_locked_at_idx ON jobs (locked_at) WHERE status = 'running';
CREATE INDEX jobs_failed_idx ON jobs (updated_at) WHERE status = 'failed';

-- Wake listening workers when jobs are committed; NOTIFY is delivered only on commit,
-- so a rolled-back change never wakes anyone. One notification per statement is enough.
CREATE FUNCTION devforum_notify_jobs() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('devforum_jobs', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER jobs_notify_insert
    AFTER INSERT ON jobs
    FOR EACH STATEMENT EXECUTE FUNCTION devforum_notify_jobs();
