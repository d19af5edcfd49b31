DROP INDEX users_digest_due;
DROP TABLE unsubscribe_tokens_used;
DROP TRIGGER notifications_mail ON notifications;
DROP FUNCTION notifications_mail();
DROP INDEX notifications_mailed;
ALTER TABLE notifications DROP COLUMN mailed_at, DROP COLUMN mail;
ALTER TABLE users
    DROP COLUMN last_digest_at,
    DROP COLUMN last_seen_at,
    DROP COLUMN digest,
    DROP COLUMN email_notifications;
