-- Fails if a deleted mentor's requests remain (their profile is gone): nothing is lost quietly.
ALTER TABLE mentorship_requests
    DROP CONSTRAINT mentorship_requests_mentor_id_fkey,
    ADD CONSTRAINT mentorship_requests_mentor_id_fkey
        FOREIGN KEY (mentor_id) REFERENCES mentor_profiles (user_id);
CREATE OR REPLACE FUNCTION devforum_moderation_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'moderation_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
-- Rows written since cannot be taken back (the log is append-only): a down migration that
-- meets a 'delete_account' entry fails here rather than lose it.
ALTER TABLE moderation_log
    DROP CONSTRAINT moderation_log_action_check,
    ADD CONSTRAINT moderation_log_action_check CHECK (action IN (
        'hide', 'auto_hide', 'restore', 'lock', 'unlock', 'pin', 'unpin',
        'resolve_report', 'dismiss_report', 'suspend', 'unsuspend', 'set_role'
    )),
    DROP COLUMN target_ref,
    DROP COLUMN actor_ref;
DROP TABLE reserved_usernames;
ALTER TABLE users DROP COLUMN deleted_at;
