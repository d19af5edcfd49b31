-- Notifications (issue 18): what each member is told, how they follow threads, and which
-- events have reached whom.

-- How a member follows a thread. `watching`: every reply; `normal`: replies to them and
-- mentions; `muted`: nothing. Authors and repliers follow automatically (the reason says
-- why); a level the member chose is never overwritten by an automatic one.
CREATE TABLE thread_subscriptions (
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    thread_id  BIGINT      NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    level      TEXT        NOT NULL CHECK (level IN ('watching', 'normal', 'muted')),
    reason     TEXT        NOT NULL CHECK (reason IN ('created', 'replied', 'chosen')),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, thread_id)
);
-- The fan-out reads a thread's watchers.
CREATE INDEX thread_subscriptions_thread ON thread_subscriptions (thread_id, level);

-- One row per thing a member is told. Several replies to one thread before the member reads
-- them are one row whose `count` grows; each new one moves the row to the top of the inbox
-- (a fresh id), so "newest first" and "read up to id" keep their meaning.
CREATE TABLE notifications (
    id                    BIGSERIAL   PRIMARY KEY,
    user_id               BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind                  TEXT        NOT NULL CHECK (kind IN (
        'reply', 'watched_reply', 'mention', 'new_thread_in_tag',
        'mentorship_request', 'mentorship_accepted', 'mentorship_declined',
        'mentorship_withdrawn', 'mentorship_completed', 'mentorship_expired',
        'meetup_changed', 'meetup_cancelled', 'meetup_seat', 'meetup_reminder',
        'content_hidden', 'content_restored', 'account_suspended', 'account_unsuspended',
        'appeal_decided'
    )),
    actor_id              BIGINT      REFERENCES users (id) ON DELETE SET NULL,
    thread_id             BIGINT      REFERENCES threads (id) ON DELETE CASCADE,
    reply_id              BIGINT      REFERENCES replies (id) ON DELETE CASCADE,
    meetup_id             BIGINT      REFERENCES meetups (id) ON DELETE CASCADE,
    mentorship_request_id BIGINT      REFERENCES mentorship_requests (id) ON DELETE CASCADE,
    count                 INTEGER     NOT NULL DEFAULT 1 CHECK (count >= 1),
    -- Its subject (reply, thread or meetup) is hidden or deleted: out of the inbox and the
    -- count until restored. Kept by the triggers below, so no code path can forget it.
    hidden                BOOLEAN     NOT NULL DEFAULT false,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    read_at               TIMESTAMPTZ
);
CREATE INDEX notifications_inbox ON notifications (user_id, id DESC) WHERE NOT hidden;
CREATE INDEX notifications_unread ON notifications (user_id, id DESC)
    WHERE read_at IS NULL AND NOT hidden;
CREATE INDEX notifications_thread ON notifications (thread_id) WHERE thread_id IS NOT NULL;
CREATE INDEX notifications_meetup ON notifications (meetup_id) WHERE meetup_id IS NOT NULL;
CREATE INDEX notifications_reply ON notifications (reply_id) WHERE reply_id IS NOT NULL;
-- At most one unread group of replies per member, thread and kind: the fan-out adds to it.
CREATE UNIQUE INDEX notifications_reply_group ON notifications (user_id, thread_id, kind)
    WHERE read_at IS NULL AND kind IN ('reply', 'watched_reply');

-- Which event reached whom: processing an event again (a retried or duplicated job) finds
-- its recipients here and tells nobody twice.
CREATE TABLE notification_deliveries (
    event      TEXT   NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (event, user_id)
);

-- Whether a notification's subject is gone for its reader: its reply, thread or meetup hidden
-- or deleted.
CREATE FUNCTION notification_subject_gone(reply BIGINT, thread BIGINT, meetup BIGINT)
RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM replies r WHERE r.id = reply AND (r.hidden OR r.deleted_at IS NOT NULL))
        OR EXISTS (SELECT 1 FROM threads t WHERE t.id = thread AND (t.hidden OR t.deleted_at IS NOT NULL))
        OR EXISTS (SELECT 1 FROM meetups m WHERE m.id = meetup AND m.hidden)
$$;

-- When a reply, thread or meetup is hidden, deleted or restored, its notifications follow.
CREATE FUNCTION notifications_follow_subject() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'replies' THEN
        UPDATE notifications n
           SET hidden = notification_subject_gone(n.reply_id, n.thread_id, n.meetup_id)
         WHERE n.reply_id = NEW.id;
    ELSIF TG_TABLE_NAME = 'threads' THEN
        UPDATE notifications n
           SET hidden = notification_subject_gone(n.reply_id, n.thread_id, n.meetup_id)
         WHERE n.thread_id = NEW.id;
    ELSE
        UPDATE notifications n
           SET hidden = notification_subject_gone(n.reply_id, n.thread_id, n.meetup_id)
         WHERE n.meetup_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER replies_notifications AFTER UPDATE OF hidden, deleted_at ON replies
    FOR EACH ROW WHEN (OLD.hidden IS DISTINCT FROM NEW.hidden OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION notifications_follow_subject();
CREATE TRIGGER threads_notifications AFTER UPDATE OF hidden, deleted_at ON threads
    FOR EACH ROW WHEN (OLD.hidden IS DISTINCT FROM NEW.hidden OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION notifications_follow_subject();
CREATE TRIGGER meetups_notifications AFTER UPDATE OF hidden ON meetups
    FOR EACH ROW WHEN (OLD.hidden IS DISTINCT FROM NEW.hidden)
    EXECUTE FUNCTION notifications_follow_subject();
