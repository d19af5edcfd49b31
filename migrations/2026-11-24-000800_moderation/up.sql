-- Moderation: hidden meetups, members' reports, and the append-only moderation log.
ALTER TABLE meetups ADD COLUMN hidden BOOLEAN NOT NULL DEFAULT false;

CREATE TABLE reports (
    id           BIGSERIAL   PRIMARY KEY,
    reporter_id  BIGINT      NOT NULL REFERENCES users (id),
    target_type  TEXT        NOT NULL CHECK (target_type IN ('thread', 'reply', 'user', 'meetup')),
    target_id    BIGINT      NOT NULL,
    reason       TEXT        NOT NULL CHECK (reason IN ('spam', 'abuse', 'off_topic', 'other')),
    details      TEXT        CHECK (char_length(details) <= 2000),
    status       TEXT        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'dismissed')),
    -- How a resolved report was acted on.
    action       TEXT        CHECK (action IN ('hide', 'none')),
    note         TEXT        CHECK (char_length(note) <= 2000),
    handled_by   BIGINT      REFERENCES users (id),
    handled_at   TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT reports_handled_when_closed CHECK ((status = 'open') = (handled_at IS NULL))
);
-- One open report per reporter and target.
CREATE UNIQUE INDEX reports_open_per_reporter_key ON reports (reporter_id, target_type, target_id)
    WHERE status = 'open';
-- The review queue, oldest first, per status; open reports per target.
CREATE INDEX reports_queue_idx ON reports (status, created_at, id);
CREATE INDEX reports_target_idx ON reports (target_type, target_id) WHERE status = 'open';

CREATE TABLE moderation_log (
    id          BIGSERIAL   PRIMARY KEY,
    -- NULL: the system acted (the automatic hide on reports).
    actor_id    BIGINT      REFERENCES users (id),
    action      TEXT        NOT NULL,
    target_type TEXT        NOT NULL,
    target_id   BIGINT      NOT NULL,
    reason      TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Append-only, whoever connects: rows can be added, never changed or removed.
CREATE FUNCTION devforum_moderation_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'moderation_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER moderation_log_no_update_or_delete
    BEFORE UPDATE OR DELETE ON moderation_log
    FOR EACH ROW EXECUTE FUNCTION devforum_moderation_log_append_only();
CREATE TRIGGER moderation_log_no_truncate
    BEFORE TRUNCATE ON moderation_log
    FOR EACH STATEMENT EXECUTE FUNCTION devforum_moderation_log_append_only();
