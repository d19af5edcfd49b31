-- Private conversations (issue 44): members talk to each other (2 to 11 of them) without
-- sharing addresses; an accepted mentorship request opens its pair's conversation.

-- `author_id`: who started it (a `new` account may start few a day). `mentorship_pair`:
-- `<mentor id>:<mentee id>` for the conversation mentorship opened, so a pair has one.
-- `last_message_at`/`last_message_id`: the newest message, for the inbox.
CREATE TABLE conversations (
    id              BIGSERIAL   PRIMARY KEY,
    author_id       BIGINT      NOT NULL REFERENCES users (id),
    subject         TEXT        NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 200),
    mentorship_pair TEXT        UNIQUE,
    last_message_id BIGINT      NOT NULL DEFAULT 0,
    last_message_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
) WITH (fillfactor = 80);  -- each message rewrites the row: room for it on its page (HOT)
CREATE INDEX conversations_author ON conversations (author_id, created_at);

-- Who takes part. A member who left keeps the row (`left_at`), so the conversation leaves
-- their inbox and refuses them. `last_message_at` is the conversation's, copied here so the
-- inbox is one index range per member; `last_read_message_id`: the newest message they read.
CREATE TABLE conversation_participants (
    conversation_id      BIGINT      NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id              BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_read_message_id BIGINT      NOT NULL DEFAULT 0,
    last_message_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    joined_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    left_at              TIMESTAMPTZ,
    PRIMARY KEY (conversation_id, user_id)
);
-- One index serves the inbox (a range per member, those who left filtered out as read) and
-- every conversation a member was ever in (whom they have conversed with, erasure, export):
-- each message rewrites its members' rows, and each index more is written with them.
CREATE INDEX conversation_participants_inbox
    ON conversation_participants (user_id, last_message_at DESC, conversation_id DESC);

-- The messages: Markdown as written and as rendered, like posts. A hidden message leaves the
-- conversation for its participants (as a hidden reply leaves its thread).
CREATE TABLE messages (
    id              BIGSERIAL   PRIMARY KEY,
    conversation_id BIGINT      NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    author_id       BIGINT      NOT NULL REFERENCES users (id),
    body            TEXT        NOT NULL CHECK (char_length(body) BETWEEN 1 AND 20000),
    body_html       TEXT        NOT NULL,
    hidden          BOOLEAN     NOT NULL DEFAULT false,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);

-- Who may start a conversation with the member: `everyone`, `connections` (members they
-- mentor or are mentored by, or have conversed with) or `nobody`. No row is `everyone`.
CREATE TABLE message_preferences (
    user_id    BIGINT      PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    messages   TEXT        NOT NULL CHECK (messages IN ('everyone', 'connections', 'nobody')),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The conversation an accepted request opened.
ALTER TABLE mentorship_requests
    ADD COLUMN conversation_id BIGINT REFERENCES conversations (id) ON DELETE SET NULL;

-- A notification of kind `message` names its conversation and newest message; unread ones
-- group per conversation like replies per thread.
ALTER TABLE notifications
    ADD COLUMN conversation_id BIGINT REFERENCES conversations (id) ON DELETE CASCADE,
    ADD COLUMN message_id      BIGINT REFERENCES messages (id) ON DELETE CASCADE,
    DROP CONSTRAINT notifications_kind_check,
    ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
        'reply', 'watched_reply', 'mention', 'new_thread_in_tag',
        'mentorship_request', 'mentorship_accepted', 'mentorship_declined',
        'mentorship_withdrawn', 'mentorship_completed', 'mentorship_expired',
        'meetup_changed', 'meetup_cancelled', 'meetup_seat', 'meetup_reminder',
        'content_hidden', 'content_restored', 'account_suspended', 'account_unsuspended',
        'appeal_decided', 'solution', 'message'
    ));
CREATE INDEX notifications_conversation ON notifications (conversation_id)
    WHERE conversation_id IS NOT NULL;
CREATE INDEX notifications_message ON notifications (message_id) WHERE message_id IS NOT NULL;
CREATE UNIQUE INDEX notifications_message_group ON notifications (user_id, conversation_id)
    WHERE read_at IS NULL AND kind = 'message';

-- Messages mail like replies (and a new group's id mails again, as a reply group's does).
DROP TRIGGER notifications_mail ON notifications;
CREATE TRIGGER notifications_mail AFTER INSERT OR UPDATE OF id ON notifications
    FOR EACH ROW
    WHEN (NEW.mailed_at IS NULL AND NEW.read_at IS NULL AND NEW.kind IN (
        'reply', 'mention', 'mentorship_request', 'mentorship_accepted', 'mentorship_declined',
        'mentorship_withdrawn', 'mentorship_completed', 'mentorship_expired', 'meetup_changed',
        'meetup_cancelled', 'meetup_seat', 'meetup_reminder', 'message'))
    EXECUTE FUNCTION notifications_mail();

-- Whether a notification's message is hidden (the other subjects: notification_hidden).
CREATE FUNCTION notification_message_hidden(message BIGINT, kind TEXT)
RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT kind NOT IN ('content_hidden', 'content_restored')
       AND EXISTS (SELECT 1 FROM messages m WHERE m.id = message AND m.hidden)
$$;

-- Hiding or restoring a message takes its notifications out of the inbox and back.
CREATE FUNCTION notifications_follow_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE notifications n
       SET hidden = notification_message_hidden(n.message_id, n.kind)
                 OR notification_hidden(n.user_id, n.kind, n.actor_id, n.reply_id, n.thread_id, n.meetup_id)
     WHERE n.message_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER messages_notifications AFTER UPDATE OF hidden ON messages
    FOR EACH ROW WHEN (OLD.hidden IS DISTINCT FROM NEW.hidden)
    EXECUTE FUNCTION notifications_follow_message();

-- Unblocking brings back what blocking took, but never a hidden message's notification.
CREATE OR REPLACE FUNCTION notifications_follow_blocks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed user_blocks;
BEGIN
    IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
    UPDATE notifications n
       SET hidden = notification_hidden(n.user_id, n.kind, n.actor_id, n.reply_id, n.thread_id, n.meetup_id)
                 OR notification_message_hidden(n.message_id, n.kind)
     WHERE n.user_id = changed.blocker_id AND n.actor_id = changed.blocked_id;
    RETURN NULL;
END
$$;

-- Reports, claims and the log name messages; the log records each time staff read one.
ALTER TABLE reports
    DROP CONSTRAINT reports_target_type_check,
    ADD CONSTRAINT reports_target_type_check CHECK (target_type IN (
        'thread', 'reply', 'user', 'meetup', 'message'
    ));
ALTER TABLE report_claims
    DROP CONSTRAINT report_claims_target_type_check,
    ADD CONSTRAINT report_claims_target_type_check CHECK (target_type IN (
        'thread', 'reply', 'user', 'meetup', 'message'
    ));
ALTER TABLE moderation_log
    DROP CONSTRAINT moderation_log_action_check,
    ADD CONSTRAINT moderation_log_action_check CHECK (action IN (
        'hide', 'auto_hide', 'restore', 'lock', 'unlock', 'pin', 'unpin',
        'resolve_report', 'dismiss_report', 'suspend', 'unsuspend', 'set_role', 'delete_account',
        'hide_member_content', 'restore_member_content', 'appeal_upheld', 'appeal_overturned',
        'set_trust_level', 'mark_solution', 'unmark_solution', 'view_message'
    )),
    DROP CONSTRAINT moderation_log_target_type_check,
    ADD CONSTRAINT moderation_log_target_type_check CHECK (target_type IN (
        'thread', 'reply', 'meetup', 'user', 'report', 'appeal', 'message'
    ));
