-- Notifications, second part (issue 18): member blocking, following tags, and a signal for
-- live streams.

-- A member who blocked another is told nothing of what the other does, and what they were
-- already told leaves their inbox (see notification_hidden below).
CREATE TABLE user_blocks (
    blocker_id BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (blocker_id, blocked_id),
    CHECK (blocker_id <> blocked_id)
);
CREATE INDEX user_blocks_blocked ON user_blocks (blocked_id);

-- How a member follows a tag: `watching_first_post` (told of each new thread with it) or
-- `muted` (told nothing of threads with it, unless they watch the thread itself). No row is
-- `normal`.
CREATE TABLE tag_subscriptions (
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tag        TEXT        NOT NULL CHECK (tag ~ '^[a-z0-9-]{1,32}$'),
    level      TEXT        NOT NULL CHECK (level IN ('watching_first_post', 'muted')),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, tag)
);
CREATE INDEX tag_subscriptions_tag ON tag_subscriptions (tag, level);

-- Whether a notification is out of its recipient's inbox and count: its subject (reply, thread
-- or meetup) is hidden or deleted — except for the notifications that tell an author their
-- content was hidden or restored — or its actor is someone the recipient blocked.
CREATE FUNCTION notification_hidden(recipient BIGINT, kind TEXT, actor BIGINT,
                                    reply BIGINT, thread BIGINT, meetup BIGINT)
RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT (kind NOT IN ('content_hidden', 'content_restored')
            AND notification_subject_gone(reply, thread, meetup))
        OR (actor IS NOT NULL AND EXISTS (
                SELECT 1 FROM user_blocks b WHERE b.blocker_id = recipient AND b.blocked_id = actor))
$$;

CREATE OR REPLACE FUNCTION notifications_follow_subject() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'replies' THEN
        UPDATE notifications n
           SET hidden = notification_hidden(n.user_id, n.kind, n.actor_id, n.reply_id, n.thread_id, n.meetup_id)
         WHERE n.reply_id = NEW.id;
    ELSIF TG_TABLE_NAME = 'threads' THEN
        UPDATE notifications n
           SET hidden = notification_hidden(n.user_id, n.kind, n.actor_id, n.reply_id, n.thread_id, n.meetup_id)
         WHERE n.thread_id = NEW.id;
    ELSE
        UPDATE notifications n
           SET hidden = notification_hidden(n.user_id, n.kind, n.actor_id, n.reply_id, n.thread_id, n.meetup_id)
         WHERE n.meetup_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

-- Blocking and unblocking take the blocked member's notifications out of the blocker's inbox
-- and bring them back.
CREATE FUNCTION notifications_follow_blocks() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE INDEX notifications_actor ON notifications (user_id, actor_id) WHERE actor_id IS NOT NULL;
CREATE TRIGGER user_blocks_notifications AFTER INSERT OR DELETE ON user_blocks
    FOR EACH ROW EXECUTE FUNCTION notifications_follow_blocks();

-- Live streams: each serve process LISTENs here and tells its open streams. The payload holds
-- ids only: `<user id> <notification id>` for a new or regrouped notification, `<user id>`
-- when only the unread count may have changed (identical payloads in one transaction are
-- delivered once).
CREATE FUNCTION notifications_signal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.id <> OLD.id THEN
        IF NOT NEW.hidden THEN
            PERFORM pg_notify('devforum_notifications', NEW.user_id || ' ' || NEW.id);
        END IF;
    ELSE
        PERFORM pg_notify('devforum_notifications', NEW.user_id::text);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER notifications_signal AFTER INSERT OR UPDATE OF id, read_at, hidden ON notifications
    FOR EACH ROW EXECUTE FUNCTION notifications_signal();
