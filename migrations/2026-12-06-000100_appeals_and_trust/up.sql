-- Fair and scalable moderation: graduated trust, appeals, claims on the review queue and
-- actions on a member's whole recent content.

-- Trust levels are computed from activity (src/trust/rules.rs) unless an admin pinned one.
ALTER TABLE users
    ADD COLUMN trust_level TEXT NOT NULL DEFAULT 'new'
        CHECK (trust_level IN ('new', 'basic', 'member', 'regular')),
    ADD COLUMN trust_level_pinned BOOLEAN NOT NULL DEFAULT false,
    -- The last moderation action against the member (their content hidden, their account
    -- suspended) that still stands: recent ones hold the level back.
    ADD COLUMN last_moderated_at TIMESTAMPTZ;

-- The reporter's level when they reported: reports from higher levels weigh more.
ALTER TABLE reports
    ADD COLUMN reporter_trust_level TEXT NOT NULL DEFAULT 'new'
        CHECK (reporter_trust_level IN ('new', 'basic', 'member', 'regular'));

ALTER TABLE moderation_log
    DROP CONSTRAINT moderation_log_action_check,
    ADD CONSTRAINT moderation_log_action_check CHECK (action IN (
        'hide', 'auto_hide', 'restore', 'lock', 'unlock', 'pin', 'unpin',
        'resolve_report', 'dismiss_report', 'suspend', 'unsuspend', 'set_role', 'delete_account',
        'hide_member_content', 'restore_member_content', 'appeal_upheld', 'appeal_overturned',
        'set_trust_level'
    )),
    DROP CONSTRAINT moderation_log_target_type_check,
    ADD CONSTRAINT moderation_log_target_type_check CHECK (target_type IN (
        'thread', 'reply', 'meetup', 'user', 'report', 'appeal'
    ));
-- What was done to a piece of content, for an appeal and for a member's standing.
CREATE INDEX moderation_log_target_idx ON moderation_log (target_type, target_id);

-- One appeal per action, by the member it was taken against.
CREATE TABLE appeals (
    id            BIGSERIAL   PRIMARY KEY,
    log_id        BIGINT      NOT NULL UNIQUE REFERENCES moderation_log (id),
    appellant_id  BIGINT      NOT NULL REFERENCES users (id),
    text          TEXT        NOT NULL CHECK (char_length(text) BETWEEN 1 AND 2000),
    -- The action was the automatic hide: such appeals go to the top of the queue.
    automatic     BOOLEAN     NOT NULL,
    status        TEXT        NOT NULL DEFAULT 'open'
                              CHECK (status IN ('open', 'upheld', 'overturned')),
    decided_by    BIGINT      REFERENCES users (id),
    note          TEXT        CHECK (char_length(note) <= 2000),
    decided_at    TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT appeals_decided_when_closed CHECK ((status = 'open') = (decided_at IS NULL))
);
CREATE INDEX appeals_queue_idx ON appeals ((status = 'open'), automatic DESC, created_at, id);
CREATE INDEX appeals_appellant_idx ON appeals (appellant_id);

-- A moderator handling a target's reports claims them for a while; nobody else acts on them
-- until the claim expires or is released.
CREATE TABLE report_claims (
    target_type   TEXT        NOT NULL CHECK (target_type IN ('thread', 'reply', 'user', 'meetup')),
    target_id     BIGINT      NOT NULL,
    moderator_id  BIGINT      NOT NULL REFERENCES users (id),
    expires_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (target_type, target_id)
);

-- What one `hide_member_content` action hid, so that one action undoes it.
CREATE TABLE member_content_actions (
    log_id        BIGINT      PRIMARY KEY REFERENCES moderation_log (id),
    member_id     BIGINT      NOT NULL REFERENCES users (id),
    since         TIMESTAMPTZ NOT NULL,
    -- The `restore_member_content` entry that undid it.
    undone_by     BIGINT      REFERENCES moderation_log (id)
);
CREATE TABLE member_content_action_items (
    log_id        BIGINT      NOT NULL REFERENCES member_content_actions (log_id),
    content_type  TEXT        NOT NULL CHECK (content_type IN ('thread', 'reply', 'meetup')),
    content_id    BIGINT      NOT NULL,
    PRIMARY KEY (log_id, content_type, content_id)
);
