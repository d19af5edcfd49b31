-- Notifications by email (issue 18): each member's mail preferences, when they were last seen,
-- the mail each notification may send (at most one, ever), single-use unsubscribe links and
-- digests.

-- `email_notifications`: mail for direct events (replies to the member, mentions, mentorship,
-- meetups) `always`, only when the member is `away` (the mail waits and is dropped if they
-- read it or came back meanwhile), or `never`. `digest`: a summary `daily`, `weekly` or
-- `never`. `last_seen_at`: the member's last request (recorded at most about once a minute).
-- `last_digest_at`: when the last digest was claimed for them.
ALTER TABLE users
    ADD COLUMN email_notifications TEXT NOT NULL DEFAULT 'away'
        CHECK (email_notifications IN ('always', 'away', 'never')),
    ADD COLUMN digest TEXT NOT NULL DEFAULT 'weekly'
        CHECK (digest IN ('daily', 'weekly', 'never')),
    ADD COLUMN last_seen_at TIMESTAMPTZ,
    ADD COLUMN last_digest_at TIMESTAMPTZ;

-- `mail`: the message a feature rendered for this notification (mentorship and meetups write
-- their own; replies and mentions are rendered when sent). `mailed_at`: when its one mail was
-- claimed; it is never cleared, so no notification mails twice.
ALTER TABLE notifications
    ADD COLUMN mail JSONB,
    ADD COLUMN mailed_at TIMESTAMPTZ;
-- The daily cap counts a member's mails of the last day.
CREATE INDEX notifications_mailed ON notifications (user_id, mailed_at) WHERE mailed_at IS NOT NULL;

-- A new notification of a kind that mails (or a reply group that moved on to a new id before
-- its mail went) gets a job that decides, when it runs, whether to send. Members who never
-- want mail get none.
CREATE FUNCTION notifications_mail() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO jobs (kind, payload)
    SELECT 'notification.mail', jsonb_build_object('notification_id', NEW.id)
      FROM users u
     WHERE u.id = NEW.user_id AND u.email_notifications <> 'never';
    RETURN NULL;
END
$$;
CREATE TRIGGER notifications_mail AFTER INSERT OR UPDATE OF id ON notifications
    FOR EACH ROW
    WHEN (NEW.mailed_at IS NULL AND NEW.read_at IS NULL AND NEW.kind IN (
        'reply', 'mention', 'mentorship_request', 'mentorship_accepted', 'mentorship_declined',
        'mentorship_withdrawn', 'mentorship_completed', 'mentorship_expired', 'meetup_changed',
        'meetup_cancelled', 'meetup_seat', 'meetup_reminder'))
    EXECUTE FUNCTION notifications_mail();

-- Unsubscribe links are signed tokens; each works once.
CREATE TABLE unsubscribe_tokens_used (
    token_id   UUID        PRIMARY KEY,
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    used_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Members whose digest may be due, in the order the digest run walks them.
CREATE INDEX users_digest_due ON users (digest, last_digest_at) WHERE digest <> 'never';
