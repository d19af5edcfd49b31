DELETE FROM moderation_log WHERE action = 'view_message' OR target_type = 'message';
ALTER TABLE moderation_log
    DROP CONSTRAINT moderation_log_action_check,
    ADD CONSTRAINT moderation_log_action_check CHECK (action IN (
        'hide', 'auto_hide', 'restore', 'lock', 'unlock', 'pin', 'unpin',
        'resolve_report', 'dismiss_report', 'suspend', 'unsuspend', 'set_role', 'delete_account',
        'hide_member_content', 'restore_member_content', 'appeal_upheld', 'appeal_overturned',
        'set_trust_level', 'mark_solution', 'unmark_solution'
    )),
    DROP CONSTRAINT moderation_log_target_type_check,
    ADD CONSTRAINT moderation_log_target_type_check CHECK (target_type IN (
        'thread', 'reply', 'meetup', 'user', 'report', 'appeal'
    ));
DELETE FROM report_claims WHERE target_type = 'message';
ALTER TABLE report_claims
    DROP CONSTRAINT report_claims_target_type_check,
    ADD CONSTRAINT report_claims_target_type_check CHECK (target_type IN (
        'thread', 'reply', 'user', 'meetup'
    ));
DELETE FROM reports WHERE target_type = 'message';
ALTER TABLE reports
    DROP CONSTRAINT reports_target_type_check,
    ADD CONSTRAINT reports_target_type_check CHECK (target_type IN (
        'thread', 'reply', 'user', 'meetup'
    ));

CREATE OR REPLACE FUNCTION notifications_follow_blocks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed user_blocks;
BEGIN
    IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
    UPDATE notifications n
       SET hidden = notification_hidden(n.user_id, n.kind, n.actor_id, n.reply_id, n.thread_id, n.meetup_id)
     WHERE n.user_id = changed.blocker_id AND n.actor_id = changed.blocked_id;
    RETURN NULL;
END
$$;
DROP TRIGGER messages_notifications ON messages;
DROP FUNCTION notifications_follow_message();
DROP FUNCTION notification_message_hidden(BIGINT, TEXT);

DROP TRIGGER notifications_mail ON notifications;
CREATE TRIGGER notifications_mail AFTER INSERT OR UPDATE OF id ON notifications
    FOR EACH ROW
    WHEN (NEW.mailed_at IS NULL AND NEW.read_at IS NULL AND NEW.kind IN (
        'reply', 'mention', 'mentorship_request', 'mentorship_accepted', 'mentorship_declined',
        'mentorship_withdrawn', 'mentorship_completed', 'mentorship_expired', 'meetup_changed',
        'meetup_cancelled', 'meetup_seat', 'meetup_reminder'))
    EXECUTE FUNCTION notifications_mail();

DELETE FROM notifications WHERE kind = 'message';
DROP INDEX notifications_message_group;
DROP INDEX notifications_message;
DROP INDEX notifications_conversation;
ALTER TABLE notifications
    DROP COLUMN message_id,
    DROP COLUMN conversation_id,
    DROP CONSTRAINT notifications_kind_check,
    ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
        'reply', 'watched_reply', 'mention', 'new_thread_in_tag',
        'mentorship_request', 'mentorship_accepted', 'mentorship_declined',
        'mentorship_withdrawn', 'mentorship_completed', 'mentorship_expired',
        'meetup_changed', 'meetup_cancelled', 'meetup_seat', 'meetup_reminder',
        'content_hidden', 'content_restored', 'account_suspended', 'account_unsuspended',
        'appeal_decided', 'solution'
    ));

ALTER TABLE mentorship_requests DROP COLUMN conversation_id;
DROP TABLE message_preferences;
DROP TABLE messages;
DROP TABLE conversation_participants;
DROP TABLE conversations;
