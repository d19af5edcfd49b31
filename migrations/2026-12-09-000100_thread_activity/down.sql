DROP TRIGGER threads_activity_copy ON threads;
DROP TRIGGER threads_activity_insert ON threads;
DROP FUNCTION devforum_thread_activity_copy();
ALTER TABLE threads
    ADD COLUMN reply_count INTEGER NOT NULL DEFAULT 0 CHECK (reply_count >= 0),
    ADD COLUMN last_activity_at TIMESTAMPTZ NOT NULL DEFAULT now();
UPDATE threads SET reply_count = a.reply_count, last_activity_at = a.last_activity_at
    FROM thread_activity a WHERE a.thread_id = threads.id;
CREATE INDEX threads_active_idx ON threads (pinned DESC, last_activity_at DESC, id DESC)
    WHERE deleted_at IS NULL;
DROP TABLE thread_activity;
