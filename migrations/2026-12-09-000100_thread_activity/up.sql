-- What every reply changes (the reply count, the last activity) moves off the wide `threads`
-- row, which carries the body and six indexes (one GIN), onto a narrow row of its own with
-- two: a reply rewrote the whole thread row and all six index entries (0 % HOT updates);
-- now it rewrites a row of a few dozen bytes and two index entries, and never touches
-- `threads`.
--
-- The row also carries copies of the thread's switches, kept by the trigger below, so that
-- counting a reply (one UPDATE of this row) also reads, under that row's lock, whether the
-- thread may take it: moderation's changes to `threads` write this row too, so a lock or a
-- delete and a reply are ordered by it, and the reply sees the thread as it is after them.
CREATE TABLE thread_activity (
    thread_id        BIGINT      PRIMARY KEY REFERENCES threads (id) ON DELETE CASCADE,
    reply_count      INTEGER     NOT NULL DEFAULT 0 CHECK (reply_count >= 0),
    last_activity_at TIMESTAMPTZ NOT NULL,
    -- Copies of `threads` columns, written only by the trigger.
    author_id        BIGINT      NOT NULL,
    pinned           BOOLEAN     NOT NULL,
    locked           BOOLEAN     NOT NULL,
    hidden           BOOLEAN     NOT NULL,
    deleted          BOOLEAN     NOT NULL
);

INSERT INTO thread_activity (thread_id, reply_count, last_activity_at, author_id, pinned, locked,
                             hidden, deleted)
    SELECT id, reply_count, last_activity_at, author_id, pinned, locked, hidden,
           deleted_at IS NOT NULL
    FROM threads;

-- The "active" listing, as `threads_active_idx` served it (live threads, staff included).
CREATE INDEX thread_activity_active_idx
    ON thread_activity (pinned DESC, last_activity_at DESC, thread_id DESC) WHERE NOT deleted;

DROP INDEX threads_active_idx;
ALTER TABLE threads DROP COLUMN reply_count, DROP COLUMN last_activity_at;

CREATE FUNCTION devforum_thread_activity_copy() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO thread_activity (thread_id, last_activity_at, author_id, pinned, locked,
                                     hidden, deleted)
        VALUES (NEW.id, NEW.created_at, NEW.author_id, NEW.pinned, NEW.locked, NEW.hidden,
                NEW.deleted_at IS NOT NULL);
    ELSE
        UPDATE thread_activity
        SET author_id = NEW.author_id, pinned = NEW.pinned, locked = NEW.locked,
            hidden = NEW.hidden, deleted = NEW.deleted_at IS NOT NULL
        WHERE thread_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER threads_activity_insert AFTER INSERT ON threads
    FOR EACH ROW EXECUTE FUNCTION devforum_thread_activity_copy();
CREATE TRIGGER threads_activity_copy AFTER UPDATE OF author_id, pinned, locked, hidden, deleted_at
    ON threads
    FOR EACH ROW WHEN (OLD.author_id IS DISTINCT FROM NEW.author_id
                       OR OLD.pinned IS DISTINCT FROM NEW.pinned
                       OR OLD.locked IS DISTINCT FROM NEW.locked
                       OR OLD.hidden IS DISTINCT FROM NEW.hidden
                       OR (OLD.deleted_at IS NULL) IS DISTINCT FROM (NEW.deleted_at IS NULL))
    EXECUTE FUNCTION devforum_thread_activity_copy();
