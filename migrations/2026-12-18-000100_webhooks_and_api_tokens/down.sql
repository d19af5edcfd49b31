DROP TRIGGER notifications_mail ON notifications;
DELETE FROM notifications WHERE kind = 'webhook_disabled';
CREATE TRIGGER notifications_mail AFTER INSERT OR UPDATE OF id ON notifications
    FOR EACH ROW
    WHEN (NEW.mailed_at IS NULL AND NEW.read_at IS NULL AND NEW.kind IN (
        'reply', 'mention', 'mentorship_request', 'mentorship_accepted', 'mentorship_declined',
        'mentorship_withdrawn', 'mentorship_completed', 'mentorship_expired', 'meetup_changed',
        'meetup_cancelled', 'meetup_seat', 'meetup_reminder', 'message'))
    EXECUTE FUNCTION notifications_mail();
ALTER TABLE notifications
    DROP CONSTRAINT notifications_kind_check,
    ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
        'reply', 'watched_reply', 'mention', 'new_thread_in_tag',
        'mentorship_request', 'mentorship_accepted', 'mentorship_declined',
        'mentorship_withdrawn', 'mentorship_completed', 'mentorship_expired',
        'meetup_changed', 'meetup_cancelled', 'meetup_seat', 'meetup_reminder',
        'content_hidden', 'content_restored', 'account_suspended', 'account_unsuspended',
        'appeal_decided', 'solution', 'message'
    ));
DROP TABLE api_tokens;
DROP TRIGGER webhooks_moderation_action ON moderation_log;
DROP TRIGGER webhooks_report_created ON reports;
DROP TRIGGER webhooks_meetup_cancelled ON meetups;
DROP TRIGGER webhooks_meetup_created ON meetups;
DROP TRIGGER webhooks_mentorship_accepted ON mentorship_requests;
DROP TRIGGER webhooks_mentorship_requested ON mentorship_requests;
DROP TRIGGER webhooks_thread_solved ON thread_solutions;
DROP TRIGGER webhooks_thread_created ON threads;
DROP FUNCTION webhooks_emit();
DROP INDEX jobs_webhook_deliver;
DROP FUNCTION webhooks_subscribed(TEXT);
DROP TABLE webhook_deliveries;
DROP TABLE webhook_events;
DROP TABLE webhooks;
DELETE FROM jobs WHERE kind LIKE 'webhooks.%';
