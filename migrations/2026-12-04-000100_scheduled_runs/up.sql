-- Periodic tasks run through the job queue: each period of each task gets its job once,
-- however many worker processes look, because only one of them can insert the period's row.
-- Only the latest period of each task is kept.
CREATE TABLE scheduled_runs (
    task         TEXT        NOT NULL CHECK (length(task) BETWEEN 1 AND 100),
    period_start TIMESTAMPTZ NOT NULL,
    enqueued_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (task, period_start)
);
