-- Issue 39: signing in through OpenID Connect and GitHub providers, and second factors.

-- An account from a provider has no password until its member sets one (by the reset link):
-- '!' (as in /etc/shadow, and as erasure already writes) never verifies.
-- Its username was suggested from the provider's; the member confirms or changes it once.
ALTER TABLE users ADD COLUMN username_pending BOOLEAN NOT NULL DEFAULT false;
-- Whether the account has a second factor (a confirmed TOTP secret), kept by the statements
-- that add and remove one, so that staff checks read it with the account.
ALTER TABLE users ADD COLUMN two_factor BOOLEAN NOT NULL DEFAULT false;

-- How each login began: 'password', 'passkey' or a provider's id, with '+totp' or
-- '+recovery' when a second factor was asked.
ALTER TABLE sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'password'
    CHECK (method ~ '^[a-z0-9-]{1,32}(\+(totp|recovery))?$');

-- An account at a provider, linked to one devforum account.
CREATE TABLE identities (
    id            BIGSERIAL   PRIMARY KEY,
    user_id       BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider      TEXT        NOT NULL CHECK (provider ~ '^[a-z0-9-]{1,32}$'),
    -- The provider's stable id for the account (`sub`; GitHub's numeric user id).
    subject       TEXT        NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    -- The address the provider gave when it was linked, for the member to recognise it.
    email         TEXT        CHECK (length(email) <= 254),
    linked_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at  TIMESTAMPTZ,
    UNIQUE (provider, subject)
);
CREATE INDEX identities_user_idx ON identities (user_id);

-- A sign-in or link begun at `POST /auth/oauth/{provider}/start`: what its callback needs,
-- kept 10 minutes and used once. Only the state's hash is kept.
CREATE TABLE oauth_states (
    state_hash    TEXT        PRIMARY KEY,
    provider      TEXT        NOT NULL,
    intent        TEXT        NOT NULL CHECK (intent IN ('login', 'link')),
    user_id       BIGINT      REFERENCES users (id) ON DELETE CASCADE,
    nonce         TEXT        NOT NULL,
    pkce_verifier TEXT        NOT NULL,
    return_to     TEXT        CHECK (length(return_to) <= 512),
    expires_at    TIMESTAMPTZ NOT NULL,
    CHECK ((intent = 'link') = (user_id IS NOT NULL))
);
CREATE INDEX oauth_states_expiry_idx ON oauth_states (expires_at);

-- The one-time code the callback hands the client, exchanged for a login within 60 seconds.
CREATE TABLE oauth_codes (
    code_hash     TEXT        PRIMARY KEY,
    user_id       BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider      TEXT        NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX oauth_codes_expiry_idx ON oauth_codes (expires_at);

-- RFC 6238 second factor: pending until a first code confirms it.
CREATE TABLE totp_secrets (
    user_id       BIGINT      PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret        BYTEA       NOT NULL CHECK (length(secret) >= 16),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    confirmed_at  TIMESTAMPTZ,
    -- The 30-second step of the last code accepted: that code and earlier ones never again.
    last_step     BIGINT
);

-- Ten one-time codes for when the authenticator is lost; only their hashes are kept.
CREATE TABLE recovery_codes (
    id            BIGSERIAL   PRIMARY KEY,
    user_id       BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash     TEXT        NOT NULL,
    used_at       TIMESTAMPTZ,
    UNIQUE (user_id, code_hash)
);

-- A login whose first factor passed and whose second is awaited: 5 minutes, 5 tries.
CREATE TABLE mfa_challenges (
    token_hash    TEXT        PRIMARY KEY,
    user_id       BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- How the first factor was given ('password' or a provider's id).
    method        TEXT        NOT NULL,
    tries         INTEGER     NOT NULL DEFAULT 0 CHECK (tries >= 0),
    expires_at    TIMESTAMPTZ NOT NULL,
    used_at       TIMESTAMPTZ
);
CREATE INDEX mfa_challenges_expiry_idx ON mfa_challenges (expires_at);
