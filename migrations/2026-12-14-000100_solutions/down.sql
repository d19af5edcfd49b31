DELETE FROM moderation_log WHERE action IN ('mark_solution', 'unmark_solution');
ALTER TABLE moderation_log
    DROP CONSTRAINT moderation_log_action_check,
    ADD CONSTRAINT moderation_log_action_check CHECK (action IN (
        'hide', 'auto_hide', 'restore', 'lock', 'unlock', 'pin', 'unpin',
        'resolve_report', 'dismiss_report', 'suspend', 'unsuspend', 'set_role', 'delete_account',
        'hide_member_content', 'restore_member_content', 'appeal_upheld', 'appeal_overturned',
        'set_trust_level'
    ));

DELETE FROM notifications WHERE kind = 'solution';
ALTER TABLE notifications
    DROP CONSTRAINT notifications_kind_check,
    ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
        'reply', 'watched_reply', 'mention', 'new_thread_in_tag',
        'mentorship_request', 'mentorship_accepted', 'mentorship_declined',
        'mentorship_withdrawn', 'mentorship_completed', 'mentorship_expired',
        'meetup_changed', 'meetup_cancelled', 'meetup_seat', 'meetup_reminder',
        'content_hidden', 'content_restored', 'account_suspended', 'account_unsuspended',
        'appeal_decided'
    ));

ALTER TABLE search_documents DROP COLUMN solved;

CREATE OR REPLACE FUNCTION devforum_thread_activity_copy() RETURNS trigger
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

DROP INDEX thread_activity_unanswered_active_idx;
DROP INDEX thread_activity_unanswered_idx;
ALTER TABLE thread_activity DROP COLUMN unanswered, DROP COLUMN created_at, DROP COLUMN answers;

DROP INDEX threads_unsolved_idx;
DROP INDEX threads_solved_idx;
ALTER TABLE threads DROP COLUMN solved;

DROP TABLE thread_solutions;
