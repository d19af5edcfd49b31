-- Integrations (issue 45): webhooks that tell other services what happens here, and API tokens
-- for bots and scripts.

-- A hook: where to post, which events, in which format. `secret` (`whsec_…`) signs every
-- delivery (the key must be readable to sign, so it is kept as it is); after a rotation the
-- previous one signs too until `previous_secret_until`, so receivers can switch over.
-- `failing_since`: the first failed attempt since the last success; a day of it turns the hook
-- off (`disabled_reason` 'failing'), as a `410` does ('gone').
CREATE TABLE webhooks (
    id                    BIGSERIAL   PRIMARY KEY,
    url                   TEXT        NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2000),
    description           TEXT        NOT NULL DEFAULT '' CHECK (char_length(description) <= 200),
    events                TEXT[]      NOT NULL CHECK (cardinality(events) >= 1 AND events <@ ARRAY[
        'thread.created', 'reply.created', 'thread.solved', 'mentorship.requested',
        'mentorship.accepted', 'meetup.created', 'meetup.cancelled', 'report.created',
        'moderation.action', 'ping'
    ]::text[]),
    format                TEXT        NOT NULL CHECK (format IN ('standard', 'discord', 'slack')),
    active                BOOLEAN     NOT NULL DEFAULT true,
    staff                 BOOLEAN     NOT NULL DEFAULT false,
    secret                TEXT        NOT NULL,
    previous_secret       TEXT,
    previous_secret_until TIMESTAMPTZ,
    created_by            BIGINT      REFERENCES users (id) ON DELETE SET NULL,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    failing_since         TIMESTAMPTZ,
    last_success_at       TIMESTAMPTZ,
    disabled_at           TIMESTAMPTZ,
    disabled_reason       TEXT        CHECK (disabled_reason IN ('gone', 'failing')),
    -- One sender at a time per hook (any process): who holds it, and until when.
    sender                UUID,
    sending_until         TIMESTAMPTZ,
    -- Events for staff channels only go to hooks an admin marked staff.
    CHECK (staff OR NOT (events && ARRAY['report.created', 'moderation.action']::text[]))
);

-- What happened, once, with the payload every hook it goes to is sent (built by the worker
-- from what a visitor can see). `source`: the change it comes from (`reply.created:42`), so
-- a replayed job makes no second event.
CREATE TABLE webhook_events (
    id         BIGSERIAL   PRIMARY KEY,
    type       TEXT        NOT NULL,
    source     TEXT        NOT NULL UNIQUE,
    data       JSONB       NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX webhook_events_created ON webhook_events (created_at);

-- One event for one hook. `message_id` is the `webhook-id` header: the same on every attempt.
-- `locked_until`: a sender has it in hand until then (a sender that died lets it go).
CREATE TABLE webhook_deliveries (
    id              BIGSERIAL   PRIMARY KEY,
    webhook_id      BIGINT      NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        BIGINT      NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    message_id      TEXT        NOT NULL UNIQUE,
    status          TEXT        NOT NULL DEFAULT 'pending'
                                CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INT         NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ,
    locked_until    TIMESTAMPTZ,
    response_status INT,
    response_body   TEXT,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at    TIMESTAMPTZ,
    UNIQUE (webhook_id, event_id),
    CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL))
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id DESC);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);

-- Whether a hook already has a delivering job waiting (one per hook): found by index however
-- long the queue is.
CREATE INDEX jobs_webhook_deliver ON jobs ((payload ->> 'webhook_id'), run_at)
    WHERE kind = 'webhooks.deliver' AND status = 'pending';

-- The outbox: a change a hook listens for enqueues `webhooks.event` in its own transaction,
-- by these triggers (replies, the hot path, enqueue theirs in the reply's one statement with
-- `webhooks_subscribed`). No active hook listening: nothing is written.
CREATE FUNCTION webhooks_subscribed(event TEXT) RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM webhooks WHERE active AND event = ANY (events))
$$;

-- TG_ARGV: the event type, and the column naming its subject.
CREATE FUNCTION webhooks_emit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF webhooks_subscribed(TG_ARGV[0]) THEN
        INSERT INTO jobs (kind, payload)
        VALUES ('webhooks.event', jsonb_build_object(
            'type', TG_ARGV[0], 'subject', (to_jsonb(NEW) ->> TG_ARGV[1])::bigint));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER webhooks_thread_created AFTER INSERT ON threads
    FOR EACH ROW EXECUTE FUNCTION webhooks_emit('thread.created', 'id');
CREATE TRIGGER webhooks_thread_solved AFTER INSERT OR UPDATE OF reply_id ON thread_solutions
    FOR EACH ROW EXECUTE FUNCTION webhooks_emit('thread.solved', 'thread_id');
CREATE TRIGGER webhooks_mentorship_requested AFTER INSERT ON mentorship_requests
    FOR EACH ROW EXECUTE FUNCTION webhooks_emit('mentorship.requested', 'id');
CREATE TRIGGER webhooks_mentorship_accepted AFTER UPDATE OF status ON mentorship_requests
    FOR EACH ROW WHEN (NEW.status = 'accepted' AND OLD.status IS DISTINCT FROM 'accepted')
    EXECUTE FUNCTION webhooks_emit('mentorship.accepted', 'id');
CREATE TRIGGER webhooks_meetup_created AFTER INSERT ON meetups
    FOR EACH ROW EXECUTE FUNCTION webhooks_emit('meetup.created', 'id');
CREATE TRIGGER webhooks_meetup_cancelled AFTER UPDATE OF status ON meetups
    FOR EACH ROW WHEN (NEW.status = 'cancelled' AND OLD.status IS DISTINCT FROM 'cancelled')
    EXECUTE FUNCTION webhooks_emit('meetup.cancelled', 'id');
CREATE TRIGGER webhooks_report_created AFTER INSERT ON reports
    FOR EACH ROW EXECUTE FUNCTION webhooks_emit('report.created', 'id');
-- Staff reading a reported message, and authors choosing answers, are no moderation.
CREATE TRIGGER webhooks_moderation_action AFTER INSERT ON moderation_log
    FOR EACH ROW WHEN (NEW.action NOT IN ('view_message', 'mark_solution', 'unmark_solution'))
    EXECUTE FUNCTION webhooks_emit('moderation.action', 'id');

-- A member's tokens for bots and scripts: `dfp_<id>_<secret>`, the secret kept as its SHA-256.
-- `generation`: the account's session generation when it was made; logout-everywhere and a
-- password change move the account's on, which ends the token.
CREATE TABLE api_tokens (
    id           BIGSERIAL   PRIMARY KEY,
    user_id      BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    scopes       TEXT[]      NOT NULL CHECK (cardinality(scopes) >= 1
                                 AND scopes <@ ARRAY['read', 'write', 'moderate']::text[]),
    secret_hash  BYTEA       NOT NULL,
    generation   INT         NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at TIMESTAMPTZ,
    expires_at   TIMESTAMPTZ
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, id);

-- Admins are told when a failing hook was turned off.
ALTER TABLE notifications
    DROP CONSTRAINT notifications_kind_check,
    ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
        'reply', 'watched_reply', 'mention', 'new_thread_in_tag',
        'mentorship_request', 'mentorship_accepted', 'mentorship_declined',
        'mentorship_withdrawn', 'mentorship_completed', 'mentorship_expired',
        'meetup_changed', 'meetup_cancelled', 'meetup_seat', 'meetup_reminder',
        'content_hidden', 'content_restored', 'account_suspended', 'account_unsuspended',
        'appeal_decided', 'solution', 'message', 'webhook_disabled'
    ));
DROP TRIGGER notifications_mail ON notifications;
CREATE TRIGGER notifications_mail AFTER INSERT OR UPDATE OF id ON notifications
    FOR EACH ROW
    WHEN (NEW.mailed_at IS NULL AND NEW.read_at IS NULL AND NEW.kind IN (
        'reply', 'mention', 'mentorship_request', 'mentorship_accepted', 'mentorship_declined',
        'mentorship_withdrawn', 'mentorship_completed', 'mentorship_expired', 'meetup_changed',
        'meetup_cancelled', 'meetup_seat', 'meetup_reminder', 'message', 'webhook_disabled'))
    EXECUTE FUNCTION notifications_mail();
