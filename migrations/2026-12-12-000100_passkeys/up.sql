-- Issue 39: passkeys (WebAuthn discoverable credentials), each both factors of a sign-in.

-- The opaque user handle authenticators keep with a discoverable credential: random, so it
-- says nothing about the account (WebAuthn §14.6.1).
ALTER TABLE users ADD COLUMN webauthn_id UUID NOT NULL DEFAULT gen_random_uuid();
CREATE UNIQUE INDEX users_webauthn_id_key ON users (webauthn_id);

CREATE TABLE passkeys (
    id             BIGSERIAL   PRIMARY KEY,
    user_id        BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name           TEXT        NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    credential_id  BYTEA       NOT NULL UNIQUE,
    -- webauthn-rs's `Passkey` (public key, counter, flags): no secret is stored.
    credential     JSONB       NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at   TIMESTAMPTZ
);
CREATE INDEX passkeys_user_idx ON passkeys (user_id);

-- A registration or sign-in ceremony under way: its challenge state, 5 minutes, one use.
CREATE TABLE webauthn_ceremonies (
    id          UUID        PRIMARY KEY,
    user_id     BIGINT      REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT        NOT NULL CHECK (kind IN ('register', 'authenticate')),
    state       JSONB       NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    CHECK ((kind = 'register') = (user_id IS NOT NULL))
);
CREATE INDEX webauthn_ceremonies_expiry_idx ON webauthn_ceremonies (expires_at);
CREATE UNIQUE INDEX webauthn_ceremonies_one_registration ON webauthn_ceremonies (user_id)
    WHERE kind = 'register';
