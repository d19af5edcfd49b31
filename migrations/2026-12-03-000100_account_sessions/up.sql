-- A member's signed-in devices: one row per login (refresh-token family), with when it began,
-- when it was last used (its latest refresh), the browser it came from, and whether it ended.
CREATE TABLE sessions (
    id            UUID        PRIMARY KEY,
    user_id       BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- When its newest refresh token expires: past it, the login is over by itself.
    expires_at    TIMESTAMPTZ NOT NULL,
    user_agent    TEXT        CHECK (length(user_agent) <= 512),
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX sessions_live_idx ON sessions (user_id, last_used_at DESC) WHERE revoked_at IS NULL;

-- Logins from before this migration become sessions with no user agent.
INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, revoked_at)
SELECT family_id, min(user_id), min(created_at), max(created_at), max(expires_at),
       CASE WHEN bool_and(revoked_at IS NOT NULL) THEN max(revoked_at) END
FROM refresh_tokens
GROUP BY family_id;

ALTER TABLE refresh_tokens
    ADD CONSTRAINT refresh_tokens_family_id_fkey
    FOREIGN KEY (family_id) REFERENCES sessions (id) ON DELETE CASCADE;

-- Emailed links about an address (an email change, its undo) carry that address.
ALTER TABLE user_tokens
    ADD COLUMN email TEXT CHECK (length(email) <= 254),
    DROP CONSTRAINT user_tokens_purpose_check,
    ADD CONSTRAINT user_tokens_purpose_check
        CHECK (purpose IN ('verify_email', 'password_reset', 'change_email', 'undo_email_change')),
    ADD CONSTRAINT user_tokens_email_for_purpose
        CHECK ((purpose IN ('change_email', 'undo_email_change')) = (email IS NOT NULL));
