-- Profiles, suspension, login throttling and session revocation on users; refresh tokens
-- rotated in families; single-use tokens for email verification and password reset.
ALTER TABLE users
    ADD COLUMN bio                   TEXT        NOT NULL DEFAULT '' CHECK (length(bio) <= 2000),
    ADD COLUMN location              TEXT        CHECK (length(location) <= 100),
    ADD COLUMN timezone              TEXT        CHECK (length(timezone) <= 64),
    ADD COLUMN skills                TEXT[]      NOT NULL DEFAULT '{}' CHECK (cardinality(skills) <= 20),
    -- Suspended while suspended_at is set and suspended_until (NULL: indefinitely) is ahead.
    ADD COLUMN suspended_at          TIMESTAMPTZ,
    ADD COLUMN suspended_until       TIMESTAMPTZ,
    ADD COLUMN suspension_reason     TEXT,
    -- Bumped to end every session at once (password reset); access tokens carry it.
    ADD COLUMN session_generation    INTEGER     NOT NULL DEFAULT 0,
    ADD COLUMN failed_login_count    INTEGER     NOT NULL DEFAULT 0 CHECK (failed_login_count >= 0),
    ADD COLUMN last_failed_login_at  TIMESTAMPTZ;

CREATE TABLE refresh_tokens (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Every token descended from one login shares its family; reuse revokes the family.
    family_id   UUID        NOT NULL,
    -- SHA-256 of the token: the token itself is never stored.
    token_hash  TEXT        NOT NULL UNIQUE,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    revoked_at  TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE user_tokens (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT        NOT NULL CHECK (purpose IN ('verify_email', 'password_reset')),
    token_hash  TEXT        NOT NULL UNIQUE,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX user_tokens_user_purpose_idx ON user_tokens (user_id, purpose);
