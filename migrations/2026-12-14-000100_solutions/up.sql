-- Answers marked as solutions, and the two states a question listing filters on.
--
-- `threads.solved` says the thread has a solution a reader can see: set when one is chosen,
-- cleared when it is removed or its reply is hidden or deleted, set again when the reply is
-- restored. Only those writes (rare, under the thread's lock) touch it, so it lives on the
-- thread row with partial indexes for the "solved" and "unsolved" listings.
--
-- "Unanswered" changes with replies, so it is a count on the narrow activity row, which the
-- reply statement already writes: `answers` counts the replies by anyone but the thread's
-- author that a reader sees. With a copy of `created_at` there, both listings of unanswered
-- threads are a range of a partial index of that row.
CREATE TABLE thread_solutions (
    thread_id BIGINT      PRIMARY KEY REFERENCES threads (id) ON DELETE CASCADE,
    reply_id  BIGINT      NOT NULL UNIQUE REFERENCES replies (id) ON DELETE CASCADE,
    chosen_by BIGINT      REFERENCES users (id) ON DELETE SET NULL,
    chosen_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

ALTER TABLE threads ADD COLUMN solved BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX threads_solved_idx ON threads (pinned DESC, created_at DESC, id DESC)
    WHERE deleted_at IS NULL AND solved;
CREATE INDEX threads_unsolved_idx ON threads (pinned DESC, created_at DESC, id DESC)
    WHERE deleted_at IS NULL AND NOT solved;

ALTER TABLE thread_activity
    ADD COLUMN answers INTEGER NOT NULL DEFAULT 0 CHECK (answers >= 0),
    ADD COLUMN created_at TIMESTAMPTZ;
UPDATE thread_activity a
   SET created_at = t.created_at,
       answers = (SELECT count(*) FROM replies r
                   WHERE r.thread_id = t.id AND r.author_id <> t.author_id
                     AND r.deleted_at IS NULL AND NOT r.hidden)
  FROM threads t
 WHERE t.id = a.thread_id;
ALTER TABLE thread_activity ALTER COLUMN created_at SET NOT NULL;
-- A column, not `answers = 0` in the query: the listing filters on it with no bound value and
-- no SQL text of its own, so its statement stays prepared (planned once) and still matches
-- the partial indexes below.
ALTER TABLE thread_activity
    ADD COLUMN unanswered BOOLEAN NOT NULL GENERATED ALWAYS AS (answers = 0) STORED;
CREATE INDEX thread_activity_unanswered_idx
    ON thread_activity (pinned DESC, created_at DESC, thread_id DESC)
    WHERE NOT deleted AND unanswered;
CREATE INDEX thread_activity_unanswered_active_idx
    ON thread_activity (pinned DESC, last_activity_at DESC, thread_id DESC)
    WHERE NOT deleted AND unanswered;

CREATE OR REPLACE FUNCTION devforum_thread_activity_copy() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO thread_activity (thread_id, last_activity_at, created_at, author_id, pinned,
                                     locked, hidden, deleted)
        VALUES (NEW.id, NEW.created_at, NEW.created_at, NEW.author_id, NEW.pinned, NEW.locked,
                NEW.hidden, NEW.deleted_at IS NOT NULL);
    ELSE
        UPDATE thread_activity
        SET author_id = NEW.author_id, pinned = NEW.pinned, locked = NEW.locked,
            hidden = NEW.hidden, deleted = NEW.deleted_at IS NOT NULL
        WHERE thread_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

-- Search filters threads on it (`solved=`); other kinds leave it null.
ALTER TABLE search_documents ADD COLUMN solved BOOLEAN;

ALTER TABLE notifications
    DROP CONSTRAINT notifications_kind_check,
    ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
        'reply', 'watched_reply', 'mention', 'new_thread_in_tag',
        'mentorship_request', 'mentorship_accepted', 'mentorship_declined',
        'mentorship_withdrawn', 'mentorship_completed', 'mentorship_expired',
        'meetup_changed', 'meetup_cancelled', 'meetup_seat', 'meetup_reminder',
        'content_hidden', 'content_restored', 'account_suspended', 'account_unsuspended',
        'appeal_decided', 'solution'
    ));

ALTER TABLE moderation_log
    DROP CONSTRAINT moderation_log_action_check,
    ADD CONSTRAINT moderation_log_action_check CHECK (action IN (
        'hide', 'auto_hide', 'restore', 'lock', 'unlock', 'pin', 'unpin',
        'resolve_report', 'dismiss_report', 'suspend', 'unsuspend', 'set_role', 'delete_account',
        'hide_member_content', 'restore_member_content', 'appeal_upheld', 'appeal_overturned',
        'set_trust_level', 'mark_solution', 'unmark_solution'
    ));
