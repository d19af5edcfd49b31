DROP INDEX threads_latest_idx;
CREATE INDEX threads_latest_idx ON threads (pinned DESC, created_at DESC, id DESC)
    WHERE deleted_at IS NULL AND NOT hidden;
DROP INDEX threads_active_idx;
CREATE INDEX threads_active_idx ON threads (pinned DESC, last_activity_at DESC, id DESC)
    WHERE deleted_at IS NULL AND NOT hidden;
DROP INDEX threads_top_idx;
CREATE INDEX threads_top_idx ON threads (score DESC, id DESC)
    WHERE deleted_at IS NULL AND NOT hidden;
DROP INDEX threads_author_idx;
CREATE INDEX threads_author_idx ON threads (author_id, created_at DESC, id DESC)
    WHERE deleted_at IS NULL AND NOT hidden;
DROP INDEX threads_tags_idx;
CREATE INDEX threads_tags_idx ON threads USING GIN (tags)
    WHERE deleted_at IS NULL AND NOT hidden;
DROP INDEX replies_thread_idx;
CREATE INDEX replies_thread_idx ON replies (thread_id, created_at, id)
    WHERE deleted_at IS NULL AND NOT hidden;
